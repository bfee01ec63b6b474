"""GraphQL types of the feed: posts, comments, reactions."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from gql.context import Info
from gql.conversion import fields_from
from gql.pagination import Connection, page_of
from models import social as social_models
from resolvers import social as social_service

if TYPE_CHECKING:
    from gql.users.types import User

UserType = Annotated["User", strawberry.lazy("gql.users.types")]


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
    content: str
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[social_models.Comment]

    @classmethod
    def from_model(cls, comment: social_models.Comment) -> "Comment":
        return cls(**fields_from(cls, comment, model=comment))

    @strawberry.field
    async def author(self, info: Info) -> UserType | None:
        from gql.users.types import load_user

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
    async def author(self, info: Info) -> UserType | None:
        from gql.users.types import load_user

        return await load_user(info, self.model.user_id)

    @strawberry.field(description="The viewer's reaction to this post (null when none).")
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
