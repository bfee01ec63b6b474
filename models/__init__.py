"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from models import (
    achievements,
    admin,
    billing,
    blog,
    challenges,
    goals,
    media,
    notifications,
    nutrition,
    social,
    users,
)
from models.base import Base

__all__ = [
    "Base",
    "achievements",
    "admin",
    "billing",
    "blog",
    "challenges",
    "goals",
    "media",
    "notifications",
    "nutrition",
    "social",
    "users",
]
