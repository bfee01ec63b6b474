"""The Python example (examples/live_meals.py, with the `gql` client in its own environment
made from examples/requirements.txt) logs in and receives a change live."""

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers.passwords import hash_password
from tests.graphql import sql
from tests.live import WAIT_SECONDS, live_server

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


@pytest.fixture(scope="module")
async def example_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the example's pinned requirements (from PyPI)."""
    venv = tmp_path_factory.mktemp("example") / "venv"
    for command in (
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "pip"), "install", "-q", "-r", str(EXAMPLES / "requirements.txt")],
    ):
        process = await asyncio.create_subprocess_exec(*command)
        assert await process.wait() == 0, command
    return venv / "bin" / "python"


async def test_the_python_example_logs_in_and_receives_a_change_live(
    address: str, engine: AsyncEngine, example_python: Path
) -> None:
    email = f"py-{uuid.uuid4().hex[:8]}@example.com"
    async with engine.begin() as db:
        user = await db.scalar(
            text("INSERT INTO users (email, name, password_hash) VALUES (:e, 'Py', :h) "
                 "RETURNING id"),
            {"e": email, "h": await hash_password("py-password-1")},
        )  # fmt: skip
    client = await asyncio.create_subprocess_exec(
        str(example_python),
        str(EXAMPLES / "live_meals.py"),
        *("--url", f"ws://{address}/graphql", "--email", email),
        *("--password", "py-password-1", "--count", "2"),
        stdout=asyncio.subprocess.PIPE,
    )
    assert client.stdout is not None
    async with asyncio.timeout(WAIT_SECONDS):
        ready = json.loads(await client.stdout.readline())
        assert ready["operation"] == "READY"
        await sql(
            engine,
            "INSERT INTO meal_logs (user_id, logged_on, meal_type, name, calories) "
            "VALUES (:u, current_date, 'snack', 'Apple', 95)",
            u=user,
        )
        meal = json.loads(await client.stdout.readline())
        assert await client.wait() == 0
    assert meal["operation"] == "INSERT"
    assert meal["record"] == {"name": "Apple", "calories": 95}
