"""updated_at, counter and nutrition triggers; analytics and leaderboard views

Revision ID: 0002_triggers_views
Revises: 0001_tables
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_triggers_views"
down_revision: str | None = "0001_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose updated_at is bumped on any real change of the row.
UPDATED_AT_TABLES = (
    "users",
    "oauth_accounts",
    "goals",
    "check_ins",
    "comments",
    "feed_preferences",
    "subscriptions",
    "admin_users",
    "blog_posts",
    "actionable_plans",
    "daily_motivations",
    "notification_history",
    "meal_logs",
    "daily_nutrition_summaries",
    "achievement_types",
    "accountability_partners",
    "challenges",
    "challenge_participants",
)
# posts: only edits bump updated_at, not the counters that likes and comments move.
POST_EDIT_COLUMNS = "user_id, content, media_url, media_type, is_public, deleted_at"

SET_UPDATED_AT = """
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$
"""

# A statement-level trigger: one UPDATE of posts per statement, however many rows it
# touched, and exact under concurrent writers (each UPDATE takes the post's row lock).
# TG_ARGV[0]: the counter column; TG_ARGV[1]: SQL predicate for rows that count.
MAINTAIN_POST_COUNTER = """
CREATE FUNCTION maintain_post_counter() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counted text := coalesce(TG_ARGV[1], 'true');
    changes text;
BEGIN
    changes := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT post_id, 1 AS n FROM new_rows WHERE %s', counted)
        WHEN 'DELETE' THEN format('SELECT post_id, -1 AS n FROM old_rows WHERE %s', counted)
        ELSE format(
            'SELECT post_id, 1 AS n FROM new_rows WHERE %1$s '
            'UNION ALL SELECT post_id, -1 AS n FROM old_rows WHERE %1$s', counted)
    END;
    EXECUTE format(
        'UPDATE posts p SET %1$I = p.%1$I + d.n '
        'FROM (SELECT post_id, sum(n) AS n FROM (%2$s) c GROUP BY post_id '
        '      HAVING sum(n) <> 0) d '
        'WHERE p.id = d.post_id',
        TG_ARGV[0], changes);
    RETURN NULL;
END $$
"""

# Keeps daily_nutrition_summaries equal to the sums of meal_logs per user and day.
# Deltas, not recomputation, so concurrent writers for the same day stay exact. Existing
# days are updated first: an INSERT's proposed row is CHECKed before ON CONFLICT applies.
MAINTAIN_DAILY_NUTRITION = """
CREATE FUNCTION maintain_daily_nutrition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changes text;
BEGIN
    changes := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM old_rows'
        ELSE 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows'
    END;
    EXECUTE format($sql$
        WITH d AS (
            SELECT user_id, logged_on AS day, sum(sign) AS meals,
                   sum(sign * calories) AS calories, sum(sign * protein_g) AS protein_g,
                   sum(sign * carbs_g) AS carbs_g, sum(sign * fat_g) AS fat_g
            FROM (%s) c
            GROUP BY user_id, logged_on
        ), updated AS (
            UPDATE daily_nutrition_summaries s SET
                meals_count = s.meals_count + d.meals,
                calories = s.calories + d.calories,
                protein_g = s.protein_g + d.protein_g,
                carbs_g = s.carbs_g + d.carbs_g,
                fat_g = s.fat_g + d.fat_g
            FROM d WHERE s.user_id = d.user_id AND s.date = d.day
            RETURNING s.user_id, s.date
        )
        INSERT INTO daily_nutrition_summaries AS s
            (user_id, date, meals_count, calories, protein_g, carbs_g, fat_g)
        SELECT user_id, day, meals, calories, protein_g, carbs_g, fat_g FROM d
        WHERE NOT EXISTS (SELECT 1 FROM updated x WHERE x.user_id = d.user_id AND x.date = d.day)
          AND EXISTS (SELECT 1 FROM users u WHERE u.id = d.user_id)
        ON CONFLICT (user_id, date) DO UPDATE SET
            meals_count = s.meals_count + EXCLUDED.meals_count,
            calories = s.calories + EXCLUDED.calories,
            protein_g = s.protein_g + EXCLUDED.protein_g,
            carbs_g = s.carbs_g + EXCLUDED.carbs_g,
            fat_g = s.fat_g + EXCLUDED.fat_g
    $sql$, changes);
    RETURN NULL;
END $$
"""

USER_ENGAGEMENT_SUMMARY = """
CREATE VIEW user_engagement_summary AS
SELECT
    u.id,
    u.username,
    u.plan,
    (SELECT count(*) FROM goals g WHERE g.user_id = u.id) AS total_goals,
    (SELECT count(*) FROM check_ins ci WHERE ci.user_id = u.id) AS total_check_ins,
    (SELECT count(*) FROM posts p WHERE p.user_id = u.id AND p.deleted_at IS NULL) AS total_posts,
    (SELECT count(*) FROM follows f WHERE f.following_id = u.id) AS followers_count,
    (SELECT count(*) FROM follows f WHERE f.follower_id = u.id) AS following_count,
    (SELECT avg(ci.mood) FROM check_ins ci WHERE ci.user_id = u.id) AS avg_mood
FROM users u
"""

SUBSCRIPTION_ANALYTICS = """
CREATE VIEW subscription_analytics AS
SELECT
    plan,
    status,
    platform,
    count(*) AS user_count,
    avg(extract(epoch FROM (expires_date - purchase_date)) / 86400) AS avg_duration_days
FROM subscriptions
GROUP BY plan, status, platform
"""

# Score: completed check-ins on the linked goal dated inside the challenge window.
# Ties share a rank (competition ranking); reached_at orders them: first to the score first.
CHALLENGE_LEADERBOARD = """
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


def _counter_triggers(table: str, counter: str, counted: str) -> None:
    """Three statement-level triggers: each operation gets its transition tables."""
    arguments = f"'{counter}', '{counted}'"
    op.execute(
        f"CREATE TRIGGER trg_{table}_{counter}_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION maintain_post_counter({arguments})"
    )
    op.execute(
        f"CREATE TRIGGER trg_{table}_{counter}_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION maintain_post_counter({arguments})"
    )
    op.execute(
        f"CREATE TRIGGER trg_{table}_{counter}_update AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION maintain_post_counter({arguments})"
    )


def upgrade() -> None:
    op.execute(SET_UPDATED_AT)
    for table in UPDATED_AT_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_updated_at BEFORE UPDATE ON {table} "
            f"FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION set_updated_at()"
        )
    op.execute(
        f"CREATE TRIGGER trg_posts_updated_at BEFORE UPDATE OF {POST_EDIT_COLUMNS} ON posts "
        f"FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION set_updated_at()"
    )

    op.execute(MAINTAIN_POST_COUNTER)
    _counter_triggers("likes", "likes_count", "true")
    _counter_triggers("comments", "comments_count", "deleted_at IS NULL")

    op.execute(MAINTAIN_DAILY_NUTRITION)
    for operation, transitions in (
        ("insert", "NEW TABLE AS new_rows"),
        ("delete", "OLD TABLE AS old_rows"),
        ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER trg_meal_logs_nutrition_{operation} AFTER {operation.upper()} "
            f"ON meal_logs REFERENCING {transitions} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION maintain_daily_nutrition()"
        )

    op.execute(USER_ENGAGEMENT_SUMMARY)
    op.execute(SUBSCRIPTION_ANALYTICS)
    op.execute(CHALLENGE_LEADERBOARD)


def downgrade() -> None:
    op.execute("DROP VIEW challenge_leaderboard")
    op.execute("DROP VIEW subscription_analytics")
    op.execute("DROP VIEW user_engagement_summary")
    for operation in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER trg_meal_logs_nutrition_{operation} ON meal_logs")
        op.execute(f"DROP TRIGGER trg_likes_likes_count_{operation} ON likes")
        op.execute(f"DROP TRIGGER trg_comments_comments_count_{operation} ON comments")
    op.execute("DROP FUNCTION maintain_daily_nutrition()")
    op.execute("DROP FUNCTION maintain_post_counter()")
    for table in (*UPDATED_AT_TABLES, "posts"):
        op.execute(f"DROP TRIGGER trg_{table}_updated_at ON {table}")
    op.execute("DROP FUNCTION set_updated_at()")
