"""Turning GraphQL ID arguments into UUIDs, refusing malformed ones clearly."""

import uuid

from resolvers.errors import BadUserInput


def parse_id(value: str, *, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise BadUserInput(f"{field} is not a valid id", field=field) from None
