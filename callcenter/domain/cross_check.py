"""The running cross-check: per interval (15 minutes by default) and queue, the calls
queue_log says were answered (CONNECT) and abandoned (ABANDON, EXITWITHTIMEOUT,
EXITEMPTY: the exits AMI also reports as QueueCallerAbandon) against what the
daemon stored.  Pure: the shell feeds the entries it reads and the stored calls.

Calls are matched by the caller's Uniqueid (queue_log's callid), not only counted
by time: the daemon stamps a call when the event reaches it, queue_log with the
second Asterisk wrote the line, so a call at an interval's edge may fall on either
side.  A stored call counts in the interval queue_log puts it in; one queue_log
never mentions counts where the daemon's own time puts it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from callcenter.domain.queue_log import ABANDONS, Connected, Entry, Left

ANSWERED, ABANDONED = "answered", "abandoned"


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """A stored call as the cross-check sees it."""

    uniqueid: str
    queue: str
    outcome: str  # waiting | answered | abandoned
    answered_at: float | None
    ended_at: float | None


@dataclass(frozen=True, slots=True)
class Mismatch:
    queue: str
    start: float
    end: float
    answered: tuple[int, int]  # (queue_log, daemon)
    abandoned: tuple[int, int]
    missing: tuple[str, ...]  # callids queue_log has and the daemon does not (or not so)
    extra: tuple[str, ...]  # the daemon's calls queue_log does not know so


class Tally:
    """queue_log's answered and abandoned callers per interval and queue, as the
    entries are read; intervals are compared once, when read well past their end."""

    def __init__(self, interval_s: float, settle_s: float) -> None:
        self.interval_s = interval_s
        self.settle_s = settle_s  # read this far past an interval's end before comparing
        self._seen: dict[tuple[str, float, str], set[str]] = {}  # (kind, start, queue)
        self.complete_from: float | None = None  # the first interval read from its start
        self.read_until = 0.0
        self._checked_until: float | None = None

    def start_of(self, at: float) -> float:
        return at - at % self.interval_s

    def add(self, entries: Iterable[Entry], read_until: float) -> None:
        """Entries read in file order; `read_until`: every line up to it was read."""
        for e in entries:
            if self.complete_from is None:
                # Started reading mid-interval: that one is partial, never compared.
                self.complete_from = self.start_of(e.at) + self.interval_s
            if isinstance(e, Connected):
                kind = ANSWERED
            elif isinstance(e, Left) and e.reason in ABANDONS:
                kind = ABANDONED
            else:
                continue
            self._seen.setdefault((kind, self.start_of(e.at), e.queue), set()).add(e.callid)
        self.read_until = max(self.read_until, read_until)

    def due(self) -> list[float]:
        """Intervals read completely and not compared yet, oldest first."""
        if self.complete_from is None:
            return []
        start = self.complete_from if self._checked_until is None else self._checked_until
        out = []
        while start + self.interval_s + self.settle_s <= self.read_until:
            out.append(start)
            start += self.interval_s
        return out

    def callids(self, start: float) -> set[str]:
        return {c for (_, s, _), ids in self._seen.items() if s == start for c in ids}

    def compare(self, start: float, stored: Sequence[StoredOutcome]
                ) -> tuple[list[Mismatch], list[str]]:
        """The interval's mismatches, and the queues that agree.  `stored`: the daemon's
        calls in and around the interval, and every call queue_log names in it."""
        end = start + self.interval_s
        queues = {q for (_, s, q) in self._seen if s == start}
        queues |= {r.queue for r in stored
                   if _inside(r.answered_at, start, end) or _inside(r.ended_at, start, end)}
        found, agreed = [], []
        for queue in sorted(queues):
            mine = [r for r in stored if r.queue == queue]
            answered = self._side(ANSWERED, start, queue, mine, lambda r: r.answered_at)
            abandoned = self._side(ABANDONED, start, queue, mine, lambda r: r.ended_at)
            if answered[2] or answered[3] or abandoned[2] or abandoned[3]:
                found.append(Mismatch(queue, start, end, answered[:2], abandoned[:2],
                                      tuple(sorted(answered[2] | abandoned[2])),
                                      tuple(sorted(answered[3] | abandoned[3]))))
            else:
                agreed.append(queue)
        self._checked_until = end
        self._forget(start)
        return found, agreed

    def _side(self, kind: str, start: float, queue: str, stored: Sequence[StoredOutcome],
              at: Callable[[StoredOutcome], float | None]) -> tuple[int, int, set[str], set[str]]:
        logged = self._seen.get((kind, start, queue), set())
        nearby = (self._seen.get((kind, start - self.interval_s, queue), set())
                  | self._seen.get((kind, start + self.interval_s, queue), set()))
        daemon = {r.uniqueid for r in stored if r.outcome == kind
                  and (r.uniqueid in logged
                       or (r.uniqueid not in nearby
                           and _inside(at(r), start, start + self.interval_s)))}
        return len(logged), len(daemon), logged - daemon, daemon - logged

    def _forget(self, start: float) -> None:
        # The interval before is still needed as the next one's neighbour.
        for key in [k for k in self._seen if k[1] < start - self.interval_s]:
            del self._seen[key]


def _inside(at: float | None, start: float, end: float) -> bool:
    return at is not None and start <= at < end
