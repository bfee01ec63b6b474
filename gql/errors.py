"""Every GraphQL error leaves with extensions.code; unexpected ones are masked and logged."""

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.errors import DomainError

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Internal server error"
TOO_COMPLEX = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed|more than \d+ tokens", re.I
)


def request_id_of(context: object) -> str:
    request = getattr(context, "request", None)
    state = getattr(request, "state", None)
    return str(getattr(state, "request_id", "unknown"))


def coded(
    error: GraphQLError, code: str, message: str | None = None, **extra: object
) -> GraphQLError:
    return GraphQLError(
        message or error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), **extra, "code": code},
    )


class ErrorCodes(SchemaExtension):
    """Maps domain errors to their codes, request errors to BAD_USER_INPUT or
    QUERY_TOO_COMPLEX, and anything else to INTERNAL_SERVER_ERROR with the request id."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        request_id = request_id_of(self.execution_context.context)
        result.errors = [self._code(error, request_id) for error in result.errors]

    def _code(self, error: GraphQLError, request_id: str) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            return coded(error, original.code, original.message, **original.details)
        if original is None or isinstance(original, GraphQLError):
            code = "QUERY_TOO_COMPLEX" if TOO_COMPLEX.search(error.message) else "BAD_USER_INPUT"
            return coded(error, code)
        log.error(
            "unexpected error in GraphQL operation (request id %s)",
            request_id,
            exc_info=(type(original), original, original.__traceback__),
        )
        return coded(error, "INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE, requestId=request_id)
