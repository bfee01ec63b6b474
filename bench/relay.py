"""Relay throughput and event-log growth: how many logged events per second one relay reads
from Postgres and publishes to Redis, and how many bytes each event adds to the log.

Starts `momentum serve` (its relay leads) on a fresh database, then writes N posts with
plain SQL in transactions of `--per-transaction` rows (each post logs one event, routed to
its author's topic and the posts table's), and measures from the first commit until the
relay has recorded the last event as published; then the log's size per event.

    python -m bench relay [--events 50000 --per-transaction 1 100]
"""

import argparse
import asyncio
import sys
import time
from typing import Any

import asyncpg

from bench import results_file
from bench.fanout import make_users
from bench.server import fresh_database, serving

WRITERS = 4  # concurrent writing connections


async def relayed(connection: asyncpg.Connection) -> int:
    """Events at or before the relay's recorded position."""
    value: int = await connection.fetchval(
        "SELECT count(*) FROM realtime_events e, realtime_relay_state s "
        "WHERE (e.xid, e.id) <= (s.last_xid, s.last_id)"
    )
    return value


async def measure(events: int, per_transaction: int) -> dict[str, Any]:
    async with fresh_database() as database_url:
        author, _, _ = await make_users(database_url, 1)
        async with serving(database_url):
            await asyncio.sleep(2)  # the relay is elected
            transactions = events // per_transaction
            started = time.monotonic()

            async def write(share: int) -> None:
                connection = await asyncpg.connect(database_url)
                for _ in range(share):
                    await connection.execute(
                        "INSERT INTO posts (user_id, content) "
                        "SELECT $1, 'post ' || n FROM generate_series(1, $2) AS n",
                        author,
                        per_transaction,
                    )
                await connection.close()

            await asyncio.gather(*(write(transactions // WRITERS) for _ in range(WRITERS)))
            written = time.monotonic() - started
            total = (transactions // WRITERS) * WRITERS * per_transaction
            monitor = await asyncpg.connect(database_url)
            while await relayed(monitor) < total:
                await asyncio.sleep(0.05)
            elapsed = time.monotonic() - started
            size = await monitor.fetchval("SELECT pg_total_relation_size('realtime_events')")
            await monitor.close()
    return {
        "events": total,
        "events_per_transaction": per_transaction,
        "written_per_s": round(total / written),
        "relayed_per_s": round(total / elapsed),
        "log_bytes_per_event": round(size / total),
    }


async def run(events: int, per_transaction: list[int]) -> None:
    rows = []
    for size in per_transaction:
        rows.append(await measure(events, size))
        print(rows[-1], flush=True)
    print(
        results_file.write(
            "relay",
            "Relay: logged events read from Postgres and published to Redis per second",
            rows,
            {
                "writes": f"posts inserted with plain SQL by {WRITERS} connections at once",
                "relayed_per_s": "from the first commit until the relay recorded the last "
                "event as published (each event goes to 2 Redis channels, one transaction "
                "per batch of up to 500)",
                "log_bytes_per_event": "realtime_events with its indexes, divided by events",
            },
        )
    )


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50000)
    parser.add_argument("--per-transaction", type=int, nargs="+", default=[1, 100])
    options = parser.parse_args(arguments)
    asyncio.run(run(options.events, options.per_transaction))


if __name__ == "__main__":
    main(sys.argv[1:])
