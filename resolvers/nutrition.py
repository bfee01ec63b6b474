"""Meals and daily nutrition: meals logged per local day; the day's totals are kept by the
meal_logs triggers (docs/schema.md), so they are exact whoever writes meals.

Policy: meals and totals are their owner's only; anyone else gets NOT_FOUND.
"""

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.nutrition import DailyNutritionSummary, MealLog
from models.users import User
from resolvers import validation
from resolvers.errors import BadUserInput, NotFound
from resolvers.goals import get_goal, loggable_day
from resolvers.pagination import Order, Page, fetch_page

MEAL_ORDER = Order(MealLog.logged_on, MealLog.id)
MAX_NAME = 200
MAX_NOTES = 2_000
MAX_CALORIES = 10_000  # per meal
MAX_GRAMS = Decimal(2_000)  # per macro per meal
MEAL_FIELDS = (
    "logged_on",
    "meal_type",
    "name",
    "notes",
    "photo_url",
    "calories",
    "protein_g",
    "carbs_g",
    "fat_g",
    "goal_id",
)
MACROS = ("protein_g", "carbs_g", "fat_g")


def grams(value: float, *, field: str) -> Decimal:
    """A macro in grams, 0 to MAX_GRAMS, kept to two decimals."""
    if not math.isfinite(value) or not 0 <= value <= MAX_GRAMS:
        raise BadUserInput(f"{field} must be between 0 and {MAX_GRAMS} grams", field=field)
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def _validated(
    session: AsyncSession, owner: User, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The given meal fields, validated and normalized; unknown keys are a bug."""
    unknown = set(fields) - set(MEAL_FIELDS)
    assert not unknown, unknown
    clean = dict(fields)
    for required in ("logged_on", "meal_type", "name", "calories", *MACROS):
        if required in clean and clean[required] is None:
            field = validation.camel(required)
            raise BadUserInput(f"{field} must not be null", field=field)
    if "logged_on" in clean:
        clean["logged_on"] = loggable_day(clean["logged_on"], owner.timezone, field="loggedOn")
    if "name" in clean:
        clean["name"] = validation.text(clean["name"], field="name", maximum=MAX_NAME)
    if "notes" in clean:
        clean["notes"] = validation.optional_text(clean["notes"], field="notes", maximum=MAX_NOTES)
    if "photo_url" in clean:
        clean["photo_url"] = validation.url(clean["photo_url"], field="photoUrl")
    if "calories" in clean and not 0 <= clean["calories"] <= MAX_CALORIES:
        raise BadUserInput(f"calories must be between 0 and {MAX_CALORIES}", field="calories")
    for macro in MACROS:
        if macro in clean:
            clean[macro] = grams(clean[macro], field=validation.camel(macro))
    if clean.get("goal_id") is not None:  # one of the owner's goals
        await get_goal(session=session, owner_id=owner.id, goal_id=clean["goal_id"])
    return clean


async def log_meal(*, session: AsyncSession, owner: User, fields: Mapping[str, Any]) -> MealLog:
    meal = MealLog(user_id=owner.id, **await _validated(session, owner, fields))
    session.add(meal)
    await session.commit()
    return meal


async def get_meal(*, session: AsyncSession, owner_id: uuid.UUID, meal_id: uuid.UUID) -> MealLog:
    meal = await session.scalar(
        select(MealLog).where(MealLog.id == meal_id, MealLog.user_id == owner_id)
    )
    if meal is None:
        raise NotFound("meal not found")
    return meal


async def update_meal(
    *, session: AsyncSession, owner: User, meal_id: uuid.UUID, changes: Mapping[str, Any]
) -> MealLog:
    """Applies the given changes; a new day must be loggable, like a new meal's."""
    meal = await get_meal(session=session, owner_id=owner.id, meal_id=meal_id)
    for name, value in (await _validated(session, owner, changes)).items():
        setattr(meal, name, value)
    await session.commit()
    return meal


async def delete_meal(*, session: AsyncSession, owner_id: uuid.UUID, meal_id: uuid.UUID) -> None:
    meal = await get_meal(session=session, owner_id=owner_id, meal_id=meal_id)
    await session.delete(meal)
    await session.commit()


async def meals_page(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    date_from: date,
    date_to: date,
    first: int | None,
    after: str | None,
) -> Page[MealLog]:
    """The owner's meals of the days from..to (inclusive), newest day first."""
    validation.date_range(date_from, date_to)
    query = select(MealLog).where(
        MealLog.user_id == owner_id, MealLog.logged_on.between(date_from, date_to)
    )
    return await fetch_page(session, query, MEAL_ORDER, first=first, after=after)


@dataclass(frozen=True)
class DayTotals:
    """One day's nutrition; zeros on a day without meals."""

    date: date
    meals_count: int = 0
    calories: int = 0
    protein_g: Decimal = Decimal(0)
    carbs_g: Decimal = Decimal(0)
    fat_g: Decimal = Decimal(0)


async def nutrition_by_day(
    *, session: AsyncSession, owner_id: uuid.UUID, date_from: date, date_to: date
) -> list[DayTotals]:
    """Every day from..to (inclusive), oldest first, from the kept summaries."""
    validation.date_range(date_from, date_to)
    summaries = await session.scalars(
        select(DailyNutritionSummary).where(
            DailyNutritionSummary.user_id == owner_id,
            DailyNutritionSummary.date.between(date_from, date_to),
        )
    )
    by_day = {
        row.date: DayTotals(
            row.date, row.meals_count, row.calories, row.protein_g, row.carbs_g, row.fat_g
        )
        for row in summaries
    }
    days = (date_from + timedelta(days=offset) for offset in range((date_to - date_from).days + 1))
    return [by_day.get(day, DayTotals(day)) for day in days]
