"""What a hostile document costs before execution: the request limits' check plus graphql-core
validation, for documents built to be slow to validate, against plain validation (what the
server did before the limits). Every document is parsed under the token limit; whitespace
varies, so no cache would help.

    .venv/bin/python -m bench validation
"""

import argparse
import statistics
import time
from collections.abc import Callable, Iterator

from graphql import GraphQLError, get_introspection_query, parse, validate

from bench import results_file
from gql.query_limits import TooComplex, check
from gql.schema import create_schema
from gql.settings import Settings

NESTED = 'user(username: "u") { followers { edges { node { id username } } } }'


def repeated(field: str, times: int) -> str:
    return "{" + "".join(f"{' ' * (n % 4)}{field}\n" for n in range(times)) + "}"


def fragments(levels: int) -> str:
    definitions = ["fragment F0 on User { id username bio }"] + [
        f"fragment F{n} on User {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, levels + 1)
    ]
    return f'{{ user(username: "u") {{ ...F{levels} }} }}\n' + "\n".join(definitions)


def aliases(count: int) -> str:
    return "{" + " ".join(f"a{n}: {NESTED}" for n in range(count)) + "}"


def deep(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"followers {{ edges {{ node {{ {inner} }} }} }}"
    return f'{{ user(username: "u") {{ {inner} }} }}'


def documents() -> Iterator[tuple[str, str]]:
    """(family, document): each family at sizes up to and past its limit."""
    for times in (20, 70, 100, 300, 740, 1500):
        yield f"one field x{times}", repeated("goalTemplates { id }", times)
    for times in (10, 40, 45, 100, 200):
        yield f"nested selection x{times}", repeated(NESTED, times)
    for times in (100, 999, 2000):
        yield f"leaf x{times}", "{ goalTemplates {" + repeated("id", times)[1:-1] + "} }"
    for levels in (4, 8, 12, 20):
        yield f"fragments 2^{levels}", fragments(levels)
    yield "30 aliases, nested", aliases(30)
    yield "depth 11", deep(3)
    yield "introspection", get_introspection_query(descriptions=True)


def milliseconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench validation")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(database_url="postgresql://unused/unused", redis_url="redis://unused")
    schema = create_schema(settings)._schema
    limits = settings.query_limits
    rows = []
    for family, text in documents():
        try:
            document = parse(text, max_tokens=settings.max_query_tokens)
        except GraphQLError:
            rows.append({"document": family, "bytes": len(text), "outcome": "over the token limit"})
            continue

        def before(document: object = document) -> object:
            return validate(schema, document)  # type: ignore[arg-type]

        def after(document: object = document) -> str:
            try:
                check(schema, document, operation_name=None, variables={}, limits=limits)  # type: ignore[arg-type]
            except TooComplex:
                return "refused (QUERY_TOO_COMPLEX)"
            validate(schema, document)  # type: ignore[arg-type]
            return "validated"

        rows.append(
            {
                "document": family,
                "bytes": len(text),
                "before: validation ms": round(milliseconds(before, args.runs), 2),
                "now: check + validation ms": round(milliseconds(after, args.runs), 2),
                "outcome": after(),
            }
        )
    for row in rows:
        row.setdefault("before: validation ms", "-")
        row.setdefault("now: check + validation ms", "-")
        row["outcome"] = row.pop("outcome")
    worst = max(
        row["now: check + validation ms"]
        for row in rows
        if isinstance(row["now: check + validation ms"], float)
    )
    print(
        results_file.write(
            "validation",
            "What a hostile document costs before execution",
            rows,
            {
                "limits": f"{settings.max_query_tokens} tokens, {limits.max_fields} fields, "
                f"{limits.max_field_pairs} same-path field pairs, cost {limits.max_cost}",
                "worst now (ms)": worst,
                "runs per document (median)": args.runs,
            },
        )
    )


if __name__ == "__main__":
    main()
