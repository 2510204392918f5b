"""The callback dialer: the thin async shell around the pure attempt state machine.

Every attempt is written as `dialing` (with its ActionID and ChannelId) *before*
Originate is sent, and registered with `callcenter.domain.attempts.Attempts`, which
decides its fate from the typed events of that channel (translated at the AMI
boundary) and from the Originate reply.  This module only carries the decisions out
against the database, sends Originate, drives the machine's deadline, and asks
Asterisk for its live channels on every (re)connect: attempts still under way are
followed again or sent to `review`, never dialed again blindly.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine, func, insert, select, update

from callcenter.ami.client import AmiClient, flatten
from callcenter.ami.grammar import check_originate, is_recording_path
from callcenter.ami.translate import (
    MEMBER_VARIABLE,
    STANDARD_PHONES,
    live_channels,
    member_of_channel,
    translate_callback,
)
from callcenter.callbacks import service
from callcenter.callbacks.links import DialLink, Router
from callcenter.callbacks.settings import CallbackSettings, in_peak
from callcenter.core.leader import LeaderGate
from callcenter.domain import attempts as at
from callcenter.domain import events as ev
from callcenter.domain.callbacks import Contact, Outcome, free_slots, refusal
from callcenter.domain.clock import Clock
from callcenter.domain.leadership import LeaderChange
from callcenter.domain.outcomes import DEFAULT_SERVER
from callcenter.domain.phone import PhoneNumber, PhoneRules, mask
from callcenter.errors import AmiError, AmiUnsafeValue, InvalidPhoneNumber, MalformedEvent
from callcenter.store import models as m

log = structlog.get_logger("callcenter.dialer")

LIVE = ("dialing", "answered")
# How long past the ring timeout an Originate reply is still waited for.
REPLY_MARGIN_S = 20.0


@dataclass(frozen=True, slots=True)
class OriginateSpec:
    """What an Originate needs from the settings; the test bed's recorder builds one too."""

    channel_template: str
    customer_first_context: str
    agent_first_context: str
    callback_queue: str
    caller_id: str
    ring_timeout_s: float
    # The call's Linkedid -> the file Asterisk records it to, without extension (the
    # recordings' [recordings] dir as Asterisk sees it); None: app_queue's default name.
    recording: Callable[[str], str | None] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, s: CallbackSettings,
           recording: Callable[[str], str | None] | None = None) -> OriginateSpec:
        return cls(s.channel_template, s.customer_first_context, s.agent_first_context,
                   s.callback_queue, s.caller_id, s.policy.ring_timeout_s, recording)


def originate_fields(spec: OriginateSpec, ref: at.AttemptRef,
                     agent_interface: str | None) -> dict[str, str]:
    """The Originate action of an attempt (AmiClient.originate adds Action and Async)."""
    customer = spec.channel_template.format(number=ref.phone)
    variables = [f"CC_ATTEMPT={ref.attempt_id}", f"CC_CAMPAIGN={ref.campaign_id}",
                 f"CC_QUEUE={spec.callback_queue}", f"CC_NUMBER={ref.phone}"]
    # The originated channel's id is the call's Linkedid (it is the first channel), and
    # so the ticket's: the recording is named by it as an inbound call's is.
    path = spec.recording(ref.uniqueid) if spec.recording is not None else None
    if path is not None and is_recording_path(path):
        variables.append(f"CC_RECORDING={path}")
    if ref.mode is at.Mode.AGENT_FIRST:
        fields = {"Channel": agent_interface or "", "Context": spec.agent_first_context,
                  "Exten": "s", "Priority": "1",
                  "Variable": ",".join([*variables, f"CC_CUSTOMER={customer}",
                                        f"CC_RING_S={int(spec.ring_timeout_s)}"])}
    else:
        fields = {"Channel": customer, "Context": spec.customer_first_context, "Exten": "s",
                  "Priority": "1", "Variable": ",".join(variables)}
    fields.update({"ChannelId": ref.uniqueid, "ActionID": ref.action_id,
                   "Timeout": str(int(spec.ring_timeout_s * 1000))})
    if spec.caller_id:
        fields["CallerID"] = spec.caller_id
    return fields


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
        plans, by_server, waiting = await asyncio.to_thread(self._plan, now, free_agents, up)
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

    def _plan(self, now: float, free_callback_agents: int, up: Sequence[str],
              ) -> tuple[list[tuple[Any, Any]], dict[str, int], list[tuple[int, str]]]:
        """The contacts due now, the attempts under way by server, and the campaigns
        waiting for their own server (down)."""
        s = self.settings
        peak = in_peak(s, datetime.fromtimestamp(now, self.tz))
        chosen: list[tuple[Any, Any]] = []
        waiting: list[tuple[int, str]] = []
        with self.engine.connect() as conn:
            live = conn.execute(
                select(m.Attempt.campaign_id, m.Attempt.server, func.count())
                .where(m.Attempt.status.in_(LIVE))
                .group_by(m.Attempt.campaign_id, m.Attempt.server)).all()
            in_flight: dict[int, int] = {}
            by_server: dict[str, int] = {}
            for campaign_id, server, n in live:
                in_flight[campaign_id] = in_flight.get(campaign_id, 0) + n
                name = self.router.server_of(server)
                by_server[name] = by_server.get(name, 0) + n
            total = sum(in_flight.values())
            for campaign in conn.execute(select(m.Campaign).where(m.Campaign.status == "active")
                                         .order_by(m.Campaign.id)).all():
                if campaign.server and campaign.server not in up:
                    waiting.append((campaign.id, campaign.server))
                    continue
                agents = free_callback_agents if campaign.mode == "customer_first" else 1
                pacing = replace(s.pacing,
                                 per_campaign=min(s.pacing.per_campaign, campaign.max_in_flight))
                slots = free_slots(
                    pacing,
                    in_flight_campaign=in_flight.get(campaign.id, 0),
                    in_flight_total=total + len(chosen), free_agents=agents,
                    in_predictable_peak=peak, paused_by_surge=False)
                if slots <= 0:
                    continue
                due = conn.execute(
                    select(m.Contact).where(m.Contact.campaign_id == campaign.id,
                                            m.Contact.status == "pending",
                                            m.Contact.next_due_at <= now)
                    .order_by(m.Contact.next_due_at).limit(slots * 4)).all()
                dnc = set(conn.execute(select(m.DoNotCall.phone).where(
                    m.DoNotCall.phone.in_([row.phone for row in due]))).scalars())
                for row in due:
                    recent = list(conn.execute(select(m.Attempt.started_at).where(
                        m.Attempt.phone == row.phone, m.Attempt.started_at > now - 86400.0))
                        .scalars())
                    contact = Contact(row.id, row.phone, row.deadline, row.attempts,
                                      row.last_attempt_at,
                                      Outcome(row.last_outcome) if row.last_outcome else None,
                                      row.appointment_at,
                                      ZoneInfo(row.timezone) if row.timezone else None)
                    why = refusal(contact, now, policy=s.policy, window=s.window,
                                  center_tz=self.tz, calls_last_24h=recent,
                                  do_not_call=row.phone in dnc)
                    if why is None:
                        chosen.append((row, campaign))
                        if len(chosen) >= slots:
                            break
        return chosen, by_server, waiting

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
            await asyncio.to_thread(self._refuse, contact.id, str(exc), now)
            return
        attempt_id = await asyncio.to_thread(self._store_dialing, contact, campaign, channel_id,
                                             action_id, now, server=server)
        if attempt_id is None:
            return  # someone else took it
        ref = at.AttemptRef(attempt_id, campaign.id, channel_id, action_id, number,
                            at.Mode(campaign.mode), server)
        fields = check_originate(originate_fields(self.spec, ref,
                                                  campaign.agent_interface))
        self.attempts.dialing(ref)  # before any event of the channel can arrive
        _bound(ref).info("callback.dialing", mode=campaign.mode)
        self.on_change()
        self._spawn(self._originate(ref, fields))

    def _refuse(self, contact_id: int, why: str, now: float) -> None:
        """Never dialed: the contact is closed with the center's code for a bad number."""
        with self.engine.begin() as conn:
            conn.execute(update(m.Contact).where(m.Contact.id == contact_id,
                                                 m.Contact.status == "pending").values(
                status="failed", last_outcome=Outcome.WRONG_NUMBER.value, next_due_at=now,
                note=f"refused before dialing: {why}"[:500]))

    def _store_dialing(self, contact: Any, campaign: Any, channel_id: str, action_id: str,
                       now: float, *, server: str | None = None) -> int | None:
        with self.engine.begin() as conn:
            # The leadership checked in the claim's own transaction (the epoch row stays
            # share-locked until it commits): a leader superseded meanwhile claims nothing.
            if not self.leader.fence(conn):
                log.warning("callback.claim_fenced", contact=contact.id, campaign=campaign.id,
                            epoch=self.leader.epoch)
                return None
            claimed = conn.execute(update(m.Contact).where(
                m.Contact.id == contact.id, m.Contact.status == "pending").values(
                status="dialing", attempts=m.Contact.attempts + 1, last_attempt_at=now))
            if not claimed.rowcount:
                return None
            return int(conn.execute(insert(m.Attempt).values(
                contact_id=contact.id, campaign_id=campaign.id, phone=contact.phone,
                action_id=action_id, channel_id=channel_id, status="dialing", started_at=now,
                note="", agent_interface=campaign.agent_interface,
                server=server or self.router.first
            ).returning(m.Attempt.id)).scalar_one())

    async def _originate(self, ref: at.AttemptRef, fields: dict[str, str]) -> None:
        """Send Originate; its reply (OriginateResponse) goes to the machine like any event."""
        timeout = self.settings.policy.ring_timeout_s + REPLY_MARGIN_S
        try:
            reply = await self.router.link(ref.server).originate(fields, timeout=timeout)
        except AmiError as exc:
            # Unknown fate: left `dialing` for the channel's events or reconciliation,
            # never re-sent.
            _bound(ref).warning("callback.originate_unknown", error=str(exc))
            self._carry_out(self.attempts.reply_lost(ref.uniqueid))
            return
        response: ev.OriginateResponded | None = None
        for msg in reply:
            try:
                event = translate_callback(flatten(msg))
            except MalformedEvent as exc:
                _bound(ref).warning("ami.malformed_event", error_id=exc.error_id, detail=str(exc))
                continue
            if isinstance(event, ev.OriginateResponded):
                response = event
        if response is None:  # no usable OriginateResponse: it failed, as far as we know
            response = ev.OriginateResponded(ref.action_id, ref.uniqueid, at.REASON_FAILED, "")
        self.on_event(response)

    async def _ask_agent(self, ref: at.AttemptRef) -> None:
        """Which member took a call answered while we were away: the channel says
        (we named it: its ChannelId is its Uniqueid, which Getvar accepts)."""
        try:
            reply = await self.router.link(ref.server).action({
                "Action": "Getvar", "Channel": ref.uniqueid,
                                           "Variable": MEMBER_VARIABLE})
            event = member_of_channel(ref.uniqueid, flatten(reply))
        except MalformedEvent as exc:
            _bound(ref).warning("ami.malformed_event", error_id=exc.error_id, detail=str(exc))
            return
        except AmiError as exc:  # gone meanwhile (its Hangup decides), or the link
            _bound(ref).warning("callback.agent_unknown", error=str(exc))
            return
        if event is not None:
            self.on_event(event)

    # -- carrying decisions out ----------------------------------------------------
    async def _apply(self, d: at.Decision) -> None:
        bound = _bound(d.ref)
        async with self._db_lock:
            match d:
                case at.MarkAnswered():
                    bound.info("callback.answered")
                    await asyncio.to_thread(self._update_live, d.ref.attempt_id,
                                            status="answered", answered_at=d.at)
                case at.AgentTook():
                    bound.info("callback.agent", agent=d.interface)
                    await asyncio.to_thread(self._update_live, d.ref.attempt_id,
                                            agent_interface=d.interface)
                case at.AwaitAgentOutcome():
                    bound.info("callback.ended", cause=d.cause)
                    await asyncio.to_thread(self._answered_ended, d)
                case at.RecordNetworkOutcome():
                    bound.info("callback.not_connected", outcome=d.outcome.value,
                               reason=d.reason, cause=d.cause)
                    await asyncio.to_thread(self._network_outcome, d)
                case at.MarkVanished():
                    bound.warning("callback.reconciled_vanished")
                    await asyncio.to_thread(self._vanished, d.ref.attempt_id)
                case at.FollowedAgain():
                    bound.info("callback.reconciled_live", answered=d.answered)
        self.on_change()

    def _update_live(self, attempt_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(m.Attempt).where(m.Attempt.id == attempt_id,
                                                 m.Attempt.status.in_(LIVE)).values(**values))

    def _answered_ended(self, d: at.AwaitAgentOutcome) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(m.Attempt).where(m.Attempt.id == d.ref.attempt_id)
                         .values(status="ended", ended_at=d.at, cause=d.cause))
            conn.execute(update(m.Contact).where(
                m.Contact.id == select(m.Attempt.contact_id)
                .where(m.Attempt.id == d.ref.attempt_id).scalar_subquery(),
                m.Contact.status == "dialing").values(status="awaiting_outcome"))

    def _network_outcome(self, d: at.RecordNetworkOutcome) -> None:
        with self.engine.begin() as conn:
            attempt = conn.execute(select(m.Attempt.outcome)
                                   .where(m.Attempt.id == d.ref.attempt_id)).one()
            if attempt.outcome is not None:
                return  # already recorded (by a person, or before a restart)
            conn.execute(update(m.Attempt).where(m.Attempt.id == d.ref.attempt_id)
                         .values(reason=d.reason, cause=d.cause, ended_at=d.at))
        service.record_outcome(self.engine, d.ref.attempt_id, d.outcome, d.at,
                               self.settings.policy)

    def _vanished(self, attempt_id: int) -> None:
        """The call ended while we were away: its outcome is unknown; a person decides."""
        with self.engine.begin() as conn:
            # Only if still under way: an outcome written meanwhile stands.
            changed = conn.execute(update(m.Attempt).where(
                m.Attempt.id == attempt_id, m.Attempt.status.in_(LIVE)).values(status="unknown"))
            if changed.rowcount:
                conn.execute(update(m.Contact).where(
                    m.Contact.id == select(m.Attempt.contact_id)
                    .where(m.Attempt.id == attempt_id).scalar_subquery()).values(status="review"))

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
        pending = await asyncio.to_thread(self._pending_attempts, server)
        if pending:
            # Followed from before the listing: an event between the listing and the
            # reconciliation (a Hangup, an AgentConnect) is never lost.
            self.attempts.resume(pending)
            reply = await self.router.link(server).action({"Action": "CoreShowChannels"},
                                                          as_list=True)
            # A malformed entry raises (an AmiError): the session is retried, rather than
            # an attempt whose entry we could not read being taken for vanished.
            live = live_channels([flatten(msg) for msg in reply])
            # Those that ended meanwhile were decided by their own events.
            pending = [p for p in pending if p.ref.uniqueid in self.watched]
            self._carry_out(self.attempts.reconcile(pending, live))
            log.info("callback.reconciled", server=server, attempts=len(pending))
        if self.leader.is_leader():
            self.reconciled.add(server)

    def _pending_attempts(self, server: str) -> list[at.Pending]:
        """The attempts under way that were dialed through this server."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(m.Attempt.id, m.Attempt.campaign_id, m.Attempt.channel_id,
                       m.Attempt.action_id, m.Attempt.phone, m.Attempt.status,
                       m.Attempt.agent_interface, m.Attempt.server, m.Campaign.mode)
                .join(m.Campaign, m.Campaign.id == m.Attempt.campaign_id)
                .where(m.Attempt.status.in_(LIVE))).all()
        return [at.Pending(at.AttemptRef(r.id, r.campaign_id, r.channel_id, r.action_id, r.phone,
                                         at.Mode(r.mode), server),
                           answered=r.status == "answered", agent=r.agent_interface)
                for r in rows if self.router.server_of(r.server) == server]


def _bound(ref: at.AttemptRef) -> Any:
    return log.bind(attempt=ref.attempt_id, campaign=ref.campaign_id, uniqueid=ref.uniqueid,
                    phone=mask(ref.phone), server=ref.server)
