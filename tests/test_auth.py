"""Signing up, logging in, refreshing, and every way a token can be bad."""

import asyncio
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers import passwords
from resolvers.errors import ServiceUnavailable, Unauthenticated
from resolvers.sample_data import TEST_PASSWORD
from resolvers.tokens import (
    AUDIENCE,
    ISSUER,
    SUPABASE_AUDIENCE,
    TokenPolicy,
    access_claims,
    issue_access_token,
)
from tests.graphql import asgi_client, error_codes, gql, person, with_rate_limits
from tests.live import until

SIGN_UP = """
mutation SignUp($input: SignUpInput!) { signUp(input: $input) { email } }
"""
VERIFY = """
mutation Verify($token: String!) {
  verifyEmail(token: $token) { accessToken refreshToken user { id email profile { username } } }
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


async def queued_emails(engine: AsyncEngine, address: str) -> list[tuple[str, dict[str, Any]]]:
    """(template, data) of the emails queued for an address, oldest first."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT template, data FROM outbound_emails WHERE to_address = :a "
                "ORDER BY created_at, id"
            ),
            {"a": address.lower()},
        )
        return [(template, data) for template, data in rows]


async def signed_up(
    client: httpx.AsyncClient, engine: AsyncEngine, details: dict[str, str]
) -> dict[str, Any]:
    """Signs up and follows the emailed link: the session verifyEmail hands out."""
    body = await gql(client, SIGN_UP, {"input": details})
    assert body["data"]["signUp"] == {"email": details["email"].lower()}, body
    (template, data), *_ = reversed(await queued_emails(engine, details["email"]))
    assert template == "verify_email"
    verified = await gql(client, VERIFY, {"token": data["token"]})
    session: dict[str, Any] = verified["data"]["verifyEmail"]
    return session


async def test_sign_up_sends_a_link_that_signs_the_account_in(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    details = sign_up_input()
    payload = await signed_up(client, engine, details)
    assert payload["user"]["email"] == details["email"].lower()

    me = await gql(client, ME, token=payload["accessToken"])
    assert me["data"]["me"]["profile"]["username"] == details["username"]
    assert me["data"]["me"]["plan"] == "free"
    async with engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT password_hash FROM users WHERE id = :id"), {"id": payload["user"]["id"]}
        )
    assert stored.startswith("$argon2id$")
    token = (await queued_emails(engine, details["email"]))[-1][1]["token"]
    used_again = await gql(client, VERIFY, {"token": token})
    assert error_codes(used_again) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(client, VERIFY, {"token": "made-up"})) == ["UNAUTHENTICATED"]


async def test_log_in_waits_for_the_address_to_be_confirmed(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    details = sign_up_input()
    await gql(client, SIGN_UP, {"input": details})
    wrong = await gql(client, LOG_IN, {"email": details["email"], "password": "nope nope"})
    right = await gql(client, LOG_IN, {"email": details["email"], "password": details["password"]})
    assert wrong["errors"][0]["message"] == "wrong email or password"
    assert error_codes(right) == ["UNAUTHENTICATED"]
    assert "confirm your email" in right["errors"][0]["message"]


async def test_signing_up_with_a_taken_address_answers_the_same_and_tells_its_owner(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    owner = sign_up_input()
    owner_session = await signed_up(client, engine, owner)
    fresh = await gql(client, SIGN_UP, {"input": sign_up_input(email="Fresh@Example.com")})
    taken = await gql(client, SIGN_UP, {"input": sign_up_input(email=owner["email"])})
    assert fresh == {"data": {"signUp": {"email": "fresh@example.com"}}}
    assert taken == {"data": {"signUp": {"email": owner["email"].lower()}}}
    assert await users_with_email(engine, owner["email"]) == 1
    assert [template for template, _ in await queued_emails(engine, owner["email"])] == [
        "verify_email",
        "sign_up_attempt",
    ]
    notices = await gql(
        client, "{ notifications { edges { node { title } } } }", token=owner_session["accessToken"]
    )
    titles = [edge["node"]["title"] for edge in notices["data"]["notifications"]["edges"]]
    assert titles == ["someone tried to create an account with your email address"]


async def test_a_taken_username_is_a_conflict_whatever_the_address(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first = sign_up_input()
    await signed_up(client, engine, first)
    for email in (first["email"], f"other-{uuid.uuid4().hex[:6]}@example.com"):
        body = await gql(
            client, SIGN_UP, {"input": sign_up_input(username=first["username"], email=email)}
        )
        assert error_codes(body) == ["CONFLICT"]
        assert body["errors"][0]["extensions"]["field"] == "username"


async def test_an_address_whose_link_expired_unused_can_be_signed_up_again(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    squatted = sign_up_input()
    await gql(client, SIGN_UP, {"input": squatted})
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE email_verifications SET expires_at = now() - interval '1 second' "
                "WHERE user_id = (SELECT id FROM users WHERE email = :e)"
            ),
            {"e": squatted["email"].lower()},
        )
    rightful = sign_up_input(email=squatted["email"])
    session = await signed_up(client, engine, rightful)
    assert session["user"]["profile"]["username"] == rightful["username"]
    assert await users_with_email(engine, squatted["email"]) == 1


async def test_sign_ups_are_limited_per_client_address(settings: Settings) -> None:
    limited = with_rate_limits(settings, signup_ip="2/3600")
    async with asgi_client(limited) as http:
        codes = [
            error_codes(await gql(http, SIGN_UP, {"input": sign_up_input()})) for _ in range(3)
        ]
    assert codes == [[], [], ["RATE_LIMITED"]]


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


async def test_log_in_with_a_wrong_password_or_unknown_email_says_the_same(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    details = sign_up_input()
    await signed_up(client, engine, details)
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
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    session = await signed_up(client, engine, sign_up_input())
    first_refresh = session["refreshToken"]

    rotated = (await gql(client, REFRESH, {"token": first_refresh}))["data"]["refreshTokens"]
    assert rotated["refreshToken"] != first_refresh
    assert rotated["user"]["id"] == session["user"]["id"]

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
    unsigned = jwt.encode(claims_for(someone.id), "", algorithm="none")
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
    async with asgi_client(supabase_settings) as http:
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


async def test_password_hashing_runs_one_per_core_and_refuses_a_long_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(passwords, "MAX_WAITING", 2)
    running, most = 0, 0
    lock = threading.Lock()

    def slow_hash(password: str) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)
        with lock:
            running -= 1
        return password

    calls = passwords.CONCURRENT_HASHES + 2 + 3  # running, waiting, refused
    results = await asyncio.gather(
        *(passwords._bounded(slow_hash, "pw") for _ in range(calls)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, ServiceUnavailable)]
    assert len(refused) == 3
    assert refused[0].details == {"retryAfter": passwords.RETRY_SECONDS}
    assert most == passwords.CONCURRENT_HASHES


async def test_a_token_verified_before_is_still_refused_once_it_expires(settings: Settings) -> None:
    """Verified tokens are remembered (a client sends the same one with every request), but
    the expiry is checked on every use."""
    policy = settings.token_policy
    almost_expired = datetime.now(UTC) - policy.access_lifetime + timedelta(seconds=1)
    token = issue_access_token(user_id=uuid.uuid4(), policy=policy, now=almost_expired)
    assert access_claims(token, policy=policy).user_id  # verified, and remembered

    def refused() -> bool:
        try:
            access_claims(token, policy=policy)
        except Unauthenticated as error:
            return "expired" in str(error)
        return False

    await until(refused, "the remembered token to be refused once expired")


def test_a_remembered_token_with_another_signature_is_refused(settings: Settings) -> None:
    policy = settings.token_policy
    token = issue_access_token(user_id=uuid.uuid4(), policy=policy, now=datetime.now(UTC))
    access_claims(token, policy=policy)
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[::-1]}"
    with pytest.raises(Unauthenticated, match="invalid access token"):
        access_claims(forged, policy=policy)
    other = TokenPolicy(
        secret="another secret of at least thirty-two bytes!!",
        access_lifetime=policy.access_lifetime,
        refresh_lifetime=policy.refresh_lifetime,
    )
    with pytest.raises(Unauthenticated, match="invalid access token"):
        access_claims(token, policy=other)  # remembered under its own policy only
