"""Each streamed table's row policy says the same in SQL (queries) and in memory (events),
on the same rows."""

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gql.settings import Settings
from gql.table_changes.catalogue import TABLES, RealtimeTable
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
