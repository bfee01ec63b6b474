"""The account after sign-up: signing out (one device, every device), passwords (change,
reset), a new email address, deleting the account, exporting its data."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.realtime.close_codes import CloseCode
from gql.settings import Environment, Settings
from resolvers import passwords
from tests.graphql import asgi_client, error_codes, gql, sql
from tests.live import TransportWsClient, live_server
from tests.test_sessions import SESSION_EVENTS, close_code

PASSWORD = "first-password-1"
LOG_IN = """mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { accessToken refreshToken } }"""
REFRESH = "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }"
ME = "{ me { email } }"


class Account:
    def __init__(self, user_id: uuid.UUID, email: str) -> None:
        self.id, self.email = user_id, email


@pytest.fixture
async def account(engine: AsyncEngine) -> Account:
    email = f"life-{uuid.uuid4().hex[:10]}@example.com"
    async with engine.begin() as db:
        user_id = await db.scalar(
            text(
                "INSERT INTO users (email, name, password_hash) VALUES (:e, 'Life', :h) "
                "RETURNING id"
            ),
            {"e": email, "h": await passwords.hash_password(PASSWORD)},
        )
    return Account(user_id, email)


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    body = await gql(client, LOG_IN, {"email": email, "password": password})
    assert "errors" not in body, body
    tokens: dict[str, str] = body["data"]["logIn"]
    return tokens


async def works(client: httpx.AsyncClient, access: str) -> bool:
    body = await gql(client, ME, token=access)
    if error_codes(body) == ["UNAUTHENTICATED"]:
        return False
    assert "errors" not in body, body
    return True


async def refreshes(client: httpx.AsyncClient, refresh: str) -> bool:
    return "errors" not in await gql(client, REFRESH, {"t": refresh})


async def last_mail(engine: AsyncEngine, to: str, template: str) -> dict[str, Any] | None:
    async with engine.connect() as db:
        data: dict[str, Any] | None = await db.scalar(
            text(
                "SELECT data FROM outbound_emails WHERE to_address = :to AND template = :t "
                "ORDER BY created_at DESC LIMIT 1"
            ),
            {"to": to, "t": template},
        )
    return data


async def test_logging_out_ends_one_log_in_and_everywhere_ends_them_all(
    client: httpx.AsyncClient, account: Account
) -> None:
    phone, laptop = await log_in(client, account.email), await log_in(client, account.email)
    out = "mutation($t: String!) { logOut(refreshToken: $t) }"
    assert (await gql(client, out, {"t": phone["refreshToken"]}))["data"] == {"logOut": True}
    assert (await gql(client, out, {"t": "garbage"}))["data"] == {"logOut": True}
    assert not await refreshes(client, phone["refreshToken"])
    assert await refreshes(client, laptop["refreshToken"])  # another log-in is untouched
    everywhere = await gql(client, "mutation { logOutEverywhere }", token=laptop["accessToken"])
    assert everywhere["data"] == {"logOutEverywhere": True}
    assert not await works(client, laptop["accessToken"])  # access tokens too, at once
    assert not await works(client, phone["accessToken"])
    fresh = await log_in(client, account.email)
    assert await works(client, fresh["accessToken"])


async def test_signing_out_everywhere_closes_the_sockets_with_4003(
    settings: Settings, client: httpx.AsyncClient, account: Account
) -> None:
    tokens = await log_in(client, account.email)
    async with (
        live_server(settings) as address,
        TransportWsClient.connect(address, tokens["accessToken"]) as socket,
    ):
        await socket.subscribe(SESSION_EVENTS)
        await gql(client, "mutation { logOutEverywhere }", token=tokens["accessToken"])
        event = (await socket.next_data())["sessionEvents"]
        assert event == {"type": "FORCE_LOGOUT", "reason": "signed out"}
        assert await close_code(socket) == CloseCode.SIGNED_OUT


CHANGE = """mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { accessToken refreshToken } }"""


async def test_a_new_password_signs_out_the_other_devices(
    client: httpx.AsyncClient, account: Account
) -> None:
    other, mine = await log_in(client, account.email), await log_in(client, account.email)
    wrong = await gql(
        client,
        CHANGE,
        {"current": "not-it-at-all", "new": "second-pass-2"},
        token=mine["accessToken"],
    )
    short = await gql(client, CHANGE, {"current": PASSWORD, "new": "x"}, token=mine["accessToken"])
    assert [e["extensions"]["field"] for e in wrong["errors"] + short["errors"]] == [
        "password",
        "password",
    ]
    changed = await gql(
        client, CHANGE, {"current": PASSWORD, "new": "second-pass-2"}, token=mine["accessToken"]
    )
    new_tokens = changed["data"]["changePassword"]
    assert await works(client, new_tokens["accessToken"])
    assert not await works(client, other["accessToken"])
    assert not await refreshes(client, other["refreshToken"])
    assert error_codes(await gql(client, LOG_IN, {"email": account.email, "password": PASSWORD}))
    assert await log_in(client, account.email, "second-pass-2")


RESET_REQUEST = "mutation($email: String!) { requestPasswordReset(email: $email) }"
RESET = """mutation($token: String!, $new: String!) {
  resetPassword(token: $token, newPassword: $new) { accessToken } }"""


async def test_a_password_reset_link_works_once_and_within_the_hour(
    client: httpx.AsyncClient, account: Account, engine: AsyncEngine
) -> None:
    before = await log_in(client, account.email)
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    for email in (nobody, account.email.upper()):
        assert (await gql(client, RESET_REQUEST, {"email": email}))["data"] == {
            "requestPasswordReset": True
        }  # the same answer whether or not the address has an account
    assert await last_mail(engine, nobody, "reset_password") is None
    mail = await last_mail(engine, account.email, "reset_password")
    assert mail is not None
    token = mail["token"]
    reset = await gql(client, RESET, {"token": token, "new": "after-reset-3"})
    assert await works(client, reset["data"]["resetPassword"]["accessToken"])
    assert not await works(client, before["accessToken"])
    again = await gql(client, RESET, {"token": token, "new": "after-reset-4"})
    assert error_codes(again) == ["UNAUTHENTICATED"]
    await gql(client, RESET_REQUEST, {"email": account.email})
    late = await last_mail(engine, account.email, "reset_password")
    assert late is not None
    await sql(
        engine,
        "UPDATE email_verifications SET expires_at = now() WHERE user_id = :u AND used_at IS NULL",
        u=account.id,
    )
    expired = await gql(client, RESET, {"token": late["token"], "new": "after-reset-5"})
    assert error_codes(expired) == ["UNAUTHENTICATED"]
    assert await log_in(client, account.email, "after-reset-3")


EMAIL_REQUEST = """mutation($email: String!, $password: String) {
  requestEmailChange(newEmail: $email, password: $password) }"""
EMAIL_CONFIRM = "mutation($token: String!) { confirmEmailChange(token: $token) { email } }"


async def test_a_new_address_is_confirmed_from_itself_and_the_old_one_is_told(
    client: httpx.AsyncClient, account: Account, engine: AsyncEngine, settings: Settings
) -> None:
    tokens = await log_in(client, account.email)
    new_address = f"moved-{uuid.uuid4().hex[:8]}@example.com"
    wrong = await gql(
        client,
        EMAIL_REQUEST,
        {"email": new_address, "password": "nope"},
        token=tokens["accessToken"],
    )
    assert error_codes(wrong) == ["BAD_USER_INPUT"]
    taken_by = f"taken-{uuid.uuid4().hex[:8]}@example.com"
    await sql(engine, "INSERT INTO users (email, name) VALUES (:e, 'Other')", e=taken_by)
    taken = await gql(
        client,
        EMAIL_REQUEST,
        {"email": taken_by, "password": PASSWORD},
        token=tokens["accessToken"],
    )
    assert taken["data"] == {"requestEmailChange": True}  # the same answer...
    assert await last_mail(engine, taken_by, "change_email") is None  # ...and nothing sent
    await gql(
        client,
        EMAIL_REQUEST,
        {"email": new_address, "password": PASSWORD},
        token=tokens["accessToken"],
    )
    mail = await last_mail(engine, new_address, "change_email")
    assert mail is not None
    moved = await gql(client, EMAIL_CONFIRM, {"token": mail["token"]})
    assert moved["data"]["confirmEmailChange"] == {"email": new_address}
    assert await last_mail(engine, account.email, "email_changed") is not None
    reused = await gql(client, EMAIL_CONFIRM, {"token": mail["token"]})
    assert error_codes(reused) == ["UNAUTHENTICATED"]
    assert await log_in(client, new_address)


DELETE = """mutation($confirm: String!, $password: String) {
  deleteAccount(confirmEmail: $confirm, password: $password) }"""


async def test_deleting_the_account_removes_what_it_owns_audits_it_and_closes_its_sockets(
    client: httpx.AsyncClient, account: Account, engine: AsyncEngine, settings: Settings
) -> None:
    tokens = await log_in(client, account.email)
    access = tokens["accessToken"]
    await gql(client, 'mutation { createGoal(input: {title: "G", frequency: DAILY}) { id } }',
              token=access)  # fmt: skip
    refusals = [
        ({"confirm": "someone@else.example", "password": PASSWORD}, "confirmEmail"),
        ({"confirm": account.email, "password": "wrong-password"}, "password"),
        ({"confirm": account.email}, "password"),
    ]
    for variables, field in refusals:
        body = await gql(client, DELETE, variables, token=access)
        assert body["errors"][0]["extensions"]["field"] == field
    async with (
        live_server(settings) as address,
        TransportWsClient.connect(address, access) as socket,
    ):
        await socket.subscribe(SESSION_EVENTS)
        deleted = await gql(
            client, DELETE, {"confirm": account.email, "password": PASSWORD}, token=access
        )
        assert deleted["data"] == {"deleteAccount": True}
        assert await close_code(socket) == CloseCode.ACCOUNT_DISABLED
    assert not await works(client, access)
    async with engine.connect() as db:
        left = await db.scalar(
            text(
                "SELECT (SELECT count(*) FROM users WHERE id = :u) + "
                "(SELECT count(*) FROM goals WHERE user_id = :u)"
            ),
            {"u": account.id},
        )
        audited = await db.scalar(
            text("SELECT action FROM audit_logs WHERE resource_id = :u"), {"u": account.id}
        )
    assert (left, audited) == (0, "user.delete_self")


async def test_the_export_holds_what_the_account_owns_and_no_secrets(
    client: httpx.AsyncClient, account: Account, engine: AsyncEngine
) -> None:
    tokens = await log_in(client, account.email)
    access = tokens["accessToken"]
    content = f"exported {uuid.uuid4().hex[:8]}"
    create = "mutation($c: String!) { createPost(input: {content: $c, isPublic: false}) { id } }"
    await gql(client, create, {"c": content}, token=access)
    await gql(client, "mutation { setConsent(type: MARKETING, granted: true) { granted } }",
              token=access)  # fmt: skip
    exported = (await gql(client, "{ exportMyData }", token=access))["data"]["exportMyData"]
    assert exported["profile"][0]["email"] == account.email
    assert [post["content"] for post in exported["posts"]] == [content]
    assert [consent["consent_type"] for consent in exported["consents"]] == ["marketing"]
    assert "password_hash" not in json.dumps(exported)
    consents = await gql(client, "{ me { consents { type granted } } }", token=access)
    assert consents["data"]["me"]["consents"] == [{"type": "MARKETING", "granted": True}]
    assert error_codes(await gql(client, "{ exportMyData }")) == ["UNAUTHENTICATED"]


@pytest.fixture
async def production(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(settings.model_copy(update={"env": Environment.PRODUCTION})) as http:
        yield http


async def test_the_dev_outbox_shows_queued_mail_outside_production_only(
    client: httpx.AsyncClient, production: httpx.AsyncClient, account: Account
) -> None:
    await gql(client, RESET_REQUEST, {"email": account.email})
    shown = (await client.get("/dev/outbox")).json()
    assert any(m["to"] == account.email and m["template"] == "reset_password" for m in shown)
    assert (await production.get("/dev/outbox")).status_code == 404
