"""Notifications: their delivery, marking all read and deleting, the owner's only."""

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.graphql import Person, error_codes, gql, people

LIST = """{ notifications(first: 50) { edges { node {
  id readAt channel deliveryStatus sentAt deliveredAt } } } }"""
MARK_ALL = "mutation { markAllNotificationsRead }"
DELETE = "mutation($ids: [ID!]!) { deleteNotifications(ids: $ids) }"


async def notified(engine: AsyncEngine, *users: Person) -> None:
    async with engine.begin() as db:
        for user in users:
            await db.execute(
                text(
                    "INSERT INTO notification_history (user_id, notification_type, title, "
                    "channel, delivery_status, sent_at) VALUES "
                    "(:u, 'system', 'a', 'push', 'sent', now()), (:u, 'system', 'b', 'in_app', "
                    "'pending', NULL)"
                ),
                {"u": user.id},
            )


async def listed(client: httpx.AsyncClient, user: Person) -> list[dict[str, object]]:
    body = await gql(client, LIST, token=user.token)
    return [edge["node"] for edge in body["data"]["notifications"]["edges"]]


async def test_marking_all_read_and_deleting_touch_only_the_viewers_own(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    me, other = await people(engine, settings, 2)
    await notified(engine, me, other)
    mine = await listed(client, me)
    assert sorted((n["channel"], n["deliveryStatus"]) for n in mine) == [
        ("in_app", "pending"),
        ("push", "sent"),
    ]
    assert (await gql(client, MARK_ALL, token=me.token))["data"] == {"markAllNotificationsRead": 2}
    assert (await gql(client, MARK_ALL, token=me.token))["data"] == {"markAllNotificationsRead": 0}
    assert all(n["readAt"] is not None for n in await listed(client, me))
    assert all(n["readAt"] is None for n in await listed(client, other))
    theirs = [str(n["id"]) for n in await listed(client, other)]
    ids = [str(mine[0]["id"]), *theirs]
    assert (await gql(client, DELETE, {"ids": ids}, token=me.token))["data"] == {
        "deleteNotifications": 1
    }  # the other's ids are ignored
    assert len(await listed(client, me)) == 1
    assert len(await listed(client, other)) == 2
    too_many = await gql(client, DELETE, {"ids": ["x"] * 101}, token=me.token)
    assert error_codes(too_many) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(client, MARK_ALL)) == ["UNAUTHENTICATED"]
