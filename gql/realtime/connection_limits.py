"""How many sockets and SSE streams one account and one client address may hold open on this
instance."""

import uuid
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class TooManyConnections(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConnectionLimits:
    def __init__(self, *, per_user: int, per_address: int) -> None:
        self._per_user = per_user
        self._per_address = per_address
        self._open: Counter[Hashable] = Counter()

    @contextmanager
    def address(self, address: str | None) -> Iterator[None]:
        """Holds one connection of a client address (the proxy's, behind one)."""
        with self._hold(("address", address), self._per_address, "from this address"):
            yield

    @contextmanager
    def user(self, user_id: uuid.UUID) -> Iterator[None]:
        """Holds one connection of an account."""
        with self._hold(("user", user_id), self._per_user, "for this account"):
            yield

    @contextmanager
    def _hold(self, key: Hashable, limit: int, whose: str) -> Iterator[None]:
        if self._open[key] >= limit:
            raise TooManyConnections(f"too many open connections {whose} (at most {limit})")
        self._open[key] += 1
        try:
            yield
        finally:
            self._open[key] -= 1
            if not self._open[key]:
                del self._open[key]

    @property
    def held(self) -> int:
        """Connections held, all keys together (each connection counts once per key)."""
        return sum(self._open.values())
