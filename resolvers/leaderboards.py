"""Leaderboard reads over the scores the database keeps (migration 0006).

Order: score descending, then who reached the score first (`score_version`, which takes a new
value from one sequence whenever a score changes). Rank is competition ranking: 1 plus the
number of participants with a strictly higher score, so equal scores share a rank (1, 2, 2, 4).
Every read uses an index; the ranks come from the score histogram the database keeps
(challenge_score_counts), so a page of any size and any number of viewers' ranks cost the
same few small queries, however many participants there are.
"""

import bisect
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from models.challenges import ChallengeParticipant, ChallengeScoreCount
from resolvers.errors import BadUserInput

MAX_ENTRIES = 100
MAX_AROUND = 25
P = ChallengeParticipant


@dataclass(frozen=True)
class Standing:
    user_id: uuid.UUID
    score: int
    reached_at: datetime
    score_version: int


@dataclass(frozen=True)
class RankedStanding:
    user_id: uuid.UUID
    score: int
    reached_at: datetime
    rank: int


@dataclass(frozen=True)
class Ranking:
    """One consistent read of a challenge's leaderboard: the top entries and the score
    histogram that ranks any score."""

    version: int
    total: int
    top: Sequence[Standing]
    scores: Sequence[int]  # distinct scores held, ascending
    at_or_above: Sequence[int]  # participants whose score is >= scores[i]

    @classmethod
    def from_histogram(
        cls, *, version: int, top: Sequence[Standing], histogram: Mapping[int, int]
    ) -> "Ranking":
        scores = sorted(histogram)
        at_or_above = list(accumulate(histogram[score] for score in reversed(scores)))[::-1]
        total = at_or_above[0] if scores else 0
        return cls(version, total, top, scores, at_or_above)

    def rank_of(self, score: int) -> int:
        """The competition rank of a score: 1 + participants with a strictly higher one."""
        index = bisect.bisect_right(self.scores, score)
        return 1 + (self.at_or_above[index] if index < len(self.scores) else 0)

    def ranked(self, standings: Sequence[Standing]) -> list[RankedStanding]:
        return [
            RankedStanding(s.user_id, s.score, s.reached_at, self.rank_of(s.score))
            for s in standings
        ]


def entry_count(first: int) -> int:
    if not 0 <= first <= MAX_ENTRIES:
        raise BadUserInput(f"first must be between 0 and {MAX_ENTRIES}", field="first")
    return first


def _active(challenge_id: uuid.UUID) -> ColumnElement[bool]:
    return (P.challenge_id == challenge_id) & (P.status == "active")


_COLUMNS = (P.user_id, P.score, P.reached_at, P.score_version)


async def read_ranking(*, session: AsyncSession, challenge_id: uuid.UUID, first: int) -> Ranking:
    """The top `first` standings, the histogram and the version, from one snapshot. Call it
    first on a fresh session: later reads in that session share the snapshot."""
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    version = await session.scalar(
        select(func.coalesce(func.max(P.score_version), 0)).where(P.challenge_id == challenge_id)
    )
    histogram = (
        await session.execute(
            select(ChallengeScoreCount.score, ChallengeScoreCount.participants).where(
                ChallengeScoreCount.challenge_id == challenge_id,
                ChallengeScoreCount.participants > 0,
            )
        )
    ).all()
    top = (
        await session.execute(
            select(*_COLUMNS)
            .where(_active(challenge_id))
            .order_by(-P.score, P.score_version)
            .limit(first)
        )
    ).all()
    return Ranking.from_histogram(
        version=int(version or 0),
        top=[Standing(*row) for row in top],
        histogram={score: count for score, count in histogram},
    )


async def standings_of(
    *, session: AsyncSession, challenge_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Standing]:
    """The standings of these users among the active participants (absent when not)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(*_COLUMNS).where(_active(challenge_id), P.user_id.in_(user_ids))
    )
    return {row.user_id: Standing(*row) for row in rows}


async def around(
    *, session: AsyncSession, challenge_id: uuid.UUID, standing: Standing, n: int
) -> list[Standing]:
    """Up to n entries just above a standing, the standing itself, and up to n just below."""
    if not 0 <= n <= MAX_AROUND:
        raise BadUserInput(f"n must be between 0 and {MAX_AROUND}", field="n")
    key = tuple_(-P.score, P.score_version)
    own = (-standing.score, standing.score_version)
    above = await session.execute(
        select(*_COLUMNS)
        .where(_active(challenge_id), key < own)
        .order_by((-P.score).desc(), P.score_version.desc())
        .limit(n)
    )
    below = await session.execute(
        select(*_COLUMNS)
        .where(_active(challenge_id), key > own)
        .order_by(-P.score, P.score_version)
        .limit(n)
    )
    return [
        *reversed([Standing(*row) for row in above]),
        standing,
        *(Standing(*row) for row in below),
    ]
