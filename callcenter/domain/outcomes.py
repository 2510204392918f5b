"""What the tracker decides: effects for the shell (store, log, later push)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_SERVER = "default"  # the one server of a single `[ami]` table


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"
    UNAVAILABLE = "unavailable"  # device unreachable (not registered, invalid)


class ViolationKind(StrEnum):
    LATE_ANSWER = "late_answer"
    NO_ANSWER = "no_answer"


class LegResult(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"  # AgentRingNoAnswer: the member's ring timeout
    CANCELLED = "cancelled"  # another agent answered, or the caller left


@dataclass(frozen=True, slots=True)
class AgentRef:
    interface: str
    name: str


@dataclass(frozen=True, slots=True)
class CallJoined:
    queue: str
    uniqueid: str
    linkedid: str
    caller_number: str
    at: float
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    queue: str
    uniqueid: str
    linkedid: str
    waited_s: float
    at: float
    caller_number: str = ""
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """An agent picked up a queue caller (every AgentConnect, transfers included)."""

    queue: str
    uniqueid: str
    linkedid: str
    agent: AgentRef
    hold_s: float
    ring_s: float
    late_answer: bool
    at: float
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class TicketOpened:
    """A caller connected to an agent: exactly one ticket per Linkedid (首问负责制)."""

    linkedid: str
    uniqueid: str
    queue: str
    caller_number: str
    owner: AgentRef
    hold_s: float
    ring_s: float
    late_answer: bool  # "apologise first"
    at: float
    # Opened from Asterisk's queue_log after the daemon missed the call (down, or the
    # AMI link was): what queue_log knows, nothing the agent saw live.
    recovered: bool = False
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class TicketParticipantAdded:
    linkedid: str
    agent: AgentRef
    queue: str
    at: float


@dataclass(frozen=True, slots=True)
class CallCompleted:
    linkedid: str
    uniqueid: str
    queue: str
    agent: AgentRef
    talk_s: float
    hangup_by: str
    at: float
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class RingLegEnded:
    leg_uniqueid: str
    linkedid: str
    queue: str
    agent: AgentRef
    started_at: float
    ring_s: float
    result: LegResult
    at: float
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class ViolationRaised:
    """Raised live the moment a leg has rung through the whole ring budget."""

    leg_uniqueid: str
    linkedid: str
    queue: str
    agent: AgentRef
    budget_s: float
    penalty_points: int
    at: float
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class ViolationSettled:
    """How the violating leg ended: answered late, or never answered."""

    leg_uniqueid: str
    kind: ViolationKind
    ring_s: float
    at: float


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    agent: AgentRef
    state: AgentState
    reason: str
    current_linkedid: str | None
    at: float
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """The live picture of a queue moved: callers waiting or agents free."""

    queue: str
    waiting: int  # keep-your-place placeholders included: they hold real places
    oldest_joined_at: float | None
    agents_available: int
    at: float
    virtual: int = 0  # of `waiting`, the keep-your-place placeholders (virtual waiters)
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class QueueSampled:
    queue: str
    waiting: int
    longest_wait_s: float
    at: float
    server: str = DEFAULT_SERVER  # the Asterisk server it happened on


@dataclass(frozen=True, slots=True)
class QueueExited:
    """A caller left the queue other than by hanging up or being answered, as queue_log
    tells (AMI reports timeouts and empty-queue exits as abandons, key exits not at
    all): `reason` is timeout | empty | key, `wait_s` queue_log's wait."""

    queue: str
    uniqueid: str
    reason: str
    wait_s: float
    at: float


@dataclass(frozen=True, slots=True)
class FiguresAdded:
    """Figures to add to one 15-minute interval of a queue (`scope` "queue"), an agent
    ("agent", `label` its name) or an agent's pause reason ("pause", `label` the
    reason).  `key` names the fact they come from: the store adds them once."""

    key: str
    scope: str
    start: float
    name: str
    label: str
    figures: dict[str, float]


Outcome = (
    CallJoined
    | CallAbandoned
    | CallAnswered
    | TicketOpened
    | TicketParticipantAdded
    | CallCompleted
    | RingLegEnded
    | ViolationRaised
    | ViolationSettled
    | AgentStateChanged
    | QueueChanged
    | QueueSampled
    | QueueExited
    | FiguresAdded
)

_STAMPED = frozenset(kind for kind in Outcome.__args__
                     if "server" in kind.__dataclass_fields__)


def stamped(outcomes: Sequence[Outcome], server: str) -> Sequence[Outcome]:
    """The outcomes with the server they happened on (a tracker, or a server's
    queue_log, knows only its own)."""
    if server == DEFAULT_SERVER:
        return outcomes
    return [dataclasses.replace(o, server=server) if type(o) in _STAMPED else o  # type: ignore[arg-type]
            for o in outcomes]
