"""Keyset pagination: pages ordered by (sort column, id), resumable after any row's key."""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models.among import among
from resolvers.errors import BadUserInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 200

Row = TypeVar("Row")
Parser = Callable[[str], Any]
PARSERS: dict[type, Parser] = {datetime: datetime.fromisoformat, date: date.fromisoformat}


@dataclass(frozen=True)
class Order:
    """A keyset order: a sort column then the id, both ascending or both descending."""

    column: InstrumentedAttribute[Any]
    id_column: InstrumentedAttribute[Any]
    descending: bool = True

    def key(self, row: Any) -> str:
        """The opaque cursor of a row in this order."""
        sort_value = getattr(row, self.column.key)
        raw = json.dumps([sort_value.isoformat(), str(getattr(row, self.id_column.key))])
        return base64.urlsafe_b64encode(raw.encode()).decode()

    def parse(self, cursor: str) -> tuple[Any, uuid.UUID]:
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError
            sort_text, id_text = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            parser = PARSERS[self.column.type.python_type]
            return parser(sort_text), uuid.UUID(id_text)
        except (ValueError, TypeError, KeyError, binascii.Error, json.JSONDecodeError):
            raise BadUserInput("invalid cursor", field="after") from None


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: Sequence[Row]
    cursors: Sequence[str]
    has_next_page: bool


def page_size(first: int | None) -> int:
    """Validates `first`: 0 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when omitted."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE_SIZE}", field="first")
    return first


def after_clause(order: Order, after: str) -> Any:
    sort_value, row_id = order.parse(after)
    columns = tuple_(order.column, order.id_column)
    return columns < (sort_value, row_id) if order.descending else columns > (sort_value, row_id)


def ordered(query: Select[Any], order: Order, after: str | None, limit: int) -> Select[Any]:
    """The query restricted to rows after the cursor, in order, one row beyond the page."""
    if after is not None:
        query = query.where(after_clause(order, after))
    if order.descending:
        query = query.order_by(order.column.desc(), order.id_column.desc())
    else:
        query = query.order_by(order.column.asc(), order.id_column.asc())
    return query.limit(limit + 1)


def to_page(rows: Sequence[Row], order: Order, limit: int) -> Page[Row]:
    visible = rows[:limit]
    return Page(
        rows=visible,
        cursors=[order.key(row) for row in visible],
        has_next_page=len(rows) > limit,
    )


async def fetch_page(
    session: AsyncSession, query: Select[Any], order: Order, *, first: int | None, after: str | None
) -> Page[Any]:
    """Runs a keyset-paginated query of ORM entities."""
    limit = page_size(first)
    rows = (await session.scalars(ordered(query, order, after, limit))).all()
    return to_page(rows, order, limit)


async def first_pages(
    session: AsyncSession,
    query: Select[Any],
    order: Order,
    parent: InstrumentedAttribute[Any],
    parent_ids: Sequence[Any],
    *,
    first: int | None,
) -> list[Page[Any]]:
    """The first page of the query's ORM entities for each parent id (the rows whose
    `parent` column holds it), in one statement, in the order of parent_ids."""
    limit = page_size(first)
    direction = (
        (order.column.desc(), order.id_column.desc())
        if order.descending
        else (order.column.asc(), order.id_column.asc())
    )
    position = func.row_number().over(partition_by=parent, order_by=direction).label("position")
    entity = query.column_descriptions[0]["entity"]
    ranked = query.add_columns(position).where(among(parent, parent_ids)).subquery()
    numbered = select(entity).from_statement(
        select(ranked).where(ranked.c.position <= limit + 1).order_by(ranked.c.position)
    )
    by_parent: dict[Any, list[Any]] = {parent_id: [] for parent_id in parent_ids}
    for row in await session.scalars(numbered):
        by_parent[getattr(row, parent.key)].append(row)
    return [to_page(by_parent[parent_id], order, limit) for parent_id in parent_ids]
