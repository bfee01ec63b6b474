"""Counts the SQL statements each query sends, in-process, with whichever momentum the
interpreter running this file has installed (so another version can be counted too):

    python bench/statements.py DATABASE_URL REDIS_URL TOKEN QUERIES_JSON

QUERIES_JSON maps names to {"query", "variables"}; prints a JSON map of names to counts.
"""

import asyncio
import json
import sys
from typing import Any

from sqlalchemy import event
from starlette.types import ASGIApp, Message

from gql.app import create_app
from gql.settings import Environment, Settings


async def count(
    database_url: str, redis_url: str, token: str, queries: dict[str, dict[str, Any]]
) -> dict[str, int]:
    settings = Settings(
        env=Environment.TEST, database_url=database_url, redis_url=redis_url, relay=False
    )
    app = create_app(settings)
    counts: dict[str, int] = {}
    statements: list[str] = []

    def record(*arguments: Any) -> None:
        statements.append(arguments[2])

    async with app.router.lifespan_context(app):
        await post(app, {"query": "{ goalTemplates { id } }"}, token)  # warm the pool
        engine = app.state.engine.sync_engine
        for name, body in queries.items():
            statements.clear()
            event.listen(engine, "before_cursor_execute", record)
            answer = await post(app, body, token)
            event.remove(engine, "before_cursor_execute", record)
            assert "errors" not in answer, (name, answer)
            counts[name] = len(statements)
    return counts


async def post(app: ASGIApp, body: dict[str, Any], token: str) -> Any:
    """POSTs a GraphQL request to the app in-process (no HTTP client needed)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    request = json.dumps(body).encode()
    chunks: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": request, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return json.loads(b"".join(chunks))


if __name__ == "__main__":
    database, redis, bearer, queries_json = sys.argv[1:5]
    print(json.dumps(asyncio.run(count(database, redis, bearer, json.loads(queries_json)))))
