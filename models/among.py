"""`column = ANY(:values)`: a membership test whose statement text is the same whatever the
number of values, so Postgres prepares it once (an IN list has a placeholder per value, and
each list length is another statement to parse and plan)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY


def among(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    return column == any_(literal(list(values), ARRAY(column.type)))  # type: ignore[no-any-return]
