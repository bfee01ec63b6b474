"""The schema: root types composed from one mixin per domain, with the request limits."""

import re
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError, MaxIntrospectionDepthRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as aliases_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gql.accounts.mutations import AccountMutations
from gql.accounts.queries import AccountQueries
from gql.achievements.queries import AchievementQueries
from gql.achievements.subscriptions import AchievementSubscriptions
from gql.admin.mutations import AdminMutations
from gql.admin.queries import AdminQueries
from gql.auth.mutations import AuthMutations
from gql.authentication import Authentication
from gql.blog.queries import BlogQueries
from gql.challenges.mutations import ChallengeMutations
from gql.challenges.queries import ChallengeQueries
from gql.challenges.subscriptions import ChallengeSubscriptions
from gql.documents import DOCUMENT_CACHE_SIZE
from gql.errors import assign_code, request_id_of
from gql.goals.mutations import GoalMutations
from gql.goals.queries import GoalQueries
from gql.goals.subscriptions import GoalSubscriptions
from gql.instrumentation import OperationTiming
from gql.motivations.mutations import MotivationMutations
from gql.motivations.queries import MotivationQueries
from gql.notifications.mutations import NotificationMutations
from gql.notifications.queries import NotificationQueries
from gql.notifications.subscriptions import NotificationSubscriptions
from gql.nutrition.mutations import NutritionMutations
from gql.nutrition.queries import NutritionQueries
from gql.operation_loaders import OperationLoaders
from gql.partners.mutations import PartnerMutations
from gql.partners.queries import PartnerQueries
from gql.plans.mutations import PlanMutations
from gql.plans.queries import PlanQueries
from gql.plans.subscriptions import PlanSubscriptions
from gql.query_limits import RequestLimits
from gql.realtime.executor import FanoutExecutor
from gql.scalars import BIG_INT, BigInt
from gql.settings import Settings
from gql.social.mutations import SocialMutations
from gql.social.queries import SocialQueries
from gql.social.subscriptions import FeedSubscriptions, SocialSubscriptions
from gql.table_changes.subscriptions import TableSubscriptions
from gql.users.mutations import UserMutations
from gql.users.queries import UserQueries
from gql.users.subscriptions import UserSubscriptions

SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


@strawberry.type
class Query(
    UserQueries,
    GoalQueries,
    PlanQueries,
    MotivationQueries,
    NutritionQueries,
    AchievementQueries,
    PartnerQueries,
    AccountQueries,
    SocialQueries,
    ChallengeQueries,
    NotificationQueries,
    BlogQueries,
    AdminQueries,
):
    pass


@strawberry.type
class Mutation(
    AuthMutations,
    AccountMutations,
    UserMutations,
    GoalMutations,
    PlanMutations,
    MotivationMutations,
    NutritionMutations,
    PartnerMutations,
    SocialMutations,
    ChallengeMutations,
    NotificationMutations,
    AdminMutations,
):
    pass


class Schema(strawberry.Schema):
    hides_schema = False  # with introspection off, errors do not suggest field or type names

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Every error gets its code here, for queries, mutations and each subscription
        event alike. Strawberry's own logging of every error (typos in queries included) is
        replaced by logging the unexpected ones, with their request id."""
        request_id = request_id_of(execution_context.context if execution_context else None)
        for error in errors:
            assign_code(error, request_id)
            if self.hides_schema:
                error.message = SUGGESTION.sub("", error.message)


@strawberry.type
class Subscription(
    UserSubscriptions,
    GoalSubscriptions,
    SocialSubscriptions,
    FeedSubscriptions,
    ChallengeSubscriptions,
    NotificationSubscriptions,
    TableSubscriptions,
    PlanSubscriptions,
    AchievementSubscriptions,
):
    pass


def create_schema(settings: Settings) -> strawberry.Schema:
    """Extensions are factories, so no state is shared between concurrent requests.

    Parsing and validation are cached per query text (clients send the same few operations
    over and over, and validating one costs milliseconds): the limit rules are built once
    here, so the validation of a document under them can be cached. The token limit still
    applies, since the parse cache parses with the same options."""
    query_limits = settings.query_limits
    limits: list[type[ASTValidationRule]] = [
        depth_limit(settings.max_query_depth, None, None),
        aliases_limit(settings.max_query_aliases),
        MaxIntrospectionDepthRule,
    ]
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        OperationTiming,
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: AddValidationRules(limits),
        lambda: RequestLimits(query_limits),
        Authentication,
        OperationLoaders,
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    extension_list: list[Any] = extensions
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extension_list,
        config=StrawberryConfig(scalar_map={BigInt: BIG_INT}),
        execution_context_class=FanoutExecutor if settings.shared_execution else None,
    )
    schema.hides_schema = not settings.introspection_enabled
    return schema
