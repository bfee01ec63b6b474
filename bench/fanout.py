"""Fan-out: N subscribers of one topic on one server process, and how fast sockets subscribe.

`fanout`: N users (distinct accounts) hold `feedEvents` subscriptions on one `momentum serve`
process; a load generator in its own process (bench/writer.py) writes public posts with plain
SQL at a fixed rate, and every subscriber receives every post. Measured per N: deliveries/s,
deliveries per server CPU-second (user+system of the server process, relay included), commit
-> client latency p50/p99 (on a sample of sockets), server RSS per idle subscribed socket, and
the CPU of the load generator and of the client process. Each N runs with the fan-out engine
off (`MOMENTUM_SHARED_EXECUTION=false`, every subscriber executes and serializes each event)
and on, in the same run, so the two are comparable.

`connect-storm`: M sockets opened at once (at most C handshakes in flight), each doing the
TCP and websocket handshakes, connection_init, subscribe with a cursor just before the newest
post, until its first event arrives (its subscription is then live): handshakes per second.

    python -m bench fanout [--subscribers 1000 5000 10000 --rate 5 --seconds 20]
    python -m bench connect-storm [--sockets 2000 --concurrency 200]
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
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
SAMPLED_SOCKETS = 50
HANDSHAKES_IN_FLIGHT = 200


async def make_users(dsn: str, count: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """An author and `count` subscribers."""
    connection = await asyncpg.connect(dsn)
    author = await connection.fetchval(
        "INSERT INTO users (email, name, username) VALUES ('author@example.com', 'Author', "
        "'author') RETURNING id"
    )
    rows = await connection.fetch(
        "INSERT INTO users (email, name, username) "
        "SELECT 'fan' || n || '@example.com', 'Fan ' || n, 'fan_' || n "
        "FROM generate_series(1, $1) AS n RETURNING id",
        count,
    )
    await connection.execute("DELETE FROM realtime_events")  # set-up is not news
    await connection.close()
    return author, [row["id"] for row in rows]


def tokens_for(users: list[uuid.UUID], settings: Settings) -> list[str]:
    now = datetime.now(UTC)
    return [issue_access_token(user_id=u, policy=settings.token_policy, now=now) for u in users]


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def active_subscriptions(address: str) -> float:
    """feedEvents subscriptions running on the server, from its /metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://{address}/metrics")).text
    for line in text.splitlines():
        if line.startswith('momentum_active_subscriptions{field="feedEvents"}'):
            return float(line.split()[-1])
    return 0.0


async def open_sockets(
    target: Target,
    tokens: list[str],
    variables: dict[str, Any],
    sampled: int,
    in_flight: int = HANDSHAKES_IN_FLIGHT,
) -> list[wsclient.Socket]:
    host, port = target.address.split(":")
    gate = asyncio.Semaphore(in_flight)

    async def one(number: int, token: str) -> wsclient.Socket:
        async with gate:
            return await wsclient.subscribe(
                host, int(port), token, FEED, variables, keep_frames=number < sampled
            )

    return list(await asyncio.gather(*(one(n, t) for n, t in enumerate(tokens))))


async def settle(address: str, expected: int) -> None:
    """Waits until the server runs all the subscriptions (polled from /metrics)."""
    async with asyncio.timeout(120):
        while await active_subscriptions(address) < expected:
            await asyncio.sleep(0.2)


def latencies_ms(sockets: list[wsclient.Socket], committed: dict[int, float]) -> list[float]:
    values = []
    for socket in sockets:
        for received, payload in socket.frames:
            content = json.loads(payload)["payload"]["data"]["feedEvents"]["post"]["content"]
            values.append((received - committed[int(content.split()[1])]) * 1000)
    return values


async def fanout_row(
    database_url: str,
    author: uuid.UUID,
    tokens: list[str],
    *,
    shared: bool,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    settings = {"MOMENTUM_SHARED_EXECUTION": str(shared).lower()}
    async with serving(database_url, **settings) as target:
        server = psutil.Process(target.process.pid)
        await asyncio.sleep(1.0)  # the server's own start-up work (relay election) settles
        rss_before = server.memory_info().rss
        sockets = await open_sockets(target, tokens, {}, SAMPLED_SOCKETS)
        await settle(target.address, len(tokens))
        rss_after = server.memory_info().rss
        server_cpu, client_cpu = cpu_seconds(server), own_cpu_seconds()
        print(f"{len(tokens)} subscribed; writing", file=sys.stderr, flush=True)
        started = time.monotonic()
        writer = subprocess.Popen(
            [
                *(sys.executable, "-m", "bench.writer", database_url, str(author)),
                *("--rate", str(rate), "--seconds", str(seconds)),
            ],
            stdout=subprocess.PIPE,
        )
        output, _ = await asyncio.to_thread(writer.communicate)
        lines = [json.loads(line) for line in output.decode().splitlines()]
        committed = {line["seq"]: line["committed"] for line in lines if "seq" in line}
        expected = len(committed) * len(sockets)
        deadline = time.monotonic() + 60
        while sum(s.nexts for s in sockets) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        delivered = sum(s.nexts for s in sockets)
        server_used = cpu_seconds(server) - server_cpu
        client_used = own_cpu_seconds() - client_cpu
        latencies = latencies_ms(sockets[:SAMPLED_SOCKETS], committed)
        for socket in sockets:
            socket.close()
    return {
        "engine": "shared" if shared else "per-subscriber",
        "subscribers": len(tokens),
        "events": len(committed),
        "delivered": f"{delivered}/{expected}",
        "deliveries_per_s": round(delivered / elapsed),
        "deliveries_per_server_cpu_s": round(delivered / server_used),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "server_rss_kb_per_socket": round((rss_after - rss_before) / len(tokens) / 1024, 1),
        "server_cpu_s": round(server_used, 1),
        "load_generator_cpu_s": round(lines[-1]["cpu_seconds"], 2),
        "client_cpu_s": round(client_used, 1),
    }


async def fanout(subscribers: list[int], rate: float, seconds: float, before: list[int]) -> None:
    async with fresh_database() as database_url:
        author, users = await make_users(database_url, max(subscribers))
        settings = Settings(database_url=database_url, redis_url=REDIS_URL)
        rows = []
        for count in subscribers:
            tokens = tokens_for(users[:count], settings)
            for shared in (False, True) if count in before else (True,):
                rows.append(
                    await fanout_row(
                        database_url, author, tokens, shared=shared, rate=rate, seconds=seconds
                    )
                )
                print(rows[-1], flush=True)
    print(
        results_file.write(
            "fanout",
            f"Fan-out: feedEvents subscribers of one topic, {rate:g} posts/s for {seconds:g} s",
            rows,
            {
                "load": "posts written with plain SQL by bench/writer.py in its own process",
                "latency": f"commit -> client, sampled on {SAMPLED_SOCKETS} sockets",
                "server": "one `momentum serve` process (relay included)",
            },
        )
    )


async def connect_storm(sockets: int, concurrency: int) -> None:
    async with fresh_database() as database_url:
        author, users = await make_users(database_url, sockets)
        settings = Settings(database_url=database_url, redis_url=REDIS_URL)
        tokens = tokens_for(users, settings)
        rows = []
        async with serving(database_url) as target:
            connection = await asyncpg.connect(database_url)
            await connection.execute(
                "INSERT INTO posts (user_id, content) VALUES ($1, 'post 0')", author
            )
            await connection.close()
            # Subscribing from the start of the log replays that one post at once: its arrival
            # proves the subscription is live.
            variables = {"after": "0.0"}
            server = psutil.Process(target.process.pid)
            server_cpu = cpu_seconds(server)
            started = time.monotonic()
            opened = await open_sockets(target, tokens, variables, 0, concurrency)
            async with asyncio.timeout(120):
                await asyncio.gather(*(socket.first_next.wait() for socket in opened))
            elapsed = time.monotonic() - started
            rows.append(
                {
                    "sockets": sockets,
                    "in_flight": concurrency,
                    "seconds": round(elapsed, 2),
                    "handshakes_per_s": round(sockets / elapsed),
                    "server_cpu_s": round(cpu_seconds(server) - server_cpu, 1),
                }
            )
            for socket in opened:
                socket.close()
    print(
        results_file.write(
            "connect_storm",
            "Connect storm: TCP + websocket + connection_init + subscribe until the first event",
            rows,
            {"subscription": "feedEvents(after: <log start>): one replayed event proves it live"},
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
    fan.add_argument("--rate", type=float, default=5)
    fan.add_argument("--seconds", type=float, default=20)
    storm = scenarios.add_parser("connect-storm")
    storm.add_argument("--sockets", type=int, default=2000)
    storm.add_argument("--concurrency", type=int, default=HANDSHAKES_IN_FLIGHT)
    options = parser.parse_args(arguments)
    if options.scenario == "fanout":
        asyncio.run(fanout(options.subscribers, options.rate, options.seconds, options.before))
    else:
        asyncio.run(connect_storm(options.sockets, options.concurrency))


if __name__ == "__main__":
    main(sys.argv[1:])
