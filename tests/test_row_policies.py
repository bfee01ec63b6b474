"""Each streamed table's row policy says the same in SQL (queries) and in memory (events),
on the same rows."""

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gql.settings import Settings
from gql.table_changes.catalogue import TABLES, RealtimeTable
from models.challenges import Challenge
from resolvers import challenges as challenges_service
from tests.graphql import people, sql


@pytest.fixture
async def rows_of_everyone(engine: AsyncEngine, settings: Settings) -> list[uuid.UUID]:
    """People with rows in the pair tables and a retired catalogue entry, besides what other
    tests wrote."""
    first, second, third = await people(engine, settings, 3)
    await sql(
        engine,
        "INSERT INTO follows (follower_id, following_id) VALUES (:a, :b), (:c, :a)",
        a=first.id,
        b=second.id,
        c=third.id,
    )
    await sql(
        engine,
        "INSERT INTO accountability_partners (requester_id, partner_id) VALUES (:b, :c)",
        b=second.id,
        c=third.id,
    )
    await sql(engine, "INSERT INTO motivations (user_id, message) VALUES (:a, 'Go')", a=first.id)
    await sql(
        engine,
        "INSERT INTO achievement_types (key, name, category, is_active) "
        "VALUES (:k, 'Old', 'milestone', false)",
        k=f"old_{uuid.uuid4().hex[:8]}",
    )
    return [first.id, second.id, third.id]


@pytest.mark.parametrize("table", [t for t in RealtimeTable if TABLES[t].policy is not None])
async def test_the_sql_and_in_memory_forms_agree(
    sessionmaker: async_sessionmaker[AsyncSession],
    rows_of_everyone: list[uuid.UUID],
    table: RealtimeTable,
) -> None:
    streamed = TABLES[table]
    model: Any = streamed.model
    policy = streamed.policy
    assert policy is not None
    async with sessionmaker() as session:
        every_row = (await session.scalars(select(model))).all()
        assert every_row, f"no {table.value} rows to compare on"
        for viewer in rows_of_everyone:
            in_sql = set(await session.scalars(select(model.id).where(policy.where(model, viewer))))
            in_memory = {row.id for row in every_row if policy.allows(row, viewer)}
            assert in_sql == in_memory


async def test_the_challenges_policy_says_the_same_in_sql_and_in_memory(
    sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine, settings: Settings
) -> None:
    owner, member, stranger = await people(engine, settings, 3)
    for visibility in ("public", "private"):
        await sql(
            engine,
            "INSERT INTO challenges (owner_id, title, starts_on, ends_on, visibility) "
            "VALUES (:o, 'C', current_date, current_date + 7, :v)",
            o=owner.id,
            v=visibility,
        )
    await sql(
        engine,
        "INSERT INTO challenge_participants (challenge_id, user_id, status) "
        "SELECT id, :m, 'invited' FROM challenges WHERE owner_id = :o AND visibility = 'private'",
        m=member.id,
        o=owner.id,
    )
    await sql(
        engine,
        "UPDATE challenges SET deleted_at = now() WHERE id = (SELECT id FROM challenges "
        "WHERE visibility = 'public' AND deleted_at IS NULL AND owner_id <> :o LIMIT 1)",
        o=owner.id,
    )
    async with sessionmaker() as session:
        every = (await session.scalars(select(Challenge))).all()
        for viewer in (owner.id, member.id, stranger.id):
            member_of = await challenges_service.memberships_of(session=session, user_id=viewer)
            in_sql = set(
                await session.scalars(
                    select(Challenge.id).where(challenges_service.visible_challenges(viewer))
                )
            )
            in_memory = {
                c.id for c in every if challenges_service.challenge_visible(c, viewer, member_of)
            }
            assert in_sql == in_memory
