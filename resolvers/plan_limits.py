"""What each plan tier allows: the one place where a plan gates a feature.

A user on a plan may hold at most so many active goals and own at most so many challenges
that have not ended. Going past is FORBIDDEN with `extensions.reason` PLAN_LIMIT (and the
`limit` and `plan`), so a client can offer an upgrade. The checks lock the user's row, so
concurrent creations cannot together pass the limit. `users.plan` is the tier (kept by the
store's subscription handling).
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.challenges import Challenge
from models.goals import Goal
from models.users import User
from resolvers.errors import Forbidden


@dataclass(frozen=True)
class PlanLimits:
    active_goals: int | None  # None: no limit
    live_challenges_owned: int | None


LIMITS = {
    "free": PlanLimits(active_goals=5, live_challenges_owned=1),
    "pro": PlanLimits(active_goals=50, live_challenges_owned=10),
    "elite": PlanLimits(active_goals=None, live_challenges_owned=None),
}


async def _plan_of(session: AsyncSession, user_id: uuid.UUID) -> str:
    """The user's plan, with their row locked until the caller's transaction ends."""
    plan = await session.scalar(
        select(User.plan).where(User.id == user_id).with_for_update(key_share=True)
    )
    assert plan is not None, "the caller's user exists"
    return plan


def _refuse(what: str, limit: int, plan: str) -> Forbidden:
    return Forbidden(
        f"the {plan} plan allows {limit} {what}; upgrade for more",
        reason="PLAN_LIMIT",
        limit=limit,
        plan=plan,
    )


async def check_new_active_goal(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Before a goal becomes active (created or unarchived)."""
    plan = await _plan_of(session, user_id)
    limit = LIMITS[plan].active_goals
    if limit is None:
        return
    active = await session.scalar(
        select(func.count()).select_from(Goal).where(Goal.user_id == user_id, Goal.is_active)
    )
    if (active or 0) >= limit:
        raise _refuse("active goals", limit, plan)


async def check_new_challenge(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Before a user creates a challenge."""
    plan = await _plan_of(session, user_id)
    limit = LIMITS[plan].live_challenges_owned
    if limit is None:
        return
    today = cast(func.timezone(Challenge.timezone, func.now()), Date)
    live = await session.scalar(
        select(func.count())
        .select_from(Challenge)
        .where(
            Challenge.owner_id == user_id,
            Challenge.deleted_at.is_(None),
            Challenge.ends_on >= today,
        )
    )
    if (live or 0) >= limit:
        raise _refuse("challenges that have not ended", limit, plan)
