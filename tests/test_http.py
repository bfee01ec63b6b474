"""The HTTP surface: liveness, readiness, and a real GraphQL query end to end."""

import httpx
import pytest

from gql.settings import Settings
from tests.graphql import asgi_client

GOAL_TEMPLATES = """
query Templates($category: GoalCategory) {
  goalTemplates(category: $category) { id title category frequency targetDays reminderTimes }
}
"""
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"
CLOSED_PORT_POSTGRES = "postgresql://root@127.0.0.1:1/nothing"


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ok_when_postgres_and_redis_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"postgres": "ok", "redis": "ok"}
    assert body["relay"]["role"] in {"starting", "standby", "leader"}
    assert body["relay"]["lagEvents"] >= 0


@pytest.mark.parametrize(
    ("broken", "setting", "url"),
    [("redis", "redis_url", CLOSED_PORT_REDIS), ("postgres", "database_url", CLOSED_PORT_POSTGRES)],
)
async def test_readyz_is_503_and_names_the_dependency_that_is_down(
    settings: Settings, broken: str, setting: str, url: str
) -> None:
    async with asgi_client(settings.model_copy(update={setting: url})) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks[broken].startswith("unavailable")
    assert url not in response.text  # no connection details leak
    healthy = "postgres" if broken == "redis" else "redis"
    assert checks[healthy] == "ok"


async def test_goal_templates_query_returns_the_sample_templates(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", json={"query": GOAL_TEMPLATES})
    assert response.status_code == 200
    templates = response.json()["data"]["goalTemplates"]
    assert [t["title"] for t in templates] == [
        "Daily Workout",
        "Gym 3x Weekly",
        "Morning Run",
        "Strength Building",
    ]
    gym = templates[1]
    assert gym["category"] == "FITNESS"
    assert gym["frequency"] == "WEEKLY"
    assert gym["targetDays"] == 3
    assert gym["reminderTimes"] == ["09:00", "18:00"]


async def test_goal_templates_filter_by_category(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": GOAL_TEMPLATES, "variables": {"category": "WELLNESS"}}
    )
    assert response.json() == {"data": {"goalTemplates": []}}


async def test_an_unknown_category_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": GOAL_TEMPLATES, "variables": {"category": "COOKING"}}
    )
    body = response.json()
    assert body.get("data") is None
    assert "COOKING" in body["errors"][0]["message"]
