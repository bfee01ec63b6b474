"""Fan-out: N subscribers of one topic on one server process, and how fast sockets subscribe.

`fanout`: N users (distinct accounts) hold the same subscription on one `momentum serve`
process: `postActivity` of one public post (default; a load generator in its own process,
bench/writer.py, comments on it with plain SQL at a fixed rate), `feedEvents` (`--field
feed`; it writes public posts) or `tableChanges` of the achievement catalogue with a filter
(`--field table-changes`; it writes achievement types the filter keeps). Every subscriber
receives every event. Measured per N: deliveries/s,
deliveries per server CPU-second (user+system of the server process, relay included), commit
-> client latency p50/p99 (on a sample of sockets), server RSS per idle subscribed socket, and
the CPU of the load generator and of the client process. Each N runs with the fan-out engine
off (`MOMENTUM_SHARED_EXECUTION=false`, every subscriber executes and serializes each event)
and on, in the same run, so the two are comparable.

`connect-storm`: M sockets opened at once (at most C handshakes in flight), each doing the
TCP and websocket handshakes, connection_init and subscribe, until its subscription runs:
handshakes per second and server CPU per handshake. Resuming from the start of the log (one
post replayed first; `--compare` runs another version's server the same way first) and from
now (until READY).

    python -m bench fanout [--subscribers 1000 5000 10000 --rate 5 --seconds 20 --compare EXE]
    python -m bench connect-storm [--sockets 2000 10000 --concurrency 200 --compare EXE]
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import asyncpg
import psutil

from bench import results_file, wsclient
from bench.realtime_latency import percentile
from bench.server import REDIS_URL, Target, fresh_database, serving
from gql.settings import Settings
from resolvers.tokens import issue_access_token

FEED = """
subscription($after: String) {
  feedEvents(after: $after) {
    cursor type post { id content createdAt likesCount commentsCount author { username name } }
  }
}
"""
POST_ACTIVITY = """
subscription($post: ID!) {
  postActivity(postId: $post) {
    cursor type kind commentId likesCount commentsCount
    comment { content createdAt author { username name } }
  }
}
"""

TABLE_CHANGES = """
subscription {
  tableChanges(table: ACHIEVEMENT_TYPES, events: [INSERT],
               filter: [{column: "category", op: EQ, value: "milestone"}]) {
    cursor operation rowId record { ... on AchievementType { key name points } }
  }
}
"""


@dataclass(frozen=True)
class Field:
    """A subscription the scenario can fan out: its GraphQL field, its operation, how many
    events one write produces, and what the load generator writes (bench/writer.py)."""

    name: str
    query: str
    events_per_write: int
    writes: str  # the writer's --writes
    described: str

    def content(self, payload: bytes) -> str | None:
        """The "post <n>" text a frame carries, if any."""
        event = json.loads(payload)["payload"]["data"][self.name]
        carrier = event.get("post") or event.get("comment")
        if carrier:
            return str(carrier["content"])
        record = event.get("record")
        return str(record["name"]) if record else None

    def variables(self, post: uuid.UUID) -> dict[str, str]:
        return {"post": str(post)} if self.writes == "comments" else {}


FIELDS = {
    # A comment logs the post's counter update and the comment: two events per write.
    "post-activity": Field(
        "postActivity", POST_ACTIVITY, 2, "comments", "comments on one public post"
    ),
    "feed": Field("feedEvents", FEED, 1, "posts", "public posts"),
    "table-changes": Field(
        "tableChanges",
        TABLE_CHANGES,
        1,
        "achievement-types",
        "achievement types (category milestone, which every subscriber's filter keeps)",
    ),
}
SAMPLED_SOCKETS = 50
STALL_SECONDS = 10
OLDER_VERSION_SETTLE_SECONDS = 10
HANDSHAKES_IN_FLIGHT = 200


async def make_users(dsn: str, count: int) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """An author, their public post, and `count` subscribers."""
    connection = await asyncpg.connect(dsn)
    author = await connection.fetchval(
        "INSERT INTO users (email, name, username) VALUES ('author@example.com', 'Author', "
        "'author') RETURNING id"
    )
    post = await connection.fetchval(
        "INSERT INTO posts (user_id, content) VALUES ($1, 'Big news') RETURNING id", author
    )
    rows = await connection.fetch(
        "INSERT INTO users (email, name, username) "
        "SELECT 'fan' || n || '@example.com', 'Fan ' || n, 'fan_' || n "
        "FROM generate_series(1, $1) AS n RETURNING id",
        count,
    )
    await connection.execute("DELETE FROM realtime_events")  # set-up is not news
    await connection.close()
    return author, post, [row["id"] for row in rows]


def tokens_for(users: list[uuid.UUID], settings: Settings) -> list[str]:
    now = datetime.now(UTC)
    return [issue_access_token(user_id=u, policy=settings.token_policy, now=now) for u in users]


def cpu_seconds(process: psutil.Process) -> float:
    """CPU of the server: the process and its worker processes, if any."""
    total = 0.0
    for part in (process, *process.children(recursive=True)):
        times = part.cpu_times()
        total += times.user + times.system
    return total


def rss_bytes(process: psutil.Process) -> int:
    return sum(part.memory_info().rss for part in (process, *process.children(recursive=True)))


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def open_sockets(
    target: Target,
    tokens: list[str],
    query: str,
    variables: dict[str, Any],
    sampled: int,
    in_flight: int = HANDSHAKES_IN_FLIGHT,
) -> list[wsclient.Socket]:
    host, port = target.address.split(":")
    gate = asyncio.Semaphore(in_flight)

    async def one(number: int, token: str) -> wsclient.Socket:
        async with gate:
            return await wsclient.subscribe(
                host, int(port), token, query, variables, keep_frames=number < sampled
            )

    return list(await asyncio.gather(*(one(n, t) for n, t in enumerate(tokens))))


async def settle(sockets: list[wsclient.Socket]) -> int:
    """Waits until every subscription is live (its READY came), or until STALL_SECONDS pass
    without one more (the server refused the rest); returns how many are live."""
    waiting = {asyncio.ensure_future(socket.ready.wait()) for socket in sockets}
    while waiting:
        done, waiting = await asyncio.wait(
            waiting, timeout=STALL_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            break
    for future in waiting:
        future.cancel()
    return sum(socket.ready.is_set() for socket in sockets)


def latencies_ms(
    sockets: list[wsclient.Socket], field: Field, committed: dict[int, float]
) -> list[float]:
    values = []
    for socket in sockets:
        for received, payload in socket.frames:
            content = field.content(payload)
            if content is not None:
                values.append((received - committed[int(content.split()[1])]) * 1000)
    return values


async def fanout_row(
    database_url: str,
    author: uuid.UUID,
    post: uuid.UUID,
    tokens: list[str],
    *,
    field: Field,
    shared: bool,
    rate: float,
    seconds: float,
    workers: int,
    executable: str | None = None,
    label: str = "this version",
) -> dict[str, Any]:
    async with serving(
        database_url,
        executable=executable,
        MOMENTUM_SHARED_EXECUTION=str(shared).lower(),
        MOMENTUM_WORKERS=str(workers),
    ) as target:
        server = psutil.Process(target.process.pid)
        await asyncio.sleep(1.0 + workers)  # start-up work (workers, relay election) settles
        rss_before = rss_bytes(server)
        variables = field.variables(post)
        sockets = await open_sockets(target, tokens, field.query, variables, SAMPLED_SOCKETS)
        if executable is None:
            live = await settle(sockets)
        else:  # a version without READY: given a while to go live after its acknowledgement
            await asyncio.sleep(OLDER_VERSION_SETTLE_SECONDS)
            live = len(sockets)
        rss_after = rss_bytes(server)
        server_cpu, client_cpu = cpu_seconds(server), own_cpu_seconds()
        print(f"{len(tokens)} subscribed; writing", file=sys.stderr, flush=True)
        started = time.monotonic()
        writer = subprocess.Popen(
            [
                *(sys.executable, "-m", "bench.writer", database_url, str(author)),
                *("--writes", field.writes, "--post", str(post)),
                *("--rate", str(rate), "--seconds", str(seconds)),
            ],
            stdout=subprocess.PIPE,
        )
        output, _ = await asyncio.to_thread(writer.communicate)
        lines = [json.loads(line) for line in output.decode().splitlines()]
        committed = {line["seq"]: line["committed"] for line in lines if "seq" in line}
        expected = len(committed) * field.events_per_write * live
        deadline = time.monotonic() + 60
        while sum(s.nexts for s in sockets) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        delivered = sum(s.nexts for s in sockets)
        server_used = cpu_seconds(server) - server_cpu
        client_used = own_cpu_seconds() - client_cpu
        latencies = latencies_ms(sockets[:SAMPLED_SOCKETS], field, committed)
        for socket in sockets:
            socket.close()
    return {
        "server": label,
        "engine": "shared" if shared else "per-subscriber",
        "workers": workers,
        "subscribers": live,
        "refused": len(tokens) - live,
        "events": len(committed) * field.events_per_write,
        "delivered": f"{delivered}/{expected}",
        "deliveries_per_s": round(delivered / elapsed),
        "deliveries_per_server_cpu_s": round(delivered / server_used),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "server_rss_kb_per_socket": round((rss_after - rss_before) / live / 1024, 1),
        "server_cpu_s": round(server_used, 1),
        "load_generator_cpu_s": round(lines[-1]["cpu_seconds"], 2),
        "client_cpu_s": round(client_used, 1),
    }


async def fanout(
    field: Field,
    subscribers: list[int],
    rate: float,
    seconds: float,
    before: list[int],
    label: str,
    workers: int,
    compare: str | None,
    compare_label: str,
) -> None:
    async with fresh_database() as database_url:
        author, post, users = await make_users(database_url, max(subscribers))
        settings = Settings(database_url=database_url, redis_url=REDIS_URL)
        rows = []
        for count in subscribers:
            row = partial(
                fanout_row,
                database_url,
                author,
                post,
                tokens_for(users[:count], settings),
                field=field,
                rate=rate,
                seconds=seconds,
            )
            if compare:
                rows.append(
                    await row(shared=True, workers=1, executable=compare, label=compare_label)
                )
                print(rows[-1], flush=True)
            for shared in (False, True) if count in before else (True,):
                rows.append(await row(shared=shared, workers=workers))
                print(rows[-1], flush=True)
    print(
        results_file.write(
            "_".join(filter(None, ("fanout", field.name, label))),
            f"Fan-out: {field.name} subscribers of one topic, {rate:g} writes/s for {seconds:g} s",
            rows,
            {
                "load": f"{field.described} written with plain SQL by bench/writer.py in its "
                "own process",
                "events": f"{field.events_per_write} per write",
                "latency": f"commit -> client, sampled on {SAMPLED_SOCKETS} sockets",
                "server": f"`momentum serve --workers {workers}` (relay included)",
            },
        )
    )


async def storm_row(
    database_url: str,
    author: uuid.UUID,
    tokens: list[str],
    concurrency: int,
    *,
    resume: bool,
    executable: str | None = None,
    label: str = "this version",
) -> dict[str, Any]:
    async with serving(database_url, executable=executable) as target:
        connection = await asyncpg.connect(database_url)
        await connection.execute(
            "INSERT INTO posts (user_id, content) VALUES ($1, 'post 0')", author
        )
        await connection.close()
        # Resuming from the start of the log replays that one post first: its arrival shows
        # the subscription runs (also for servers older than READY). From now: until READY.
        variables = {"after": "0.0"} if resume else {}
        server = psutil.Process(target.process.pid)
        server_cpu = cpu_seconds(server)
        started = time.monotonic()
        opened = await open_sockets(target, tokens, FEED, variables, 0, concurrency)
        async with asyncio.timeout(180):
            await asyncio.gather(*((s.first_next if resume else s.ready).wait() for s in opened))
        elapsed = time.monotonic() - started
        used = cpu_seconds(server) - server_cpu
        for socket in opened:
            socket.close()
        return {
            "server": label,
            "subscribe": "resume from the log's start" if resume else "from now (until READY)",
            "sockets": len(tokens),
            "in_flight": concurrency,
            "seconds": round(elapsed, 2),
            "handshakes_per_s": round(len(tokens) / elapsed),
            "server_cpu_ms_per_handshake": round(used / len(tokens) * 1000, 2),
        }


async def connect_storm(
    sockets: list[int], concurrency: int, compare: str | None, compare_label: str
) -> None:
    async with fresh_database() as database_url:
        author, _, users = await make_users(database_url, max(sockets))
        settings = Settings(database_url=database_url, redis_url=REDIS_URL)
        rows = []
        for count in sockets:
            tokens = tokens_for(users[:count], settings)
            if compare:
                rows.append(
                    await storm_row(
                        database_url,
                        author,
                        tokens,
                        concurrency,
                        resume=True,
                        executable=compare,
                        label=compare_label,
                    )
                )
                print(rows[-1], flush=True)
            for resume in (True, False):
                rows.append(
                    await storm_row(database_url, author, tokens, concurrency, resume=resume)
                )
                print(rows[-1], flush=True)
    print(
        results_file.write(
            "connect_storm",
            "Connect storm: TCP + websocket + connection_init + subscribe until live",
            rows,
            {"subscription": "feedEvents, each socket a different account"},
        )
    )


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    scenarios = parser.add_subparsers(dest="scenario", required=True)
    fan = scenarios.add_parser("fanout")
    fan.add_argument("--subscribers", type=int, nargs="+", default=[1000, 5000, 10000])
    fan.add_argument(
        "--before",
        type=int,
        nargs="*",
        default=[1000, 5000],
        help="subscriber counts also run with the engine off",
    )
    fan.add_argument("--field", choices=sorted(FIELDS), default="post-activity")
    fan.add_argument("--rate", type=float, default=5, help="writes per second")
    fan.add_argument("--label", default="", help="suffix of the results file's name")
    fan.add_argument("--seconds", type=float, default=20)
    fan.add_argument("--workers", type=int, default=1, help="server worker processes")
    fan.add_argument(
        "--compare", help="the `momentum` executable of another version, run first (1 worker)"
    )
    fan.add_argument("--compare-label", default="other version", help="its name in results")
    storm = scenarios.add_parser("connect-storm")
    storm.add_argument("--sockets", type=int, nargs="+", default=[2000, 10000])
    storm.add_argument("--concurrency", type=int, default=HANDSHAKES_IN_FLIGHT)
    storm.add_argument(
        "--compare", help="the `momentum` executable of another version, run first (resuming)"
    )
    storm.add_argument("--compare-label", default="other version", help="its name in results")
    options = parser.parse_args(arguments)
    if options.scenario == "fanout":
        asyncio.run(
            fanout(
                FIELDS[options.field],
                options.subscribers,
                options.rate,
                options.seconds,
                options.before,
                options.label,
                options.workers,
                options.compare,
                options.compare_label,
            )
        )
    else:
        asyncio.run(
            connect_storm(
                options.sockets, options.concurrency, options.compare, options.compare_label
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
