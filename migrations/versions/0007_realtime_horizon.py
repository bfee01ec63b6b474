"""realtime: the settled horizon of the event log, scoped to this database

Revision ID: 0007_realtime_horizon
Revises: 0006_challenge_scores

Events are read once their transaction is older than every transaction that could still add
an event before them. The snapshot's xmin (the rule until now) counts transactions of every
database of the cluster, so a transaction left open in another database held all delivery
back. `realtime_horizon()` leaves out the transactions that sessions of other databases hold
(they cannot write this database's log), and prepared transactions of other databases. A
transaction is only left out while it is seen running elsewhere; one that ends between the
snapshot and the check is kept in, which errs towards waiting, never towards skipping.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_realtime_horizon"
down_revision: str | None = "0006_challenge_scores"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# STABLE and one statement: it sees the calling query's snapshot.
HORIZON = """
CREATE FUNCTION realtime_horizon() RETURNS xid8 LANGUAGE sql STABLE AS $$
    WITH elsewhere AS (
        SELECT lock.transactionid AS xid
        FROM pg_locks lock JOIN pg_stat_activity session ON session.pid = lock.pid
        WHERE lock.locktype = 'transactionid' AND lock.mode = 'ExclusiveLock' AND lock.granted
          AND session.datname IS DISTINCT FROM current_database()
        UNION ALL
        SELECT transaction FROM pg_prepared_xacts WHERE database <> current_database()
    )
    SELECT coalesce(
        (SELECT min(running) FROM pg_snapshot_xip(pg_current_snapshot()) AS running
         WHERE running::xid NOT IN (SELECT xid FROM elsewhere)),
        pg_snapshot_xmax(pg_current_snapshot()))
$$
"""


def upgrade() -> None:
    op.execute(HORIZON)
    op.execute(
        "COMMENT ON FUNCTION realtime_horizon() IS 'events with xid below it are settled: "
        "no transaction of this database can still add one before them'"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION realtime_horizon()")
