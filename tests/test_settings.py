"""Configuration is validated at start: clear messages, and no placeholder secrets in prod."""

import pytest
from pydantic import ValidationError

from gql.settings import DEV_JWT_SECRET, Environment, Settings
from tests.processes import environment, run

DATABASE_URL = "postgresql://db/app"
REDIS_URL = "redis://cache:6379/0"


def test_development_runs_with_no_configuration_and_embedded_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "MOMENTUM_ENV", "MOMENTUM_GRAPHIQL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.embedded
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
    assert not settings.embedded
    assert not settings.graphiql_enabled
    assert not settings.metrics_enabled
    assert REAL_SECRET not in repr(settings)
    assert DATABASE_URL not in repr(settings)


@pytest.mark.parametrize(
    ("variables", "explanation"),
    [
        ({"MOMENTUM_PORT": "99999"}, "port: Input should be less than or equal to 65535"),
        ({"MOMENTUM_ENV": "production"}, "JWT_SECRET is the development placeholder"),
        ({"MOMENTUM_ENV": "staging"}, "env: Input should be 'development', 'test' or 'production'"),
    ],
)
def test_the_cli_explains_invalid_configuration_and_exits_2(
    variables: dict[str, str], explanation: str
) -> None:
    result = run(["serve"], environment(**variables))
    assert result.returncode == 2
    assert result.stderr.startswith("momentum: invalid configuration:")
    assert explanation in result.stderr
    assert "Traceback" not in result.stderr
