"""A realistic generated data set (users, goals, check-ins, posts, reactions, follows).

Generated inside Postgres with generate_series, so a million reactions take seconds, and
seeded with setseed, so the same sizes give the same data. Demo users have e-mail addresses
at DEMO_DOMAIN; generating again replaces the previous demo set and nothing else.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DEMO_DOMAIN = "demo.momentum.invalid"


@dataclass(frozen=True)
class DemoSizes:
    users: int = 1_000
    posts: int = 10_000
    reactions: int = 50_000
    comments: int = 20_000
    follows: int = 20_000
    goals_per_user: int = 2
    check_in_days: int = 30
    random_seed: float = 0.42

    def problems(self) -> list[str]:
        """What makes these sizes impossible (each reaction and follow pair is distinct)."""
        found = []
        if self.users < 2:
            found.append("users must be at least 2")
        for name in ("posts", "reactions", "comments", "follows", "goals_per_user"):
            if getattr(self, name) < 0:
                found.append(f"{name} must not be negative")
        if (self.reactions or self.comments) and not self.posts:
            found.append("reactions and comments need posts")
        if self.reactions > self.posts * self.users:
            found.append("reactions cannot exceed posts x users (one reaction per user and post)")
        if self.follows > self.users * (self.users - 1):
            found.append("follows cannot exceed users x (users - 1)")
        if not 0 <= self.check_in_days <= 366:
            found.append("check_in_days must be between 0 and 366")
        if not -1 <= self.random_seed <= 1:
            found.append("random_seed must be between -1 and 1")
        return found


PHRASES = (
    "Crushed my morning run today!",
    "Day {n} of the streak, still going.",
    "Rest day, but I stretched for 20 minutes.",
    "New personal best on deadlifts.",
    "Meal prep done for the week.",
    "Walked 10k steps despite the rain.",
    "Who else is doing the 30-day challenge?",
    "Slept 8 hours, feeling great.",
)
COMMENTS = ("Nice work!", "Keep it up", "So inspiring", "Same here!", "You got this")

# The demo users' and posts' ids as arrays (u.ids, p.ids) with their lengths (u.n, p.n), so
# rows can pick "the k-th user" cheaply; built once per statement.
DEMO_USER_IDS = f"""u AS (
        SELECT array_agg(id ORDER BY username) AS ids, count(*)::int AS n
        FROM users WHERE email LIKE '%@{DEMO_DOMAIN}')"""
DEMO_POST_IDS = f"""p AS (
        SELECT array_agg(posts.id ORDER BY posts.created_at, posts.id) AS ids,
               count(*)::int AS n
        FROM posts JOIN users ON users.id = posts.user_id
        WHERE users.email LIKE '%@{DEMO_DOMAIN}')"""

# Each statement reads sizes as bind parameters.
STATEMENTS = (
    f"DELETE FROM users WHERE email LIKE '%@{DEMO_DOMAIN}'",
    "SELECT setseed(:random_seed)",
    f"""
    INSERT INTO users (email, name, username, bio, plan, timezone, email_verified, created_at)
    SELECT 'demo' || i || '@{DEMO_DOMAIN}', 'Demo User ' || i, 'demo_' || i,
           CASE WHEN random() < 0.6 THEN 'Building better habits, one day at a time.' END,
           (ARRAY['free', 'free', 'free', 'pro', 'elite'])[1 + floor(random() * 5)::int],
           (ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'])
               [1 + floor(random() * 4)::int],
           true, now() - random() * interval '365 days'
    FROM generate_series(1, :users) AS i
    """,
    f"""
    INSERT INTO goals (user_id, title, category, frequency, target_days, reminder_times,
                       created_at)
    SELECT u.id, t.title, t.category::goal_category, t.frequency::goal_frequency,
           t.target_days, t.reminder_times,
           now() - interval '120 days'
    FROM users u
    CROSS JOIN generate_series(1, :goals_per_user) AS g
    JOIN LATERAL (
        SELECT * FROM (VALUES
            ('Morning Run', 'fitness', 'daily', 7, ARRAY['06:30']),
            ('Gym 3x Weekly', 'fitness', 'weekly', 3, ARRAY['18:00']),
            ('Drink 2L of water', 'nutrition', 'daily', 7, ARRAY['10:00', '15:00']),
            ('Meditate 10 minutes', 'wellness', 'daily', 7, ARRAY['21:00']),
            ('Read 20 pages', 'custom', 'daily', 7, NULL)
        ) AS v(title, category, frequency, target_days, reminder_times)
        OFFSET (g - 1 + split_part(u.username, '_', 2)::int) % 5 LIMIT 1
    ) AS t ON true
    WHERE u.email LIKE '%@{DEMO_DOMAIN}'
    """,
    f"""
    INSERT INTO check_ins (goal_id, user_id, date, completed, reflection, mood, created_at)
    SELECT g.id, g.user_id, current_date - d, random() < 0.7,
           CASE WHEN random() < 0.2 THEN 'Felt good today.' END,
           1 + floor(random() * 5)::int,
           (current_date - d) + time '20:00'
    FROM goals g
    JOIN users u ON u.id = g.user_id AND u.email LIKE '%@{DEMO_DOMAIN}'
    CROSS JOIN generate_series(1, :check_in_days) AS d
    WHERE g.frequency = 'daily' OR random() < 0.45
    """,
    f"""
    WITH {DEMO_USER_IDS}
    INSERT INTO posts (user_id, content, media_type, is_public, created_at)
    SELECT u.ids[1 + floor(random() * u.n)::int],
           replace(phrases[1 + floor(random() * cardinality(phrases))::int],
                   '{{n}}', (1 + floor(random() * 60))::text),
           'text', random() < 0.85, now() - random() * interval '90 days'
    FROM u, CAST(:phrases AS text[]) AS phrases, generate_series(1, :posts)
    """,
    f"""
    WITH {DEMO_USER_IDS}, {DEMO_POST_IDS}
    INSERT INTO likes (post_id, user_id, reaction_type, created_at)
    SELECT p.ids[1 + k % p.n], u.ids[1 + (k / p.n + (k % p.n) * 7919) % u.n],
           (ARRAY['like', 'like', 'like', 'cheer', 'love'])[1 + floor(random() * 5)::int],
           now() - random() * interval '60 days'
    FROM u, p, generate_series(0, :reactions - 1) AS k
    """,
    f"""
    WITH {DEMO_USER_IDS}, {DEMO_POST_IDS}
    INSERT INTO comments (post_id, user_id, content, created_at)
    SELECT p.ids[1 + floor(random() * p.n)::int], u.ids[1 + floor(random() * u.n)::int],
           texts[1 + floor(random() * cardinality(texts))::int],
           now() - random() * interval '60 days'
    FROM u, p, CAST(:comments AS text[]) AS texts, generate_series(1, :comments_count)
    """,
    f"""
    WITH {DEMO_USER_IDS}
    INSERT INTO follows (follower_id, following_id, created_at)
    SELECT u.ids[1 + k % u.n], u.ids[1 + (k % u.n + 1 + k / u.n) % u.n],
           now() - random() * interval '200 days'
    FROM u, generate_series(0, :follows - 1) AS k
    """,
)


STEPS = (
    "removing the previous demo set",
    "seeding the random generator",
    "users",
    "goals",
    "check-ins",
    "posts",
    "reactions",
    "comments",
    "follows",
)


def _quiet(step: str) -> None:
    pass


async def generate_demo_data(
    *, session: AsyncSession, sizes: DemoSizes, progress: Callable[[str], None] = _quiet
) -> dict[str, int]:
    """Replaces the demo data set with one of the given sizes; returns rows per table;
    `progress` is told each step as it starts."""
    problems = sizes.problems()
    if problems:
        raise ValueError("; ".join(problems))
    parameters = {
        **asdict(sizes),
        "phrases": list(PHRASES),
        "comments": list(COMMENTS),
        "comments_count": sizes.comments,
    }
    for number, statement in enumerate(STATEMENTS, start=1):
        progress(f"step {number}/{len(STATEMENTS) + 1}: {STEPS[number - 1]}")
        clause = text(statement)
        await session.execute(clause, {name: parameters[name] for name in clause.compile().params})
    progress(f"step {len(STATEMENTS) + 1}/{len(STATEMENTS) + 1}: achievements and statistics")
    # Achievements are evaluated at commit (migration 0011); evaluate them now, so that the
    # events they cause are dropped with the rest.
    await session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    # A generated data set is not news: drop its realtime events instead of streaming
    # millions of them, and mark them pruned so a subscriber resuming from before gets RESYNC.
    await session.execute(
        text(
            "UPDATE realtime_relay_state SET pruned_xid = pg_current_xact_id(), "
            "pruned_id = (SELECT coalesce(max(id), 0) FROM realtime_events "
            "             WHERE xid = pg_current_xact_id())"
        )
    )
    await session.execute(text("DELETE FROM realtime_events WHERE xid = pg_current_xact_id()"))
    await session.commit()
    # Fresh planner statistics: right after a bulk load they describe empty tables, and the
    # first queries (the counts below, a benchmark) would get nested loops over millions.
    for table in ("users", "goals", "check_ins", "posts", "likes", "comments", "follows"):
        await session.execute(text(f"ANALYZE {table}"))
    await session.commit()
    counts = await session.execute(
        text(
            f"""
            SELECT
              (SELECT count(*) FROM users WHERE email LIKE '%@{DEMO_DOMAIN}') AS users,
              (SELECT count(*) FROM goals g JOIN users u ON u.id = g.user_id
                 WHERE u.email LIKE '%@{DEMO_DOMAIN}') AS goals,
              (SELECT count(*) FROM check_ins c JOIN users u ON u.id = c.user_id
                 WHERE u.email LIKE '%@{DEMO_DOMAIN}') AS check_ins,
              (SELECT count(*) FROM posts p JOIN users u ON u.id = p.user_id
                 WHERE u.email LIKE '%@{DEMO_DOMAIN}') AS posts,
              (SELECT count(*) FROM likes l JOIN users u ON u.id = l.user_id
                 WHERE u.email LIKE '%@{DEMO_DOMAIN}') AS reactions,
              (SELECT count(*) FROM comments c JOIN users u ON u.id = c.user_id
                 WHERE u.email LIKE '%@{DEMO_DOMAIN}') AS comments,
              (SELECT count(*) FROM follows f JOIN users u ON u.id = f.follower_id
                 WHERE u.email LIKE '%@{DEMO_DOMAIN}') AS follows
            """
        )
    )
    return dict(counts.mappings().one())
