"""Building Strawberry objects from model rows."""

import uuid
from typing import Any

import strawberry


def fields_from(type_: type, row: object, **overrides: Any) -> dict[str, Any]:
    """Constructor arguments for a Strawberry type: each plain field (not resolved, not given
    in overrides) is read from the row's attribute of the same name, UUIDs as IDs."""
    values: dict[str, Any] = {}
    for field in type_.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        name = field.python_name
        if field.base_resolver is not None or name in overrides:
            continue
        value = getattr(row, name)
        values[name] = strawberry.ID(str(value)) if isinstance(value, uuid.UUID) else value
    return values | overrides
