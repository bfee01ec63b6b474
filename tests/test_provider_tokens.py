"""Sign-in providers' tokens: encrypted at rest, keys rotated without downtime, and
production refusing to start without a key while tokens are stored."""

import uuid
from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Environment, Settings
from resolvers.provider_tokens import MissingKey, TokenCipher
from tests.graphql import asgi_client, people
from tests.processes import environment, run

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_the_newest_key_encrypts_and_every_key_decrypts() -> None:
    old = TokenCipher([OLD])
    stored = old.encrypt("provider-access-token")
    assert stored != "provider-access-token"
    assert stored != old.encrypt("provider-access-token")  # a fresh IV each time
    both = TokenCipher([NEW, OLD])
    assert both.decrypt(stored) == "provider-access-token"
    rotated = both.current(stored)
    assert TokenCipher([NEW]).decrypt(rotated) == "provider-access-token"
    assert TokenCipher([NEW]).decrypt(both.current("plain")) == "plain"
    with pytest.raises(MissingKey):
        TokenCipher([NEW]).decrypt(stored)
    with pytest.raises(MissingKey):
        TokenCipher([]).encrypt("x")


def test_a_malformed_key_is_refused_naming_the_variable() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(provider_token_keys=SecretStr(f"{NEW},not-a-key"))
    assert "provider_token_keys" in str(refused.value)


@pytest.fixture
async def stored_tokens(engine: AsyncEngine, settings: Settings) -> AsyncIterator[uuid.UUID]:
    """Two accounts' provider tokens: one plaintext (imported), one under the old key. They
    are removed afterwards: production apps in other tests would refuse to start."""
    first, second = await people(engine, settings, 2)
    async with engine.begin() as db:
        await db.execute(
            text(
                "INSERT INTO oauth_accounts (user_id, provider, provider_user_id, access_token, "
                "refresh_token) VALUES (:a, 'google', :pa, 'plain-access', NULL), "
                "(:b, 'google', :pb, :enc, :enc)"
            ),
            {
                "a": first.id,
                "b": second.id,
                "pa": uuid.uuid4().hex,
                "pb": uuid.uuid4().hex,
                "enc": TokenCipher([OLD]).encrypt("old-secret"),
            },
        )
    yield first.id
    async with engine.begin() as db:
        await db.execute(
            text("DELETE FROM oauth_accounts WHERE user_id IN (:a, :b)"),
            {"a": first.id, "b": second.id},
        )


async def test_rotation_re_encrypts_every_token_under_the_newest_key(
    database_url: str, engine: AsyncEngine, stored_tokens: uuid.UUID
) -> None:
    keys = environment(DATABASE_URL=database_url, MOMENTUM_PROVIDER_TOKEN_KEYS=f"{NEW},{OLD}")
    result = run(["provider-tokens", "rotate"], keys)
    assert result.returncode == 0, result.stderr
    async with engine.connect() as db:
        rows = (
            await db.execute(
                text(
                    "SELECT access_token, refresh_token FROM oauth_accounts "
                    "WHERE access_token IS NOT NULL OR refresh_token IS NOT NULL"
                )
            )
        ).all()
    newest = TokenCipher([NEW])
    assert sorted(newest.decrypt(row.access_token) for row in rows) == [
        "old-secret",
        "plain-access",
    ]
    assert "plain-access" not in {row.access_token for row in rows}
    missing = run(["provider-tokens", "rotate"], environment(DATABASE_URL=database_url))
    assert missing.returncode == 2 and "MOMENTUM_PROVIDER_TOKEN_KEYS" in missing.stderr


async def test_production_needs_a_key_while_tokens_are_stored(
    settings: Settings, stored_tokens: uuid.UUID
) -> None:
    production = settings.model_copy(update={"env": Environment.PRODUCTION})
    with pytest.raises(MissingKey, match="MOMENTUM_PROVIDER_TOKEN_KEYS is required"):
        async with asgi_client(production):
            pass
    keyed = production.model_copy(update={"provider_token_keys": SecretStr(NEW)})
    async with asgi_client(keyed) as http:
        assert (await http.get("/healthz")).status_code == 200
