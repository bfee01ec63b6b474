"""Motivation: the daily message (one per user per local day, regenerated in place) and the
scheduled motivation pushes with their delivery.

Policy: both are their owner's only; anyone else gets NOT_FOUND.

The daily message comes from a catalogue here, chosen per user and day; regenerating takes
the next one. An AI writer replaces the catalogue by writing the row itself (the same
upsert on `(user_id, date)`, adding one to `regeneration_count` when it replaces a message).
"""

import hashlib
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.goals import DailyMotivation, Motivation
from models.users import User
from resolvers.errors import BadUserInput, NotFound
from resolvers.goals import local_date
from resolvers.pagination import Order, Page, fetch_page

DAILY_ORDER = Order(DailyMotivation.date, DailyMotivation.id)
MOTIVATION_ORDER = Order(Motivation.created_at, Motivation.id)

CATALOGUE = (
    ("Small steps every day add up to big results.", "sunrise"),
    ("You don't have to be extreme, just consistent.", "ocean"),
    ("Show up today; your future self is watching.", "forest"),
    ("Progress, not perfection.", "sunset"),
    ("The hardest part is starting. You already did.", "mountain"),
    ("A streak is built one check-in at a time.", "sunrise"),
    ("Discipline is choosing what you want most over what you want now.", "night"),
    ("Your only competition is who you were yesterday.", "ocean"),
    ("Done is better than perfect. Check in.", "forest"),
    ("Motivation gets you going; habit keeps you going.", "mountain"),
    ("Rest if you must, but don't quit.", "sunset"),
    ("Every rep, every step, every meal counts.", "night"),
)


def catalogue_entry(user_id: uuid.UUID, day: date, regeneration: int) -> tuple[str, str]:
    """The message and background of a user's day: a stable start per user and day, then
    the next entry on each regeneration (never the same twice in a row)."""
    seed = hashlib.sha256(f"{user_id}:{day.isoformat()}".encode()).digest()
    start = int.from_bytes(seed[:4], "big")
    return CATALOGUE[(start + regeneration) % len(CATALOGUE)]


async def today_motivation(*, session: AsyncSession, owner: User) -> DailyMotivation:
    """The owner's message of their local today, written on first read."""
    day = local_date(datetime.now(UTC), owner.timezone)
    message, style = catalogue_entry(owner.id, day, 0)
    await session.execute(
        insert(DailyMotivation)
        .values(user_id=owner.id, date=day, message=message, background_style=style)
        .on_conflict_do_nothing(index_elements=[DailyMotivation.user_id, DailyMotivation.date])
    )
    stored = await session.scalar(
        select(DailyMotivation).where(
            DailyMotivation.user_id == owner.id, DailyMotivation.date == day
        )
    )
    await session.commit()
    assert stored is not None
    return stored


async def regenerate_motivation(*, session: AsyncSession, owner: User) -> DailyMotivation:
    """Replaces today's message in place with the next one; concurrent regenerations each
    count (the row is locked while the next message is chosen)."""
    today = await today_motivation(session=session, owner=owner)
    locked = await session.scalar(
        select(DailyMotivation)
        .where(DailyMotivation.id == today.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    count = locked.regeneration_count + 1
    locked.message, locked.background_style = catalogue_entry(owner.id, locked.date, count)
    locked.regeneration_count = count
    await session.commit()
    return locked


async def daily_motivations_page(
    *, session: AsyncSession, owner_id: uuid.UUID, first: int | None, after: str | None
) -> Page[DailyMotivation]:
    query = select(DailyMotivation).where(DailyMotivation.user_id == owner_id)
    return await fetch_page(session, query, DAILY_ORDER, first=first, after=after)


async def motivations_page(
    *, session: AsyncSession, owner_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Motivation]:
    query = select(Motivation).where(Motivation.user_id == owner_id)
    return await fetch_page(session, query, MOTIVATION_ORDER, first=first, after=after)


async def mark_motivation_opened(
    *, session: AsyncSession, owner_id: uuid.UUID, motivation_id: uuid.UUID
) -> Motivation:
    """Records that the owner opened a sent motivation (the first time counts)."""
    motivation = await session.scalar(
        select(Motivation).where(Motivation.id == motivation_id, Motivation.user_id == owner_id)
    )
    if motivation is None:
        raise NotFound("motivation not found")
    if not motivation.is_sent:
        raise BadUserInput("this motivation has not been sent yet", field="id")
    await session.execute(
        update(Motivation)
        .where(Motivation.id == motivation.id, Motivation.opened_at.is_(None))
        .values(opened_at=datetime.now(UTC))
    )
    await session.commit()
    await session.refresh(motivation)
    return motivation
