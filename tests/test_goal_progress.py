"""Streaks and completion rates, daily and weekly, in the owner's time zone."""

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from models.goals import Goal, GoalFrequency
from resolvers.goals import Progress, progress
from tests.factories import insert_returning_id
from tests.graphql import gql, person

# Wednesday 2026-03-11, 10:00 UTC.
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)


def goal(frequency: GoalFrequency, target_days: int | None, created: date) -> Goal:
    return Goal(
        frequency=frequency,
        target_days=target_days,
        created_at=datetime.combine(created, datetime.min.time(), UTC),
    )


def days_ago(*offsets: int) -> list[date]:
    return [TODAY - timedelta(days=offset) for offset in offsets]


def test_a_daily_streak_counts_back_from_today() -> None:
    daily = goal(GoalFrequency.DAILY, 7, TODAY - timedelta(days=9))
    result = progress(daily, days_ago(0, 1, 2, 5, 6, 7, 8), now=NOW, timezone="UTC")
    assert result == Progress(current_streak=3, longest_streak=4, completion_rate=0.7)


def test_today_still_open_does_not_break_the_daily_streak() -> None:
    daily = goal(GoalFrequency.DAILY, 7, TODAY - timedelta(days=3))
    result = progress(daily, days_ago(1, 2, 3), now=NOW, timezone="UTC")
    assert result.current_streak == 3
    assert result.completion_rate == 0.75


def test_a_missed_day_resets_the_current_streak() -> None:
    daily = goal(GoalFrequency.DAILY, 7, TODAY - timedelta(days=5))
    assert progress(daily, days_ago(2, 3), now=NOW, timezone="UTC").current_streak == 0


def test_today_is_the_owners_local_day() -> None:
    daily = goal(GoalFrequency.DAILY, 7, TODAY - timedelta(days=2))
    late_evening_in_tokyo = datetime(2026, 3, 11, 16, 0, tzinfo=UTC)  # 01:00 on the 12th there
    result = progress(daily, days_ago(-1, 0), now=late_evening_in_tokyo, timezone="Asia/Tokyo")
    assert result.current_streak == 2


def test_weekly_goals_count_weeks_that_met_the_target() -> None:
    # Three times a week; created on Monday four weeks before this week.
    weekly = goal(GoalFrequency.WEEKLY, 3, date(2026, 2, 9))
    completed = [
        date(2026, 2, 9), date(2026, 2, 11), date(2026, 2, 13),  # met
        date(2026, 2, 17),  # one of three
        date(2026, 2, 23), date(2026, 2, 24), date(2026, 2, 26),  # met
        date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 6), date(2026, 3, 7),  # met (4)
        date(2026, 3, 9),  # this week so far: one
    ]  # fmt: skip
    result = progress(weekly, completed, now=NOW, timezone="UTC")
    assert result.current_streak == 2  # this week is still open
    assert result.longest_streak == 2
    assert result.completion_rate == (3 + 1 + 3 + 3 + 1) / (5 * 3)


def test_future_dates_and_unknown_time_zones_do_no_harm() -> None:
    daily = goal(GoalFrequency.DAILY, 7, TODAY)
    result = progress(daily, days_ago(0, -3), now=NOW, timezone="Not/AZone")
    assert result == Progress(current_streak=1, longest_streak=1, completion_rate=1.0)


async def test_goal_progress_fields_through_graphql(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        goal_id = await insert_returning_id(
            db,
            "INSERT INTO goals (user_id, title, frequency, target_days, created_at) "
            "VALUES (:u, 'Run', 'daily', 7, now() - interval '3 days')",
            u=owner.id,
        )
        for offset in (0, 1):
            await db.execute(
                text(
                    "INSERT INTO check_ins (goal_id, user_id, date, completed) VALUES "
                    "(:g, :u, CAST(now() AT TIME ZONE 'UTC' AS date) - CAST(:n AS int), true)"
                ),
                {"g": goal_id, "u": owner.id, "n": offset},
            )
    body = await gql(
        client,
        "query($id: ID!) { goal(id: $id) { currentStreak longestStreak completionRate } }",
        {"id": str(goal_id)},
        token=owner.token,
    )
    assert body["data"]["goal"] == {
        "currentStreak": 2,
        "longestStreak": 2,
        "completionRate": 0.5,
    }
