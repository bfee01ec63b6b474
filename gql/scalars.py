"""Conversions to Strawberry's scalars."""

from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON


def json_or_none(value: dict[str, Any] | None) -> JSON | None:
    return JSON(value) if value is not None else None


BigInt = NewType("BigInt", int)
BIG_INT = strawberry.scalar(
    name="BigInt",
    description="An integer that may exceed 32 bits (a JSON number).",
    serialize=int,
    parse_value=int,
)
