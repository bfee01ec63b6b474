"""Realtime fields of the account."""

import enum
from collections.abc import AsyncGenerator

import strawberry

from gql.context import Info


@strawberry.enum
class SessionEventType(enum.Enum):
    FORCE_LOGOUT = "FORCE_LOGOUT"


@strawberry.type
class SessionEvent:
    type: SessionEventType
    reason: str


@strawberry.type
class UserSubscriptions:
    @strawberry.subscription(
        description="Session-level events. FORCE_LOGOUT: the account was disabled or deleted "
        "(reason: account disabled; the socket closes with 4001 right after) or signed out "
        "everywhere (reason: signed out; 4003). Token expiry closes with 4002."
    )
    async def session_events(self, info: Info) -> AsyncGenerator[SessionEvent, None]:
        info.context.require_viewer()
        queue = info.context.session_events
        while True:
            reason = await queue.get()
            try:
                yield SessionEvent(type=SessionEventType.FORCE_LOGOUT, reason=reason)
            finally:
                queue.task_done()
