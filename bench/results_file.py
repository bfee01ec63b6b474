"""Writing a benchmark's JSON and markdown results."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import describe

RESULTS = Path(__file__).parent / "results"


def write(stem: str, title: str, rows: list[dict[str, Any]], extra: dict[str, Any]) -> str:
    """Writes results/<stem>.json and .md; returns the markdown."""
    machine = describe()
    date = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    document = {"benchmark": stem, "date": date, "machine": machine, **extra, "rows": rows}
    (RESULTS / f"{stem}.json").write_text(json.dumps(document, indent=2) + "\n")
    columns = list(rows[0])
    lines = [
        f"# {title}",
        "",
        f"{date} on {machine['cpu']} ({machine['cores']} cores); server, Postgres, Redis and "
        "the load generator on the same machine.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(str(row[column]) for column in columns) + " |" for row in rows),
    ]
    if extra:
        lines += ["", *(f"- {key}: {value}" for key, value in extra.items())]
    markdown = "\n".join(lines) + "\n"
    (RESULTS / f"{stem}.md").write_text(markdown)
    return markdown
