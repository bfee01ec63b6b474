"""Subscriptions over plain HTTP on /graphql: the multipart subscription protocol (Apollo
Client's HttpLink), guarded like a websocket; anything else gets a clear, coded answer."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.http_media import GRAPHQL_JSON
from gql.realtime.close_codes import CloseCode
from gql.settings import Settings
from tests.graphql import error_codes, people, sql
from tests.live import WAIT_SECONDS, live_server

MULTIPART = "multipart/mixed;subscriptionSpec=1.0, application/json"
MEALS = {"query": "subscription { tableChanges(table: MEAL_LOGS) { operation record { "
         "... on MealLog { name } } } }"}  # fmt: skip
MEAL = (
    "INSERT INTO meal_logs (user_id, logged_on, meal_type, name) "
    "VALUES (:u, current_date, 'lunch', 'Soup')"
)


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def parts(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The JSON parts of a multipart subscription response, as they arrive."""
    buffer = ""
    async for chunk in response.aiter_text():
        buffer += chunk
        while "\r\n--graphql" in buffer:
            part, _, buffer = buffer.partition("\r\n--graphql")
            _, _, body = part.partition("\r\n\r\n")
            if body.strip():
                yield json.loads(body)


async def test_a_multipart_subscription_streams_changes_and_ends_with_the_account(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    headers = {"authorization": f"Bearer {me.token}", "accept": MULTIPART}
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT_SECONDS) as http,
        http.stream("POST", "/graphql", json=MEALS, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("multipart/mixed")
        received = parts(response)
        assert await anext(received) == {}  # open
        ready = await anext(received)
        assert ready["payload"]["data"]["tableChanges"]["operation"] == "READY"
        await sql(engine, MEAL, u=me.id)
        meal = (await anext(received))["payload"]["data"]["tableChanges"]
        assert meal == {"operation": "INSERT", "record": {"name": "Soup"}}
        await sql(engine, "UPDATE users SET is_active = false WHERE id = :u", u=me.id)
        ended = await anext(received)
    assert ended["payload"] is None
    assert ended["errors"][0]["extensions"]["closeCode"] == CloseCode.ACCOUNT_DISABLED


async def test_a_subscription_posted_without_a_streaming_protocol_is_told_how(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        for accept, status in (("application/json", 200), (GRAPHQL_JSON, 400)):
            response = await http.post(
                "/graphql",
                json=MEALS,
                headers={"authorization": f"Bearer {me.token}", "accept": accept},
            )
            assert response.status_code == status
            assert error_codes(response.json()) == ["BAD_USER_INPUT"]
            assert "multipart/mixed;subscriptionSpec=1.0" in response.json()["errors"][0]["message"]
