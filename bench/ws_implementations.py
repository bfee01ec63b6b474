"""Websocket implementations side by side: server memory per idle subscribed socket, handshakes
per second, and deliveries per server CPU-second, for each of uvicorn's implementations
(`MOMENTUM_WS`: websockets-sansio, websockets, wsproto).

For each: `momentum serve` opens N/2 feedEvents subscriptions (distinct accounts, from now,
until READY), then N/2 more; memory per socket is the slope of the server's RSS between the
two (what one more idle subscribed socket costs, start-up and allocator warm-up left out).
Then posts are written (every subscriber receives each) and deliveries per server
CPU-second are counted.

    python -m bench ws-implementations [--sockets 10000]
"""

import argparse
import asyncio
import sys
import time
from typing import Any

import psutil

from bench import results_file
from bench.fanout import (
    FEED,
    cpu_seconds,
    make_users,
    open_sockets,
    rss_bytes,
    settle,
    tokens_for,
)
from bench.reconnect_storm import Posts, until
from bench.server import REDIS_URL, fresh_database, serving
from gql.settings import Settings

IMPLEMENTATIONS = ("websockets-sansio", "websockets", "wsproto")
POSTS = 10


async def measure(database_url: str, tokens: list[str], posts: Posts, ws: str) -> dict[str, Any]:
    half = len(tokens) // 2
    async with serving(database_url, MOMENTUM_WS=ws) as target:
        server = psutil.Process(target.process.pid)
        await asyncio.sleep(1.0)  # start-up work (relay election) settles
        first = await open_sockets(target, tokens[:half], FEED, {}, 0)
        await settle(first)
        rss_half = rss_bytes(server)
        cpu = cpu_seconds(server)
        started = time.monotonic()
        second = await open_sockets(target, tokens[half:], FEED, {}, 0)
        live = await settle(second)
        elapsed = time.monotonic() - started
        handshake_cpu = cpu_seconds(server) - cpu
        rss_full = rss_bytes(server)
        sockets = first + second
        cpu = cpu_seconds(server)
        before = sum(socket.nexts for socket in sockets)
        await posts.write(POSTS)
        expected = before + POSTS * len(sockets)
        await until(lambda: sum(s.nexts for s in sockets) >= expected, 120)
        delivered = sum(socket.nexts for socket in sockets) - before
        delivery_cpu = cpu_seconds(server) - cpu
        for socket in sockets:
            socket.close()
    return {
        "implementation": ws,
        "sockets": len(tokens),
        "live": half + live,
        "rss_kb_per_socket": round((rss_full - rss_half) / (len(tokens) - half) / 1024, 1),
        "handshakes_per_s": round((len(tokens) - half) / elapsed),
        "server_cpu_ms_per_handshake": round(handshake_cpu / (len(tokens) - half) * 1000, 2),
        "delivered": f"{delivered}/{POSTS * len(sockets)}",
        "deliveries_per_server_cpu_s": round(delivered / delivery_cpu),
    }


async def run(count: int) -> None:
    async with fresh_database() as database_url:
        author, _, users = await make_users(database_url, count)
        tokens = tokens_for(users, Settings(database_url=database_url, redis_url=REDIS_URL))
        posts = Posts(database_url, author)
        rows = []
        for ws in IMPLEMENTATIONS:
            rows.append(await measure(database_url, tokens, posts, ws))
            print(rows[-1], flush=True)
    print(
        results_file.write(
            "websocket_implementations",
            "Websocket implementations: memory per idle socket, handshakes, deliveries",
            rows,
            {
                "subscription": "feedEvents (from now, until READY), each socket its own account",
                "rss_kb_per_socket": f"slope of the server's RSS from {count // 2} to {count} "
                "sockets",
                "deliveries": f"{POSTS} public posts, each to every subscriber",
                "direct frames": "only websockets-sansio takes pre-encoded frames straight to "
                "its transport (gql/realtime/sink.py); the others go through their send",
            },
        )
    )


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=10000)
    options = parser.parse_args(arguments)
    asyncio.run(run(options.sockets))


if __name__ == "__main__":
    main(sys.argv[1:])
