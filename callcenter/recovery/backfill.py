"""The queue_log reader.  One pass reads the lines after the checkpoint, turns those of
calls the daemon missed into outcomes (domain/gap_recovery.py) published on the
outcome bus like live ones, moves the checkpoint on once they are written, and
compares the intervals now read completely (domain/cross_check.py).

A pass runs after every AMI (re)connect, once the inbound resync is done, and on a
timer while the link stays up; never two at once.  What is a gap: every line before
the moment the link came up (`live_from`) may have been missed; the store decides
whether it was.  Lines after it were seen live, provided the link was really up:
a half-open link is noticed only after `ping_interval_s + ping_timeout_s`, so lines
younger than that are left for the next pass (by then, a link that was dead is
known to be, and the next connect's pass takes them as a gap)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from callcenter.core.core import Core
from callcenter.core.servers import Server
from callcenter.core.settings import CenterSettings
from callcenter.domain import outcomes as oc
from callcenter.domain.alerts import AlertTransition
from callcenter.domain.cross_check import Tally
from callcenter.domain.gap_recovery import RecoveryRules, callids, recover
from callcenter.domain.outcomes import DEFAULT_SERVER, stamped
from callcenter.domain.queue_log import Entry, parse_line
from callcenter.errors import QueueLogMismatch, QueueLogUnreadable
from callcenter.recovery import service
from callcenter.recovery.settings import RecoverySettings
from callcenter.recovery.tail import Position, read_since

log = structlog.get_logger("callcenter.recovery")

# After a connect, the lines of the connect's own second may be live ones: their
# outcomes are written before the store is asked (queue_log's times are whole seconds).
BACKFILL_DELAY_S = 1.5
FLUSH_TIMEOUT_S = 30.0
MAX_READ_BYTES = 16 << 20  # per pass; a long outage is read over several passes
AROUND_S = 60.0  # stored calls this far around an interval are read for the cross-check


@dataclass
class _Step:
    outcomes: list[oc.Outcome]
    entries: list[Entry]
    position: Position
    last_entry_at: float | None
    read_until: float  # every line up to this time was read
    refused: int


class QueueLogReader:
    """One Asterisk server's queue_log (its `[[ami]] queue_log` path): its own
    checkpoint, link, tracker and health part (`queue_log`, `queue_log:<name>`)."""

    def __init__(self, core: Core, path: Path, settings: RecoverySettings,
                 server: Server | None = None) -> None:
        self.server = server or next(iter(core.servers.values()))
        ami = self.server.settings
        self.core = core
        self.path = path
        self.name = self.server.name
        self.several = len(core.servers) > 1
        self.part = self.server.health_part.replace("ami", "queue_log", 1)
        self.margin_s = ami.ping_interval_s + ami.ping_timeout_s + 1.0
        ring = self.server.tracker.rules
        self.rules = RecoveryRules(ring.ring_budget_s, ring.late_answer_penalty,
                                   core.config.get(CenterSettings).phones)
        self.tally = Tally(settings.cross_check_s, settle_s=2.0)
        self.live_from: float | None = None
        self.epoch = -1
        self._lock = asyncio.Lock()
        self._loaded = False
        self._position: Position | None = None
        self._last_entry_at: float | None = None
        self._problem: str | None = None

    # -- when ------------------------------------------------------------------------
    def connected(self) -> None:
        """On every (re)connect, after the inbound resync: backfill the gap."""
        self.live_from = self.core.clock.now()
        self.epoch = self.server.ami.connections
        self.core.tasks.spawn(self._backfill(self.epoch), name="queue-log-backfill")

    async def _backfill(self, epoch: int) -> None:
        await asyncio.sleep(BACKFILL_DELAY_S + 0.1)  # past run_pass's own bound, surely
        if epoch == self.epoch:
            await self.run_pass(backfill=True)

    def _link_up(self, epoch: int) -> bool:
        ami = self.core.health.snapshot().get(self.server.health_part)
        return (ami is not None and ami.ok and epoch == self.epoch
                and self.server.ami.connections == epoch)

    # -- a pass ----------------------------------------------------------------------
    async def run_pass(self, backfill: bool = False) -> None:
        async with self._lock:
            live_from, epoch = self.live_from, self.epoch
            if live_from is None or not self._link_up(epoch):
                # Down: the next connect reads what this pass would have.
                await asyncio.to_thread(self._probe)
                return
            started = self.core.clock.now()
            if started < live_from + BACKFILL_DELAY_S:
                return  # just connected: the backfill comes once the connect's second is stored
            # The live picture belongs to the event loop: read it here.
            agents = {a.name: a.interface for a in self.server.tracker.agents.values()}
            try:
                step = await asyncio.to_thread(self._read, started, live_from, agents)
            except QueueLogUnreadable as exc:
                self._report(str(exc))
                return
            if step is None:
                return
            self._log(step)
            self.core.outcomes.publish(stamped(step.outcomes, self.name))
            if not self._link_up(epoch):
                return  # dropped meanwhile: lines taken as live may not have been
            changed = await asyncio.to_thread(self._settle, step)
            self.core.alerts.publish(changed)
            log.debug("queue_log.read", lines=len(step.entries), outcomes=len(step.outcomes),
                      took_s=round(self.core.clock.now() - started, 3),
                      read_until=self._iso(step.read_until))
            self._report(None)
            if backfill:
                log.info("queue_log.backfilled", server=self.name, path=str(self.path),
                         lines=len(step.entries),
                         outcomes=len(step.outcomes), checkpoint_at=self._iso(step.last_entry_at),
                         live_from=self._iso(live_from))

    def _probe(self) -> None:
        """While the link is down nothing is read, but the file's state is still told."""
        try:
            read_since(self.path, None, 0)
        except QueueLogUnreadable as exc:
            self._report(str(exc))
        else:
            if self._problem is not None:
                self._report(None)

    def _read(self, started: float, live_from: float, agents: Mapping[str, str]) -> _Step | None:
        """In a worker thread: the lines to take now and what they recover."""
        if not self.core.flush_store(FLUSH_TIMEOUT_S):
            log.warning("queue_log.store_behind", detail="live outcomes not written yet")
            return None
        if not self._loaded:
            first = self.server is next(iter(self.core.servers.values()))
            found = service.load_checkpoint(self.core.engine, self.name,
                                            DEFAULT_SERVER if first else None)
            self._position, self._last_entry_at = found if found else (None, None)
            self._loaded = True
        read = read_since(self.path, self._position, MAX_READ_BYTES)
        cutoff = started - self.margin_s
        if self._position is None:
            # Never read before: from now on (the history before is no gap of ours).
            log.info("queue_log.started", server=self.name, path=str(self.path),
                     offset=read.start.offset)
            return _Step([], [], read.start, None, cutoff, 0)
        if read.lost:
            log.warning("queue_log.rotated_away", error_id=QueueLogUnreadable.error_id,
                        detail=read.lost)
        taken: list[Entry] = []
        position, last_at, refused, stopped = read.start, self._last_entry_at, 0, False
        for line in read.lines:
            entry = parse_line(line.text) if line.text.strip() else None
            if entry is not None and not (entry.at < live_from or entry.at <= cutoff):
                stopped = True  # too young to be sure it was seen live: next pass
                break
            if entry is None:
                refused += bool(line.text.strip())
            else:
                taken.append(entry)
                last_at = entry.at
            position = line.end
        read_until = cutoff if stopped or not read.more else (last_at or cutoff) - 1.0
        stored = service.stored(self.core.engine, callids(taken), agents)
        return _Step(recover(taken, stored, self.rules, live_from), taken, position, last_at,
                     read_until, refused)

    def _settle(self, step: _Step) -> list[AlertTransition]:
        """In a worker thread: the checkpoint moves on once what was recovered is
        written (a crash before that reads the same lines again), then the intervals
        now read completely are compared."""
        engine, now = self.core.engine, self.core.clock.now()
        if step.outcomes and not self.core.flush_store(FLUSH_TIMEOUT_S):
            log.warning("queue_log.store_behind", detail="recovered outcomes not written yet")
            return []
        if step.position != self._position or step.last_entry_at != self._last_entry_at:
            service.save_checkpoint(engine, self.name, str(self.path), step.position,
                                    last_entry_at=step.last_entry_at, now=now)
            self._position, self._last_entry_at = step.position, step.last_entry_at
        self.tally.add(step.entries, step.read_until)
        changed: list[AlertTransition] = []
        for start in self.tally.due():
            end = start + self.tally.interval_s
            rows = service.stored_outcomes(engine, start, end, self.tally.callids(start),
                                           AROUND_S, server=self.name if self.several else None)
            mismatches, agreed = self.tally.compare(start, rows)
            for x in mismatches:
                log.error("queue_log.mismatch", error_id=QueueLogMismatch.error_id, server=self.name,
                          queue=x.queue, start=self._iso(x.start), end=self._iso(x.end),
                          answered_queue_log=x.answered[0], answered_daemon=x.answered[1],
                          abandoned_queue_log=x.abandoned[0], abandoned_daemon=x.abandoned[1],
                          missing=list(x.missing[:20]), extra=list(x.extra[:20]))
            changed += service.record_check(engine, mismatches, agreed, now, self.core.tz,
                                            server=self.name if self.several else None)
        return changed

    # -- telling -----------------------------------------------------------------------
    def _report(self, problem: str | None) -> None:
        figures = (("checkpoint_at", self._last_entry_at or 0.0),)
        if problem is not None and problem != self._problem:
            log.warning("queue_log.unreadable", error_id=QueueLogUnreadable.error_id,
                        server=self.name, detail=problem)
        elif problem is None and self._problem is not None:
            log.info("queue_log.readable", server=self.name, path=str(self.path))
        self._problem = problem
        self.core.health.report(self.part, problem is None,
                                problem or f"following {self.path}", figures=figures)

    def _iso(self, at: float | None) -> str | None:
        return None if at is None else datetime.fromtimestamp(at, self.core.tz).isoformat()

    def _log(self, step: _Step) -> None:
        if step.refused:
            log.warning("queue_log.malformed_lines", error_id="queue_log.malformed_line",
                        lines=step.refused)
        for o in step.outcomes:
            match o:
                case oc.TicketOpened():
                    log.info("recovery.ticket", linkedid=o.linkedid, uniqueid=o.uniqueid,
                             queue=o.queue, agent=o.owner.name, caller_number=o.caller_number,
                             hold_s=o.hold_s, ring_s=o.ring_s, at=self._iso(o.at))
                case oc.CallAbandoned():
                    log.info("recovery.abandoned", linkedid=o.linkedid, uniqueid=o.uniqueid,
                             queue=o.queue, waited_s=o.waited_s, caller_number=o.caller_number)
                case oc.ViolationRaised():
                    log.info("recovery.violation", linkedid=o.linkedid, uniqueid=o.leg_uniqueid,
                             queue=o.queue, agent=o.agent.name, penalty=o.penalty_points)
                case oc.ViolationSettled():
                    log.info("recovery.violation_settled", uniqueid=o.leg_uniqueid,
                             kind=o.kind.value, ring_s=o.ring_s)
                case oc.CallCompleted():
                    log.info("recovery.completed", linkedid=o.linkedid, queue=o.queue,
                             agent=o.agent.name, talk_s=o.talk_s, hangup_by=o.hangup_by)
                case _:
                    pass
