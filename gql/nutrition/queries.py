"""Root query fields of meals and daily nutrition."""

from datetime import date
from typing import Annotated

import strawberry

from gql.context import Info
from gql.nutrition.types import MealLog, NutritionSummary
from gql.pagination import Connection
from resolvers import nutrition as nutrition_service

From = Annotated[date, strawberry.argument(name="from")]


@strawberry.type
class NutritionQueries:
    @strawberry.field(
        description="The viewer's meals of the days from..to (inclusive, at most 366 days), "
        "newest day first."
    )
    async def meal_logs(
        self, info: Info, from_: From, to: date, first: int | None = None, after: str | None = None
    ) -> Connection[MealLog]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            page = await nutrition_service.meals_page(
                session=session,
                owner_id=viewer.id,
                date_from=from_,
                date_to=to,
                first=first,
                after=after,
            )
        return Connection.from_page(page, MealLog.from_model)

    @strawberry.field(description="The totals of the viewer's meals of one day.")
    async def nutrition_summary(self, info: Info, date: date) -> NutritionSummary:
        (day,) = await _days(info, date, date)
        return day

    @strawberry.field(
        description="Each day from..to (inclusive, at most 366 days), oldest first; days "
        "without meals have zero totals."
    )
    async def nutrition_summaries(
        self, info: Info, from_: From, to: date
    ) -> list[NutritionSummary]:
        return await _days(info, from_, to)


async def _days(info: Info, date_from: date, date_to: date) -> list[NutritionSummary]:
    viewer = info.context.require_viewer()
    async with info.context.sessionmaker() as session:
        days = await nutrition_service.nutrition_by_day(
            session=session, owner_id=viewer.id, date_from=date_from, date_to=date_to
        )
    return [NutritionSummary.from_totals(day) for day in days]
