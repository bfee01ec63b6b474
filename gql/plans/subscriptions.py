"""Realtime fields of AI plans."""

from collections.abc import AsyncGenerator

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.plans.types import ActionablePlan
from gql.realtime.events import ChangeType, owned_row_changes
from gql.realtime.executor import delivered_directly
from models import goals as goal_models
from resolvers import goals as goals_service


@strawberry.type
class PlanEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    type: ChangeType
    plan_id: strawberry.ID | None
    plan: ActionablePlan | None = strawberry.field(
        description="The plan now (its status, and its content once COMPLETED); null for "
        "DELETED, READY and RESYNC."
    )


@strawberry.type
class PlanSubscriptions:
    @strawberry.subscription(
        description="The plan of one of the viewer's goals as it is requested and moves "
        "PENDING -> GENERATING -> COMPLETED | FAILED, whoever writes it."
    )
    @delivered_directly
    async def plan_events(
        self, info: Info, goal_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[PlanEvent, None]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            goal = await goals_service.get_goal(
                session=session, owner_id=viewer.id, goal_id=parse_id(goal_id, field="goalId")
            )
        async for change in owned_row_changes(
            info, model=goal_models.ActionablePlan, topics={f"goal_id:{goal.id}"}, after=after
        ):
            row = change.row
            yield PlanEvent(
                cursor=change.cursor,
                type=change.type,
                plan_id=change.row_id,
                plan=ActionablePlan.from_model(row) if row is not None else None,
            )
