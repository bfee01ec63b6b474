"""Changing one's own profile and privacy consents."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.users import User, UserConsent
from resolvers import validation
from resolvers.errors import BadUserInput, Conflict

PROFILE_FIELDS = ("name", "username", "bio", "profile_picture_url", "timezone", "language")
MAX_BIO = 500
CONSENT_TYPES = ("marketing", "analytics", "data_processing")
MAX_USER_AGENT = 512


def _profile_fields(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(PROFILE_FIELDS)
    assert not unknown, unknown
    checks = {
        "name": validation.name,
        "username": validation.username,
        "bio": lambda value: validation.optional_text(value, field="bio", maximum=MAX_BIO),
        "profile_picture_url": lambda value: validation.url(value, field="profilePictureUrl"),
        "timezone": validation.timezone,
        "language": validation.language,
    }
    clean = {}
    for name, value in changes.items():
        if value is None and name in ("name", "username", "timezone", "language"):
            raise BadUserInput(f"{name} cannot be removed", field=name)
        clean[name] = checks[name](value)
    return clean


async def update_profile(*, session: AsyncSession, user: User, changes: Mapping[str, Any]) -> User:
    """Applies the given profile changes; a username someone else has is a CONFLICT."""
    user = await session.merge(user)
    for name, value in _profile_fields(changes).items():
        setattr(user, name, value)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("username is taken", field="username") from None
    return user


async def set_consent(
    *,
    session: AsyncSession,
    user: User,
    consent_type: str,
    granted: bool,
    ip_address: str | None,
    user_agent: str | None,
) -> UserConsent:
    """Records a consent decision; the history of decisions is kept, newest last."""
    if consent_type not in CONSENT_TYPES:
        raise BadUserInput("unknown consent type", field="type")
    now = datetime.now(UTC)
    consent = UserConsent(
        user_id=user.id,
        consent_type=consent_type,
        granted=granted,
        granted_at=now if granted else None,
        revoked_at=None if granted else now,
        ip_address=ip_address,
        user_agent=user_agent[:MAX_USER_AGENT] if user_agent else None,
    )
    session.add(consent)
    await session.commit()
    return consent
