"""GraphQL types of the viewer's own account (the public profile, `User`, is in the social
graph's types)."""

import enum
from datetime import datetime

import strawberry

from gql.context import Info
from gql.conversion import fields_from
from gql.social.types import User
from models import billing as billing_models
from models import users as user_models
from resolvers import accounts as accounts_service
from resolvers import users as users_service


@strawberry.type
class FeedPreferences:
    show_ai_posts: bool
    show_community_posts: bool
    show_following_only: bool
    categories: list[str]

    @classmethod
    def from_model(cls, preferences: users_service.FeedSettings) -> "FeedPreferences":
        return cls(**fields_from(cls, preferences, categories=preferences.categories or []))


@strawberry.type(description="The viewer's store subscription (paid plan).")
class PlanSubscription:
    plan: str
    status: str
    platform: str
    product_id: str
    purchase_date: datetime
    expires_date: datetime | None
    auto_renew: bool

    @classmethod
    def from_model(cls, subscription: billing_models.Subscription) -> "PlanSubscription":
        return cls(**fields_from(cls, subscription))


@strawberry.enum
class ConsentType(enum.Enum):
    MARKETING = "marketing"
    ANALYTICS = "analytics"
    DATA_PROCESSING = "data_processing"


@strawberry.type(description="A consent decision (the history is kept, newest first).")
class Consent:
    type: ConsentType
    granted: bool
    granted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, consent: user_models.UserConsent) -> "Consent":
        return cls(**fields_from(cls, consent, type=ConsentType(consent.consent_type)))


@strawberry.type(description="The signed-in user's own account, with its private fields.")
class Viewer:
    id: strawberry.ID
    email: str
    plan: str
    timezone: str
    language: str
    email_verified: bool
    auth_provider: str
    last_login_at: datetime | None
    profile: User

    @classmethod
    def from_model(cls, user: user_models.User) -> "Viewer":
        return cls(**fields_from(cls, user, profile=User.from_model(user)))

    @strawberry.field
    async def feed_preferences(self, info: Info) -> FeedPreferences:
        async with info.context.sessionmaker() as session:
            preferences = await users_service.feed_preferences(
                session=session, user_id=self.profile.model.id
            )
        return FeedPreferences.from_model(preferences)

    @strawberry.field(description="The viewer's consent decisions, newest first.")
    async def consents(self, info: Info) -> list[Consent]:
        async with info.context.sessionmaker() as session:
            rows = await accounts_service.consents(session=session, user_id=self.profile.model.id)
        return [Consent.from_model(row) for row in rows]

    @strawberry.field(description="The most recent store subscription, if any.")
    async def subscription(self, info: Info) -> PlanSubscription | None:
        history = await self._subscriptions(info, limit=1)
        return history[0] if history else None

    @strawberry.field(description="Every store subscription, most recent purchase first.")
    async def subscriptions(self, info: Info) -> list[PlanSubscription]:
        return await self._subscriptions(info, limit=None)

    async def _subscriptions(self, info: Info, *, limit: int | None) -> list[PlanSubscription]:
        async with info.context.sessionmaker() as session:
            rows = await users_service.subscriptions_of(
                session=session, user_id=self.profile.model.id, limit=limit
            )
        return [PlanSubscription.from_model(row) for row in rows]
