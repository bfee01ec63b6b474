"""GraphQL types of the social graph: people (public profiles), posts, comments, reactions.
They refer to each other, so they live together."""

import enum
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Optional

import strawberry
from strawberry.dataloader import DataLoader

from gql.achievements.types import UserAchievement
from gql.ahead import Ahead, Later, fill, held, now_or_later, then
from gql.context import Info
from gql.conversion import fields_from
from gql.pagination import Connection, connection_of, page_of
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

    @strawberry.field(graphql_type=Optional["User"])
    def author(self, info: Info) -> Later["User | None"]:
        return user_of(info, self.model.user_id)


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

    @strawberry.field(graphql_type=Optional["User"])
    def author(self, info: Info) -> Later["User | None"]:
        return user_of(info, self.model.user_id)

    @strawberry.field(
        description="The viewer's reaction to this post (null when none).",
        metadata=PER_VIEWER,
        graphql_type=Reaction | None,
    )
    def viewer_reaction(self, info: Info) -> Later[Reaction | None]:
        if info.context.viewer is None:
            return None
        reaction = now_or_later(info.context.loaders.viewer_reaction_by_post_id, self.model.id)
        return then(reaction, lambda value: Reaction(value) if value else None)

    @strawberry.field(description="Live comments, oldest first.", graphql_type=Connection[Comment])
    def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Later[Connection[Comment]]:
        return connection_of(
            info,
            self.model.id,
            info.context.loaders.first_comments_by_post_id(first),
            after=after,
            later=lambda session: social_service.comments_page(
                session=session, post_id=self.model.id, first=first, after=after
            ),
            ahead=comments_ahead,
            convert=Comment.from_model,
        )


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

    @strawberry.field(
        description="The badges this user unlocked, newest first.",
        graphql_type=list[UserAchievement],
    )
    def achievements(self, info: Info) -> Later[list[UserAchievement]]:
        unlocked = now_or_later(info.context.loaders.achievements_by_user_id, self.model.id)
        return then(unlocked, lambda rows: [UserAchievement.from_model(row) for row in rows])

    @strawberry.field(graphql_type=int)
    def followers_count(self, info: Info) -> Later[int]:
        return now_or_later(info.context.loaders.followers_count_by_user_id, self.model.id)

    @strawberry.field(graphql_type=int)
    def following_count(self, info: Info) -> Later[int]:
        return now_or_later(info.context.loaders.following_count_by_user_id, self.model.id)

    @strawberry.field(
        description="Whether the viewer follows this user (false when signed out).",
        metadata=PER_VIEWER,
        graphql_type=bool,
    )
    def viewer_is_following(self, info: Info) -> Later[bool]:
        if info.context.viewer is None:
            return False
        return now_or_later(info.context.loaders.viewer_follows_by_user_id, self.model.id)

    @strawberry.field(
        description="Whether this user follows the viewer with the viewer's approval (sees "
        "the viewer's posts that are not public); false when signed out.",
        metadata=PER_VIEWER,
        graphql_type=bool,
    )
    def approved_by_viewer(self, info: Info) -> Later[bool]:
        if info.context.viewer is None:
            return False
        return now_or_later(info.context.loaders.approved_follower_by_user_id, self.model.id)

    @strawberry.field(
        description="Their posts the viewer may see, newest first.",
        metadata=PER_VIEWER,
        graphql_type=Connection["Post"],
    )
    def posts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Later[Connection["Post"]]:
        viewer_id = info.context.signed_in_id
        return connection_of(
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
            ahead=posts_ahead,
            convert=Post.from_model,
        )

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


def user_of(info: Info, user_id: uuid.UUID | None) -> Later[User | None]:
    """The public profile of a user id, through the request's loader (None: no one)."""
    if user_id is None:
        return None
    user = now_or_later(info.context.loaders.user_by_id, user_id)
    return then(user, lambda row: User.from_model(row) if row is not None else None)


async def posts_ahead(info: Info, ahead: Ahead, posts: Sequence[social_models.Post]) -> None:
    """Loads what the selection asks of these posts (the viewer's reactions, first comments,
    the authors of both), a statement per relation, before their fields resolve."""
    loaders = info.context.loaders
    ids = [post.id for post in posts]
    if loaders.viewer_id is not None and ahead.selects("viewerReaction"):
        reactions = loaders.viewer_reaction_by_post_id.load_many(ids)
    else:
        reactions = None
    first_comments = [
        (comments, loaders.first_comments_by_post_id(comments.argument("first")))
        for comments in ahead.each("comments")
        if comments.argument("after") is None
    ]
    await fill(reactions, *(pages.load_many(ids) for _, pages in first_comments))
    # The authors of posts and comments load together: one statement for all of them.
    await fill(
        users_ahead(info, ahead.child("author"), [post.user_id for post in posts]),
        *(
            comments_ahead(
                info, comments.nodes(), [c for page in held(pages, ids) for c in page.rows]
            )
            for comments, pages in first_comments
        ),
    )


async def comments_ahead(
    info: Info, ahead: Ahead, comments: Sequence[social_models.Comment]
) -> None:
    """Loads the authors of these comments when the selection asks for them."""
    await users_ahead(info, ahead.child("author"), [comment.user_id for comment in comments])


async def users_ahead(info: Info, ahead: Ahead, user_ids: Sequence[uuid.UUID]) -> None:
    """Loads these users and what the selection asks of them, when it selects them."""
    if not ahead.fields:
        return
    loaders = info.context.loaders
    signed_in = loaders.viewer_id is not None  # the viewer's fields say false when signed out
    wanted: dict[str, DataLoader[uuid.UUID, Any]] = {
        "achievements": loaders.achievements_by_user_id,
        "followersCount": loaders.followers_count_by_user_id,
        "followingCount": loaders.following_count_by_user_id,
        **({"viewerIsFollowing": loaders.viewer_follows_by_user_id} if signed_in else {}),
        **({"approvedByViewer": loaders.approved_follower_by_user_id} if signed_in else {}),
    }
    await fill(
        loaders.user_by_id.load_many(user_ids),
        *(loader.load_many(user_ids) for name, loader in wanted.items() if ahead.selects(name)),
    )


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
