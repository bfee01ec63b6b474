"""Sign-up, log-in and token refresh."""

import strawberry

from gql.context import Info
from gql.users.types import Viewer
from resolvers import auth as auth_service


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    user: Viewer

    @classmethod
    def from_session(cls, session: auth_service.Session) -> "AuthPayload":
        return cls(
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            user=Viewer.from_model(session.user),
        )


@strawberry.input
class SignUpInput:
    email: str
    password: str
    name: str
    username: str


@strawberry.type
class AuthMutations:
    @strawberry.mutation(description="Creates an email/password account and signs it in.")
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        async with info.context.sessionmaker() as session:
            result = await auth_service.sign_up(
                session=session,
                policy=info.context.tokens,
                email=input.email,
                password=input.password,
                name=input.name,
                username=input.username,
            )
        return AuthPayload.from_session(result)

    @strawberry.mutation
    async def log_in(self, info: Info, email: str, password: str) -> AuthPayload:
        """Attempts are limited per email and per client address (brute force)."""
        limiter = info.context.limiter
        await limiter.hit("login_email", email.strip().lower()[:320])
        await limiter.hit("login_ip", info.context.client_ip or "unknown")
        async with info.context.sessionmaker() as session:
            result = await auth_service.log_in(
                session=session, policy=info.context.tokens, email=email, password=password
            )
        return AuthPayload.from_session(result)

    @strawberry.mutation(
        description="Exchanges a refresh token for new tokens; the old one stops working, and "
        "reusing it signs out every device of that log-in."
    )
    async def refresh_tokens(self, info: Info, refresh_token: str) -> AuthPayload:
        async with info.context.sessionmaker() as session:
            result = await auth_service.refresh(
                session=session, policy=info.context.tokens, refresh_token=refresh_token
            )
        return AuthPayload.from_session(result)
