"""GraphQL over HTTP (the graphql-over-http spec): the response media type a client asked
for, and what a request error looks like under each.

`application/graphql-response+json`, when the client accepts it: request errors (bad JSON,
bad parameters, a document that does not parse or validate, variables that do not coerce)
are 400 without a `data` entry; a response with `data` is 200. `application/json` (asked
for, `*/*`, or no Accept): every GraphQL response is 200, request errors included, as
clients of that media type expect.
"""

import json

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from starlette.responses import Response

JSON = "application/json"
GRAPHQL_JSON = "application/graphql-response+json"


def negotiate(accept: str | None) -> str:
    """GRAPHQL_JSON when the client accepts it at least as much as application/json."""
    if not accept:
        return JSON
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[media.strip().lower()] = quality
    graphql = weights.get(GRAPHQL_JSON, 0.0)
    return GRAPHQL_JSON if graphql > 0 and graphql >= weights.get(JSON, 0.0) else JSON


def parameter_problem(query: object, operation_name: object) -> str | None:
    """What is wrong with a request's parameters, beyond what Strawberry checks (None:
    nothing)."""
    if not isinstance(query, str):
        return "the request needs a `query` string"
    if operation_name is not None and not isinstance(operation_name, str):
        return "`operationName` must be a string or null"
    return None


def request_error(message: str, media: str, *, status: int = 400) -> Response:
    """A request error: 400 (or the status given) under GRAPHQL_JSON, 200 under JSON."""
    body = {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}
    shown = status if media == GRAPHQL_JSON or status != 400 else 200
    return Response(json.dumps(body), status_code=shown, media_type=media)


def in_media(response: Response, media: str) -> Response:
    """A GraphQL response in the media type negotiated: under GRAPHQL_JSON, a response
    with errors and no data that no field raised (a document or variables refused before
    execution) is a request error: 400, without `data`."""
    content_type = response.headers.get("content-type", "")
    if media != GRAPHQL_JSON or not content_type.startswith(JSON):
        return response
    body = bytes(response.body)
    status = response.status_code
    if status == 200 and b'"errors"' in body:
        result = json.loads(body)
        errors = result.get("errors") or []
        if result.get("data") is None and not any("path" in error for error in errors):
            result.pop("data", None)
            body, status = json.dumps(result).encode(), 400
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    headers["content-type"] = f"{GRAPHQL_JSON}; charset=utf-8"
    return Response(body, status_code=status, headers=headers)


async def asks_for_subscription(request: Request) -> bool:
    """Whether a JSON POST's operation is a subscription (which plain HTTP cannot answer)."""
    if "application/json" not in request.headers.get("content-type", ""):
        return False
    body = await request.body()
    if b"subscription" not in body:
        return False
    try:
        data = json.loads(body)
        query, name = data.get("query"), data.get("operationName")
        if not isinstance(query, str) or not isinstance(name, str | None):
            return False
        operation = get_operation_ast(parse(query), name)
    except (ValueError, AttributeError, RecursionError, GraphQLError):
        return False
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION
