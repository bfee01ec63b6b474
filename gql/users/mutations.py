"""Profile and consent mutations."""

import strawberry

from gql.context import Info
from gql.inputs import given_fields
from gql.users.types import Consent, ConsentType, Viewer
from resolvers import users_commands


@strawberry.input(description="Only the fields given are changed.")
class UpdateProfileInput:
    name: str | None = strawberry.UNSET
    username: str | None = strawberry.field(
        default=strawberry.UNSET, description="Lowercase a-z, 0-9 and _, 3-50 characters."
    )
    bio: str | None = strawberry.field(default=strawberry.UNSET, description="Up to 500.")
    profile_picture_url: str | None = strawberry.UNSET
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET, description="IANA name, e.g. Europe/Berlin."
    )
    language: str | None = strawberry.UNSET


@strawberry.type
class UserMutations:
    @strawberry.mutation
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> Viewer:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            user = await users_commands.update_profile(
                session=session, user=viewer, changes=given_fields(input)
            )
        return Viewer.from_model(user)

    @strawberry.mutation(
        description="Records a consent decision with the client's address "
        "and user agent; earlier decisions are kept as history."
    )
    async def set_consent(self, info: Info, type: ConsentType, granted: bool) -> Consent:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            consent = await users_commands.set_consent(
                session=session,
                user=viewer,
                consent_type=type.value,
                granted=granted,
                ip_address=info.context.client_ip,
                user_agent=info.context.user_agent,
            )
        return Consent.from_model(consent)
