"""Root query fields of AI plans."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.plans.types import ActionablePlan
from resolvers import plans as plans_service


@strawberry.type
class PlanQueries:
    @strawberry.field(description="The plan of one of the viewer's goals; null if never requested.")
    async def plan(self, info: Info, goal_id: strawberry.ID) -> ActionablePlan | None:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            plan = await plans_service.plan_of_goal(
                session=session, owner_id=viewer.id, goal_id=parse_id(goal_id, field="goalId")
            )
        return ActionablePlan.from_model(plan) if plan is not None else None
