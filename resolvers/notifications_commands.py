"""Writing notifications: created in the same transaction as what caused them."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import delete as sa_delete
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from models.notifications import NotificationHistory
from resolvers.errors import BadUserInput

MAX_IDS = 100
Item = TypeVar("Item")


def notify(
    session: AsyncSession,
    *,
    recipient_id: uuid.UUID,
    actor_id: uuid.UUID,
    notification_type: str,
    title: str,
    data: dict[str, Any],
) -> None:
    """Adds an in-app notification to the session (nothing when people act on their own)."""
    if recipient_id == actor_id:
        return
    session.add(
        NotificationHistory(
            user_id=recipient_id,
            actor_id=actor_id,
            notification_type=notification_type,
            title=title,
            data=data,
            channel="in_app",
            delivery_status="delivered",
            delivered_at=datetime.now(UTC),
        )
    )


def checked_count(ids: Sequence[Item]) -> Sequence[Item]:
    """The ids, if there are at most MAX_IDS (checked before any work on them)."""
    if len(ids) > MAX_IDS:
        raise BadUserInput(f"at most {MAX_IDS} ids at once", field="ids")
    return ids


async def mark_read(
    *, session: AsyncSession, owner_id: uuid.UUID, ids: Sequence[uuid.UUID] | None
) -> int:
    """Marks the owner's notifications read (those ids, or all when None); others' ids are
    ignored. Returns how many changed (already-read ones do not count)."""
    which = [NotificationHistory.user_id == owner_id, NotificationHistory.read_at.is_(None)]
    if ids is not None:
        which.append(NotificationHistory.id.in_(checked_count(ids)))
    result = await session.execute(
        update(NotificationHistory).where(*which).values(read_at=datetime.now(UTC))
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete(*, session: AsyncSession, owner_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    """Deletes the owner's notifications of those ids; others' ids are ignored. Returns how
    many were deleted."""
    result = await session.execute(
        sa_delete(NotificationHistory).where(
            NotificationHistory.id.in_(checked_count(ids)),
            NotificationHistory.user_id == owner_id,
        )
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
