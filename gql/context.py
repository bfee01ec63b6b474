"""Per-request context handed to every resolver: sessions, loaders and the viewer."""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from gql.loaders import Loaders
from gql.realtime.admission import Slot
from gql.realtime.state import Realtime
from models.users import User
from resolvers import admin as admin_service
from resolvers.errors import Unauthenticated
from resolvers.rate_limits import RateLimiter
from resolvers.tokens import AccessClaims, TokenPolicy, access_claims


@dataclass
class Context:
    """Holds no session: each root resolver or loader batch opens its own (PITFALLS)."""

    request: Request | WebSocket
    response: Response | WebSocket | None
    sessionmaker: async_sessionmaker[AsyncSession]
    tokens: TokenPolicy
    limiter: RateLimiter
    realtime: Realtime
    loaders: Loaders
    viewer_id: uuid.UUID | None = None
    credentials_error: Unauthenticated | None = None
    viewer: User | None = None
    connection_params: dict[str, object] | None = None
    connection_authenticated: bool = False
    shows_outbound_mail: bool = False  # outside production, queued emails go to the log
    token_expires_at: datetime | None = None
    token_session_version: int = 0
    _session_events: "asyncio.Queue[str] | None" = field(default=None, repr=False)
    admission: Slot | None = field(default=None, repr=False)  # until the first READY
    _staff_role: str | None = field(default=None, repr=False)
    _staff_role_known: bool = field(default=False, repr=False)

    @property
    def signed_in_id(self) -> uuid.UUID | None:
        """The viewer's id once authenticated, else None (anonymous)."""
        return self.viewer.id if self.viewer is not None else None

    @property
    def reads(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for reads only (create_read_sessionmaker); writes use `sessionmaker`."""
        return self.realtime.reads

    @property
    def client_ip(self) -> str | None:
        """The peer's address (the proxy's, behind one)."""
        return self.request.client.host if self.request.client else None

    @property
    def user_agent(self) -> str | None:
        return self.request.headers.get("user-agent")

    @property
    def session_events(self) -> "asyncio.Queue[str]":
        """Session-level notices for this connection's sessionEvents subscriptions (made on
        first use: most connections never subscribe to them)."""
        if self._session_events is None:
            self._session_events = asyncio.Queue()
        return self._session_events

    @property
    def hears_session_events(self) -> bool:
        """Whether a sessionEvents subscription of this connection takes notices."""
        return self._session_events is not None

    def admitted(self) -> None:
        """A subscription of this connection is live: its handshake's admission slot is free
        for the next one."""
        if self.admission is not None:
            self.admission.release()
            self.admission = None

    def require_viewer(self) -> User:
        """The signed-in user, or UNAUTHENTICATED."""
        if self.viewer is None:
            raise Unauthenticated("sign in first")
        return self.viewer

    def authenticate_with(self, authorization: str | None) -> None:
        """Takes the credentials a websocket sent in connection_init: once per socket, so what
        a socket was authenticated as never changes."""
        if self.connection_authenticated:
            raise RuntimeError("a socket's credentials are taken once")
        self.connection_authenticated = True
        claims, self.credentials_error = credentials(authorization, self.tokens)
        self.viewer_id = claims.user_id if claims else None
        self.token_expires_at = claims.expires_at if claims else None
        self.token_session_version = claims.session_version if claims else 0
        self.viewer = None
        self.loaders = Loaders(self.reads, self.viewer_id)

    async def authenticate(self) -> None:
        """Loads the token's user (once; batched with every request authenticating at the
        same moment; no query when another connection of the user here read it and no
        change of it has been heard since); an unknown or disabled user invalidates the
        credentials, and so does a token of an older session version (the user signed out
        everywhere or changed their password since it was issued)."""
        if self.viewer is not None or self.viewer_id is None or self.credentials_error is not None:
            return
        accounts = self.realtime.accounts
        user = accounts.account(self.viewer_id)
        if not isinstance(user, User):
            mark = accounts.mark(self.viewer_id)
            user = await self.realtime.loaders.user_by_id.load(self.viewer_id)
            if user is not None:
                accounts.remember(self.viewer_id, user, mark)
        if user is None or not user.is_active:
            self.credentials_error = Unauthenticated("this account is disabled or gone")
            return
        if user.session_version != self.token_session_version:
            self.credentials_error = Unauthenticated("this session was signed out; sign in again")
            return
        self.viewer = user

    async def staff_role(self) -> str | None:
        if not self._staff_role_known:
            async with self.sessionmaker() as session:
                self._staff_role = await admin_service.staff_role(
                    session=session, user_id=self.signed_in_id
                )
            self._staff_role_known = True
        return self._staff_role


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be `Bearer <token>`")
    return token.strip()


def credentials(
    authorization: str | None, tokens: TokenPolicy
) -> tuple[AccessClaims | None, Unauthenticated | None]:
    """(claims, None) for a valid bearer token, (None, error) for a bad one, (None, None)
    for none."""
    try:
        token = bearer_token(authorization)
        if token is None:
            return None, None
        return access_claims(token, policy=tokens), None
    except Unauthenticated as refused:
        return None, refused


def build_context(
    *,
    request: Request | WebSocket,
    response: Response | WebSocket | None,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenPolicy,
    limiter: RateLimiter,
    realtime: Realtime,
    authorization: str | None,
    shows_outbound_mail: bool = False,
) -> Context:
    claims, error = credentials(authorization, tokens)
    return Context(
        request=request,
        response=response,
        sessionmaker=sessionmaker,
        tokens=tokens,
        limiter=limiter,
        realtime=realtime,
        loaders=Loaders(realtime.reads, claims.user_id if claims else None),
        viewer_id=claims.user_id if claims else None,
        token_expires_at=claims.expires_at if claims else None,
        token_session_version=claims.session_version if claims else 0,
        credentials_error=error,
        shows_outbound_mail=shows_outbound_mail,
    )


Info = StrawberryInfo[Context, None]
