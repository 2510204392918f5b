"""The figures supervisors' reports are made of, and how each KPI is computed from
them.  Pure: the sums are kept per interval (domain/kpi_intervals.py) and rolled up
by addition, so every KPI here is a ratio of sums, never an average of averages.

Service level (服务水平), as contact centers mean it:

    answered within T s of joining the queue
    ----------------------------------------------------------------- x 100
    answered + abandoned after the short-abandon threshold (+ options)

T (`sl_threshold_s`, 20 s) and the short-abandon threshold (`short_abandon_s`, 5 s)
are settings; which exits count in the denominator is switchable, as in Genesys'
service-level settings (`ServiceLevelTerms`).  Thresholds are applied when a call
leaves the queue: a change applies to calls from then on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

# The sums kept per queue and interval.  `longest_wait_s` is a maximum, not a sum.
QUEUE_FIGURES = (
    "offered",            # every caller who left the queue, however
    "answered",           # connected to an agent
    "answered_in_sl",     # answered with wait <= T
    "answered_in_rings",  # answered before the ring budget ran out (three rings)
    "abandoned",          # hung up while waiting, wait >= short_abandon_s
    "abandoned_in_sl",    # of those, wait <= T
    "short_abandoned",    # hung up while waiting, wait < short_abandon_s
    "timeouts",           # the queue's timeout (EXITWITHTIMEOUT)
    "exit_key",           # left by a key (EXITWITHKEY, keep-your-place)
    "exit_empty",         # no agent left (EXITEMPTY)
    "wait_answered_s",    # sum of the answered callers' waits
    "wait_s",             # sum of every caller's wait
    "longest_wait_s",     # maximum wait of any caller
    "handled",            # calls ended by an agent (talk time known)
    "talk_s",
    "wrapup_s",
)
AGENT_FIGURES = (
    "answered", "missed_rings", "violations", "talk_s", "wrapup_s", "paused_s",
    "logged_in_s", "available_s",
)
MAXIMA = frozenset({"longest_wait_s"})


@dataclass(frozen=True, slots=True)
class ServiceLevelTerms:
    """What counts in service level (Genesys' service-level calculation options).

    * `abandoned` (on): callers who hung up after the short-abandon threshold are in
      the denominator, as calls that missed the target.
    * `short_abandoned` (off): callers who hung up within the short-abandon threshold
      are in the denominator too (most centers leave them out: misdials, changed minds).
    * `timeouts` (off): callers the queue's timeout took out are in the denominator.
    * `exits` (off): callers who left by a key (keep-your-place) or because the queue
      had no agent (EXITEMPTY) are in the denominator.
    * `abandoned_in_sl_met` (off): callers who abandoned (after the short threshold)
      within T count as met in the numerator ("abandons within threshold are positive").
    """

    abandoned: bool = True
    short_abandoned: bool = False
    timeouts: bool = False
    exits: bool = False
    abandoned_in_sl_met: bool = False


@dataclass(frozen=True, slots=True)
class KpiRules:
    sl_threshold_s: float = 20.0
    short_abandon_s: float = 5.0
    terms: ServiceLevelTerms = field(default_factory=ServiceLevelTerms)

    def is_short(self, wait_s: float) -> bool:
        return wait_s < self.short_abandon_s

    def within_sl(self, wait_s: float) -> bool:
        # As Asterisk's own servicelevel: holdtime <= servicelevel.
        return wait_s <= self.sl_threshold_s


def add(into: dict[str, float], figures: Mapping[str, float]) -> None:
    """Roll figures up: sums add, maxima take the larger."""
    for name, value in figures.items():
        if name in MAXIMA:
            into[name] = max(into.get(name, 0.0), value)
        else:
            into[name] = into.get(name, 0.0) + value


def total(rows: Iterable[Mapping[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for row in rows:
        add(out, row)
    return out


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return None if whole <= 0 else round(part * scale / whole, 1)


def service_level_pct(f: Mapping[str, float], rules: KpiRules) -> float | None:
    """None when no call counts (no answer and no abandon): not 0, not 100."""
    t = rules.terms
    met = f.get("answered_in_sl", 0.0)
    if t.abandoned_in_sl_met:
        met += f.get("abandoned_in_sl", 0.0)
    counted = f.get("answered", 0.0)
    counted += f.get("abandoned", 0.0) if t.abandoned else 0.0
    counted += f.get("short_abandoned", 0.0) if t.short_abandoned else 0.0
    counted += f.get("timeouts", 0.0) if t.timeouts else 0.0
    counted += f.get("exit_key", 0.0) + f.get("exit_empty", 0.0) if t.exits else 0.0
    return _ratio(met, counted, 100.0)


def three_ring_pct(f: Mapping[str, float]) -> float | None:
    return _ratio(f.get("answered_in_rings", 0.0), f.get("answered", 0.0), 100.0)


def abandon_rate_pct(f: Mapping[str, float]) -> float | None:
    """Abandoned ÷ (offered - short abandons): short abandons are left out of both."""
    return _ratio(f.get("abandoned", 0.0),
                  f.get("offered", 0.0) - f.get("short_abandoned", 0.0), 100.0)


def asa_s(f: Mapping[str, float]) -> float | None:
    return _ratio(f.get("wait_answered_s", 0.0), f.get("answered", 0.0))


def avg_wait_s(f: Mapping[str, float]) -> float | None:
    return _ratio(f.get("wait_s", 0.0), f.get("offered", 0.0))


def aht_s(f: Mapping[str, float]) -> float | None:
    return _ratio(f.get("talk_s", 0.0) + f.get("wrapup_s", 0.0), f.get("handled", 0.0))


def occupancy_pct(f: Mapping[str, float]) -> float | None:
    handle = f.get("talk_s", 0.0) + f.get("wrapup_s", 0.0)
    return _ratio(handle, handle + f.get("available_s", 0.0), 100.0)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One row of `callcenter report queues`: the names are fixed (scripts use them)."""

    queue: str
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timeouts: int
    service_level_pct: float | None
    three_ring_pct: float | None
    asa_s: float | None
    avg_wait_s: float | None
    longest_wait_s: float
    aht_s: float | None


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent: str
    interface: str
    answered: int
    missed_rings: int
    violations: int
    talk_s: float
    wrapup_s: float
    paused_s: float
    logged_in_s: float
    occupancy_pct: float | None
    ratings: int
    complaints: int
    points: int


QUEUE_COLUMNS = tuple(f.name for f in fields(QueueRow))
AGENT_COLUMNS = tuple(f.name for f in fields(AgentRow))


def queue_row(queue: str, f: Mapping[str, float], rules: KpiRules) -> QueueRow:
    return QueueRow(
        queue=queue, offered=int(f.get("offered", 0)), answered=int(f.get("answered", 0)),
        abandoned=int(f.get("abandoned", 0)), short_abandoned=int(f.get("short_abandoned", 0)),
        timeouts=int(f.get("timeouts", 0)), service_level_pct=service_level_pct(f, rules),
        three_ring_pct=three_ring_pct(f), asa_s=asa_s(f), avg_wait_s=avg_wait_s(f),
        longest_wait_s=round(f.get("longest_wait_s", 0.0), 1), aht_s=aht_s(f))


def agent_row(agent: str, interface: str, f: Mapping[str, float], *, ratings: int = 0,
              complaints: int = 0, points: int = 0) -> AgentRow:
    return AgentRow(
        agent=agent, interface=interface, answered=int(f.get("answered", 0)),
        missed_rings=int(f.get("missed_rings", 0)), violations=int(f.get("violations", 0)),
        talk_s=round(f.get("talk_s", 0.0), 1), wrapup_s=round(f.get("wrapup_s", 0.0), 1),
        paused_s=round(f.get("paused_s", 0.0), 1),
        logged_in_s=round(f.get("logged_in_s", 0.0), 1), occupancy_pct=occupancy_pct(f),
        ratings=ratings, complaints=complaints, points=points)
