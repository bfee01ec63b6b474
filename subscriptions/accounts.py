"""Account guards: every socket and stream of an account ends when the account is disabled
or deleted (by any writer), when its session version moves past the token's (signed out
everywhere, new password), or when the token it was opened with expires.

One instance-wide registry: one hub listener per signed-in user (not per socket), one timer
per guard for its token's expiry, the user's row as last read (so that another connection
of the user authenticates without a query until the row changes), and a database check
only when the user's row reports an
`is_active` or `session_version` change or its deletion, after a gap in the live feed, or
every POLL_SECONDS while Redis is down (so a disable during an outage still ends the
sockets).
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import asyncpg

from subscriptions.hub import Callback, Gap, Hub, Message

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
WATCHED = frozenset({"is_active", "session_version"})  # user columns that can end a guard


class Ending(StrEnum):
    """Why a guarded connection ends; the transports turn it into their close codes."""

    ACCOUNT_DISABLED = "account disabled"
    SIGNED_OUT = "signed out"
    TOKEN_EXPIRED = "access token expired"  # noqa: S105 (not a password)


End = Callable[[Ending], None]
"""Called once, with an Ending reason; must not block (schedule async work itself)."""


@dataclass(eq=False)
class _Guard:
    end: End
    session_version: int
    timer: asyncio.TimerHandle | None = None
    ended: bool = False

    def finish(self, reason: Ending) -> None:
        if self.ended:
            return
        self.ended = True
        if self.timer is not None:
            self.timer.cancel()
        self.end(reason)


@dataclass(eq=False)
class _User:
    """The guards of one user, the hub listener that follows the user's row, and that row
    as last read (kept until the listener hears of a change: `generation` counts them)."""

    guards: set[_Guard] = field(default_factory=set)
    listening: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    account: object | None = None
    generation: int = 0

    def forget_account(self) -> None:
        self.account = None
        self.generation += 1


class AccountGuards:
    def __init__(self, hub: Hub, pool: asyncpg.Pool) -> None:
        self._hub = hub
        self._pool = pool
        self._users: dict[uuid.UUID, _User] = {}
        self._checks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._everyone_pending = False

    def start(self) -> None:
        self._poller = asyncio.create_task(self._poll_while_disconnected(), name="account-poll")

    async def stop(self) -> None:
        tasks = [*self._checks, *([self._poller] if self._poller else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def users(self) -> int:
        """Users with at least one guarded connection here."""
        return len(self._users)

    @contextlib.asynccontextmanager
    async def guard(
        self, user_id: uuid.UUID, expires_at: datetime, session_version: int, end: End
    ) -> AsyncIterator[None]:
        """Calls `end` when the account is disabled or deleted, when its session version is
        no longer `session_version`, or at `expires_at`, while the block runs. The user's row
        is followed before the block starts: a caller that reads the account inside the
        block cannot miss a change that lands after its read."""
        guard = _Guard(end, session_version)
        user = await self._following(user_id)
        user.guards.add(guard)
        delay = (expires_at - datetime.now(UTC)).total_seconds()
        guard.timer = asyncio.get_running_loop().call_later(
            max(0.0, delay), guard.finish, Ending.TOKEN_EXPIRED
        )
        try:
            yield
        finally:
            guard.ended = True
            guard.timer.cancel()
            user.guards.discard(guard)
            if not user.guards and self._users.get(user_id) is user:
                del self._users[user_id]
                await user.listening.aclose()

    async def _following(self, user_id: uuid.UUID) -> _User:
        """The user's entry, once its hub listener is in place."""
        while (user := self._users.get(user_id)) is not None and not user.ready.is_set():
            await user.ready.wait()
        if user is not None:
            return user
        user = self._users[user_id] = _User()
        try:
            await user.listening.enter_async_context(
                self._hub.listen(frozenset({f"id:{user_id}"}), Callback(self._listener(user_id)))
            )
        except BaseException:
            del self._users[user_id]
            raise
        finally:
            user.ready.set()
        return user

    def account(self, user_id: uuid.UUID) -> object | None:
        """The user's row as this instance last read it, while it has a guarded connection
        here and no change of the row has been heard since (None: read it)."""
        user = self._users.get(user_id)
        if user is None or not user.ready.is_set() or not self._hub.connected:
            return None
        return user.account

    def mark(self, user_id: uuid.UUID) -> int | None:
        """Where the user's row stands before a read (see `remember`)."""
        user = self._users.get(user_id)
        return user.generation if user is not None else None

    def remember(self, user_id: uuid.UUID, account: object, mark: int | None) -> None:
        """Keeps a row read after `mark(user_id)`, unless a change was heard since."""
        user = self._users.get(user_id)
        if user is not None and mark is not None and user.generation == mark:
            user.account = account

    def _listener(self, user_id: uuid.UUID) -> Callable[[Message], None]:
        def on_message(message: Message) -> None:
            if isinstance(message, Gap):  # every listener hears it: one check covers all users
                for user in self._users.values():
                    user.forget_account()
                self._check_everyone_soon()
                return
            if message.table == "users" and (entry := self._users.get(user_id)) is not None:
                entry.forget_account()
            if message.table == "users" and (
                message.operation == "DELETE" or WATCHED.intersection(message.changed or ())
            ):
                self._check([user_id])

        return on_message

    def _check_everyone_soon(self) -> None:
        """One batched check of every guarded user, however many listeners heard the gap."""
        if self._everyone_pending:
            return
        self._everyone_pending = True

        def check_everyone() -> None:
            self._everyone_pending = False
            self._check(list(self._users))

        asyncio.get_running_loop().call_soon(check_everyone)

    def _check(self, user_ids: Iterable[uuid.UUID]) -> None:
        task = asyncio.create_task(self._end_disabled(list(user_ids)), name="account-check")
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _end_disabled(self, user_ids: list[uuid.UUID]) -> None:
        """Ends the guards of those users whose account is disabled or gone, and those of
        an older session version."""
        try:
            async with self._pool.acquire() as connection:
                versions: dict[uuid.UUID, int] = dict(
                    await connection.fetch(
                        "SELECT id, session_version FROM users "
                        "WHERE id = ANY($1::uuid[]) AND is_active",
                        user_ids,
                    )
                )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("account check failed (%r); retrying", error)
            await asyncio.sleep(POLL_SECONDS)
            self._check(user_ids)
            return
        for user_id in user_ids:
            user = self._users.get(user_id)
            for guard in list(user.guards) if user is not None else []:
                if user_id not in versions:
                    guard.finish(Ending.ACCOUNT_DISABLED)
                elif versions[user_id] != guard.session_version:
                    guard.finish(Ending.SIGNED_OUT)

    async def _poll_while_disconnected(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if not self._hub.connected and self._users:
                try:
                    await self._end_disabled(list(self._users))
                except Exception:  # never die: this is the only guard while Redis is away
                    log.exception("account poll failed")
