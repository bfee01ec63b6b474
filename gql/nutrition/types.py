"""GraphQL types of meals and daily nutrition."""

import enum
from datetime import date, datetime

import strawberry

from gql.conversion import fields_from
from models import nutrition as nutrition_models
from resolvers.nutrition import DayTotals


@strawberry.enum
class MealType(enum.Enum):
    BREAKFAST = "breakfast"
    LUNCH = "lunch"
    DINNER = "dinner"
    SNACK = "snack"


@strawberry.type(description="A meal the viewer logged.")
class MealLog:
    id: strawberry.ID
    goal_id: strawberry.ID | None = strawberry.field(description="A goal it counts towards.")
    logged_on: date = strawberry.field(description="The viewer's local day of the meal.")
    meal_type: MealType
    name: str
    notes: str | None
    photo_url: str | None
    calories: int
    protein_g: float
    carbs_g: float
    fat_g: float
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, meal: nutrition_models.MealLog) -> "MealLog":
        return cls(
            **fields_from(
                cls,
                meal,
                meal_type=MealType(meal.meal_type),
                protein_g=float(meal.protein_g),
                carbs_g=float(meal.carbs_g),
                fat_g=float(meal.fat_g),
            )
        )


@strawberry.type(description="The totals of the viewer's meals of one day.")
class NutritionSummary:
    date: date
    meals_count: int
    calories: int
    protein_g: float
    carbs_g: float
    fat_g: float

    @classmethod
    def from_totals(cls, totals: DayTotals) -> "NutritionSummary":
        return cls(
            date=totals.date,
            meals_count=totals.meals_count,
            calories=totals.calories,
            protein_g=float(totals.protein_g),
            carbs_g=float(totals.carbs_g),
            fat_g=float(totals.fat_g),
        )
