"""Websocket sessions end when the account is disabled or the access token expires.

Each authenticated socket gets a guard task that follows the user's row through the hub
(topic `id:<user id>`): when `is_active` turns false, by any writer, it hands FORCE_LOGOUT to
the socket's sessionEvents subscription and closes the socket with CLOSE_ACCOUNT_DISABLED;
when the access token expires it closes with CLOSE_TOKEN_EXPIRED, so the client refreshes
and resumes with its cursors. Both happen within a second.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import partial

from starlette.websockets import WebSocket

from gql.context import Context
from subscriptions.log import LogEvent
from subscriptions.redis_backend import GAP

log = logging.getLogger(__name__)

CLOSE_ACCOUNT_DISABLED = 4001
CLOSE_TOKEN_EXPIRED = 4002
FORCE_LOGOUT = "FORCE_LOGOUT"
NOTICE_SECONDS = 0.5  # how long a sessionEvents subscription gets to deliver FORCE_LOGOUT

_guards: ContextVar[list["asyncio.Task[None]"] | None] = ContextVar("guards", default=None)


@asynccontextmanager
async def guarded_socket() -> AsyncIterator[None]:
    """Wraps one websocket connection; its guards stop when it ends."""
    token = _guards.set([])
    try:
        yield
    finally:
        for task in _guards.get() or []:
            task.cancel()
        _guards.reset(token)


def start_guard(context: Context) -> None:
    tasks = _guards.get()
    if tasks is not None and context.viewer_id is not None:
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        tasks.append(
            asyncio.create_task(guard(context, partial(_close, websocket)), name="session-guard")
        )


async def guard(context: Context, end: Callable[[int, str], Awaitable[None]]) -> None:
    """Calls `end(code, reason)` when the viewer's account is disabled or the token expires."""
    user_id = context.viewer_id
    assert user_id is not None
    async with context.realtime.hub.subscribe(frozenset({f"id:{user_id}"})) as live:
        # Checked once now that changes are followed: a disable that landed between the
        # token check and this subscription is not missed.
        check_now = True
        while True:
            if not check_now:
                expires_at = context.token_expires_at or datetime.max.replace(tzinfo=UTC)
                remaining = (expires_at - datetime.now(UTC)).total_seconds()
                if remaining <= 0:
                    await end(CLOSE_TOKEN_EXPIRED, "access token expired")
                    return
                try:
                    async with asyncio.timeout(min(remaining, 3600)):
                        message = await live.get()
                except TimeoutError:
                    continue
                if message != GAP:
                    event = LogEvent.from_json(message)
                    if event.table != "users" or "is_active" not in event.changed:
                        continue
            check_now = False
            if not await _active(context):
                context.session_events.put_nowait(FORCE_LOGOUT)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(NOTICE_SECONDS):
                        await context.session_events.join()
                await end(CLOSE_ACCOUNT_DISABLED, "account disabled")
                return


async def _active(context: Context) -> bool:
    async with context.realtime.pool.acquire() as connection:
        active = await connection.fetchval(
            "SELECT is_active FROM users WHERE id = $1", context.viewer_id
        )
    return bool(active)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError):  # already closed by the client
        await websocket.close(code=code, reason=reason)
