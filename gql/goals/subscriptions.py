"""Realtime fields of the goals domain."""

from collections.abc import AsyncGenerator

import strawberry

from gql.context import Info
from gql.goals.types import CheckIn, Goal
from gql.ids import parse_id
from gql.realtime.events import ChangeType, owned_row_changes
from gql.realtime.executor import delivered_directly
from models import goals as goal_models
from resolvers import goals as goals_service

RESUME = "Pass as `after` to resume after this event."


@strawberry.type
class CheckInEvent:
    cursor: str = strawberry.field(description=RESUME)
    type: ChangeType
    check_in_id: strawberry.ID | None
    check_in: CheckIn | None = strawberry.field(description="Null for DELETED and RESYNC.")


@strawberry.type
class GoalEvent:
    cursor: str = strawberry.field(description=RESUME)
    type: ChangeType
    goal_id: strawberry.ID | None
    goal: Goal | None = strawberry.field(description="Null for DELETED and RESYNC.")


@strawberry.type
class GoalSubscriptions:
    @strawberry.subscription(
        description="Check-ins of one of the viewer's goals (or all of "
        "them) created, updated or deleted by any device or job."
    )
    @delivered_directly
    async def check_in_events(
        self, info: Info, goal_id: strawberry.ID | None = None, after: str | None = None
    ) -> AsyncGenerator[CheckInEvent, None]:
        viewer = info.context.require_viewer()
        topics = {f"user_id:{viewer.id}"}
        if goal_id is not None:
            async with info.context.sessionmaker() as session:
                goal = await goals_service.get_goal(
                    session=session, owner_id=viewer.id, goal_id=parse_id(goal_id, field="goalId")
                )
            topics = {f"goal_id:{goal.id}"}
        async for change in owned_row_changes(
            info, model=goal_models.CheckIn, topics=topics, after=after
        ):
            row = change.row
            yield CheckInEvent(
                cursor=change.cursor,
                type=change.type,
                check_in_id=change.row_id,
                check_in=CheckIn.from_model(row) if row is not None else None,
            )

    @strawberry.subscription(
        description="The viewer's goals created, updated (archiving included) or deleted."
    )
    @delivered_directly
    async def goal_events(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[GoalEvent, None]:
        viewer = info.context.require_viewer()
        async for change in owned_row_changes(
            info, model=goal_models.Goal, topics={f"user_id:{viewer.id}"}, after=after
        ):
            row = change.row
            yield GoalEvent(
                cursor=change.cursor,
                type=change.type,
                goal_id=change.row_id,
                goal=Goal.from_model(row) if row is not None else None,
            )
