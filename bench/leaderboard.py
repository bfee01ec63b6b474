"""Leaderboards at 100,000 participants in one challenge.

Builds a challenge with N participants (each with a goal; scores 0-30 spread at random, set
directly in SQL so the data set loads in seconds), starts `momentum serve`, then measures:

- the `leaderboard` query (top 10 + the viewer's entry) for random viewers, over HTTP;
- check-in -> snapshot latency: W `leaderboardUpdates` watchers; the leader checks in with
  plain SQL (its score changes, so every watcher's top 10 changes) and every watcher's next
  snapshot is timed from the COMMIT; check-ins are spaced wider than the coalescing interval
  so each one is a tick of its own.

    python -m bench.leaderboard [--participants 100000] [--watchers 100] [--samples 40]
"""

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import websockets

from bench import results_file
from bench.realtime_latency import percentile
from bench.server import REDIS_URL, fresh_database, serving
from gql.settings import Settings
from resolvers.tokens import issue_access_token

QUERY = """
query($id: ID!) {
  leaderboard(challengeId: $id, first: 10) {
    version totalParticipants entries { rank score user { id name } } viewerEntry { rank score }
  }
}
"""
BASELINE = "query($id: ID!) { me { id } challenge(id: $id) { id } }"
SUBSCRIPTION = """
subscription($id: ID!) {
  leaderboardUpdates(challengeId: $id, first: 10) {
    version entries { rank score user { id name } } viewerEntry { rank score }
  }
}
"""
TODAY = datetime.now(UTC).date()
LOAD = """
WITH people AS (
    INSERT INTO users (email, name, username)
    SELECT 'lb' || n || '@example.com', 'Runner ' || n, 'lb_' || n
    FROM generate_series(1, $1) AS n RETURNING id
), goals AS (
    INSERT INTO goals (user_id, title, frequency)
    SELECT id, 'Run', 'daily' FROM people RETURNING id, user_id
)
INSERT INTO challenge_participants (challenge_id, user_id, goal_id, joined_at)
SELECT $2, user_id, id, now() FROM goals
"""


async def build(dsn: str, participants: int) -> tuple[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]]:
    """The challenge and every (user, goal) taking part."""
    connection = await asyncpg.connect(dsn)
    owner = await connection.fetchval(
        "INSERT INTO users (email, name, username) "
        "VALUES ('owner@example.com', 'Owner', 'owner') RETURNING id"
    )
    challenge = await connection.fetchval(
        "INSERT INTO challenges (owner_id, title, starts_on, ends_on) "
        "VALUES ($1, 'Big one', $2, $3) RETURNING id",
        owner,
        TODAY - timedelta(days=60),
        TODAY + timedelta(days=30),
    )
    await connection.execute(LOAD, participants, challenge)
    # A spread of scores, reached at different moments (synthetic: no check-in rows).
    await connection.execute(
        "UPDATE challenge_participants SET score = floor(random() * 31)::int, "
        "score_version = nextval('challenge_score_versions') WHERE challenge_id = $1",
        challenge,
    )
    rows = await connection.fetch(
        "SELECT user_id, goal_id FROM challenge_participants "
        "WHERE challenge_id = $1 AND goal_id IS NOT NULL",
        challenge,
    )
    # The first participant leads, so each of its check-ins changes everyone's top 10.
    await connection.execute(
        "UPDATE challenge_participants SET score = 100 WHERE user_id = $1", rows[0]["user_id"]
    )
    # The load is not news: the relay (not started yet) must not stream its 200k events.
    await connection.execute("DELETE FROM realtime_events")
    await connection.execute("ANALYZE")
    await connection.close()
    return challenge, [(row["user_id"], row["goal_id"]) for row in rows]


def token_for(user_id: uuid.UUID, settings: Settings) -> str:
    return issue_access_token(user_id=user_id, policy=settings.token_policy, now=datetime.now(UTC))


async def query_latencies(
    address: str,
    challenge: uuid.UUID,
    tokens: list[str],
    requests: int,
    query: str = QUERY,
    measure: str = "leaderboard query (top 10 + viewer entry)",
) -> dict[str, Any]:
    latencies = []
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as client:
        for number in range(requests):
            started = time.perf_counter()
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": {"id": str(challenge)}},
                headers={"authorization": f"Bearer {tokens[number % len(tokens)]}"},
            )
            latencies.append((time.perf_counter() - started) * 1000)
            body = response.json()
            assert "errors" not in body, body
    return {
        "measure": measure,
        "samples": requests,
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


async def watcher(
    address: str, token: str, challenge: uuid.UUID, ready: asyncio.Event, inbox: list[float]
) -> None:
    async with websockets.connect(
        f"ws://{address}/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        max_size=None,
    ) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        await socket.recv()
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"id": str(challenge)}},
                }
            )
        )
        await socket.recv()  # the immediate snapshot
        ready.set()
        async for raw in socket:
            if json.loads(raw)["type"] == "next":
                inbox.append(time.perf_counter())


async def snapshot_latencies(
    address: str,
    dsn: str,
    challenge: uuid.UUID,
    tokens: list[str],
    mover: tuple[uuid.UUID, uuid.UUID],
    samples: int,
    interval: float,
) -> dict[str, Any]:
    inboxes: list[list[float]] = [[] for _ in tokens]
    readies = [asyncio.Event() for _ in tokens]
    tasks = [
        asyncio.create_task(watcher(address, token, challenge, ready, inbox))
        for token, ready, inbox in zip(tokens, readies, inboxes, strict=True)
    ]
    await asyncio.gather(*(ready.wait() for ready in readies))
    connection = await asyncpg.connect(dsn)
    latencies: list[float] = []
    user_id, goal_id = mover
    for number in range(samples):
        before = [len(inbox) for inbox in inboxes]
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO check_ins (goal_id, user_id, date, completed) "
                "VALUES ($1, $2, $3, true)",
                goal_id,
                user_id,
                TODAY - timedelta(days=number),
            )
        committed = time.perf_counter()
        deadline = committed + 10
        while any(len(inbox) == count for inbox, count in zip(inboxes, before, strict=True)):
            if time.perf_counter() > deadline:
                raise TimeoutError("a watcher got no snapshot within 10 s")
            await asyncio.sleep(0.002)
        latencies += [
            (inbox[count] - committed) * 1000 for inbox, count in zip(inboxes, before, strict=True)
        ]
        await asyncio.sleep(interval)
    await connection.close()
    for task in tasks:
        task.cancel()
    return {
        "measure": f"check-in -> snapshot, {len(tokens)} watchers",
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


async def main(participants: int, watchers: int, samples: int) -> None:
    async with fresh_database() as database_url:
        challenge, people = await build(database_url, participants)
        settings = Settings(database_url=database_url, redis_url=REDIS_URL)
        mover = people[0]
        tokens = [token_for(user, settings) for user, _ in [mover, *people[1:watchers]]]
        async with serving(database_url) as target:
            rows = [
                await query_latencies(
                    target.address,
                    challenge,
                    tokens,
                    samples * 5,
                    BASELINE,
                    "baseline: same path, no leaderboard (me, challenge id)",
                ),
                await query_latencies(target.address, challenge, tokens, samples * 5),
                await snapshot_latencies(
                    target.address, database_url, challenge, tokens, mover, samples, 0.3
                ),
            ]
    print(
        results_file.write(
            "leaderboard",
            f"Leaderboards: one challenge with {participants:,} participants",
            rows,
            {
                "participants": participants,
                "coalescing": "at most 4 snapshots per second per challenge (default)",
                "window": f"{date.isoformat(TODAY - timedelta(days=60))} .. +90 days",
            },
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--samples", type=int, default=40)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.participants, arguments.watchers, arguments.samples))
