"""Staff mutations, each audited."""

import strawberry

from gql.achievements.types import AchievementType
from gql.context import Info
from gql.ids import parse_id
from gql.social.types import User
from resolvers import admin_commands
from resolvers.admin_commands import Origin


def _origin(info: Info) -> Origin:
    return Origin(ip_address=info.context.client_ip, user_agent=info.context.user_agent)


@strawberry.input
class CreateAchievementTypeInput:
    key: str = strawberry.field(description="Stable identifier: 2-64 of a-z, 0-9 and _.")
    name: str
    category: str = strawberry.field(
        description="streak, check_ins, social, challenge or milestone."
    )
    description: str | None = None
    icon_url: str | None = None
    rule: str | None = strawberry.field(
        default=None, description="check_ins, streak, posts or challenges_completed."
    )
    threshold: int | None = strawberry.field(default=None, description="1-100000")
    points: int = 0


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

    @strawberry.mutation(
        description="Adds a badge to the catalogue (admins). With a rule and threshold it "
        "unlocks by itself; without, it is awarded by hand."
    )
    async def create_achievement_type(
        self, info: Info, input: CreateAchievementTypeInput
    ) -> AchievementType:
        viewer = info.context.require_viewer()
        new = admin_commands.NewAchievementType(
            key=input.key,
            name=input.name,
            description=input.description,
            icon_url=input.icon_url,
            category=input.category,
            rule=input.rule,
            threshold=input.threshold,
            points=input.points,
        )
        async with info.context.sessionmaker() as session:
            kind = await admin_commands.create_achievement_type(
                session=session, staff_user_id=viewer.id, new=new, origin=_origin(info)
            )
        return AchievementType.from_model(kind)

    @strawberry.mutation(
        description="Retires a badge (admins): it unlocks no more; unlocked ones stay."
    )
    async def retire_achievement_type(self, info: Info, id: strawberry.ID) -> AchievementType:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            kind = await admin_commands.retire_achievement_type(
                session=session, staff_user_id=viewer.id, type_id=parse_id(id), origin=_origin(info)
            )
        return AchievementType.from_model(kind)
