"""The composition root: wires the AMI client, the tracker, the timers and the
store by hand, and owns every task it starts."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from callcenter.ami.client import AmiClient, RawMessage, flatten
from callcenter.ami.translate import KNOWN_EVENTS, MalformedEvent, snapshot, translate
from callcenter.callbacks import service as campaigns
from callcenter.callbacks.dialer import Dialer
from callcenter.callbacks.settings import callback_settings, surge_config
from callcenter.callbacks.surge_watch import SurgeWatch, surge_view
from callcenter.callbacks.surge_watch import current as current_surge
from callcenter.config import Config
from callcenter.domain import outcomes as oc
from callcenter.domain.alerts import AlertTransition
from callcenter.domain.calendar import deadline_for
from callcenter.domain.clock import Clock
from callcenter.domain.tracker import Tracker
from callcenter.domain.wallboard import Wallboard
from callcenter.store.db import engine_for, require_current
from callcenter.store.writer import StoreWriter
from callcenter.tickets import service as tickets
from callcenter.web.app import create_app
from callcenter.web.context import WebContext
from callcenter.web.hub import Hub
from callcenter.web.live import LiveFeed
from callcenter.web.ratelimit import LoginThrottle
from callcenter.web.seed import day_seed
from callcenter.web.server import WebServer
from callcenter.web.settings import ticket_rules, web_settings
from callcenter.webhooks.dispatcher import WebhookDispatcher
from callcenter.webhooks.settings import webhook_settings

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
                                bucket_s=config.rules.sample_interval_s,
                                on_alerts=self.publish_alerts)
        self.dialer = Dialer(self.engine, self.ami, settings=self.callbacks, clock=self.clock,
                             center_tz=config.timezone,
                             free_agents=self.tracker.agents_available,
                             paused_by_surge=lambda: self.surge.callbacks_paused)
        # Ensured once, here: concurrent abandons must all land in the same campaign.
        self._abandoned_campaign = campaigns.abandoned_campaign(self.engine, self.clock.now())
        self.webhooks = WebhookDispatcher(webhook_settings(config))
        self.web_settings = web_settings(config)
        self.ticket_rules = ticket_rules(config)
        self.hub = Hub(self.web_settings.client_queue_max)
        self.live = self._live_feed()
        self.web = WebServer(create_app(self._web_context()), self.web_settings.host,
                             self.web_settings.port) if self.web_settings.enabled else None
        self.scheduler = AsyncIOScheduler(timezone=config.timezone)
        self._side_tasks: set[asyncio.Task[Any]] = set()
        self._timers_changed = asyncio.Event()
        self._next_wake: float | None = None
        self._stop = asyncio.Event()
        self.events_handled = 0

    def _live_feed(self) -> LiveFeed:
        th = self.surge.config.thresholds
        seed = day_seed(self.engine, self.clock.now(), self.config.timezone,
                        self.config.rules.sample_interval_s, self.surge.config.scope)
        wallboard = Wallboard(self.config.timezone, self.clock,
                              self.config.rules.sample_interval_s, seed)
        return LiveFeed(self.hub, wallboard, surge=current_surge(self.engine),
                        thresholds={"level1": th.level1_threshold, "level2": th.level2_threshold,
                                    "level1_inclusive": th.level1_inclusive,
                                    "level2_inclusive": th.level2_inclusive})

    def _web_context(self) -> WebContext:
        calendar, tz = self.callbacks.window.calendar, self.config.timezone
        return WebContext(
            engine=self.engine, clock=self.clock, tz=tz, settings=self.web_settings,
            hub=self.hub, live=self.live,
            throttle=LoginThrottle(self.clock, self.web_settings.login_max_failures,
                                   self.web_settings.login_lockout_s),
            ticket_rules=self.ticket_rules,
            deadline=lambda rule, start: deadline_for(rule, start, tz, calendar),
            callback_queue=self.callbacks.callback_queue, retry_policy=self.callbacks.policy,
            flush_store=self.writer.flush, publish_alerts=self.publish_alerts)

    def publish_alerts(self, transitions: Sequence[AlertTransition]) -> None:
        """Pages and webhooks hear of every alert transition, once (on the loop)."""
        for t in transitions:
            log.info("alert." + t.change.value, alert_id=t.alert_id, kind=t.kind, level=t.level,
                     ref=t.ref)
            self.webhooks.submit(t)
        self.live.on_alerts(transitions)

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
        try:
            self.live.on_outcomes(outcomes)
        except Exception:  # a page's figures must never stop the tracker
            log.exception("web.live_feed_failed")
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
        changed: list[AlertTransition] = []
        await asyncio.to_thread(campaigns.check_deadlines, self.engine, self.clock.now(), changed)
        self.publish_alerts(changed)

    async def _check_tickets(self) -> None:
        self.publish_alerts(await asyncio.to_thread(tickets.check_overdue, self.engine,
                                                    self.ticket_rules, self.clock.now()))

    async def _check_surge(self) -> None:
        transition = await self.surge.check()
        if transition is not None:
            self.live.on_surge(surge_view(transition.level, transition.at, transition.waiting))

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
        self.scheduler.add_job(self._job, "interval", args=[self._check_surge],
                               seconds=self.surge.config.check_interval_s, id="surge",
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self._job, "interval", args=[self._check_deadlines],
                               seconds=60, id="deadlines",
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self._job, "interval", args=[self._check_tickets],
                               seconds=self.config.tickets["check_interval_s"], id="tickets",
                               max_instances=1, coalesce=True)
        self.scheduler.start()
        self.webhooks.start()
        ami_task = asyncio.create_task(self.ami.run(), name="ami")
        timer_task = asyncio.create_task(self._timers(), name="timers")
        stop_task = asyncio.create_task(self._stop.wait(), name="stop")
        tasks = {ami_task, timer_task, stop_task}
        web_task = None
        if self.web is not None:
            web_task = asyncio.create_task(self.web.serve(), name="web")
            tasks.add(web_task)
            log.info("web.listening", url=f"http://{self.web.host}:{self.web.port}/")
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stop_task}:
                task.result()  # a crashed task is a crashed daemon: raise it
            if web_task is not None and web_task in done:
                raise RuntimeError("the web server stopped")
        finally:
            if web_task is not None and self.web is not None:
                self.hub.close()  # ends every event stream, so the server can stop
                self.web.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(web_task, 5)
            await self.webhooks.close()
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
