"""The database itself refuses rows that break the data model, whoever writes them."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_goal, make_post, make_user


async def refused(session: AsyncSession, sql: str, **values: object) -> str:
    """Runs a statement that must fail; returns the violated constraint's name."""
    with pytest.raises(IntegrityError) as error:
        async with session.begin_nested():
            await session.execute(text(sql), values)
    return str(getattr(error.value.orig, "__cause__", None) or error.value.orig)


async def test_mood_outside_1_to_5_is_refused(rollback_session: AsyncSession) -> None:
    user = await make_user(rollback_session)
    goal = await make_goal(rollback_session, user_id=user)
    message = await refused(
        rollback_session,
        "INSERT INTO check_ins (goal_id, user_id, date, completed, mood) "
        "VALUES (:goal, :user, current_date, true, 6)",
        goal=goal,
        user=user,
    )
    assert "ck_check_ins_mood" in message


async def test_second_check_in_for_the_same_goal_and_date_is_refused(
    rollback_session: AsyncSession,
) -> None:
    user = await make_user(rollback_session)
    goal = await make_goal(rollback_session, user_id=user)
    insert = (
        "INSERT INTO check_ins (goal_id, user_id, date, completed) "
        "VALUES (:goal, :user, DATE '2026-01-05', true)"
    )
    await rollback_session.execute(text(insert), {"goal": goal, "user": user})
    message = await refused(rollback_session, insert, goal=goal, user=user)
    assert "uq_check_ins_goal_id_date" in message


async def test_check_in_on_someone_elses_goal_is_refused(rollback_session: AsyncSession) -> None:
    owner = await make_user(rollback_session)
    intruder = await make_user(rollback_session)
    goal = await make_goal(rollback_session, user_id=owner)
    message = await refused(
        rollback_session,
        "INSERT INTO check_ins (goal_id, user_id, date, completed) "
        "VALUES (:goal, :user, current_date, true)",
        goal=goal,
        user=intruder,
    )
    assert "fk_check_ins_goal_owner" in message


async def test_following_yourself_is_refused(rollback_session: AsyncSession) -> None:
    user = await make_user(rollback_session)
    message = await refused(
        rollback_session,
        "INSERT INTO follows (follower_id, following_id) VALUES (:user, :user)",
        user=user,
    )
    assert "ck_follows_not_self" in message


async def test_following_twice_is_refused(rollback_session: AsyncSession) -> None:
    follower = await make_user(rollback_session)
    followed = await make_user(rollback_session)
    insert = "INSERT INTO follows (follower_id, following_id) VALUES (:a, :b)"
    await rollback_session.execute(text(insert), {"a": follower, "b": followed})
    assert "uq_follows_follower_id_following_id" in await refused(
        rollback_session, insert, a=follower, b=followed
    )


async def test_unknown_plan_is_refused(rollback_session: AsyncSession) -> None:
    message = await refused(
        rollback_session,
        "INSERT INTO users (email, name, plan) VALUES ('plan@example.com', 'P', 'platinum')",
    )
    assert "ck_users_plan" in message


async def test_duplicate_email_is_refused(rollback_session: AsyncSession) -> None:
    await make_user(rollback_session, username="first_owner")
    message = await refused(
        rollback_session,
        "INSERT INTO users (email, name) VALUES ('first_owner@example.com', 'Copy')",
    )
    assert "uq_users_email" in message


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("ok_name_1", True), ("Upper", False), ("ab", False), ("x" * 51, False), ("dash-y", False)],
)
async def test_usernames_are_lowercase_a_z_0_9_underscore_3_to_50(
    rollback_session: AsyncSession, username: str, allowed: bool
) -> None:
    sql = "INSERT INTO users (email, name, username) VALUES (:email, 'N', :username)"
    values = {"email": f"{uuid.uuid4().hex}@example.com", "username": username}
    if allowed:
        await rollback_session.execute(text(sql), values)
    else:
        assert "ck_users_username_format" in await refused(rollback_session, sql, **values)


@pytest.mark.parametrize(
    ("column_values", "constraint"),
    [
        ("target_days => 0", "ck_goals_target_days"),
        ("target_days => 8", "ck_goals_target_days"),
        ("reminder_times => ARRAY['9:00']", "ck_goals_reminder_times"),
        ("reminder_times => ARRAY['09:00', '24:00']", "ck_goals_reminder_times"),
        ("frequency => 'hourly'", "goal_frequency"),
        ("category => 'cooking'", "goal_category"),
    ],
)
async def test_goal_fields_are_validated(
    rollback_session: AsyncSession, column_values: str, constraint: str
) -> None:
    user = await make_user(rollback_session)
    column, value = column_values.split(" => ")
    defaults = {"frequency": "'daily'"}
    defaults[column] = value
    columns = ", ".join(defaults)
    values = ", ".join(defaults.values())
    sql = f"INSERT INTO goals (user_id, title, {columns}) VALUES (:user, 'G', {values})"
    with pytest.raises(Exception, match=constraint):
        async with rollback_session.begin_nested():
            await rollback_session.execute(text(sql), {"user": user})


async def test_valid_reminder_times_are_accepted(rollback_session: AsyncSession) -> None:
    user = await make_user(rollback_session)
    await rollback_session.execute(
        text(
            "INSERT INTO goals (user_id, title, frequency, target_days, reminder_times) "
            "VALUES (:user, 'Gym', 'weekly', 3, ARRAY['00:00', '09:30', '23:59'])"
        ),
        {"user": user},
    )


async def test_posts_need_content_or_media_and_at_most_10000_characters(
    rollback_session: AsyncSession,
) -> None:
    user = await make_user(rollback_session)
    insert = "INSERT INTO posts (user_id, content, media_url) VALUES (:user, :content, :media)"
    assert "ck_posts_content_not_empty" in await refused(
        rollback_session, insert, user=user, content=None, media=None
    )
    assert "ck_posts_content_not_empty" in await refused(
        rollback_session, insert, user=user, content="   ", media=None
    )
    assert "ck_posts_content_length" in await refused(
        rollback_session, insert, user=user, content="x" * 10_001, media=None
    )
    await rollback_session.execute(
        text(insert), {"user": user, "content": None, "media": "https://cdn.example/v.m4a"}
    )


async def test_comments_longer_than_2000_characters_are_refused(
    rollback_session: AsyncSession,
) -> None:
    user = await make_user(rollback_session)
    post = await make_post(rollback_session, user_id=user)
    message = await refused(
        rollback_session,
        "INSERT INTO comments (post_id, user_id, content) VALUES (:post, :user, :content)",
        post=post,
        user=user,
        content="x" * 2_001,
    )
    assert "ck_comments_content_length" in message


async def test_unknown_reaction_is_refused(rollback_session: AsyncSession) -> None:
    user = await make_user(rollback_session)
    post = await make_post(rollback_session, user_id=user)
    message = await refused(
        rollback_session,
        "INSERT INTO likes (post_id, user_id, reaction_type) VALUES (:post, :user, 'angry')",
        post=post,
        user=user,
    )
    assert "ck_likes_reaction_type" in message


async def test_accountability_partnership_is_one_per_pair_in_either_direction(
    rollback_session: AsyncSession,
) -> None:
    a = await make_user(rollback_session)
    b = await make_user(rollback_session)
    insert = "INSERT INTO accountability_partners (requester_id, partner_id) VALUES (:x, :y)"
    await rollback_session.execute(text(insert), {"x": a, "y": b})
    assert "uq_accountability_partners_pair" in await refused(rollback_session, insert, x=b, y=a)


async def test_deleting_a_user_cascades_to_their_content(rollback_session: AsyncSession) -> None:
    user = await make_user(rollback_session)
    goal = await make_goal(rollback_session, user_id=user)
    post = await make_post(rollback_session, user_id=user)
    await rollback_session.execute(
        text(
            "INSERT INTO check_ins (goal_id, user_id, date, completed) "
            "VALUES (:goal, :user, current_date, true)"
        ),
        {"goal": goal, "user": user},
    )
    await rollback_session.execute(text("DELETE FROM users WHERE id = :user"), {"user": user})
    remaining = await rollback_session.scalar(
        text(
            "SELECT (SELECT count(*) FROM goals WHERE id = :goal) "
            "+ (SELECT count(*) FROM posts WHERE id = :post) "
            "+ (SELECT count(*) FROM check_ins WHERE goal_id = :goal)"
        ),
        {"goal": goal, "post": post},
    )
    assert remaining == 0


async def test_deleting_a_blog_author_is_refused_while_their_posts_exist(
    rollback_session: AsyncSession,
) -> None:
    author = await make_user(rollback_session)
    await rollback_session.execute(
        text(
            "INSERT INTO blog_posts (title, slug, content, author_id) "
            "VALUES ('T', 'a-slug', 'Body', :author)"
        ),
        {"author": author},
    )
    message = await refused(rollback_session, "DELETE FROM users WHERE id = :a", a=author)
    assert "fk_blog_posts_author_id_users" in message
