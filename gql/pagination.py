"""Relay cursor connections: edges { cursor node }, pageInfo { hasNextPage endCursor }."""

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from gql.ahead import Ahead, Later, now_or_later
from gql.context import Info
from resolvers.pagination import Page

Node = TypeVar("Node")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[Any], convert: Callable[[Any], Node]) -> "Connection[Node]":
        edges = [
            Edge(cursor=cursor, node=convert(row))
            for row, cursor in zip(page.rows, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
        )


async def page_of(
    info: Info,
    key: Any,
    first_pages: DataLoader[Any, Page[Any]],
    *,
    after: str | None,
    later: Callable[[AsyncSession], Awaitable[Page[Any]]],
) -> Page[Any]:
    """A nested connection's page: the first one through the request's batched loader (one
    statement for all parents), a later one (after a cursor) with a query of its own."""
    if after is None:
        return await first_pages.load(key)
    async with info.context.reads() as session:
        return await later(session)


def connection_of(
    info: Info,
    key: Any,
    first_pages: DataLoader[Any, Page[Any]],
    *,
    after: str | None,
    later: Callable[[AsyncSession], Awaitable[Page[Any]]],
    convert: Callable[[Any], Node],
    ahead: Callable[[Info, Ahead, Sequence[Any]], Awaitable[None]] | None = None,
) -> Later[Connection[Node]]:
    """A nested connection (page_of): a plain read when its parent read the first page
    ahead; else its page is loaded, then what the selection asks of its rows (`ahead`)."""
    if after is None:
        page = now_or_later(first_pages, key)
        if not inspect.isawaitable(page):
            return Connection.from_page(page, convert)

    async def loaded() -> Connection[Node]:
        page = await page_of(info, key, first_pages, after=after, later=later)
        if ahead is not None:
            await ahead(info, Ahead.of(info).nodes(), page.rows)
        return Connection.from_page(page, convert)

    return loaded()
