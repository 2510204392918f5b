"""The agent's own state through AMI: QueuePause (all their queues at once),
QueueAdd and QueueRemove, for the interface on their user and nothing else.  Every
action is checked against its grammar just before it is sent.  Nothing is changed
locally: the new state comes back from Asterisk's own QueueMemberPause /
QueueMemberAdded / QueueMemberRemoved events, through the tracker, to the wallboard;
this module also tells the agent's desk which queues they are in when those events
arrive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog

from callcenter.ami.grammar import check_member_action
from callcenter.domain.live_view import LiveView
from callcenter.domain.text import has_controls
from callcenter.errors import (
    AmiActionFailed,
    AmiError,
    AmiUnsafeValue,
    AsteriskRefused,
    AsteriskUnavailable,
    InvalidInput,
)

log = structlog.get_logger("callcenter.desk")

Send = Callable[[Mapping[str, str]], Awaitable[Any]]
_MEMBER_EVENTS = frozenset({"queuememberadded", "queuememberremoved", "queuememberpause"})


async def send_member_action(send: Send, fields: Mapping[str, str], *, user: str) -> None:
    """Check, send, translate the failure for the web layer."""
    try:
        checked = check_member_action(fields)
    except AmiUnsafeValue as exc:
        log.warning("desk.action_refused", error_id=exc.error_id, user=user, detail=str(exc))
        raise InvalidInput(str(exc)) from exc
    try:
        await send(checked)
    except AmiActionFailed as exc:
        log.info("desk.action_failed", error_id=exc.error_id, user=user,
                 action=checked["Action"], detail=str(exc))
        raise AsteriskRefused(str(exc)) from exc
    except AmiError as exc:
        log.warning("desk.action_unsent", error_id=exc.error_id, user=user,
                    action=checked["Action"])
        raise AsteriskUnavailable(f"{checked['Action']} not sent: {exc}") from exc
    log.info("desk.action_sent", user=user, action=checked["Action"],
             interface=checked["Interface"], queue=checked.get("Queue", ""),
             paused=checked.get("Paused", ""), reason=checked.get("Reason", ""))


def memberships_view(tracker: LiveView, interface: str) -> list[dict[str, Any]]:
    return [{"queue": m.queue, "paused": m.paused, "reason": m.reason}
            for m in tracker.memberships_of(interface)]


class MembershipEcho:
    """After the tracker took a member event (the inbound feature comes first in the
    wiring list), the agent's desk gets their queues as the tracker now has them."""

    def __init__(self, tracker: LiveView, push: Callable[[str, str, Any], None]) -> None:
        self.tracker = tracker
        self.push = push  # (interface, event, data) -> to that agent's browsers

    def wants(self, name: str, uniqueid: str) -> bool:
        return name.lower() in _MEMBER_EVENTS

    def on_message(self, raw: Mapping[str, str]) -> None:
        interface = raw.get("Interface", "")
        if not interface or len(interface) > 128 or has_controls(interface):
            return  # the tracker's boundary logged it; nothing to tell anybody
        try:
            self.push(interface, "my_queues", memberships_view(self.tracker, interface))
        except Exception:  # never raise into the AMI client (see its module)
            log.warning("desk.echo_failed", exc_info=True)

    async def on_connected(self) -> None:
        return None  # the desk re-reads its queues with every stream snapshot
