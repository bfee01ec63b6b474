"""People: accounts, their OAuth identities and their privacy consents."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, text, true
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk

PLANS = ("free", "pro", "elite")
USERNAME_PATTERN = "^[a-z0-9_]{3,50}$"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("plan", PLANS), name="plan"),
        CheckConstraint(
            one_of("auth_provider", ("email", "apple", "google")), name="auth_provider"
        ),
        CheckConstraint(f"username ~ '{USERNAME_PATTERN}'", name="username_format"),
        CheckConstraint("email = lower(email) AND position('@' IN email) > 1", name="email_format"),
        CheckConstraint("length(name) BETWEEN 1 AND 100", name="name_length"),
        CheckConstraint("length(bio) <= 500", name="bio_length"),
        Index("idx_users_email", "email"),
        Index("idx_users_username", "username"),
        Index("idx_users_auth_provider", "auth_provider"),
        Index("idx_users_plan", "plan"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str | None]
    name: Mapped[str]
    username: Mapped[str | None] = mapped_column(unique=True)
    profile_picture_url: Mapped[str | None]
    bio: Mapped[str | None]
    plan: Mapped[str] = mapped_column(server_default="free")
    timezone: Mapped[str] = mapped_column(server_default="UTC")
    language: Mapped[str] = mapped_column(server_default="en")
    is_active: Mapped[bool] = mapped_column(server_default=true())
    email_verified: Mapped[bool] = mapped_column(server_default=text("false"))
    auth_provider: Mapped[str] = mapped_column(server_default="email")
    last_login_at: Mapped[datetime | None]
    session_version: Mapped[int] = mapped_column(
        server_default="0", comment="access tokens of an older version are refused"
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class OAuthAccount(Base):
    __tablename__ = "oauth_accounts"
    __table_args__ = (
        CheckConstraint(one_of("provider", ("apple", "google")), name="provider"),
        UniqueConstraint("provider", "provider_user_id"),
        Index("idx_oauth_accounts_user_id", "user_id"),
        Index("idx_oauth_accounts_provider_user_id", "provider", "provider_user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str]
    provider_user_id: Mapped[str]
    provider_email: Mapped[str | None]
    provider_name: Mapped[str | None]
    provider_picture: Mapped[str | None]
    access_token: Mapped[str | None] = mapped_column(comment="encrypted")
    refresh_token: Mapped[str | None] = mapped_column(comment="encrypted")
    token_expires_at: Mapped[datetime | None]
    raw_user_data: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class UserConsent(Base):
    __tablename__ = "user_consents"
    __table_args__ = (
        CheckConstraint(
            one_of("consent_type", ("marketing", "analytics", "data_processing")),
            name="consent_type",
        ),
        Index("idx_user_consents_user_id", "user_id", "consent_type", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    consent_type: Mapped[str]
    granted: Mapped[bool]
    granted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None]
    created_at: Mapped[datetime] = created_at()


class RefreshToken(Base):
    """A refresh token (stored as its SHA-256); rotation chains tokens into one family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("idx_refresh_tokens_user_id", "user_id"),
        Index("idx_refresh_tokens_family_id", "family_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID] = mapped_column(comment="all tokens rotated from one login")
    token_hash: Mapped[str] = mapped_column(unique=True, comment="sha256 hex of the token")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(comment="when it was rotated")
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


LINK_PURPOSES = ("verify_email", "reset_password", "change_email")


class EmailVerification(Base):
    """A single-use link sent by email (stored as its SHA-256): to confirm a new account's
    address, to reset a password, or to confirm a new address (`new_email`)."""

    __tablename__ = "email_verifications"
    __table_args__ = (
        Index("idx_email_verifications_user_id", "user_id"),
        CheckConstraint(one_of("purpose", LINK_PURPOSES), name="purpose"),
        CheckConstraint("(purpose = 'change_email') = (new_email IS NOT NULL)", name="new_email"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(unique=True, comment="sha256 hex of the token")
    purpose: Mapped[str] = mapped_column(server_default="verify_email")
    new_email: Mapped[str | None]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
