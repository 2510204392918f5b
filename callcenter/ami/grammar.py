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
_PATH_VARIABLES = frozenset({"CC_RECORDING"})
# The only variables the dialplan reads from an Originate, each set once: a value
# carrying a comma would otherwise smuggle in a variable of the caller's choosing.
KNOWN_VARIABLES = frozenset({"CC_ATTEMPT", "CC_CAMPAIGN", "CC_QUEUE", "CC_NUMBER",
                             "CC_CUSTOMER", "CC_RING_S",
                             # keep your place: the placeholder's request, place and wait
                             "CC_REQUEST", "CC_POSITION", "CC_WAIT_S",
                             # the file the call is recorded to (its Linkedid)
                             "CC_RECORDING"})


def is_dial_template(template: str) -> bool:
    """A channel template (a setting) that makes a dial string of any number."""
    try:
        return _DIAL.fullmatch(template.format(number="13800138000")) is not None
    except (KeyError, IndexError, ValueError):
        return False


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
        elif name in _NUMBER_VARIABLES:
            ok = _DIGITS.fullmatch(value) is not None
        elif name in _PATH_VARIABLES:
            ok = _PATH.fullmatch(value) is not None
        else:
            ok = _PLAIN.fullmatch(value) is not None
        if not ok:
            raise _refuse(f"Variable {name}")
