"""GraphQL types of the goals domain."""

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

import strawberry

from gql.context import Info
from gql.conversion import fields_from
from gql.pagination import Connection
from gql.plans.types import ActionablePlan
from gql.realtime.sharing import PER_VIEWER
from models import goals as goal_models
from resolvers import goals as goals_service

# Registering the model enums with Strawberry lets fields be annotated with them directly.
strawberry.enum(goal_models.GoalCategory, name="GoalCategory")
strawberry.enum(goal_models.GoalFrequency, name="GoalFrequency")


@strawberry.type
class GoalTemplate:
    id: strawberry.ID
    title: str
    description: str | None
    category: goal_models.GoalCategory
    frequency: goal_models.GoalFrequency
    target_days: int | None
    reminder_times: list[str]
    is_ai_generated: bool
    match_reason: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, template: goal_models.GoalTemplate) -> "GoalTemplate":
        return cls(**fields_from(cls, template, reminder_times=template.reminder_times or []))


@strawberry.type
class CheckIn:
    id: strawberry.ID
    goal_id: strawberry.ID
    date: date
    completed: bool
    reflection: str | None
    mood: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, check_in: goal_models.CheckIn) -> "CheckIn":
        return cls(**fields_from(cls, check_in))


@strawberry.type
class Goal:
    id: strawberry.ID
    title: str
    description: str | None
    category: goal_models.GoalCategory
    frequency: goal_models.GoalFrequency
    target_days: int | None
    reminder_times: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[goal_models.Goal]

    @classmethod
    def from_model(cls, goal: goal_models.Goal) -> "Goal":
        return cls(**fields_from(cls, goal, reminder_times=goal.reminder_times or [], model=goal))

    async def _progress(self, info: Info) -> goals_service.Progress:
        completed = await info.context.loaders.completed_dates_by_goal_id.load(self.model.id)
        viewer = info.context.require_viewer()
        return goals_service.progress(
            self.model, completed, now=datetime.now(UTC), timezone=viewer.timezone
        )

    @strawberry.field(
        description="Consecutive successful days (daily) or weeks (weekly) up to "
        "now; today's or this week's period counts once it is met.",
        metadata=PER_VIEWER,
    )
    async def current_streak(self, info: Info) -> int:
        return (await self._progress(info)).current_streak

    @strawberry.field(
        description="The longest run of successful days or weeks.", metadata=PER_VIEWER
    )
    async def longest_streak(self, info: Info) -> int:
        return (await self._progress(info)).longest_streak

    @strawberry.field(
        description="Done over due since the goal began, 0 to 1; weekly goals "
        "count up to targetDays check-ins per week.",
        metadata=PER_VIEWER,
    )
    async def completion_rate(self, info: Info) -> float:
        return (await self._progress(info)).completion_rate

    @strawberry.field(description="The goal's AI plan; null if never requested (requestPlan).")
    async def plan(self, info: Info) -> ActionablePlan | None:
        plan = await info.context.loaders.plan_by_goal_id.load(self.model.id)
        return ActionablePlan.from_model(plan) if plan is not None else None

    @strawberry.field(description="Check-ins of this goal, newest date first.", metadata=PER_VIEWER)
    async def check_ins(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> Connection[CheckIn]:
        return await check_ins_connection(info, self.model.id, from_, to, first, after)


async def check_ins_connection(
    info: Info,
    goal_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    first: int | None,
    after: str | None,
) -> Connection[CheckIn]:
    """The viewer's check-ins (of one goal, or all) as a connection."""
    viewer = info.context.require_viewer()
    async with info.context.sessionmaker() as session:
        page = await goals_service.check_ins_page(
            session=session,
            owner_id=viewer.id,
            goal_id=goal_id,
            date_from=date_from,
            date_to=date_to,
            first=first,
            after=after,
        )
    return Connection.from_page(page, CheckIn.from_model)
