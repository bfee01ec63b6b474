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
        description="Session-level events. FORCE_LOGOUT: the account was disabled; the "
        "socket closes with code 4001 right after. (Token expiry closes with 4002.)"
    )
    async def session_events(self, info: Info) -> AsyncGenerator[SessionEvent, None]:
        info.context.require_viewer()
        queue = info.context.session_events
        while True:
            kind = await queue.get()
            try:
                yield SessionEvent(type=SessionEventType(kind), reason="account disabled")
            finally:
                queue.task_done()
