"""Root query fields of the users domain."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.social.types import User
from gql.users.types import Viewer
from resolvers import users as users_service


@strawberry.type
class UserQueries:
    @strawberry.field(description="The signed-in user's account.")
    async def me(self, info: Info) -> Viewer:
        return Viewer.from_model(info.context.require_viewer())

    @strawberry.field(description="A user by id or by username (exactly one).")
    async def user(
        self, info: Info, id: strawberry.ID | None = None, username: str | None = None
    ) -> User:
        async with info.context.reads() as session:
            found = await users_service.find_user(
                session=session,
                user_id=parse_id(id) if id is not None else None,
                username=username,
            )
        return User.from_model(found)
