"""Request limits and error masking: every error has a code, nothing internal leaks."""

import logging

import httpx
import pytest

from gql.settings import Environment, Settings
from resolvers import goals as goals_service
from tests.graphql import asgi_client, error_codes, gql


def nested_query(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"followers {{ edges {{ node {{ {inner} }} }} }}"
    return f'{{ user(username: "testuser") {{ {inner} }} }}'


async def test_a_too_deep_query_is_query_too_complex(client: httpx.AsyncClient) -> None:
    body = await gql(client, nested_query(6))
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body.get("data") is None


async def test_too_many_aliases_is_query_too_complex(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f"a{n}: goalTemplates {{ id }}" for n in range(40))
    assert error_codes(await gql(client, f"{{ {aliases} }}")) == ["QUERY_TOO_COMPLEX"]


async def test_a_huge_document_is_refused_before_parsing_it_all(
    client: httpx.AsyncClient,
) -> None:
    fields = " ".join(["id"] * 5000)
    assert error_codes(await gql(client, f"{{ goalTemplates {{ {fields} }} }}")) == [
        "QUERY_TOO_COMPLEX"
    ]


async def test_unknown_fields_and_bad_syntax_are_bad_user_input(
    client: httpx.AsyncClient,
) -> None:
    assert error_codes(await gql(client, "{ nothingHere }")) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(client, "{ goalTemplates { id ")) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "arguments", ["first: 101", "first: -1", 'after: "not-a-cursor"', 'after: "' + "A" * 500 + '"']
)
async def test_out_of_range_page_arguments_are_bad_user_input(
    client: httpx.AsyncClient, arguments: str
) -> None:
    query = (
        f'{{ user(username: "testuser") {{ followers({arguments}) {{ edges {{ cursor }} }} }} }}'
    )
    assert error_codes(await gql(client, query)) == ["BAD_USER_INPUT"]


async def test_a_malformed_id_is_bad_user_input(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ post(id: "42") { id } }')
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_an_unexpected_error_is_masked_with_a_request_id_that_is_logged(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(**_: object) -> None:
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(goals_service, "list_goal_templates", broken)
    with caplog.at_level(logging.ERROR, logger="gql.errors"):
        response = await client.post(
            "/graphql",
            json={"query": "{ goalTemplates { id } }"},
            headers={"x-request-id": "req-123"},
        )
    body = response.json()
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert body["errors"][0]["extensions"]["requestId"] == "req-123"
    assert "secret" not in response.text
    assert response.headers["x-request-id"] == "req-123"
    assert any("req-123" in record.getMessage() for record in caplog.records)
    assert "SELECT secret" in caplog.text


async def test_a_request_id_is_made_when_the_client_sends_none_or_garbage(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "bad id\nwith newline"})
    assert len(response.headers["x-request-id"]) == 32


async def test_production_turns_off_introspection_and_graphiql(settings: Settings) -> None:
    production = settings.model_copy(update={"env": Environment.PRODUCTION})
    async with asgi_client(production) as http:
        body = await gql(http, "{ __schema { queryType { name } } }")
        page = await http.get("/graphql", headers={"accept": "text/html"})
        still_works = await gql(http, "{ goalTemplates { id } }")
    assert set(error_codes(body)) == {"BAD_USER_INPUT"}
    assert "introspection" in body["errors"][0]["message"].lower()
    assert page.status_code != 200 or "graphiql" not in page.text.lower()
    assert len(still_works["data"]["goalTemplates"]) == 4


async def test_an_unknown_operation_name_is_bad_user_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query A { goalTemplates { id } }", "operationName": "B"},
    )
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


async def test_a_body_that_is_not_json_is_bad_user_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 200  # an application/json client: the error in the body
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
