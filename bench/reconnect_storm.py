"""Reconnect storm after a restart: N clients holding resume cursors come back at once.

N accounts subscribe to feedEvents on `momentum serve` (from now, until READY) and receive
the first posts; the server is stopped (SIGTERM, as in a deploy), more posts are written
while it is down, it is started again on the same port, and every client reconnects with
the cursor of the last event it received, all at once (at most `--in-flight` TCP and
websocket handshakes open at a time, as a load balancer's connection queue would hold them).
Posts keep being written while they reconnect, and a few more once all are back.

A client refused with a retry hint (close 1013, or an HTTP refusal) or cut off waits a
moment and tries again, as graphql-ws does. At the end every client must hold every post
exactly once, in order: lost, duplicated and out-of-order posts are counted over all
clients, and so are RESYNCs (a client told to refetch instead of being replayed).

    python -m bench reconnect-storm [--sockets 2000 10000 --workers 1 2 --compare EXE]
"""

import argparse
import asyncio
import collections
import contextlib
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import asyncpg
import psutil

from bench import results_file, wsclient
from bench.fanout import FEED, cpu_seconds, make_users, tokens_for
from bench.server import REDIS_URL, Target, free_port, fresh_database, serving
from gql.settings import Settings

POSTS_BEFORE = 3  # received by everyone before the restart
POSTS_DURING_OUTAGE = 10
POSTS_AFTER = 3  # once everyone is back
WRITES_PER_SECOND_WHILE_RECONNECTING = 1
RETRY_SECONDS = (0.5, 2.0)  # a refused client waits a random time in this range
DEADLINE_SECONDS = 180


@dataclass
class Posts:
    """Posts written with plain SQL, numbered in order: "post 0", "post 1", ..."""

    database_url: str
    author: uuid.UUID
    written: int = 0

    async def write(self, count: int) -> None:
        connection = await asyncpg.connect(self.database_url)
        try:
            for _ in range(count):
                await connection.execute(
                    "INSERT INTO posts (user_id, content) VALUES ($1, $2)",
                    self.author,
                    f"post {self.written}",
                )
                self.written += 1
        finally:
            await connection.close()

    async def keep_writing(self, per_second: float, stop: asyncio.Event) -> None:
        """One post at a time at the rate, until `stop` is set (never cut off mid-write)."""
        while not stop.is_set():
            await self.write(1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / per_second)

    def expected(self) -> list[str]:
        return [f"post {number}" for number in range(self.written)]


@dataclass
class Client:
    """One app: its token and the sockets it used, in order."""

    token: str
    sockets: list[wsclient.Socket] = field(default_factory=list)
    refusals: int = 0
    stage: str = "new"  # how far its newest attempt got

    @property
    def socket(self) -> wsclient.Socket:
        return self.sockets[-1]

    @property
    def contents(self) -> list[str]:
        return [content for socket in self.sockets for content in socket.contents]

    async def connect(
        self, target: Target, gate: asyncio.Semaphore, after: str | None, live: str
    ) -> None:
        """Subscribes (resuming after the cursor) until the socket's `live` event is set,
        retrying after refusals and cut-off connections."""
        host, port = target.address.split(":")
        variables = {} if after is None else {"after": after}
        while True:
            try:
                self.stage = "waiting for a handshake slot"
                async with gate:
                    self.stage = "handshake"
                    socket = await wsclient.subscribe(
                        host, int(port), self.token, FEED, variables, record=True
                    )
                self.sockets.append(socket)
                self.stage = "subscribed"
                if await wsclient.unless_closed(socket, getattr(socket, live)):
                    self.stage = "live"
                    return
                self.stage = f"closed {socket.close_code}"
            except (ConnectionError, OSError) as error:
                self.stage = f"failed: {error}"[:60]
            self.refusals += 1
            await asyncio.sleep(random.uniform(*RETRY_SECONDS))


async def until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def states(clients: list[Client]) -> collections.Counter[str]:
    """How far each client's newest attempt got (for a report on clients that did not)."""
    return collections.Counter(client.stage for client in clients)


def check(clients: list[Client], expected: list[str]) -> dict[str, int]:
    """Lost, duplicated and out-of-order posts over all clients; RESYNCs received."""
    lost = duplicated = out_of_order = 0
    for client in clients:
        received = client.contents
        lost += len(set(expected) - set(received))
        duplicated += len(received) - len(set(received))
        out_of_order += received != sorted(set(received), key=expected.index)
    return {
        "lost": lost,
        "duplicated": duplicated,
        "clients_out_of_order": out_of_order,
        "resyncs": sum(socket.resyncs for client in clients for socket in client.sockets),
    }


async def storm(
    count: int, workers: int, in_flight: int, executable: str | None, label: str
) -> dict[str, Any]:
    async with fresh_database() as database_url:
        author, _, users = await make_users(database_url, count)
        settings = Settings(database_url=database_url, redis_url=REDIS_URL)
        clients = [Client(token) for token in tokens_for(users, settings)]
        posts = Posts(database_url, author)
        port = free_port()
        server = partial(
            serving, database_url, executable=executable, port=port, MOMENTUM_WORKERS=str(workers)
        )
        gate = asyncio.Semaphore(in_flight)
        # A version without READY: live once acknowledged and a while later, and resumed at
        # its first replayed event (posts were written while it was down).
        live, resumed_signal = ("ready", "ready") if executable is None else ("acked", "first_next")
        async with server() as target:
            await asyncio.sleep(1.0 + workers)  # start-up work (workers, relay election)
            await asyncio.gather(*(client.connect(target, gate, None, live) for client in clients))
            if executable is not None:
                await asyncio.sleep(5)
            await posts.write(POSTS_BEFORE)
            if not await until(lambda: all(len(c.contents) == POSTS_BEFORE for c in clients), 60):
                sys.exit("not every client received the posts written before the restart")
            print(f"{count} clients live; restarting", file=sys.stderr, flush=True)
            stopping = time.monotonic()
        stopped = time.monotonic()
        if not await until(lambda: all(c.socket.closed.is_set() for c in clients), 30):
            sys.exit("the server stopped but some sockets stayed open")
        await posts.write(POSTS_DURING_OUTAGE)
        restarted = time.monotonic()
        async with server() as target:
            answering = time.monotonic()
            process = psutil.Process(target.process.pid)
            cpu = cpu_seconds(process)
            stop_writing = asyncio.Event()
            writing = asyncio.create_task(
                posts.keep_writing(WRITES_PER_SECOND_WHILE_RECONNECTING, stop_writing)
            )
            reconnecting = [
                asyncio.ensure_future(
                    client.connect(target, gate, client.socket.cursor, resumed_signal)
                )
                for client in clients
            ]
            _, pending = await asyncio.wait(reconnecting, timeout=DEADLINE_SECONDS)
            resumed = time.monotonic()
            for task in pending:
                task.cancel()
            if pending:
                print(f"{len(pending)} not resumed: {states(clients)}", file=sys.stderr)
            used = cpu_seconds(process) - cpu
            stop_writing.set()
            await writing
            await posts.write(POSTS_AFTER)
            expected = posts.expected()
            await until(lambda: all(len(c.contents) >= len(expected) for c in clients), 60)
            still_open = sum(not client.socket.closed.is_set() for client in clients)
            for client in clients:
                client.socket.close()
    return {
        "server": label,
        "workers": workers,
        "clients": count,
        "shutdown_s": round(stopped - stopping, 1),
        "not_resumed": len(pending),
        "restart_to_all_resumed_s": round(resumed - restarted, 1),
        "answering_to_all_resumed_s": round(resumed - answering, 1),
        "resumed_per_s": round(count / (resumed - answering)),
        "server_cpu_ms_per_resume": round(used / count * 1000, 2),
        "refused_then_retried": sum(client.refusals for client in clients),
        "open_at_end": still_open,
        "posts": len(expected),
        **check(clients, expected),
    }


async def run(
    sockets: list[int],
    workers: list[int],
    in_flight: int,
    compare: str | None,
    compare_label: str,
) -> None:
    rows = []
    for count in sockets:
        if compare and count == min(sockets):
            rows.append(await storm(count, 1, in_flight, compare, compare_label))
            print(rows[-1], flush=True)
        for worker_count in workers:
            rows.append(await storm(count, worker_count, in_flight, None, "this version"))
            print(rows[-1], flush=True)
    print(
        results_file.write(
            "reconnect_storm",
            "Reconnect storm: clients holding resume cursors come back after a restart",
            rows,
            {
                "subscription": "feedEvents, each client a different account",
                "posts": f"{POSTS_BEFORE} before the restart, {POSTS_DURING_OUTAGE} while the "
                f"server is down, {WRITES_PER_SECOND_WHILE_RECONNECTING}/s while clients "
                f"reconnect, {POSTS_AFTER} once all are back",
                "clients": f"at most {in_flight} handshakes in flight; a refused or cut-off "
                f"client retries after {RETRY_SECONDS[0]}-{RETRY_SECONDS[1]} s",
                "restart_to_all_resumed_s": "from starting the new server process until every "
                "client's subscription is live again (READY after its replay)",
            },
        )
    )


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, nargs="+", default=[10000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--in-flight", type=int, default=1000)
    parser.add_argument(
        "--compare",
        help="the `momentum` executable of another version, run with the fewest sockets and "
        "one worker",
    )
    parser.add_argument("--compare-label", default="other version", help="its name in results")
    options = parser.parse_args(arguments)
    asyncio.run(
        run(
            options.sockets,
            options.workers,
            options.in_flight,
            options.compare,
            options.compare_label,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
