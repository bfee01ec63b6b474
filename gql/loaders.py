"""Request-scoped DataLoaders, one per relation or count; each batch opens its own session."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, partial
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from models.achievements import AchievementType, UserAchievement
from models.blog import BlogCategory, BlogTag
from models.challenges import ChallengeParticipant
from models.goals import ActionablePlan, CheckIn
from models.social import Comment, Follow, Post
from models.users import User
from resolvers import achievements as achievements_service
from resolvers import blog as blog_service
from resolvers import challenges as challenges_service
from resolvers import goals as goals_service
from resolvers import plans as plans_service
from resolvers import social as social_service
from resolvers import users as users_service
from resolvers.pagination import Page

Key = TypeVar("Key")
Value = TypeVar("Value")


class Loaders:
    """A fresh set per request and per subscription event, emptied when each operation ends
    (gql/operation_loaders.py), so nothing stale is served; each loader is made on first
    use. Fields read a loaded value without awaiting (gql/ahead.py)."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], viewer_id: uuid.UUID | None
    ) -> None:
        self._sessionmaker = sessionmaker
        self.viewer_id = viewer_id
        self._first_pages: dict[tuple[str, int | None], DataLoader[uuid.UUID, Page[Any]]] = {}

    @cached_property
    def user_by_id(self) -> DataLoader[uuid.UUID, User | None]:
        return self._loader(users_service.users_by_ids, "ids")

    @cached_property
    def followers_count_by_user_id(self) -> DataLoader[uuid.UUID, int]:
        return self._loader(users_service.followers_counts, "ids")

    @cached_property
    def following_count_by_user_id(self) -> DataLoader[uuid.UUID, int]:
        return self._loader(users_service.following_counts, "ids")

    @cached_property
    def completed_dates_by_goal_id(self) -> DataLoader[uuid.UUID, list[date]]:
        return self._loader(goals_service.completed_dates, "goal_ids")

    @cached_property
    def plan_by_goal_id(self) -> DataLoader[uuid.UUID, ActionablePlan | None]:
        return self._loader(plans_service.plans_by_goal_ids, "goal_ids")

    @cached_property
    def achievements_by_user_id(self) -> DataLoader[uuid.UUID, list[UserAchievement]]:
        return self._loader(achievements_service.achievements_by_user_ids, "user_ids")

    @cached_property
    def achievement_type_by_id(self) -> DataLoader[uuid.UUID, AchievementType | None]:
        return self._loader(achievements_service.achievement_types_by_ids, "ids")

    @cached_property
    def categories_by_blog_post_id(self) -> DataLoader[uuid.UUID, list[BlogCategory]]:
        return self._loader(blog_service.categories_by_post_ids, "post_ids")

    @cached_property
    def tags_by_blog_post_id(self) -> DataLoader[uuid.UUID, list[BlogTag]]:
        return self._loader(blog_service.tags_by_post_ids, "post_ids")

    @cached_property
    def participant_count_by_challenge_id(self) -> DataLoader[uuid.UUID, int]:
        return self._loader(challenges_service.participant_counts, "challenge_ids")

    @cached_property
    def viewer_follows_by_user_id(self) -> DataLoader[uuid.UUID, bool]:
        return self._loader(partial(users_service.follows_among, follower_id=self._viewer), "ids")

    @cached_property
    def approved_follower_by_user_id(self) -> DataLoader[uuid.UUID, bool]:
        return self._loader(
            partial(users_service.approved_followers_among, followed_id=self._viewer), "ids"
        )

    @cached_property
    def viewer_participation_by_challenge_id(
        self,
    ) -> DataLoader[uuid.UUID, ChallengeParticipant | None]:
        return self._loader(
            partial(challenges_service.viewer_participations, viewer_id=self._viewer),
            "challenge_ids",
        )

    @cached_property
    def viewer_reaction_by_post_id(self) -> DataLoader[uuid.UUID, str | None]:
        return self._loader(
            partial(social_service.viewer_reactions, viewer_id=self._viewer), "post_ids"
        )

    def forget(self) -> None:
        """Drops every loader and what it loaded (loaders are made again on next use)."""
        for name in [name for name, value in vars(self).items() if isinstance(value, DataLoader)]:
            delattr(self, name)
        self._first_pages.clear()

    @property
    def _viewer(self) -> uuid.UUID:
        """The viewer, for the viewer's own loaders (resolvers check there is one first)."""
        assert self.viewer_id is not None, "viewer loaders need a signed-in viewer"
        return self.viewer_id

    def first_comments_by_post_id(self, first: int | None) -> DataLoader[uuid.UUID, Page[Comment]]:
        return self._first_page("comments", social_service.first_comments, "post_ids", first)

    def first_check_ins_by_goal_id(
        self, first: int | None, date_from: date | None, date_to: date | None
    ) -> DataLoader[uuid.UUID, Page[CheckIn]]:
        """The first check-ins of the viewer's goals, between the dates."""
        batch = partial(
            goals_service.first_check_ins,
            owner_id=self._viewer,
            date_from=date_from,
            date_to=date_to,
        )
        return self._first_page(f"check-ins-{date_from}-{date_to}", batch, "goal_ids", first)

    def first_posts_by_author_id(
        self, first: int | None, *, viewer_id: uuid.UUID | None
    ) -> DataLoader[uuid.UUID, Page[Post]]:
        """The newest posts of authors that the viewer may see (the resolver reads the viewer
        from the context, where the fan-out engine sees the read)."""
        batch = partial(social_service.first_posts_by_authors, viewer_id=viewer_id)
        return self._first_page(f"posts-for-{viewer_id}", batch, "author_ids", first)

    def first_followers_by_user_id(self, first: int | None) -> DataLoader[uuid.UUID, Page[Follow]]:
        return self._first_page("followers", users_service.first_followers, "user_ids", first)

    def first_following_by_user_id(self, first: int | None) -> DataLoader[uuid.UUID, Page[Follow]]:
        return self._first_page("following", users_service.first_following, "user_ids", first)

    def _first_page(
        self,
        name: str,
        batch: Callable[..., Awaitable[Sequence[Page[Any]]]],
        keys_argument: str,
        first: int | None,
    ) -> DataLoader[uuid.UUID, Page[Any]]:
        """First pages of a connection for many parents: one loader (one batch) per
        connection and distinct `first`."""
        key = (name, first)
        if key not in self._first_pages:
            self._first_pages[key] = self._loader(partial(batch, first=first), keys_argument)
        return self._first_pages[key]

    def _loader(
        self, batch: Callable[..., Awaitable[Sequence[Value]]], keys_argument: str
    ) -> DataLoader[Any, Value]:
        async def load(keys: list[Any]) -> Sequence[Value]:
            async with self._sessionmaker() as session:
                return await batch(session=session, **{keys_argument: keys})

        return DataLoader(load_fn=load)


@dataclass(frozen=True)
class FeedState:
    """What a feed subscription starts from: the viewer's preferences and audience."""

    preferences: users_service.FeedSettings
    audience: social_service.Audience


class SharedLoaders:
    """Instance-wide batch loaders without a cache: requests running at the same moment (a
    reconnect storm, concurrent handshakes) share one statement per batch instead of one
    each, and nothing is served stale."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @cached_property
    def user_by_id(self) -> DataLoader[uuid.UUID, User | None]:
        return DataLoader(load_fn=self._users, cache=False)

    @cached_property
    def feed_state_by_user_id(self) -> DataLoader[uuid.UUID, FeedState]:
        return DataLoader(load_fn=self._feed_states, cache=False)

    async def _users(self, ids: list[uuid.UUID]) -> list[User | None]:
        async with self._sessionmaker() as session:
            return await users_service.users_by_ids(session=session, ids=ids)

    async def _feed_states(self, user_ids: list[uuid.UUID]) -> list[FeedState]:
        async with self._sessionmaker() as session:
            preferences = await users_service.feed_preferences_of(
                session=session, user_ids=user_ids
            )
            audiences = await social_service.audiences_of(session=session, viewer_ids=user_ids)
        return [
            FeedState(preferences, audience)
            for preferences, audience in zip(preferences, audiences, strict=True)
        ]
