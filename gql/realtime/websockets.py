"""The websocket protocols (graphql-transport-ws and legacy graphql-ws) with the server's
rules: one connection_init per socket, within MOMENTUM_WS_INIT_TIMEOUT_SECONDS, authenticated
once (what it authenticated is what the socket is, for its whole life); each operation is
told where its frames go (the fan-out engine writes them straight to the socket)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from functools import partial
from typing import Any, Protocol

from graphql import GraphQLError, OperationType, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage

from gql.context import Context
from gql.realtime.close_codes import CloseCode
from gql.realtime.endings import end_connection
from gql.realtime.sink import CURRENT_SINK, Sink
from gql.selections import operation_of
from subscriptions.accounts import Ending

log = logging.getLogger(__name__)

Refusal = tuple[CloseCode, str]

SOCKET: ContextVar[contextlib.AsyncExitStack | None] = ContextVar("momentum_socket", default=None)
"""What one websocket holds (its account guard, its place in the connection limits), released
when the socket ends."""


class SocketAcceptor(Protocol):
    shared_execution: bool  # whether operations' frames go through the fan-out engine

    async def accept_socket(self, context: Context) -> Refusal | None:
        """Authenticates a socket from its connection_init; a refusal closes it."""


def _shares(view: object) -> bool:
    acceptor: SocketAcceptor = view  # type: ignore[assignment]
    return acceptor.shared_execution


@contextlib.asynccontextmanager
async def socket_scope() -> AsyncIterator[contextlib.AsyncExitStack]:
    """Wraps one websocket connection: what its connection_init takes is released here."""
    async with contextlib.AsyncExitStack() as stack:
        token = SOCKET.set(stack)
        try:
            yield stack
        finally:
            SOCKET.reset(token)


def end_socket(context: Context, reason: Ending) -> None:
    """The account guard's ending of a websocket: FORCE_LOGOUT then 4001 or 4003, or 4002."""
    websocket = context.request
    end_connection(context, reason, partial(close_quietly, websocket))


async def close_quietly(websocket: Any, code: int, reason: str) -> None:
    """Closes the socket unless the client already did."""
    with contextlib.suppress(RuntimeError):
        await websocket.close(code=code, reason=reason)


def _init_payload(message: Any) -> dict[str, object] | None:
    """connection_init's payload (absent or null: empty), or None when it is not an object."""
    payload = message.get("payload")
    if payload is None:
        return {}
    return payload if isinstance(payload, dict) else None


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = _init_payload(message)
        if payload is None:
            await self.websocket.close(CloseCode.BAD_REQUEST, "Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(CloseCode.TOO_MANY_INITS, "Too many initialisation requests")
            return
        self.connection_init_received = True
        self.context.connection_params = payload
        acceptor: SocketAcceptor = self.view  # type: ignore[assignment]
        refusal = await acceptor.accept_socket(self.context)
        if refusal is not None:
            await self.websocket.close(*refusal)
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        if _shares(self.view):
            CURRENT_SINK.set(
                Sink.of(
                    self.websocket,
                    operation.id,
                    "next",
                    operation.variables,
                    lambda: not operation.completed,
                )
            )
        await super().run_operation(operation)


def _is_subscription(query: str, operation_name: str | None) -> bool:
    """Whether the operation a legacy `start` names is a subscription (a document that does
    not parse goes the subscription way, which reports the error)."""
    try:
        operation = operation_of(parse(query), operation_name)
    except GraphQLError:
        return True
    return operation is None or operation.operation is OperationType.SUBSCRIPTION


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """Legacy graphql-ws (subscriptions-transport-ws), held to the same connection_init rules
    as graphql-transport-ws: a second init closes the socket with 4429, no init in time with
    4408."""

    init_received = False

    async def handle(self) -> None:
        timeout = asyncio.create_task(self._close_without_init(), name="legacy-init-timeout")
        try:
            await super().handle()
        finally:
            timeout.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timeout

    async def _close_without_init(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.init_received:
            await close_quietly(
                self.websocket, CloseCode.INIT_TIMEOUT, "Connection initialisation timeout"
            )

    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        if self.init_received:
            await self.websocket.close(CloseCode.TOO_MANY_INITS, "Too many initialisation requests")
            return
        self.init_received = True
        payload = _init_payload(message)
        if payload is None:
            await self._refuse((CloseCode.BAD_REQUEST, "Invalid connection init payload"))
            return
        self.context.connection_params = payload
        acceptor: SocketAcceptor = self.view  # type: ignore[assignment]
        refusal = await acceptor.accept_socket(self.context)
        if refusal is not None:
            await self._refuse(refusal)
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        if self.keep_alive:
            self.keep_alive_task = asyncio.create_task(self.handle_keep_alive())

    async def _refuse(self, refusal: Refusal) -> None:
        code, reason = refusal
        await self.send_message({"type": "connection_error", "payload": {"message": reason}})
        await self.websocket.close(code, reason)

    async def handle_start(self, message: StartMessage) -> None:
        operation_id = message.get("id")
        payload = message.get("payload")
        if (
            not isinstance(operation_id, str)
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
        ):
            await self.websocket.close(CloseCode.BAD_REQUEST, "Invalid start message")
            return
        await super().handle_start(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        if not _is_subscription(query, operation_name):
            # A query or mutation: subscriptions-transport-ws clients (Apollo's
            # WebSocketLink) send every operation over the socket. One `data`, `complete`.
            try:
                result = await self.schema.execute(
                    query,
                    variable_values=variables,
                    operation_name=operation_name,
                    context_value=self.context,
                    root_value=self.root_value,
                )
                await self.send_data_message(result, operation_id)
                await self.send_message({"type": "complete", "id": operation_id})
            finally:
                self.tasks.pop(operation_id, None)
            return
        if _shares(self.view):
            CURRENT_SINK.set(
                Sink.of(
                    self.websocket,
                    operation_id,
                    "data",
                    variables,
                    lambda: operation_id in self.tasks,
                )
            )
        await super().handle_async_results(operation_id, query, operation_name, variables)
