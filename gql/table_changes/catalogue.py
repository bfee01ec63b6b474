"""The tables `tableChanges` streams: each with its model, row policy, GraphQL record type
and filterable columns."""

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import Column, Table

from gql.achievements.types import AchievementType, UserAchievement
from gql.ahead import Later
from gql.challenges.types import Challenge, ChallengeMember
from gql.context import Info
from gql.goals.types import CheckIn, Goal
from gql.motivations.types import DailyMotivation, Motivation
from gql.notifications.types import Notification
from gql.nutrition.types import MealLog, NutritionSummary
from gql.partners.types import Partnership
from gql.plans.types import ActionablePlan
from gql.social.types import Comment, Post, Reaction, User, user_of
from gql.users.types import Viewer
from models import achievements, challenges, goals, notifications, nutrition, social, users
from models.base import Base
from resolvers.nutrition import DayTotals
from resolvers.row_policies import Listed, OwnedBy, RowPolicy


@strawberry.type(description="Someone's reaction to a post.")
class PostReaction:
    id: strawberry.ID
    post_id: strawberry.ID
    reaction: Reaction
    created_at: datetime
    user_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: social.Like) -> "PostReaction":
        return cls(
            id=strawberry.ID(str(row.id)),
            post_id=strawberry.ID(str(row.post_id)),
            reaction=Reaction(row.reaction_type),
            created_at=row.created_at,
            user_id=row.user_id,
        )

    @strawberry.field(
        description="Who reacted (null if that account is disabled).", graphql_type=User | None
    )
    def user(self, info: Info) -> Later[User | None]:
        return user_of(info, self.user_id)


@strawberry.type(description="A follow between two people (the viewer is one of them).")
class Follow:
    id: strawberry.ID
    follower_id: strawberry.ID
    following_id: strawberry.ID
    approved_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, row: social.Follow) -> "Follow":
        return cls(
            id=strawberry.ID(str(row.id)),
            follower_id=strawberry.ID(str(row.follower_id)),
            following_id=strawberry.ID(str(row.following_id)),
            approved_at=row.approved_at,
            created_at=row.created_at,
        )

    @strawberry.field(graphql_type=User | None)
    def follower(self, info: Info) -> Later[User | None]:
        return user_of(info, uuid.UUID(self.follower_id))

    @strawberry.field(graphql_type=User | None)
    def following(self, info: Info) -> Later[User | None]:
        return user_of(info, uuid.UUID(self.following_id))


def _summary(row: nutrition.DailyNutritionSummary) -> NutritionSummary:
    return NutritionSummary.from_totals(
        DayTotals(row.date, row.meals_count, row.calories, row.protein_g, row.carbs_g, row.fat_g)
    )


@strawberry.enum(
    description="The realtime tables tableChanges streams (the leaderboard's ranking comes "
    "through leaderboardUpdates)."
)
class RealtimeTable(enum.Enum):
    USERS = "users"
    GOALS = "goals"
    CHECK_INS = "check_ins"
    ACTIONABLE_PLANS = "actionable_plans"
    DAILY_MOTIVATIONS = "daily_motivations"
    MOTIVATIONS = "motivations"
    NOTIFICATION_HISTORY = "notification_history"
    MEAL_LOGS = "meal_logs"
    DAILY_NUTRITION_SUMMARIES = "daily_nutrition_summaries"
    ACHIEVEMENT_TYPES = "achievement_types"
    USER_ACHIEVEMENTS = "user_achievements"
    ACCOUNTABILITY_PARTNERS = "accountability_partners"
    FOLLOWS = "follows"
    POSTS = "posts"
    COMMENTS = "comments"
    LIKES = "likes"
    CHALLENGES = "challenges"
    CHALLENGE_PARTICIPANTS = "challenge_participants"


class Rule(enum.Enum):
    """How a table's rows are authorized."""

    ROW = "row"  # its row policy, from the row alone
    POSTS = "posts"  # the posts policy, with the viewer's follows and approvals
    ON_POST = "on_post"  # visible with the post it belongs to (comments, reactions)
    CHALLENGES = "challenges"  # the challenges policy, with the viewer's memberships
    ON_CHALLENGE = "on_challenge"  # memberships, visible with their challenge


@dataclass(frozen=True)
class StreamedTable:
    """`policy` is the row policy of ROW tables; the others need the viewer's state (their
    follows and approvals), as feedEvents applies it."""

    model: type[Base]
    policy: RowPolicy | None
    record: Callable[[Any], object]
    filterable: tuple[str, ...]
    rule: Rule = Rule.ROW

    @property
    def columns(self) -> dict[str, Column[Any]]:
        table: Table = self.model.__table__  # type: ignore[assignment]
        return {name: table.c[name] for name in self.filterable}


MINE = OwnedBy(("user_id",))
TABLES: dict[RealtimeTable, StreamedTable] = {
    RealtimeTable.USERS: StreamedTable(
        users.User, OwnedBy(("id",)), Viewer.from_model, ("id", "plan", "timezone")
    ),
    RealtimeTable.GOALS: StreamedTable(
        goals.Goal, MINE, Goal.from_model, ("id", "category", "frequency", "is_active")
    ),
    RealtimeTable.CHECK_INS: StreamedTable(
        goals.CheckIn, MINE, CheckIn.from_model, ("id", "goal_id", "date", "completed", "mood")
    ),
    RealtimeTable.ACTIONABLE_PLANS: StreamedTable(
        goals.ActionablePlan, MINE, ActionablePlan.from_model, ("id", "goal_id", "status")
    ),
    RealtimeTable.DAILY_MOTIVATIONS: StreamedTable(
        goals.DailyMotivation, MINE, DailyMotivation.from_model, ("id", "date")
    ),
    RealtimeTable.MOTIVATIONS: StreamedTable(
        goals.Motivation,
        MINE,
        Motivation.from_model,
        ("id", "goal_id", "message_type", "is_sent", "scheduled_for"),
    ),
    RealtimeTable.NOTIFICATION_HISTORY: StreamedTable(
        notifications.NotificationHistory,
        MINE,
        Notification.from_model,
        ("id", "notification_type", "channel", "delivery_status", "read_at"),
    ),
    RealtimeTable.MEAL_LOGS: StreamedTable(
        nutrition.MealLog,
        MINE,
        MealLog.from_model,
        ("id", "goal_id", "logged_on", "meal_type", "calories"),
    ),
    RealtimeTable.DAILY_NUTRITION_SUMMARIES: StreamedTable(
        nutrition.DailyNutritionSummary, MINE, _summary, ("id", "date", "calories")
    ),
    RealtimeTable.ACHIEVEMENT_TYPES: StreamedTable(
        achievements.AchievementType,
        Listed("is_active"),
        AchievementType.from_model,
        ("id", "key", "category", "points"),
    ),
    RealtimeTable.USER_ACHIEVEMENTS: StreamedTable(
        achievements.UserAchievement,
        MINE,
        UserAchievement.from_model,
        ("id", "achievement_type_id", "goal_id"),
    ),
    RealtimeTable.ACCOUNTABILITY_PARTNERS: StreamedTable(
        social.AccountabilityPartner,
        OwnedBy(("requester_id", "partner_id")),
        Partnership.from_model,
        ("id", "requester_id", "partner_id", "status"),
    ),
    RealtimeTable.FOLLOWS: StreamedTable(
        social.Follow,
        OwnedBy(("follower_id", "following_id")),
        Follow.from_model,
        ("id", "follower_id", "following_id", "approved_at"),
    ),
    RealtimeTable.POSTS: StreamedTable(
        social.Post,
        None,
        Post.from_model,
        ("id", "user_id", "is_public", "media_type"),
        Rule.POSTS,
    ),
    RealtimeTable.COMMENTS: StreamedTable(
        social.Comment, None, Comment.from_model, ("id", "post_id", "user_id"), Rule.ON_POST
    ),
    RealtimeTable.CHALLENGES: StreamedTable(
        challenges.Challenge,
        None,
        Challenge.from_model,
        ("id", "owner_id", "category", "visibility", "starts_on", "ends_on"),
        Rule.CHALLENGES,
    ),
    RealtimeTable.CHALLENGE_PARTICIPANTS: StreamedTable(
        challenges.ChallengeParticipant,
        None,
        ChallengeMember.from_model,
        ("id", "challenge_id", "user_id", "status", "score"),
        Rule.ON_CHALLENGE,
    ),
    RealtimeTable.LIKES: StreamedTable(
        social.Like,
        None,
        PostReaction.from_model,
        ("id", "post_id", "user_id", "reaction_type"),
        Rule.ON_POST,
    ),
}
