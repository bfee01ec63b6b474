"""Changing challenges and their membership. Owners edit and invite; anyone who may see a
challenge can join it with one of their own goals; members leave when they like."""

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.challenges import Challenge, ChallengeParticipant
from models.users import User
from resolvers import challenges as challenges_service
from resolvers import notifications_commands, plan_limits, validation
from resolvers.challenges import ChallengeStatus, status_of
from resolvers.errors import BadUserInput, Conflict, Forbidden, NotFound
from resolvers.goals import get_goal, local_date

MAX_TITLE = 200
MAX_DESCRIPTION = 2_000
MAX_WINDOW_DAYS = 366
MAX_PARTICIPANTS = 1_000_000
CHALLENGE_FIELDS = (
    "title",
    "description",
    "category",
    "visibility",
    "starts_on",
    "ends_on",
    "timezone",
    "max_participants",
)


def _validated(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The given challenge fields, validated and normalized; unknown keys are a bug."""
    unknown = set(fields) - set(CHALLENGE_FIELDS)
    assert not unknown, unknown
    clean = dict(fields)
    if "title" in clean:
        clean["title"] = validation.text(clean["title"], field="title", maximum=MAX_TITLE)
    if "description" in clean:
        clean["description"] = validation.optional_text(
            clean["description"], field="description", maximum=MAX_DESCRIPTION
        )
    if "timezone" in clean:
        clean["timezone"] = validation.timezone(clean["timezone"])
    for name in ("starts_on", "ends_on", "visibility", "category", "title", "timezone"):
        if name in clean and clean[name] is None:
            raise BadUserInput(
                f"{validation.camel(name)} cannot be null", field=validation.camel(name)
            )
    limit = clean.get("max_participants")
    if limit is not None and not 1 <= limit <= MAX_PARTICIPANTS:
        raise BadUserInput(
            f"maxParticipants must be between 1 and {MAX_PARTICIPANTS}", field="maxParticipants"
        )
    return clean


def _check_window(challenge: Challenge, *, today: date) -> None:
    if challenge.ends_on < challenge.starts_on:
        raise BadUserInput("endsOn is before startsOn", field="endsOn")
    if (challenge.ends_on - challenge.starts_on).days >= MAX_WINDOW_DAYS:
        raise BadUserInput(f"a challenge lasts at most {MAX_WINDOW_DAYS} days", field="endsOn")
    if challenge.ends_on < today:
        raise BadUserInput("the challenge would already be over", field="endsOn")


async def create_challenge(
    *, session: AsyncSession, owner: User, fields: Mapping[str, Any]
) -> Challenge:
    """Creates a challenge in the owner's time zone unless one is given; the owner takes
    part from the start (link a goal with joinChallenge to score)."""
    clean = _validated(fields)
    clean.setdefault("timezone", owner.timezone)
    challenge = Challenge(owner_id=owner.id, **clean)
    _check_window(challenge, today=local_date(datetime.now(UTC), challenge.timezone))
    await plan_limits.check_new_challenge(session, owner.id)
    session.add(challenge)
    await session.flush()
    session.add(
        ChallengeParticipant(
            challenge_id=challenge.id,
            user_id=owner.id,
            role="owner",
            status="active",
            joined_at=datetime.now(UTC),
        )
    )
    await session.commit()
    await session.refresh(challenge)
    return challenge


async def _owned(session: AsyncSession, viewer_id: uuid.UUID, challenge_id: uuid.UUID) -> Challenge:
    """The challenge, locked, when the viewer owns it; FORBIDDEN for others who can see it."""
    challenge = await challenges_service.get_challenge(
        session=session, viewer_id=viewer_id, challenge_id=challenge_id, lock=True
    )
    if challenge.owner_id != viewer_id:
        raise Forbidden("only the challenge's owner can do this")
    return challenge


async def delete_challenge(
    *, session: AsyncSession, viewer_id: uuid.UUID, challenge_id: uuid.UUID
) -> None:
    """Deletes a challenge (owner only; soft: the row stays with `deleted_at`). It is
    NOT_FOUND for everyone from then on, and its leaderboard subscriptions end with
    NOT_FOUND."""
    challenge = await _owned(session, viewer_id, challenge_id)
    challenge.deleted_at = datetime.now(UTC)
    await session.commit()


async def _active_count(session: AsyncSession, challenge_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).where(
            ChallengeParticipant.challenge_id == challenge_id,
            ChallengeParticipant.status == "active",
        )
    )
    return int(count or 0)


async def update_challenge(
    *,
    session: AsyncSession,
    viewer_id: uuid.UUID,
    challenge_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Challenge:
    """Applies the given changes (owner only). The window can change only before the
    challenge starts; the participant limit not below today's participants."""
    challenge = await _owned(session, viewer_id, challenge_id)
    clean = _validated(changes)
    window = {"starts_on", "ends_on", "timezone"} & {
        name for name, value in clean.items() if getattr(challenge, name) != value
    }
    if window and status_of(challenge) is not ChallengeStatus.UPCOMING:
        raise BadUserInput(
            "the window and time zone cannot change once the challenge has started",
            field=validation.camel(sorted(window)[0]),
        )
    for name, value in clean.items():
        setattr(challenge, name, value)
    _check_window(challenge, today=local_date(datetime.now(UTC), challenge.timezone))
    limit = challenge.max_participants
    if limit is not None and limit < await _active_count(session, challenge.id):
        raise BadUserInput(
            "maxParticipants is below the number of participants", field="maxParticipants"
        )
    await session.commit()
    await session.refresh(challenge)
    return challenge


async def join_challenge(
    *, session: AsyncSession, viewer: User, challenge_id: uuid.UUID, goal_id: uuid.UUID
) -> ChallengeParticipant:
    """Takes part with one of the viewer's active goals, whose check-ins inside the window
    then count. Joining again with another goal relinks it (the score is recounted)."""
    challenge = await challenges_service.get_challenge(
        session=session, viewer_id=viewer.id, challenge_id=challenge_id, lock=True
    )
    goal = await get_goal(session=session, owner_id=viewer.id, goal_id=goal_id)
    if not goal.is_active:
        raise BadUserInput("this goal is archived", field="goalId")
    if status_of(challenge) is ChallengeStatus.ENDED:
        raise BadUserInput("the challenge has ended", field="id")
    member = await challenges_service.participation(
        session=session, challenge_id=challenge.id, user_id=viewer.id, lock=True
    )
    if member is not None and member.status == "active":
        if member.goal_id != goal.id:
            member.goal_id = goal.id
            await session.commit()
            await session.refresh(member)
        return member
    limit = challenge.max_participants
    if limit is not None and await _active_count(session, challenge.id) >= limit:
        raise Conflict("the challenge is full")
    if member is None:
        member = ChallengeParticipant(challenge_id=challenge.id, user_id=viewer.id)
        session.add(member)
    member.status = "active"
    member.goal_id = goal.id
    member.joined_at = datetime.now(UTC)
    member.left_at = None
    await session.commit()
    await session.refresh(member)
    return member


async def leave_challenge(
    *, session: AsyncSession, viewer_id: uuid.UUID, challenge_id: uuid.UUID
) -> ChallengeParticipant:
    """Leaves the ranking (declines an invitation too). Leaving twice is harmless; an owner
    who leaves still owns the challenge."""
    challenge = await challenges_service.get_challenge(
        session=session, viewer_id=viewer_id, challenge_id=challenge_id
    )
    member = await challenges_service.participation(
        session=session, challenge_id=challenge.id, user_id=viewer_id, lock=True
    )
    if member is None:
        raise NotFound("you are not taking part in this challenge")
    if member.status != "left":
        member.status = "left"
        member.left_at = datetime.now(UTC)
        await session.commit()
        await session.refresh(member)
    return member


async def invite_to_challenge(
    *, session: AsyncSession, viewer: User, challenge_id: uuid.UUID, user_id: uuid.UUID
) -> ChallengeParticipant:
    """Invites someone (owner only) and notifies them; inviting a participant again
    changes nothing."""
    challenge = await _owned(session, viewer.id, challenge_id)
    invitee = await session.get(User, user_id)
    if invitee is None or not invitee.is_active:
        raise NotFound("user not found", field="userId")
    member = await challenges_service.participation(
        session=session, challenge_id=challenge.id, user_id=invitee.id, lock=True
    )
    if member is not None and member.status in ("invited", "active"):
        return member
    if status_of(challenge) is ChallengeStatus.ENDED:
        raise BadUserInput("the challenge has ended", field="id")
    if member is None:
        member = ChallengeParticipant(challenge_id=challenge.id, user_id=invitee.id)
        session.add(member)
    member.status = "invited"
    member.invited_by = viewer.id
    member.left_at = None
    notifications_commands.notify(
        session,
        recipient_id=invitee.id,
        actor_id=viewer.id,
        notification_type="challenge",
        # Fixed text: names and titles people choose go in `data` and the actor, so that
        # nobody can write a notification that reads like one from the system.
        title="invited you to a challenge",
        data={"challengeId": str(challenge.id), "challengeTitle": challenge.title},
    )
    await session.commit()
    await session.refresh(member)
    return member
