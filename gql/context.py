"""Per-request context handed to every resolver."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo


@dataclass
class Context:
    """Holds no session: each root resolver or loader batch opens its own (PITFALLS)."""

    request: Request | WebSocket
    response: Response | WebSocket | None
    sessionmaker: async_sessionmaker[AsyncSession]


Info = StrawberryInfo[Context, None]
