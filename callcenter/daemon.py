"""The composition root: wires the AMI client, the tracker, the timers and the
store by hand, and owns every task it starts."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from callcenter.ami.client import AmiClient, RawMessage, flatten
from callcenter.ami.translate import KNOWN_EVENTS, MalformedEvent, snapshot, translate
from callcenter.callbacks import service as campaigns
from callcenter.callbacks.dialer import Dialer
from callcenter.callbacks.settings import callback_settings, surge_config
from callcenter.callbacks.surge_watch import SurgeWatch
from callcenter.config import Config
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import Clock
from callcenter.domain.tracker import Tracker
from callcenter.store.db import engine_for, require_current
from callcenter.store.writer import StoreWriter

log = structlog.get_logger("callcenter.daemon")

_LIFECYCLE = frozenset({"fullybooted", "shutdown"})


class SystemClock:
    def now(self) -> float:
        return time.time()


class Daemon:
    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.engine = engine_for(config.database_url)
        require_current(self.engine, config.database_url)
        self.tracker = Tracker(config.rules, self.clock)
        self.writer = StoreWriter(
            config.database_url, config.repeat_caller_window_days * 86400.0,
            batch_max=config.batch_max, flush_interval_s=config.flush_interval_s,
            log_level=config.log_level)
        self.ami = AmiClient(config.ami, on_message=self.on_message, on_connected=self.resync,
                             wants=self.wants)
        self.callbacks = callback_settings(config)
        self.surge = SurgeWatch(self.engine, surge_config(config), ami=self.ami,
                                tracker=self.tracker, clock=self.clock,
                                bucket_s=config.rules.sample_interval_s)
        self.dialer = Dialer(self.engine, self.ami, settings=self.callbacks, clock=self.clock,
                             center_tz=config.timezone,
                             free_agents=self.tracker.agents_available,
                             paused_by_surge=lambda: self.surge.callbacks_paused)
        # Ensured once, here: concurrent abandons must all land in the same campaign.
        self._abandoned_campaign = campaigns.abandoned_campaign(self.engine, self.clock.now())
        self.scheduler = AsyncIOScheduler(timezone=config.timezone)
        self._side_tasks: set[asyncio.Task[Any]] = set()
        self._timers_changed = asyncio.Event()
        self._next_wake: float | None = None
        self._stop = asyncio.Event()
        self.events_handled = 0

    # -- the event path (synchronous, never raises) --------------------------------
    def wants(self, name: str, uniqueid: str) -> bool:
        """Messages worth translating: queue/agent events, life-cycle, our callbacks'."""
        lowered = name.lower()
        return (lowered in KNOWN_EVENTS or lowered in _LIFECYCLE or not name
                or uniqueid in self.dialer.watched)

    def on_message(self, raw: RawMessage) -> None:
        if raw.get("Uniqueid") in self.dialer.watched:
            self.dialer.on_message(raw)
        try:
            event = translate(raw)
        except MalformedEvent as exc:
            log.warning("ami.malformed_event", error_id=exc.error_id, detail=str(exc))
            return
        if event is None:
            name = raw.get("Event", "")
            if name in ("FullyBooted", "Shutdown"):
                log.info("asterisk." + name.lower(), status=raw.get("Status", ""))
            return
        self.events_handled += 1
        self.emit(self.tracker.handle(event))
        soonest = self.tracker.take_soonest_new_deadline()
        if soonest is not None and (self._next_wake is None or soonest < self._next_wake):
            self._timers_changed.set()  # a timer came forward: re-arm

    def emit(self, outcomes: list[oc.Outcome]) -> None:
        if not outcomes:
            return
        self.writer.submit(outcomes)
        for outcome in outcomes:
            _log_outcome(outcome)
            if isinstance(outcome, oc.CallAbandoned):
                self._abandoned(outcome)
            elif isinstance(outcome, oc.TicketOpened):
                self._got_through(outcome)

    def _abandoned(self, outcome: oc.CallAbandoned) -> None:
        """A caller who waited long enough and gave up gets a callback entry."""
        if outcome.waited_s < self.callbacks.abandoned_min_wait_s:
            return
        if outcome.caller_number:
            self._side(asyncio.to_thread(self._add_abandoned, outcome.caller_number, outcome.at))

    def _add_abandoned(self, number: str, at: float) -> None:
        campaigns.add_contact(self.engine, self._abandoned_campaign, number, at,
                              tz=self.config.timezone, calendar=self.callbacks.window.calendar,
                              deadline=at + self.callbacks.abandoned_deadline_s,
                              note="abandoned in queue")

    def _got_through(self, outcome: oc.TicketOpened) -> None:
        if outcome.caller_number:
            self._side(asyncio.to_thread(campaigns.cancel_abandoned, self.engine,
                                         outcome.caller_number))

    async def _job(self, job: Callable[[], Awaitable[Any]]) -> None:
        """A scheduled job; one cancelled by our own shutdown ends quietly."""
        try:
            await job()
        except asyncio.CancelledError:
            if not self._stop.is_set():
                raise

    async def _check_deadlines(self) -> None:
        await asyncio.to_thread(campaigns.check_deadlines, self.engine, self.clock.now())

    def _side(self, coro: Any) -> None:
        task: asyncio.Task[Any] = asyncio.create_task(coro)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_done)

    def _side_done(self, task: asyncio.Task[Any]) -> None:
        self._side_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("daemon.side_task_failed", exc_info=task.exception())

    async def resync(self) -> None:
        """On every (re)connect: the whole picture from QueueStatus."""
        reply = await self.ami.action({"Action": "QueueStatus"}, as_list=True)
        snap = snapshot([flatten(m) for m in reply])
        log.info("ami.resynced", queues=len(snap.queues), members=len(snap.members),
                 waiting=len(snap.waiting))
        self.emit(self.tracker.handle(snap))
        self._timers_changed.set()
        await self.dialer.reconcile()

    # -- timers: ring budgets, wrap-up ends, queue samples ------------------------------
    async def _timers(self) -> None:
        while True:
            deadline = self._next_wake = self.tracker.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self.clock.now())
            self._timers_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timers_changed.wait(), timeout)
            deadline = self.tracker.next_deadline()
            if deadline is not None and deadline <= self.clock.now():
                self.emit(self.tracker.tick())

    # -- life cycle -----------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        self.writer.start()
        log.info("daemon.started", config=self.config.source,
                 ami=f"{self.config.ami.host}:{self.config.ami.port}",
                 ring_budget_s=self.config.rules.ring_budget_s)
        self.scheduler.add_job(self._job, "interval", args=[self.dialer.tick],
                               seconds=self.callbacks.dialer_interval_s, id="dialer",
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self._job, "interval", args=[self.surge.check],
                               seconds=self.surge.config.check_interval_s, id="surge",
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self._job, "interval", args=[self._check_deadlines],
                               seconds=60, id="deadlines",
                               max_instances=1, coalesce=True)
        self.scheduler.start()
        ami_task = asyncio.create_task(self.ami.run(), name="ami")
        timer_task = asyncio.create_task(self._timers(), name="timers")
        stop_task = asyncio.create_task(self._stop.wait(), name="stop")
        try:
            done, _ = await asyncio.wait({ami_task, timer_task, stop_task},
                                         return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stop_task}:
                task.result()  # a crashed task is a crashed daemon: raise it
        finally:
            self.scheduler.shutdown(wait=False)
            await self.dialer.close()
            for task in list(self._side_tasks):
                with contextlib.suppress(Exception):
                    await task
            self.ami.stop()
            timer_task.cancel()
            stop_task.cancel()
            for task in (ami_task, timer_task, stop_task):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self.writer.close()
            log.info("daemon.stopped", events=self.events_handled)


def _log_outcome(outcome: oc.Outcome) -> None:
    fields: dict[str, Any]
    match outcome:
        case oc.TicketOpened():
            log.info("ticket.opened", linkedid=outcome.linkedid, uniqueid=outcome.uniqueid,
                     queue=outcome.queue, agent=outcome.owner.name,
                     caller_number=outcome.caller_number, ring_s=outcome.ring_s,
                     apologise_first=outcome.late_answer)
        case oc.ViolationRaised():
            log.info("violation.raised", linkedid=outcome.linkedid,
                     uniqueid=outcome.leg_uniqueid, queue=outcome.queue,
                     agent=outcome.agent.name, budget_s=outcome.budget_s,
                     penalty=outcome.penalty_points)
        case oc.ViolationSettled():
            log.info("violation.settled", uniqueid=outcome.leg_uniqueid,
                     kind=outcome.kind.value, ring_s=outcome.ring_s)
        case oc.AgentStateChanged():
            log.info("agent.state", agent=outcome.agent.name, interface=outcome.agent.interface,
                     state=outcome.state.value, reason=outcome.reason,
                     linkedid=outcome.current_linkedid)
        case oc.CallJoined():
            log.info("call.joined", linkedid=outcome.linkedid, uniqueid=outcome.uniqueid,
                     queue=outcome.queue, caller_number=outcome.caller_number)
        case oc.CallAbandoned():
            log.info("call.abandoned", linkedid=outcome.linkedid, uniqueid=outcome.uniqueid,
                     queue=outcome.queue, waited_s=outcome.waited_s)
        case oc.CallCompleted():
            log.info("call.completed", linkedid=outcome.linkedid, queue=outcome.queue,
                     agent=outcome.agent.name, talk_s=outcome.talk_s,
                     hangup_by=outcome.hangup_by)
        case _:
            fields = {k: getattr(outcome, k) for k in outcome.__slots__}
            log.debug(type(outcome).__name__, **{k: str(v) for k, v in fields.items()})
