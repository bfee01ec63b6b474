"""Root query fields for staff."""

import strawberry

from gql.admin.types import AuditLogEntry
from gql.context import Info
from gql.pagination import Connection
from resolvers import admin as admin_service


@strawberry.type
class AdminQueries:
    @strawberry.field(description="The audit log, newest first (admins only).")
    async def audit_logs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditLogEntry]:
        async with info.context.sessionmaker() as session:
            page = await admin_service.audit_logs_page(
                session=session, viewer_id=info.context.signed_in_id, first=first, after=after
            )
        return Connection.from_page(page, AuditLogEntry.from_model)
