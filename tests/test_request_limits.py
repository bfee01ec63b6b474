"""What one request may cost: document limits before validation, the cost model before
execution, body size, list sizes, malformed bodies, and what production tells strangers."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import jwt
import pytest
from graphql import OperationDefinitionNode, get_introspection_query, parse
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from gql.app import create_app
from gql.http_media import GRAPHQL_JSON
from gql.query_limits import Costing
from gql.schema import create_schema
from gql.settings import Environment, Settings
from tests.graphql import asgi_client, error_codes, gql, person


@dataclass
class Served:
    http: httpx.AsyncClient
    app: Starlette
    statements: list[str]


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[Served]:
    """The app in-process, counting the SQL statements it runs."""
    app = create_app(settings)
    statements: list[str] = []
    engine: AsyncEngine = app.state.engine
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield Served(http, app, statements)


def repeated(field: str, times: int) -> str:
    """The field repeated, with varied whitespace so no cache holds the document."""
    return "{" + "".join(f"{' ' * (n % 3)}{field}\n" for n in range(times)) + "}"


async def test_a_field_repeated_hundreds_of_times_is_refused_before_validation(
    served: Served,
) -> None:
    for times in (740, 300, 120):
        body = await gql(served.http, repeated("goalTemplates{id}", times))
        assert error_codes(body) == ["QUERY_TOO_COMPLEX"], times
        assert body.get("data") is None
    assert served.statements == []


async def test_a_field_repeated_a_few_times_still_works(served: Served) -> None:
    body = await gql(served.http, repeated("goalTemplates{id}", 20))
    assert len(body["data"]["goalTemplates"]) == 4


async def test_fragments_spread_exponentially_are_refused(served: Served) -> None:
    fragments = "fragment F0 on User { id username }\n" + "\n".join(
        f"fragment F{n} on User {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 20)
    )
    body = await gql(served.http, '{ user(username: "testuser") { ...F19 } }\n' + fragments)
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_nested_lists_whose_sizes_multiply_are_refused_before_execution(
    served: Served, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        viewer = await person(db, settings)
    nested = (
        "{ feed(first: 100) { edges { node { author { posts(first: 100) { edges { node {"
        " author { posts(first: 100) { edges { node { id } } } } } } } } } } } }"
    )
    body = await gql(served.http, nested, token=viewer.token)
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert "costs" in body["errors"][0]["message"]
    assert served.statements == []


async def test_the_cost_follows_the_variables(
    served: Served, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        viewer = await person(db, settings)
    query = """query($n: Int) { feed(first: $n) { edges { node { author {
        posts(first: $n) { edges { node { id } } } } } } } }"""
    small = await gql(served.http, query, {"n": 10}, token=viewer.token)
    large = await gql(served.http, query, {"n": 100}, token=viewer.token)
    assert "errors" not in small
    assert error_codes(large) == ["QUERY_TOO_COMPLEX"]


async def test_recursive_introspection_is_refused(served: Served) -> None:
    body = await gql(
        served.http,
        "{ __schema { types { fields { type { fields { type { fields { type { name }"
        " } } } } } } } }",
    )
    assert set(error_codes(body)) == {"QUERY_TOO_COMPLEX"}


async def test_graphiql_s_introspection_query_passes_every_limit(served: Served) -> None:
    body = await gql(served.http, get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(
    served: Served, settings: Settings
) -> None:
    huge = json.dumps({"query": "{ goalTemplates { id } }", "pad": "x" * settings.max_body_bytes})
    response = await served.http.post(
        "/graphql", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


async def test_a_chunked_body_over_the_limit_is_refused_too(
    served: Served, settings: Settings
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ goalTemplates { id } }", "pad": "'
        for _ in range(settings.max_body_bytes // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    response = await served.http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_too_many_ids_are_refused_before_any_is_parsed(
    served: Served, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        viewer = await person(db, settings)
    mutation = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"
    body = await gql(served.http, mutation, {"ids": ["not-an-id"] * 101}, token=viewer.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "at most 100" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "content",
    [
        "null",
        '"a string"',
        "42",
        "[" * 100_000 + "]" * 100_000,
        '{"query": ' + "[" * 50_000 + "]" * 50_000 + "}",
        "[]",
        '{"query": 7}',
    ],
    ids=["null", "string", "number", "deep-array", "deep-query", "batch", "query-not-string"],
)
@pytest.mark.parametrize("path", ["/graphql", "/graphql/stream"])
async def test_malformed_bodies_are_request_errors_with_a_code(
    served: Served, content: str, path: str
) -> None:
    """400 on the stream endpoint and for clients accepting
    application/graphql-response+json; 200 with the error for application/json clients
    (GraphQL over HTTP)."""
    for accept, graphql_status in (("application/json", 200), (GRAPHQL_JSON, 400)):
        response = await served.http.post(
            path, content=content, headers={"content-type": "application/json", "accept": accept}
        )
        expected = graphql_status if path == "/graphql" else 400
        assert response.status_code == expected, response.text
        assert error_codes(response.json()) == ["BAD_USER_INPUT"]


async def test_a_query_sent_to_the_stream_endpoint_answers_once_then_completes(
    served: Served,
) -> None:
    response = await served.http.post("/graphql/stream", json={"query": "{ goalTemplates { id } }"})
    events = [line for line in response.text.splitlines() if line.startswith("event:")]
    assert events == ["event: next", "event: complete"]


async def test_every_response_carries_security_headers(served: Served) -> None:
    response = await served.http.post("/graphql", json={"query": "{ goalTemplates { id } }"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.fixture
async def production(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(settings.model_copy(update={"env": Environment.PRODUCTION})) as http:
        yield http


async def test_production_errors_do_not_suggest_schema_names(
    production: httpx.AsyncClient,
) -> None:
    for query in ("{ goalTemplate { id } }", "{ goalTemplates(categry: FITNESS) { id } }"):
        body = await gql(production, query)
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert "Did you mean" not in body["errors"][0]["message"]


async def test_development_errors_do_suggest_names(served: Served) -> None:
    body = await gql(served.http, "{ goalTemplate { id } }")
    assert "Did you mean 'goalTemplates'?" in body["errors"][0]["message"]


async def test_production_serves_no_metrics_unless_asked(
    production: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await production.get("/metrics")).status_code == 404
    response = await production.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_metrics_with_a_token_need_it(settings: Settings) -> None:
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-secret")})
    async with asgi_client(guarded) as http:
        refused = await http.get("/metrics")
        allowed = await http.get("/metrics", headers={"authorization": "Bearer scrape-secret"})
    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert "momentum_events_relayed_total" in allowed.text


async def test_a_bad_token_on_the_stream_endpoint_is_unauthenticated_not_anonymous(
    served: Served, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        someone = await person(db, settings)
    unsigned = jwt.encode({"sub": str(someone.id), "aud": "momentum"}, "", algorithm="none")
    for token in ("forged.token.value", unsigned, someone.token + "x"):
        response = await served.http.post(
            "/graphql/stream",
            json={"query": "subscription { sessionEvents { type } }"},
            headers={"authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401, token
        assert error_codes(response.json()) == ["UNAUTHENTICATED"]


def test_a_list_counts_at_its_declared_size() -> None:
    """`around(n)` holds 2n+1 entries: its declared size, not the default of 20."""
    settings = Settings(database_url="postgresql://unused/unused", redis_url="redis://unused")
    schema = create_schema(settings)._schema
    query = (
        'query($n: Int!) { leaderboard(challengeId: "x", first: 0) '
        "{ around(n: $n) { user { id } } } }"
    )
    document = parse(query)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    costs = [Costing(schema, {}, {"n": n}).operation(operation) for n in (1, 25)]
    # leaderboard (1) + around (1) + (2n+1) entries x their object field (user: 1)
    assert costs == [2 + 3, 2 + 51]
