"""The schema: root types composed from one mixin per domain."""

import strawberry

from gql.goals.queries import GoalQueries


@strawberry.type
class Query(GoalQueries):
    pass


schema = strawberry.Schema(query=Query)
