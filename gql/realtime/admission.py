"""Admission control for handshakes: how many sockets (and SSE streams) may be setting up at
once on this instance, and what happens to the rest.

A handshake holds a slot from its connection_init (an SSE stream: from its request) until
its first subscription is live (READY) or HOLD_SECONDS pass, whichever is first. Beyond
`in_flight` handshakes the next ones wait in arrival order, without connection_ack; a
handshake that would make more than `queue` wait, or that waited `wait_seconds`, is refused
with close code 1013 (Try Again Later: graphql-ws clients retry it with backoff). Nothing is
half-accepted: a socket is acknowledged only once admitted.
"""

import asyncio
import collections
import contextlib
from dataclasses import dataclass, field

from subscriptions import metrics

HOLD_SECONDS = 5.0  # a handshake that never subscribes gives its slot back after this


@dataclass(eq=False)
class Slot:
    """One admitted handshake's place; released once (by its first READY, its hold timer or
    its connection's end)."""

    admission: "Admission"
    released: bool = False
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        if self.timer is not None:
            self.timer.cancel()
        self.admission._leave()


class Refused(Exception):
    """The instance is at capacity: try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"server busy: try again in {retry_after} s")
        self.retry_after = retry_after


class Admission:
    def __init__(self, *, in_flight: int, queue: int, wait_seconds: float) -> None:
        self._in_flight = in_flight
        self._queue = queue
        self._wait_seconds = wait_seconds
        self._admitted = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def enter(self) -> Slot:
        """A slot, after waiting for one if all are taken; Refused when too many wait or the
        wait is over."""
        if self._admitted < self._in_flight and not self._waiting:
            self._admitted += 1
            return self._slot()
        if len(self._waiting) >= self._queue:
            raise self._refused()
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            async with asyncio.timeout(self._wait_seconds):
                await turn
        except TimeoutError:
            if not _granted(turn):
                self._forget(turn)
                raise self._refused() from None
        except BaseException:  # the connection went away while it waited
            if _granted(turn):
                self._leave()
            else:
                self._forget(turn)
            raise
        return self._slot()

    def _slot(self) -> Slot:
        slot = Slot(self)
        slot.timer = asyncio.get_running_loop().call_later(HOLD_SECONDS, slot.release)
        return slot

    def _forget(self, turn: "asyncio.Future[None]") -> None:
        with contextlib.suppress(ValueError):
            self._waiting.remove(turn)

    def _leave(self) -> None:
        """A slot is free: it passes to the longest waiting handshake, if any."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._admitted -= 1

    def _refused(self) -> Refused:
        """The refusal, counted, with a hint of when the queue has likely moved on."""
        metrics.HANDSHAKES_REFUSED.inc()
        return Refused(retry_after=max(1, round(self._wait_seconds / 2)))


def _granted(turn: "asyncio.Future[None]") -> bool:
    return turn.done() and not turn.cancelled()
