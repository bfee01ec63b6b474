"""All configuration, read once from the environment and validated at start."""

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gql.query_limits import Limits
from resolvers import provider_tokens
from resolvers.rate_limits import Limit
from resolvers.tokens import TokenPolicy

DEV_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me"  # noqa: S105 (refused outside dev)
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT_CHARACTERS = 10


def _weak_secret(secret: str) -> str | None:
    """Why a secret is too weak to sign tokens with, or None (`openssl rand -hex 32` passes)."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"must be at least {MIN_SECRET_LENGTH} characters"
    if secret != secret.strip() or any(character.isspace() for character in secret):
        return "must not contain whitespace"
    if len(set(secret)) < MIN_SECRET_DISTINCT_CHARACTERS:
        return f"must use at least {MIN_SECRET_DISTINCT_CHARACTERS} distinct characters"
    return None


RATE_LIMITED_ACTIONS = (
    "post",
    "comment",
    "reaction",
    "follow",
    "invite",
    "plan",
    "motivation",
    "meal",
    "partner",
    "reset",
    "export",
    "login_email",
    "login_account",
    "login_ip",
    "signup_ip",
    "signup_email",
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Each field reads MOMENTUM_<NAME>, except DATABASE_URL, REDIS_URL and JWT_SECRET."""

    model_config = SettingsConfigDict(
        env_prefix="MOMENTUM_", extra="ignore", frozen=True, populate_by_name=True
    )

    env: Environment = Environment.DEVELOPMENT
    database_url: str | None = Field(
        default=None,
        repr=False,
        validation_alias="DATABASE_URL",
        description="postgresql://... ; unset: embedded Postgres (development)",
    )
    redis_url: str | None = Field(
        default=None,
        repr=False,
        validation_alias="REDIS_URL",
        description="redis://... ; unset: embedded Redis (development)",
    )
    jwt_secret: SecretStr = Field(default=SecretStr(DEV_JWT_SECRET), validation_alias="JWT_SECRET")
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    accept_supabase_tokens: bool = Field(
        default=False, description="also accept Supabase access tokens signed with JWT_SECRET"
    )
    supabase_issuer: str | None = Field(
        default=None, description="their `iss`, e.g. https://<ref>.supabase.co/auth/v1"
    )
    data_dir: Path = Field(default=Path(".momentum"), description="embedded services' data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64, description="processes `serve` runs")
    graphiql: bool | None = Field(default=None, description="default: on except in production")
    introspection: bool | None = Field(default=None, description="default: as graphiql")
    max_query_depth: int = Field(default=12, ge=2, le=100)
    max_query_aliases: int = Field(default=30, ge=1, le=1000)
    max_query_tokens: int = Field(default=3000, ge=100, le=100_000)
    max_query_fields: int = Field(
        default=1000, ge=10, le=100_000, description="field selections, fragments expanded"
    )
    max_query_field_pairs: int = Field(
        default=5000, ge=0, le=1_000_000, description="pairs of same-path fields to compare"
    )
    max_query_cost: int = Field(default=10_000, ge=1, le=10_000_000, description="cost points")
    redis_prefix: str = Field(default="momentum:", description="prefix of every Redis key")
    rate_limit_post: str = Field(default="20/60", description="COUNT/SECONDS per user")
    rate_limit_comment: str = "60/60"
    rate_limit_reaction: str = "120/60"
    rate_limit_follow: str = "60/60"
    rate_limit_login_email: str = Field(
        default="10/300", description="log-in attempts per email from one client address"
    )
    rate_limit_login_account: str = Field(
        default="100/3600", description="log-in attempts per email from all addresses"
    )
    rate_limit_login_ip: str = Field(default="60/300", description="log-in attempts per IP")
    rate_limit_signup_ip: str = Field(default="10/3600", description="sign-ups per IP")
    rate_limit_signup_email: str = Field(default="3/3600", description="sign-ups per email")
    rate_limit_invite: str = Field(default="30/3600", description="invitations per user")
    rate_limit_plan: str = Field(default="20/3600", description="plan requests per user")
    rate_limit_motivation: str = Field(
        default="5/86400", description="motivation regenerations per user"
    )
    rate_limit_meal: str = Field(default="120/3600", description="meals logged per user")
    rate_limit_partner: str = Field(default="30/3600", description="partner requests per user")
    rate_limit_reset: str = Field(
        default="5/3600", description="password reset requests per client address and per email"
    )
    rate_limit_export: str = Field(default="5/3600", description="data exports per user")
    relay: bool = Field(default=True, description="run the relay as a candidate in serve")
    event_retention_hours: float = Field(default=24, gt=0, description="event log age limit")
    event_retention_max: int = Field(default=1_000_000, ge=1000, description="event log size")
    subscriber_queue_size: int = Field(default=1000, ge=10, le=100_000)
    max_subscriptions_per_socket: int = Field(default=50, ge=1, le=1000)
    max_connections_per_user: int = Field(
        default=20, ge=1, le=10_000, description="sockets and SSE streams per account"
    )
    max_connections_per_address: int = Field(
        default=256, ge=1, le=1_000_000, description="sockets and SSE streams per client address"
    )
    handshakes_in_flight: int = Field(
        default=1024, ge=1, le=100_000, description="sockets and SSE streams setting up at once"
    )
    handshake_queue: int = Field(
        default=4096, ge=0, le=1_000_000, description="handshakes that may wait for a slot"
    )
    handshake_wait_seconds: float = Field(
        default=15, gt=0, le=300, description="longest wait for a slot before 1013 / 503"
    )
    ws: Literal["websockets-sansio", "websockets", "wsproto"] = Field(
        default="websockets-sansio",
        description="uvicorn's websocket implementation (frames are written directly only "
        "with websockets-sansio; bench/results/websocket_implementations.md compares them)",
    )
    ws_init_timeout_seconds: float = Field(
        default=10, gt=0, le=300, description="time a new socket has to send connection_init"
    )
    max_replay_events: int = Field(
        default=1000, ge=1, le=100_000, description="events replayed on resume before RESYNC"
    )
    shared_execution: bool = Field(
        default=True, description="execute and serialize each event once for all subscribers"
    )
    leaderboard_snapshots_per_second: float = Field(
        default=4, gt=0, le=50, description="live leaderboard snapshots per challenge"
    )
    migrate_on_start: bool = True
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, le=64 * 1024 * 1024, description="HTTP body / ws message"
    )
    metrics: bool | None = Field(
        default=None, description="serve /metrics; default: not in production"
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="when set, /metrics needs `Authorization: Bearer <token>`"
    )
    provider_token_keys: SecretStr | None = Field(
        default=None,
        description="Fernet keys for sign-in providers' tokens, comma-separated, newest first",
    )
    stream_heartbeat_seconds: float = Field(
        default=15, gt=0, le=300, description="silence before an HTTP stream sends a heartbeat"
    )
    log_level: str = "info"

    @field_validator(*(f"rate_limit_{action}" for action in RATE_LIMITED_ACTIONS))
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        Limit.parse(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and value.split("://", 1)[0].split("+")[0] not in (
            "postgresql",
            "postgres",
        ):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and value.split("://", 1)[0] not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("provider_token_keys")
    @classmethod
    def _valid_token_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not all(
            provider_tokens.valid_key(key) for key in value.get_secret_value().split(",")
        ):
            raise ValueError(
                "each key must be a Fernet key (32 url-safe base64-encoded bytes; "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
        return value

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable that sets a field (`port` -> MOMENTUM_PORT); an alias
        (DATABASE_URL) is its own variable."""
        aliases = {info.validation_alias for info in cls.model_fields.values()}
        if field in aliases:
            return field
        info = cls.model_fields.get(field)
        alias = info.validation_alias if info is not None else None
        if isinstance(alias, str):
            return alias
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @property
    def token_cipher(self) -> provider_tokens.TokenCipher:
        keys = self.provider_token_keys.get_secret_value() if self.provider_token_keys else ""
        return provider_tokens.TokenCipher([key for key in keys.split(",") if key])

    @property
    def rate_limits(self) -> dict[str, Limit]:
        """Limits by action name."""
        return {
            action: Limit.parse(getattr(self, f"rate_limit_{action}"))
            for action in RATE_LIMITED_ACTIONS
        }

    @model_validator(mode="after")
    def _supabase_needs_issuer(self) -> Self:
        if self.accept_supabase_tokens and not self.supabase_issuer:
            raise ValueError(
                "MOMENTUM_ACCEPT_SUPABASE_TOKENS needs MOMENTUM_SUPABASE_ISSUER (the `iss` of "
                "the project's tokens, https://<ref>.supabase.co/auth/v1)"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.env is not Environment.PRODUCTION:
            return self
        problems = []
        secret = self.jwt_secret.get_secret_value()
        if secret == DEV_JWT_SECRET:
            problems.append("JWT_SECRET is the development placeholder; set a real secret")
        elif weak := _weak_secret(secret):
            problems.append(f"JWT_SECRET {weak}")
        if not self.database_url:
            problems.append("DATABASE_URL is required (embedded Postgres is for development)")
        if not self.redis_url:
            problems.append("REDIS_URL is required (embedded Redis is for development)")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def metrics_enabled(self) -> bool:
        if self.metrics is None:
            return self.env is not Environment.PRODUCTION
        return self.metrics

    @property
    def graphiql_enabled(self) -> bool:
        if self.graphiql is None:
            return self.env is not Environment.PRODUCTION
        return self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        """GraphiQL needs introspection, so it follows GraphiQL unless set."""
        return self.graphiql_enabled if self.introspection is None else self.introspection

    @property
    def query_limits(self) -> Limits:
        return Limits(
            max_fields=self.max_query_fields,
            max_field_pairs=self.max_query_field_pairs,
            max_cost=self.max_query_cost,
        )

    @property
    def token_policy(self) -> TokenPolicy:
        return TokenPolicy(
            secret=self.jwt_secret.get_secret_value(),
            access_lifetime=timedelta(minutes=self.access_token_minutes),
            refresh_lifetime=timedelta(days=self.refresh_token_days),
            accept_supabase=self.accept_supabase_tokens,
            supabase_issuer=self.supabase_issuer,
        )
