"""`GET /dev/outbox`: the newest emails queued for the mailer, as JSON, so that sign-up,
reset and email-change links can be followed without a mail server. Served only outside
production (the messages hold live links)."""

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse

from models.notifications import OutboundEmail

SHOWN = 50


def outbox_endpoint(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def outbox(request: Request) -> JSONResponse:
        async with sessionmaker() as session:
            mails = await session.scalars(
                select(OutboundEmail)
                .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id)
                .limit(SHOWN)
            )
            body = [
                {
                    "to": mail.to_address,
                    "template": mail.template,
                    "data": mail.data,
                    "createdAt": mail.created_at.isoformat(),
                    "sentAt": mail.sent_at.isoformat() if mail.sent_at else None,
                }
                for mail in mails
            ]
        return JSONResponse(body)

    return outbox
