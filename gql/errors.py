"""Every GraphQL error leaves with extensions.code; unexpected ones are masked and logged."""

import logging
import re

from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError

from resolvers.errors import DomainError

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Internal server error"
TOO_COMPLEX = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed|more than \d+ tokens"
    r"|Maximum introspection depth exceeded",
    re.I,
)


def request_id_of(context: object) -> str:
    request = getattr(context, "request", None)
    state = getattr(request, "state", None)
    return str(getattr(state, "request_id", "unknown"))


def assign_code(error: GraphQLError, request_id: str) -> None:
    """Gives the error its extensions.code, in place: domain errors keep their message,
    request errors become BAD_USER_INPUT or QUERY_TOO_COMPLEX, database refusals their
    code, and anything else INTERNAL_SERVER_ERROR with the request id (and a log entry with
    the stack trace). Unexpected errors never show their message to the client."""
    if error.extensions and "code" in error.extensions:
        return
    original = error.original_error
    extensions = dict(error.extensions or {})
    if isinstance(original, DomainError):
        extensions.update(original.details, code=original.code)
        error.message = original.message
    elif isinstance(original, DBAPIError) and (refusal := database_refusal(original)):
        extensions["code"], error.message = refusal
    elif original is None or isinstance(original, GraphQLError):
        too_complex = TOO_COMPLEX.search(error.message)
        extensions["code"] = "QUERY_TOO_COMPLEX" if too_complex else "BAD_USER_INPUT"
    else:
        log.error(
            "unexpected error in GraphQL operation (request id %s)",
            request_id,
            exc_info=(type(original), original, original.__traceback__),
        )
        extensions.update(code="INTERNAL_SERVER_ERROR", requestId=request_id)
        error.message = INTERNAL_MESSAGE
    error.extensions = extensions


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
