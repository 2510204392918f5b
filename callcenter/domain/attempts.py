"""The life of a callback attempt, decided from typed AMI facts: pure, clock injected.

An attempt is registered (`dialing`) before its Originate is sent, keyed by the
ChannelId the dialer chose, which Asterisk uses as the Uniqueid of the channel it
creates.  From then on:

    dialing ──Newstate Up / DialEnd ANSWER──> answered ──AgentConnect──> (agent took it)
       │                                        └──Hangup──> ended: the agent records the outcome
       ├──OriginateResponse Reason + Hangup cause──> coded network outcome
       └──gone from CoreShowChannels on reconnect──> review (never re-dialed)

Precedence, as found by the live tests (tests/integration/test_callbacks_live.py):

* While the Originate reply is outstanding, the Hangup of a call that was not
  answered does not decide: the reply's Reason does, with the Hangup's cause.
* When the reply comes first, the Hangup (which carries the cause) is waited for a
  short grace (`HANGUP_CAUSE_GRACE_S`), as a deadline the shell drives with `tick()`.
* Agent-first: the channel is the agent's and the customer is its Dial(), so DialEnd
  says how the customer answered (ANSWER, or BUSY/CONGESTION/NOANSWER as a reason);
  the agent channel's Hangup before any answer waits for the reply like above, and
  its cause is the agent's, never used for the customer's outcome.
* Answered and ended: the agent records the outcome and score, nothing is coded here.
* Reconnect: a live channel is followed again (Up, or for agent-first bridged to the
  customer, means answered); a vanished one goes to review.  A customer-first call
  already bridged to an agent we never saw connect (the AgentConnect came while we
  were away) has its agent asked of the channel (`AskAgent`, MEMBERINTERFACE).
  The attempts the store has under way are followed (`resume`) before the live
  channels are listed, so no event falls between the listing and the reconciliation;
  a Hangup before the listing says whether the call was answered waits for it.

The shell (callcenter/callbacks/dialer.py) carries out the decisions returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from callcenter.domain import events as ev
from callcenter.domain.callbacks import (
    DEFAULT_CAUSE_MAP,
    DEFAULT_REASON_MAP,
    Outcome,
    network_outcome,
)
from callcenter.domain.clock import Clock
from callcenter.domain.outcomes import DEFAULT_SERVER

# OriginateResponse.Reason: the AST_CONTROL_* frame that ended the dialing.
REASON_FAILED = 0  # no frame at all: the channel could not be placed
REASON_HANGUP = 1  # AST_CONTROL_HANGUP
REASON_RINGING = 3  # AST_CONTROL_RINGING: it rang until the Originate's timeout
REASON_ANSWERED = 4  # AST_CONTROL_ANSWER
REASON_BUSY = 5  # AST_CONTROL_BUSY
REASON_CONGESTION = 8  # AST_CONTROL_CONGESTION

# Q.850 hang-up causes (Hangup.Cause); the outcome each maps to is a setting
# (callbacks.cause_outcomes, defaults in callcenter.domain.callbacks).
CAUSE_UNKNOWN = 0
CAUSE_UNALLOCATED = 1
CAUSE_NORMAL_CLEARING = 16
CAUSE_USER_BUSY = 17
CAUSE_NO_USER_RESPONSE = 18
CAUSE_NO_ANSWER = 19
CAUSE_SUBSCRIBER_ABSENT = 20
CAUSE_CALL_REJECTED = 21
CAUSE_NUMBER_CHANGED = 22
CAUSE_DESTINATION_OUT_OF_ORDER = 27
CAUSE_INVALID_NUMBER_FORMAT = 28
CAUSE_NO_CIRCUIT_AVAILABLE = 34
CAUSE_NETWORK_OUT_OF_ORDER = 38
CAUSE_TEMPORARY_FAILURE = 41
CAUSE_SWITCH_CONGESTION = 42

CHANNEL_STATE_UP = 6  # AST_STATE_UP: Newstate / CoreShowChannel ChannelState

# DialEnd.DialStatus of the agent-first Dial() to the customer.
DIAL_ANSWER = "ANSWER"
DIAL_BUSY = "BUSY"
DIAL_CONGESTION = "CONGESTION"
DIAL_NOANSWER = "NOANSWER"
DIAL_STATUS_REASON: Mapping[str, int] = {
    DIAL_BUSY: REASON_BUSY, DIAL_CONGESTION: REASON_CONGESTION, DIAL_NOANSWER: REASON_RINGING,
}  # any other status (CHANUNAVAIL, CANCEL, ...) is REASON_FAILED

# The OriginateResponse and the channel's Hangup arrive within milliseconds of each
# other, in either order; this long the reply waits for the Hangup's cause.
HANGUP_CAUSE_GRACE_S = 0.5


class Mode(StrEnum):
    CUSTOMER_FIRST = "customer_first"  # the customer is dialed, then queued for an agent
    AGENT_FIRST = "agent_first"  # the agent's channel is dialed; it dials the customer


@dataclass(frozen=True, slots=True)
class AttemptRef:
    """Who an attempt is: the ids every decision and log line carries."""

    attempt_id: int
    campaign_id: int
    uniqueid: str  # the ChannelId sent with Originate
    action_id: str
    phone: str
    mode: Mode = Mode.CUSTOMER_FIRST
    server: str = DEFAULT_SERVER  # the Asterisk server it was dialed through


@dataclass(frozen=True, slots=True)
class Pending:
    """An attempt the store still has as `dialing` or `answered`, for reconciliation."""

    ref: AttemptRef
    answered: bool
    agent: str | None = None  # the agent the store has for it, if any


# -- decisions: what the shell carries out ---------------------------------------------
@dataclass(frozen=True, slots=True)
class MarkAnswered:
    ref: AttemptRef
    at: float


@dataclass(frozen=True, slots=True)
class AgentTook:
    ref: AttemptRef
    interface: str


@dataclass(frozen=True, slots=True)
class AwaitAgentOutcome:
    """Answered and ended: the agent records the outcome.  Final."""

    ref: AttemptRef
    cause: int | None
    at: float


@dataclass(frozen=True, slots=True)
class RecordNetworkOutcome:
    """Never answered: the network's outcome, coded from the reason and cause.  Final."""

    ref: AttemptRef
    outcome: Outcome
    reason: int | None  # None: the Originate reply never came (lost link, restart)
    cause: int | None
    at: float


@dataclass(frozen=True, slots=True)
class MarkVanished:
    """Gone while we were away: the outcome is unknown, a person decides.  Final."""

    ref: AttemptRef


@dataclass(frozen=True, slots=True)
class FollowedAgain:
    """Alive on reconnect: its events are followed again."""

    ref: AttemptRef
    answered: bool


@dataclass(frozen=True, slots=True)
class AskAgent:
    """Alive on reconnect, talking to an agent whose AgentConnect we missed: the shell
    asks the channel which member took it (its answer is a `MemberOfChannel`)."""

    ref: AttemptRef


Decision = (MarkAnswered | AgentTook | AwaitAgentOutcome | RecordNetworkOutcome | MarkVanished
            | FollowedAgain | AskAgent)
FINAL = (AwaitAgentOutcome, RecordNetworkOutcome, MarkVanished)


@dataclass(slots=True)
class _Attempt:
    ref: AttemptRef
    answered: bool = False
    agent: str | None = None
    cause: int | None = None  # the customer channel's Hangup cause
    hung_up: bool = False
    reply_outstanding: bool = True
    reason: int | None = None  # from the Originate reply
    grace_until: float | None = None
    unconfirmed: bool = False  # resumed from the store; the live channels not listed yet

    @property
    def agent_first(self) -> bool:
        return self.ref.mode is Mode.AGENT_FIRST


class Attempts:
    """Every attempt under way, keyed by its channel's Uniqueid."""

    def __init__(self, clock: Clock, *,
                 reason_outcomes: Mapping[int, Outcome] = DEFAULT_REASON_MAP,
                 cause_outcomes: Mapping[int, Outcome] = DEFAULT_CAUSE_MAP,
                 grace_s: float = HANGUP_CAUSE_GRACE_S) -> None:
        self.clock = clock
        self.reason_outcomes = reason_outcomes
        self.cause_outcomes = cause_outcomes
        self.grace_s = grace_s
        # The same dict for the attempt's whole life: the daemon's message filter
        # holds on to it (`uniqueid in dialer.watched`).
        self.watched: dict[str, _Attempt] = {}

    def __contains__(self, uniqueid: object) -> bool:
        return uniqueid in self.watched

    def forget_all(self) -> int:
        """No longer ours to follow (another daemon leads now and reconciles them from
        the store); returns how many were dropped.  The same dict stays."""
        dropped = len(self.watched)
        self.watched.clear()
        return dropped

    def resume(self, pending: Iterable[Pending]) -> None:
        """Before listing the live channels: attempts the store has under way (and this
        machine does not) are followed from now, their events decided as they come."""
        for p in pending:
            if p.ref.uniqueid not in self.watched:
                self.watched[p.ref.uniqueid] = _Attempt(
                    p.ref, answered=p.answered, agent=p.agent, reply_outstanding=False,
                    unconfirmed=True)

    def dialing(self, ref: AttemptRef) -> None:
        """Registered before Originate is sent: no event of the channel can come first."""
        self.watched[ref.uniqueid] = _Attempt(ref)

    # -- events ------------------------------------------------------------------------
    def handle(self, event: ev.CallbackEvent) -> list[Decision]:
        match event:
            case ev.OriginateResponded():
                return self._replied(event)
            case ev.ChannelStateChanged():
                a = self.watched.get(event.uniqueid)
                if a is None or a.agent_first or event.state != CHANNEL_STATE_UP:
                    return []  # agent-first: Up is the agent answering, not the customer
                return self._answered(a)
            case ev.AgentConnected() | ev.MemberOfChannel():
                return self._taken(event.uniqueid, event.interface)
            case ev.DialEnded():
                a = self.watched.get(event.uniqueid)
                if a is None or not a.agent_first or not event.status or a.answered:
                    return []
                if event.status == DIAL_ANSWER:
                    return self._answered(a)
                # The agent's cause says nothing about the customer: the status does.
                return self._final(a, DIAL_STATUS_REASON.get(event.status, REASON_FAILED), None)
            case ev.ChannelHungUp():
                return self._hung_up(event)
            case _:
                return []  # LiveChannel: only in a CoreShowChannels reply (reconcile)

    def _answered(self, a: _Attempt) -> list[Decision]:
        if a.answered:
            return []
        a.answered, a.grace_until = True, None  # a conversation ends with its Hangup only
        return [MarkAnswered(a.ref, self.clock.now())]

    def _taken(self, uniqueid: str, interface: str) -> list[Decision]:
        a = self.watched.get(uniqueid)
        if a is None or a.agent_first or not interface:
            return []
        decisions = self._answered(a)  # taken by an agent: answered, Newstate or not
        if interface != a.agent:
            a.agent = interface
            decisions.append(AgentTook(a.ref, interface))
        return decisions

    def _hung_up(self, event: ev.ChannelHungUp) -> list[Decision]:
        a = self.watched.get(event.uniqueid)
        if a is None:
            return []
        a.hung_up = True
        if not a.agent_first:
            a.cause = event.cause
        if a.answered:
            return self._final(a, REASON_ANSWERED, a.cause)
        if a.reply_outstanding:
            return []  # the Originate reply decides, with this cause
        if a.reason is not None and a.reason != REASON_ANSWERED:
            return self._final(a, a.reason, a.cause)  # the reply came first: cause is in
        if a.unconfirmed:
            return []  # answered while we were away, or not: the listing tells
        # No reply to go by (lost link, restart), or agent-first whose agent answered:
        # the agent's leg ended before the customer's Dial() reported anything.
        return self._unanswered_end(a)

    def _replied(self, event: ev.OriginateResponded) -> list[Decision]:
        a = self.watched.get(event.uniqueid) or next(
            (x for x in self.watched.values() if x.ref.action_id == event.action_id), None)
        if a is None or a.reason is not None:
            return []  # not ours, or the same reply seen twice (reply list and event)
        a.reply_outstanding = False
        a.reason = event.reason
        if event.reason == REASON_ANSWERED:
            if a.agent_first:  # only the agent answered: DialEnd tells about the customer
                return self._unanswered_end(a) if a.hung_up else []
            decisions = self._answered(a)  # the customer answered, Newstate seen or not
            if a.hung_up:
                decisions += self._final(a, REASON_ANSWERED, a.cause)
            return decisions
        if a.hung_up:
            return self._final(a, event.reason, a.cause)  # the Hangup waited for this
        if not a.answered:
            a.grace_until = self.clock.now() + self.grace_s
        return []

    def reply_lost(self, uniqueid: str) -> list[Decision]:
        """The Originate reply will never come (link lost, timeout): its fate is unknown,
        so the channel's own events, or reconciliation, decide."""
        a = self.watched.get(uniqueid)
        if a is None or not a.reply_outstanding:
            return []
        a.reply_outstanding = False
        return self._unanswered_end(a) if a.hung_up else []  # a Hangup waited for it

    # -- time --------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        return min((a.grace_until for a in self.watched.values() if a.grace_until is not None),
                   default=None)

    def tick(self) -> list[Decision]:
        """Replies whose grace for the Hangup's cause ran out decide without it."""
        now = self.clock.now()
        due = [a for a in self.watched.values()
               if a.grace_until is not None and a.grace_until <= now]
        decisions: list[Decision] = []
        for a in due:
            decisions += self._final(a, a.reason, a.cause)
        return decisions

    # -- reconnect ---------------------------------------------------------------------
    def reconcile(self, pending: Iterable[Pending],
                  live: Iterable[ev.LiveChannel]) -> list[Decision]:
        """Attempts the store has under way, against the channels alive now."""
        alive = {channel.uniqueid: channel for channel in live}
        decisions: list[Decision] = []
        for p in pending:
            channel = alive.get(p.ref.uniqueid)
            a = self.watched.get(p.ref.uniqueid)
            if channel is not None:
                if a is None:  # after a restart: the reply went with the old process
                    a = self.watched[p.ref.uniqueid] = _Attempt(
                        p.ref, answered=p.answered, agent=p.agent, reply_outstanding=False)
                a.unconfirmed = False
                # The agent's channel is Up once the agent answers: for agent-first only
                # being bridged to the customer says the customer answered.
                up = bool(channel.bridge_id) if a.agent_first else channel.state == CHANNEL_STATE_UP
                decisions += self._answered(a) if up else []
                if a.hung_up and not a.reply_outstanding:  # a Hangup held for the listing
                    decisions += self._unanswered_end(a)  # (answered: the agent's outcome)
                    continue
                decisions.append(FollowedAgain(a.ref, a.answered))
                if channel.bridge_id and a.agent is None and not a.agent_first:
                    decisions.append(AskAgent(a.ref))  # an agent took it while we were away
            elif a is None or not (a.reply_outstanding or a.grace_until is not None):
                self.watched.pop(p.ref.uniqueid, None)
                decisions.append(MarkVanished(p.ref))
            # else: an Originate reply still to come, or its grace running, decides.
        return decisions

    # -- the end -----------------------------------------------------------------------
    def _unanswered_end(self, a: _Attempt) -> list[Decision]:
        """Hung up, not answered, and no reply's reason to go by."""
        return self._final(a, REASON_FAILED if a.agent_first else None, a.cause)

    def _final(self, a: _Attempt, reason: int | None, cause: int | None) -> list[Decision]:
        self.watched.pop(a.ref.uniqueid, None)
        now = self.clock.now()
        if a.answered or reason == REASON_ANSWERED:
            # A conversation happened: the agent records the outcome and score.
            return [AwaitAgentOutcome(a.ref, cause, now)]
        # Without a reply's reason it rang out, unless the cause (a setting) says more.
        outcome = network_outcome(REASON_RINGING if reason is None else reason, cause,
                                  self.reason_outcomes, self.cause_outcomes)
        if outcome is None:  # only for REASON_ANSWERED, handled above
            return [AwaitAgentOutcome(a.ref, cause, now)]
        return [RecordNetworkOutcome(a.ref, outcome, reason, cause, now)]
