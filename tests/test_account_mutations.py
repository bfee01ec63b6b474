"""Profile, consents, audited staff actions, the append-only audit log, rate limits."""

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.app import create_app
from gql.errors import database_refusal
from gql.settings import Settings
from resolvers import passwords
from tests.graphql import asgi_client, error_codes, gql, people, with_rate_limits

PASSWORD = "owner-password-1"

UPDATE_PROFILE = """
mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) { timezone profile { username bio } }
}
"""
SET_ACTIVE = """
mutation($u: ID!, $active: Boolean!) {
  setUserActive(userId: $u, active: $active, reason: "spam") { id }
}
"""


async def test_profile_updates_validate_and_taken_usernames_conflict(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    me, other = await people(engine, settings, 2)
    name = f"runner_{me.id.hex[:8]}"
    body = await gql(
        client,
        UPDATE_PROFILE,
        {"input": {"username": name, "bio": "Runs", "timezone": "Europe/Berlin"}},
        token=me.token,
    )
    assert body["data"]["updateProfile"] == {
        "timezone": "Europe/Berlin",
        "profile": {"username": name, "bio": "Runs"},
    }
    taken = await gql(client, UPDATE_PROFILE, {"input": {"username": name}}, token=other.token)
    assert error_codes(taken) == ["CONFLICT"]
    for bad in (
        {"username": "Bad Name"},
        {"timezone": "Mars/Olympus"},
        {"bio": "b" * 501},
        {"profilePictureUrl": "ftp://x"},
        {"username": None},
        {"username": f"trailing_{me.id.hex[:6]}\n"},
        {"language": "en\n"},
        {"name": "Security Team\nverify your account"},
        {"name": "evil\u202eoverride"},
    ):
        body = await gql(client, UPDATE_PROFILE, {"input": bad}, token=other.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], bad


async def test_consents_are_recorded_with_address_and_user_agent(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    mutation = "mutation { setConsent(type: MARKETING, granted: false) { granted revokedAt } }"
    response = await client.post(
        "/graphql",
        json={"query": mutation},
        headers={"authorization": f"Bearer {me.token}", "user-agent": "MomentumApp/1.0"},
    )
    assert response.json()["data"]["setConsent"]["granted"] is False
    async with engine.connect() as db:
        row = (
            await db.execute(
                text("SELECT consent_type, ip_address, user_agent FROM user_consents "
                     "WHERE user_id = :u"),
                {"u": me.id},
            )
        ).one()  # fmt: skip
    assert row.consent_type == "marketing"
    assert row.user_agent == "MomentumApp/1.0"
    assert str(row.ip_address) == "127.0.0.1"


async def test_admins_disable_users_with_an_audit_entry_and_others_cannot(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    admin, target, moderator = await people(engine, settings, 3)
    async with engine.begin() as db:
        await db.execute(
            text("INSERT INTO admin_users (user_id, role) VALUES (:a, 'admin'), (:m, 'moderator')"),
            {"a": admin.id, "m": moderator.id},
        )
    refused = await gql(client, SET_ACTIVE, {"u": str(target.id), "active": False},
                        token=moderator.token)  # fmt: skip
    assert error_codes(refused) == ["FORBIDDEN"]

    body = await gql(client, SET_ACTIVE, {"u": str(target.id), "active": False}, token=admin.token)
    assert body["data"]["setUserActive"]["id"] == str(target.id)
    async with engine.connect() as db:
        entry = (
            await db.execute(
                text("SELECT action, old_values, new_values, ip_address FROM audit_logs "
                     "WHERE resource_id = :u"),
                {"u": target.id},
            )
        ).one()  # fmt: skip
    assert entry.action == "user.deactivate"
    assert entry.old_values == {"is_active": True}
    assert entry.new_values == {"is_active": False, "reason": "spam"}
    assert str(entry.ip_address) == "127.0.0.1"
    locked_out = await gql(client, "{ me { id } }", token=target.token)
    assert error_codes(locked_out) == ["UNAUTHENTICATED"]
    self_disable = await gql(client, SET_ACTIVE, {"u": str(admin.id), "active": False},
                             token=admin.token)  # fmt: skip
    assert error_codes(self_disable) == ["BAD_USER_INPUT"]


async def test_moderators_delete_posts_with_an_audit_entry(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, moderator = await people(engine, settings, 2)
    async with engine.begin() as db:
        await db.execute(
            text("INSERT INTO admin_users (user_id, role) VALUES (:m, 'moderator')"),
            {"m": moderator.id},
        )
        post_id = await db.scalar(
            text("INSERT INTO posts (user_id, content) VALUES (:a, 'spam') RETURNING id"),
            {"a": author.id},
        )
    mutation = 'mutation($p: ID!) { moderateDeletePost(postId: $p, reason: "spam") }'
    assert error_codes(await gql(client, mutation, {"p": str(post_id)}, token=author.token)) == [
        "FORBIDDEN"
    ]
    body = await gql(client, mutation, {"p": str(post_id)}, token=moderator.token)
    assert body["data"]["moderateDeletePost"] == str(post_id)
    again = await gql(client, mutation, {"p": str(post_id)}, token=moderator.token)
    assert error_codes(again) == ["NOT_FOUND"]
    async with engine.connect() as db:
        actions = (
            await db.scalars(
                text("SELECT action FROM audit_logs WHERE resource_id = :p"), {"p": post_id}
            )
        ).all()
    assert actions == ["post.moderate_delete"]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_logs SET action = 'x'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"],
)
async def test_the_database_refuses_to_change_the_audit_log(
    engine: AsyncEngine, statement: str
) -> None:
    async with engine.begin() as db:
        await db.execute(text("INSERT INTO audit_logs (action, resource_type) VALUES ('a', 'b')"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as db:
            await db.execute(text(statement))


async def test_database_refusals_map_to_codes(engine: AsyncEngine, settings: Settings) -> None:
    (me,) = await people(engine, settings, 1)
    with pytest.raises(IntegrityError) as duplicate:
        async with engine.begin() as db:
            await db.execute(
                text("INSERT INTO follows (follower_id, following_id) VALUES (:u, :u)"),
                {"u": me.id},
            )
    assert database_refusal(duplicate.value) == (
        "BAD_USER_INPUT",
        "a value is out of the allowed range",
    )


async def test_writes_beyond_the_rate_limit_are_refused_with_the_wait_and_write_nothing(
    engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    limited = with_rate_limits(settings, post="3/60")
    create = 'mutation { createPost(input: {content: "hi"}) { id } }'
    async with asgi_client(limited) as http:
        results = await asyncio.gather(*(gql(http, create, token=me.token) for _ in range(5)))
    refused = [body for body in results if "errors" in body]
    assert len(refused) == 2
    assert {error_codes(body)[0] for body in refused} == {"RATE_LIMITED"}
    assert all(1 <= body["errors"][0]["extensions"]["retryAfter"] <= 60 for body in refused)
    async with engine.connect() as db:
        assert (
            await db.scalar(text("SELECT count(*) FROM posts WHERE user_id = :u"), {"u": me.id})
            == 3
        )


async def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(
    engine: AsyncEngine, settings: Settings
) -> None:
    limited = with_rate_limits(settings, login_email="2/300")
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    async with engine.begin() as db:
        await db.execute(
            text("INSERT INTO users (email, name, password_hash) VALUES (:e, 'Owner', :h)"),
            {"e": email, "h": await passwords.hash_password(PASSWORD)},
        )
    app = create_app(limited)
    log_in = """mutation($email: String!, $password: String!) {
        logIn(email: $email, password: $password) { accessToken } }"""

    def client_from(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 4321))
        return httpx.AsyncClient(transport=transport, base_url="http://t")

    async with (
        app.router.lifespan_context(app),
        client_from("203.0.113.7") as attacker,
        client_from("198.51.100.2") as owner,
    ):
        guesses = [
            error_codes(await gql(attacker, log_in, {"email": email, "password": "guess-guess"}))[0]
            for _ in range(4)
        ]
        own = await gql(owner, log_in, {"email": email, "password": PASSWORD})
        right_guess = await gql(attacker, log_in, {"email": email, "password": PASSWORD})
    assert guesses == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED", "RATE_LIMITED"]
    assert "errors" not in own
    assert error_codes(right_guess) == ["RATE_LIMITED"]  # the pair stays limited
