"""Row policies of the tables `tableChanges` streams, the RLS replacement: each has an SQL
form (which rows a viewer may read) and an in-memory form (whether one loaded row is the
viewer's to see), tested to agree on the same rows, and the topics that route its events
to a viewer.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_


@dataclass(frozen=True)
class OwnedBy:
    """Rows visible to the users their columns name (an owner, or both people of a
    pair); each column is a routing key of the table's capture."""

    columns: tuple[str, ...]

    def where(self, model: Any, viewer_id: uuid.UUID) -> ColumnElement[bool]:
        return or_(*(getattr(model, column) == viewer_id for column in self.columns))

    def allows(self, row: Any, viewer_id: uuid.UUID) -> bool:
        return any(getattr(row, column) == viewer_id for column in self.columns)

    def topics(self, table: str, viewer_id: uuid.UUID) -> set[str]:
        return {f"{column}:{viewer_id}" for column in self.columns}

    @property
    def deciding(self) -> tuple[str, ...]:
        """The columns whose change can change who may see a row."""
        return self.columns


@dataclass(frozen=True)
class Listed:
    """Rows visible to everyone signed in while their flag column is true (a public
    catalogue); the table's capture routes every event to `table:<name>`."""

    flag: str

    def where(self, model: Any, viewer_id: uuid.UUID) -> ColumnElement[bool]:
        flag: ColumnElement[bool] = getattr(model, self.flag)
        return flag

    def allows(self, row: Any, viewer_id: uuid.UUID) -> bool:
        return bool(getattr(row, self.flag))

    def topics(self, table: str, viewer_id: uuid.UUID) -> set[str]:
        return {f"table:{table}"}

    @property
    def deciding(self) -> tuple[str, ...]:
        return (self.flag,)


RowPolicy = OwnedBy | Listed
