"""Writing notifications: created in the same transaction as what caused them."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from models.notifications import NotificationHistory
from resolvers.errors import BadUserInput

MAX_IDS = 100


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


async def mark_read(*, session: AsyncSession, owner_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    """Marks the owner's notifications read; others' ids are ignored. Returns how many
    changed (already-read ones do not count)."""
    if len(ids) > MAX_IDS:
        raise BadUserInput(f"at most {MAX_IDS} ids at once", field="ids")
    result = await session.execute(
        update(NotificationHistory)
        .where(
            NotificationHistory.id.in_(ids),
            NotificationHistory.user_id == owner_id,
            NotificationHistory.read_at.is_(None),
        )
        .values(read_at=datetime.now(UTC))
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
