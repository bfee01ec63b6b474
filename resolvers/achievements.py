"""Achievements: the public catalogue of badge types and the badges each user unlocked.
Unlocking happens in the database, whoever writes (migration 0011); time-based rules are
awarded by `award_ended_challenges()`, which the achievements worker calls.

Policy: the catalogue's active types are public; retired ones are listed to admins only.
A user's badges are visible to whoever can see the user; the goal a badge was earned on
only to its owner (goals are private).
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from models.achievements import AchievementType, UserAchievement
from resolvers.admin import require_role


async def achievement_types(
    *, session: AsyncSession, viewer_id: uuid.UUID | None, include_retired: bool
) -> Sequence[AchievementType]:
    query = select(AchievementType).order_by(
        AchievementType.category, AchievementType.points, AchievementType.key
    )
    if include_retired:
        await require_role(session=session, user_id=viewer_id, roles=("admin",))
    else:
        query = query.where(AchievementType.is_active)
    return (await session.scalars(query)).all()


async def achievement_types_by_ids(
    *, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[AchievementType | None]:
    found = {
        kind.id: kind
        for kind in await session.scalars(
            select(AchievementType).where(AchievementType.id.in_(ids))
        )
    }
    return [found.get(kind_id) for kind_id in ids]


async def achievements_by_user_ids(
    *, session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> list[list[UserAchievement]]:
    """Each user's badges, newest first, in one query."""
    rows = await session.scalars(
        select(UserAchievement)
        .where(UserAchievement.user_id.in_(user_ids))
        .order_by(UserAchievement.unlocked_at.desc(), UserAchievement.id)
    )
    by_user: dict[uuid.UUID, list[UserAchievement]] = {user_id: [] for user_id in user_ids}
    for row in rows:
        by_user[row.user_id].append(row)
    return [by_user[user_id] for user_id in user_ids]


async def award_ended_challenges(db: AsyncConnection) -> int:
    """Runs the time-based rule once; returns how many users it evaluated."""
    evaluated: int = await db.scalar(text("SELECT award_ended_challenges()"))
    return evaluated
