"""How a guarded connection ends when its account guard says so: a disabled or signed-out
account's sessionEvents subscription, if the connection has one, gets FORCE_LOGOUT first (up to
NOTICE_SECONDS to deliver it), then the transport closes with the reason's close code."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from gql.context import Context
from gql.realtime.close_codes import CloseCode
from subscriptions.accounts import Ending

NOTICE_SECONDS = 0.5
CLOSE_CODES = {
    Ending.ACCOUNT_DISABLED: CloseCode.ACCOUNT_DISABLED,
    Ending.SIGNED_OUT: CloseCode.SIGNED_OUT,
    Ending.TOKEN_EXPIRED: CloseCode.TOKEN_EXPIRED,
}

NOTICED = (Ending.ACCOUNT_DISABLED, Ending.SIGNED_OUT)  # told FORCE_LOGOUT before the close

_running: set["asyncio.Task[None]"] = set()


def end_connection(
    context: Context, reason: Ending, close: Callable[[CloseCode, str], Awaitable[None]]
) -> None:
    """Starts the ending (the guard calls this synchronously)."""
    task = asyncio.create_task(_end(context, reason, close), name="end-connection")
    _running.add(task)
    task.add_done_callback(_running.discard)


async def _end(
    context: Context, reason: Ending, close: Callable[[CloseCode, str], Awaitable[None]]
) -> None:
    if reason in NOTICED and context.hears_session_events:
        context.session_events.put_nowait(str(reason))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(NOTICE_SECONDS):
                await context.session_events.join()
    await close(CLOSE_CODES[reason], str(reason))
