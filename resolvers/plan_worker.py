"""The plan worker's contract, and the reference worker (`momentum worker plans --fake`).

Any process that can write SQL may generate plans; it follows three statements:

- CLAIM takes up to `batch` plans that are pending, or generating for longer than `lease`
  seconds (their worker died), oldest first, and marks them generating. SKIP LOCKED lets
  several workers run side by side without taking the same plan.
- COMPLETE stores the plan content (a JSON object) and `generated_at`.
- FAIL stores a reason for the user.

COMPLETE and FAIL apply only while the plan is still generating: a plan the user asked to
regenerate meanwhile is pending again, and the worker's late result is dropped.
"""

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CLAIM = text("""
UPDATE actionable_plans SET status = 'generating'
WHERE id IN (
    SELECT id FROM actionable_plans
    WHERE status = 'pending'
       OR (status = 'generating' AND updated_at < now() - make_interval(secs => :lease))
    ORDER BY updated_at, id
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
RETURNING id, goal_id
""")
COMPLETE = text("""
UPDATE actionable_plans
SET status = 'completed', plan = CAST(:plan AS jsonb), error_message = NULL, generated_at = now()
WHERE id = :id AND status = 'generating'
""")
FAIL = text("""
UPDATE actionable_plans SET status = 'failed', error_message = :reason
WHERE id = :id AND status = 'generating'
""")
GOAL = text("""
SELECT title, description, frequency::text, target_days, reminder_times
FROM goals WHERE id = :goal_id
""")

LEASE_SECONDS = 600
BATCH = 20


@dataclass(frozen=True)
class GoalBrief:
    """What a plan generator is told about the goal."""

    title: str
    description: str | None
    frequency: str
    target_days: int | None
    reminder_times: list[str]


Generator = Callable[[GoalBrief], dict[str, Any]]


def template_plan(goal: GoalBrief) -> dict[str, Any]:
    """A plan made from a template, not by an AI: enough to run the whole flow end to end."""
    days = goal.target_days or 7
    when = ", ".join(goal.reminder_times) or "a time you can keep"
    return {
        "summary": f"A steady plan for “{goal.title}”: {days} day(s) a week.",
        "steps": [
            {"title": "Start small", "detail": f"Do a short version of “{goal.title}” today."},
            {"title": "Fix a time", "detail": f"Do it at {when}, the same time each day."},
            {"title": "Check in", "detail": "Record each day you do it; streaks count."},
            {"title": "Review weekly", "detail": "Each week, look at your check-ins and adjust."},
        ],
        "schedule": {
            "frequency": goal.frequency,
            "daysPerWeek": days,
            "times": goal.reminder_times,
        },
        "generator": "template",
    }


async def run_once(
    engine: AsyncEngine, generate: Generator, *, lease: float = LEASE_SECONDS
) -> int:
    """Claims what is waiting and generates each plan; returns how many it handled."""
    async with engine.begin() as db:
        claimed = (await db.execute(CLAIM, {"lease": lease, "batch": BATCH})).all()
    for plan_id, goal_id in claimed:
        await _generate(engine, generate, plan_id, goal_id)
    return len(claimed)


async def _generate(
    engine: AsyncEngine, generate: Generator, plan_id: uuid.UUID, goal_id: uuid.UUID
) -> None:
    """Generates one claimed plan; no transaction is held while the generator works."""
    async with engine.connect() as db:
        row = (await db.execute(GOAL, {"goal_id": goal_id})).one_or_none()
    if row is None:  # the goal (and with it the plan) was deleted meanwhile
        return
    title, description, frequency, target_days, reminder_times = row
    brief = GoalBrief(title, description, frequency, target_days, list(reminder_times or []))
    try:
        outcome, values = COMPLETE, {"id": plan_id, "plan": json.dumps(generate(brief))}
    except Exception as error:
        log.exception("plan %s failed", plan_id)
        outcome, values = FAIL, {"id": plan_id, "reason": f"generation failed: {error}"[:500]}
    async with engine.begin() as db:
        await db.execute(outcome, values)
