"""Every GraphQL error leaves with extensions.code; unexpected ones are masked and logged."""

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError
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


# SQLSTATE classes of rows the database refused, and what the client is told.
DATABASE_REFUSALS = {
    "23505": ("CONFLICT", "this conflicts with an existing record"),
    "23503": ("NOT_FOUND", "a referenced record does not exist"),
    "23514": ("BAD_USER_INPUT", "a value is out of the allowed range"),
    "23502": ("BAD_USER_INPUT", "a required value is missing"),
    "22001": ("BAD_USER_INPUT", "a value is too long"),
    "22P02": ("BAD_USER_INPUT", "a value has the wrong format"),
    "22007": ("BAD_USER_INPUT", "a date or time is invalid"),
    "22008": ("BAD_USER_INPUT", "a date or time is out of range"),
    "22003": ("BAD_USER_INPUT", "a number is out of range"),
}


def database_refusal(error: DBAPIError) -> tuple[str, str] | None:
    """(code, message) for a constraint or data error the database raised, else None."""
    cause = getattr(error.orig, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(error.orig, "sqlstate", None)
    return DATABASE_REFUSALS.get(str(sqlstate)) if sqlstate else None


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
        if isinstance(original, DBAPIError) and (refusal := database_refusal(original)):
            return coded(error, *refusal)
        if original is None or isinstance(original, GraphQLError):
            code = "QUERY_TOO_COMPLEX" if TOO_COMPLEX.search(error.message) else "BAD_USER_INPUT"
            return coded(error, code)
        log.error(
            "unexpected error in GraphQL operation (request id %s)",
            request_id,
            exc_info=(type(original), original, original.__traceback__),
        )
        return coded(error, "INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE, requestId=request_id)
