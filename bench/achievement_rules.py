"""What the achievement rules (migration 0011) cost a writer: database time of a one-row
check-in transaction with the rules, with their statement triggers doing nothing, and with
them off, on the same database in one run.

Each round: N users with one goal each check in on D consecutive days, one transaction
per check-in (as the API writes them); the streak rule stays live all along (the users
reach 7 days, not 30).

    python -m bench achievement-rules [--users 200] [--days 10]
"""

import argparse
import asyncio
import statistics
import sys
import time
from typing import Any

import asyncpg

from bench import results_file
from bench.server import fresh_database

TRIGGERS = ("trg_check_ins_achievements_insert", "trg_check_ins_achievements_update")
EMPTY_NOTE = (
    "CREATE OR REPLACE FUNCTION note_check_in_achievements() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$"
)


async def round_ms(db: asyncpg.Connection, users: int, days: int) -> list[float]:
    """Milliseconds per check-in transaction."""
    ids = await db.fetch(
        "INSERT INTO users (email, name) SELECT 'bench' || g || '@rules.invalid', 'B' "
        "FROM generate_series(1, $1) g RETURNING id",
        users,
    )
    goals = [
        await db.fetchval(
            "INSERT INTO goals (user_id, title, frequency) VALUES ($1, 'G', 'daily') RETURNING id",
            row["id"],
        )
        for row in ids
    ]
    times = []
    for day in range(days):
        for goal, row in zip(goals, ids, strict=True):
            started = time.perf_counter()
            await db.execute(
                "INSERT INTO check_ins (goal_id, user_id, date, completed) "
                "VALUES ($1, $2, current_date - $3::int, true)",
                goal,
                row["id"],
                day,
            )
            times.append((time.perf_counter() - started) * 1000)
    await db.execute("DELETE FROM users WHERE email LIKE '%@rules.invalid'")
    return times


def row(variant: str, times: list[float]) -> dict[str, Any]:
    ordered = sorted(times)
    return {
        "variant": variant,
        "transactions": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95)], 2),
    }


async def run(users: int, days: int) -> None:
    async with fresh_database() as url:
        db = await asyncpg.connect(url)
        try:
            await round_ms(db, users, days)  # warm-up
            rows = [row("rules on", await round_ms(db, users, days))]
            await db.execute(EMPTY_NOTE)
            rows.append(row("statement triggers only (empty)", await round_ms(db, users, days)))
            for trigger in TRIGGERS:
                await db.execute(f"ALTER TABLE check_ins DISABLE TRIGGER {trigger}")
            rows.append(row("rules off", await round_ms(db, users, days)))
        finally:
            await db.close()
    print(
        results_file.write(
            "achievement_rules",
            "Achievement rules: database time per check-in transaction",
            rows,
            {
                "workload": f"{users} users x {days} consecutive days, one check-in per "
                "transaction, from one asyncpg connection",
                "rules on": "note in the statement trigger, evaluation at commit (lock, "
                "counts, longest run)",
            },
        )
    )


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--days", type=int, default=10)
    options = parser.parse_args(arguments)
    asyncio.run(run(options.users, options.days))


if __name__ == "__main__":
    main(sys.argv[1:])
