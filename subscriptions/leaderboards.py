"""Live leaderboards: one board per challenge per instance, computing one snapshot per tick
for all of its local watchers.

A board follows its challenge's participant changes (scores move through them) and the
challenge row itself. Any change marks it dirty; it then reads the ranking once (a handful of
queries, whatever the number of watchers) and hands each watcher its view: the top entries it
asked for and its own standing. Ticks are at most `per_second` per challenge, so a burst of
check-ins becomes a few snapshots, the last one current. A watcher keeps only the newest
snapshot it has not taken yet, so a slow client skips snapshots instead of queueing them, and
gets nothing when its view did not change.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.challenges import Challenge
from models.users import User
from resolvers import challenges as challenges_service
from resolvers import leaderboards
from resolvers import users as users_service
from resolvers.errors import NotFound
from resolvers.leaderboards import RankedStanding, Ranking, Standing
from subscriptions import metrics
from subscriptions.hub import Hub, Subscriber

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One watcher's view of a leaderboard."""

    challenge_id: uuid.UUID
    ranking: Ranking
    entries: tuple[RankedStanding, ...]
    users: Mapping[uuid.UUID, User]
    standing: Standing | None

    @property
    def content(self) -> object:
        """What the watcher sees, without the version: equal content is not sent again."""
        viewer_rank = self.ranking.rank_of(self.standing.score) if self.standing else None
        return self.entries, self.ranking.total, self.standing, viewer_rank


@dataclass(eq=False)
class Watcher:
    viewer_id: uuid.UUID
    first: int
    _latest: Snapshot | NotFound | None = None
    _sent: object = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, item: Snapshot | NotFound) -> None:
        if isinstance(item, Snapshot):
            if item.content == self._sent:
                return
            self._sent = item.content
        self._latest = item
        self._ready.set()

    def __aiter__(self) -> "Watcher":
        return self

    async def __anext__(self) -> Snapshot:
        """The newest snapshot not taken yet; NOT_FOUND when the challenge went away."""
        await self._ready.wait()
        self._ready.clear()
        item, self._latest = self._latest, None
        if isinstance(item, NotFound):
            raise item
        assert item is not None
        return item


class Board:
    def __init__(
        self,
        challenge_id: uuid.UUID,
        *,
        hub: Hub,
        sessionmaker: async_sessionmaker[AsyncSession],
        per_second: float,
    ) -> None:
        self.challenge_id = challenge_id
        self.watchers: set[Watcher] = set()
        self._hub = hub
        self._sessionmaker = sessionmaker
        self._interval = 1 / per_second
        self._dirty = asyncio.Event()
        self._stopped = False
        self._task = asyncio.create_task(self._run(), name=f"board-{challenge_id}")

    def add(self, watcher: Watcher) -> None:
        self.watchers.add(watcher)
        self._dirty.set()

    async def stop(self) -> None:
        self._stopped = True
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        topics = frozenset({f"challenge_id:{self.challenge_id}", f"id:{self.challenge_id}"})
        async with self._hub.subscribe(topics) as live:
            follower = asyncio.create_task(self._follow(live))
            try:
                while not self._stopped:
                    await self._dirty.wait()
                    self._dirty.clear()
                    started = asyncio.get_running_loop().time()
                    await self._tick_or_retry()
                    elapsed = asyncio.get_running_loop().time() - started
                    # Coalescing: changes arriving meanwhile wait for the next tick.
                    await asyncio.sleep(max(0.0, self._interval - elapsed))
            finally:
                follower.cancel()
                with suppress(asyncio.CancelledError):
                    await follower

    async def _follow(self, live: Subscriber) -> None:
        while True:
            await live.get()  # a change or a GAP: either way, recompute
            self._dirty.set()

    async def _tick_or_retry(self) -> None:
        try:
            await self._tick()
        except Exception:
            log.exception("leaderboard %s: snapshot failed; retrying", self.challenge_id)
            self._dirty.set()

    async def _tick(self) -> None:
        watchers = list(self.watchers)
        if not watchers:
            return
        first = max(watcher.first for watcher in watchers)
        viewer_ids = list({watcher.viewer_id for watcher in watchers})
        async with self._sessionmaker() as session:
            ranking = await leaderboards.read_ranking(
                session=session, challenge_id=self.challenge_id, first=first
            )
            challenge = await session.get(Challenge, self.challenge_id)
            allowed = await _allowed_viewers(session, challenge, viewer_ids)
            standings = await leaderboards.standings_of(
                session=session, challenge_id=self.challenge_id, user_ids=viewer_ids
            )
            users = await users_service.users_by_ids(
                session=session, ids=[standing.user_id for standing in ranking.top]
            )
        metrics.LEADERBOARD_TICKS.inc()
        shown = {user.id: user for user in users if user is not None and user.is_active}
        entries = tuple(ranking.ranked(ranking.top))
        for watcher in watchers:
            if watcher.viewer_id not in allowed:
                watcher.offer(NotFound("challenge not found"))
                continue
            watcher.offer(
                Snapshot(
                    challenge_id=self.challenge_id,
                    ranking=ranking,
                    entries=entries[: watcher.first],
                    users=shown,
                    standing=standings.get(watcher.viewer_id),
                )
            )


async def _allowed_viewers(
    session: AsyncSession, challenge: Challenge | None, viewer_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which viewers may still see the challenge (the challenges policy, for many at once)."""
    if challenge is None or challenge.deleted_at is not None:
        return set()
    if challenge.visibility == "public":
        return set(viewer_ids)
    members = await challenges_service.members_among(
        session=session, challenge_id=challenge.id, user_ids=viewer_ids
    )
    return {viewer for viewer in viewer_ids if viewer == challenge.owner_id or viewer in members}


class Boards:
    """The boards of one instance, started with their first watcher, stopped with their
    last."""

    def __init__(
        self, hub: Hub, sessionmaker: async_sessionmaker[AsyncSession], *, per_second: float
    ) -> None:
        self._hub = hub
        self._sessionmaker = sessionmaker
        self._per_second = per_second
        self._boards: dict[uuid.UUID, Board] = {}

    @asynccontextmanager
    async def watch(
        self, challenge_id: uuid.UUID, *, viewer_id: uuid.UUID, first: int
    ) -> AsyncIterator[Watcher]:
        board = self._boards.get(challenge_id)
        if board is None:
            board = self._boards[challenge_id] = Board(
                challenge_id,
                hub=self._hub,
                sessionmaker=self._sessionmaker,
                per_second=self._per_second,
            )
        watcher = Watcher(viewer_id, first)
        board.add(watcher)
        try:
            yield watcher
        finally:
            board.watchers.discard(watcher)
            if not board.watchers and self._boards.get(challenge_id) is board:
                del self._boards[challenge_id]
                await board.stop()

    async def stop(self) -> None:
        boards, self._boards = list(self._boards.values()), {}
        for board in boards:
            await board.stop()
