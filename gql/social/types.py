"""GraphQL types of the social graph: people (public profiles), posts, comments, reactions.
They refer to each other, so they live together."""

import enum
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from gql.achievements.types import UserAchievement
from gql.context import Info
from gql.conversion import fields_from
from gql.pagination import Connection, page_of
from gql.realtime.sharing import PER_VIEWER
from models import social as social_models
from models import users as user_models
from resolvers import social as social_service
from resolvers import users as users_service
from resolvers.pagination import Page


@strawberry.enum
class Reaction(enum.Enum):
    LIKE = "like"
    CHEER = "cheer"
    LOVE = "love"


@strawberry.enum
class MediaType(enum.Enum):
    TEXT = "text"
    VOICE = "voice"
    IMAGE = "image"


@strawberry.type
class Comment:
    id: strawberry.ID
    post_id: strawberry.ID
    content: str
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[social_models.Comment]

    @classmethod
    def from_model(cls, comment: social_models.Comment) -> "Comment":
        return cls(**fields_from(cls, comment, model=comment))

    @strawberry.field
    async def author(self, info: Info) -> "User | None":
        return await load_user(info, self.model.user_id)


@strawberry.type
class Post:
    id: strawberry.ID
    content: str | None
    media_url: str | None
    media_type: MediaType | None
    is_public: bool
    likes_count: int
    comments_count: int
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[social_models.Post]

    @classmethod
    def from_model(cls, post: social_models.Post) -> "Post":
        media_type = MediaType(post.media_type) if post.media_type else None
        return cls(**fields_from(cls, post, media_type=media_type, model=post))

    @strawberry.field
    async def author(self, info: Info) -> "User | None":
        return await load_user(info, self.model.user_id)

    @strawberry.field(
        description="The viewer's reaction to this post (null when none).", metadata=PER_VIEWER
    )
    async def viewer_reaction(self, info: Info) -> Reaction | None:
        if info.context.viewer is None:
            return None
        reaction = await info.context.loaders.viewer_reaction_by_post_id.load(self.model.id)
        return Reaction(reaction) if reaction else None

    @strawberry.field(description="Live comments, oldest first.")
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Comment]:
        page = await page_of(
            info,
            self.model.id,
            info.context.loaders.first_comments_by_post_id(first),
            after=after,
            later=lambda session: social_service.comments_page(
                session=session, post_id=self.model.id, first=first, after=after
            ),
        )
        return Connection.from_page(page, Comment.from_model)


@strawberry.type(description="A person's public profile.")
class User:
    id: strawberry.ID
    username: str | None
    name: str
    profile_picture_url: str | None
    bio: str | None
    created_at: datetime
    model: strawberry.Private[user_models.User]

    @classmethod
    def from_model(cls, user: user_models.User) -> "User":
        return cls(**fields_from(cls, user, model=user))

    @strawberry.field(description="The badges this user unlocked, newest first.")
    async def achievements(self, info: Info) -> list[UserAchievement]:
        unlocked = await info.context.loaders.achievements_by_user_id.load(self.model.id)
        return [UserAchievement.from_model(row) for row in unlocked]

    @strawberry.field
    async def followers_count(self, info: Info) -> int:
        return await info.context.loaders.followers_count_by_user_id.load(self.model.id)

    @strawberry.field
    async def following_count(self, info: Info) -> int:
        return await info.context.loaders.following_count_by_user_id.load(self.model.id)

    @strawberry.field(
        description="Whether the viewer follows this user (false when signed out).",
        metadata=PER_VIEWER,
    )
    async def viewer_is_following(self, info: Info) -> bool:
        if info.context.viewer is None:
            return False
        return await info.context.loaders.viewer_follows_by_user_id.load(self.model.id)

    @strawberry.field(
        description="Whether this user follows the viewer with the viewer's approval (sees "
        "the viewer's posts that are not public); false when signed out.",
        metadata=PER_VIEWER,
    )
    async def approved_by_viewer(self, info: Info) -> bool:
        if info.context.viewer is None:
            return False
        return await info.context.loaders.approved_follower_by_user_id.load(self.model.id)

    @strawberry.field(
        description="Their posts the viewer may see, newest first.", metadata=PER_VIEWER
    )
    async def posts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection["Post"]:
        viewer_id = info.context.signed_in_id
        page = await page_of(
            info,
            self.model.id,
            info.context.loaders.first_posts_by_author_id(first, viewer_id=viewer_id),
            after=after,
            later=lambda session: social_service.posts_by_author_page(
                session=session,
                viewer_id=viewer_id,
                author_id=self.model.id,
                first=first,
                after=after,
            ),
        )
        return Connection.from_page(page, Post.from_model)

    @strawberry.field(description="Who follows them, most recent first.")
    async def followers(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection["User"]:
        loader = info.context.loaders.first_followers_by_user_id(first)
        page = await self._follows(info, loader, users_service.followers_page, first, after)
        return await _users_of_follows(info, page, lambda follow: follow.follower_id)

    @strawberry.field(description="Whom they follow, most recent first.")
    async def following(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection["User"]:
        loader = info.context.loaders.first_following_by_user_id(first)
        page = await self._follows(info, loader, users_service.following_page, first, after)
        return await _users_of_follows(info, page, lambda follow: follow.following_id)

    async def _follows(
        self,
        info: Info,
        loader: DataLoader[Any, Page[Any]],
        later_page: Callable[..., Awaitable[Page[Any]]],
        first: int | None,
        after: str | None,
    ) -> Page[Any]:
        """A page of their follows, one way or the other (page_of)."""
        return await page_of(
            info,
            self.model.id,
            loader,
            after=after,
            later=lambda session: later_page(
                session=session, user_id=self.model.id, first=first, after=after
            ),
        )


async def load_user(info: Info, user_id: uuid.UUID) -> User | None:
    """The public profile of a user id, through the request's loader."""
    user = await info.context.loaders.user_by_id.load(user_id)
    return User.from_model(user) if user is not None else None


async def _users_of_follows(
    info: Info,
    page: Page[social_models.Follow],
    pick: Callable[[social_models.Follow], uuid.UUID],
) -> Connection[User]:
    """The page of follows as a page of the users on one side of them."""
    users = await info.context.loaders.user_by_id.load_many([pick(row) for row in page.rows])
    kept = [(user, cursor) for user, cursor in zip(users, page.cursors, strict=True) if user]
    users_page = Page(
        rows=[user for user, _ in kept],
        cursors=[cursor for _, cursor in kept],
        has_next_page=page.has_next_page,
    )
    return Connection.from_page(users_page, User.from_model)
