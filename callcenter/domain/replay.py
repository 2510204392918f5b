"""Feed a recorded stream to a tracker as the live daemon would: timers fire at
their deadlines between events, so live-raised violations replay faithfully."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from callcenter.domain.clock import ManualClock
from callcenter.domain.events import Event
from callcenter.domain.outcomes import Outcome
from callcenter.domain.tracker import Tracker


def replay(tracker: Tracker, clock: ManualClock,
           stream: Iterable[tuple[float, Event | None]],
           until: float | None = None,
           sink: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """`stream` yields (time, event); None events just move the clock."""
    outcomes: list[Outcome] = []
    emit = sink or outcomes.append

    def run_timers(upto: float) -> None:
        deadline = tracker.next_deadline()
        while deadline is not None and deadline <= upto:
            clock.set(max(clock.now(), deadline))
            for outcome in tracker.tick():
                emit(outcome)
            following = tracker.next_deadline()
            if following is not None and following <= deadline:
                break  # nothing moved: avoid spinning on a stale deadline
            deadline = following

    for at, event in stream:
        run_timers(at)
        clock.set(max(clock.now(), at))
        if event is not None:
            for outcome in tracker.handle(event):
                emit(outcome)
    if until is not None:
        run_timers(until)
    return outcomes
