"""Subscriptions over plain HTTP on /graphql: the multipart subscription protocol (Apollo
Client's HttpLink), guarded like a websocket; anything else gets a clear, coded answer."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.http_media import GRAPHQL_JSON
from gql.realtime.close_codes import CloseCode
from gql.settings import Settings
from resolvers.tokens import issue_access_token
from tests.graphql import error_codes, people, sql
from tests.live import WAIT_SECONDS, live_server, until

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


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) of an SSE response, as they arrive (comments skipped)."""
    buffer = ""
    async for chunk in response.aiter_text():
        buffer += chunk
        while "\n\n" in buffer:
            block, _, buffer = buffer.partition("\n\n")
            lines = dict(
                line.split(": ", 1) for line in block.splitlines() if not line.startswith(":")
            )
            if "event" in lines:
                yield lines["event"], json.loads(lines["data"]) if lines.get("data") else None


async def test_sse_single_connection_mode_carries_every_operation_on_one_stream(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    me, other = await people(engine, settings, 2)
    auth = {"authorization": f"Bearer {me.token}"}
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT_SECONDS) as http:
        reserved = await http.put("/graphql/stream", headers=auth)
        assert reserved.status_code == 201
        token = reserved.text
        ticket = {"x-graphql-event-stream-token": token}
        async with http.stream(
            "GET", "/graphql/stream", params={"token": token},
            headers={"accept": "text/event-stream"},
        ) as stream:  # fmt: skip
            assert stream.status_code == 200
            second = await http.get("/graphql/stream", params={"token": token})
            assert second.status_code == 409  # one stream per reservation
            received = events(stream)
            operation = {**MEALS, "extensions": {"operationId": "meals"}}
            started = await http.post("/graphql/stream", json=operation, headers=auth | ticket)
            assert started.status_code == 202
            foreign = await http.post(
                "/graphql/stream",
                json={**MEALS, "extensions": {"operationId": "theirs"}},
                headers={"authorization": f"Bearer {other.token}"} | ticket,
            )
            assert foreign.status_code == 403  # the stream is the reservation's account's
            event, data = await anext(received)
            assert (event, data["id"]) == ("next", "meals")
            assert data["payload"]["data"]["tableChanges"]["operation"] == "READY"
            await sql(engine, MEAL, u=me.id)
            event, data = await anext(received)
            assert data["payload"]["data"]["tableChanges"]["record"] == {"name": "Soup"}
            stopped = await http.delete(
                "/graphql/stream", params={"operationId": "meals"}, headers=auth | ticket
            )
            assert stopped.status_code == 200
            assert await anext(received) == ("complete", {"id": "meals"})
            refreshed = issue_access_token(
                user_id=me.id,
                policy=settings.token_policy,
                now=datetime.now(UTC) - timedelta(seconds=2),
            )
            assert refreshed != me.token
            again = await http.post(
                "/graphql/stream",
                json={**MEALS, "extensions": {"operationId": "again"}},
                headers={"authorization": f"Bearer {refreshed}"} | ticket,
            )
            assert again.status_code == 202  # a refreshed token of the same account
            event, data = await anext(received)
            assert (event, data["id"]) == ("next", "again")

        # The stream closed: once the server notices, its reservation and operations are gone.
        async def released() -> bool:
            answer = await http.delete("/graphql/stream", headers=auth | ticket)
            return answer.status_code == 404

        await until(released, "the closed stream's reservation to be released")


async def test_idle_http_streams_send_heartbeats(engine: AsyncEngine, settings: Settings) -> None:
    """A quiet stream still writes: an SSE comment, or an empty multipart part, after
    MOMENTUM_STREAM_HEARTBEAT_SECONDS of silence, so proxies keep it open."""
    (me,) = await people(engine, settings, 1)
    quick = settings.model_copy(update={"stream_heartbeat_seconds": 0.2})
    auth = {"authorization": f"Bearer {me.token}", "content-type": "application/json"}
    async with (
        live_server(quick) as address,
        httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT_SECONDS) as http,
    ):
        sse = {"accept": "text/event-stream"} | auth
        async with http.stream("POST", "/graphql/stream", json=MEALS, headers=sse) as stream:
            seen = ""
            async with asyncio.timeout(WAIT_SECONDS):
                async for chunk in stream.aiter_text():
                    seen += chunk
                    if ": ping" in seen.partition("event: next")[2]:
                        break  # a ping after READY: the stream was silent and still wrote
            assert ": ping" in seen.partition("event: next")[2]
        multipart = {"accept": MULTIPART} | auth
        async with http.stream("POST", "/graphql", json=MEALS, headers=multipart) as stream:
            received = parts(stream)
            async for part in received:
                if "payload" in part:
                    break  # READY (heartbeats may come first on a slow start)
            assert await anext(received) == {}  # a heartbeat after READY
