"""Staff roles and the audit log. Policy: admin tables are readable by active admins only."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.admin import AdminUser, AuditLog
from resolvers.errors import Forbidden, Unauthenticated
from resolvers.pagination import Order, Page, fetch_page

AUDIT_ORDER = Order(AuditLog.created_at, AuditLog.id)


async def staff_role(*, session: AsyncSession, user_id: uuid.UUID | None) -> str | None:
    """The user's active staff role (admin, moderator, support), or None."""
    if user_id is None:
        return None
    return await session.scalar(
        select(AdminUser.role).where(AdminUser.user_id == user_id, AdminUser.is_active)
    )


async def require_role(
    *, session: AsyncSession, user_id: uuid.UUID | None, roles: tuple[str, ...]
) -> AdminUser:
    if user_id is None:
        raise Unauthenticated("sign in first")
    staff = await session.scalar(
        select(AdminUser).where(
            AdminUser.user_id == user_id, AdminUser.is_active, AdminUser.role.in_(roles)
        )
    )
    if staff is None:
        raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
    return staff


async def audit_logs_page(
    *, session: AsyncSession, viewer_id: uuid.UUID | None, first: int | None, after: str | None
) -> Page[AuditLog]:
    await require_role(session=session, user_id=viewer_id, roles=("admin",))
    return await fetch_page(session, select(AuditLog), AUDIT_ORDER, first=first, after=after)
