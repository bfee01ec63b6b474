"""Uploaded media files (object storage keys and URLs)."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, uuid_pk


class MediaUpload(Base):
    __tablename__ = "media_uploads"
    __table_args__ = (
        CheckConstraint("file_size >= 0", name="file_size"),
        CheckConstraint("duration >= 0", name="duration"),
        Index("idx_media_uploads_user_id", "user_id"),
        Index("idx_media_uploads_post_id", "post_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    cloudflare_r2_key: Mapped[str]
    cloudflare_r2_url: Mapped[str]
    file_type: Mapped[str]
    file_size: Mapped[int | None] = mapped_column(comment="bytes")
    duration: Mapped[int | None] = mapped_column(comment="seconds, for audio/video")
    created_at: Mapped[datetime] = created_at()
