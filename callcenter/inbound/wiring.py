"""Inbound tracking: queue and agent events from AMI into the tracker, the tracker's
timers, and a log line for every transition it decides."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.core.health import Condition
from callcenter.core.metrics import counter, one
from callcenter.domain import outcomes as oc
from callcenter.inbound import http
from callcenter.inbound.ami import InboundStream

log = structlog.get_logger("callcenter.inbound")


def log_outcomes(outcomes: Sequence[oc.Outcome]) -> None:
    """Transitions at INFO with their ids; the queue picture's bookkeeping at DEBUG."""
    for o in outcomes:
        match o:
            case oc.ViolationRaised():
                log.info("violation.raised", linkedid=o.linkedid, uniqueid=o.leg_uniqueid,
                         queue=o.queue, agent=o.agent.name, budget_s=o.budget_s,
                         penalty=o.penalty_points)
            case oc.ViolationSettled():
                log.info("violation.settled", uniqueid=o.leg_uniqueid, kind=o.kind.value,
                         ring_s=o.ring_s)
            case oc.AgentStateChanged():
                log.info("agent.state", agent=o.agent.name, interface=o.agent.interface,
                         state=o.state.value, reason=o.reason, linkedid=o.current_linkedid)
            case oc.CallJoined():
                log.info("call.joined", linkedid=o.linkedid, uniqueid=o.uniqueid, queue=o.queue,
                         caller_number=o.caller_number)
            case oc.CallAbandoned():
                log.info("call.abandoned", linkedid=o.linkedid, uniqueid=o.uniqueid,
                         queue=o.queue, waited_s=o.waited_s)
            case oc.CallCompleted():
                log.info("call.completed", linkedid=o.linkedid, queue=o.queue,
                         agent=o.agent.name, talk_s=o.talk_s, hangup_by=o.hangup_by)
            case oc.TicketOpened() | oc.TicketParticipantAdded():
                pass  # the tickets feature tells
            case _:
                fields: dict[str, Any] = {k: str(getattr(o, k)) for k in o.__slots__}
                log.debug(type(o).__name__, **fields)


def wire(core: Core) -> Contribution:
    # One stream per server, each into its own tracker.
    streams = {name: InboundStream(core, server) for name, server in core.servers.items()}
    by_part = {server.health_part: streams[name] for name, server in core.servers.items()}

    def on_health(conditions: Sequence[Condition]) -> None:
        for c in conditions:
            if c.part in by_part and not c.ok:
                by_part[c.part].link_lost()

    return Contribution(outcome_sinks=[log_outcomes],
                        server_handlers={name: [s] for name, s in streams.items()},
                        health_listeners=[on_health],
                        tasks=[s.run_timers for s in streams.values()],
                        routers=[http.routes(core)],
                        collectors=[counter(
                            "callcenter_events_handled", "AMI events translated and handled "
                            "by the tracker", one(lambda: sum(s.events_handled
                                                              for s in streams.values())))])
