"""Staff actions. Each writes an audit_logs row (old and new values, IP, user agent) in the
same transaction as the change it records."""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import achievements as achievement_models
from models.achievements import AchievementType
from models.admin import AuditLog
from models.social import Post
from models.users import RefreshToken, User
from resolvers import validation
from resolvers.admin import require_role
from resolvers.errors import BadUserInput, Conflict, NotFound

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


@dataclass(frozen=True)
class NewAchievementType:
    key: str
    name: str
    description: str | None
    icon_url: str | None
    category: str
    rule: str | None
    threshold: int | None
    points: int


ACHIEVEMENT_KEY = re.compile(achievement_models.KEY_PATTERN)
MAX_ACHIEVEMENT_POINTS = 100_000


def _criteria(rule: str | None, threshold: int | None) -> dict[str, Any] | None:
    """The unlock rule of a new type (None: awarded by hand)."""
    if rule is None:
        if threshold is not None:
            raise BadUserInput("a threshold needs a rule", field="threshold")
        return None
    if rule not in achievement_models.RULES:
        raise BadUserInput(
            f"rule must be one of {', '.join(achievement_models.RULES)}", field="rule"
        )
    if threshold is None or not 1 <= threshold <= achievement_models.MAX_THRESHOLD:
        raise BadUserInput(
            f"threshold must be between 1 and {achievement_models.MAX_THRESHOLD}", field="threshold"
        )
    return {"rule": rule, "threshold": threshold}


async def create_achievement_type(
    *, session: AsyncSession, staff_user_id: uuid.UUID, new: NewAchievementType, origin: Origin
) -> AchievementType:
    """Adds a badge to the catalogue (admins); with a rule, it unlocks from the next write
    that reaches its threshold."""
    staff = await require_role(session=session, user_id=staff_user_id, roles=("admin",))
    if not ACHIEVEMENT_KEY.fullmatch(new.key):
        raise BadUserInput("key must be 2-64 characters of a-z, 0-9 and _", field="key")
    if new.category not in achievement_models.CATEGORIES:
        raise BadUserInput(
            f"category must be one of {', '.join(achievement_models.CATEGORIES)}", field="category"
        )
    if not 0 <= new.points <= MAX_ACHIEVEMENT_POINTS:
        raise BadUserInput(f"points must be 0-{MAX_ACHIEVEMENT_POINTS}", field="points")
    kind = AchievementType(
        key=new.key,
        name=validation.text(new.name, field="name", maximum=100),
        description=validation.optional_text(new.description, field="description", maximum=500),
        icon_url=validation.url(new.icon_url, field="iconUrl"),
        category=new.category,
        criteria=_criteria(new.rule, new.threshold),
        points=new.points,
    )
    taken = await session.scalar(select(AchievementType.id).where(AchievementType.key == new.key))
    if taken is not None:
        raise Conflict("an achievement type has this key", field="key")
    session.add(kind)
    await session.flush()
    _audit(
        session,
        admin_user_id=staff.id,
        action="achievement_type.create",
        resource_type="achievement_type",
        resource_id=kind.id,
        old_values={},
        new_values={"key": kind.key, "criteria": kind.criteria, "points": kind.points},
        origin=origin,
    )
    try:
        await session.commit()
    except IntegrityError:  # the same key created concurrently
        raise Conflict("an achievement type has this key", field="key") from None
    return kind


async def retire_achievement_type(
    *, session: AsyncSession, staff_user_id: uuid.UUID, type_id: uuid.UUID, origin: Origin
) -> AchievementType:
    """Takes a badge out of the catalogue (admins): it unlocks no more; badges already
    unlocked stay."""
    staff = await require_role(session=session, user_id=staff_user_id, roles=("admin",))
    kind = await session.scalar(
        select(AchievementType).where(AchievementType.id == type_id).with_for_update()
    )
    if kind is None:
        raise NotFound("achievement type not found")
    old = kind.is_active
    kind.is_active = False
    _audit(
        session,
        admin_user_id=staff.id,
        action="achievement_type.retire",
        resource_type="achievement_type",
        resource_id=kind.id,
        old_values={"is_active": old},
        new_values={"is_active": False},
        origin=origin,
    )
    await session.commit()
    return kind
