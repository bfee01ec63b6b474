"""Changing goals and check-ins; only their owner may."""

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.goals import CheckIn, Goal, GoalFrequency, GoalTemplate
from models.users import User
from resolvers import plan_limits, validation
from resolvers.errors import BadUserInput, NotFound
from resolvers.goals import get_goal, loggable_day

MAX_TITLE = 200
MAX_DESCRIPTION = 2_000
MAX_REFLECTION = 2_000
GOAL_FIELDS = ("title", "description", "category", "frequency", "target_days", "reminder_times")


def _validated(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The given goal fields, validated and normalized; unknown keys are a bug."""
    unknown = set(fields) - set(GOAL_FIELDS)
    assert not unknown, unknown
    clean = dict(fields)
    if "title" in clean:
        clean["title"] = validation.text(clean["title"], field="title", maximum=MAX_TITLE)
    if "description" in clean:
        clean["description"] = validation.optional_text(
            clean["description"], field="description", maximum=MAX_DESCRIPTION
        )
    if "target_days" in clean:
        clean["target_days"] = validation.target_days(clean["target_days"])
    if "reminder_times" in clean:
        clean["reminder_times"] = validation.reminder_times(clean["reminder_times"])
    return clean


def _check_schedule(goal: Goal) -> None:
    if goal.frequency is GoalFrequency.WEEKLY and goal.target_days is None:
        raise BadUserInput("weekly goals need targetDays (days per week)", field="targetDays")


async def create_goal(
    *, session: AsyncSession, owner_id: uuid.UUID, fields: Mapping[str, Any]
) -> Goal:
    clean = _validated(fields)
    if clean.get("frequency") is GoalFrequency.DAILY and clean.get("target_days") is None:
        clean["target_days"] = 7
    goal = Goal(user_id=owner_id, **clean)
    _check_schedule(goal)
    await plan_limits.check_new_active_goal(session, owner_id)
    session.add(goal)
    await session.commit()
    return goal


async def create_goal_from_template(
    *, session: AsyncSession, owner_id: uuid.UUID, template_id: uuid.UUID
) -> Goal:
    template = await session.get(GoalTemplate, template_id)
    if template is None:
        raise NotFound("goal template not found")
    fields = {name: getattr(template, name) for name in GOAL_FIELDS}
    return await create_goal(session=session, owner_id=owner_id, fields=fields)


async def update_goal(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    goal_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Goal:
    """Applies the given changes; fields not given stay as they are."""
    goal = await get_goal(session=session, owner_id=owner_id, goal_id=goal_id)
    for name, value in _validated(changes).items():
        setattr(goal, name, value)
    _check_schedule(goal)
    await session.commit()
    return goal


async def set_goal_active(
    *, session: AsyncSession, owner_id: uuid.UUID, goal_id: uuid.UUID, active: bool
) -> Goal:
    """Archives (active=False) or restores a goal; its check-ins are kept."""
    goal = await get_goal(session=session, owner_id=owner_id, goal_id=goal_id)
    if active and not goal.is_active:
        await plan_limits.check_new_active_goal(session, owner_id)
    goal.is_active = active
    await session.commit()
    return goal


async def delete_goal(*, session: AsyncSession, owner_id: uuid.UUID, goal_id: uuid.UUID) -> None:
    """Deletes a goal and its check-ins for good."""
    goal = await get_goal(session=session, owner_id=owner_id, goal_id=goal_id)
    await session.delete(goal)
    await session.commit()


async def check_in(
    *,
    session: AsyncSession,
    owner: User,
    goal_id: uuid.UUID,
    day: date,
    completed: bool,
    reflection: str | None,
    mood: int | None,
) -> CheckIn:
    """Records the check-in of a day, replacing an earlier one of the same goal and day, so
    two devices checking in converge on the last write. The day must be loggable
    (goals.loggable_day)."""
    goal = await get_goal(session=session, owner_id=owner.id, goal_id=goal_id)
    if not goal.is_active:
        raise BadUserInput("this goal is archived", field="goalId")
    loggable_day(day, owner.timezone, field="date")
    values = {
        "completed": completed,
        "reflection": validation.optional_text(
            reflection, field="reflection", maximum=MAX_REFLECTION
        ),
        "mood": validation.mood(mood),
    }
    statement = (
        insert(CheckIn)
        .values(goal_id=goal.id, user_id=owner.id, date=day, **values)
        .on_conflict_do_update(index_elements=[CheckIn.goal_id, CheckIn.date], set_=values)
        .returning(CheckIn)
    )
    stored = (await session.scalars(statement, execution_options={"populate_existing": True})).one()
    await session.commit()
    return stored


async def delete_check_in(
    *, session: AsyncSession, owner_id: uuid.UUID, check_in_id: uuid.UUID
) -> None:
    stored = await session.scalar(
        select(CheckIn).where(CheckIn.id == check_in_id, CheckIn.user_id == owner_id)
    )
    if stored is None:
        raise NotFound("check-in not found")
    await session.delete(stored)
    await session.commit()
