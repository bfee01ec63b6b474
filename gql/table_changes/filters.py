"""`tableChanges` filters: an AND of conditions on columns a table declares filterable,
checked against the column's type before the subscription starts, then evaluated on each
changed row in memory."""

import enum
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from sqlalchemy import Column
from strawberry.scalars import JSON

from resolvers.errors import BadUserInput

MAX_IN_VALUES = 100
MAX_CONDITIONS = 20
ORDERED = (int, Decimal, float, date, datetime)


@strawberry.enum(description="How a filter compares a column with its value.")
class FilterOp(enum.Enum):
    EQ = "eq"
    NEQ = "neq"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    IS_NULL = "is_null"


@strawberry.input(
    description="column OP value. IN takes `values` (at most 100); IS_NULL takes `value` "
    "true (the column is null) or false (it is not); the others take `value`."
)
class RowFilter:
    column: str
    op: FilterOp
    value: JSON | None = None
    values: list[JSON] | None = None


def _coercer(python_type: type) -> Callable[[Any], Any]:
    def to_uuid(value: Any) -> uuid.UUID:
        return uuid.UUID(str(value)) if isinstance(value, str) else _wrong()

    def to_int(value: Any) -> int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _wrong()

    def to_decimal(value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError
        number = Decimal(str(value))
        if not number.is_finite():
            raise ValueError
        return number

    def to_bool(value: Any) -> bool:
        return value if isinstance(value, bool) else _wrong()

    def to_date(value: Any) -> date:
        return date.fromisoformat(value) if isinstance(value, str) else _wrong()

    def to_datetime(value: Any) -> datetime:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else _wrong()
        return parsed if parsed.tzinfo is not None else _wrong()

    def to_str(value: Any) -> str:
        return value if isinstance(value, str) else _wrong()

    known: dict[type, Callable[[Any], Any]] = {
        uuid.UUID: to_uuid,
        int: to_int,
        Decimal: to_decimal,
        float: to_decimal,
        bool: to_bool,
        date: to_date,
        datetime: to_datetime,
    }
    return known.get(python_type, to_str)


def _wrong() -> Any:
    raise ValueError


@dataclass(frozen=True)
class Condition:
    column: str
    op: FilterOp
    operand: Any  # the coerced value, a frozenset for IN, a bool for IS_NULL
    coerce: Callable[[Any], Any]

    def holds(self, value: Any) -> bool:
        if self.op is FilterOp.IS_NULL:
            return (value is None) is self.operand
        if value is None:
            return False  # as in SQL: null compares with nothing
        if isinstance(value, float) and math.isnan(value):
            return False
        match self.op:
            case FilterOp.EQ:
                return bool(value == self.operand)
            case FilterOp.NEQ:
                return bool(value != self.operand)
            case FilterOp.IN:
                return value in self.operand
            case FilterOp.LT:
                return bool(value < self.operand)
            case FilterOp.LTE:
                return bool(value <= self.operand)
            case FilterOp.GT:
                return bool(value > self.operand)
            case _:
                return bool(value >= self.operand)


def parse(
    filters: Sequence[RowFilter] | None, columns: Mapping[str, Column[Any]]
) -> list[Condition]:
    """The filters as conditions, or BAD_USER_INPUT naming what is wrong."""
    if not filters:
        return []
    if len(filters) > MAX_CONDITIONS:
        raise BadUserInput(f"at most {MAX_CONDITIONS} filters", field="filter")
    return [_condition(each, columns) for each in filters]


def _condition(each: RowFilter, columns: Mapping[str, Column[Any]]) -> Condition:
    column = columns.get(each.column)
    if column is None:
        allowed = ", ".join(sorted(columns))
        raise BadUserInput(
            f"{each.column[:64]!r} is not a filterable column here (filterable: {allowed})",
            field="filter",
        )
    python_type = column.type.python_type
    coerce = _coercer(python_type)
    name = f"{each.column} {each.op.name}"
    try:
        if each.op is FilterOp.IS_NULL:
            if not column.nullable:
                raise BadUserInput(f"{each.column} is never null", field="filter")
            flag = True if each.value is None else each.value
            if not isinstance(flag, bool):
                raise ValueError
            return Condition(each.column, each.op, flag, coerce)
        if each.op is FilterOp.IN:
            values = each.values or []
            if not 1 <= len(values) <= MAX_IN_VALUES:
                raise BadUserInput(f"IN takes 1 to {MAX_IN_VALUES} values", field="filter")
            return Condition(each.column, each.op, frozenset(coerce(v) for v in values), coerce)
        if each.op in (FilterOp.LT, FilterOp.LTE, FilterOp.GT, FilterOp.GTE) and not issubclass(
            python_type, ORDERED
        ):
            raise BadUserInput(f"{name}: {each.column} has no order", field="filter")
        if each.value is None:
            raise BadUserInput(f"{name} needs a value (IS_NULL tests for null)", field="filter")
        return Condition(each.column, each.op, coerce(each.value), coerce)
    except (ValueError, TypeError, InvalidOperation):
        raise BadUserInput(
            f"{name}: the value is not a {python_type.__name__}", field="filter"
        ) from None


def matches(conditions: Sequence[Condition], value_of: Callable[[str], Any]) -> bool:
    """Whether every condition holds; `value_of(column)` raises KeyError for a column whose
    value is unknown (a deleted row's non-key columns), which then counts as holding."""
    for condition in conditions:
        try:
            value = value_of(condition.column)
        except KeyError:
            continue
        if not condition.holds(value):
            return False
    return True
