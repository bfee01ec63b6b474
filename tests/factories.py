"""Minimal rows for tests, inserted with plain SQL the way any other writer would."""

import secrets
import uuid

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


async def make_post(db: Executor, *, user_id: uuid.UUID, content: str = "Day 1!") -> uuid.UUID:
    return await insert_returning_id(
        db,
        "INSERT INTO posts (user_id, content) VALUES (:user_id, :content)",
        user_id=user_id,
        content=content,
    )
