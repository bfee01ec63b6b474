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
import secrets
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import websockets

from bench import results_file
from bench.server import REDIS_URL, fresh_database, serving
from gql.settings import Settings
from resolvers.tokens import issue_access_token

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
    async with fresh_database() as database_url:
        connection = await asyncpg.connect(database_url)
        user_id = await connection.fetchval(
            "INSERT INTO users (email, name, username) VALUES ($1, 'Bench', $2) RETURNING id",
            f"bench-{secrets.token_hex(4)}@example.com",
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
        settings = Settings(database_url=database_url, redis_url=REDIS_URL)
        token = issue_access_token(
            user_id=user_id, policy=settings.token_policy, now=datetime.now(UTC)
        )
        async with serving(database_url) as target:
            rows = [
                await measure(
                    target.address, database_url, token, user_id, goals, n, events, day, interval
                )
                for n, day in ((1, 0), (100, 1000))
            ]
    print(
        results_file.write(
            f"realtime_latency_{round(1 / interval)}eps",
            "Commit -> subscriber latency (checkInEvents)",
            rows,
            {},
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between commits")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.interval))
