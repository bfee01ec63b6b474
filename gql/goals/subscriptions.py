"""Realtime fields of the goals domain."""

from collections.abc import AsyncGenerator
from functools import partial

import strawberry

from gql.context import Info
from gql.events import ChangeType, changes
from gql.goals.types import CheckIn
from gql.ids import parse_id
from models.goals import CheckIn as CheckInRow
from resolvers import goals as goals_service
from subscriptions.log import LogEvent
from subscriptions.stream import Resync


@strawberry.type
class CheckInEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    type: ChangeType
    check_in_id: strawberry.ID | None
    check_in: CheckIn | None = strawberry.field(description="Null for DELETED and RESYNC.")


async def _check_in(info: Info, event: LogEvent) -> CheckInRow | None:
    async with info.context.sessionmaker() as session:
        return await session.get(CheckInRow, event.row_id)


@strawberry.type
class GoalSubscriptions:
    @strawberry.subscription(
        description="Check-ins of one of the viewer's goals (or all of "
        "them) created, updated or deleted by any device or job."
    )
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
        async for item in changes(info, topics=topics, tables={"check_ins"}, after=after):
            if isinstance(item, Resync):
                yield CheckInEvent(
                    cursor=str(item.cursor), type=ChangeType.RESYNC, check_in_id=None, check_in=None
                )
                continue
            row = None
            if item.operation != "DELETE":
                row = await info.context.realtime.rows.load(item, partial(_check_in, info, item))
                if row is None or row.user_id != viewer.id:
                    continue  # deleted since (its DELETED event follows), or not theirs
            yield CheckInEvent(
                cursor=str(item.cursor),
                type=ChangeType(item.operation),
                check_in_id=strawberry.ID(str(item.row_id)),
                check_in=CheckIn.from_model(row) if row is not None else None,
            )
