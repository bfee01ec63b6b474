"""The challenges domain: who may see a challenge (the policy), lists, and membership reads.

A public challenge is visible to everyone signed in; a private one only to its owner and to
people invited to it or taking part. Others get NOT_FOUND, as if it did not exist. Soft-deleted
challenges are visible to no one.
"""

import enum
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, Date, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.challenges import Challenge, ChallengeParticipant
from resolvers.errors import Forbidden, NotFound
from resolvers.goals import local_date
from resolvers.pagination import Order, Page, fetch_page

CHALLENGE_ORDER = Order(Challenge.starts_on, Challenge.id)
MEMBER_ORDER = Order(ChallengeParticipant.created_at, ChallengeParticipant.id, descending=False)
MEMBER_STATUSES = ("invited", "active")


class ChallengeStatus(enum.Enum):
    UPCOMING = "upcoming"
    ACTIVE = "active"
    ENDED = "ended"


def status_of(challenge: Challenge, *, now: datetime | None = None) -> ChallengeStatus:
    """Where today, in the challenge's time zone, lies relative to its window."""
    today = local_date(now or datetime.now(UTC), challenge.timezone)
    if today < challenge.starts_on:
        return ChallengeStatus.UPCOMING
    if today > challenge.ends_on:
        return ChallengeStatus.ENDED
    return ChallengeStatus.ACTIVE


def is_member(user_id: uuid.UUID, statuses: Sequence[str] = MEMBER_STATUSES) -> ColumnElement[bool]:
    return exists().where(
        ChallengeParticipant.challenge_id == Challenge.id,
        ChallengeParticipant.user_id == user_id,
        ChallengeParticipant.status.in_(statuses),
    )


def visible_challenges(viewer_id: uuid.UUID) -> ColumnElement[bool]:
    """Challenges policy: live ones that are public, owned by the viewer, or that the viewer
    was invited to or takes part in."""
    return Challenge.deleted_at.is_(None) & (
        (Challenge.visibility == "public")
        | (Challenge.owner_id == viewer_id)
        | is_member(viewer_id)
    )


async def get_challenge(
    *, session: AsyncSession, viewer_id: uuid.UUID, challenge_id: uuid.UUID, lock: bool = False
) -> Challenge:
    """A challenge the viewer may see (locked for update when `lock`), or NOT_FOUND."""
    query = select(Challenge).where(Challenge.id == challenge_id, visible_challenges(viewer_id))
    if lock:
        query = query.with_for_update(of=Challenge)
    challenge = await session.scalar(query)
    if challenge is None:
        raise NotFound("challenge not found")
    return challenge


def _local_today() -> ColumnElement[date]:
    """Today in each challenge's own time zone, as SQL."""
    return cast(func.timezone(Challenge.timezone, func.now()), Date)


async def challenges_page(
    *,
    session: AsyncSession,
    viewer_id: uuid.UUID,
    status: ChallengeStatus | None,
    joined_only: bool,
    first: int | None,
    after: str | None,
) -> Page[Challenge]:
    """Challenges the viewer may see, latest start first; `joined_only` keeps the ones the
    viewer takes part in (owned ones included while the owner takes part)."""
    query = select(Challenge).where(visible_challenges(viewer_id))
    if joined_only:
        query = query.where(is_member(viewer_id, ("active",)))
    if status is ChallengeStatus.UPCOMING:
        query = query.where(Challenge.starts_on > _local_today())
    elif status is ChallengeStatus.ACTIVE:
        query = query.where(_local_today().between(Challenge.starts_on, Challenge.ends_on))
    elif status is ChallengeStatus.ENDED:
        query = query.where(Challenge.ends_on < _local_today())
    return await fetch_page(session, query, CHALLENGE_ORDER, first=first, after=after)


async def participation(
    *, session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID, lock: bool = False
) -> ChallengeParticipant | None:
    query = select(ChallengeParticipant).where(
        ChallengeParticipant.challenge_id == challenge_id, ChallengeParticipant.user_id == user_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def participant_counts(
    *, session: AsyncSession, challenge_ids: Sequence[uuid.UUID]
) -> list[int]:
    """Active participants of each challenge, in the order of the ids."""
    rows = await session.execute(
        select(ChallengeParticipant.challenge_id, func.count())
        .where(
            ChallengeParticipant.challenge_id.in_(challenge_ids),
            ChallengeParticipant.status == "active",
        )
        .group_by(ChallengeParticipant.challenge_id)
    )
    counts = {challenge_id: count for challenge_id, count in rows.all()}
    return [counts.get(challenge_id, 0) for challenge_id in challenge_ids]


async def viewer_participations(
    *, session: AsyncSession, challenge_ids: Sequence[uuid.UUID], viewer_id: uuid.UUID
) -> list[ChallengeParticipant | None]:
    """The viewer's membership row of each challenge (None where there is none)."""
    rows = await session.scalars(
        select(ChallengeParticipant).where(
            ChallengeParticipant.challenge_id.in_(challenge_ids),
            ChallengeParticipant.user_id == viewer_id,
        )
    )
    found = {row.challenge_id: row for row in rows}
    return [found.get(challenge_id) for challenge_id in challenge_ids]


async def members_among(
    *, session: AsyncSession, challenge_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the users who are invited to or take part in the challenge."""
    rows = await session.scalars(
        select(ChallengeParticipant.user_id).where(
            ChallengeParticipant.challenge_id == challenge_id,
            ChallengeParticipant.user_id.in_(user_ids),
            ChallengeParticipant.status.in_(MEMBER_STATUSES),
        )
    )
    return set(rows)


async def participants_page(
    *,
    session: AsyncSession,
    viewer_id: uuid.UUID,
    challenge_id: uuid.UUID,
    include_invited: bool,
    first: int | None,
    after: str | None,
) -> Page[ChallengeParticipant]:
    """The people taking part (the owner among them while they do), in the order they came;
    the owner may list the invitations too. Whoever can see the challenge can see who takes
    part."""
    challenge = await get_challenge(session=session, viewer_id=viewer_id, challenge_id=challenge_id)
    statuses = ["active"]
    if include_invited:
        if challenge.owner_id != viewer_id:
            raise Forbidden("only the challenge's owner sees its invitations")
        statuses.append("invited")
    query = select(ChallengeParticipant).where(
        ChallengeParticipant.challenge_id == challenge.id,
        ChallengeParticipant.status.in_(statuses),
    )
    return await fetch_page(session, query, MEMBER_ORDER, first=first, after=after)


async def memberships_of(*, session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    """The challenges the user is invited to or takes part in."""
    rows = await session.scalars(
        select(ChallengeParticipant.challenge_id).where(
            ChallengeParticipant.user_id == user_id,
            ChallengeParticipant.status.in_(MEMBER_STATUSES),
        )
    )
    return set(rows)


def challenge_visible(
    challenge: Challenge, viewer_id: uuid.UUID, member_of: set[uuid.UUID]
) -> bool:
    """The challenges policy, in memory (its SQL twin: visible_challenges)."""
    return challenge.deleted_at is None and (
        challenge.visibility == "public"
        or challenge.owner_id == viewer_id
        or challenge.id in member_of
    )


def member_visible(
    member: ChallengeParticipant, challenge: Challenge, viewer_id: uuid.UUID
) -> bool:
    """Who sees a membership of a challenge they can see (as participants_page lists them):
    active ones everyone, the others the owner and the member themself."""
    return member.status == "active" or viewer_id in (challenge.owner_id, member.user_id)
