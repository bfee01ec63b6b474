"""Liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics)."""

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gql.realtime.state import Realtime
from gql.refusals import error_response
from gql.settings import Settings
from subscriptions import metrics
from subscriptions import relay as relay_service

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers. Dependencies are /readyz's business."""
    return JSONResponse({"status": "ok"})


def metrics_endpoint(
    realtime: "Realtime", settings: Settings
) -> Callable[[Request], Awaitable[Response]]:
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    async def metrics_page(request: Request) -> Response:
        """Prometheus text; the relay lag gauges are measured at each scrape."""
        given = request.headers.get("authorization", "")
        if token is not None and not hmac.compare_digest(given, f"Bearer {token}"):
            return error_response(401, "/metrics needs the metrics token")
        await _relay_state(realtime, settings.readiness_timeout_seconds)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return metrics_page


async def _postgres_ready(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _redis_ready(client: "redis.Redis") -> None:
    await client.ping()


async def _check(name: str, probe: Awaitable[None], seconds: float) -> str:
    try:
        await asyncio.wait_for(probe, seconds)
    except Exception as error:  # any failure means not ready; the reason goes to the log
        log.warning("readiness: %s unavailable: %r", name, error)
        return f"unavailable ({type(error).__name__})"
    return "ok"


async def _relay_state(realtime: Realtime, seconds: float) -> dict[str, Any]:
    role = realtime.relay.role.value if realtime.relay else "disabled"
    try:
        async with asyncio.timeout(seconds), realtime.pool.acquire() as connection:
            events, lag_seconds = await relay_service.lag(connection)
    except Exception as error:  # reported, not fatal: readiness is Postgres and Redis
        log.warning("relay lag unknown: %r", error)
        return {"role": role, "lagEvents": None, "lagSeconds": None}
    metrics.RELAY_LAG_EVENTS.set(events)
    metrics.RELAY_LAG_SECONDS.set(lag_seconds)
    return {"role": role, "lagEvents": events, "lagSeconds": round(lag_seconds, 3)}


def readyz_endpoint(
    engine: AsyncEngine, client: "redis.Redis", realtime: Realtime, timeout: float
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def readyz(request: Request) -> JSONResponse:
        """Ready when Postgres and Redis both answer within the timeout (else 503); also
        reports this instance's relay role and the relay's lag."""
        postgres, redis_state, relay = await asyncio.gather(
            _check("postgres", _postgres_ready(engine), timeout),
            _check("redis", _redis_ready(client), timeout),
            _relay_state(realtime, timeout),
        )
        ready = postgres == "ok" and redis_state == "ok"
        body = {
            "status": "ok" if ready else "unavailable",
            "checks": {"postgres": postgres, "redis": redis_state},
            "relay": relay,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz
