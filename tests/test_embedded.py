"""With no configuration, `momentum serve` runs everything itself and stops it cleanly."""

import asyncio
import json
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from resolvers.sample_data import TEST_PASSWORD
from tests.live import TransportWsClient
from tests.processes import MOMENTUM, environment, free_port, wait_until

STARTUP_SECONDS = 90
QUERY = b'{"query": "{ goalTemplates { id title } }"}'


def get_json(url: str, body: bytes | None = None) -> object:
    request = urllib.request.Request(  # noqa: S310 (a local http:// URL)
        url, data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def answers(url: str) -> bool:
    try:
        return get_json(url) == {"status": "ok"}
    except OSError:
        return False


@contextmanager
def serving(data_dir: Path, log: Path, stop: signal.Signals) -> Iterator[str]:
    """Runs `momentum serve` with no configuration; yields its base URL; then sends `stop`."""
    port = free_port()
    with log.open("a") as output:
        server = subprocess.Popen(  # noqa: S603 (our own console script)
            [MOMENTUM, "serve", "--port", str(port)],
            env=environment(MOMENTUM_DATA_DIR=str(data_dir)),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: answers(f"{base}/healthz") or server.poll() is not None,
            timeout=STARTUP_SECONDS,
            what="the embedded server to answer /healthz",
        )
        assert server.poll() is None, log.read_text()
        yield base
    finally:
        server.send_signal(stop)
        assert server.wait(timeout=30) == 0, log.read_text()
    assert "Application shutdown complete" in log.read_text()
    assert "Traceback" not in log.read_text()


async def check_in_reaches_a_subscriber(base: str) -> dict[str, object]:
    """Logs in as the sample user, subscribes to a new goal's check-ins, checks in through
    the API, and returns the event the subscription delivered."""
    address = base.removeprefix("http://")
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:

        async def call(query: str, token: str | None = None) -> dict[str, Any]:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            response = await http.post("/graphql", json={"query": query}, headers=headers)
            body: dict[str, Any] = response.json()
            assert "errors" not in body, body
            data: dict[str, Any] = body["data"]
            return data

        log_in = await call(
            f'mutation {{ logIn(email: "test@fitnudge.app", password: "{TEST_PASSWORD}") '
            "{ accessToken } }"
        )
        token = log_in["logIn"]["accessToken"]
        goal = (
            await call(
                'mutation { createGoal(input: {title: "Run", frequency: DAILY}) { id } }', token
            )
        )["createGoal"]["id"]
        async with TransportWsClient.connect(address, token) as client:
            await client.subscribe(
                'subscription($g: ID) { checkInEvents(goalId: $g, after: "0.0") '
                "{ type checkIn { mood } } }",
                {"g": goal},
            )
            today = datetime.now(UTC).date().isoformat()
            await call(
                f'mutation {{ checkIn(input: {{goalId: "{goal}", date: "{today}", '
                "completed: true, mood: 4}) { id } }",
                token,
            )
            event: dict[str, object] = (await client.next_data())["checkInEvents"]
    return event


def template_ids(base: str) -> list[str]:
    body = get_json(f"{base}/graphql", QUERY)
    assert isinstance(body, dict)
    return [template["id"] for template in body["data"]["goalTemplates"]]


def server_pids(data_dir: Path) -> list[int]:
    """Process ids of the running embedded Postgres and Redis, from their own records."""
    postgres = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    redis_registry = json.loads((data_dir / "redis.rdb.settings").read_text())
    redis = int(Path(redis_registry["pidfile"]).read_text())
    return [postgres, redis]


def running(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def test_serve_with_no_configuration_starts_everything_and_a_restart_reuses_the_data(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "serve.log"

    with serving(data_dir, log, signal.SIGTERM) as base:
        pids = server_pids(data_dir)
        assert all(running(pid) for pid in pids)
        ready = get_json(f"{base}/readyz")
        assert isinstance(ready, dict)
        assert ready["status"] == "ok"
        assert ready["checks"] == {"postgres": "ok", "redis": "ok"}
        first_ids = template_ids(base)
        assert len(first_ids) == 4
        event = asyncio.run(check_in_reaches_a_subscriber(base))
        assert event == {"type": "CREATED", "checkIn": {"mood": 4}}
        assert f"GraphiQL at {base}/graphql" in log.read_text()
    assert not any(running(pid) for pid in pids)
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert log.read_text().count("sample data added") == 1

    with serving(data_dir, log, signal.SIGINT) as base:  # Ctrl-C
        pids = server_pids(data_dir)
        assert template_ids(base) == first_ids
    assert log.read_text().count("sample data added") == 1
    assert not any(running(pid) for pid in pids)
