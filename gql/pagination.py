"""Relay cursor connections: edges { cursor node }, pageInfo { hasNextPage endCursor }."""

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

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
    async with info.context.sessionmaker() as session:
        return await later(session)
