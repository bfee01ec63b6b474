"""Sharing is declared: every field whose resolver reads the viewer carries PER_VIEWER, so the
fan-out engine never hands one viewer's value to another. The test runs every field of the
types subscriptions deliver (reached through queries, a few levels deep) as a signed-in
viewer, watching which resolvers read the viewer."""

import inspect
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import redis.asyncio as redis
from graphql import GraphQLNamedType, GraphQLObjectType, GraphQLSchema, get_named_type, is_leaf_type
from graphql.type.definition import GraphQLNonNull
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.extensions import SchemaExtension

from gql.context import Context
from gql.loaders import Loaders
from gql.realtime.sharing import PER_VIEWER_KEY
from gql.realtime.state import Realtime
from gql.schema import create_schema
from gql.selections import metadata
from gql.settings import Settings
from models.users import User as UserModel
from resolvers.rate_limits import RateLimiter
from resolvers.tokens import access_claims
from tests.factories import join_with_goal, make_challenge, make_post
from tests.graphql import person

FIELD: ContextVar[str | None] = ContextVar("field being resolved", default=None)


class ViewerReads(SchemaExtension):
    """Runs each resolver with FIELD set to its coordinate (Type.field)."""

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        coordinate = f"{info.parent_type.name}.{info.field_name}"
        token = FIELD.set(coordinate)
        try:
            result = _next(root, info, *args, **kwargs)
        finally:
            FIELD.reset(token)
        if inspect.isawaitable(result):
            return _within(coordinate, result)
        return result


async def _within(coordinate: str, result: Awaitable[Any]) -> Any:
    token = FIELD.set(coordinate)
    try:
        return await result
    finally:
        FIELD.reset(token)


@dataclass
class SpyingContext(Context):
    """Notes the field being resolved whenever the viewer is read."""

    viewer_reads: set[str] | None = None

    def __getattribute__(self, name: str) -> Any:
        if name in ("viewer", "viewer_id"):
            field = FIELD.get()
            reads = object.__getattribute__(self, "viewer_reads")
            if field is not None and reads is not None:
                reads.add(field)
        return super().__getattribute__(name)


def selection(schema: GraphQLSchema, type_: GraphQLNamedType, depth: int) -> str:
    """Every field of the type that takes no required argument, `depth` levels deep."""
    if not isinstance(type_, GraphQLObjectType):
        return ""
    fields = []
    for name, field in type_.fields.items():
        required = any(
            isinstance(argument.type, GraphQLNonNull) and argument.default_value is None
            for argument in field.args.values()
        )
        if required or name.startswith("__"):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            fields.append(name)
        elif depth > 0 and (nested := selection(schema, inner, depth - 1)):
            fields.append(f"{name} {{ {nested} }}")
    return " ".join(fields)


def declared(schema: GraphQLSchema) -> set[str]:
    return {
        f"{type_name}.{field_name}"
        for type_name, type_ in schema.type_map.items()
        if isinstance(type_, GraphQLObjectType)
        for field_name, field in type_.fields.items()
        if metadata(field).get(PER_VIEWER_KEY)
    }


async def test_every_field_that_reads_the_viewer_declares_it(
    engine: AsyncEngine,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis_url: str,
) -> None:
    async with engine.begin() as db:
        viewer, author = await person(db, settings), await person(db, settings)
        await db.execute(
            text(
                "INSERT INTO follows (follower_id, following_id, approved_at) "
                "VALUES (:v, :a, now())"
            ),
            {"v": viewer.id, "a": author.id},
        )
        post = await make_post(db, user_id=author.id)
        await db.execute(
            text("INSERT INTO comments (post_id, user_id, content) VALUES (:p, :a, 'hi');"),
            {"p": post, "a": author.id},
        )
        await db.execute(
            text("INSERT INTO likes (post_id, user_id) VALUES (:p, :v)"),
            {"p": post, "v": viewer.id},
        )
        challenge = await make_challenge(db, owner_id=viewer.id)
        await join_with_goal(db, challenge_id=challenge, user_id=viewer.id)
        await db.execute(
            text(
                "INSERT INTO check_ins (goal_id, user_id, date, completed) "
                "SELECT id, user_id, current_date, true FROM goals WHERE user_id = :v"
            ),
            {"v": viewer.id},
        )
        await db.execute(
            text(
                "INSERT INTO notification_history (user_id, actor_id, notification_type, title) "
                "VALUES (:v, :a, 'follow', 'hello')"
            ),
            {"v": viewer.id, "a": author.id},
        )

    schema = create_schema(settings)
    schema.extensions = (*schema.extensions, ViewerReads)
    graphql_schema = schema._schema
    roots = {
        f'post(id: "{post}")': "Post",
        f'user(id: "{author.id}")': "User",
        "goals": "GoalConnection",
        "checkIns": "CheckInConnection",
        "notifications": "NotificationConnection",
        f'challenge(id: "{challenge}")': "Challenge",
        f'leaderboard(challengeId: "{challenge}")': "Leaderboard",
        "feed": "PostConnection",
    }
    reads: set[str] = set()
    async with sessionmaker() as session:
        viewer_row = await session.get(UserModel, viewer.id)
    client = redis.Redis.from_url(redis_url)
    claims = access_claims(viewer.token, policy=settings.token_policy)
    try:
        for root, type_name in roots.items():
            type_ = graphql_schema.type_map[type_name]
            depth = 2 if type_name.endswith("Connection") else 3
            context = SpyingContext(
                request=cast(Any, None),
                response=None,
                sessionmaker=sessionmaker,
                tokens=settings.token_policy,
                limiter=RateLimiter(client, settings.redis_prefix, settings.rate_limits),
                realtime=cast(Realtime, SimpleNamespace(reads=sessionmaker)),
                loaders=Loaders(sessionmaker, viewer.id),
                viewer_id=claims.user_id,
                token_expires_at=claims.expires_at,
                viewer_reads=reads,
            )
            context.viewer = viewer_row
            query = f"{{ {root} {{ {selection(graphql_schema, type_, depth)} }} }}"
            result = await schema.execute(query, context_value=context)
            assert result.errors is None, (root, result.errors)
    finally:
        await client.aclose()
    undeclared = {field for field in reads if not field.startswith(("Query.", "Mutation."))}
    assert undeclared - declared(graphql_schema) == set()
    # The check sees what it should: these fields do read the viewer.
    assert {"Post.viewerReaction", "User.viewerIsFollowing", "User.posts"} <= reads
