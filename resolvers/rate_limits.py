"""Fixed-window rate limits kept in Redis, so they hold across all instances."""

import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as redis
from redis.exceptions import RedisError

from resolvers.errors import RateLimited, ServiceUnavailable

UNAVAILABLE_RETRY_SECONDS = 5


@dataclass(frozen=True)
class Limit:
    """At most `count` attempts per `seconds`-long window."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Limit":
        """From "COUNT/SECONDS", e.g. "20/60"."""
        try:
            count, seconds = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"a rate limit is COUNT/SECONDS, not {text!r}") from None
        if count < 1 or seconds < 1:
            raise ValueError(f"a rate limit needs COUNT and SECONDS of at least 1: {text!r}")
        return cls(count, seconds)


@dataclass(frozen=True)
class RateLimiter:
    client: "redis.Redis"
    prefix: str
    limits: Mapping[str, Limit]

    async def hit(self, action: str, subject: str) -> None:
        """Counts one attempt of `action` by `subject`; RateLimited once over the limit."""
        limit = self.limits[action]
        now = time.time()
        window = int(now // limit.seconds)
        key = f"{self.prefix}ratelimit:{action}:{subject}:{window}"
        try:
            async with self.client.pipeline(transaction=True) as pipeline:
                pipeline.incr(key)
                pipeline.expire(key, limit.seconds + 1)
                attempts, _ = await pipeline.execute()
        except (RedisError, OSError):
            # Limits guard writes that cost; without Redis they are refused, not let through.
            raise ServiceUnavailable(
                "rate limiting is unavailable; retry shortly", retryAfter=UNAVAILABLE_RETRY_SECONDS
            ) from None
        if attempts > limit.count:
            retry_after = max(1, int((window + 1) * limit.seconds - now + 0.999))
            raise RateLimited(
                f"too many {action} attempts; retry in {retry_after} s", retryAfter=retry_after
            )
