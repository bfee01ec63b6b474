"""Staff mutations, each audited."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.social.types import User
from resolvers import admin_commands
from resolvers.admin_commands import Origin


def _origin(info: Info) -> Origin:
    return Origin(ip_address=info.context.client_ip, user_agent=info.context.user_agent)


@strawberry.type
class AdminMutations:
    @strawberry.mutation(
        description="Enables or disables an account (admins). Disabling revokes its refresh tokens."
    )
    async def set_user_active(
        self, info: Info, user_id: strawberry.ID, active: bool, reason: str
    ) -> User:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            user = await admin_commands.set_user_active(
                session=session,
                staff_user_id=viewer.id,
                user_id=parse_id(user_id, field="userId"),
                active=active,
                reason=reason,
                origin=_origin(info),
            )
        return User.from_model(user)

    @strawberry.mutation(description="Deletes anyone's post (moderators and admins).")
    async def moderate_delete_post(
        self, info: Info, post_id: strawberry.ID, reason: str
    ) -> strawberry.ID:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await admin_commands.moderate_delete_post(
                session=session,
                staff_user_id=viewer.id,
                post_id=parse_id(post_id, field="postId"),
                reason=reason,
                origin=_origin(info),
            )
        return post_id
