"""Reading the event log in its gap-free order, and pruning it."""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from subscriptions.capture import REALTIME_TABLES

# Only rows of transactions older than the horizon (migration 0007): no running transaction
# of this database can still add a row before them, so what is read once never changes
# behind the reader.
SETTLED = "xid < realtime_horizon()"
COLUMNS = (
    "xid::text::bigint AS xid, id, table_name, operation, row_id, keys::text AS keys, changed, "
    "created_at, old::text AS old"
)


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in the log: (transaction id, row id). Clients see it as "xid.id"."""

    xid: int
    id: int

    def __str__(self) -> str:
        return f"{self.xid}.{self.id}"

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        """From "xid.id"; ValueError when malformed."""
        xid, _, row = text.partition(".")
        if len(text) > 42 or not xid.isdigit() or not row.isdigit():
            raise ValueError(f"not an event cursor: {text[:50]!r}")
        return cls(int(xid), int(row))


ORIGIN = Cursor(0, 0)
POSITION_TOPIC = "log:position"  # where the relay says how far it has published (a cursor)


@dataclass(frozen=True)
class LogEvent:
    cursor: Cursor
    table: str
    operation: str
    row_id: uuid.UUID
    keys: dict[str, str]
    changed: tuple[str, ...] = ()
    created_at: datetime | None = field(default=None, compare=False)
    old: dict[str, Any] | None = field(
        default=None, compare=False
    )  # UPDATE: changed columns' previous values

    @property
    def topics(self) -> list[str]:
        """The Redis topics this event is published to."""
        found = [f"{key}:{value}" for key, value in self.keys.items()]
        capture = REALTIME_TABLES.get(self.table)
        if capture is not None and capture.whole_table:
            found.append(f"table:{self.table}")
        return found

    def to_json(self) -> str:
        return json.dumps(
            {
                "cursor": str(self.cursor),
                "table": self.table,
                "operation": self.operation,
                "row_id": str(self.row_id),
                "keys": self.keys,
                "changed": list(self.changed),
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "old": self.old,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> "LogEvent":
        data = json.loads(text)
        return cls(
            cursor=Cursor.parse(data["cursor"]),
            table=data["table"],
            operation=data["operation"],
            row_id=uuid.UUID(data["row_id"]),
            keys=data["keys"],
            changed=tuple(data["changed"]),
            created_at=datetime.fromisoformat(data["created_at"])
            if data.get("created_at")
            else None,
            old=data.get("old"),
        )


def _event(row: asyncpg.Record) -> LogEvent:
    return LogEvent(
        cursor=Cursor(int(row["xid"]), row["id"]),
        table=row["table_name"],
        operation=row["operation"],
        row_id=row["row_id"],
        keys=json.loads(row["keys"]),
        changed=tuple(row["changed"] or ()),
        created_at=row["created_at"],
        old=json.loads(row["old"]) if row["old"] else None,
    )


def _topic_condition(topics: Iterable[str], arguments: list[Any]) -> str:
    """SQL matching events routed to any of the topics (GIN-indexed containment)."""
    conditions = []
    for topic in topics:
        kind, _, value = topic.partition(":")
        if kind == "table":
            arguments.append(value)
            conditions.append(f"table_name = ${len(arguments)}")
        else:
            arguments.append(json.dumps({kind: value}))
            conditions.append(f"keys @> ${len(arguments)}::jsonb")
    return "(" + " OR ".join(conditions) + ")" if conditions else "false"


async def read_after(
    connection: asyncpg.Connection,
    after: Cursor,
    *,
    limit: int,
    topics: Iterable[str] | None = None,
    tables: Iterable[str] | None = None,
) -> list[LogEvent]:
    """Settled events after the cursor, in log order; only of the given topics and tables
    when given."""
    arguments: list[Any] = [after.xid, after.id, limit]
    where = f"(xid, id) > ($1::xid8, $2) AND {SETTLED}"
    if topics is not None:
        where += " AND " + _topic_condition(topics, arguments)
    if tables is not None:
        arguments.append(list(tables))
        where += f" AND table_name = ANY(${len(arguments)})"
    rows = await connection.fetch(
        f"SELECT {COLUMNS} FROM realtime_events WHERE {where} ORDER BY xid, id LIMIT $3",
        *arguments,
    )
    return [_event(row) for row in rows]


async def newest(connection: asyncpg.Connection, *, limit: int) -> list[LogEvent]:
    """The newest settled events (all topics), in log order."""
    rows = await connection.fetch(
        f"SELECT * FROM (SELECT {COLUMNS} FROM realtime_events WHERE {SETTLED} "
        "ORDER BY xid DESC, id DESC LIMIT $1) newest ORDER BY xid, id",
        limit,
    )
    return [_event(row) for row in rows]


async def head(connection: asyncpg.Connection) -> Cursor:
    """The newest settled event's cursor (ORIGIN when the log is empty)."""
    row = await connection.fetchrow(
        "SELECT xid::text::bigint AS xid, id FROM realtime_events "
        f"WHERE {SETTLED} ORDER BY xid DESC, id DESC LIMIT 1"
    )
    return Cursor(row["xid"], row["id"]) if row else ORIGIN


async def pruned_through(connection: asyncpg.Connection) -> Cursor:
    """Events at or before this cursor may have been deleted."""
    row = await connection.fetchrow(
        "SELECT pruned_xid::text::bigint AS xid, pruned_id AS id FROM realtime_relay_state"
    )
    return Cursor(row["xid"], row["id"]) if row else ORIGIN


async def prune(
    connection: asyncpg.Connection, *, relayed: Cursor, max_age_seconds: float, max_events: int
) -> Cursor | None:
    """Deletes relayed events older than max_age_seconds or beyond the newest max_events,
    and records the newest deleted cursor so resuming from before it asks for a refetch;
    returns that cursor (None: nothing was old enough)."""
    async with connection.transaction():
        cutoff = await connection.fetchrow(
            """
            SELECT xid::text::bigint AS xid, id FROM (
                SELECT xid, id FROM realtime_events
                WHERE (xid, id) <= ($1::xid8, $2)
                  AND (created_at < now() - make_interval(secs => $3)
                       OR (xid, id) <= (
                           SELECT xid, id FROM realtime_events
                           ORDER BY xid DESC, id DESC OFFSET $4 LIMIT 1))
                ORDER BY xid DESC, id DESC LIMIT 1
            ) newest_prunable
            """,
            relayed.xid,
            relayed.id,
            max_age_seconds,
            max_events,
        )
        if cutoff is None:
            return None
        await connection.execute(
            "DELETE FROM realtime_events WHERE (xid, id) <= ($1::xid8, $2)",
            cutoff["xid"],
            cutoff["id"],
        )
        await connection.execute(
            "UPDATE realtime_relay_state SET pruned_xid = $1::xid8, pruned_id = $2 "
            "WHERE (pruned_xid, pruned_id) < ($1::xid8, $2)",
            cutoff["xid"],
            cutoff["id"],
        )
    return Cursor(cutoff["xid"], cutoff["id"])
