"""Feed mutations: posts, comments, reactions, follows, feed preferences."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.inputs import given_fields
from gql.social.types import Comment, MediaType, Post, Reaction, User
from gql.users.types import FeedPreferences
from resolvers import social_commands


@strawberry.input
class CreatePostInput:
    content: str | None = strawberry.field(default=None, description="Up to 10,000 characters.")
    media_url: str | None = None
    media_type: MediaType | None = None
    is_public: bool = True


@strawberry.input(description="Only the fields given are changed.")
class UpdatePostInput:
    content: str | None = strawberry.UNSET
    media_url: str | None = strawberry.UNSET
    media_type: MediaType | None = strawberry.UNSET
    is_public: bool | None = strawberry.UNSET


@strawberry.input(description="Only the fields given are changed.")
class FeedPreferencesInput:
    show_ai_posts: bool | None = strawberry.UNSET
    show_community_posts: bool | None = strawberry.UNSET
    show_following_only: bool | None = strawberry.UNSET
    categories: list[str] | None = strawberry.UNSET


@strawberry.type
class SocialMutations:
    @strawberry.mutation
    async def create_post(self, info: Info, input: CreatePostInput) -> Post:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("post", str(viewer.id))
        async with info.context.sessionmaker() as session:
            post = await social_commands.create_post(
                session=session, author_id=viewer.id, fields=given_fields(input)
            )
        return Post.from_model(post)

    @strawberry.mutation
    async def update_post(self, info: Info, id: strawberry.ID, input: UpdatePostInput) -> Post:
        viewer = info.context.require_viewer()
        changes = given_fields(input)
        if changes.get("is_public", True) is None:
            changes.pop("is_public")
        async with info.context.sessionmaker() as session:
            post = await social_commands.update_post(
                session=session, viewer_id=viewer.id, post_id=parse_id(id), changes=changes
            )
        return Post.from_model(post)

    @strawberry.mutation(description="Deletes the viewer's post (soft delete); returns its id.")
    async def delete_post(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await social_commands.delete_post(
                session=session, viewer_id=viewer.id, post_id=parse_id(id)
            )
        return id

    @strawberry.mutation(
        description="Sets the viewer's reaction (one per post; reacting "
        "again replaces it). Returns the post with its new likesCount."
    )
    async def react(self, info: Info, post_id: strawberry.ID, reaction: Reaction) -> Post:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("reaction", str(viewer.id))
        async with info.context.sessionmaker() as session:
            post = await social_commands.react(
                session=session,
                viewer_id=viewer.id,
                post_id=parse_id(post_id, field="postId"),
                reaction=reaction.value,
            )
        return Post.from_model(post)

    @strawberry.mutation(description="Removes the viewer's reaction, if any.")
    async def unreact(self, info: Info, post_id: strawberry.ID) -> Post:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            post = await social_commands.unreact(
                session=session, viewer_id=viewer.id, post_id=parse_id(post_id, field="postId")
            )
        return Post.from_model(post)

    @strawberry.mutation(description="Comments on a post (up to 2,000 characters).")
    async def add_comment(self, info: Info, post_id: strawberry.ID, content: str) -> Comment:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("comment", str(viewer.id))
        async with info.context.sessionmaker() as session:
            comment = await social_commands.add_comment(
                session=session,
                viewer_id=viewer.id,
                post_id=parse_id(post_id, field="postId"),
                content=content,
            )
        return Comment.from_model(comment)

    @strawberry.mutation
    async def update_comment(self, info: Info, id: strawberry.ID, content: str) -> Comment:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            comment = await social_commands.update_comment(
                session=session, viewer_id=viewer.id, comment_id=parse_id(id), content=content
            )
        return Comment.from_model(comment)

    @strawberry.mutation(description="Deletes a comment (its author or the post's author).")
    async def delete_comment(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await social_commands.delete_comment(
                session=session, viewer_id=viewer.id, comment_id=parse_id(id)
            )
        return id

    @strawberry.mutation(description="Follows a user; following again changes nothing.")
    async def follow(self, info: Info, user_id: strawberry.ID) -> User:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("follow", str(viewer.id))
        async with info.context.sessionmaker() as session:
            user = await social_commands.follow(
                session=session, viewer_id=viewer.id, user_id=parse_id(user_id, field="userId")
            )
        return User.from_model(user)

    @strawberry.mutation(description="Stops following a user; idempotent.")
    async def unfollow(self, info: Info, user_id: strawberry.ID) -> User:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            user = await social_commands.unfollow(
                session=session, viewer_id=viewer.id, user_id=parse_id(user_id, field="userId")
            )
        return User.from_model(user)

    @strawberry.mutation(
        description="Lets a follower see your posts that are not public (approved: false "
        "takes that back). NOT_FOUND when they do not follow you."
    )
    async def approve_follower(
        self, info: Info, user_id: strawberry.ID, approved: bool = True
    ) -> User:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            user = await social_commands.approve_follower(
                session=session,
                viewer_id=viewer.id,
                user_id=parse_id(user_id, field="userId"),
                approved=approved,
            )
        return User.from_model(user)

    @strawberry.mutation(
        description="Ends someone's follow of you; idempotent. Returns the id given."
    )
    async def remove_follower(self, info: Info, user_id: strawberry.ID) -> strawberry.ID:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await social_commands.remove_follower(
                session=session, viewer_id=viewer.id, user_id=parse_id(user_id, field="userId")
            )
        return user_id

    @strawberry.mutation
    async def update_feed_preferences(
        self, info: Info, input: FeedPreferencesInput
    ) -> FeedPreferences:
        viewer = info.context.require_viewer()
        changes = {name: value for name, value in given_fields(input).items() if value is not None}
        if input.categories is None:
            changes["categories"] = None
        async with info.context.sessionmaker() as session:
            preferences = await social_commands.update_feed_preferences(
                session=session, viewer_id=viewer.id, changes=changes
            )
        return FeedPreferences.from_model(preferences)
