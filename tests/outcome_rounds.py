"""Many distinct outcomes from the recorded calls: every fixture's outcomes, again and
again, with the ids made unique per copy and the times moved on, so each copy is new
work for the store (new calls, tickets, history rows) and no two history rows are
alike."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from callcenter.domain import outcomes as oc
from tests.replay import load, run

_IDS = ("linkedid", "uniqueid", "leg_uniqueid")
COPY_S = 1000.0  # each copy of a recording this much later than the last


def recorded_outcomes() -> list[list[oc.Outcome]]:
    """Each recorded scenario's outcomes."""
    return [run(load("inbound", path.stem))[1]
            for path in sorted((Path(__file__).parent / "fixtures" / "inbound").glob("*.json"))]


def _moved(outcome: oc.Outcome, n: int) -> oc.Outcome:
    shift = n * COPY_S
    changes: dict[str, object] = {f: f"{getattr(outcome, f)}.{n}" for f in _IDS
                                  if hasattr(outcome, f)}
    for name in ("at", "started_at"):
        if hasattr(outcome, name):
            changes[name] = getattr(outcome, name) + shift
    if isinstance(outcome, oc.AgentStateChanged) and outcome.current_linkedid:
        changes["current_linkedid"] = f"{outcome.current_linkedid}.{n}"
    if isinstance(outcome, oc.QueueChanged) and outcome.oldest_joined_at is not None:
        changes["oldest_joined_at"] = outcome.oldest_joined_at + shift
    moved: oc.Outcome = dataclasses.replace(outcome, **changes)  # type: ignore[arg-type]
    return moved


def rounds(count: int, scenarios: list[list[oc.Outcome]] | None = None) -> Iterator[oc.Outcome]:
    """`count` rounds of every scenario, each scenario copy with its own ids and times."""
    recorded = scenarios if scenarios is not None else recorded_outcomes()
    n = 0
    for _ in range(count):
        for scenario in recorded:
            for outcome in scenario:
                yield _moved(outcome, n)
            n += 1
