"""Mutations of AI plans."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.plans.types import ActionablePlan
from resolvers import plans as plans_service


@strawberry.type
class PlanMutations:
    @strawberry.mutation(
        description="Asks for a goal's plan (a worker generates it; watch its status). "
        "Idempotent while PENDING or GENERATING; a FAILED plan starts over; a COMPLETED one "
        "starts over only with regenerate."
    )
    async def request_plan(
        self, info: Info, goal_id: strawberry.ID, regenerate: bool = False
    ) -> ActionablePlan:
        viewer = info.context.require_viewer()
        goal = parse_id(goal_id, field="goalId")
        await info.context.limiter.hit("plan", str(viewer.id))
        async with info.context.sessionmaker() as session:
            plan = await plans_service.request_plan(
                session=session, owner_id=viewer.id, goal_id=goal, regenerate=regenerate
            )
        return ActionablePlan.from_model(plan)
