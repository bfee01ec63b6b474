"""Triggers keep derived columns right whoever writes, also under concurrent writers."""

import asyncio
import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import make_post, make_user

WRITERS = 50


async def concurrently(engine: AsyncEngine, sql: str, rows: list[dict[str, object]]) -> None:
    """Runs the statement once per row, each in its own transaction, all started together."""
    start = asyncio.Barrier(len(rows))

    async def write(values: dict[str, object]) -> None:
        async with engine.begin() as connection:
            await connection.execute(text("SELECT 1"))  # the transaction is open
            await start.wait()
            await connection.execute(text(sql), values)

    await asyncio.gather(*(write(values) for values in rows))


async def post_with_audience(engine: AsyncEngine) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A committed post and WRITERS other users to react to or comment on it."""
    async with engine.begin() as connection:
        author = await make_user(connection)
        post = await make_post(connection, user_id=author)
        audience = [await make_user(connection) for _ in range(WRITERS)]
    return post, audience


async def post_counters(engine: AsyncEngine, post: uuid.UUID) -> tuple[int, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT likes_count, comments_count FROM posts WHERE id = :post"),
                {"post": post},
            )
        ).one()
    return row.likes_count, row.comments_count


async def test_50_concurrent_likes_and_unlikes_leave_an_exact_count(engine: AsyncEngine) -> None:
    post, fans = await post_with_audience(engine)

    await concurrently(
        engine,
        "INSERT INTO likes (post_id, user_id) VALUES (:post, :user)",
        [{"post": post, "user": fan} for fan in fans],
    )
    assert await post_counters(engine, post) == (WRITERS, 0)

    await concurrently(
        engine,
        "DELETE FROM likes WHERE post_id = :post AND user_id = :user",
        [{"post": post, "user": fan} for fan in fans[:20]],
    )
    assert await post_counters(engine, post) == (WRITERS - 20, 0)


async def test_comment_count_follows_inserts_soft_deletes_restores_and_deletes(
    engine: AsyncEngine,
) -> None:
    post, commenters = await post_with_audience(engine)

    await concurrently(
        engine,
        "INSERT INTO comments (post_id, user_id, content) VALUES (:post, :user, 'Go!')",
        [{"post": post, "user": user} for user in commenters],
    )
    assert await post_counters(engine, post) == (0, WRITERS)

    async with engine.begin() as connection:
        soft_delete = (
            "UPDATE comments SET deleted_at = now() WHERE post_id = :post AND user_id = :user"
        )
        for user in commenters[:10]:
            await connection.execute(text(soft_delete), {"post": post, "user": user})
    assert await post_counters(engine, post) == (0, WRITERS - 10)

    async with engine.begin() as connection:
        # Hard-deleting soft-deleted comments must not count them out twice.
        await connection.execute(
            text("DELETE FROM comments WHERE post_id = :post AND deleted_at IS NOT NULL"),
            {"post": post},
        )
        await connection.execute(
            text("DELETE FROM comments WHERE post_id = :post AND user_id = :user"),
            {"post": post, "user": commenters[-1]},
        )
    assert await post_counters(engine, post) == (0, WRITERS - 11)


async def test_deleting_a_post_with_reactions_and_comments_works(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        author = await make_user(connection)
        post = await make_post(connection, user_id=author)
        await connection.execute(
            text("INSERT INTO likes (post_id, user_id) VALUES (:post, :user)"),
            {"post": post, "user": author},
        )
        await connection.execute(
            text("INSERT INTO comments (post_id, user_id, content) VALUES (:post, :user, 'x')"),
            {"post": post, "user": author},
        )
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM users WHERE id = :user"), {"user": author})
        assert (
            await connection.scalar(text("SELECT count(*) FROM posts WHERE id = :p"), {"p": post})
            == 0
        )


async def updated_at(engine: AsyncEngine, table: str, row_id: uuid.UUID) -> datetime:
    async with engine.connect() as connection:
        value: datetime = await connection.scalar(
            text(f"SELECT updated_at FROM {table} WHERE id = :id"), {"id": row_id}
        )
    return value


async def test_updated_at_moves_on_a_real_change_only(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        user = await make_user(connection)
    created = await updated_at(engine, "users", user)

    async with engine.begin() as connection:
        await connection.execute(text("UPDATE users SET bio = bio WHERE id = :id"), {"id": user})
    assert await updated_at(engine, "users", user) == created

    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE users SET bio = 'Runner', updated_at = '2000-01-01' WHERE id = :id"),
            {"id": user},
        )
    assert await updated_at(engine, "users", user) > created


async def test_reactions_do_not_touch_a_posts_updated_at_but_edits_do(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        author = await make_user(connection)
        post = await make_post(connection, user_id=author)
    created = await updated_at(engine, "posts", post)

    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO likes (post_id, user_id) VALUES (:post, :user)"),
            {"post": post, "user": author},
        )
    assert await updated_at(engine, "posts", post) == created

    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE posts SET content = 'Edited' WHERE id = :id"), {"id": post}
        )
    assert await updated_at(engine, "posts", post) > created


async def test_daily_nutrition_totals_stay_exact_under_concurrent_meal_logs(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        user = await make_user(connection)

    await concurrently(
        engine,
        "INSERT INTO meal_logs (user_id, logged_on, meal_type, name, calories, protein_g) "
        "VALUES (:user, DATE '2026-03-01', 'snack', 'Apple', :calories, 0.5)",
        [{"user": user, "calories": 10 + n} for n in range(WRITERS)],
    )
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE meal_logs SET logged_on = DATE '2026-03-02' "
                "WHERE user_id = :user AND calories < 20"
            ),
            {"user": user},
        )
        await connection.execute(
            text("DELETE FROM meal_logs WHERE user_id = :user AND calories >= 50"), {"user": user}
        )
        totals = (
            await connection.execute(
                text(
                    "SELECT date, meals_count, calories, protein_g FROM daily_nutrition_summaries "
                    "WHERE user_id = :user ORDER BY date"
                ),
                {"user": user},
            )
        ).all()
    expected_first_day = [n + 10 for n in range(WRITERS) if 20 <= n + 10 < 50]
    assert [(row.meals_count, row.calories) for row in totals] == [
        (len(expected_first_day), sum(expected_first_day)),
        (10, sum(range(10, 20))),
    ]
    assert float(totals[0].protein_g) == 0.5 * len(expected_first_day)
