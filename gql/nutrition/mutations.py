"""Meal mutations."""

from datetime import date

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.inputs import given_fields
from gql.nutrition.types import MealLog, MealType
from resolvers import nutrition as nutrition_service

LOGGED_ON = "The viewer's local day of the meal: not in the future, up to 7 days back."


@strawberry.input
class LogMealInput:
    logged_on: date = strawberry.field(description=LOGGED_ON)
    meal_type: MealType
    name: str
    calories: int = 0
    protein_g: float = 0
    carbs_g: float = 0
    fat_g: float = 0
    notes: str | None = None
    photo_url: str | None = None
    goal_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the viewer's goals it counts towards."
    )


@strawberry.input(description="Only the fields given are changed.")
class UpdateMealInput:
    logged_on: date | None = strawberry.field(default=strawberry.UNSET, description=LOGGED_ON)
    meal_type: MealType | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    calories: int | None = strawberry.UNSET
    protein_g: float | None = strawberry.UNSET
    carbs_g: float | None = strawberry.UNSET
    fat_g: float | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    photo_url: str | None = strawberry.UNSET
    goal_id: strawberry.ID | None = strawberry.UNSET


def _meal_fields(data: object) -> dict[str, object]:
    fields = given_fields(data)
    if fields.get("goal_id") is not None:
        fields["goal_id"] = parse_id(str(fields["goal_id"]), field="goalId")
    return fields


@strawberry.type
class NutritionMutations:
    @strawberry.mutation(description="Logs a meal; the day's totals follow.")
    async def log_meal(self, info: Info, input: LogMealInput) -> MealLog:
        viewer = info.context.require_viewer()
        fields = _meal_fields(input)
        await info.context.limiter.hit("meal", str(viewer.id))
        async with info.context.sessionmaker() as session:
            meal = await nutrition_service.log_meal(session=session, owner=viewer, fields=fields)
        return MealLog.from_model(meal)

    @strawberry.mutation(description="Edits a meal; the totals of its day (or days) follow.")
    async def update_meal(self, info: Info, id: strawberry.ID, input: UpdateMealInput) -> MealLog:
        viewer = info.context.require_viewer()
        changes = _meal_fields(input)
        async with info.context.sessionmaker() as session:
            meal = await nutrition_service.update_meal(
                session=session, owner=viewer, meal_id=parse_id(id), changes=changes
            )
        return MealLog.from_model(meal)

    @strawberry.mutation(description="Deletes a meal; returns its id.")
    async def delete_meal(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await nutrition_service.delete_meal(
                session=session, owner_id=viewer.id, meal_id=parse_id(id)
            )
        return id
