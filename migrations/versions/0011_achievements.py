"""achievements unlocked by the database, whoever writes

Revision ID: 0011_achievements
Revises: 0010_motivation_opened

An achievement type with `criteria = {"rule": R, "threshold": N}` unlocks for a user once
they reach N under rule R:
- `check_ins`: completed check-ins in all;
- `streak`: consecutive days with a completed check-in on one goal (the goal is recorded);
- `posts`: posts not deleted;
- `challenges_completed`: challenges ended (in their time zone) while the user was an active
  participant with a score of at least 1; time passing writes nothing, so these are awarded
  by `award_ended_challenges()`, which a scheduler calls (`momentum worker achievements`).
Types without a rule are awarded by hand. Each unlock happens once per user (the unique
key) and writes an `achievement` notification in the same transaction. Statement triggers
note what a transaction wrote; the rules are evaluated when it commits, under per-user
advisory locks, so concurrent writers of one user are evaluated one after the other, each
seeing the other's rows, and nothing waits before commit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_achievements"
down_revision: str | None = "0010_motivation_opened"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULES = ("check_ins", "streak", "posts", "challenges_completed")
CRITERIA_CHECK = (
    "criteria IS NULL OR NOT (criteria ? 'rule') OR ("
    f"criteria->>'rule' IN ({', '.join(repr(rule) for rule in RULES)}) AND "
    "CASE WHEN jsonb_typeof(criteria->'threshold') = 'number' "
    "THEN (criteria->>'threshold')::numeric BETWEEN 1 AND 100000 "
    "AND (criteria->>'threshold')::numeric = floor((criteria->>'threshold')::numeric) "
    "ELSE false END)"
)

BUILT_IN = """
INSERT INTO achievement_types (key, name, description, category, criteria, points) VALUES
('first_check_in', 'First check-in', 'You completed your first check-in.', 'check_ins',
 '{"rule": "check_ins", "threshold": 1}', 10),
('streak_7', '7-day streak', 'Seven days in a row on one goal.', 'streak',
 '{"rule": "streak", "threshold": 7}', 50),
('streak_30', '30-day streak', 'Thirty days in a row on one goal.', 'streak',
 '{"rule": "streak", "threshold": 30}', 200),
('first_post', 'First post', 'You shared your first post.', 'social',
 '{"rule": "posts", "threshold": 1}', 10),
('first_challenge_completed', 'Challenge finisher', 'You saw a challenge through to its end.',
 'challenge', '{"rule": "challenges_completed", "threshold": 1}', 100)
ON CONFLICT (key) DO NOTHING
"""

# Unlocks, for each (user, value, goal), every active type of the rule whose threshold the
# value reaches; a new unlock writes its notification.
UNLOCK_REACHED = """
CREATE FUNCTION unlock_reached(p_rule text, p_users uuid[], p_values int[], p_goals uuid[])
RETURNS void LANGUAGE sql VOLATILE AS $$
    WITH reached AS (
        SELECT DISTINCT ON (r.user_id, t.id) r.user_id, t.id AS type_id, r.goal_id, r.value
        FROM unnest(p_users, p_values, p_goals) AS r(user_id, value, goal_id)
        JOIN achievement_types t
          ON t.is_active AND t.criteria->>'rule' = p_rule
         AND r.value >= (t.criteria->>'threshold')::int
        ORDER BY r.user_id, t.id, r.value DESC
    ), unlocked AS (
        INSERT INTO user_achievements (user_id, achievement_type_id, goal_id, metadata)
        SELECT user_id, type_id, goal_id, jsonb_build_object(p_rule, value) FROM reached
        ON CONFLICT (user_id, achievement_type_id) DO NOTHING
        RETURNING user_id, achievement_type_id, goal_id
    )
    INSERT INTO notification_history (user_id, notification_type, title, body, data)
    SELECT u.user_id, 'achievement', 'Achievement unlocked: ' || t.name, t.description,
           jsonb_build_object('achievementTypeId', t.id, 'key', t.key, 'goalId', u.goal_id)
    FROM unlocked u JOIN achievement_types t ON t.id = u.achievement_type_id
$$
"""

# What a transaction wrote that may unlock something, evaluated when it commits. Statement
# triggers note (user, rule, goal) here, once each per transaction; the first deferred
# trigger event at commit takes the whole note, locks its users (in order, so concurrent
# commits cannot deadlock) and evaluates the rules with a snapshot taken after the locks: a
# transaction committing at the same moment for the same user waits, then counts this
# one's rows. Nothing is locked before commit, so a long transaction blocks no one.
CHECKS_TABLE = """
CREATE TABLE achievement_checks (
    xact xid8 NOT NULL DEFAULT pg_current_xact_id(),
    user_id uuid NOT NULL,
    rule text NOT NULL,
    goal_id uuid,
    CONSTRAINT uq_achievement_checks UNIQUE NULLS NOT DISTINCT (xact, user_id, rule, goal_id)
)
"""

# Whether a user still lacks an active type of a rule (once all are unlocked, writes of
# that kind need no evaluation: unlocks are for good).
MISSING_TYPE = """
CREATE FUNCTION achievement_missing(p_user uuid, p_rule text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM achievement_types t
        WHERE t.is_active AND t.criteria->>'rule' = p_rule
          AND NOT EXISTS (
              SELECT 1 FROM user_achievements a
              WHERE a.user_id = p_user AND a.achievement_type_id = t.id
          )
    )
$$
"""

NOTE_CHECK_INS = """
CREATE FUNCTION note_check_in_achievements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO achievement_checks (user_id, rule, goal_id)
    SELECT user_id, rule, goal_id FROM (
        SELECT DISTINCT user_id, 'check_ins' AS rule, NULL::uuid AS goal_id
        FROM new_rows WHERE completed
        UNION SELECT DISTINCT user_id, 'streak', goal_id FROM new_rows WHERE completed
    ) written
    WHERE achievement_missing(user_id, rule)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""

NOTE_POSTS = """
CREATE FUNCTION note_post_achievements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO achievement_checks (user_id, rule)
    SELECT user_id, 'posts' FROM (
        SELECT DISTINCT user_id FROM new_rows WHERE deleted_at IS NULL
    ) written
    WHERE achievement_missing(user_id, 'posts')
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""

LOCK_USERS = """
CREATE FUNCTION lock_achievement_users(p_users uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('momentum.achievements:' || u::text, 0))
    FROM (SELECT DISTINCT u FROM unnest(p_users) AS u ORDER BY u) ordered;
END
$$
"""

EVALUATE = """
CREATE FUNCTION evaluate_achievement_checks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c_users uuid[];
    c_rules text[];
    c_goals uuid[];
BEGIN
    WITH taken AS (
        DELETE FROM achievement_checks WHERE xact = pg_current_xact_id()
        RETURNING user_id, rule, goal_id
    )
    SELECT array_agg(user_id), array_agg(rule), array_agg(goal_id)
    INTO c_users, c_rules, c_goals FROM taken;
    IF c_users IS NULL THEN  -- an earlier event of this commit took the note
        RETURN NULL;
    END IF;
    PERFORM lock_achievement_users(c_users);
    PERFORM unlock_reached('check_ins', array_agg(user_id), array_agg(done), array_agg(NULL::uuid))
    FROM (
        SELECT user_id, count(*)::int AS done FROM check_ins
        WHERE completed AND user_id IN (
            SELECT u FROM unnest(c_users, c_rules) AS c(u, r) WHERE r = 'check_ins'
        )
        GROUP BY user_id
    ) counted;
    -- The longest run of consecutive days of each goal written to: dates minus their rank
    -- are equal within a run.
    PERFORM unlock_reached('streak', array_agg(user_id), array_agg(days), array_agg(goal_id))
    FROM (
        SELECT goal_id, user_id, max(days)::int AS days FROM (
            SELECT goal_id, user_id, count(*) AS days FROM (
                SELECT goal_id, user_id,
                       date - (row_number() OVER (PARTITION BY goal_id ORDER BY date))::int AS run
                FROM check_ins
                WHERE completed AND goal_id IN (
                    SELECT g FROM unnest(c_rules, c_goals) AS c(r, g) WHERE r = 'streak'
                )
            ) dated GROUP BY goal_id, user_id, run
        ) runs GROUP BY goal_id, user_id
    ) longest;
    PERFORM unlock_reached('posts', array_agg(user_id), array_agg(posted), array_agg(NULL::uuid))
    FROM (
        SELECT user_id, count(*)::int AS posted FROM posts
        WHERE deleted_at IS NULL AND user_id IN (
            SELECT u FROM unnest(c_users, c_rules) AS c(u, r) WHERE r = 'posts'
        )
        GROUP BY user_id
    ) counted;
    RETURN NULL;
END
$$
"""

# Users still missing a challenge type, with the challenges they saw through; returns how
# many users were evaluated.
AWARD_ENDED_CHALLENGES = """
CREATE FUNCTION award_ended_challenges() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    users uuid[];
BEGIN
    SELECT array_agg(DISTINCT p.user_id) INTO users
    FROM challenge_participants p JOIN challenges c ON c.id = p.challenge_id
    WHERE p.status = 'active' AND p.score >= 1 AND c.deleted_at IS NULL
      AND c.ends_on < (now() AT TIME ZONE c.timezone)::date
      AND EXISTS (
          SELECT 1 FROM achievement_types t
          WHERE t.is_active AND t.criteria->>'rule' = 'challenges_completed'
            AND NOT EXISTS (
                SELECT 1 FROM user_achievements a
                WHERE a.user_id = p.user_id AND a.achievement_type_id = t.id
            )
      );
    IF users IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM lock_achievement_users(users);
    PERFORM unlock_reached(
        'challenges_completed', array_agg(user_id), array_agg(ended), array_agg(NULL::uuid)
    )
    FROM (
        SELECT p.user_id, count(*)::int AS ended
        FROM challenge_participants p JOIN challenges c ON c.id = p.challenge_id
        WHERE p.user_id = ANY (users) AND p.status = 'active' AND p.score >= 1
          AND c.deleted_at IS NULL AND c.ends_on < (now() AT TIME ZONE c.timezone)::date
        GROUP BY p.user_id
    ) counted;
    RETURN cardinality(users);
END
$$
"""

TRIGGERS = (
    ("check_ins", "insert", "INSERT", "note_check_in_achievements"),
    ("check_ins", "update", "UPDATE", "note_check_in_achievements"),
    ("posts", "insert", "INSERT", "note_post_achievements"),
    ("posts", "update", "UPDATE", "note_post_achievements"),
)


def upgrade() -> None:
    op.create_check_constraint(
        op.f("ck_achievement_types_criteria"), "achievement_types", sa.text(CRITERIA_CHECK)
    )
    op.alter_column(
        "achievement_types",
        "criteria",
        existing_type=postgresql.JSONB(),
        comment="the unlock rule: {rule, threshold}; see migration 0011",
        existing_comment="e.g. {'streak_days': 7}",
    )
    op.execute(BUILT_IN)
    op.execute(UNLOCK_REACHED)
    op.execute(LOCK_USERS)
    op.execute(CHECKS_TABLE)
    op.execute(MISSING_TYPE)
    op.execute(NOTE_CHECK_INS)
    op.execute(NOTE_POSTS)
    op.execute(EVALUATE)
    op.execute(
        "CREATE CONSTRAINT TRIGGER trg_achievement_checks_evaluate AFTER INSERT "
        "ON achievement_checks DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION evaluate_achievement_checks()"
    )
    op.execute(AWARD_ENDED_CHALLENGES)
    for table, name, operation, function in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER trg_{table}_achievements_{name} AFTER {operation} ON {table} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    for table, name, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER trg_{table}_achievements_{name} ON {table}")
    op.execute("DROP TABLE achievement_checks")
    for function in (
        "award_ended_challenges()",
        "evaluate_achievement_checks()",
        "note_post_achievements()",
        "note_check_in_achievements()",
        "lock_achievement_users(uuid[])",
        "achievement_missing(uuid, text)",
        "unlock_reached(text, uuid[], int[], uuid[])",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.alter_column(
        "achievement_types",
        "criteria",
        existing_type=postgresql.JSONB(),
        comment="e.g. {'streak_days': 7}",
        existing_comment="the unlock rule: {rule, threshold}; see migration 0011",
    )
    op.drop_constraint(op.f("ck_achievement_types_criteria"), "achievement_types", type_="check")
