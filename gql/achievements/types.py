"""GraphQL types of achievements."""

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gql.context import Info
from gql.conversion import fields_from
from gql.realtime.sharing import PER_VIEWER
from gql.scalars import json_or_none
from models import achievements as achievement_models


@strawberry.type(description="A badge that can be unlocked.")
class AchievementType:
    id: strawberry.ID
    key: str = strawberry.field(description="Stable identifier, e.g. streak_7.")
    name: str
    description: str | None
    icon_url: str | None
    category: str = strawberry.field(
        description="streak, check_ins, social, challenge or milestone."
    )
    criteria: JSON | None = strawberry.field(
        description='The unlock rule, {"rule", "threshold"}; null: awarded by hand.'
    )
    points: int
    is_active: bool = strawberry.field(description="False once retired: it unlocks no more.")

    @classmethod
    def from_model(cls, kind: achievement_models.AchievementType) -> "AchievementType":
        return cls(**fields_from(cls, kind, criteria=json_or_none(kind.criteria)))


@strawberry.type(description="A badge a user unlocked.")
class UserAchievement:
    id: strawberry.ID
    unlocked_at: datetime
    metadata: JSON | None = strawberry.field(description='What was reached, e.g. {"streak": 7}.')
    model: strawberry.Private[achievement_models.UserAchievement]

    @classmethod
    def from_model(cls, unlocked: achievement_models.UserAchievement) -> "UserAchievement":
        return cls(
            id=strawberry.ID(str(unlocked.id)),
            unlocked_at=unlocked.unlocked_at,
            metadata=json_or_none(unlocked.metadata_),
            model=unlocked,
        )

    @strawberry.field
    async def type(self, info: Info) -> AchievementType:
        kind = await info.context.loaders.achievement_type_by_id.load(
            self.model.achievement_type_id
        )
        assert kind is not None  # the foreign key cascades
        return AchievementType.from_model(kind)

    @strawberry.field(
        description="The goal it was earned on; only its owner sees it (goals are private).",
        metadata=PER_VIEWER,
    )
    def goal_id(self, info: Info) -> strawberry.ID | None:
        goal: uuid.UUID | None = self.model.goal_id
        if goal is None or info.context.viewer_id != self.model.user_id:
            return None
        return strawberry.ID(str(goal))
