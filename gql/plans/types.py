"""GraphQL types of AI plans."""

import enum
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gql.conversion import fields_from
from gql.scalars import json_or_none
from models import goals as goal_models


@strawberry.enum(description="Where a plan stands: PENDING -> GENERATING -> COMPLETED | FAILED.")
class PlanStatus(enum.Enum):
    PENDING = "pending"
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"


@strawberry.type(description="The AI-generated plan of one goal.")
class ActionablePlan:
    id: strawberry.ID
    goal_id: strawberry.ID
    status: PlanStatus
    content: JSON | None = strawberry.field(
        description="The plan (summary, steps, schedule): set once COMPLETED, and kept while "
        "a regeneration is PENDING or GENERATING."
    )
    error_message: str | None = strawberry.field(description="Why it FAILED.")
    generated_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, plan: goal_models.ActionablePlan) -> "ActionablePlan":
        return cls(
            **fields_from(
                cls, plan, status=PlanStatus(plan.status), content=json_or_none(plan.plan)
            )
        )
