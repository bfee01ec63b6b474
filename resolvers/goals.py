"""Goals domain: goals, check-ins, templates, and progress (streaks, rates).

Policy: goals and check-ins are visible to their owner only; anyone else gets
NOT_FOUND, as if they did not exist.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.goals import CheckIn, Goal, GoalCategory, GoalFrequency, GoalTemplate
from resolvers.errors import BadUserInput, NotFound
from resolvers.pagination import Order, Page, fetch_page, first_pages

GOAL_ORDER = Order(Goal.created_at, Goal.id)
CHECK_IN_ORDER = Order(CheckIn.date, CheckIn.id)


async def list_goal_templates(
    *, session: AsyncSession, category: GoalCategory | None = None
) -> Sequence[GoalTemplate]:
    """Lists goal templates, optionally of one category, in a stable order."""
    query = select(GoalTemplate).order_by(
        GoalTemplate.category, GoalTemplate.title, GoalTemplate.id
    )
    if category is not None:
        query = query.where(GoalTemplate.category == category)
    return (await session.scalars(query)).all()


async def goals_page(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    active_only: bool,
    first: int | None,
    after: str | None,
) -> Page[Goal]:
    query = select(Goal).where(Goal.user_id == owner_id)
    if active_only:
        query = query.where(Goal.is_active)
    return await fetch_page(session, query, GOAL_ORDER, first=first, after=after)


async def get_goal(*, session: AsyncSession, owner_id: uuid.UUID, goal_id: uuid.UUID) -> Goal:
    goal = await session.scalar(select(Goal).where(Goal.id == goal_id, Goal.user_id == owner_id))
    if goal is None:
        raise NotFound("goal not found")
    return goal


async def check_ins_page(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    goal_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    first: int | None,
    after: str | None,
) -> Page[CheckIn]:
    """The owner's check-ins, newest date first, of one goal or all of them."""
    query = check_ins_of(owner_id, date_from, date_to)
    if goal_id is not None:
        await get_goal(session=session, owner_id=owner_id, goal_id=goal_id)
        query = query.where(CheckIn.goal_id == goal_id)
    return await fetch_page(session, query, CHECK_IN_ORDER, first=first, after=after)


async def first_check_ins(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    goal_ids: Sequence[uuid.UUID],
    date_from: date | None,
    date_to: date | None,
    first: int | None,
) -> list[Page[CheckIn]]:
    """The first page of check-ins of each of the owner's goals, in one query."""
    query = check_ins_of(owner_id, date_from, date_to)
    return await first_pages(session, query, CHECK_IN_ORDER, CheckIn.goal_id, goal_ids, first=first)


def check_ins_of(owner_id: uuid.UUID, date_from: date | None, date_to: date | None) -> Any:
    """The owner's check-ins between two dates (inclusive; None: unbounded)."""
    check_date_range(date_from, date_to)
    query = select(CheckIn).where(CheckIn.user_id == owner_id)
    if date_from is not None:
        query = query.where(CheckIn.date >= date_from)
    if date_to is not None:
        query = query.where(CheckIn.date <= date_to)
    return query


def check_date_range(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise BadUserInput("from must not be after to", field="from")


@dataclass(frozen=True)
class Progress:
    current_streak: int
    longest_streak: int
    completion_rate: float


def local_date(moment: datetime, timezone: str) -> date:
    """The date of a moment in the user's time zone (UTC when the zone is unknown)."""
    try:
        return moment.astimezone(ZoneInfo(timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(UTC).date()


LOGGING_DAYS_BACK = 7


def loggable_day(day: date, timezone: str, *, field: str) -> date:
    """A day a check-in or a meal may be recorded for: a local date of the user's time zone,
    not in the future, at most LOGGING_DAYS_BACK days back."""
    today = local_date(datetime.now(UTC), timezone)
    if day > today:
        raise BadUserInput(f"{field} is in the future", field=field)
    if day < today - timedelta(days=LOGGING_DAYS_BACK):
        raise BadUserInput(f"{field} can be at most {LOGGING_DAYS_BACK} days back", field=field)
    return day


def _runs(periods: list[int], current: int) -> tuple[int, int]:
    """(current run, longest run) of consecutive period numbers. The current run ends at
    `current`, or at the period before when `current` is not done yet (still in progress)."""
    done = set(periods)
    longest = run = 0
    previous = None
    for period in sorted(done):
        run = run + 1 if previous is not None and period == previous + 1 else 1
        longest = max(longest, run)
        previous = period
    end = current if current in done else current - 1
    streak = 0
    while end - streak in done:
        streak += 1
    return streak, longest


def progress(goal: Goal, completed: Iterable[date], *, now: datetime, timezone: str) -> Progress:
    """Streaks and completion rate of a goal from its completed check-in dates.

    Daily goals count days. Weekly goals (and custom ones with target_days) count ISO weeks
    in which at least target_days check-ins were completed. The completion rate divides what
    was done by what was due since the goal was created (or its first check-in, if earlier),
    today's period included. Dates are the owner's local dates.
    """
    today = local_date(now, timezone)
    days = sorted(day for day in set(completed) if day <= today)
    start = min([local_date(goal.created_at, timezone), *days[:1]])
    if goal.frequency is GoalFrequency.DAILY or not goal.target_days:
        numbers = [day.toordinal() for day in days]
        current, longest = _runs(numbers, today.toordinal())
        due = (today - start).days + 1
        return Progress(current, longest, min(len(days) / due, 1.0) if due > 0 else 0.0)
    target = goal.target_days
    per_week: dict[int, int] = {}
    for day in days:
        week = _week_number(day)
        per_week[week] = per_week.get(week, 0) + 1
    met = [week for week, count in per_week.items() if count >= target]
    current, longest = _runs(met, _week_number(today))
    weeks_due = _week_number(today) - _week_number(start) + 1
    done = sum(min(count, target) for count in per_week.values())
    rate = done / (weeks_due * target) if weeks_due > 0 else 0.0
    return Progress(current, longest, min(rate, 1.0))


def _week_number(day: date) -> int:
    """Consecutive number of the ISO week (Monday-based) containing day."""
    monday = day - timedelta(days=day.weekday())
    return monday.toordinal() // 7


async def completed_dates(
    *, session: AsyncSession, goal_ids: Sequence[uuid.UUID]
) -> list[list[date]]:
    """Each goal's completed check-in dates, in one query."""
    rows = await session.execute(
        select(CheckIn.goal_id, CheckIn.date).where(
            CheckIn.goal_id.in_(goal_ids), CheckIn.completed
        )
    )
    by_goal: dict[uuid.UUID, list[date]] = {goal_id: [] for goal_id in goal_ids}
    for goal_id, day in rows:
        by_goal[goal_id].append(day)
    return [by_goal[goal_id] for goal_id in goal_ids]
