"""Input rules shared by commands; each refusal is a BadUserInput naming the field."""

import re

from resolvers.errors import BadUserInput

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
USERNAME = re.compile(r"^[a-z0-9_]{3,50}$")
MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 100


def email(value: str) -> str:
    """The address trimmed and lowercased, if it looks like one."""
    normalized = value.strip().lower()
    if len(normalized) > MAX_EMAIL_LENGTH or not EMAIL.match(normalized):
        raise BadUserInput("email is not a valid address", field="email")
    return normalized


def username(value: str) -> str:
    if not USERNAME.match(value):
        raise BadUserInput(
            "username must be 3-50 characters of lowercase a-z, 0-9 and _", field="username"
        )
    return value


def name(value: str) -> str:
    trimmed = value.strip()
    if not 1 <= len(trimmed) <= MAX_NAME_LENGTH:
        raise BadUserInput(f"name must be 1-{MAX_NAME_LENGTH} characters", field="name")
    return trimmed


def password(value: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(value) <= MAX_PASSWORD_LENGTH:
        raise BadUserInput(
            f"password must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    return value
