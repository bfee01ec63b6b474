"""Account lifecycle after sign-up: signing out, passwords, a new email address, deleting the
account, exporting one's data.

Signing out everywhere, a new password and a reset raise the account's session version:
every access token issued before is refused at once (and the account's sockets end, 4003),
and every refresh token is revoked. Links sent by email are single-use and expire
(`email_verifications` with a purpose). Requests that take an email address answer the same
whether or not an account has it.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.admin import AuditLog
from models.notifications import OutboundEmail
from models.users import EmailVerification, RefreshToken, User, UserConsent
from resolvers import passwords, validation
from resolvers.auth import Session, start_session, use_link
from resolvers.errors import BadUserInput, Conflict, Unauthenticated
from resolvers.tokens import TokenPolicy, new_opaque_token, opaque_token_hash

LINK_LIFETIMES = {"reset_password": timedelta(hours=1), "change_email": timedelta(hours=24)}
MAX_USER_AGENT = 512


async def log_out(*, session: AsyncSession, refresh_token: str) -> None:
    """Ends the log-in a refresh token belongs to (its whole family). An unknown or retired
    token is not an error: the device is signed out either way. Access tokens already
    issued to it last until they expire (15 minutes by default); logOutEverywhere also
    ends those."""
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == opaque_token_hash(refresh_token))
    )
    if stored is not None:
        await _revoke(session, RefreshToken.family_id == stored.family_id)
    await session.commit()


async def _revoke(session: AsyncSession, which: Any) -> None:
    await session.execute(
        update(RefreshToken)
        .where(which, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def _sign_out_everywhere(session: AsyncSession, user: User) -> None:
    """Refuses every token issued so far (access and refresh) and ends the sockets."""
    user.session_version += 1
    await _revoke(session, RefreshToken.user_id == user.id)


async def log_out_everywhere(*, session: AsyncSession, user: User) -> None:
    user = await _locked(session, user.id)
    await _sign_out_everywhere(session, user)
    await session.commit()


async def _locked(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.scalar(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is None or not user.is_active:
        raise Unauthenticated("this account is disabled or gone")
    return user


async def _check_password(user: User, password: str | None) -> None:
    if user.password_hash is None:
        raise BadUserInput(
            f"this account signs in with {user.auth_provider} and has no password; "
            "set one with requestPasswordReset",
            field="password",
        )
    if password is None or not await passwords.verify_password(password, user.password_hash):
        raise BadUserInput("the password is wrong", field="password")


async def change_password(
    *, session: AsyncSession, policy: TokenPolicy, user: User, current: str, new: str
) -> Session:
    """Sets a new password; every other device is signed out, this one gets new tokens."""
    user = await _locked(session, user.id)
    await _check_password(user, current)
    user.password_hash = await passwords.hash_password(validation.password(new))
    await _sign_out_everywhere(session, user)
    return await start_session(session=session, policy=policy, user=user)


def _link(session: AsyncSession, user: User, purpose: str, new_email: str | None = None) -> str:
    token, token_hash = new_opaque_token()
    session.add(
        EmailVerification(
            user_id=user.id,
            token_hash=token_hash,
            purpose=purpose,
            new_email=new_email,
            expires_at=datetime.now(UTC) + LINK_LIFETIMES[purpose],
        )
    )
    return token


async def request_password_reset(*, session: AsyncSession, email: str) -> OutboundEmail | None:
    """Sends a reset link (valid one hour) when an active account has the address; returns
    the email queued (for the development log; the client's answer never depends on it)."""
    address = validation.email(email)
    user = await session.scalar(select(User).where(User.email == address, User.is_active))
    if user is None:
        return None
    mail = OutboundEmail(
        to_address=address,
        template="reset_password",
        data={"name": user.name, "token": _link(session, user, "reset_password")},
    )
    session.add(mail)
    await session.commit()
    return mail


async def reset_password(
    *, session: AsyncSession, policy: TokenPolicy, token: str, new: str
) -> Session:
    """Uses a reset link: the new password is set, every device is signed out (this one
    gets new tokens), and the address counts as confirmed (the link reached it)."""
    password_hash = await passwords.hash_password(validation.password(new))
    link = await use_link(session, token, "reset_password")
    user = await _locked(session, link.user_id)
    user.password_hash = password_hash
    user.email_verified = True
    user.last_login_at = datetime.now(UTC)
    await _sign_out_everywhere(session, user)
    return await start_session(session=session, policy=policy, user=user)


async def request_email_change(
    *, session: AsyncSession, user: User, password: str | None, new_email: str
) -> OutboundEmail | None:
    """Sends a confirmation link (valid 24 hours) to the new address, unless it belongs to
    another account (the answer is the same: which addresses are taken is not told)."""
    user = await _locked(session, user.id)
    await _check_password(user, password)
    address = validation.email(new_email)
    if address == user.email:
        raise BadUserInput("this is already your address", field="newEmail")
    if await session.scalar(select(User.id).where(User.email == address)) is not None:
        await session.rollback()
        return None
    token = _link(session, user, "change_email", new_email=address)
    mail = OutboundEmail(
        to_address=address, template="change_email", data={"name": user.name, "token": token}
    )
    session.add(mail)
    await session.commit()
    return mail


async def confirm_email_change(*, session: AsyncSession, token: str) -> User:
    """Uses a change link: the account takes the new address (confirmed), and the old one
    is told."""
    link = await use_link(session, token, "change_email")
    user = await _locked(session, link.user_id)
    assert link.new_email is not None
    old = user.email
    user.email, user.email_verified = link.new_email, True
    session.add(OutboundEmail(to_address=old, template="email_changed", data={"name": user.name}))
    try:
        await session.commit()
    except IntegrityError:
        raise Conflict("another account took this address meanwhile", field="token") from None
    return user


async def delete_account(
    *,
    session: AsyncSession,
    user: User,
    password: str | None,
    confirm_email: str,
    ip_address: str | None,
    user_agent: str | None,
) -> None:
    """Deletes the account and everything it owns (the cascades in docs/schema.md); its
    sockets end at once (4001). An audit entry keeps the fact, not the person's data."""
    user = await _locked(session, user.id)
    if confirm_email.strip().lower() != user.email:
        raise BadUserInput("type the account's email address to confirm", field="confirmEmail")
    if user.password_hash is not None:
        await _check_password(user, password)
    session.add(
        AuditLog(
            admin_user_id=None,
            action="user.delete_self",
            resource_type="user",
            resource_id=user.id,
            old_values={},
            new_values={"deleted": True},
            ip_address=ip_address,
            user_agent=user_agent[:MAX_USER_AGENT] if user_agent else None,
        )
    )
    await session.delete(user)
    try:
        await session.commit()
    except IntegrityError:
        raise Conflict(
            "a staff account with audit entries or blog posts is removed by an admin",
            field="confirmEmail",
        ) from None


# What an export holds: each table with the column naming the owner; secrets (password
# hashes, token hashes, provider tokens) are left out.
EXPORTED = (
    ("profile", "users", "id"),
    ("consents", "user_consents", "user_id"),
    ("sign_in_providers", "oauth_accounts", "user_id"),
    ("feed_preferences", "feed_preferences", "user_id"),
    ("goals", "goals", "user_id"),
    ("check_ins", "check_ins", "user_id"),
    ("plans", "actionable_plans", "user_id"),
    ("daily_motivations", "daily_motivations", "user_id"),
    ("motivations", "motivations", "user_id"),
    ("meals", "meal_logs", "user_id"),
    ("nutrition", "daily_nutrition_summaries", "user_id"),
    ("achievements", "user_achievements", "user_id"),
    ("posts", "posts", "user_id"),
    ("comments", "comments", "user_id"),
    ("reactions", "likes", "user_id"),
    ("following", "follows", "follower_id"),
    ("followers", "follows", "following_id"),
    ("partnerships_asked", "accountability_partners", "requester_id"),
    ("partnerships_asked_by", "accountability_partners", "partner_id"),
    ("challenges_owned", "challenges", "owner_id"),
    ("challenge_participation", "challenge_participants", "user_id"),
    ("notifications", "notification_history", "user_id"),
    ("subscriptions", "subscriptions", "user_id"),
    ("purchases", "iap_receipts", "user_id"),
)
SECRETS = ("password_hash", "access_token", "refresh_token", "receipt_data", "session_version")


async def export_data(*, session: AsyncSession, user: User) -> dict[str, Any]:
    """Everything the account owns, as JSON: one list of rows per kind."""
    export: dict[str, Any] = {"exported_at": datetime.now(UTC).isoformat()}
    secrets = "ARRAY[" + ", ".join(f"'{name}'" for name in SECRETS) + "]"
    for name, table, owner in EXPORTED:
        rows = await session.scalar(
            text(
                f"SELECT coalesce(jsonb_agg(to_jsonb(t) - {secrets}::text[]), '[]') "
                f"FROM {table} t WHERE {owner} = :id"
            ),
            {"id": user.id},
        )
        export[name] = rows
    return export


async def consents(*, session: AsyncSession, user_id: uuid.UUID) -> list[UserConsent]:
    """The user's consent decisions, newest first (the history is kept)."""
    rows = await session.scalars(
        select(UserConsent)
        .where(UserConsent.user_id == user_id)
        .order_by(UserConsent.created_at.desc(), UserConsent.id)
    )
    return list(rows)
