"""Configuration is validated at start: clear messages, and no placeholder secrets in prod."""

import asyncio
import json
import subprocess
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from gql.settings import DEV_JWT_SECRET, Environment, Settings
from tests.databases import database_url_for, fresh_database
from tests.processes import MOMENTUM, environment, free_port, run, wait_until
from tests.test_embedded import answers, get_json

DATABASE_URL = "postgresql://db/app"
REDIS_URL = "redis://cache:6379/0"


def test_development_runs_with_no_configuration_and_embedded_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "MOMENTUM_ENV", "MOMENTUM_GRAPHIQL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.database_url, settings.redis_url) == (None, None)  # embedded ones start
    assert settings.graphiql_enabled
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET


def test_production_refuses_the_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET is the development placeholder"):
        Settings(env=Environment.PRODUCTION, database_url=DATABASE_URL, redis_url=REDIS_URL)


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(
            env=Environment.PRODUCTION,
            jwt_secret="short",
            database_url=DATABASE_URL,
            redis_url=REDIS_URL,
        )


REAL_SECRET = "9f2c1e7a4b8d3f60a5c9e2b7d41f8a36c0e5b9d2"


@pytest.mark.parametrize(
    ("secret", "explanation"),
    [
        (" " * 40, "must not contain whitespace"),
        ("s" * 40, "at least 10 distinct characters"),
        ("abababababababababababababababababababab", "at least 10 distinct characters"),
        (REAL_SECRET + "\n", "must not contain whitespace"),
    ],
)
def test_production_refuses_a_guessable_secret(secret: str, explanation: str) -> None:
    with pytest.raises(ValidationError, match=explanation):
        Settings(
            env=Environment.PRODUCTION,
            jwt_secret=secret,
            database_url=DATABASE_URL,
            redis_url=REDIS_URL,
        )


def test_production_refuses_embedded_services() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL is required"):
        Settings(env=Environment.PRODUCTION, jwt_secret=REAL_SECRET, redis_url="redis://x")


def test_accepting_supabase_tokens_needs_their_issuer() -> None:
    with pytest.raises(ValidationError, match="MOMENTUM_SUPABASE_ISSUER"):
        Settings(accept_supabase_tokens=True)


def test_production_with_real_configuration_turns_graphiql_and_metrics_off() -> None:
    settings = Settings(
        env=Environment.PRODUCTION,
        jwt_secret=REAL_SECRET,
        database_url=DATABASE_URL,
        redis_url=REDIS_URL,
    )
    assert not settings.graphiql_enabled
    assert not settings.metrics_enabled
    assert REAL_SECRET not in repr(settings)
    assert DATABASE_URL not in repr(settings)


@pytest.mark.parametrize(
    ("variables", "explanation"),
    [
        ({"MOMENTUM_PORT": "99999"}, "MOMENTUM_PORT: Input should be less than or equal to 65535"),
        ({"MOMENTUM_ENV": "production"}, "JWT_SECRET is the development placeholder"),
        (
            {"MOMENTUM_ENV": "staging"},
            "MOMENTUM_ENV: Input should be 'development', 'test' or 'production'",
        ),
        ({"DATABASE_URL": "mysql://u@h/d"}, "DATABASE_URL: must be a postgresql:// URL"),
        ({"REDIS_URL": "http://h"}, "REDIS_URL: must be a redis://, rediss:// or unix:// URL"),
    ],
)
def test_the_cli_explains_invalid_configuration_and_exits_2(
    variables: dict[str, str], explanation: str
) -> None:
    result = run(["serve"], environment(**variables))
    assert result.returncode == 2
    assert result.stderr.startswith("momentum: ")
    assert explanation in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variables", "explanation"),
    [
        ({"DATABASE_URL": "postgresql://root@127.0.0.1:1/momentum"}, "connection refused"),
        ({"DATABASE_URL": "postgresql://root@host.invalid/momentum"}, "unknown host"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL (127.0.0.1:1/0): connection refused"),
    ],
)
def test_an_unreachable_database_or_redis_is_one_line_and_exit_2(
    database_url: str, variables: dict[str, str], explanation: str
) -> None:
    both = {"DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:6379/0"} | variables
    result = run(["migrate"], environment(**both))
    assert result.returncode == 2
    assert explanation in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_missing_database_says_so(postgres_admin_url: str) -> None:
    missing = postgres_admin_url.rsplit("/", 1)[0] + "/momentum_missing_db"
    result = run(
        ["migrate"], environment(DATABASE_URL=missing, REDIS_URL="redis://127.0.0.1:6379/0")
    )
    assert result.returncode == 2
    assert 'database "momentum_missing_db" does not exist' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def test_serve_seed_loads_the_sample_data_into_a_configured_database(
    postgres_admin_url: str, redis_url: str, tmp_path: Path
) -> None:
    name = f"momentum_seed_{uuid.uuid4().hex[:8]}"
    async with fresh_database(postgres_admin_url, name):
        url = database_url_for(postgres_admin_url, name)
        port = free_port()
        with (tmp_path / "serve.log").open("w") as output:
            server = await asyncio.to_thread(
                subprocess.Popen,
                [MOMENTUM, "serve", "--seed", "--port", str(port)],
                env=environment(DATABASE_URL=url, REDIS_URL=redis_url),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            await asyncio.to_thread(
                wait_until,
                lambda: answers(f"{base}/healthz") or server.poll() is not None,
                timeout=90,
                what="momentum serve --seed to answer",
            )
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            templates = get_json(
                f"{base}/graphql", json.dumps({"query": "{ goalTemplates { id } }"}).encode()
            )
        finally:
            server.terminate()
            await asyncio.to_thread(server.wait, 30)
    assert isinstance(templates, dict)
    assert len(templates["data"]["goalTemplates"]) == 4
