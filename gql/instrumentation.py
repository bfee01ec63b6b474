"""Operation latency and open websockets, for /metrics."""

import time
from collections.abc import Iterator

from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from subscriptions import metrics


class OperationTiming(SchemaExtension):
    """Observes each query and mutation's duration, labelled by operation type."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        try:
            operation = self.execution_context.operation_type
        except RuntimeError:
            return  # not parsed, or no such operation: nothing to label it with
        if operation is not OperationType.SUBSCRIPTION:
            metrics.OPERATION_SECONDS.labels(operation.value).observe(time.perf_counter() - started)


TRANSPORT_SEND = "momentum.transport_send"


class SocketCounter:
    """Counts open websocket connections, and keeps the server's own `send` of each in its
    scope (under TRANSPORT_SEND): subscription groups write frames through it directly."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        scope[TRANSPORT_SEND] = send
        metrics.OPEN_SOCKETS.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            metrics.OPEN_SOCKETS.dec()
