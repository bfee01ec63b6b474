"""GraphQL types of the blog."""

from datetime import datetime

import strawberry

from gql.ahead import Later
from gql.context import Info
from gql.conversion import fields_from
from gql.social.types import User, user_of
from models import blog as blog_models


@strawberry.type
class BlogCategory:
    id: strawberry.ID
    name: str
    slug: str
    description: str | None

    @classmethod
    def from_model(cls, category: blog_models.BlogCategory) -> "BlogCategory":
        return cls(**fields_from(cls, category))


@strawberry.type
class BlogTag:
    id: strawberry.ID
    name: str
    slug: str

    @classmethod
    def from_model(cls, tag: blog_models.BlogTag) -> "BlogTag":
        return cls(**fields_from(cls, tag))


@strawberry.type
class BlogPost:
    id: strawberry.ID
    title: str
    slug: str
    content: str
    excerpt: str | None
    featured_image_url: str | None
    status: str
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[blog_models.BlogPost]

    @classmethod
    def from_model(cls, post: blog_models.BlogPost) -> "BlogPost":
        return cls(**fields_from(cls, post, model=post))

    @strawberry.field(graphql_type=User | None)
    def author(self, info: Info) -> Later[User | None]:
        return user_of(info, self.model.author_id)

    @strawberry.field
    async def categories(self, info: Info) -> list[BlogCategory]:
        found = await info.context.loaders.categories_by_blog_post_id.load(self.model.id)
        return [BlogCategory.from_model(category) for category in found]

    @strawberry.field
    async def tags(self, info: Info) -> list[BlogTag]:
        found = await info.context.loaders.tags_by_blog_post_id.load(self.model.id)
        return [BlogTag.from_model(tag) for tag in found]
