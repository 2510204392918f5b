"""The agents' phone feature codes (dialplan/extensions_callcenter_agents.conf) ask the
daemon only what the center's settings own; the dialplan itself adds, removes and
pauses the member (AddQueueMember, RemoveQueueMember, PauseQueueMember), so Asterisk's
own QueueMember* events are what the wallboard and the desk show, as from the desk.

- `/agent_queues,<member>,login|logout` (*71, *72): CC_QUEUES, the desk's queues
  (`[desk] queues`, joined by &), and CC_MEMBER_NAME, the name of the user whose
  member that is (as the desk logs them in; "" = Asterisk shows the interface).  A
  member that is no interface gets CC_QUEUES "", and so does a disabled user's logging
  in (logging out is always allowed).
- `/pause_reason,<digits>` (*73N): CC_PAUSE_REASON, the Nth of `[desk] pause_reasons`,
  and CC_PAUSE yes; no such reason: CC_PAUSE no (the phone hears an error, nothing
  changes).  The dialplan's default, when the daemon cannot be asked: pause with no
  reason (an agent can always step away)."""

from __future__ import annotations

import re
from collections.abc import Callable

import structlog

from callcenter.agi.server import Call
from callcenter.ami.grammar import is_dial_string, is_member_text
from callcenter.desk.settings import DeskSettings
from callcenter.errors import AgiProtocolError
from callcenter.users.service import WebUser

log = structlog.get_logger("callcenter.agi")
_DIGITS = re.compile(r"[0-9]{1,2}")

# member interface -> (its user, disabled) or None: no user has it
FindAgent = Callable[[str], "tuple[WebUser, bool] | None"]


def _arg(call: Call, n: int) -> str:
    return str(call.agi.env.get(f"agi_arg_{n}", ""))[:128]


def member_name(user: WebUser) -> str:
    """The name the desk logs the user in with (AddQueueMember's membername)."""
    name = user.display_name.strip()[:40]
    return name if is_member_text(name) else user.username[:40]


class AgentQueues:
    def __init__(self, settings: DeskSettings, find: FindAgent) -> None:
        self.settings = settings
        self.find = find

    def __call__(self, call: Call) -> str:
        member, agi = _arg(call, 1), call.agi
        if not is_dial_string(member):
            log.warning("agi.agent_member_invalid", error_id=AgiProtocolError.error_id,
                        member=member[:40], **call.ids)
            agi.set_variable("CC_QUEUES", "")
            return "invalid"
        found = self.find(member)
        if found is not None and found[1] and _arg(call, 2) != "logout":
            log.info("agi.agent_disabled", member=member, user=found[0].username, **call.ids)
            agi.set_variable("CC_QUEUES", "")
            return "disabled"
        name = member_name(found[0]) if found is not None else ""
        log.info("agi.agent_queues", member=member, queues=list(self.settings.queues),
                 user=found[0].username if found is not None else "", **call.ids)
        agi.set_variable("CC_QUEUES", "&".join(self.settings.queues))
        agi.set_variable("CC_MEMBER_NAME", name)
        return "answered"


class PauseReason:
    def __init__(self, settings: DeskSettings) -> None:
        self.settings = settings

    def __call__(self, call: Call) -> str:
        code, agi = _arg(call, 1), call.agi
        reasons = self.settings.pause_reasons
        if not _DIGITS.fullmatch(code) or not 1 <= int(code) <= len(reasons):
            log.info("agi.pause_code_unknown", code=code[:8], known=len(reasons), **call.ids)
            agi.set_variable("CC_PAUSE", "no")
            return "unknown"
        reason = reasons[int(code) - 1]
        log.info("agi.pause_reason", code=int(code), reason=reason, **call.ids)
        agi.set_variable("CC_PAUSE_REASON", reason)
        agi.set_variable("CC_PAUSE", "yes")
        return "answered"
