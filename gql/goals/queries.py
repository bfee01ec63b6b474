"""Root query fields of the goals domain."""

from datetime import date
from typing import Annotated

import strawberry

from gql.ahead import Ahead
from gql.context import Info
from gql.goals.types import CheckIn, Goal, GoalTemplate, check_ins_connection, goals_ahead
from gql.ids import parse_id
from gql.pagination import Connection
from models.goals import GoalCategory
from resolvers import goals as goals_service


@strawberry.type
class GoalQueries:
    @strawberry.field(description="Goal templates to start from, optionally of one category.")
    async def goal_templates(
        self, info: Info, category: GoalCategory | None = None
    ) -> list[GoalTemplate]:
        async with info.context.reads() as session:
            templates = await goals_service.list_goal_templates(session=session, category=category)
        return [GoalTemplate.from_model(template) for template in templates]

    @strawberry.field(description="The viewer's goals, newest first.")
    async def goals(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        active_only: bool = False,
    ) -> Connection[Goal]:
        viewer = info.context.require_viewer()
        async with info.context.reads() as session:
            page = await goals_service.goals_page(
                session=session,
                owner_id=viewer.id,
                active_only=active_only,
                first=first,
                after=after,
            )
        await goals_ahead(info, Ahead.of(info).nodes(), page.rows)
        return Connection.from_page(page, Goal.from_model)

    @strawberry.field(description="One of the viewer's goals.")
    async def goal(self, info: Info, id: strawberry.ID) -> Goal:
        viewer = info.context.require_viewer()
        async with info.context.reads() as session:
            found = await goals_service.get_goal(
                session=session, owner_id=viewer.id, goal_id=parse_id(id)
            )
        await goals_ahead(info, Ahead.of(info), [found])
        return Goal.from_model(found)

    @strawberry.field(
        description="The viewer's check-ins, newest date first; of one goal "
        "when goalId is given; from/to are inclusive dates."
    )
    async def check_ins(
        self,
        info: Info,
        goal_id: strawberry.ID | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CheckIn]:
        goal = parse_id(goal_id, field="goalId") if goal_id is not None else None
        return await check_ins_connection(info, goal, from_, to, first, after)
