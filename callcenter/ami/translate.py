"""The one boundary where AMI wire messages become typed domain events.

Unknown events return None (most of AMI's traffic: Newchannel, DialBegin, ...).
A known event with a missing or malformed field raises `MalformedEvent`, which
the listener logs and skips.  Units are normalised here: AgentRingNoAnswer's
RingTime is milliseconds, AgentConnect's is seconds.

Two entry points, because the daemon translates only what it wants: `translate`
for the queue and agent events every call produces (KNOWN_EVENTS), and
`translate_callback` for the messages of a channel the callback dialer follows
(CALLBACK_EVENTS: Newstate, DialEnd, ... which would be waste for every channel).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from callcenter.domain import events as ev
from callcenter.errors import MalformedEvent

__all__ = ["CALLBACK_EVENTS", "KNOWN_EVENTS", "MalformedEvent", "live_channels", "snapshot",
           "translate", "translate_callback"]

RawMessage = Mapping[str, str]


def _get(msg: RawMessage, key: str) -> str:
    value = msg.get(key)
    if value is None:
        raise MalformedEvent(f"{msg.get('Event')}: missing {key}")
    return value


def _num(msg: RawMessage, key: str, default: float | None = None) -> float:
    raw = msg.get(key)
    if raw in (None, "") and default is not None:
        return default
    try:
        return float(_get(msg, key))
    except ValueError as exc:
        raise MalformedEvent(f"{msg.get('Event')}: {key}={raw!r} is not a number") from exc


def _int(msg: RawMessage, key: str, default: int | None = None) -> int:
    """A whole number: a state, reason or cause code ("6.5" is as malformed as "x")."""
    raw = msg.get(key)
    if raw in (None, "") and default is not None:
        return default
    text = _get(msg, key)
    if not text.strip().lstrip("-").isdigit():
        raise MalformedEvent(f"{msg.get('Event')}: {key}={raw!r} is not a whole number")
    return int(text)


def _caller_number(msg: RawMessage) -> str:
    number = msg.get("CallerIDNum", "")
    return "" if number in ("<unknown>", "") else number


def _member(msg: RawMessage) -> ev.MemberUpdated:
    # QueueMember (from QueueStatus) says Location/Name; the events say Interface/MemberName.
    interface = msg.get("Interface") or _get(msg, "Location")
    wrapup = msg.get("Wrapuptime")
    return ev.MemberUpdated(
        queue=_get(msg, "Queue"),
        interface=interface,
        member_name=msg.get("MemberName") or msg.get("Name") or interface,
        device_status=int(_num(msg, "Status", 1)),
        paused=msg.get("Paused", "0") in ("1", "true", "yes"),
        paused_reason=msg.get("PausedReason") or msg.get("Reason") or "",
        in_call=msg.get("InCall", "0") == "1",
        wrapup_s=float(wrapup) if wrapup and wrapup.isdigit() and int(wrapup) > 0 else None,
    )


def _caller_joined(m: RawMessage) -> ev.CallerJoined:
    return ev.CallerJoined(_get(m, "Queue"), _get(m, "Uniqueid"), _get(m, "Linkedid"),
                           _caller_number(m), int(_num(m, "Position", 0)))


def _caller_left(m: RawMessage) -> ev.CallerLeft:
    return ev.CallerLeft(_get(m, "Queue"), _get(m, "Uniqueid"), _get(m, "Linkedid"))


def _caller_abandon(m: RawMessage) -> ev.CallerAbandoned:
    return ev.CallerAbandoned(_get(m, "Queue"), _get(m, "Uniqueid"), _get(m, "Linkedid"),
                              _num(m, "HoldTime", 0))


def _agent_called(m: RawMessage) -> ev.AgentCalled:
    return ev.AgentCalled(_get(m, "Queue"), _get(m, "Uniqueid"), _get(m, "Linkedid"),
                          _caller_number(m), _get(m, "DestUniqueid"), _get(m, "Interface"),
                          m.get("MemberName", ""))


def _ring_no_answer(m: RawMessage) -> ev.AgentRingNoAnswer:
    return ev.AgentRingNoAnswer(_get(m, "Queue"), _get(m, "Uniqueid"), _get(m, "Linkedid"),
                                _get(m, "DestUniqueid"), _get(m, "Interface"),
                                m.get("MemberName", ""), _num(m, "RingTime") / 1000.0)


def _agent_connect(m: RawMessage) -> ev.AgentConnected:
    return ev.AgentConnected(_get(m, "Queue"), _get(m, "Uniqueid"), _get(m, "Linkedid"),
                             _caller_number(m), _get(m, "DestUniqueid"), _get(m, "Interface"),
                             m.get("MemberName", ""), _num(m, "HoldTime", 0),
                             _num(m, "RingTime", 0))


def _agent_complete(m: RawMessage) -> ev.AgentCompleted:
    # After a blind transfer Asterisk reports the first agent's completion late and
    # without the Dest* fields: the member leg is long gone.
    return ev.AgentCompleted(_get(m, "Queue"), _get(m, "Uniqueid"), _get(m, "Linkedid"),
                             m.get("DestUniqueid", ""), _get(m, "Interface"),
                             m.get("MemberName", ""), _num(m, "TalkTime", 0),
                             m.get("Reason", ""))


def _hangup(m: RawMessage) -> ev.ChannelHungUp:
    return ev.ChannelHungUp(_get(m, "Uniqueid"), m.get("Linkedid", ""), _int(m, "Cause", 0))


def _newstate(m: RawMessage) -> ev.ChannelStateChanged:
    return ev.ChannelStateChanged(_get(m, "Uniqueid"), _int(m, "ChannelState"))


def _dial_end(m: RawMessage) -> ev.DialEnded:
    # An Originate's own dial has no calling channel: no Uniqueid then.
    return ev.DialEnded(m.get("Uniqueid", ""), _get(m, "DestUniqueid"), _get(m, "DialStatus"))


def _originate_response(m: RawMessage) -> ev.OriginateResponded:
    return ev.OriginateResponded(m.get("ActionID", ""), m.get("Uniqueid", ""),
                                 _int(m, "Reason"), m.get("Response", ""))


def _live_channel(m: RawMessage) -> ev.LiveChannel:
    return ev.LiveChannel(_get(m, "Uniqueid"), _int(m, "ChannelState"), m.get("BridgeId", ""))


def _member_removed(m: RawMessage) -> ev.MemberRemoved:
    interface = _get(m, "Interface")
    return ev.MemberRemoved(_get(m, "Queue"), interface, m.get("MemberName", interface))


_TRANSLATORS: dict[str, Callable[[RawMessage], ev.Event]] = {
    "queuecallerjoin": _caller_joined,
    "queuecallerleave": _caller_left,
    "queuecallerabandon": _caller_abandon,
    "agentcalled": _agent_called,
    "agentringnoanswer": _ring_no_answer,
    "agentconnect": _agent_connect,
    "agentcomplete": _agent_complete,
    "hangup": _hangup,
    "queuememberadded": _member,
    "queuememberstatus": _member,
    "queuememberpause": _member,
    "queuememberpenalty": _member,
    "queuememberringinuse": _member,
    "queuememberremoved": _member_removed,
}


KNOWN_EVENTS = frozenset(_TRANSLATORS)


def translate(msg: RawMessage) -> ev.Event | None:
    name = msg.get("Event")
    if not name:
        raise MalformedEvent("message without Event header")
    translator = _TRANSLATORS.get(name.lower())
    return translator(msg) if translator else None


_CALLBACK_TRANSLATORS: dict[str, Callable[[RawMessage], ev.CallbackEvent]] = {
    "newstate": _newstate,
    "dialend": _dial_end,
    "originateresponse": _originate_response,
    "agentconnect": _agent_connect,
    "hangup": _hangup,
    "coreshowchannel": _live_channel,
}

# What the callback dialer reads of a channel it follows.  Kept apart from
# KNOWN_EVENTS: Newstate and DialEnd come for every channel and the tracker needs none.
CALLBACK_EVENTS = frozenset(_CALLBACK_TRANSLATORS)


def translate_callback(msg: RawMessage) -> ev.CallbackEvent | None:
    """A message of a followed callback channel, or of an Originate's reply list.

    The reply's first message (`Response: Success`, "Originate successfully queued")
    carries no Event header and no fact: None, like every event the dialer ignores."""
    name = msg.get("Event")
    if not name:
        if "Response" in msg:
            return None
        raise MalformedEvent("message without Event or Response header")
    translator = _CALLBACK_TRANSLATORS.get(name.lower())
    return translator(msg) if translator else None


def live_channels(messages: Iterable[RawMessage]) -> tuple[ev.LiveChannel, ...]:
    """CoreShowChannels' reply list as the channels alive at the time of asking.

    A malformed entry raises: reading past it would make its attempt look vanished."""
    return tuple(_live_channel(msg) for msg in messages
                 if msg.get("Event", "").lower() == "coreshowchannel")


def snapshot(messages: list[RawMessage]) -> ev.QueueSnapshot:
    """QueueStatus's event list (QueueParams, QueueMember, QueueEntry) as one snapshot."""
    queues: list[str] = []
    members: list[ev.MemberUpdated] = []
    waiting: list[ev.WaitingEntry] = []
    for msg in messages:
        kind = msg.get("Event", "")
        if kind == "QueueParams":
            queues.append(_get(msg, "Queue"))
        elif kind == "QueueMember":
            members.append(_member(msg))
        elif kind == "QueueEntry":
            waiting.append(ev.WaitingEntry(
                _get(msg, "Queue"), _get(msg, "Uniqueid"), msg.get("Linkedid") or _get(msg, "Uniqueid"),
                _caller_number(msg), int(_num(msg, "Position", 0)), _num(msg, "Wait", 0)))
    return ev.QueueSnapshot(tuple(queues), tuple(members), tuple(waiting))
