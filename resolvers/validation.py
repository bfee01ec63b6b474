"""Input rules shared by commands; each refusal is a BadUserInput naming the field."""

import re
import unicodedata
from datetime import date

from resolvers.errors import BadUserInput

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
USERNAME = re.compile(r"[a-z0-9_]{3,50}")
MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 100
CONTROL = {"Cc", "Cf", "Zl", "Zp"}  # control, format (bidi overrides...), line separators


def email(value: str) -> str:
    """The address trimmed and lowercased, if it looks like one."""
    normalized = value.strip().lower()
    if len(normalized) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(normalized):
        raise BadUserInput("email is not a valid address", field="email")
    return normalized


def username(value: str) -> str:
    if not USERNAME.fullmatch(value):
        raise BadUserInput(
            "username must be 3-50 characters of lowercase a-z, 0-9 and _", field="username"
        )
    return value


def name(value: str) -> str:
    """A display name: one line of 1-MAX_NAME_LENGTH characters, no control characters."""
    trimmed = value.strip()
    if not 1 <= len(trimmed) <= MAX_NAME_LENGTH:
        raise BadUserInput(f"name must be 1-{MAX_NAME_LENGTH} characters", field="name")
    if any(unicodedata.category(character) in CONTROL for character in trimmed):
        raise BadUserInput("name must be one line without control characters", field="name")
    return trimmed


def password(value: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(value) <= MAX_PASSWORD_LENGTH:
        raise BadUserInput(
            f"password must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    return value


MAX_URL_LENGTH = 2048
URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.I)
HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


def text(value: str, *, field: str, maximum: int, required: bool = True) -> str:
    """Trimmed text of at most `maximum` characters; non-empty when required."""
    trimmed = value.strip()
    if required and not trimmed:
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(trimmed) > maximum:
        raise BadUserInput(f"{field} must be at most {maximum} characters", field=field)
    return trimmed


def optional_text(value: str | None, *, field: str, maximum: int) -> str | None:
    """Like text(), but None or blank becomes None."""
    if value is None:
        return None
    return text(value, field=field, maximum=maximum, required=False) or None


def url(value: str | None, *, field: str) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_URL_LENGTH or not URL.fullmatch(value):
        raise BadUserInput(f"{field} must be an http(s) URL", field=field)
    return value


def reminder_times(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    if len(values) > 10:
        raise BadUserInput("at most 10 reminder times", field="reminderTimes")
    for value in values:
        if not HH_MM.fullmatch(value):
            raise BadUserInput(
                f"reminder time {value[:10]!r} is not HH:MM (00:00-23:59)", field="reminderTimes"
            )
    return sorted(set(values))


def target_days(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 7:
        raise BadUserInput("targetDays must be between 1 and 7", field="targetDays")
    return value


def mood(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 5:
        raise BadUserInput("mood must be between 1 and 5", field="mood")
    return value


MAX_TIMEZONE = 64


def timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if len(value) > MAX_TIMEZONE:
            raise ValueError
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadUserInput(f"{value[:64]!r} is not an IANA time zone", field="timezone") from None
    return value


def language(value: str) -> str:
    if not LANGUAGE.fullmatch(value):
        raise BadUserInput("language must be a language tag such as en or pt-BR", field="language")
    return value


MAX_RANGE_DAYS = 366


def date_range(date_from: date, date_to: date) -> None:
    """An inclusive range of days, in order and at most MAX_RANGE_DAYS long."""
    if date_from > date_to:
        raise BadUserInput("from must not be after to", field="from")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise BadUserInput(f"a range is at most {MAX_RANGE_DAYS} days", field="to")


def camel(name: str) -> str:
    """The GraphQL spelling of a Python field name: starts_on -> startsOn."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
