"""Challenge mutations: owners create, edit and invite; members join and leave."""

import datetime as dt

import strawberry

from gql.challenges.types import Challenge, ChallengeVisibility, Participation
from gql.context import Info
from gql.ids import parse_id
from gql.inputs import given_fields
from models.goals import GoalCategory
from resolvers import challenges_commands


@strawberry.input
class CreateChallengeInput:
    title: str
    starts_on: dt.date = strawberry.field(description="First day counted (inclusive).")
    ends_on: dt.date = strawberry.field(description="Last day counted (inclusive).")
    description: str | None = None
    category: GoalCategory = GoalCategory.CUSTOM
    visibility: ChallengeVisibility = ChallengeVisibility.PUBLIC
    max_participants: int | None = None
    timezone: str | None = strawberry.field(
        default=None, description="IANA zone deciding when days start; the owner's by default."
    )


@strawberry.input(description="Only the fields given are changed.")
class UpdateChallengeInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    category: GoalCategory | None = strawberry.UNSET
    visibility: ChallengeVisibility | None = strawberry.UNSET
    starts_on: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="Only before the challenge starts."
    )
    ends_on: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="Only before the challenge starts."
    )
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Only before the challenge starts."
    )
    max_participants: int | None = strawberry.UNSET


def _plain(fields: dict[str, object]) -> dict[str, object]:
    """Input values as the resolvers take them (enum values, no omitted timezone)."""
    plain = {
        name: value.value if isinstance(value, ChallengeVisibility) else value
        for name, value in fields.items()
    }
    if plain.get("timezone") is None:
        plain.pop("timezone", None)
    return plain


@strawberry.type
class ChallengeMutations:
    @strawberry.mutation(description="Creates a challenge; the owner takes part from the start.")
    async def create_challenge(self, info: Info, input: CreateChallengeInput) -> Challenge:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            challenge = await challenges_commands.create_challenge(
                session=session, owner=viewer, fields=_plain(given_fields(input))
            )
        return Challenge.from_model(challenge)

    @strawberry.mutation(description="Changes a challenge (owner only).")
    async def update_challenge(
        self, info: Info, id: strawberry.ID, input: UpdateChallengeInput
    ) -> Challenge:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            challenge = await challenges_commands.update_challenge(
                session=session,
                viewer_id=viewer.id,
                challenge_id=parse_id(id),
                changes=_plain(given_fields(input)),
            )
        return Challenge.from_model(challenge)

    @strawberry.mutation(
        description="Takes part with one of the viewer's goals (its completed check-ins "
        "inside the window are the score); again with another goal relinks it."
    )
    async def join_challenge(
        self, info: Info, id: strawberry.ID, goal_id: strawberry.ID
    ) -> Participation:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            member = await challenges_commands.join_challenge(
                session=session,
                viewer=viewer,
                challenge_id=parse_id(id),
                goal_id=parse_id(goal_id, field="goalId"),
            )
        return Participation.from_model(member)

    @strawberry.mutation(description="Leaves the ranking, or declines an invitation.")
    async def leave_challenge(self, info: Info, id: strawberry.ID) -> Participation:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            member = await challenges_commands.leave_challenge(
                session=session, viewer_id=viewer.id, challenge_id=parse_id(id)
            )
        return Participation.from_model(member)

    @strawberry.mutation(
        description="Deletes a challenge (owner only); it is NOT_FOUND from then on and its "
        "leaderboard subscriptions end with NOT_FOUND. Returns its id."
    )
    async def delete_challenge(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await challenges_commands.delete_challenge(
                session=session, viewer_id=viewer.id, challenge_id=parse_id(id)
            )
        return id

    @strawberry.mutation(
        description="Invites someone (owner only) and notifies them; rate-limited per user."
    )
    async def invite_to_challenge(
        self, info: Info, id: strawberry.ID, user_id: strawberry.ID
    ) -> Participation:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("invite", str(viewer.id))
        async with info.context.sessionmaker() as session:
            member = await challenges_commands.invite_to_challenge(
                session=session,
                viewer=viewer,
                challenge_id=parse_id(id),
                user_id=parse_id(user_id, field="userId"),
            )
        return Participation.from_model(member)
