"""Alembic environment: runs on the connection handed in by migrations.upgrade/downgrade."""

from alembic import context

import models
from migrations import include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `momentum migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=models.Base.metadata,
    compare_type=True,
    include_name=include_name,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
