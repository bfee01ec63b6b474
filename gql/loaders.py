"""Request-scoped DataLoaders, one per relation or count; each batch opens its own session."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from models.blog import BlogCategory, BlogTag
from models.challenges import ChallengeParticipant
from models.social import Comment
from models.users import User
from resolvers import blog as blog_service
from resolvers import challenges as challenges_service
from resolvers import goals as goals_service
from resolvers import social as social_service
from resolvers import users as users_service
from resolvers.pagination import Page

Key = TypeVar("Key")
Value = TypeVar("Value")


class Loaders:
    """A fresh set per request (or per subscription event), so nothing stale is served."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], viewer_id: uuid.UUID | None
    ) -> None:
        self._sessionmaker = sessionmaker
        self.viewer_id = viewer_id
        self.user_by_id: DataLoader[uuid.UUID, User | None] = self._loader(
            users_service.users_by_ids, "ids"
        )
        self.followers_count_by_user_id: DataLoader[uuid.UUID, int] = self._loader(
            users_service.followers_counts, "ids"
        )
        self.following_count_by_user_id: DataLoader[uuid.UUID, int] = self._loader(
            users_service.following_counts, "ids"
        )
        self.completed_dates_by_goal_id: DataLoader[uuid.UUID, list[date]] = self._loader(
            goals_service.completed_dates, "goal_ids"
        )
        self.categories_by_blog_post_id: DataLoader[uuid.UUID, list[BlogCategory]] = self._loader(
            blog_service.categories_by_post_ids, "post_ids"
        )
        self.tags_by_blog_post_id: DataLoader[uuid.UUID, list[BlogTag]] = self._loader(
            blog_service.tags_by_post_ids, "post_ids"
        )
        self.participant_count_by_challenge_id: DataLoader[uuid.UUID, int] = self._loader(
            challenges_service.participant_counts, "challenge_ids"
        )
        self._first_comments: dict[int | None, DataLoader[uuid.UUID, Page[Comment]]] = {}
        if viewer_id is not None:
            self.viewer_follows_by_user_id: DataLoader[uuid.UUID, bool] = self._loader(
                partial(users_service.follows_among, follower_id=viewer_id), "ids"
            )
            self.viewer_participation_by_challenge_id: DataLoader[
                uuid.UUID, ChallengeParticipant | None
            ] = self._loader(
                partial(challenges_service.viewer_participations, viewer_id=viewer_id),
                "challenge_ids",
            )
            self.viewer_reaction_by_post_id: DataLoader[uuid.UUID, str | None] = self._loader(
                partial(social_service.viewer_reactions, viewer_id=viewer_id), "post_ids"
            )

    def first_comments_by_post_id(self, first: int | None) -> DataLoader[uuid.UUID, Page[Comment]]:
        """The first comments of posts; one loader (one batch) per distinct `first`."""
        if first not in self._first_comments:
            self._first_comments[first] = self._loader(
                partial(social_service.first_comments, first=first), "post_ids"
            )
        return self._first_comments[first]

    def _loader(
        self, batch: Callable[..., Awaitable[Sequence[Value]]], keys_argument: str
    ) -> DataLoader[Any, Value]:
        async def load(keys: list[Any]) -> Sequence[Value]:
            async with self._sessionmaker() as session:
                return await batch(session=session, **{keys_argument: keys})

        return DataLoader(load_fn=load)
