"""GraphQL over HTTP: the graphql-http server audit's checks (graphql/graphql-http,
src/audits/server.ts), ported: every one, MUSTs and SHOULDs, passes."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

JSON = "application/json"
GRAPHQL_JSON = "application/graphql-response+json"
TYPENAME = {"query": "{ __typename }"}
TYPE_QUERY = "query Type($name: String!) { __type(name: $name) { name } }"
UNKNOWN_FIELD = {"query": "{ 8f31403dfe404bccbb0e835f2629c6a7 }"}
INVALID_PARAMS = {"qeury": "{ __typename }"}


async def post(
    client: httpx.AsyncClient, body: Any, accept: str | None = JSON, raw: bool = False
) -> httpx.Response:
    headers = {"content-type": JSON}
    if accept is not None:
        headers["accept"] = accept
    content = body if raw else json.dumps(body)
    return await client.post("/graphql", content=content, headers=headers)


def has_errors(response: httpx.Response) -> bool:
    return "errors" in response.json()


def no_errors(response: httpx.Response) -> bool:
    return "errors" not in response.json()


def no_data(response: httpx.Response) -> bool:
    return "data" not in response.json()


Check = Callable[[httpx.Response], bool]

# (name, body, accept, expected status, extra check); raw bodies are strings.
POSTS: list[tuple[str, Any, str | None, int, Check | None]] = [
    ("22EB graphql-response+json matched", TYPENAME, GRAPHQL_JSON, 200, None),
    ("4655 application/json matched", TYPENAME, JSON, 200, None),
    ("47DE */* gives application/json", TYPENAME, "*/*", 200, None),
    ("3715 missing query, json: 200 with errors", {"notquery": "{ __typename }"}, JSON, 200,
     has_errors),
    ("6610 missing query, graphql json: 400", {"notquery": "{ __typename }"}, GRAPHQL_JSON, 400,
     None),
    ("13EE string query, json", TYPENAME, JSON, 200, no_errors),
    ("34A2 string query, graphql json", TYPENAME, GRAPHQL_JSON, 200, None),
    ("B8B3 string operationName, json", {"operationName": "Query",
     "query": "query Query { __typename }"}, JSON, 200, no_errors),
    ("8161 string operationName, graphql json", {"operationName": "Query",
     "query": "query Query { __typename }"}, GRAPHQL_JSON, 200, None),
    ("28B9 map variables, json", {"query": TYPE_QUERY, "variables": {"name": "x"}}, JSON, 200,
     no_errors),
    ("2EA1 map variables, graphql json", {"query": TYPE_QUERY, "variables": {"name": "x"}},
     GRAPHQL_JSON, 200, None),
    ("1B7A map extensions, json", {**TYPENAME, "extensions": {"some": "value"}}, JSON, 200,
     no_errors),
    ("428F map extensions, graphql json", {**TYPENAME, "extensions": {"some": "value"}},
     GRAPHQL_JSON, 200, None),
    ("D477 bad JSON, json: 200", '{ "not a JSON', JSON, 200, None),
    ("F5AF invalid parameters, json: 200", INVALID_PARAMS, JSON, 200, None),
    ("572B parse failure, json: 200", {"query": "{"}, JSON, 200, None),
    ("FDE2 validation failure, json: 200", UNKNOWN_FIELD, JSON, 200, None),
    ("2163 bad JSON, graphql json: 400", '{ "not a JSON', GRAPHQL_JSON, 400, None),
    ("17C5/34D6 invalid parameters, graphql json: 400 without data", INVALID_PARAMS,
     GRAPHQL_JSON, 400, no_data),
    ("556A/D586 parse failure, graphql json: 400 without data", {"query": "{"}, GRAPHQL_JSON,
     400, no_data),
    ("74FF/5E5B validation failure, graphql json: 400 without data", UNKNOWN_FIELD,
     GRAPHQL_JSON, 400, no_data),
]  # fmt: skip
for parameter in ("variables", "operationName", "extensions"):
    POSTS.append((f"94B/022 null {parameter}", {**TYPENAME, parameter: None}, JSON, 200, no_errors))
    POSTS.append((f"94B null {parameter}, graphql json", {**TYPENAME, parameter: None},
                  GRAPHQL_JSON, 200, no_errors))  # fmt: skip
INVALID: list[Any] = [{"obj": "ect"}, 0, False, ["array"]]
for invalid in INVALID:
    POSTS.append((f"4F5 {invalid!r} query", {"query": invalid}, GRAPHQL_JSON, 400, None))
    POSTS.append((f"9FE {invalid!r} query", {"query": invalid}, JSON, 200, has_errors))
    POSTS.append((f"E3E {invalid!r} operationName", {**TYPENAME, "operationName": invalid},
                  GRAPHQL_JSON, 400, None))  # fmt: skip
    POSTS.append((f"FB9 {invalid!r} operationName", {**TYPENAME, "operationName": invalid},
                  JSON, 200, has_errors))  # fmt: skip
INVALID_MAPS: list[Any] = ["string", 0, False, ["array"]]
for invalid in INVALID_MAPS:
    for parameter in ("variables", "extensions"):
        POSTS.append((f"{parameter} {invalid!r}, graphql json", {**TYPENAME, parameter: invalid},
                      GRAPHQL_JSON, 400, None))  # fmt: skip
        POSTS.append((f"{parameter} {invalid!r}, json", {**TYPENAME, parameter: invalid}, JSON,
                      200, has_errors))  # fmt: skip


@pytest.mark.parametrize(("name", "body", "accept", "status", "check"), POSTS,
                         ids=[case[0] for case in POSTS])  # fmt: skip
async def test_post(
    client: httpx.AsyncClient, name: str, body: Any, accept: str | None, status: int,
    check: Check | None,
) -> None:  # fmt: skip
    response = await post(client, body, accept, raw=isinstance(body, str))
    assert response.status_code == status, response.text
    expected_type = GRAPHQL_JSON if accept == GRAPHQL_JSON else JSON
    assert response.headers["content-type"].startswith(expected_type)
    if check is not None:
        assert check(response), response.text


async def test_get_requests_and_what_they_may_not_do(client: httpx.AsyncClient) -> None:
    plain = await client.get("/graphql", params=TYPENAME)  # 80D8, 5A70: no accept header
    assert plain.status_code == 200 and plain.headers["content-type"].startswith(JSON)
    variables = {"query": TYPE_QUERY, "variables": json.dumps({"name": "x"})}
    for accept in (JSON, GRAPHQL_JSON):  # D6D5, 6A70
        response = await client.get("/graphql", params=variables, headers={"accept": accept})
        assert response.status_code == 200 and no_errors(response)
    mutation = await client.get(  # 9C48
        "/graphql", params={"query": "mutation { __typename }"}, headers={"accept": GRAPHQL_JSON}
    )
    assert 400 <= mutation.status_code < 500


async def test_post_bodies_and_encodings(client: httpx.AsyncClient) -> None:
    bare = await client.post("/graphql")  # 9ABE: no content-type
    assert 400 <= bare.status_code < 500
    empty = await client.post("/graphql", headers={"content-type": JSON})  # 7267
    assert empty.status_code == 400 or has_errors(empty)
    utf8 = await client.post(  # BF61, 78D5, 82A3
        "/graphql",
        content=json.dumps(TYPENAME).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert utf8.status_code == 200
    utf8.content.decode("utf-8")
