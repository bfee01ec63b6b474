"""Staff actions. Each writes an audit_logs row (old and new values, IP, user agent) in the
same transaction as the change it records."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.admin import AuditLog
from models.social import Post
from models.users import RefreshToken, User
from resolvers import validation
from resolvers.admin import require_role
from resolvers.errors import BadUserInput, NotFound

MAX_REASON = 500
MAX_USER_AGENT = 512


@dataclass(frozen=True)
class Origin:
    """Where a staff request came from, for the audit log."""

    ip_address: str | None
    user_agent: str | None


def _audit(
    session: AsyncSession,
    *,
    admin_user_id: uuid.UUID,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID,
    old_values: dict[str, Any],
    new_values: dict[str, Any],
    origin: Origin,
) -> None:
    session.add(
        AuditLog(
            admin_user_id=admin_user_id,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            old_values=old_values,
            new_values=new_values,
            ip_address=origin.ip_address,
            user_agent=origin.user_agent[:MAX_USER_AGENT] if origin.user_agent else None,
        )
    )


async def set_user_active(
    *,
    session: AsyncSession,
    staff_user_id: uuid.UUID,
    user_id: uuid.UUID,
    active: bool,
    reason: str,
    origin: Origin,
) -> User:
    """Enables or disables an account (admins only). Disabling also revokes its refresh
    tokens, so no new access token can be had."""
    staff = await require_role(session=session, user_id=staff_user_id, roles=("admin",))
    reason = validation.text(reason, field="reason", maximum=MAX_REASON)
    if user_id == staff_user_id:
        raise BadUserInput("admins cannot change their own account's state", field="userId")
    user = await session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFound("user not found")
    old = user.is_active
    user.is_active = active
    if not active:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    _audit(
        session,
        admin_user_id=staff.id,
        action="user.activate" if active else "user.deactivate",
        resource_type="user",
        resource_id=user_id,
        old_values={"is_active": old},
        new_values={"is_active": active, "reason": reason},
        origin=origin,
    )
    await session.commit()
    return user


async def moderate_delete_post(
    *,
    session: AsyncSession,
    staff_user_id: uuid.UUID,
    post_id: uuid.UUID,
    reason: str,
    origin: Origin,
) -> None:
    """Soft-deletes anyone's post (moderators and admins)."""
    staff = await require_role(session=session, user_id=staff_user_id, roles=("admin", "moderator"))
    reason = validation.text(reason, field="reason", maximum=MAX_REASON)
    post = await session.scalar(
        select(Post).where(Post.id == post_id, Post.deleted_at.is_(None)).with_for_update()
    )
    if post is None:
        raise NotFound("post not found")
    post.deleted_at = datetime.now(UTC)
    _audit(
        session,
        admin_user_id=staff.id,
        action="post.moderate_delete",
        resource_type="post",
        resource_id=post_id,
        old_values={"deleted_at": None, "user_id": str(post.user_id)},
        new_values={"deleted_at": post.deleted_at.isoformat(), "reason": reason},
        origin=origin,
    )
    await session.commit()
