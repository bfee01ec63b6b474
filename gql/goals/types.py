"""GraphQL types of the goals domain."""

from datetime import datetime

import strawberry

from models import goals as goal_models

# Registering the model enums with Strawberry lets fields be annotated with them directly.
strawberry.enum(goal_models.GoalCategory, name="GoalCategory")
strawberry.enum(goal_models.GoalFrequency, name="GoalFrequency")


@strawberry.type
class GoalTemplate:
    id: strawberry.ID
    title: str
    description: str | None
    category: goal_models.GoalCategory
    frequency: goal_models.GoalFrequency
    target_days: int | None
    reminder_times: list[str]
    is_ai_generated: bool
    match_reason: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, template: goal_models.GoalTemplate) -> "GoalTemplate":
        return cls(
            id=strawberry.ID(str(template.id)),
            title=template.title,
            description=template.description,
            category=template.category,
            frequency=template.frequency,
            target_days=template.target_days,
            reminder_times=template.reminder_times or [],
            is_ai_generated=template.is_ai_generated,
            match_reason=template.match_reason,
            created_at=template.created_at,
        )
