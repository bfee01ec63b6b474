"""GraphQL types of the challenges domain."""

import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime

import strawberry

from gql.ahead import Ahead, Later, fill, now_or_later, then
from gql.context import Info
from gql.conversion import fields_from
from gql.pagination import Connection
from gql.query_limits import LIST_SIZE, integer
from gql.realtime.sharing import PER_VIEWER
from gql.scalars import BigInt
from gql.social.types import User, user_of, users_ahead
from models import challenges as challenge_models
from models.goals import GoalCategory
from models.users import User as UserModel
from resolvers import challenges as challenges_service
from resolvers import leaderboards
from resolvers.challenges import ChallengeStatus, status_of
from resolvers.leaderboards import RankedStanding, Ranking, Standing

strawberry.enum(
    ChallengeStatus,
    name="ChallengeStatus",
    description="Where today, in the challenge's time zone, lies relative to its window.",
)


@strawberry.enum
class ChallengeVisibility(enum.Enum):
    PUBLIC = "public"
    PRIVATE = "private"


@strawberry.enum
class ParticipantRole(enum.Enum):
    OWNER = "owner"
    MEMBER = "member"


@strawberry.enum
class ParticipantStatus(enum.Enum):
    INVITED = "invited"
    ACTIVE = "active"
    LEFT = "left"


@strawberry.type
class Participation:
    challenge_id: strawberry.ID
    role: ParticipantRole
    status: ParticipantStatus
    goal_id: strawberry.ID | None = strawberry.field(description="The goal whose check-ins count.")
    score: int = strawberry.field(description="Completed check-ins inside the window.")
    joined_at: datetime | None
    left_at: datetime | None

    @classmethod
    def from_model(cls, row: challenge_models.ChallengeParticipant) -> "Participation":
        return cls(
            **fields_from(
                cls,
                row,
                role=ParticipantRole(row.role),
                status=ParticipantStatus(row.status),
            )
        )


@strawberry.type(description="Someone taking part in (or invited to) a challenge.")
class ChallengeMember:
    challenge_id: strawberry.ID
    role: ParticipantRole
    status: ParticipantStatus
    score: int
    joined_at: datetime | None
    model: strawberry.Private[challenge_models.ChallengeParticipant]

    @classmethod
    def from_model(cls, row: challenge_models.ChallengeParticipant) -> "ChallengeMember":
        return cls(
            challenge_id=strawberry.ID(str(row.challenge_id)),
            role=ParticipantRole(row.role),
            status=ParticipantStatus(row.status),
            score=row.score,
            joined_at=row.joined_at,
            model=row,
        )

    @strawberry.field(description="Null if that account is disabled.", graphql_type=User | None)
    def user(self, info: Info) -> Later[User | None]:
        return user_of(info, self.model.user_id)


@strawberry.type
class Challenge:
    id: strawberry.ID
    title: str
    description: str | None
    category: GoalCategory
    visibility: ChallengeVisibility
    starts_on: date = strawberry.field(description="First day counted (inclusive).")
    ends_on: date = strawberry.field(description="Last day counted (inclusive).")
    timezone: str = strawberry.field(description="Decides when the challenge starts and ends.")
    max_participants: int | None
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[challenge_models.Challenge]

    @classmethod
    def from_model(cls, challenge: challenge_models.Challenge) -> "Challenge":
        return cls(
            **fields_from(
                cls,
                challenge,
                visibility=ChallengeVisibility(challenge.visibility),
                model=challenge,
            )
        )

    @strawberry.field
    def status(self) -> ChallengeStatus:
        return status_of(self.model)

    @strawberry.field(graphql_type=User | None)
    def owner(self, info: Info) -> Later[User | None]:
        return user_of(info, self.model.owner_id)

    @strawberry.field(
        description="People taking part (invited and left ones not counted).", graphql_type=int
    )
    def participant_count(self, info: Info) -> Later[int]:
        return now_or_later(info.context.loaders.participant_count_by_challenge_id, self.model.id)

    @strawberry.field(
        description="The people taking part, in the order they came (the owner among them "
        "while they take part); includeInvited (owner only) adds the invitations.",
        metadata=PER_VIEWER,
    )
    async def participants(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        include_invited: bool = False,
    ) -> Connection[ChallengeMember]:
        viewer = info.context.require_viewer()
        async with info.context.reads() as session:
            page = await challenges_service.participants_page(
                session=session,
                viewer_id=viewer.id,
                challenge_id=self.model.id,
                include_invited=include_invited,
                first=first,
                after=after,
            )
        return Connection.from_page(page, ChallengeMember.from_model)

    @strawberry.field(
        description="The viewer's membership, if any.",
        metadata=PER_VIEWER,
        graphql_type=Participation | None,
    )
    def viewer_participation(self, info: Info) -> Later[Participation | None]:
        if info.context.viewer is None:
            return None
        loader = info.context.loaders.viewer_participation_by_challenge_id
        row = now_or_later(loader, self.model.id)
        return then(row, lambda found: Participation.from_model(found) if found else None)


async def challenges_ahead(
    info: Info, ahead: Ahead, challenges: Sequence[challenge_models.Challenge]
) -> None:
    """Loads what the selection asks of these challenges (owners, participant counts, the
    viewer's memberships), a statement per relation, before their fields resolve."""
    loaders = info.context.loaders
    ids = [challenge.id for challenge in challenges]
    counts = loaders.participant_count_by_challenge_id
    signed_in = loaders.viewer_id is not None
    await fill(
        users_ahead(info, ahead.child("owner"), [challenge.owner_id for challenge in challenges]),
        counts.load_many(ids) if ahead.selects("participantCount") else None,
        loaders.viewer_participation_by_challenge_id.load_many(ids)
        if signed_in and ahead.selects("viewerParticipation")
        else None,
    )


@strawberry.type
class LeaderboardEntry:
    rank: int = strawberry.field(description="Competition rank: equal scores share it.")
    score: int
    reached_at: datetime = strawberry.field(description="When the score last changed.")
    user: User | None = strawberry.field(description="Null when the account is disabled.")


@strawberry.type
class ViewerEntry:
    rank: int
    score: int
    reached_at: datetime


@strawberry.type(
    description="A challenge's ranking: score descending, equal scores by who reached the "
    "score first."
)
class Leaderboard:
    challenge_id: strawberry.ID
    version: BigInt = strawberry.field(
        description="Grows whenever the ranking changes; a snapshot with a higher version is newer."
    )
    total_participants: int
    entries: list[LeaderboardEntry]
    viewer_entry: ViewerEntry | None = strawberry.field(
        description="The viewer's own standing; null when not taking part."
    )
    standing: strawberry.Private[Standing | None]
    ranking: strawberry.Private[Ranking]

    @classmethod
    def build(
        cls,
        challenge_id: uuid.UUID,
        ranking: Ranking,
        entries: tuple[RankedStanding, ...],
        users: Mapping[uuid.UUID, UserModel],
        standing: Standing | None,
    ) -> "Leaderboard":
        viewer = ranking.ranked([standing])[0] if standing is not None else None
        return cls(
            challenge_id=strawberry.ID(str(challenge_id)),
            version=BigInt(ranking.version),
            total_participants=ranking.total,
            entries=[_entry(entry, users.get(entry.user_id)) for entry in entries],
            viewer_entry=ViewerEntry(
                rank=viewer.rank, score=viewer.score, reached_at=viewer.reached_at
            )
            if viewer is not None
            else None,
            standing=standing,
            ranking=ranking,
        )

    @strawberry.field(
        description=f"The viewer's neighbours: up to n entries above, the viewer, and up to n "
        f"below (n at most {leaderboards.MAX_AROUND}); empty when not taking part.",
        metadata={
            LIST_SIZE: lambda arguments: 2 * integer(arguments, "n", 2, leaderboards.MAX_AROUND) + 1
        },
    )
    async def around(self, info: Info, n: int = 2) -> list[LeaderboardEntry]:
        if self.standing is None:
            return []
        async with info.context.reads() as session:
            standings = await leaderboards.around(
                session=session,
                challenge_id=uuid.UUID(self.challenge_id),
                standing=self.standing,
                n=n,
            )
        users = await info.context.loaders.user_by_id.load_many([s.user_id for s in standings])
        return [
            _entry(entry, user)
            for entry, user in zip(self.ranking.ranked(standings), users, strict=True)
        ]


def _entry(entry: RankedStanding, user: UserModel | None) -> LeaderboardEntry:
    shown = User.from_model(user) if user is not None and user.is_active else None
    return LeaderboardEntry(
        rank=entry.rank, score=entry.score, reached_at=entry.reached_at, user=shown
    )
