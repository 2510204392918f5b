"""The grammar of every value the daemon puts into an Originate.  Asterisk reads a
dial string up to `&` (more destinations), `,` (Dial options) and `/`; the Variable
header is split on `,`; `;` and `|` separate arguments in older syntax.  A caller
controls their own caller ID, so a value that could carry one of those is refused
here, just before the action is sent, whatever checked it earlier."""

from __future__ import annotations

import re
from collections.abc import Mapping

from callcenter.errors import AmiUnsafeValue

_DIAL = re.compile(r"[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9+_.@/-]{1,120}")  # Tech/resource[@ctx][/n]
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")  # contexts, extensions, queues
_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_PLAIN = re.compile(r"[A-Za-z0-9_.-]{1,80}")  # ids, numbers, queue names
_DIGITS = re.compile(r"\+?[0-9]{1,20}")
_CALLER_ID = re.compile(r"[^,&;|\r\n\"<>]{0,80}(?: <\+?[0-9]{1,20}>)?")
# A recording's file without extension (MixMonitor's, app_queue's MONITOR_FILENAME):
# an absolute path of plain segments (none starts with a dot: never "." or "..").
_PATH = re.compile(r"(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}){1,12}")
# Variables whose value is a dial string (the agent-first customer leg); every other
# variable value is a plain token.
_DIAL_VARIABLES = frozenset({"CC_CUSTOMER"})
_NUMBER_VARIABLES = frozenset({"CC_NUMBER"})
# A live channel's full name, as Asterisk names it: Tech/resource-<8 hex>, a Local
# channel's half with ;1 or ;2 (ChanSpy takes it as the prefix of the one to spy on).
CHANNEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9+_.@/-]{1,120}-[0-9a-f]{8}(?:;[12])?")
# ChanSpy's options the daemon uses: q (no beep, no name spoken), w (whisper to the
# agent), B (barge: talk to both), E (end when the spied channel hangs up).
SPY_OPTIONS = frozenset({"qE", "qwE", "qBE"})
_PATH_VARIABLES = frozenset({"CC_RECORDING"})
# The only variables the dialplan reads from an Originate, each set once: a value
# carrying a comma would otherwise smuggle in a variable of the caller's choosing.
KNOWN_VARIABLES = frozenset({"CC_ATTEMPT", "CC_CAMPAIGN", "CC_QUEUE", "CC_NUMBER",
                             "CC_CUSTOMER", "CC_RING_S",
                             # keep your place: the placeholder's request, place and wait
                             "CC_REQUEST", "CC_POSITION", "CC_WAIT_S",
                             # listen / whisper / barge: the agent's channel, the mode
                             "CC_SPY_CHANNEL", "CC_SPY_OPTS",
                             # the file the call is recorded to (its Linkedid)
                             "CC_RECORDING"})


def is_dial_template(template: str) -> bool:
    """A channel template (a setting) that makes a dial string of any number."""
    try:
        return _DIAL.fullmatch(template.format(number="13800138000")) is not None
    except (KeyError, IndexError, ValueError):
        return False


def is_dial_string(text: str) -> bool:
    """An interface to dial (PJSIP/2001, Local/2001@phones/n): a user's phone."""
    return _DIAL.fullmatch(text) is not None


def is_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None


def is_recording_path(text: str) -> bool:
    """A file name CC_RECORDING may carry (a [recordings] dir this grammar refuses, e.g.
    one with a dot-segment, leaves calls to app_queue's default name instead)."""
    return _PATH.fullmatch(text) is not None


def _refuse(field: str) -> AmiUnsafeValue:
    return AmiUnsafeValue(f"Originate {field}: not a value of its grammar")


def check_originate(fields: Mapping[str, str]) -> dict[str, str]:
    """The fields as they are, or AmiUnsafeValue naming the first field out of grammar
    (the value itself is not echoed: it may be a caller's)."""
    for field, value in fields.items():
        if field == "Channel" and not _DIAL.fullmatch(value):
            raise _refuse(field)
        if field in ("Context", "Exten") and not _NAME.fullmatch(value):
            raise _refuse(field)
        if field in ("Priority", "Timeout") and not value.isdigit():
            raise _refuse(field)
        if field in ("ChannelId", "OtherChannelId", "ActionID") and not _PLAIN.fullmatch(value):
            raise _refuse(field)
        if field == "CallerID" and not _CALLER_ID.fullmatch(value):
            raise _refuse(field)
        if field == "Variable":
            _check_variables(value)
    return dict(fields)


def _check_variables(text: str) -> None:
    seen: set[str] = set()
    for item in text.split(","):
        name, found, value = item.partition("=")
        if not found or not _VARIABLE.fullmatch(name) or name not in KNOWN_VARIABLES \
                or name in seen:
            raise _refuse("Variable")
        seen.add(name)
        if name in _DIAL_VARIABLES:
            ok = _DIAL.fullmatch(value) is not None
        elif name == "CC_SPY_CHANNEL":
            ok = CHANNEL_NAME.fullmatch(value) is not None
        elif name == "CC_SPY_OPTS":
            ok = value in SPY_OPTIONS
        elif name in _NUMBER_VARIABLES:
            ok = _DIGITS.fullmatch(value) is not None
        elif name in _PATH_VARIABLES:
            ok = _PATH.fullmatch(value) is not None
        else:
            ok = _PLAIN.fullmatch(value) is not None
        if not ok:
            raise _refuse(f"Variable {name}")


# Queue member actions (the agent desk's own state controls).  A pause reason and a
# member name are people's words (午休, 王芳): any printable text, but none of the
# characters Asterisk or its queue_log read as separators, no controls, capped.
_MEMBER_TEXT = re.compile(r"[^\x00-\x1f\x7f-\x9f,;|&\"<>\\\u2028\u2029\u202a-\u202e\u2066-\u2069]{1,40}")
_MEMBER_ACTIONS = {"QueuePause": frozenset({"Interface", "Paused", "Queue", "Reason"}),
                   "QueueAdd": frozenset({"Queue", "Interface", "MemberName", "Paused"}),
                   "QueueRemove": frozenset({"Queue", "Interface"})}
_REQUIRED = {"QueuePause": frozenset({"Interface", "Paused"}),
             "QueueAdd": frozenset({"Queue", "Interface"}),
             "QueueRemove": frozenset({"Queue", "Interface"})}


def is_member_text(text: str) -> bool:
    """A pause reason or member name Asterisk may be sent (a setting's check, too)."""
    return _MEMBER_TEXT.fullmatch(text) is not None and text.strip() == text


def check_member_action(fields: Mapping[str, str]) -> dict[str, str]:
    """A QueuePause / QueueAdd / QueueRemove as it is sent, or AmiUnsafeValue naming the
    first field out of grammar: only these actions, only their own fields, each once."""
    action = fields.get("Action", "")
    allowed = _MEMBER_ACTIONS.get(action)
    if allowed is None:
        raise AmiUnsafeValue("member action: not QueuePause, QueueAdd or QueueRemove")
    for field, value in fields.items():
        if field == "Action":
            continue
        if field not in allowed:
            raise AmiUnsafeValue(f"{action}: {field} is not one of its fields")
        if field == "Interface" and not _DIAL.fullmatch(value):
            raise AmiUnsafeValue(f"{action} {field}: not a value of its grammar")
        if field == "Queue" and not _NAME.fullmatch(value):
            raise AmiUnsafeValue(f"{action} {field}: not a value of its grammar")
        if field == "Paused" and value not in ("true", "false"):
            raise AmiUnsafeValue(f"{action} {field}: not true or false")
        if field in ("Reason", "MemberName") and not is_member_text(value):
            raise AmiUnsafeValue(f"{action} {field}: not a value of its grammar")
    missing = _REQUIRED[action] - fields.keys()
    if missing:
        raise AmiUnsafeValue(f"{action}: {', '.join(sorted(missing))} missing")
    return dict(fields)
