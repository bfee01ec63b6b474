"""Paid plans: store subscriptions, their receipts, and offer codes."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, text, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk
from models.users import PLANS

PLATFORMS = ("ios", "android")


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(one_of("plan", PLANS), name="plan"),
        CheckConstraint(
            one_of("status", ("active", "cancelled", "expired", "past_due")), name="status"
        ),
        CheckConstraint(one_of("platform", PLATFORMS), name="platform"),
        CheckConstraint("expires_date IS NULL OR expires_date >= purchase_date", name="dates"),
        Index("idx_subscriptions_user_id", "user_id"),
        Index("idx_subscriptions_status", "status"),
        Index("idx_subscriptions_platform", "platform"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    plan: Mapped[str]
    status: Mapped[str]
    platform: Mapped[str]
    product_id: Mapped[str] = mapped_column(comment="Apple/Google product id")
    original_transaction_id: Mapped[str | None]
    purchase_date: Mapped[datetime]
    expires_date: Mapped[datetime | None]
    auto_renew: Mapped[bool] = mapped_column(server_default=true())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class IapReceipt(Base):
    __tablename__ = "iap_receipts"
    __table_args__ = (
        CheckConstraint(one_of("platform", PLATFORMS), name="platform"),
        Index("idx_iap_receipts_user_id", "user_id"),
        Index("idx_iap_receipts_transaction_id", "transaction_id"),
        Index("idx_iap_receipts_subscription_id", "subscription_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE")
    )
    platform: Mapped[str]
    transaction_id: Mapped[str]
    product_id: Mapped[str]
    receipt_data: Mapped[str] = mapped_column(comment="encrypted receipt")
    purchase_date: Mapped[datetime]
    expires_date: Mapped[datetime | None]
    is_sandbox: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = created_at()


class OfferCode(Base):
    __tablename__ = "offer_codes"
    __table_args__ = (
        CheckConstraint(
            one_of("offer_type", ("introductory", "promotional", "win_back")), name="offer_type"
        ),
        CheckConstraint(one_of("platform", PLATFORMS), name="platform"),
        CheckConstraint("discount_percentage BETWEEN 1 AND 100", name="discount_percentage"),
        CheckConstraint("discount_amount >= 0", name="discount_amount"),
        CheckConstraint("duration_days > 0", name="duration_days"),
        CheckConstraint("max_uses > 0", name="max_uses"),
        CheckConstraint("used_count >= 0 AND used_count <= max_uses", name="used_count"),
        CheckConstraint("valid_until IS NULL OR valid_until > valid_from", name="validity"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(unique=True)
    offer_type: Mapped[str]
    platform: Mapped[str]
    product_id: Mapped[str]
    discount_percentage: Mapped[int | None]
    discount_amount: Mapped[Decimal | None]
    duration_days: Mapped[int | None]
    max_uses: Mapped[int | None]
    used_count: Mapped[int] = mapped_column(server_default="0")
    is_active: Mapped[bool] = mapped_column(server_default=true())
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
