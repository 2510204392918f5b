"""Typed AMI facts: what the tracker and the callback attempts understand.  The AMI
boundary (callcenter.ami.translate) is the only place that builds them from wire
messages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CallerJoined:
    queue: str
    uniqueid: str
    linkedid: str
    caller_number: str
    position: int


@dataclass(frozen=True, slots=True)
class CallerLeft:
    """QueueCallerLeave: the caller left the queue (to an agent, or gone).

    Asterisk sends it *before* AgentConnect, so it never ends the ringing legs."""

    queue: str
    uniqueid: str
    linkedid: str


@dataclass(frozen=True, slots=True)
class CallerAbandoned:
    """QueueCallerAbandon: also sent on queue timeouts and empty-queue exits."""

    queue: str
    uniqueid: str
    linkedid: str
    hold_s: float


@dataclass(frozen=True, slots=True)
class AgentCalled:
    queue: str
    uniqueid: str
    linkedid: str
    caller_number: str
    leg_uniqueid: str  # the member leg: DestUniqueid
    interface: str
    member_name: str


@dataclass(frozen=True, slots=True)
class AgentRingNoAnswer:
    queue: str
    uniqueid: str
    linkedid: str
    leg_uniqueid: str
    interface: str
    member_name: str
    ring_s: float  # Asterisk sends milliseconds here; converted at the boundary


@dataclass(frozen=True, slots=True)
class AgentConnected:
    queue: str
    uniqueid: str
    linkedid: str
    caller_number: str
    leg_uniqueid: str
    interface: str
    member_name: str
    hold_s: float
    ring_s: float  # Asterisk sends seconds here


@dataclass(frozen=True, slots=True)
class AgentCompleted:
    queue: str
    uniqueid: str
    linkedid: str
    leg_uniqueid: str
    interface: str
    member_name: str
    talk_s: float
    reason: str  # caller | agent | transfer


@dataclass(frozen=True, slots=True)
class ChannelHungUp:
    uniqueid: str
    linkedid: str
    cause: int


@dataclass(frozen=True, slots=True)
class MemberUpdated:
    """QueueMemberAdded/Status/Pause (and QueueStatus's QueueMember)."""

    queue: str
    interface: str
    member_name: str
    device_status: int
    paused: bool
    paused_reason: str
    in_call: bool
    wrapup_s: float | None = None


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    queue: str
    interface: str
    member_name: str


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    queue: str
    uniqueid: str
    linkedid: str
    caller_number: str
    position: int
    wait_s: float


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """The whole picture from a QueueStatus, taken on every (re)connect."""

    queues: tuple[str, ...]
    members: tuple[MemberUpdated, ...] = field(default=())
    waiting: tuple[WaitingEntry, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ChannelStateChanged:
    """Newstate: a channel's state moved; 6 (AST_STATE_UP) means it was answered."""

    uniqueid: str
    state: int


@dataclass(frozen=True, slots=True)
class DialEnded:
    """DialEnd: how a Dial() ended (ANSWER, BUSY, CONGESTION, NOANSWER, CANCEL, ...).

    An Originate's own dial has no calling channel: then `uniqueid` is empty."""

    uniqueid: str
    dest_uniqueid: str
    status: str


@dataclass(frozen=True, slots=True)
class OriginateResponded:
    """OriginateResponse: how an async Originate ended.  It comes back in the reply
    list of the Originate action (matched by ActionID), and to other sessions as an
    event.  `reason` is the AST_CONTROL_* frame that ended the dialing (4: answered)."""

    action_id: str
    uniqueid: str
    reason: int
    response: str  # Success | Failure


@dataclass(frozen=True, slots=True)
class LiveChannel:
    """One CoreShowChannel entry of a CoreShowChannels reply: a channel alive now."""

    uniqueid: str
    state: int
    bridge_id: str = ""  # set while the channel is bridged to another (talking)
    channel: str = ""  # its name (PJSIP/1001-0000002a), cleaned, not yet checked
    linkedid: str = ""


@dataclass(frozen=True, slots=True)
class MemberOfChannel:
    """The queue member a caller's channel was connected to, as its MEMBERINTERFACE
    says (queues.conf setinterfacevar): asked on reconnect when the AgentConnect came
    while the daemon was away."""

    uniqueid: str
    interface: str


Event = (
    CallerJoined
    | CallerLeft
    | CallerAbandoned
    | AgentCalled
    | AgentRingNoAnswer
    | AgentConnected
    | AgentCompleted
    | ChannelHungUp
    | MemberUpdated
    | MemberRemoved
    | QueueSnapshot
)

# What a callback attempt is followed by: its channel's life, and the Originate reply.
CallbackEvent = (
    ChannelStateChanged
    | DialEnded
    | OriginateResponded
    | AgentConnected
    | ChannelHungUp
    | LiveChannel
    | MemberOfChannel
)
