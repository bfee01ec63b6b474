"""Conversions to Strawberry's scalars."""

from typing import Any

from strawberry.scalars import JSON


def json_or_none(value: dict[str, Any] | None) -> JSON | None:
    return JSON(value) if value is not None else None
