"""A Python client of momentum with the `gql` library: logs in, then prints the changes of
the viewer's meals as they happen (graphql-transport-ws over a websocket, resuming from
READY).

    python3 -m venv .venv-example
    .venv-example/bin/pip install -r examples/requirements.txt
    .venv-example/bin/python examples/live_meals.py --url ws://127.0.0.1:8000/graphql \\
        --email test@fitnudge.app --password momentum-dev-password

It prints one JSON line per change (READY first) and stops after --count changes (default:
never).
"""

import argparse
import asyncio
import json

from gql.transport.websockets import WebsocketsTransport

from gql import Client, gql

LOG_IN = gql(
    """mutation($email: String!, $password: String!) {
      logIn(email: $email, password: $password) { accessToken } }"""
)
MEALS = gql(
    """subscription { tableChanges(table: MEAL_LOGS) {
      cursor operation record { ... on MealLog { name calories } } } }"""
)


def transport(url: str, token: str | None = None) -> WebsocketsTransport:
    payload = {"authorization": f"Bearer {token}"} if token else {}
    return WebsocketsTransport(
        url=url,
        init_payload=payload,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )


async def main(url: str, email: str, password: str, count: int | None) -> None:
    async with Client(transport=transport(url)) as anonymous:
        signed_in = await anonymous.execute(
            LOG_IN, variable_values={"email": email, "password": password}
        )
    token = signed_in["logIn"]["accessToken"]
    async with Client(transport=transport(url, token)) as session:
        seen = 0
        async for result in session.subscribe(MEALS):
            print(json.dumps(result["tableChanges"]), flush=True)
            seen += 1
            if count is not None and seen >= count:
                return


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="ws://127.0.0.1:8000/graphql")
    parser.add_argument("--email", default="test@fitnudge.app")
    parser.add_argument("--password", default="momentum-dev-password")
    parser.add_argument("--count", type=int, default=None)
    options = parser.parse_args()
    asyncio.run(main(options.url, options.email, options.password, options.count))
