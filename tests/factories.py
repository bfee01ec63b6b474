"""Minimal rows for tests, inserted with plain SQL the way any other writer would."""

import secrets
import uuid
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Executor = AsyncSession | AsyncConnection


async def insert_returning_id(db: Executor, sql: str, **values: object) -> uuid.UUID:
    result = await db.execute(text(sql + " RETURNING id"), values)
    row_id: uuid.UUID = result.scalar_one()
    return row_id


async def make_user(db: Executor, *, username: str | None = None) -> uuid.UUID:
    handle = username or f"user_{secrets.token_hex(6)}"
    return await insert_returning_id(
        db,
        "INSERT INTO users (email, name, username) VALUES (:email, :name, :username)",
        email=f"{handle}@example.com",
        name=handle.title(),
        username=handle,
    )


async def make_goal(db: Executor, *, user_id: uuid.UUID) -> uuid.UUID:
    return await insert_returning_id(
        db,
        "INSERT INTO goals (user_id, title, frequency) VALUES (:user_id, 'Run', 'daily')",
        user_id=user_id,
    )


async def make_post(
    db: Executor, *, user_id: uuid.UUID, content: str = "Day 1!", public: bool = True
) -> uuid.UUID:
    return await insert_returning_id(
        db,
        "INSERT INTO posts (user_id, content, is_public) VALUES (:user_id, :content, :public)",
        user_id=user_id,
        content=content,
        public=public,
    )


async def make_challenge(
    db: Executor,
    *,
    owner_id: uuid.UUID,
    starts_on: str = "2026-01-01",
    ends_on: str = "2026-12-31",
    visibility: str = "public",
    timezone: str = "UTC",
) -> uuid.UUID:
    """A challenge and its owner's membership (without a goal), as createChallenge makes."""
    challenge_id = await insert_returning_id(
        db,
        "INSERT INTO challenges (owner_id, title, starts_on, ends_on, visibility, timezone) "
        "VALUES (:owner_id, 'Move', :starts_on, :ends_on, "
        ":visibility, :timezone)",
        owner_id=owner_id,
        starts_on=date.fromisoformat(starts_on),
        ends_on=date.fromisoformat(ends_on),
        visibility=visibility,
        timezone=timezone,
    )
    await db.execute(
        text(
            "INSERT INTO challenge_participants (challenge_id, user_id, role, joined_at) "
            "VALUES (:c, :u, 'owner', now())"
        ),
        {"c": challenge_id, "u": owner_id},
    )
    return challenge_id


async def join_with_goal(db: Executor, *, challenge_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID:
    """Takes part in the challenge with a new goal (any writer may); returns the goal."""
    goal_id = await make_goal(db, user_id=user_id)
    await db.execute(
        text(
            "INSERT INTO challenge_participants (challenge_id, user_id, goal_id, joined_at) "
            "VALUES (:c, :u, :g, now()) ON CONFLICT (challenge_id, user_id) "
            "DO UPDATE SET goal_id = EXCLUDED.goal_id, status = 'active'"
        ),
        {"c": challenge_id, "u": user_id, "g": goal_id},
    )
    return goal_id


async def check_in_on(
    db: Executor, *, goal_id: uuid.UUID, day: str, completed: bool = True
) -> uuid.UUID:
    """A check-in of a goal's owner on a day (plain SQL: no date rules apply)."""
    return await insert_returning_id(
        db,
        "INSERT INTO check_ins (goal_id, user_id, date, completed) "
        "SELECT id, user_id, :day, :completed FROM goals WHERE id = :goal_id",
        goal_id=goal_id,
        day=date.fromisoformat(day),
        completed=completed,
    )
