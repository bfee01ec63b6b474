"""Root query fields of the blog."""

import strawberry

from gql.blog.types import BlogCategory, BlogPost
from gql.context import Info
from gql.pagination import Connection
from resolvers import blog as blog_service


@strawberry.type
class BlogQueries:
    @strawberry.field(
        description="Published blog posts, newest first (staff also see drafts), "
        "optionally of one category or tag slug."
    )
    async def blog_posts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        category: str | None = None,
        tag: str | None = None,
    ) -> Connection[BlogPost]:
        is_staff = await info.context.staff_role() is not None
        async with info.context.sessionmaker() as session:
            page = await blog_service.blog_posts_page(
                session=session,
                is_staff=is_staff,
                category=category,
                tag=tag,
                first=first,
                after=after,
            )
        return Connection.from_page(page, BlogPost.from_model)

    @strawberry.field
    async def blog_post(self, info: Info, slug: str) -> BlogPost:
        is_staff = await info.context.staff_role() is not None
        async with info.context.sessionmaker() as session:
            found = await blog_service.get_blog_post(session=session, is_staff=is_staff, slug=slug)
        return BlogPost.from_model(found)

    @strawberry.field
    async def blog_categories(self, info: Info) -> list[BlogCategory]:
        async with info.context.sessionmaker() as session:
            categories = await blog_service.list_categories(session=session)
        return [BlogCategory.from_model(category) for category in categories]
