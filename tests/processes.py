"""Running the `momentum` command as a separate process, as a user would."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

MOMENTUM = str(Path(sys.executable).with_name("momentum"))
CONFIGURATION = ("DATABASE_URL", "REDIS_URL", "JWT_SECRET")


def environment(**overrides: str) -> dict[str, str]:
    """This process's environment without momentum configuration, plus the overrides."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in CONFIGURATION and not key.startswith("MOMENTUM_")
    }
    return clean | overrides


def run(
    args: list[str], env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own console script)
        [MOMENTUM, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Polls condition until it holds; fails with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
