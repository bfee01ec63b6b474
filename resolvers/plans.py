"""AI plans for goals: requested through the API, written by a plan worker (any SQL writer,
see plan_worker.py and docs/schema.md for its contract).

A goal has at most one plan, whose status moves pending -> generating -> completed | failed.
Policy: a plan is its goal owner's; anyone else gets NOT_FOUND, as for the goal.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.goals import ActionablePlan
from resolvers.errors import BadUserInput
from resolvers.goals import get_goal


async def plan_of_goal(
    *, session: AsyncSession, owner_id: uuid.UUID, goal_id: uuid.UUID
) -> ActionablePlan | None:
    """The plan of one of the owner's goals (None: never requested)."""
    await get_goal(session=session, owner_id=owner_id, goal_id=goal_id)
    plan: ActionablePlan | None = await session.scalar(
        select(ActionablePlan).where(ActionablePlan.goal_id == goal_id)
    )
    return plan


async def plans_by_goal_ids(
    *, session: AsyncSession, goal_ids: Sequence[uuid.UUID]
) -> list[ActionablePlan | None]:
    """Each goal's plan, in one query (the caller has checked the goals are the viewer's)."""
    plans = await session.scalars(
        select(ActionablePlan).where(ActionablePlan.goal_id.in_(goal_ids))
    )
    by_goal = {plan.goal_id: plan for plan in plans}
    return [by_goal.get(goal_id) for goal_id in goal_ids]


async def request_plan(
    *, session: AsyncSession, owner_id: uuid.UUID, goal_id: uuid.UUID, regenerate: bool
) -> ActionablePlan:
    """Asks for the goal's plan: a new plan starts pending; a pending or generating one is
    returned as it is (asking twice starts nothing twice); a failed one starts over; a
    completed one starts over only with `regenerate` (its content stays readable until the
    worker replaces it). One statement, so concurrent requests agree."""
    goal = await get_goal(session=session, owner_id=owner_id, goal_id=goal_id)
    if not goal.is_active:
        raise BadUserInput("this goal is archived", field="goalId")
    restartable = ["failed", "completed"] if regenerate else ["failed"]
    statement = (
        insert(ActionablePlan)
        .values(goal_id=goal.id, user_id=owner_id, status="pending")
        .on_conflict_do_update(
            index_elements=[ActionablePlan.goal_id],
            set_={"status": "pending", "error_message": None},
            where=or_(*(ActionablePlan.status == status for status in restartable)),
        )
        .returning(ActionablePlan)
    )
    options = {"populate_existing": True}
    stored = (await session.scalars(statement, execution_options=options)).one_or_none()
    if stored is None:  # pending, generating, or completed without regenerate: as it is
        stored = await session.scalar(
            select(ActionablePlan).where(ActionablePlan.goal_id == goal.id),
            execution_options=options,
        )
    await session.commit()
    assert stored is not None
    return stored
