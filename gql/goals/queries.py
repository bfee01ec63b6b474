"""Root query fields of the goals domain."""

import strawberry

from gql.context import Info
from gql.goals.types import GoalTemplate
from models.goals import GoalCategory
from resolvers import goals as goal_resolvers


@strawberry.type
class GoalQueries:
    @strawberry.field(description="Goal templates to start from, optionally of one category.")
    async def goal_templates(
        self, info: Info, category: GoalCategory | None = None
    ) -> list[GoalTemplate]:
        async with info.context.sessionmaker() as session:
            templates = await goal_resolvers.list_goal_templates(session=session, category=category)
        return [GoalTemplate.from_model(template) for template in templates]
