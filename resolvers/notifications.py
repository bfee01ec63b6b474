"""Notifications. Policy: a user sees only their own."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.notifications import NotificationHistory
from resolvers.pagination import Order, Page, fetch_page

NOTIFICATION_ORDER = Order(NotificationHistory.created_at, NotificationHistory.id)


async def notifications_page(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    unread_only: bool,
    first: int | None,
    after: str | None,
) -> Page[NotificationHistory]:
    """The owner's notifications, newest first."""
    query = select(NotificationHistory).where(NotificationHistory.user_id == owner_id)
    if unread_only:
        query = query.where(NotificationHistory.read_at.is_(None))
    return await fetch_page(session, query, NOTIFICATION_ORDER, first=first, after=after)
