"""Signing up, logging in, refreshing, and every way a token can be bad."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers.sample_data import TEST_PASSWORD
from resolvers.tokens import (
    AUDIENCE,
    ISSUER,
    SUPABASE_AUDIENCE,
    TokenPolicy,
    issue_access_token,
)
from tests.graphql import error_codes, gql, person

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { accessToken refreshToken user { id email profile { username } } }
}
"""
LOG_IN = """
mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { accessToken refreshToken user { id email } }
}
"""
REFRESH = """
mutation Refresh($token: String!) {
  refreshTokens(refreshToken: $token) { accessToken refreshToken user { id } }
}
"""
ME = "{ me { id email plan profile { username } } }"


def sign_up_input(**overrides: str) -> dict[str, str]:
    handle = f"u{uuid.uuid4().hex[:10]}"
    return {
        "email": f"{handle}@Example.com",
        "password": "correct horse battery",
        "name": "New Person",
        "username": handle,
    } | overrides


async def users_with_email(engine: AsyncEngine, email: str) -> int:
    async with engine.connect() as connection:
        count: int = await connection.scalar(
            text("SELECT count(*) FROM users WHERE email = :email"), {"email": email.lower()}
        )
    return count


async def test_sign_up_returns_tokens_that_work_and_stores_an_argon2id_hash(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    details = sign_up_input()
    body = await gql(client, SIGN_UP, {"input": details})
    payload = body["data"]["signUp"]
    assert payload["user"]["email"] == details["email"].lower()

    me = await gql(client, ME, token=payload["accessToken"])
    assert me["data"]["me"]["profile"]["username"] == details["username"]
    assert me["data"]["me"]["plan"] == "free"
    async with engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT password_hash FROM users WHERE id = :id"), {"id": payload["user"]["id"]}
        )
    assert stored.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@x.io"),
        ("username", "Has Spaces"),
        ("username", "ab"),
        ("password", "short"),
        ("password", "p" * 129),
        ("name", "   "),
    ],
)
async def test_sign_up_refuses_bad_input_and_writes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, field: str, value: str
) -> None:
    details = sign_up_input(**{field: value})
    body = await gql(client, SIGN_UP, {"input": details})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert await users_with_email(engine, details["email"]) == 0


async def test_sign_up_with_a_taken_email_or_username_is_a_conflict(
    client: httpx.AsyncClient,
) -> None:
    first = sign_up_input()
    assert "errors" not in await gql(client, SIGN_UP, {"input": first})

    same_email = await gql(client, SIGN_UP, {"input": sign_up_input(email=first["email"])})
    same_username = await gql(client, SIGN_UP, {"input": sign_up_input(username=first["username"])})
    assert error_codes(same_email) == ["CONFLICT"]
    assert same_email["errors"][0]["extensions"]["field"] == "email"
    assert error_codes(same_username) == ["CONFLICT"]
    assert same_username["errors"][0]["extensions"]["field"] == "username"


async def test_log_in_with_a_wrong_password_or_unknown_email_says_the_same(
    client: httpx.AsyncClient,
) -> None:
    details = sign_up_input()
    await gql(client, SIGN_UP, {"input": details})
    wrong = await gql(client, LOG_IN, {"email": details["email"], "password": "nope nope"})
    unknown = await gql(client, LOG_IN, {"email": "nobody@example.com", "password": "nope nope"})
    assert error_codes(wrong) == error_codes(unknown) == ["UNAUTHENTICATED"]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]


async def test_a_supabase_bcrypt_user_logs_in_and_is_rehashed_with_argon2id(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    email = f"migrated-{uuid.uuid4().hex[:8]}@example.com"
    async with engine.begin() as connection:
        bcrypt_hash = await connection.scalar(
            text("SELECT password_hash FROM users WHERE email = 'test@fitnudge.app'")
        )
        await connection.execute(
            text("INSERT INTO users (email, name, password_hash) VALUES (:e, 'M', :h)"),
            {"e": email, "h": bcrypt_hash},
        )
    assert bcrypt_hash.startswith("$2b$")

    body = await gql(client, LOG_IN, {"email": email, "password": TEST_PASSWORD})
    assert body["data"]["logIn"]["user"]["email"] == email
    async with engine.connect() as connection:
        upgraded = await connection.scalar(
            text("SELECT password_hash FROM users WHERE email = :e"), {"e": email}
        )
    assert upgraded.startswith("$argon2id$")
    again = await gql(client, LOG_IN, {"email": email, "password": TEST_PASSWORD})
    assert "errors" not in again


async def test_refresh_rotates_and_reusing_a_rotated_token_revokes_the_family(
    client: httpx.AsyncClient,
) -> None:
    signed_up = (await gql(client, SIGN_UP, {"input": sign_up_input()}))["data"]["signUp"]
    first_refresh = signed_up["refreshToken"]

    rotated = (await gql(client, REFRESH, {"token": first_refresh}))["data"]["refreshTokens"]
    assert rotated["refreshToken"] != first_refresh
    assert rotated["user"]["id"] == signed_up["user"]["id"]

    reused = await gql(client, REFRESH, {"token": first_refresh})
    assert error_codes(reused) == ["UNAUTHENTICATED"]
    # The thief's replay also kills the token the legitimate client holds.
    after_theft = await gql(client, REFRESH, {"token": rotated["refreshToken"]})
    assert error_codes(after_theft) == ["UNAUTHENTICATED"]


async def test_an_unknown_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    body = await gql(client, REFRESH, {"token": "made-up"})
    assert error_codes(body) == ["UNAUTHENTICATED"]


def forged(claims: dict[str, object], secret: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


SUPABASE_ISSUER = "https://project-ref.supabase.co/auth/v1"


def claims_for(
    user_id: uuid.UUID, *, audience: str = AUDIENCE, issuer: str = ISSUER, age: int = 0
) -> dict[str, object]:
    now = datetime.now(UTC) - timedelta(seconds=age)
    return {
        "sub": str(user_id),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "aud": audience,
        "iss": issuer,
    }


def supabase_claims(user_id: uuid.UUID, **extra: object) -> dict[str, object]:
    claims = claims_for(user_id, audience=SUPABASE_AUDIENCE, issuer=SUPABASE_ISSUER)
    return claims | {"role": "authenticated", "is_anonymous": False} | extra


async def test_bad_tokens_are_unauthenticated_even_for_public_fields(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as connection:
        someone = await person(connection, settings)
        disabled = await person(connection, settings)
        await connection.execute(
            text("UPDATE users SET is_active = false WHERE id = :id"), {"id": disabled.id}
        )
    secret = settings.jwt_secret.get_secret_value()
    unsigned = jwt.encode(claims_for(someone.id), None, algorithm="none")
    bad_tokens = {
        "alg none": unsigned,
        "wrong signature": forged(claims_for(someone.id), "another-secret-of-32-characters!!"),
        "expired": forged(claims_for(someone.id, age=3600), secret),
        "unknown user": forged(claims_for(uuid.uuid4()), secret),
        "disabled user": disabled.token,
        "supabase token while not accepted": forged(supabase_claims(someone.id), secret),
        "no issuer": forged(
            {k: v for k, v in claims_for(someone.id).items() if k != "iss"}, secret
        ),
        "another issuer": forged(claims_for(someone.id, issuer="someone-else"), secret),
        "garbage": "not.a.jwt",
    }
    for reason, token in bad_tokens.items():
        body = await gql(client, "{ goalTemplates { id } }", token=token)
        assert error_codes(body) == ["UNAUTHENTICATED"], reason
        assert body.get("data") is None, reason
    expired = await gql(client, ME, token=bad_tokens["expired"])
    assert "expired" in expired["errors"][0]["message"]


async def test_a_malformed_authorization_header_is_unauthenticated(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ goalTemplates { id } }"}, headers={"authorization": "Token x"}
    )
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


async def test_anonymous_private_fields_are_unauthenticated(client: httpx.AsyncClient) -> None:
    assert error_codes(await gql(client, ME)) == ["UNAUTHENTICATED"]


async def test_supabase_tokens_are_accepted_when_configured(
    engine: AsyncEngine, settings: Settings
) -> None:
    from gql.app import create_app

    supabase_settings = settings.model_copy(
        update={"accept_supabase_tokens": True, "supabase_issuer": SUPABASE_ISSUER}
    )
    async with engine.begin() as connection:
        someone = await person(connection, settings)
    secret = settings.jwt_secret.get_secret_value()
    refused = {
        "service role": supabase_claims(someone.id, role="service_role"),
        "anon key": supabase_claims(someone.id, role="anon"),
        "no role": {k: v for k, v in supabase_claims(someone.id).items() if k != "role"},
        "anonymous user": supabase_claims(someone.id, is_anonymous=True),
        "another project": supabase_claims(someone.id, iss="https://other.supabase.co/auth/v1"),
        "their issuer, our audience": supabase_claims(someone.id, aud=AUDIENCE),
        "our issuer, their audience": supabase_claims(someone.id, iss=ISSUER),
    }
    app = create_app(supabase_settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        body = await gql(http, ME, token=forged(supabase_claims(someone.id), secret))
        for reason, claims in refused.items():
            answer = await gql(http, ME, token=forged(claims, secret))
            assert error_codes(answer) == ["UNAUTHENTICATED"], reason
    assert body["data"]["me"]["id"] == str(someone.id)


def test_access_tokens_carry_sub_exp_and_iat() -> None:
    policy = TokenPolicy("s" * 32, timedelta(minutes=15), timedelta(days=30))
    user_id = uuid.uuid4()
    token = issue_access_token(user_id=user_id, policy=policy, now=datetime.now(UTC))
    claims = jwt.decode(token, "s" * 32, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["sub"] == str(user_id)
    assert claims["exp"] - claims["iat"] == 15 * 60
