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

import math
import re
from collections.abc import Callable, Iterable, Mapping

import structlog

from callcenter.domain import events as ev
from callcenter.domain.phone import PhoneNumber, PhoneRules, mask_text
from callcenter.domain.text import clean, has_controls
from callcenter.errors import MalformedEvent

__all__ = ["CALLBACK_EVENTS", "KNOWN_EVENTS", "MalformedEvent", "live_channels",
           "snapshot", "translate", "translate_callback"]

RawMessage = Mapping[str, str]
log = structlog.get_logger("callcenter.ami")

# What an identifier from Asterisk may look like (1795567865.12, cb-<hex>): anything
# else is not Asterisk talking.  Lengths follow the store's columns.
_ID = re.compile(r"[A-Za-z0-9._;-]{1,64}")  # ;2: the second half of a Local channel
_LIMITS = {"Queue": 80, "Interface": 128, "Location": 128, "DialStatus": 16, "Response": 16}
_NAME_CHARS = 100  # member names, pause reasons
STANDARD_PHONES = PhoneRules()  # replays and tests; the daemon passes the settings
_REASON_CHARS = 16  # who hung up: caller | agent | transfer
_MAX_NUMBER = 1e9  # seconds, milliseconds, positions: far beyond any real value
def _get(msg: RawMessage, key: str) -> str:
    value = msg.get(key)
    if value is None:
        raise MalformedEvent(f"{msg.get('Event')}: missing {key}")
    limit = _LIMITS.get(key)
    if limit is not None and (len(value) > limit or has_controls(value)):
        raise MalformedEvent(f"{msg.get('Event')}: {key} is not a plain value of at most "
                             f"{limit} characters")
    return value


def _id(msg: RawMessage, key: str) -> str:
    value = _get(msg, key)
    if not _ID.fullmatch(value):
        raise MalformedEvent(f"{msg.get('Event')}: {key} is not an Asterisk id")
    return value


def _num(msg: RawMessage, key: str, default: float | None = None) -> float:
    raw = msg.get(key)
    if raw in (None, "") and default is not None:
        return default
    try:
        value = float(_get(msg, key))
    except ValueError as exc:
        raise MalformedEvent(f"{msg.get('Event')}: {key}={raw!r} is not a number") from exc
    if not math.isfinite(value) or not 0 <= value <= _MAX_NUMBER:
        raise MalformedEvent(f"{msg.get('Event')}: {key}={raw!r} is out of range")
    return value


def _int(msg: RawMessage, key: str, default: int | None = None) -> int:
    """A whole number: a state, reason or cause code ("6.5" is as malformed as "x")."""
    raw = msg.get(key)
    if raw in (None, "") and default is not None:
        return default
    text = _get(msg, key)
    if not text.isascii() or not text.strip().lstrip("-").isdigit() or len(text) > 6:
        raise MalformedEvent(f"{msg.get('Event')}: {key}={raw!r} is not a whole number")
    return int(text)


def _name(msg: RawMessage, *keys: str) -> str:
    """A person's or a reason's text: cleaned and capped, never refused."""
    return clean(next((msg[k] for k in keys if msg.get(k)), ""), _NAME_CHARS)


def _caller_number(msg: RawMessage, phones: PhoneRules) -> str:
    """The caller ID as a validated number, or "" (unknown): a caller chooses it, so
    anything that is not a number (Local/..., sip:, & , ;) never goes further."""
    raw = msg.get("CallerIDNum", "")
    if raw in ("<unknown>", ""):
        return ""
    number = PhoneNumber.or_none(raw, phones)
    if number is None:
        log.warning("ami.caller_id_refused", error_id="phone.invalid",
                    uniqueid=msg.get("Uniqueid", "")[:64], caller=mask_text(clean(raw, 40)))
        return ""
    return number.digits


def _member(msg: RawMessage, phones: PhoneRules) -> ev.MemberUpdated:
    # QueueMember (from QueueStatus) says Location/Name; the events say Interface/MemberName.
    interface = _get(msg, "Interface") if msg.get("Interface") else _get(msg, "Location")
    wrapup = msg.get("Wrapuptime")
    return ev.MemberUpdated(
        queue=_get(msg, "Queue"),
        interface=interface,
        member_name=_name(msg, "MemberName", "Name") or interface,
        device_status=_int(msg, "Status", 1),
        paused=msg.get("Paused", "0") in ("1", "true", "yes"),
        paused_reason=_name(msg, "PausedReason", "Reason"),
        in_call=msg.get("InCall", "0") == "1",
        wrapup_s=(float(wrapup) if wrapup and wrapup.isascii() and wrapup.isdigit()
                  and 0 < int(wrapup) < 86400 else None),
    )


def _caller_joined(m: RawMessage, phones: PhoneRules) -> ev.CallerJoined:
    return ev.CallerJoined(_get(m, "Queue"), _id(m, "Uniqueid"), _id(m, "Linkedid"),
                           _caller_number(m, phones), int(_num(m, "Position", 0)))


def _caller_left(m: RawMessage, phones: PhoneRules) -> ev.CallerLeft:
    return ev.CallerLeft(_get(m, "Queue"), _id(m, "Uniqueid"), _id(m, "Linkedid"))


def _caller_abandon(m: RawMessage, phones: PhoneRules) -> ev.CallerAbandoned:
    return ev.CallerAbandoned(_get(m, "Queue"), _id(m, "Uniqueid"), _id(m, "Linkedid"),
                              _num(m, "HoldTime", 0))


def _agent_called(m: RawMessage, phones: PhoneRules) -> ev.AgentCalled:
    return ev.AgentCalled(_get(m, "Queue"), _id(m, "Uniqueid"), _id(m, "Linkedid"),
                          _caller_number(m, phones), _id(m, "DestUniqueid"), _get(m, "Interface"),
                          _name(m, "MemberName"))


def _ring_no_answer(m: RawMessage, phones: PhoneRules) -> ev.AgentRingNoAnswer:
    return ev.AgentRingNoAnswer(_get(m, "Queue"), _id(m, "Uniqueid"), _id(m, "Linkedid"),
                                _id(m, "DestUniqueid"), _get(m, "Interface"),
                                _name(m, "MemberName"), _num(m, "RingTime") / 1000.0)


def _agent_connect(m: RawMessage, phones: PhoneRules) -> ev.AgentConnected:
    return ev.AgentConnected(_get(m, "Queue"), _id(m, "Uniqueid"), _id(m, "Linkedid"),
                             _caller_number(m, phones), _id(m, "DestUniqueid"), _get(m, "Interface"),
                             _name(m, "MemberName"), _num(m, "HoldTime", 0),
                             _num(m, "RingTime", 0))


def _agent_complete(m: RawMessage, phones: PhoneRules) -> ev.AgentCompleted:
    # After a blind transfer Asterisk reports the first agent's completion late and
    # without the Dest* fields: the member leg is long gone.
    return ev.AgentCompleted(_get(m, "Queue"), _id(m, "Uniqueid"), _id(m, "Linkedid"),
                             _id(m, "DestUniqueid") if m.get("DestUniqueid") else "",
                             _get(m, "Interface"), _name(m, "MemberName"),
                             _num(m, "TalkTime", 0), clean(m.get("Reason", ""), _REASON_CHARS))


def _hangup(m: RawMessage, phones: PhoneRules) -> ev.ChannelHungUp:
    return ev.ChannelHungUp(_id(m, "Uniqueid"), _id(m, "Linkedid") if m.get("Linkedid") else "",
                            _int(m, "Cause", 0))


def _newstate(m: RawMessage, phones: PhoneRules) -> ev.ChannelStateChanged:
    return ev.ChannelStateChanged(_id(m, "Uniqueid"), _int(m, "ChannelState"))


def _dial_end(m: RawMessage, phones: PhoneRules) -> ev.DialEnded:
    # An Originate's own dial has no calling channel: no Uniqueid then.
    return ev.DialEnded(_id(m, "Uniqueid") if m.get("Uniqueid") else "", _id(m, "DestUniqueid"),
                        _get(m, "DialStatus"))


def _originate_response(m: RawMessage, phones: PhoneRules) -> ev.OriginateResponded:
    return ev.OriginateResponded(clean(m.get("ActionID", ""), 64),
                                 _id(m, "Uniqueid") if m.get("Uniqueid") else "",
                                 _int(m, "Reason"), clean(m.get("Response", ""), 16))


def _live_channel(m: RawMessage, phones: PhoneRules) -> ev.LiveChannel:
    return ev.LiveChannel(_id(m, "Uniqueid"), _int(m, "ChannelState"),
                          clean(m.get("BridgeId", ""), 64), clean(m.get("Channel", ""), 200),
                          _id(m, "Linkedid") if m.get("Linkedid") else "")


def _member_removed(m: RawMessage, phones: PhoneRules) -> ev.MemberRemoved:
    interface = _get(m, "Interface")
    return ev.MemberRemoved(_get(m, "Queue"), interface, _name(m, "MemberName") or interface)


_TRANSLATORS: dict[str, Callable[[RawMessage, PhoneRules], ev.Event]] = {
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


def translate(msg: RawMessage, phones: PhoneRules = STANDARD_PHONES) -> ev.Event | None:
    """A queue or agent event; caller numbers checked against the center's bounds."""
    name = msg.get("Event")
    if not name:
        raise MalformedEvent("message without Event header")
    translator = _TRANSLATORS.get(name.lower())
    return translator(msg, phones) if translator else None


_CALLBACK_TRANSLATORS: dict[str, Callable[[RawMessage, PhoneRules], ev.CallbackEvent]] = {
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


def translate_callback(msg: RawMessage,
                       phones: PhoneRules = STANDARD_PHONES) -> ev.CallbackEvent | None:
    """A message of a followed callback channel, or of an Originate's reply list.

    The reply's first message (`Response: Success`, "Originate successfully queued")
    carries no Event header and no fact: None, like every event the dialer ignores."""
    name = msg.get("Event")
    if not name:
        if "Response" in msg:
            return None
        raise MalformedEvent("message without Event or Response header")
    translator = _CALLBACK_TRANSLATORS.get(name.lower())
    return translator(msg, phones) if translator else None


def live_channels(messages: Iterable[RawMessage]) -> tuple[ev.LiveChannel, ...]:
    """CoreShowChannels' reply list as the channels alive at the time of asking.

    A malformed entry raises: reading past it would make its attempt look vanished."""
    return tuple(_live_channel(msg, STANDARD_PHONES) for msg in messages
                 if msg.get("Event", "").lower() == "coreshowchannel")


MEMBER_VARIABLE = "MEMBERINTERFACE"  # set on the caller's channel by app_queue


def member_of_channel(uniqueid: str, reply: RawMessage) -> ev.MemberOfChannel | None:
    """Getvar MEMBERINTERFACE's reply for a followed channel: the queue member it was
    connected to, or None while none is (the variable is still empty)."""
    value = reply.get("Value", "")
    if reply.get("Response") != "Success" or reply.get("Variable") != MEMBER_VARIABLE:
        raise MalformedEvent(f"Getvar {MEMBER_VARIABLE}: not its successful reply")
    if len(value) > _LIMITS["Interface"] or has_controls(value):
        raise MalformedEvent(f"Getvar {MEMBER_VARIABLE}: not a plain value of at most "
                             f"{_LIMITS['Interface']} characters")
    return ev.MemberOfChannel(uniqueid, value) if value else None


def snapshot(messages: list[RawMessage], phones: PhoneRules = STANDARD_PHONES) -> ev.QueueSnapshot:
    """QueueStatus's event list (QueueParams, QueueMember, QueueEntry) as one snapshot.

    Each entry is read alone: a malformed one is logged and left out, never fatal (it
    would fail every reconnect, and under systemd's restart policy loop the daemon)."""
    queues: list[str] = []
    members: list[ev.MemberUpdated] = []
    waiting: list[ev.WaitingEntry] = []
    for msg in messages:
        kind = msg.get("Event", "")
        try:
            if kind == "QueueParams":
                queues.append(_get(msg, "Queue"))
            elif kind == "QueueMember":
                members.append(_member(msg, phones))
            elif kind == "QueueEntry":
                uniqueid = _id(msg, "Uniqueid")
                waiting.append(ev.WaitingEntry(
                    _get(msg, "Queue"), uniqueid,
                    _id(msg, "Linkedid") if msg.get("Linkedid") else uniqueid,
                    _caller_number(msg, phones), int(_num(msg, "Position", 0)), _num(msg, "Wait", 0)))
        except MalformedEvent as exc:
            log.warning("ami.malformed_event", error_id=exc.error_id, detail=str(exc))
    return ev.QueueSnapshot(tuple(queues), tuple(members), tuple(waiting))
