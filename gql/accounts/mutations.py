"""Account lifecycle mutations."""

import strawberry

from gql.auth.mutations import AuthPayload, show_mail
from gql.context import Info
from gql.users.types import Viewer
from resolvers import accounts as accounts_service


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Signs this device out: its refresh token (and every token rotated from "
        "the same log-in) stops working. Its access token lasts until it expires; "
        "logOutEverywhere ends those too. Always true, whatever the token."
    )
    async def log_out(self, info: Info, refresh_token: str) -> bool:
        async with info.context.sessionmaker() as session:
            await accounts_service.log_out(session=session, refresh_token=refresh_token)
        return True

    @strawberry.mutation(
        description="Signs out every device at once: every access and refresh token issued "
        "so far is refused, and open sockets close with 4003."
    )
    async def log_out_everywhere(self, info: Info) -> bool:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await accounts_service.log_out_everywhere(session=session, user=viewer)
        return True

    @strawberry.mutation(
        description="Sets a new password; every other device is signed out and this one gets "
        "new tokens."
    )
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> AuthPayload:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("login_account", viewer.email)
        async with info.context.sessionmaker() as session:
            result = await accounts_service.change_password(
                session=session,
                policy=info.context.tokens,
                user=viewer,
                current=current_password,
                new=new_password,
            )
        return AuthPayload.from_session(result)

    @strawberry.mutation(
        description="Sends a password reset link (valid one hour) if an account has the "
        "address. Always true: the answer does not tell whether it has one. Rate-limited."
    )
    async def request_password_reset(self, info: Info, email: str) -> bool:
        limiter = info.context.limiter
        await limiter.hit("reset", f"ip:{info.context.client_ip or 'unknown'}")
        await limiter.hit("reset", f"email:{email.strip().lower()[:320]}")
        async with info.context.sessionmaker() as session:
            mail = await accounts_service.request_password_reset(session=session, email=email)
        show_mail(info, mail)
        return True

    @strawberry.mutation(
        description="Sets a new password with a reset link's token (once); every device is "
        "signed out and this one signed in."
    )
    async def reset_password(self, info: Info, token: str, new_password: str) -> AuthPayload:
        async with info.context.sessionmaker() as session:
            result = await accounts_service.reset_password(
                session=session, policy=info.context.tokens, token=token, new=new_password
            )
        return AuthPayload.from_session(result)

    @strawberry.mutation(
        description="Sends a link (valid 24 hours) to the new address; confirmEmailChange "
        "with its token moves the account there. Always true: taken addresses are not told."
    )
    async def request_email_change(
        self, info: Info, new_email: str, password: str | None = None
    ) -> bool:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("login_account", viewer.email)
        async with info.context.sessionmaker() as session:
            mail = await accounts_service.request_email_change(
                session=session, user=viewer, password=password, new_email=new_email
            )
        show_mail(info, mail)
        return True

    @strawberry.mutation(
        description="Moves the account to the new address of a change link (once); the old "
        "address is told."
    )
    async def confirm_email_change(self, info: Info, token: str) -> Viewer:
        async with info.context.sessionmaker() as session:
            user = await accounts_service.confirm_email_change(session=session, token=token)
        return Viewer.from_model(user)

    @strawberry.mutation(
        description="Deletes the account and everything it owns, for good; its sockets close "
        "(4001). confirmEmail is the account's address; password is required if it has one."
    )
    async def delete_account(
        self, info: Info, confirm_email: str, password: str | None = None
    ) -> bool:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("login_account", viewer.email)
        async with info.context.sessionmaker() as session:
            await accounts_service.delete_account(
                session=session,
                user=viewer,
                password=password,
                confirm_email=confirm_email,
                ip_address=info.context.client_ip,
                user_agent=info.context.user_agent,
            )
        return True
