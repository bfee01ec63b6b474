"""The pieces under the realtime API: capture declarations, one Redis subscription per
topic, and the metrics an operator watches."""

import asyncio
import uuid

import httpx
import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from subscriptions.capture import REALTIME_TABLES
from subscriptions.hub import Gap, Hub
from subscriptions.log import POSITION_TOPIC, Cursor, LogEvent
from subscriptions.redis_backend import SupervisedRedisBackend


async def test_the_database_captures_exactly_the_declared_tables_with_their_keys(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as db:
        rows = await db.execute(
            text(
                "SELECT c.relname, encode(t.tgargs, 'escape') AS args FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'trg_%_realtime_insert'"
            )
        )
        captured = {
            row.relname: tuple(part for part in row.args.split("\\000") if part) for row in rows
        }
    assert captured == {table: capture.keys for table, capture in REALTIME_TABLES.items()}


async def test_many_local_subscribers_of_a_topic_share_one_redis_subscription(
    settings: Settings,
) -> None:
    assert settings.redis_url is not None
    backend = SupervisedRedisBackend(settings.redis_url)
    hub = Hub(backend, prefix=settings.redis_prefix + "hubtest:")
    probe = redis.Redis.from_url(settings.redis_url)
    channel = hub.channel("topic")
    await hub.start()
    try:
        async with (
            hub.subscribe(frozenset({"topic"})),
            hub.subscribe(frozenset({"topic"})),
            hub.subscribe(frozenset({"topic"})) as third,
        ):

            async def subscriptions() -> int:
                counts = dict(await probe.pubsub_numsub(channel))
                return int(counts.get(channel.encode(), 0))

            for _ in range(100):
                if await subscriptions() == 1:
                    break
                await asyncio.sleep(0.05)
            assert await subscriptions() == 1
            assert hub.topic_count == 1
            event = LogEvent(
                cursor=Cursor(1, 1), table="goals", operation="INSERT", row_id=uuid.uuid4(), keys={}
            )
            await probe.publish(channel, event.to_json())
            received = await asyncio.wait_for(third.get(), 5)
            while isinstance(received, Gap):  # every (re)connection sends one first
                received = await asyncio.wait_for(third.get(), 5)
            assert received == event
        for _ in range(100):
            if await subscriptions() == 0:
                break
            await asyncio.sleep(0.05)
        assert hub.topic_count == 0
        assert await subscriptions() == 0
    finally:
        await hub.stop()
        await probe.aclose()


async def test_metrics_expose_the_realtime_and_api_figures(client: httpx.AsyncClient) -> None:
    await client.post("/graphql", json={"query": "{ goalTemplates { id } }"})
    body = (await client.get("/metrics")).text
    for name in (
        "momentum_events_relayed_total",
        "momentum_relay_leader",
        "momentum_relay_lag_events",
        "momentum_redis_reconnects_total",
        "momentum_hub_subscribers",
        "momentum_subscriber_overflows_total",
        "momentum_open_websockets",
        'momentum_graphql_operation_seconds_count{operation_type="query"}',
    ):
        assert name in body, name


async def test_a_topic_left_and_taken_again_at_once_starts_from_a_known_position(
    settings: Settings,
) -> None:
    assert settings.redis_url is not None
    backend = SupervisedRedisBackend(settings.redis_url)
    hub = Hub(backend, prefix=settings.redis_prefix + "rejoin:")
    probe = redis.Redis.from_url(settings.redis_url)
    await hub.start()
    try:
        async with asyncio.timeout(10):
            while hub.now is None:  # the relay's position, as it publishes it
                await probe.publish(hub.channel(POSITION_TOPIC), "7.1")
                await asyncio.sleep(0.05)
        for _ in range(5):
            async with hub.subscribe(frozenset({"topic"})) as subscriber:
                assert subscriber.start == Cursor(7, 1)
    finally:
        await hub.stop()
        await probe.aclose()
