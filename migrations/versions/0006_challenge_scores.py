"""challenges: scores kept by triggers, per-score participant counts, the ranking index

Revision ID: 0006_challenge_scores
Revises: 0005_realtime_events

A participant's score is the number of completed check-ins on their linked goal dated inside
the challenge window (starts_on..ends_on, inclusive). Statement-level triggers on check_ins
move scores by deltas, so any writer counts and concurrent writers stay exact; joining,
rejoining or relinking a goal recomputes the score under locks that make concurrent
check-ins wait. `score_version` takes a new value from one sequence whenever a score, status
or goal changes: it orders equal scores (who reached the score first) and its maximum over a
challenge is the leaderboard's version.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_challenge_scores"
down_revision: str | None = "0005_realtime_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = """
ALTER TABLE challenge_participants
    ADD COLUMN score integer NOT NULL DEFAULT 0,
    ADD COLUMN reached_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN score_version bigint NOT NULL DEFAULT nextval('challenge_score_versions')
"""

COMMENTS = {
    "score": "kept by triggers on check_ins; see migration 0006",
    "reached_at": "when the score last changed",
    "score_version": "orders equal scores; its maximum is the leaderboard version",
}

# Ranking order: score descending, then who got to it first. The expression keeps both
# keys ascending, so "the entries just above me" is one index range scan.
RANKING_INDEX = """
CREATE INDEX idx_challenge_participants_ranking
ON challenge_participants (challenge_id, (-score), score_version) INCLUDE (score, user_id)
WHERE status = 'active'
"""

# Completed check-ins of a goal inside a challenge's window. The check-ins are locked (FOR
# SHARE) so that a concurrent un-complete or date change waits and is counted as committed.
PARTICIPANT_SCORE = """
CREATE FUNCTION challenge_participant_score(p_challenge uuid, p_goal uuid)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    SELECT count(*) FILTER (WHERE s.completed AND s.date BETWEEN c.starts_on AND c.ends_on)::int
    FROM challenges c
    CROSS JOIN LATERAL (
        SELECT ci.completed, ci.date FROM check_ins ci WHERE ci.goal_id = p_goal FOR SHARE
    ) s
    WHERE c.id = p_challenge
$$
"""

# On join, rejoin, leave or a new goal: the score from scratch. Locking the goal row makes
# check-ins being inserted for it (their foreign key takes a KEY SHARE lock) finish first;
# later ones wait for this row to commit and then find it.
PREPARE_PARTICIPANT = """
CREATE FUNCTION prepare_challenge_participant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.goal_id IS NOT DISTINCT FROM OLD.goal_id
            AND NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF NEW.status = 'active' AND NEW.goal_id IS NOT NULL THEN
        PERFORM 1 FROM goals WHERE id = NEW.goal_id FOR UPDATE;
        NEW.score := challenge_participant_score(NEW.challenge_id, NEW.goal_id);
    ELSE
        NEW.score := 0;
    END IF;
    NEW.reached_at := now();
    NEW.score_version := nextval('challenge_score_versions');
    RETURN NEW;
END $$
"""

MAINTAIN_SCORES = """
CREATE FUNCTION maintain_challenge_scores() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changes text;
BEGIN
    changes := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT goal_id, date, 1 AS n FROM new_rows WHERE completed'
        WHEN 'DELETE' THEN 'SELECT goal_id, date, -1 AS n FROM old_rows WHERE completed'
        ELSE 'SELECT goal_id, date, 1 AS n FROM new_rows WHERE completed '
             'UNION ALL SELECT goal_id, date, -1 AS n FROM old_rows WHERE completed'
    END;
    EXECUTE format(
        'UPDATE challenge_participants cp '
        'SET score = cp.score + d.n, reached_at = now(), '
        '    score_version = nextval(''challenge_score_versions'') '
        'FROM (SELECT p.id, sum(c.n) AS n FROM (%s) c '
        '      JOIN challenge_participants p ON p.goal_id = c.goal_id AND p.status = ''active'' '
        '      JOIN challenges ch ON ch.id = p.challenge_id '
        '       AND c.date BETWEEN ch.starts_on AND ch.ends_on '
        '      GROUP BY p.id HAVING sum(c.n) <> 0 ) d '
        'WHERE cp.id = d.id AND cp.status = ''active''',
        changes);
    RETURN NULL;
END $$
"""

# How many active participants hold each score, per challenge: ranks and totals come from
# these few rows instead of a count over every participant. Deltas per statement, upserted
# in key order, so statements touching the same scores do not deadlock. (No CHECK on
# participants: Postgres checks the proposed row, a negative delta, before ON CONFLICT.)
SCORE_COUNTS_TABLE = """
CREATE TABLE challenge_score_counts (
    challenge_id uuid NOT NULL,
    score integer NOT NULL,
    participants integer NOT NULL,
    CONSTRAINT pk_challenge_score_counts PRIMARY KEY (challenge_id, score),
    CONSTRAINT fk_challenge_score_counts_challenge_id_challenges FOREIGN KEY (challenge_id)
        REFERENCES challenges (id) ON DELETE CASCADE
)
"""

MAINTAIN_SCORE_COUNTS = """
CREATE FUNCTION maintain_challenge_score_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changes text;
BEGIN
    changes := CASE TG_OP
        WHEN 'INSERT' THEN
            'SELECT challenge_id, score, 1 AS n FROM new_rows WHERE status = ''active'''
        WHEN 'DELETE' THEN
            'SELECT challenge_id, score, -1 AS n FROM old_rows WHERE status = ''active'''
        ELSE 'SELECT challenge_id, score, 1 AS n FROM new_rows WHERE status = ''active'' '
             'UNION ALL '
             'SELECT challenge_id, score, -1 AS n FROM old_rows WHERE status = ''active'''
    END;
    EXECUTE format(
        'INSERT INTO challenge_score_counts AS t (challenge_id, score, participants) '
        'SELECT challenge_id, score, sum(n) FROM (%s) c '
        'WHERE EXISTS (SELECT 1 FROM challenges WHERE id = c.challenge_id) '
        'GROUP BY challenge_id, score HAVING sum(n) <> 0 ORDER BY challenge_id, score '
        'ON CONFLICT (challenge_id, score) '
        'DO UPDATE SET participants = t.participants + excluded.participants',
        changes);
    RETURN NULL;
END $$
"""

STATEMENT_TRIGGERS = (
    ("insert", "INSERT", "NEW TABLE AS new_rows"),
    ("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("delete", "DELETE", "OLD TABLE AS old_rows"),
)
# A changed window recounts every participant of the challenge.
RESCORE_CHALLENGE = """
CREATE FUNCTION rescore_challenge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE challenge_participants p
    SET score = challenge_participant_score(p.challenge_id, p.goal_id),
        reached_at = now(), score_version = nextval('challenge_score_versions')
    WHERE p.challenge_id = NEW.id AND p.status = 'active' AND p.goal_id IS NOT NULL;
    RETURN NULL;
END $$
"""

LEADERBOARD_VIEW = """
CREATE VIEW challenge_leaderboard AS
SELECT
    cp.challenge_id,
    cp.user_id,
    cp.goal_id,
    cp.score,
    cp.reached_at,
    rank() OVER (PARTITION BY cp.challenge_id ORDER BY cp.score DESC) AS rank,
    row_number() OVER (
        PARTITION BY cp.challenge_id ORDER BY cp.score DESC, cp.score_version
    ) AS position
FROM challenge_participants cp
JOIN challenges c ON c.id = cp.challenge_id AND c.deleted_at IS NULL
WHERE cp.status = 'active'
"""

OLD_LEADERBOARD_VIEW = """
CREATE VIEW challenge_leaderboard AS
SELECT
    cp.challenge_id,
    cp.user_id,
    cp.goal_id,
    coalesce(s.score, 0) AS score,
    coalesce(s.reached_at, cp.joined_at, cp.created_at) AS reached_at,
    rank() OVER (PARTITION BY cp.challenge_id ORDER BY coalesce(s.score, 0) DESC) AS rank
FROM challenge_participants cp
JOIN challenges c ON c.id = cp.challenge_id AND c.deleted_at IS NULL
LEFT JOIN LATERAL (
    SELECT count(*) AS score, max(ci.updated_at) AS reached_at
    FROM check_ins ci
    WHERE ci.goal_id = cp.goal_id
      AND ci.completed
      AND ci.date BETWEEN c.starts_on AND c.ends_on
) s ON true
WHERE cp.status = 'active'
"""


def upgrade() -> None:
    op.execute("CREATE SEQUENCE challenge_score_versions")
    op.execute(COLUMNS)
    for column, comment in COMMENTS.items():
        op.execute(f"COMMENT ON COLUMN challenge_participants.{column} IS '{comment}'")
    op.execute(RANKING_INDEX)
    op.execute(
        "CREATE INDEX idx_challenge_participants_version "
        "ON challenge_participants (challenge_id, score_version)"
    )
    op.execute(PARTICIPANT_SCORE)
    op.execute(PREPARE_PARTICIPANT)
    op.execute(
        "CREATE TRIGGER trg_challenge_participants_prepare "
        "BEFORE INSERT OR UPDATE OF goal_id, status ON challenge_participants "
        "FOR EACH ROW EXECUTE FUNCTION prepare_challenge_participant()"
    )
    op.execute(SCORE_COUNTS_TABLE)
    op.execute(MAINTAIN_SCORE_COUNTS)
    for name, operation, transitions in STATEMENT_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER trg_challenge_participants_score_counts_{name} AFTER {operation} "
            f"ON challenge_participants REFERENCING {transitions} FOR EACH STATEMENT "
            "EXECUTE FUNCTION maintain_challenge_score_counts()"
        )
    op.execute(MAINTAIN_SCORES)
    for name, operation, transitions in STATEMENT_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER trg_check_ins_challenge_scores_{name} AFTER {operation} "
            f"ON check_ins REFERENCING {transitions} FOR EACH STATEMENT "
            "EXECUTE FUNCTION maintain_challenge_scores()"
        )
    op.execute(RESCORE_CHALLENGE)
    op.execute(
        "CREATE TRIGGER trg_challenges_rescore AFTER UPDATE OF starts_on, ends_on ON challenges "
        "FOR EACH ROW WHEN (OLD.starts_on <> NEW.starts_on OR OLD.ends_on <> NEW.ends_on) "
        "EXECUTE FUNCTION rescore_challenge()"
    )
    op.execute("DROP VIEW challenge_leaderboard")
    op.execute(LEADERBOARD_VIEW)
    op.execute(  # rows that existed before this version
        "UPDATE challenge_participants p "
        "SET score = challenge_participant_score(p.challenge_id, p.goal_id) "
        "WHERE p.status = 'active' AND p.goal_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO challenge_score_counts (challenge_id, score, participants) "
        "SELECT challenge_id, score, count(*) FROM challenge_participants "
        "WHERE status = 'active' GROUP BY challenge_id, score"
    )


def downgrade() -> None:
    op.execute("DROP VIEW challenge_leaderboard")
    op.execute(OLD_LEADERBOARD_VIEW)
    op.execute("DROP TRIGGER trg_challenges_rescore ON challenges")
    op.execute("DROP FUNCTION rescore_challenge()")
    for name, _, _ in STATEMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER trg_check_ins_challenge_scores_{name} ON check_ins")
    op.execute("DROP FUNCTION maintain_challenge_scores()")
    for name, _, _ in STATEMENT_TRIGGERS:
        op.execute(
            f"DROP TRIGGER trg_challenge_participants_score_counts_{name} ON challenge_participants"
        )
    op.execute("DROP FUNCTION maintain_challenge_score_counts()")
    op.execute("DROP TABLE challenge_score_counts")
    op.execute("DROP TRIGGER trg_challenge_participants_prepare ON challenge_participants")
    op.execute("DROP FUNCTION prepare_challenge_participant()")
    op.execute("DROP FUNCTION challenge_participant_score(uuid, uuid)")
    op.execute("DROP INDEX idx_challenge_participants_version")
    op.execute("DROP INDEX idx_challenge_participants_ranking")
    op.execute(
        "ALTER TABLE challenge_participants "
        "DROP COLUMN score, DROP COLUMN reached_at, DROP COLUMN score_version"
    )
    op.execute("DROP SEQUENCE challenge_score_versions")
