"""Users: profiles, the follow graph's counts, feed preferences, plan and subscription.

Users policy: a disabled account is hidden from everyone as a person: its profile is
NOT_FOUND, it is no one's author, owner or participant to show (those fields are null), and
it is left out of follower lists and counts.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models.among import among
from models.billing import Subscription
from models.social import FeedPreference, Follow
from models.users import User
from resolvers.errors import BadUserInput, NotFound
from resolvers.pagination import Order, Page, fetch_page, first_pages

FOLLOW_ORDER = Order(Follow.created_at, Follow.id)


async def users_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[User | None]:
    """Active users in the order of ids (None where there is none, or it is disabled)."""
    found = {
        user.id: user
        for user in await session.scalars(select(User).where(among(User.id, ids), User.is_active))
    }
    return [found.get(user_id) for user_id in ids]


def _active(column: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """The user the column names is active."""
    return exists().where(User.id == column, User.is_active)


async def find_user(
    *, session: AsyncSession, user_id: uuid.UUID | None = None, username: str | None = None
) -> User:
    """An active user by id or username (policy: disabled accounts are not shown)."""
    if (user_id is None) == (username is None):
        raise BadUserInput("give exactly one of id and username")
    query = select(User).where(User.is_active)
    if user_id is not None:
        query = query.where(User.id == user_id)
    else:
        query = query.where(User.username == username)
    user = await session.scalar(query)
    if user is None:
        raise NotFound("user not found")
    return user


async def _counts(
    session: AsyncSession, group_column: InstrumentedAttribute[uuid.UUID], ids: Sequence[uuid.UUID]
) -> list[int]:
    other = Follow.follower_id if group_column is Follow.following_id else Follow.following_id
    rows = await session.execute(
        select(group_column, func.count())
        .where(group_column.in_(ids), _active(other))
        .group_by(group_column)
    )
    counts = dict(rows.all())
    return [counts.get(user_id, 0) for user_id in ids]


async def followers_counts(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[int]:
    return await _counts(session, Follow.following_id, ids)


async def following_counts(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[int]:
    return await _counts(session, Follow.follower_id, ids)


async def follows_among(
    *, session: AsyncSession, follower_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[bool]:
    """For each id, whether follower_id follows that user."""
    followed = set(
        await session.scalars(
            select(Follow.following_id).where(
                Follow.follower_id == follower_id, Follow.following_id.in_(ids)
            )
        )
    )
    return [user_id in followed for user_id in ids]


async def approved_followers_among(
    *, session: AsyncSession, followed_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[bool]:
    """For each id, whether that user follows followed_id with approval."""
    approved = set(
        await session.scalars(
            select(Follow.follower_id).where(
                Follow.following_id == followed_id,
                Follow.follower_id.in_(ids),
                Follow.approved_at.is_not(None),
            )
        )
    )
    return [user_id in approved for user_id in ids]


async def first_followers(
    *, session: AsyncSession, user_ids: Sequence[uuid.UUID], first: int | None
) -> list[Page[Follow]]:
    """The newest follows of each user (as followed), up to `first` each, in one query."""
    query = select(Follow).where(_active(Follow.follower_id))
    return await first_pages(
        session, query, FOLLOW_ORDER, Follow.following_id, user_ids, first=first
    )


async def first_following(
    *, session: AsyncSession, user_ids: Sequence[uuid.UUID], first: int | None
) -> list[Page[Follow]]:
    """The newest follows by each user, up to `first` each, in one query."""
    query = select(Follow).where(_active(Follow.following_id))
    return await first_pages(
        session, query, FOLLOW_ORDER, Follow.follower_id, user_ids, first=first
    )


async def followers_page(
    *, session: AsyncSession, user_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Follow]:
    query = select(Follow).where(Follow.following_id == user_id, _active(Follow.follower_id))
    return await fetch_page(session, query, FOLLOW_ORDER, first=first, after=after)


async def following_page(
    *, session: AsyncSession, user_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Follow]:
    query = select(Follow).where(Follow.follower_id == user_id, _active(Follow.following_id))
    return await fetch_page(session, query, FOLLOW_ORDER, first=first, after=after)


@dataclass(frozen=True)
class FeedSettings:
    """A user's feed preferences as read (the defaults for those who never set any)."""

    show_ai_posts: bool = True
    show_community_posts: bool = True
    show_following_only: bool = False
    categories: list[str] | None = None

    @classmethod
    def of(cls, row: FeedPreference) -> "FeedSettings":
        return cls(
            row.show_ai_posts, row.show_community_posts, row.show_following_only, row.categories
        )


DEFAULT_FEED_SETTINGS = FeedSettings()


async def feed_preferences(*, session: AsyncSession, user_id: uuid.UUID) -> FeedSettings:
    (preferences,) = await feed_preferences_of(session=session, user_ids=[user_id])
    return preferences


async def feed_preferences_of(
    *, session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> list[FeedSettings]:
    """Each user's feed preferences, in one query."""
    stored = {
        row.user_id: FeedSettings.of(row)
        for row in await session.scalars(
            select(FeedPreference).where(among(FeedPreference.user_id, user_ids))
        )
    }
    return [stored.get(user_id, DEFAULT_FEED_SETTINGS) for user_id in user_ids]


async def subscriptions_of(
    *, session: AsyncSession, user_id: uuid.UUID, limit: int | None = None
) -> list[Subscription]:
    """The user's store subscriptions, most recent purchase first."""
    query = (
        select(Subscription)
        .where(Subscription.user_id == user_id)
        .order_by(Subscription.purchase_date.desc(), Subscription.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(query))
