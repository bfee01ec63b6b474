"""Reading partial-update inputs: only the fields the client actually sent."""

import enum
from typing import Any

import strawberry


def given_fields(data: object) -> dict[str, Any]:
    """The input's fields that were given (null included). GraphQL-only enums become their
    values; model enums (str enums) stay as they are."""
    values = {}
    for field in data.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        value = getattr(data, field.python_name)
        if value is strawberry.UNSET:
            continue
        plain_enum = isinstance(value, enum.Enum) and not isinstance(value, str)
        values[field.python_name] = value.value if plain_enum else value
    return values
