"""Sign-up, log-in and refresh-token rotation."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.users import RefreshToken, User
from resolvers import passwords, validation
from resolvers.errors import Conflict, Unauthenticated
from resolvers.tokens import (
    TokenPolicy,
    issue_access_token,
    new_refresh_token,
    refresh_token_hash,
)

INVALID_LOGIN = "wrong email or password"


@dataclass(frozen=True)
class Session:
    """What a successful authentication hands the client."""

    access_token: str
    refresh_token: str
    user: User


async def sign_up(
    *,
    session: AsyncSession,
    policy: TokenPolicy,
    email: str,
    password: str,
    name: str,
    username: str,
) -> Session:
    """Creates an email/password account and signs it in."""
    user = User(
        email=validation.email(email),
        name=validation.name(name),
        username=validation.username(username),
        password_hash=await passwords.hash_password(validation.password(password)),
        auth_provider="email",
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        if "uq_users_username" in str(error.orig):
            raise Conflict("username is taken", field="username") from None
        raise Conflict("an account with this email exists", field="email") from None
    return await _start_session(session=session, policy=policy, user=user)


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
    if passwords.needs_rehash(stored_hash):
        user.password_hash = await passwords.hash_password(password)
    user.last_login_at = datetime.now(UTC)
    return await _start_session(session=session, policy=policy, user=user)


async def refresh(*, session: AsyncSession, policy: TokenPolicy, refresh_token: str) -> Session:
    """Rotates a refresh token. Presenting one that was already rotated or revoked means it
    leaked: the whole family (every token descended from that log-in) is revoked."""
    now = datetime.now(UTC)
    stored = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == refresh_token_hash(refresh_token))
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
    return await _start_session(session=session, policy=policy, user=user, family=stored.family_id)


async def _start_session(
    *, session: AsyncSession, policy: TokenPolicy, user: User, family: uuid.UUID | None = None
) -> Session:
    now = datetime.now(UTC)
    token, token_hash = new_refresh_token()
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
        access_token=issue_access_token(user_id=user.id, policy=policy, now=now),
        refresh_token=token,
        user=user,
    )
