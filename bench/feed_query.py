"""The read path: the rich feed and every hot query on the demo data set, requests per
second and latency at concurrency 1 and 16, SQL statements per request; this version and,
with --compare, another one (run first, same database, same run), each with 1 and 2 workers.

    python -m bench feed-query [--seconds 8 --workers 1 2 --compare EXE --compare-label NAME
                                --database URL --users 10000 --posts 100000 ...]

The load comes from wrk (Debian package `wrk`), which costs the shared cores far less than a
Python client would. --database reuses a database that `momentum seed --demo` filled.
"""

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench import results_file
from bench.hot_queries import HOT_QUERIES, variables_of
from bench.server import REDIS_URL, fresh_database, serving
from gql.settings import Environment, Settings
from models.db import create_engine, create_sessionmaker
from resolvers.demo_data import DemoSizes, generate_demo_data
from resolvers.tokens import issue_access_token

CONCURRENCY = (1, 16)
WRK = "/usr/bin/wrk"
COUNTER = Path(__file__).with_name("statements.py")
CHALLENGES = 40
CHALLENGE_MEMBERS = 250

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = io.open(os.getenv("BENCH_BODY")):read("*a")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "failed": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status))
end
"""


async def add_challenges(session: AsyncSession, viewer: Any) -> None:
    """Public challenges with members (the viewer in each), since the demo set has none."""
    await session.execute(
        text(
            "INSERT INTO challenges (owner_id, title, starts_on, ends_on) "
            "SELECT id, 'Bench challenge ' || n, current_date - 3, current_date + 27 "
            "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users LIMIT :count) u"
        ),
        {"count": CHALLENGES},
    )
    await session.execute(
        text(
            "INSERT INTO challenge_participants (challenge_id, user_id, joined_at) "
            "SELECT c.id, u.id, now() FROM challenges c CROSS JOIN LATERAL "
            "(SELECT id FROM users WHERE id <> c.owner_id ORDER BY md5(id::text || c.id::text) "
            "LIMIT :members) u ON CONFLICT DO NOTHING"
        ),
        {"members": CHALLENGE_MEMBERS},
    )
    await session.execute(
        text(
            "INSERT INTO challenge_participants (challenge_id, user_id, joined_at) "
            "SELECT id, :viewer, now() FROM challenges ON CONFLICT DO NOTHING"
        ),
        {"viewer": viewer},
    )
    await session.commit()


async def subjects(session: AsyncSession) -> dict[str, Any]:
    """The viewer (who follows the most people) and the ids the queries ask about."""

    async def one(sql: str) -> Any:
        return (await session.execute(text(sql))).scalar_one()

    viewer = await one(
        "SELECT follower_id FROM follows GROUP BY follower_id ORDER BY count(*) DESC LIMIT 1"
    )
    if not await one("SELECT count(*) FROM challenges"):
        await add_challenges(session, viewer)
    return {
        "viewer": viewer,
        "author": str(
            await one(
                "SELECT user_id FROM posts WHERE is_public GROUP BY user_id "
                "ORDER BY count(*) DESC LIMIT 1"
            )
        ),
        "post": str(
            await one(
                "SELECT id FROM posts WHERE is_public AND deleted_at IS NULL "
                "ORDER BY comments_count DESC LIMIT 1"
            )
        ),
        "challenge": str(
            await one(
                "SELECT challenge_id FROM challenge_participants GROUP BY challenge_id "
                "ORDER BY count(*) DESC LIMIT 1"
            )
        ),
    }


def bodies(ids: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each hot query with its variables filled in (pages of 20)."""
    return {
        name: {"query": document, "variables": variables_of(name, 20, ids)}
        for name, document in HOT_QUERIES.items()
    }


def wrk(
    address: str, token: str, body_file: Path, concurrency: int, seconds: int
) -> dict[str, Any]:
    """One wrk run of a query: its summary (requests, seconds, p50/p99, failures)."""
    url = f"http://{address}/graphql"
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        output = subprocess.run(
            [WRK, "-t1", f"-c{concurrency}", f"-d{seconds}s", "-s", script.name, url],
            env={"BENCH_TOKEN": token, "BENCH_BODY": str(body_file)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    summary: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return summary


async def check(address: str, token: str, body: dict[str, Any]) -> None:
    """The query answers with data and no errors before it is measured."""
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http:
        response = await http.post(
            "/graphql", json=body, headers={"authorization": f"Bearer {token}"}
        )
    answer = response.json()
    assert response.status_code == 200 and "errors" not in answer, answer


def statement_counts(
    python: str, database_url: str, token: str, queries: dict[str, dict[str, Any]]
) -> dict[str, int]:
    """Statements per request, counted by bench/statements.py under that interpreter."""
    counted = subprocess.run(
        [python, str(COUNTER), database_url, REDIS_URL, token, json.dumps(queries)],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),  # not this checkout: the interpreter's own momentum
    )
    if counted.returncode != 0:
        sys.exit(f"counting statements with {python} failed:\n{counted.stderr}")
    output = counted.stdout
    return {name: int(count) for name, count in json.loads(output).items()}


async def measure(
    label: str,
    executable: str | None,
    workers: int,
    database_url: str,
    token: str,
    queries: dict[str, dict[str, Any]],
    files: dict[str, Path],
    statements: dict[str, int],
    seconds: int,
) -> list[dict[str, Any]]:
    rows = []
    async with serving(
        database_url,
        executable=executable,
        MOMENTUM_DB_POOL_SIZE="20",
        MOMENTUM_RELAY="false",  # it would spend the run publishing the demo load's events
        MOMENTUM_WORKERS=str(workers),
    ) as target:
        for name, body in queries.items():
            await check(target.address, token, body)
            wrk(target.address, token, files[name], 4, 2)  # warm-up
            for concurrency in CONCURRENCY:
                run = wrk(target.address, token, files[name], concurrency, seconds)
                rows.append(
                    {
                        "query": name,
                        "version": label,
                        "workers": workers,
                        "concurrency": concurrency,
                        "req_per_s": round(run["requests"] / run["seconds"], 1),
                        "p50_ms": round(run["p50_us"] / 1000, 1),
                        "p99_ms": round(run["p99_us"] / 1000, 1),
                        "failed": run["failed"],
                        "statements": statements[name],
                    }
                )
                print(rows[-1], flush=True)
    return rows


@contextlib.contextmanager
def body_files(queries: dict[str, dict[str, Any]]) -> Iterator[dict[str, Path]]:
    """Each query's request body in a file, for wrk."""
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for number, (name, body) in enumerate(queries.items()):
            files[name] = Path(folder) / f"{number}.json"
            files[name].write_text(json.dumps(body))
        yield files


@contextlib.asynccontextmanager
async def demo_database(database: str | None, sizes: DemoSizes) -> AsyncIterator[str]:
    if database is not None:
        yield database
        return
    async with fresh_database() as database_url:
        engine = create_engine(database_url, pool_size=1, max_overflow=0)
        async with create_sessionmaker(engine)() as session:
            await generate_demo_data(session=session, sizes=sizes)
        await engine.dispose()
        yield database_url


async def main(options: argparse.Namespace, sizes: DemoSizes) -> None:
    if not os.path.exists(WRK):  # noqa: ASYNC240 (before anything runs)
        sys.exit("bench feed-query needs wrk: apt-get install wrk")
    async with demo_database(options.database, sizes) as database_url:
        engine = create_engine(database_url, pool_size=1, max_overflow=0)
        async with create_sessionmaker(engine)() as session:
            ids = await subjects(session)
            counts = {
                table: (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                for table in ("users", "posts", "likes", "comments", "follows", "challenges")
            }
        await engine.dispose()
        settings = Settings(env=Environment.TEST, database_url=database_url, redis_url=REDIS_URL)
        token = issue_access_token(
            user_id=ids["viewer"], policy=settings.token_policy, now=datetime.now(UTC)
        )
        queries = bodies(ids)
        versions: list[tuple[str, str | None, str]] = []
        if options.compare:
            python = str(Path(options.compare).with_name("python"))
            versions.append((options.compare_label, options.compare, python))
        versions.append(("this version", None, sys.executable))
        rows = []
        with body_files(queries) as files:
            for label, executable, python in versions:
                statements = statement_counts(python, database_url, token, queries)
                for workers in options.workers:
                    rows += await measure(
                        label, executable, workers, database_url, token, queries, files,
                        statements, options.seconds,
                    )  # fmt: skip
    rows.sort(key=lambda row: list(HOT_QUERIES).index(row["query"]))
    print(
        results_file.write(
            "feed_query",
            "The read path: the rich feed and every hot query",
            rows,
            {"data set": counts, "seconds per run": options.seconds, "load": "wrk -t1"},
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    defaults = DemoSizes(users=10_000, posts=100_000, reactions=1_000_000, comments=300_000,
                         follows=200_000)  # fmt: skip
    for name in ("users", "posts", "reactions", "comments", "follows"):
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--compare", help="the `momentum` executable of another version")
    parser.add_argument("--compare-label", default="other version", help="its name in results")
    parser.add_argument("--database", help="a database `momentum seed --demo` filled, reused")
    arguments = parser.parse_args()
    chosen = DemoSizes(
        users=arguments.users,
        posts=arguments.posts,
        reactions=arguments.reactions,
        comments=arguments.comments,
        follows=arguments.follows,
    )
    asyncio.run(main(arguments, chosen))
