"""Commit -> subscriber latency of checkInEvents, for 1 and for 100 subscribers.

Starts `momentum serve` in its own process on a fresh database (TEST_POSTGRES_URL or the
local Postgres) and Redis (TEST_REDIS_URL or the local one), connects N graphql-transport-ws
subscribers to one user's check-in events, commits check-ins with plain SQL one at a time,
and measures from each COMMIT's return to each subscriber's receipt.

    python -m bench.realtime_latency [--events 200]
"""

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import websockets
from sqlalchemy.engine import make_url

import migrations
from bench.machine import describe
from gql.settings import Settings
from models.db import create_engine
from resolvers.tokens import issue_access_token

RESULTS = Path(__file__).parent / "results"
SUBSCRIPTION = "subscription { checkInEvents { cursor checkIn { mood } } }"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def subscriber(
    address: str, token: str, ready: asyncio.Event, inbox: list[tuple[float, int]]
) -> None:
    async with websockets.connect(
        f"ws://{address}/graphql", subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        await socket.recv()
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        ready.set()
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] == "next":
                mood = message["payload"]["data"]["checkInEvents"]["checkIn"]["mood"]
                inbox.append((time.perf_counter(), mood))


async def measure(
    address: str,
    dsn: str,
    token: str,
    user_id: uuid.UUID,
    goals: list[uuid.UUID],
    subscribers: int,
    events: int,
    first_day: int,
    interval: float,
) -> dict[str, Any]:
    inboxes: list[list[tuple[float, int]]] = [[] for _ in range(subscribers)]
    readies = [asyncio.Event() for _ in range(subscribers)]
    tasks = [
        asyncio.create_task(subscriber(address, token, readies[n], inboxes[n]))
        for n in range(subscribers)
    ]
    await asyncio.gather(*(ready.wait() for ready in readies))
    await asyncio.sleep(1.0)  # let every subscription reach the hub before measuring
    connection = await asyncpg.connect(dsn)
    committed: dict[int, float] = {}
    for number in range(events):
        goal = goals[number % len(goals)]
        day = first_day + number // len(goals)
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO check_ins (goal_id, user_id, date, completed, mood) "
                "VALUES ($1, $2, current_date - $3::int, true, $4)",
                goal,
                user_id,
                day,
                1 + number % 5,
            )
        committed[number] = time.perf_counter()
        await asyncio.sleep(interval)
    deadline = time.perf_counter() + 30
    while any(len(inbox) < events for inbox in inboxes) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    await connection.close()
    for task in tasks:
        task.cancel()
    latencies = []
    for inbox in inboxes:
        for index, (received, _) in enumerate(inbox[:events]):
            latencies.append((received - committed[index]) * 1000)
    delivered = sum(min(len(inbox), events) for inbox in inboxes)
    return {
        "subscribers": subscribers,
        "events": events,
        "events_per_second": round(1 / interval, 1),
        "delivered": delivered,
        "expected": subscribers * events,
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
    }


async def main(events: int, interval: float) -> None:
    admin = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    name = f"momentum_bench_{secrets.token_hex(3)}"
    admin_dsn = make_url(admin).render_as_string(hide_password=False)
    admin_connection = await asyncpg.connect(admin_dsn)
    await admin_connection.execute(f'CREATE DATABASE "{name}"')
    database_url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        engine = create_engine(database_url, pool_size=1, max_overflow=0)
        await migrations.upgrade(engine)
        await engine.dispose()
        connection = await asyncpg.connect(database_url)
        user_id = await connection.fetchval(
            "INSERT INTO users (email, name, username) VALUES ($1, 'Bench', $2) RETURNING id",
            f"bench-{name}@example.com",
            f"bench_{secrets.token_hex(4)}",
        )
        goals = [
            await connection.fetchval(
                "INSERT INTO goals (user_id, title, frequency) "
                "VALUES ($1, $2, 'daily') RETURNING id",
                user_id,
                f"Goal {n}",
            )
            for n in range(50)
        ]
        await connection.close()
        settings = Settings(database_url=database_url, redis_url=redis_url)
        token = issue_access_token(
            user_id=user_id, policy=settings.token_policy, now=datetime.now(UTC)
        )
        port = 18000 + secrets.randbelow(1000)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")}
        environment |= {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MOMENTUM_ENV": "test",
            "MOMENTUM_LOG_LEVEL": "warning",
            "MOMENTUM_REDIS_PREFIX": f"{name}:",
        }
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("momentum")), "serve", "--port", str(port)],
            env=environment,
        )
        address = f"127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://{address}/healthz", timeout=1)
                break
            except OSError:
                await asyncio.sleep(0.1)
        runs = [
            await measure(
                address, database_url, token, user_id, goals, n, events, first_day, interval
            )
            for n, first_day in ((1, 0), (100, 1000))
        ]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        await admin_connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin_connection.close()
    result = {
        "benchmark": "realtime_latency",
        "date": datetime.now(UTC).isoformat(),
        "machine": describe(),
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    stem = f"realtime_latency_{round(1 / interval)}eps"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Commit -> subscriber latency (checkInEvents)",
        "",
        f"{result['date']} on {describe()['cpu']} ({describe()['cores']} cores); "
        "server, Postgres, Redis and clients on the same machine.",
        "",
        "| subscribers | events | events/s | delivered / expected | p50 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['subscribers']} | {run['events']} | {run['events_per_second']} "
            f"| {run['delivered']} / {run['expected']} "
            f"| {run['p50_ms']} | {run['p99_ms']} | {run['mean_ms']} |"
        )
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between commits")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.interval))
