"""Accountability partners: one partnership per pair of users, whichever asked.

States: pending (asked) -> accepted | declined; pending -> ended (the requester cancelled);
accepted -> ended (either ended it). After declined or ended, either may ask again.
Each transition notifies the other person (type partner_request, `data.event` says which).

Policy:
- A partnership is visible to its two people only; anyone else gets NOT_FOUND.
- Only the person asked accepts or declines; only the requester cancels; either ends.
- While accepted, each partner reads the other's active goals with their progress (streaks,
  completion rate) and the dates they checked in (done or not). Never: archived goals, goal
  descriptions and reminders, check-in reflections and moods, meals, motivations, plans.
  Ending the partnership ends that at once.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.goals import CheckIn, Goal
from models.social import AccountabilityPartner
from models.users import User
from resolvers import validation
from resolvers.errors import BadUserInput, Conflict, Forbidden, NotFound
from resolvers.notifications_commands import notify
from resolvers.pagination import Order, Page, fetch_page

PARTNER_ORDER = Order(AccountabilityPartner.updated_at, AccountabilityPartner.id)
MAX_MESSAGE = 500
MAX_ACTIVE_PARTNERS = 20  # accepted and pending, per user

EVENTS = {
    "requested": "asked you to be accountability partners",
    "accepted": "accepted your partner request",
    "declined": "declined your partner request",
    "cancelled": "withdrew their partner request",
    "ended": "ended your partnership",
}


def _involving(user_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(
        AccountabilityPartner.requester_id == user_id, AccountabilityPartner.partner_id == user_id
    )


def _pair(first: uuid.UUID, second: uuid.UUID) -> ColumnElement[bool]:
    """The row of a pair, whichever asked (the unique index is on least/greatest)."""
    return and_(
        func.least(AccountabilityPartner.requester_id, AccountabilityPartner.partner_id)
        == min(first, second),
        func.greatest(AccountabilityPartner.requester_id, AccountabilityPartner.partner_id)
        == max(first, second),
    )


def other_of(partnership: AccountabilityPartner, viewer_id: uuid.UUID) -> uuid.UUID:
    return (
        partnership.partner_id
        if partnership.requester_id == viewer_id
        else partnership.requester_id
    )


async def partnerships_page(
    *,
    session: AsyncSession,
    viewer_id: uuid.UUID,
    statuses: Sequence[str] | None,
    first: int | None,
    after: str | None,
) -> Page[AccountabilityPartner]:
    """The viewer's partnerships (asked or asked by), most recently changed first."""
    query = select(AccountabilityPartner).where(_involving(viewer_id))
    if statuses:
        query = query.where(AccountabilityPartner.status.in_(statuses))
    return await fetch_page(session, query, PARTNER_ORDER, first=first, after=after)


async def _locked(
    session: AsyncSession, viewer_id: uuid.UUID, partnership_id: uuid.UUID
) -> AccountabilityPartner:
    partnership = await session.scalar(
        select(AccountabilityPartner)
        .where(AccountabilityPartner.id == partnership_id, _involving(viewer_id))
        .with_for_update()
    )
    if partnership is None:
        raise NotFound("partnership not found")
    return partnership


def _tell(
    session: AsyncSession, partnership: AccountabilityPartner, actor: uuid.UUID, event: str
) -> None:
    notify(
        session,
        recipient_id=other_of(partnership, actor),
        actor_id=actor,
        notification_type="partner_request",
        title=EVENTS[event],
        data={"partnershipId": str(partnership.id), "event": event, "userId": str(actor)},
    )


async def request_partner(
    *, session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID, message: str | None
) -> AccountabilityPartner:
    """Asks an active user; asking again while pending changes nothing. CONFLICT when they
    are already partners, or when they asked first (accept theirs instead)."""
    if user_id == viewer_id:
        raise BadUserInput("you cannot partner with yourself", field="userId")
    message = validation.optional_text(message, field="message", maximum=MAX_MESSAGE)
    target = await session.scalar(select(User).where(User.id == user_id, User.is_active))
    if target is None:
        raise NotFound("user not found")
    # One request of a pair at a time, whichever of the two asks.
    pair = f"momentum.partners:{min(viewer_id, user_id)}:{max(viewer_id, user_id)}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(pair, 0))))
    existing = await session.scalar(
        select(AccountabilityPartner).where(_pair(viewer_id, user_id)).with_for_update()
    )
    if existing is not None and existing.status == "accepted":
        raise Conflict("you are already partners", field="userId")
    if existing is not None and existing.status == "pending":
        if existing.requester_id == viewer_id:
            return existing
        raise Conflict("they asked you already: accept their request", field="userId")
    await _check_room(session, viewer_id, field="userId")
    await _check_room(session, user_id, field="userId")
    if existing is None:
        existing = AccountabilityPartner(requester_id=viewer_id, partner_id=user_id)
        session.add(existing)
    existing.requester_id, existing.partner_id = viewer_id, user_id
    existing.status, existing.message, existing.accepted_at = "pending", message, None
    await session.flush()
    _tell(session, existing, viewer_id, "requested")
    await session.commit()
    return existing


async def _check_room(session: AsyncSession, user_id: uuid.UUID, *, field: str) -> None:
    active = await session.scalar(
        select(func.count())
        .select_from(AccountabilityPartner)
        .where(_involving(user_id), AccountabilityPartner.status.in_(("pending", "accepted")))
    )
    if (active or 0) >= MAX_ACTIVE_PARTNERS:
        raise Conflict(
            f"at most {MAX_ACTIVE_PARTNERS} partners and pending requests per person",
            field=field,
        )


async def answer_partner(
    *, session: AsyncSession, viewer_id: uuid.UUID, partnership_id: uuid.UUID, accept: bool
) -> AccountabilityPartner:
    """The person asked accepts or declines a pending request."""
    partnership = await _locked(session, viewer_id, partnership_id)
    if partnership.partner_id != viewer_id:
        raise Forbidden("only the person asked can answer")
    if partnership.status != "pending":
        raise Conflict(f"this request is {partnership.status}, not pending")
    if accept:
        partnership.status, partnership.accepted_at = "accepted", datetime.now(UTC)
    else:
        partnership.status = "declined"
    _tell(session, partnership, viewer_id, "accepted" if accept else "declined")
    await session.commit()
    return partnership


async def end_partner(
    *, session: AsyncSession, viewer_id: uuid.UUID, partnership_id: uuid.UUID
) -> AccountabilityPartner:
    """The requester cancels a pending request, or either partner ends an accepted one;
    ending what has ended changes nothing."""
    partnership = await _locked(session, viewer_id, partnership_id)
    if partnership.status in ("ended", "declined"):
        return partnership
    if partnership.status == "pending" and partnership.requester_id != viewer_id:
        raise Forbidden("decline the request instead: only its requester cancels it")
    event = "cancelled" if partnership.status == "pending" else "ended"
    partnership.status = "ended"
    _tell(session, partnership, viewer_id, event)
    await session.commit()
    return partnership


async def require_partner(
    *, session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID
) -> User:
    """The other person of an accepted partnership (and still active); NOT_FOUND otherwise."""
    if user_id == viewer_id:
        raise NotFound("partner not found")
    partner = await session.scalar(
        select(User)
        .join(AccountabilityPartner, _pair(viewer_id, user_id))
        .where(
            User.id == user_id,
            User.is_active,
            AccountabilityPartner.status == "accepted",
        )
    )
    if partner is None:
        raise NotFound("partner not found")
    return partner


async def partner_goals(
    *, session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[User, Sequence[Goal]]:
    """An accepted partner and their active goals, oldest first."""
    partner = await require_partner(session=session, viewer_id=viewer_id, user_id=user_id)
    goals = await session.scalars(
        select(Goal)
        .where(Goal.user_id == partner.id, Goal.is_active)
        .order_by(Goal.created_at, Goal.id)
    )
    return partner, goals.all()


async def partner_check_in_days(
    *, session: AsyncSession, goal_id: uuid.UUID, date_from: date, date_to: date
) -> list[tuple[date, bool]]:
    """The days of a partner's goal with a check-in, and whether it was done (the caller
    has checked the partnership)."""
    validation.date_range(date_from, date_to)
    rows = await session.execute(
        select(CheckIn.date, CheckIn.completed)
        .where(CheckIn.goal_id == goal_id, CheckIn.date.between(date_from, date_to))
        .order_by(CheckIn.date)
    )
    return [(day, done) for day, done in rows]
