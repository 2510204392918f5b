"""Today's rating split per queue for the wallboard (满意 / 一般 / 不满意), pure.

A ticket counts once, with the rating it carries now, in the queue of its call, on the
day it was last rated (its `rated_at`, in the center's time zone).  Both sources count:
the caller's key in the post-call survey (`ivr`) and a rating set on the desk (`staff`);
the view says how many came from each.  The split starts from what the store holds for
today (`seed`) and moves with every `RatingChanged` the survey and the desk publish, so
no figure needs a query to stay current; at midnight it starts again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.domain.clock import Clock
from callcenter.domain.ticket_rules import RATINGS

SOURCES = ("ivr", "staff")  # tickets.service BY_CALLER, BY_STAFF


@dataclass(frozen=True, slots=True)
class Rating:
    """A ticket's rating as stored."""

    rating: str
    source: str
    at: float  # rated_at


@dataclass(frozen=True, slots=True)
class RatingChanged:
    """A ticket's rating was set or changed (the survey, or the desk)."""

    ticket_id: int
    queue: str
    before: Rating | None
    after: Rating


def rating_change(ticket_id: int, queue: str, before: Rating | None,
                  after: Rating | None) -> RatingChanged | None:
    """The change to publish, or None when the stored rating is what it was."""
    if after is None or after == before:
        return None
    return RatingChanged(ticket_id, queue, before, after)


def stored_rating(rating: str | None, source: str | None, at: float | None) -> Rating | None:
    """A ticket's rating columns as a `Rating` (None: not rated)."""
    if not rating or at is None:
        return None
    return Rating(rating, source or "staff", at)


Seed = Mapping[str, Mapping[tuple[str, str], int]]  # queue -> (rating, source) -> tickets


class RatingSplit:
    def __init__(self, tz: ZoneInfo, clock: Clock, seed: Seed | None = None,
                 seed_day: date | None = None) -> None:
        self.tz = tz
        self.clock = clock
        self.day = self._today()
        self._starts, self._ends = self._bounds(self.day)
        self.counts: dict[str, Counter[tuple[str, str]]] = {}
        if seed is not None and seed_day == self.day:
            self.counts = {q: Counter(c) for q, c in seed.items()}

    def _today(self) -> date:
        return datetime.fromtimestamp(self.clock.now(), self.tz).date()

    def _bounds(self, day: date) -> tuple[float, float]:
        start = datetime.combine(day, time(), tzinfo=self.tz)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.tz)
        return start.timestamp(), end.timestamp()

    def roll_day(self) -> bool:
        if self.clock.now() < self._ends:
            return False
        self.day = self._today()
        self._starts, self._ends = self._bounds(self.day)
        self.counts = {}
        return True

    def _today_has(self, r: Rating | None) -> bool:
        return r is not None and self._starts <= r.at < self._ends

    def apply(self, changes: Iterable[RatingChanged]) -> set[str]:
        """The queues whose split changed."""
        self.roll_day()
        changed: set[str] = set()
        for c in changes:
            counts = self.counts.setdefault(c.queue, Counter())
            if c.before is not None and self._today_has(c.before):
                key = (c.before.rating, c.before.source)
                if counts[key] > 0:
                    counts[key] -= 1
                    changed.add(c.queue)
            if self._today_has(c.after) and c.after.rating in RATINGS:
                counts[(c.after.rating, c.after.source)] += 1
                changed.add(c.queue)
        return changed

    def view(self, queue: str) -> dict[str, object]:
        counts = self.counts.get(queue, Counter())
        by_rating = {r: sum(counts[(r, s)] for s in SOURCES) for r in RATINGS}
        rated = sum(by_rating.values())
        view: dict[str, object] = {"queue": queue, "rated": rated}
        for r in RATINGS:
            view[r] = by_rating[r]
            # % of today's rated calls; None rather than a misleading 0 % before any
            view[f"{r}_pct"] = round(100.0 * by_rating[r] / rated, 1) if rated else None
        for s in SOURCES:
            view[f"by_{s}"] = sum(counts[(r, s)] for r in RATINGS)
        return view

    def views(self) -> list[dict[str, object]]:
        self.roll_day()
        return [self.view(q) for q in sorted(self.counts) if sum(self.counts[q].values())]
