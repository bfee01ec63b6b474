"""Goal domain logic: templates (and, later, goals and check-ins)."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.goals import GoalCategory, GoalTemplate


async def list_goal_templates(
    *, session: AsyncSession, category: GoalCategory | None = None
) -> Sequence[GoalTemplate]:
    """Lists goal templates, optionally of one category, in a stable order."""
    query = select(GoalTemplate).order_by(
        GoalTemplate.category, GoalTemplate.title, GoalTemplate.id
    )
    if category is not None:
        query = query.where(GoalTemplate.category == category)
    return (await session.scalars(query)).all()
