"""The one boundary where AMI wire messages become typed domain events.

Unknown events return None (most of AMI's traffic: Newchannel, DialBegin, ...).
A known event with a missing or malformed field raises `MalformedEvent`, which
the listener logs and skips.  Units are normalised here: AgentRingNoAnswer's
RingTime is milliseconds, AgentConnect's is seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from callcenter.domain import events as ev

RawMessage = Mapping[str, str]


class MalformedEvent(ValueError):
    error_id = "ami.malformed_event"


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
    return ev.ChannelHungUp(_get(m, "Uniqueid"), m.get("Linkedid", ""),
                            int(_num(m, "Cause", 0)))


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
