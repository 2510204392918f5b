"""From the daemon's outcomes, alert transitions and surge changes to push messages:
figures for supervisors, and each agent's own call, to that agent alone.  Whose call
is whose is the tracker's to know: this feed only reads it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from callcenter.core.health import Condition
from callcenter.domain import outcomes as oc
from callcenter.domain.alerts import AlertTransition
from callcenter.domain.live_view import ActiveCall, LiveView
from callcenter.domain.paused_today import PausedToday
from callcenter.domain.ratings_today import RatingChanged, RatingSplit
from callcenter.domain.surge import SurgeLevel, SurgeState
from callcenter.domain.text import plain
from callcenter.domain.wallboard import Wallboard
from callcenter.web.health_view import health_view, health_views
from callcenter.web.hub import Hub

NORMAL = SurgeState(SurgeLevel.NORMAL, None, 0)  # until the surge monitor says otherwise


def call_view(call: ActiveCall) -> dict[str, Any]:
    """A call as the agent desk shows it."""
    return {"linkedid": call.linkedid, "uniqueid": call.uniqueid, "queue": call.queue,
            "caller_number": plain(call.caller_number), "owner": call.owner.interface,
            "owner_name": call.owner.name, "late_answer": call.late_answer,
            "ring_s": round(call.ring_s, 1), "hold_s": round(call.hold_s, 1),
            "at": call.answered_at}


class LiveFeed:
    def __init__(self, hub: Hub, wallboard: Wallboard, tracker: LiveView, *,
                 thresholds: dict[str, Any],
                 surge: SurgeState = NORMAL, ratings: RatingSplit | None = None,
                 paused: PausedToday | None = None, display: Mapping[str, Any] | None = None,
                 health: Callable[[], Mapping[str, Condition]] | None = None,
                 servers: Mapping[str, str] | None = None,
                 definitions: dict[str, dict[str, str]] | None = None) -> None:
        self.hub = hub
        self.wallboard = wallboard
        self.tracker = tracker
        self.surge = surge
        self.thresholds = thresholds
        self.ratings = ratings  # today's rating split per queue
        self.paused = paused  # today's paused time per agent and reason
        self.display = dict(display or {})  # the wallboard's settings: bands, names, chart
        self.health = health or dict
        self.servers = dict(servers or {})  # part -> the Asterisk server it talks to
        self._queues_of: dict[str, list[str]] = {}  # interface -> queues it is logged in to
        self._memberships_seen = -1  # the tracker's membership_changes at the last look
        self.definitions = definitions or {}  # the tile figures' glossary (中文, English)

    def agent_view(self, interface: str) -> dict[str, Any]:
        """An agent's row: the day's figures, the queues it is in, paused time by reason."""
        queues = self._queues_of[interface] = [
            m.queue for m in self.tracker.memberships_of(interface)]
        return {**self.wallboard.agents[interface].view(), "queues": queues,
                "paused_today": self.paused.view(interface) if self.paused else {}}

    def _moved_agents(self) -> set[str]:
        """Agents whose queues changed without a change of state (a second queue).
        Every agent is looked at only when some membership changed since the last look
        (with several servers, every server's every agent: not on every event)."""
        changes = self.tracker.membership_changes()
        if changes == self._memberships_seen:
            return set()
        self._memberships_seen = changes
        return {interface for interface in self.wallboard.agents
                if [m.queue for m in self.tracker.memberships_of(interface)]
                != self._queues_of.get(interface)}

    def on_outcomes(self, outcomes: Sequence[oc.Outcome]) -> None:
        changes = self.wallboard.apply(outcomes)
        if self.paused is not None:
            changes.agents |= self.paused.apply(outcomes) & set(self.wallboard.agents)
        if changes.queues:
            changes.agents |= self._moved_agents()
        for o in outcomes:
            if isinstance(o, oc.TicketOpened | oc.TicketParticipantAdded):
                # A new call, or a transfer: the ticket follows the caller.
                agent = o.owner if isinstance(o, oc.TicketOpened) else o.agent
                call = self.tracker.current_call(agent.interface)
                if call is not None and call.linkedid == o.linkedid:
                    self.hub.to_agent(agent.interface, "call", call_view(call))
            elif isinstance(o, oc.CallCompleted):
                now_on = self.tracker.current_call(o.agent.interface)
                if now_on is None or now_on.linkedid == o.linkedid:  # not a late report
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
            view = self.agent_view(interface)
            self.hub.to_supervisors("agent", view)
            self.hub.to_agent(interface, "me", view)
        for at, waiting in changes.points:
            self.hub.to_supervisors("point", {"at": at, "waiting": waiting})

    def on_alerts(self, transitions: Sequence[AlertTransition]) -> None:
        for t in transitions:
            self.hub.to_supervisors("alert", {**asdict(t), "change": t.change.value})

    def on_health(self, conditions: Sequence[Condition]) -> None:
        for c in conditions:
            self.hub.to_everyone("health", health_view(c, self.servers))

    def health_snapshot(self) -> list[dict[str, Any]]:
        return health_views(self.health(), self.servers)

    def on_surge(self, states: Sequence[SurgeState]) -> None:
        self.surge = states[-1]
        self.hub.to_supervisors("surge", self.surge.view())

    def on_ratings(self, changes: Sequence[RatingChanged]) -> None:
        if self.ratings is None:
            return
        for queue in sorted(self.ratings.apply(changes)):
            self.hub.to_supervisors("ratings", self.ratings.view(queue))

    def snapshot(self) -> dict[str, Any]:
        board = self.wallboard.snapshot()
        board.pop("agents")  # each with the queues it is in and today's paused time
        agents = [self.agent_view(interface) for interface in sorted(
            self.wallboard.agents, key=lambda i: (self.wallboard.agents[i].name, i))]
        return {**board, "agents": agents, "surge": self.surge.view(),
                "thresholds": self.thresholds, **self.display,
                "definitions": self.definitions, "health": self.health_snapshot(),
                "ratings": self.ratings.views() if self.ratings is not None else []}
