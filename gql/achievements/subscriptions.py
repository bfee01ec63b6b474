"""Realtime fields of achievements."""

from collections.abc import AsyncGenerator

import strawberry

from gql.achievements.types import UserAchievement
from gql.context import Info
from gql.realtime.events import ChangeType, owned_row_changes
from gql.realtime.executor import delivered_directly
from models import achievements as achievement_models


@strawberry.type
class AchievementUnlocked:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    type: ChangeType = strawberry.field(description="CREATED, or READY / RESYNC.")
    achievement: UserAchievement | None = strawberry.field(
        description="The badge just unlocked; null for READY and RESYNC."
    )


@strawberry.type
class AchievementSubscriptions:
    @strawberry.subscription(
        description="Badges as the viewer unlocks them (the database's rules, whoever "
        "writes the check-in or post that reaches them)."
    )
    @delivered_directly
    async def achievement_unlocked(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[AchievementUnlocked, None]:
        viewer = info.context.require_viewer()
        async for change in owned_row_changes(
            info,
            model=achievement_models.UserAchievement,
            topics={f"user_id:{viewer.id}"},
            after=after,
        ):
            if change.type in (ChangeType.UPDATED, ChangeType.DELETED):
                continue  # unlocks are for good: only new ones are news
            row = change.row
            yield AchievementUnlocked(
                cursor=change.cursor,
                type=change.type,
                achievement=UserAchievement.from_model(row) if row is not None else None,
            )
