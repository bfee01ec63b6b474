"""GraphQL types of the goals domain."""

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.dataloader import DataLoader

from gql.ahead import Ahead, Later, fill, now_or_later, then
from gql.context import Info
from gql.conversion import fields_from
from gql.pagination import Connection, connection_of
from gql.plans.types import ActionablePlan
from gql.realtime.sharing import PER_VIEWER
from models import goals as goal_models
from resolvers import goals as goals_service

# Registering the model enums with Strawberry lets fields be annotated with them directly.
strawberry.enum(goal_models.GoalCategory, name="GoalCategory")
strawberry.enum(goal_models.GoalFrequency, name="GoalFrequency")

Value = TypeVar("Value")


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

    def _progress(
        self, info: Info, pick: Callable[[goals_service.Progress], Value]
    ) -> Later[Value]:
        viewer = info.context.require_viewer()
        completed = now_or_later(info.context.loaders.completed_dates_by_goal_id, self.model.id)
        return then(
            completed,
            lambda dates: pick(
                goals_service.progress(
                    self.model, dates, now=datetime.now(UTC), timezone=viewer.timezone
                )
            ),
        )

    @strawberry.field(
        description="Consecutive successful days (daily) or weeks (weekly) up to "
        "now; today's or this week's period counts once it is met.",
        metadata=PER_VIEWER,
        graphql_type=int,
    )
    def current_streak(self, info: Info) -> Later[int]:
        return self._progress(info, lambda progress: progress.current_streak)

    @strawberry.field(
        description="The longest run of successful days or weeks.",
        metadata=PER_VIEWER,
        graphql_type=int,
    )
    def longest_streak(self, info: Info) -> Later[int]:
        return self._progress(info, lambda progress: progress.longest_streak)

    @strawberry.field(
        description="Done over due since the goal began, 0 to 1; weekly goals "
        "count up to targetDays check-ins per week.",
        metadata=PER_VIEWER,
        graphql_type=float,
    )
    def completion_rate(self, info: Info) -> Later[float]:
        return self._progress(info, lambda progress: progress.completion_rate)

    @strawberry.field(
        description="The goal's AI plan; null if never requested (requestPlan).",
        graphql_type=ActionablePlan | None,
    )
    def plan(self, info: Info) -> Later[ActionablePlan | None]:
        plan = now_or_later(info.context.loaders.plan_by_goal_id, self.model.id)
        return then(plan, lambda row: ActionablePlan.from_model(row) if row is not None else None)

    @strawberry.field(
        description="Check-ins of this goal, newest date first.",
        metadata=PER_VIEWER,
        graphql_type=Connection[CheckIn],
    )
    def check_ins(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> Later[Connection[CheckIn]]:
        viewer = info.context.require_viewer()
        goals_service.check_date_range(from_, to)
        return connection_of(
            info,
            self.model.id,
            info.context.loaders.first_check_ins_by_goal_id(first, from_, to),
            after=after,
            later=lambda session: goals_service.check_ins_page(
                session=session,
                owner_id=viewer.id,
                goal_id=self.model.id,
                date_from=from_,
                date_to=to,
                first=first,
                after=after,
            ),
            convert=CheckIn.from_model,
        )


async def goals_ahead(info: Info, ahead: Ahead, goals: Sequence[goal_models.Goal]) -> None:
    """Loads what the selection asks of these goals (progress, plans, first check-ins), a
    statement per relation, before their fields resolve."""
    loaders = info.context.loaders
    ids = [goal.id for goal in goals]
    progress = ("currentStreak", "longestStreak", "completionRate")
    loads: list[DataLoader[uuid.UUID, Any] | None] = [
        loaders.completed_dates_by_goal_id if any(map(ahead.selects, progress)) else None,
        loaders.plan_by_goal_id if ahead.selects("plan") else None,
    ]
    for check_ins in ahead.each("checkIns"):
        date_from, date_to = check_ins.argument("from"), check_ins.argument("to")
        if check_ins.argument("after") is None and (
            date_from is None or date_to is None or date_from <= date_to
        ):
            first = check_ins.argument("first")
            loads.append(loaders.first_check_ins_by_goal_id(first, date_from, date_to))
    await fill(*(loader.load_many(ids) for loader in loads if loader is not None))


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
    async with info.context.reads() as session:
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
