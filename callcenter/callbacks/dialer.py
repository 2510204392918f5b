"""The callback dialer: the thin async shell around the pure attempt state machine.

Every attempt is written as `dialing` (with its ActionID and ChannelId) *before*
Originate is sent, and registered with `callcenter.domain.attempts.Attempts`, which
decides its fate from the typed events of that channel (translated at the AMI
boundary) and from the Originate reply.  This module only carries the decisions out
against the database, sends Originate, drives the machine's deadline, and asks
Asterisk for its live channels on every (re)connect: attempts still under way are
followed again or sent to `review`, never dialed again blindly.

Its SQL is in dial_store.py, its requests to Asterisk and the reading of their replies
in dial_ami.py, and the Originate action it sends in originate.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine

from callcenter.ami.client import AmiClient
from callcenter.ami.grammar import check_originate
from callcenter.ami.translate import STANDARD_PHONES, translate_callback
from callcenter.callbacks import dial_store as store
from callcenter.callbacks.dial_ami import attempt_log, channels_live, member_of, originate_response
from callcenter.callbacks.links import DialLink, Router
from callcenter.callbacks.originate import OriginateSpec, originate_fields
from callcenter.callbacks.settings import CallbackSettings
from callcenter.core.leader import LeaderGate
from callcenter.domain import attempts as at
from callcenter.domain import events as ev
from callcenter.domain.clock import Clock
from callcenter.domain.leadership import LeaderChange
from callcenter.domain.outcomes import DEFAULT_SERVER
from callcenter.domain.phone import PhoneNumber, PhoneRules
from callcenter.errors import AmiError, AmiUnsafeValue, InvalidPhoneNumber, MalformedEvent

# Imported from here by the wiring, the tests and the test bed's recorder.
__all__ = ["Dialer", "OriginateSpec", "originate_fields"]

log = structlog.get_logger("callcenter.dialer")

# How long past the ring timeout an Originate reply is still waited for.
REPLY_MARGIN_S = 20.0


class Dialer:
    def __init__(self, engine: Engine, ami: AmiClient, *, settings: CallbackSettings,
                 clock: Clock, center_tz: ZoneInfo, free_agents: Callable[[str], int],
                 paused_by_surge: Callable[[], bool],
                 phones: PhoneRules = STANDARD_PHONES,
                 leader: LeaderGate | None = None,
                 recording: Callable[[str], str | None] | None = None,
                 links: Sequence[DialLink] = ()) -> None:
        self.engine = engine
        self.spec = OriginateSpec.of(settings, recording)
        # The servers it dials through (`ami` alone: the one default server).
        self.router = Router(links or [DialLink(DEFAULT_SERVER, ami, free_agents)])
        # Only the leader dials; alone, always.  A new leader first reconciles what the
        # old one left under way on each server (`reconciled`), then dials through it.
        self.leader = leader or LeaderGate()
        self.reconciled: set[str] = set(self.router.links) if self.leader.is_leader() else set()
        self.phones = phones
        self.settings = settings
        self.clock = clock
        self.tz = center_tz
        self.free_agents = free_agents
        self.paused_by_surge = paused_by_surge
        self.attempts = at.Attempts(clock, reason_outcomes=settings.reason_outcomes,
                                    cause_outcomes=settings.cause_outcomes)
        # By ChannelId (the channel's Uniqueid): the daemon asks `uniqueid in watched`
        # for every AMI message, so this is the machine's own dict, not a copy.
        self.watched: Mapping[str, object] = self.attempts.watched
        self._tasks: set[asyncio.Task[None]] = set()
        self._db_lock = asyncio.Lock()  # decisions reach the database in their order
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        # Called (on the loop) whenever an attempt's state reached the database: the
        # campaigns page follows the dialer through it.
        self.on_change: Callable[[], None] = lambda: None

    # -- events (synchronous, from the daemon's message path) -----------------------
    def on_message(self, raw: Mapping[str, str]) -> None:
        """A wire message; only those of a followed channel are read at all."""
        if raw.get("Uniqueid", "") not in self.watched:
            return
        try:
            event = translate_callback(raw, self.phones)
        except MalformedEvent as exc:
            log.warning("ami.malformed_event", error_id=exc.error_id, detail=str(exc))
            return
        if event is not None:
            self.on_event(event)

    def on_event(self, event: ev.CallbackEvent) -> None:
        """A typed event of a followed channel (translate_callback's)."""
        self._carry_out(self.attempts.handle(event))

    def _carry_out(self, decisions: list[at.Decision]) -> None:
        for decision in decisions:
            self._spawn(self._ask_agent(decision.ref) if isinstance(decision, at.AskAgent)
                        else self._apply(decision))
        self._arm_timer()

    def _arm_timer(self) -> None:
        """Wake at the machine's next deadline (a reply's grace for the Hangup cause)."""
        deadline = self.attempts.next_deadline()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, deadline
        if deadline is not None:
            delay = max(0.0, deadline - self.clock.now())
            self._timer = asyncio.get_running_loop().call_later(delay, self._deadline)

    def _deadline(self) -> None:
        self._timer, self._timer_at = None, None
        self._carry_out(self.attempts.tick())

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("dialer.task_failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait until every decision taken so far has reached the database."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def on_leader(self, changes: Sequence[LeaderChange]) -> None:
        """Leadership gained: reconcile, then dial.  Lost: stop following our attempts
        (the new leader reconciles them from the store) and stop dialing."""
        self.reconciled.clear()
        if changes[-1].leader:
            self._spawn(self.reconcile())
            return
        dropped = self.attempts.forget_all()
        self._arm_timer()
        log.info("callback.standing_by", attempts_left=dropped, epoch=changes[-1].epoch)

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the tick (APScheduler) ----------------------------------------------------
    async def tick(self) -> int:
        """Start whatever attempts may start now; returns how many were started."""
        self._carry_out(self.attempts.tick())  # a late timer never holds a decision back
        if not self.leader.is_leader() or self.paused_by_surge():
            return 0
        up = self.router.up(self.reconciled)
        if not up:
            return 0
        now = self.clock.now()
        # The tracker belongs to the event loop: read it here, not in the worker thread.
        queue = self.settings.callback_queue
        free_agents = self.free_agents(queue)
        plans, by_server, waiting = await asyncio.to_thread(
            store.plan, self.engine, self.settings, now, free_agents, up, center_tz=self.tz,
            server_of=self.router.server_of)
        for campaign_id, pinned in waiting:
            self.router.note(campaign_id, pinned, "server_down")
        started = 0
        for contact, campaign in plans:
            server = self.router.route(campaign, up, by_server, queue)
            if server is None:
                continue  # waits for its server (noted once); the contact stays pending
            by_server[server] = by_server.get(server, 0) + 1
            await self._dial(contact, campaign, now, server)
            started += 1
        return started

    async def _dial(self, contact: Any, campaign: Any, now: float,
                    server: str | None = None) -> None:
        server = server or self.router.first
        channel_id = f"cb-{uuid.uuid4().hex}"
        action_id = f"cb-act-{uuid.uuid4().hex}"
        try:  # again, just before dialing: nothing but a number reaches Originate
            number = PhoneNumber.parse(contact.phone, self.phones).digits
            check_originate(originate_fields(self.spec, at.AttemptRef(
                0, campaign.id, channel_id, action_id, number, at.Mode(campaign.mode), server),
                campaign.agent_interface))
        except (InvalidPhoneNumber, AmiUnsafeValue) as exc:
            log.warning("callback.refused", error_id=exc.error_id, detail=str(exc),
                        campaign=campaign.id, contact=contact.id)
            await asyncio.to_thread(store.refuse, self.engine, contact.id, str(exc), now)
            return
        attempt_id = await asyncio.to_thread(store.store_dialing, self.engine, self.leader,
                                             contact, campaign, channel_id=channel_id,
                                             action_id=action_id, now=now, server=server)
        if attempt_id is None:
            return  # someone else took it
        ref = at.AttemptRef(attempt_id, campaign.id, channel_id, action_id, number,
                            at.Mode(campaign.mode), server)
        fields = check_originate(originate_fields(self.spec, ref,
                                                  campaign.agent_interface))
        self.attempts.dialing(ref)  # before any event of the channel can arrive
        attempt_log(ref).info("callback.dialing", mode=campaign.mode)
        self.on_change()
        self._spawn(self._originate(ref, fields))

    async def _originate(self, ref: at.AttemptRef, fields: dict[str, str]) -> None:
        """Send Originate; its reply (OriginateResponse) goes to the machine like any event."""
        timeout = self.settings.policy.ring_timeout_s + REPLY_MARGIN_S
        try:
            reply = await self.router.link(ref.server).originate(fields, timeout=timeout)
        except AmiError as exc:
            # Unknown fate: left `dialing` for the channel's events or reconciliation,
            # never re-sent.
            attempt_log(ref).warning("callback.originate_unknown", error=str(exc))
            self._carry_out(self.attempts.reply_lost(ref.uniqueid))
            return
        self.on_event(originate_response(ref, reply))

    async def _ask_agent(self, ref: at.AttemptRef) -> None:
        """Which member took a call answered while we were away."""
        try:
            event = await member_of(self.router.link(ref.server), ref)
        except MalformedEvent as exc:
            attempt_log(ref).warning("ami.malformed_event", error_id=exc.error_id, detail=str(exc))
            return
        except AmiError as exc:  # gone meanwhile (its Hangup decides), or the link
            attempt_log(ref).warning("callback.agent_unknown", error=str(exc))
            return
        if event is not None:
            self.on_event(event)

    # -- carrying decisions out ----------------------------------------------------
    async def _apply(self, d: at.Decision) -> None:
        bound = attempt_log(d.ref)
        async with self._db_lock:
            match d:
                case at.MarkAnswered():
                    bound.info("callback.answered")
                    await asyncio.to_thread(store.update_live, self.engine, d.ref.attempt_id,
                                            status="answered", answered_at=d.at)
                case at.AgentTook():
                    bound.info("callback.agent", agent=d.interface)
                    await asyncio.to_thread(store.update_live, self.engine, d.ref.attempt_id,
                                            agent_interface=d.interface)
                case at.AwaitAgentOutcome():
                    bound.info("callback.ended", cause=d.cause)
                    await asyncio.to_thread(store.answered_ended, self.engine, d)
                case at.RecordNetworkOutcome():
                    bound.info("callback.not_connected", outcome=d.outcome.value,
                               reason=d.reason, cause=d.cause)
                    await asyncio.to_thread(store.network_outcome, self.engine, d,
                                            self.settings.policy)
                case at.MarkVanished():
                    bound.warning("callback.reconciled_vanished")
                    await asyncio.to_thread(store.vanished, self.engine, d.ref.attempt_id)
                case at.FollowedAgain():
                    bound.info("callback.reconciled_live", answered=d.answered)
        self.on_change()

    # -- reconciliation ------------------------------------------------------------
    async def reconcile(self, server: str | None = None) -> None:
        """On every (re)connect of a server (`server`), and on taking the lead (every
        server linked now; the others on their connect): attempts left under way on
        it (by us or by the leader before us) are matched to that server's live
        channels, never dialed again.  A standby leaves them to the leader."""
        if not self.leader.is_leader():
            return
        names = [server] if server is not None else [
            name for name, link in self.router.links.items() if link.ami.connected]
        for name in names:
            await self._reconcile_server(self.router.server_of(name))

    async def _reconcile_server(self, server: str) -> None:
        pending = await asyncio.to_thread(store.pending_attempts, self.engine, server,
                                          self.router.server_of)
        if pending:
            # Followed from before the listing: an event between the listing and the
            # reconciliation (a Hangup, an AgentConnect) is never lost.
            self.attempts.resume(pending)
            live = await channels_live(self.router.link(server))
            # Those that ended meanwhile were decided by their own events.
            pending = [p for p in pending if p.ref.uniqueid in self.watched]
            self._carry_out(self.attempts.reconcile(pending, live))
            log.info("callback.reconciled", server=server, attempts=len(pending))
        if self.leader.is_leader():
            self.reconciled.add(server)
