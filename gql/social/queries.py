"""Root query fields of the feed."""

import strawberry

from gql.ahead import Ahead
from gql.context import Info
from gql.ids import parse_id
from gql.pagination import Connection
from gql.social.types import Post, posts_ahead
from resolvers import social as social_service


@strawberry.type
class SocialQueries:
    @strawberry.field(
        description="The viewer's feed, newest first: their posts, those of "
        "people they follow, and public posts unless showFollowingOnly."
    )
    async def feed(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Post]:
        async with info.context.reads() as session:
            page = await social_service.feed_page(
                session=session, viewer_id=info.context.signed_in_id, first=first, after=after
            )
        await posts_ahead(info, Ahead.of(info).nodes(), page.rows)
        return Connection.from_page(page, Post.from_model)

    @strawberry.field(description="A post the viewer may see.")
    async def post(self, info: Info, id: strawberry.ID) -> Post:
        async with info.context.reads() as session:
            found = await social_service.get_post(
                session=session, viewer_id=info.context.signed_in_id, post_id=parse_id(id)
            )
        await posts_ahead(info, Ahead.of(info), [found])
        return Post.from_model(found)
