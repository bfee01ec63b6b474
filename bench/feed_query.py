"""The rich feed query on the demo data set: requests per second and latency at concurrency 1
and 16, and SQL statements per request.

    python -m bench.feed_query [--users 10000 --posts 100000 --reactions 1000000
                                --comments 300000 --follows 200000 --seconds 10]
"""

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event, text

from bench import results_file
from bench.server import REDIS_URL, fresh_database, serving
from gql.app import create_app
from gql.settings import Environment, Settings
from models.db import create_engine, create_sessionmaker
from resolvers.demo_data import DemoSizes, generate_demo_data
from resolvers.tokens import issue_access_token

FEED = """
query Feed($first: Int) {
  feed(first: $first) {
    edges { node {
      id content likesCount viewerReaction
      author { id username }
      comments(first: 3) { edges { node { content author { id username } } } }
    } }
  }
}
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def statements_per_request(settings: Settings, token: str) -> int:
    """Runs the query once in-process and counts the SQL statements it sends."""
    app = create_app(settings.model_copy(update={"relay": False}))
    statements: list[str] = []

    def record(*arguments: Any) -> None:
        statements.append(arguments[2])

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as http,
    ):
        await http.post("/graphql", json={"query": "{ goalTemplates { id } }"})
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
        response = await http.post(
            "/graphql",
            json={"query": FEED, "variables": {"first": 20}},
            headers={"authorization": f"Bearer {token}"},
        )
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", record)
    assert "errors" not in response.json(), response.json()
    return len(statements)


async def load(address: str, token: str, concurrency: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://{address}", limits=limits, timeout=30) as http:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.post(
                    "/graphql",
                    json={"query": FEED, "variables": {"first": 20}},
                    headers={"authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200 and "errors" not in response.json()
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }


async def main(sizes: DemoSizes, seconds: float) -> None:
    async with fresh_database() as database_url:
        engine = create_engine(database_url, pool_size=1, max_overflow=0)
        async with create_sessionmaker(engine)() as session:
            counts = await generate_demo_data(session=session, sizes=sizes)
            viewer = (
                await session.execute(
                    text(
                        "SELECT follower_id FROM follows GROUP BY follower_id "
                        "ORDER BY count(*) DESC LIMIT 1"
                    )
                )
            ).scalar_one()
        await engine.dispose()
        settings = Settings(env=Environment.TEST, database_url=database_url, redis_url=REDIS_URL)
        token = issue_access_token(
            user_id=viewer, policy=settings.token_policy, now=datetime.now(UTC)
        )
        statements = await statements_per_request(settings, token)
        # No relay: it would spend the run publishing the demo load's millions of events.
        async with serving(
            database_url, MOMENTUM_DB_POOL_SIZE="20", MOMENTUM_RELAY="false"
        ) as target:
            await load(target.address, token, 4, 2)  # warm-up
            rows = [await load(target.address, token, n, seconds) for n in (1, 16)]
    for row in rows:
        row["sql_statements_per_request"] = statements
    print(
        results_file.write(
            "feed_query",
            "Rich feed query (20 posts, authors, reactions, first 3 comments with authors)",
            rows,
            {"data set": counts, "seconds per run": seconds},
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    defaults = DemoSizes(users=10_000, posts=100_000, reactions=1_000_000, comments=300_000,
                         follows=200_000)  # fmt: skip
    for name in ("users", "posts", "reactions", "comments", "follows"):
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    parser.add_argument("--seconds", type=float, default=10)
    arguments = parser.parse_args()
    chosen = DemoSizes(
        users=arguments.users,
        posts=arguments.posts,
        reactions=arguments.reactions,
        comments=arguments.comments,
        follows=arguments.follows,
    )
    asyncio.run(main(chosen, arguments.seconds))
