"""Building Strawberry objects from model rows."""

import uuid
from functools import cache
from typing import Any

import strawberry


@cache
def _plain_fields(type_: type) -> tuple[str, ...]:
    """The fields of a Strawberry type that are read from a row (no resolver)."""
    fields = type_.__strawberry_definition__.fields  # type: ignore[attr-defined]
    return tuple(field.python_name for field in fields if field.base_resolver is None)


def fields_from(type_: type, row: object, **overrides: Any) -> dict[str, Any]:
    """Constructor arguments for a Strawberry type: each plain field (not resolved, not given
    in overrides) is read from the row's attribute of the same name, UUIDs as IDs."""
    values: dict[str, Any] = {}
    for name in _plain_fields(type_):
        if name in overrides:
            continue
        value = getattr(row, name)
        values[name] = strawberry.ID(str(value)) if isinstance(value, uuid.UUID) else value
    return values | overrides
