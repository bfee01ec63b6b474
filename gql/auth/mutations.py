"""Sign-up, log-in and token refresh."""

import logging

import strawberry

from gql.context import Info
from gql.users.types import Viewer
from models.notifications import OutboundEmail
from resolvers import auth as auth_service

log = logging.getLogger(__name__)


def show_mail(info: Info, mail: OutboundEmail | None) -> None:
    """Outside production, a queued email goes to the server log too (with its link)."""
    if mail is not None and info.context.shows_outbound_mail:
        log.info("email to %s (%s): %s", mail.to_address, mail.template, mail.data)


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


@strawberry.type(
    description="A link was sent to the address. The answer is the same whether or not an "
    "account with it exists already (its owner is told of the attempt instead)."
)
class SignUpPayload:
    email: str


@strawberry.type
class AuthMutations:
    @strawberry.mutation(
        description="Creates an email/password account and sends a link to confirm the "
        "address; verifyEmail with the link's token signs the account in. Rate-limited per "
        "client address and per email."
    )
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        limiter = info.context.limiter
        await limiter.hit("signup_ip", info.context.client_ip or "unknown")
        await limiter.hit("signup_email", input.email.strip().lower()[:320])
        async with info.context.sessionmaker() as session:
            mail = await auth_service.sign_up(
                session=session,
                email=input.email,
                password=input.password,
                name=input.name,
                username=input.username,
            )
        show_mail(info, mail)
        return SignUpPayload(email=mail.to_address)

    @strawberry.mutation(
        description="Confirms an address with the token of the link sent by signUp and "
        "signs the account in."
    )
    async def verify_email(self, info: Info, token: str) -> AuthPayload:
        async with info.context.sessionmaker() as session:
            result = await auth_service.verify_email(
                session=session, policy=info.context.tokens, token=token
            )
        return AuthPayload.from_session(result)

    @strawberry.mutation(
        description="Attempts are limited per client address, per email from one address "
        "(someone else's wrong guesses do not lock the owner out) and per email overall."
    )
    async def log_in(self, info: Info, email: str, password: str) -> AuthPayload:
        limiter = info.context.limiter
        address = info.context.client_ip or "unknown"
        account = email.strip().lower()[:320]
        await limiter.hit("login_ip", address)
        await limiter.hit("login_email", f"{account}|{address}")
        await limiter.hit("login_account", account)
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
