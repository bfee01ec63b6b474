"""GraphQL types of staff tools."""

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gql.conversion import fields_from
from gql.scalars import json_or_none
from models import admin as admin_models


@strawberry.type
class AuditLogEntry:
    id: strawberry.ID
    admin_user_id: strawberry.ID | None
    action: str
    resource_type: str
    resource_id: strawberry.ID | None
    old_values: JSON | None
    new_values: JSON | None
    ip_address: str | None
    user_agent: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, entry: admin_models.AuditLog) -> "AuditLogEntry":
        return cls(
            **fields_from(
                cls,
                entry,
                old_values=json_or_none(entry.old_values),
                new_values=json_or_none(entry.new_values),
                ip_address=str(entry.ip_address) if entry.ip_address else None,
            )
        )
