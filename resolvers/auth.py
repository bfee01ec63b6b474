"""Sign-up with a confirmed email address, log-in and refresh-token rotation.

Sign-up answers the same whether or not the address already has an account, so it cannot be
used to learn who is registered: a free address gets a new account and a verification link
(the account signs in once the link is used); a taken one gets a notice to its owner. An
account whose link expired unused never signed in, and its address may be signed up again.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.notifications import NotificationHistory, OutboundEmail
from models.users import EmailVerification, RefreshToken, User
from resolvers import passwords, validation
from resolvers.errors import Conflict, Unauthenticated
from resolvers.tokens import (
    TokenPolicy,
    issue_access_token,
    new_opaque_token,
    opaque_token_hash,
)

INVALID_LOGIN = "wrong email or password"
VERIFICATION_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Session:
    """What a successful authentication hands the client."""

    access_token: str
    refresh_token: str
    user: User


async def sign_up(
    *,
    session: AsyncSession,
    email: str,
    password: str,
    name: str,
    username: str,
) -> OutboundEmail:
    """Creates an email/password account waiting for its address to be confirmed, or tells
    the owner of a taken address about the attempt. Returns the email queued (for the
    caller's logs in development; the client's answer must not depend on it)."""
    address = validation.email(email)
    profile_name = validation.name(name)
    handle = validation.username(username)
    # Hashed in both cases, so both take as long.
    password_hash = await passwords.hash_password(validation.password(password))
    if await session.scalar(select(exists().where(User.username == handle))):
        raise Conflict("username is taken", field="username")
    existing = await session.scalar(select(User).where(User.email == address))
    if existing is not None and not await _abandoned(session, existing):
        return await _tell_owner(session, existing)
    if existing is not None:
        session.expunge(existing)
        await session.execute(delete(User).where(User.id == existing.id))
    user = User(
        email=address,
        name=profile_name,
        username=handle,
        password_hash=password_hash,
        auth_provider="email",
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        if "uq_users_username" in str(error.orig):
            raise Conflict("username is taken", field="username") from None
        # The address was signed up concurrently: its owner is told, like any other time.
        taken = await session.scalar(select(User).where(User.email == address))
        assert taken is not None
        return await _tell_owner(session, taken)
    token, token_hash = new_opaque_token()
    session.add(
        EmailVerification(
            user_id=user.id,
            token_hash=token_hash,
            expires_at=datetime.now(UTC) + VERIFICATION_LIFETIME,
        )
    )
    mail = OutboundEmail(
        to_address=address, template="verify_email", data={"name": profile_name, "token": token}
    )
    session.add(mail)
    await session.commit()
    return mail


async def _abandoned(session: AsyncSession, user: User) -> bool:
    """An account never confirmed and never signed in, whose every link expired unused."""
    if user.email_verified or user.last_login_at is not None:
        return False
    links = list(
        await session.scalars(
            select(EmailVerification).where(
                EmailVerification.user_id == user.id, EmailVerification.purpose == "verify_email"
            )
        )
    )
    now = datetime.now(UTC)
    return bool(links) and all(link.used_at is None and link.expires_at <= now for link in links)


async def _tell_owner(session: AsyncSession, owner: User) -> OutboundEmail:
    """A notice to the address's owner (by email and in the app) that someone tried to sign
    up with it."""
    mail = OutboundEmail(to_address=owner.email, template="sign_up_attempt", data={})
    session.add(mail)
    session.add(
        NotificationHistory(
            user_id=owner.id,
            notification_type="system",
            title="someone tried to create an account with your email address",
            channel="in_app",
            delivery_status="delivered",
            delivered_at=datetime.now(UTC),
        )
    )
    await session.commit()
    return mail


async def use_link(session: AsyncSession, token: str, purpose: str) -> EmailVerification:
    """Takes a link sent by email for its purpose, once, before it expires."""
    link = await session.scalar(
        select(EmailVerification)
        .where(
            EmailVerification.token_hash == opaque_token_hash(token),
            EmailVerification.purpose == purpose,
        )
        .with_for_update()
    )
    if link is None or link.used_at is not None or link.expires_at <= datetime.now(UTC):
        raise Unauthenticated("this link is invalid, used or expired")
    link.used_at = datetime.now(UTC)
    return link


async def verify_email(*, session: AsyncSession, policy: TokenPolicy, token: str) -> Session:
    """Uses a verification link: the address is confirmed and the account signed in."""
    link = await use_link(session, token, "verify_email")
    user = await session.get(User, link.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("this account is disabled")
    user.email_verified = True
    user.last_login_at = link.used_at
    return await start_session(session=session, policy=policy, user=user)


async def _awaiting_verification(session: AsyncSession, user: User) -> bool:
    """Signed up here and not confirmed yet (accounts from before, or from Supabase, have no
    link and are not held back)."""
    if user.email_verified:
        return False
    return bool(
        await session.scalar(
            select(
                exists().where(
                    EmailVerification.user_id == user.id,
                    EmailVerification.purpose == "verify_email",
                )
            )
        )
    )


async def log_in(
    *, session: AsyncSession, policy: TokenPolicy, email: str, password: str
) -> Session:
    """Checks the password (argon2id, or bcrypt from Supabase, upgraded on success)."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    stored_hash = user.password_hash if user is not None else None
    if not await passwords.verify_password(password, stored_hash):
        raise Unauthenticated(INVALID_LOGIN)
    assert user is not None and stored_hash is not None
    if not user.is_active:
        raise Unauthenticated("this account is disabled")
    if await _awaiting_verification(session, user):
        raise Unauthenticated("confirm your email address first, with the link sent to it")
    if passwords.needs_rehash(stored_hash):
        user.password_hash = await passwords.hash_password(password)
    user.last_login_at = datetime.now(UTC)
    return await start_session(session=session, policy=policy, user=user)


async def refresh(*, session: AsyncSession, policy: TokenPolicy, refresh_token: str) -> Session:
    """Rotates a refresh token. Presenting one that was already rotated or revoked means it
    leaked: the whole family (every token descended from that log-in) is revoked."""
    now = datetime.now(UTC)
    stored = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == opaque_token_hash(refresh_token))
        .with_for_update()
    )
    if stored is None:
        raise Unauthenticated("invalid refresh token")
    if stored.used_at is not None or stored.revoked_at is not None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == stored.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await session.commit()
        raise Unauthenticated("refresh token was already used; sign in again")
    if stored.expires_at <= now:
        raise Unauthenticated("refresh token expired; sign in again")
    user = await session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("this account is disabled")
    stored.used_at = now
    return await start_session(session=session, policy=policy, user=user, family=stored.family_id)


async def start_session(
    *, session: AsyncSession, policy: TokenPolicy, user: User, family: uuid.UUID | None = None
) -> Session:
    """Commits the session's work with a new refresh token (of a new log-in unless
    `family` is given) and returns tokens of the user's current session version."""
    now = datetime.now(UTC)
    token, token_hash = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family or uuid.uuid4(),
            token_hash=token_hash,
            expires_at=now + policy.refresh_lifetime,
        )
    )
    await session.commit()
    return Session(
        access_token=issue_access_token(
            user_id=user.id, policy=policy, now=now, session_version=user.session_version
        ),
        refresh_token=token,
        user=user,
    )
