"""From the daemon's outcomes and alert transitions to push messages: figures for
supervisors, and each agent's own call, to that agent alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from callcenter.domain import outcomes as oc
from callcenter.domain.alerts import AlertTransition
from callcenter.domain.wallboard import Wallboard
from callcenter.web.hub import Hub


class LiveFeed:
    def __init__(self, hub: Hub, wallboard: Wallboard, *, surge: dict[str, Any],
                 thresholds: dict[str, Any]) -> None:
        self.hub = hub
        self.wallboard = wallboard
        self.surge = surge
        self.thresholds = thresholds
        self.calls_by_linkedid: dict[str, dict[str, Any]] = {}
        self.current_call: dict[str, str] = {}  # agent interface -> linkedid

    def call_of(self, interface: str | None) -> dict[str, Any] | None:
        linkedid = self.current_call.get(interface or "")
        return None if linkedid is None else self.calls_by_linkedid.get(linkedid)

    def on_outcomes(self, outcomes: Sequence[oc.Outcome]) -> None:
        changes = self.wallboard.apply(outcomes)
        for o in outcomes:
            if isinstance(o, oc.TicketOpened):
                call: dict[str, Any] = {
                    "linkedid": o.linkedid, "uniqueid": o.uniqueid, "queue": o.queue,
                    "caller_number": o.caller_number, "owner": o.owner.interface,
                    "owner_name": o.owner.name, "late_answer": o.late_answer,
                    "ring_s": round(o.ring_s, 1), "hold_s": round(o.hold_s, 1), "at": o.at}
                self.calls_by_linkedid[o.linkedid] = call
                self._connect(o.owner.interface, call)
            elif isinstance(o, oc.TicketParticipantAdded):
                joined = self.calls_by_linkedid.get(o.linkedid)
                if joined is not None:  # a transfer: the ticket follows the caller
                    self._connect(o.agent.interface, joined)
            elif isinstance(o, oc.CallCompleted):
                if self.current_call.get(o.agent.interface) == o.linkedid:
                    self._release(o.agent.interface)
                    self.hub.to_agent(o.agent.interface, "call_ended",
                                      {"linkedid": o.linkedid, "talk_s": round(o.talk_s, 1)})
            elif isinstance(o, oc.ViolationRaised):
                self.hub.to_agent(o.agent.interface, "violation",
                                  {"linkedid": o.linkedid, "penalty": o.penalty_points})
        if changes.new_day:
            self.hub.to_supervisors("snapshot", self.snapshot())
        for name in changes.queues:
            self.hub.to_supervisors("queue", self.wallboard.queues[name].view())
        for interface in changes.agents:
            view = self.wallboard.agents[interface].view()
            self.hub.to_supervisors("agent", view)
            self.hub.to_agent(interface, "me", view)
        for at, waiting in changes.points:
            self.hub.to_supervisors("point", {"at": at, "waiting": waiting})

    def _connect(self, interface: str, call: dict[str, Any]) -> None:
        if self.current_call.get(interface) != call["linkedid"]:
            self._release(interface)  # a completion we never heard of (link down) ends here
        self.current_call[interface] = call["linkedid"]
        self.hub.to_agent(interface, "call", call)

    def _release(self, interface: str) -> None:
        """The agent is off this call; the call is forgotten once nobody is on it."""
        linkedid = self.current_call.pop(interface, None)
        if linkedid is not None and linkedid not in self.current_call.values():
            self.calls_by_linkedid.pop(linkedid, None)

    def on_alerts(self, transitions: Sequence[AlertTransition]) -> None:
        for t in transitions:
            self.hub.to_supervisors("alert", {**asdict(t), "change": t.change.value})

    def on_surge(self, surge: dict[str, Any]) -> None:
        self.surge = surge
        self.hub.to_supervisors("surge", surge)

    def snapshot(self) -> dict[str, Any]:
        return {**self.wallboard.snapshot(), "surge": self.surge, "thresholds": self.thresholds}
