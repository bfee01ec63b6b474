"""Alembic migrations and the functions that apply them to a database."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

# Any constant works; it only has to be the same for every instance migrating this database.
MIGRATION_LOCK_KEY = 0x6D6F6D656E74  # "moment"


# Tables created by hand-written SQL (xid8 columns, no ORM model): autogenerate leaves them.
SQL_ONLY_TABLES = frozenset({"realtime_events", "realtime_relay_state", "achievement_checks"})
# Indexes on expressions, which autogenerate cannot compare.
SQL_ONLY_INDEXES = frozenset({"idx_challenge_participants_ranking"})


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic filter, applied before reflection: everything but the SQL-only objects."""
    return not (
        (type_ == "table" and name in SQL_ONLY_TABLES)
        or (type_ == "index" and name in SQL_ONLY_INDEXES)
    )


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = connection
    return config


def _run(connection: Connection, action: str, revision: str) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    config = alembic_config(connection)
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


def head_revision() -> str:
    """The revision `upgrade` goes to."""
    head = ScriptDirectory(str(Path(__file__).parent)).get_current_head()
    assert head is not None
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrades the database, one migrator at a time across all instances."""
    async with engine.begin() as connection:
        await connection.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_run, "downgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        exists = await connection.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
        if not exists:
            return None
        revision: str | None = await connection.scalar(
            text("SELECT version_num FROM alembic_version")
        )
        return revision
