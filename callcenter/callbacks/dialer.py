"""The callback dialer: the thin async shell around the pure decisions.

Every attempt is written as `dialing` (with its ActionID and ChannelId) *before*
Originate is sent.  Its fate is then followed from AMI events keyed by that
ChannelId (the customer channel's Uniqueid): answered (Newstate Up), taken by an
agent (AgentConnect), or ended (Hangup cause / OriginateResponse reason).  After a
crash or reconnect, attempts still `dialing` are reconciled against Asterisk's live
channels: a live one is followed again, a vanished one goes to `review` — it is
never dialed again blindly.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine, func, insert, select, update

from callcenter.ami.client import AmiClient, RawMessage, flatten
from callcenter.callbacks import service
from callcenter.callbacks.settings import CallbackSettings, in_peak
from callcenter.domain.callbacks import (
    Contact,
    Outcome,
    free_slots,
    network_outcome,
    refusal,
)
from callcenter.domain.clock import Clock
from callcenter.domain.phone import mask
from callcenter.errors import AmiError
from callcenter.store import models as m

log = structlog.get_logger("callcenter.dialer")

LIVE = ("dialing", "answered")


@dataclass
class Watched:
    attempt_id: int
    campaign_id: int
    phone: str
    answered: bool = False
    agent: str | None = None
    cause: int | None = None
    agent_first: bool = False  # the channel is the agent's; the customer is its Dial()


class Dialer:
    def __init__(self, engine: Engine, ami: AmiClient, *, settings: CallbackSettings,
                 clock: Clock, center_tz: ZoneInfo, free_agents: Callable[[str], int],
                 paused_by_surge: Callable[[], bool]) -> None:
        self.engine = engine
        self.ami = ami
        self.settings = settings
        self.clock = clock
        self.tz = center_tz
        self.free_agents = free_agents
        self.paused_by_surge = paused_by_surge
        self.watched: dict[str, Watched] = {}  # by ChannelId
        self._originating: set[str] = set()  # Originate replies still to come
        self._tasks: set[asyncio.Task[None]] = set()

    # -- events (synchronous, from the daemon's message path) -----------------------
    def on_message(self, raw: RawMessage) -> None:
        channel_id = raw.get("Uniqueid", "")
        watched = self.watched.get(channel_id)
        if watched is None:
            return
        event = raw.get("Event", "")
        if watched.agent_first:
            self._agent_first_event(channel_id, watched, event, raw)
        elif event == "Newstate" and raw.get("ChannelState") == "6":
            if not watched.answered:
                watched.answered = True
                self._spawn(self._answered(channel_id, watched))
        elif event == "AgentConnect":
            watched.answered = True
            watched.agent = raw.get("Interface")
            self._spawn(self._agent_took(watched))
        elif event == "Hangup":
            with contextlib.suppress(ValueError):
                watched.cause = int(raw.get("Cause", ""))
            if channel_id in self._originating and not watched.answered:
                return  # our Originate reply decides, with its Reason and this cause
            self.watched.pop(channel_id, None)
            self._spawn(self._ended(watched, reason=None))

    def _agent_first_event(self, channel_id: str, watched: Watched, event: str,
                           raw: RawMessage) -> None:
        """Agent-first: the agent's channel dials the customer; DialEnd tells how."""
        if event == "DialEnd":
            status = raw.get("DialStatus", "")
            if status == "ANSWER":
                watched.answered = True
                self._spawn(self._answered(channel_id, watched))
            elif status:
                reason = {"BUSY": 5, "CONGESTION": 8, "NOANSWER": 3}.get(status, 0)
                self.watched.pop(channel_id, None)
                self._spawn(self._ended(watched, reason=reason))
        elif event == "Hangup":
            if not watched.answered and channel_id in self._originating:
                return  # the agent never picked up: the Originate reply says so
            self.watched.pop(channel_id, None)
            # Answered: the agent records the outcome.  Otherwise the agent's leg ended
            # before the customer's Dial() reported anything: the call failed.
            self._spawn(self._ended(watched, reason=None if watched.answered else 0))

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("dialer.task_failed", exc_info=task.exception())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the tick (APScheduler) ----------------------------------------------------
    async def tick(self) -> int:
        """Start whatever attempts may start now; returns how many were started."""
        if self.paused_by_surge() or not self.ami.connected:
            return 0
        now = self.clock.now()
        # The tracker belongs to the event loop: read it here, not in the worker thread.
        free_agents = self.free_agents(self.settings.callback_queue)
        plans = await asyncio.to_thread(self._plan, now, free_agents)
        for contact, campaign in plans:
            await self._dial(contact, campaign, now)
        return len(plans)

    def _plan(self, now: float, free_callback_agents: int) -> list[tuple[Any, Any]]:
        s = self.settings
        peak = in_peak(s, datetime.fromtimestamp(now, self.tz))
        chosen: list[tuple[Any, Any]] = []
        with self.engine.connect() as conn:
            in_flight = dict(conn.execute(
                select(m.Attempt.campaign_id, func.count()).where(m.Attempt.status.in_(LIVE))
                .group_by(m.Attempt.campaign_id)).all())
            total = sum(in_flight.values())
            for campaign in conn.execute(select(m.Campaign).where(m.Campaign.status == "active")
                                         .order_by(m.Campaign.id)).all():
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
        return chosen

    async def _dial(self, contact: Any, campaign: Any, now: float) -> None:
        s = self.settings
        channel_id = f"cb-{uuid.uuid4().hex}"
        action_id = f"cb-act-{uuid.uuid4().hex}"
        attempt_id = await asyncio.to_thread(self._store_dialing, contact, campaign, channel_id,
                                             action_id, now)
        if attempt_id is None:
            return  # someone else took it
        bound = log.bind(campaign=campaign.id, attempt=attempt_id, uniqueid=channel_id,
                         phone=mask(contact.phone))
        customer = s.channel_template.format(number=contact.phone)
        variables = [f"CC_ATTEMPT={attempt_id}", f"CC_CAMPAIGN={campaign.id}",
                     f"CC_QUEUE={s.callback_queue}", f"CC_NUMBER={contact.phone}"]
        if campaign.mode == "agent_first":
            fields = {"Channel": campaign.agent_interface, "Context": s.agent_first_context,
                      "Exten": "s", "Priority": "1",
                      "Variable": ",".join([*variables, f"CC_CUSTOMER={customer}",
                                            f"CC_RING_S={int(s.policy.ring_timeout_s)}"])}
        else:
            fields = {"Channel": customer, "Context": s.customer_first_context, "Exten": "s",
                      "Priority": "1", "Variable": ",".join(variables)}
        fields.update({"ChannelId": channel_id, "ActionID": action_id,
                       "Timeout": str(int(s.policy.ring_timeout_s * 1000))})
        if s.caller_id:
            fields["CallerID"] = s.caller_id
        self.watched[channel_id] = Watched(attempt_id, campaign.id, contact.phone,
                                           agent=campaign.agent_interface,
                                           agent_first=campaign.mode == "agent_first")
        self._originating.add(channel_id)  # before any event of the channel can arrive
        bound.info("callback.dialing", mode=campaign.mode)
        self._spawn(self._originate(channel_id, fields))

    def _store_dialing(self, contact: Any, campaign: Any, channel_id: str, action_id: str,
                       now: float) -> int | None:
        with self.engine.begin() as conn:
            claimed = conn.execute(update(m.Contact).where(
                m.Contact.id == contact.id, m.Contact.status == "pending").values(
                status="dialing", attempts=m.Contact.attempts + 1, last_attempt_at=now))
            if not claimed.rowcount:
                return None
            return int(conn.execute(insert(m.Attempt).values(
                contact_id=contact.id, campaign_id=campaign.id, phone=contact.phone,
                action_id=action_id, channel_id=channel_id, status="dialing", started_at=now,
                note="", agent_interface=campaign.agent_interface
            ).returning(m.Attempt.id)).scalar_one())

    async def _originate(self, channel_id: str, fields: dict[str, str]) -> None:
        """Send Originate; for a call that was not answered, this is the one place that
        decides the outcome (Reason from the reply, cause from the Hangup if it came)."""
        timeout = self.settings.policy.ring_timeout_s + 20
        try:
            reply = await self.ami.originate(fields, timeout=timeout)
        except AmiError as exc:
            # Unknown fate: left `dialing` for reconciliation, never re-sent.
            self._originating.discard(channel_id)
            log.warning("callback.originate_unknown", uniqueid=channel_id, error=str(exc))
            return
        result = next((msg for msg in reply if msg.get("Event") == "OriginateResponse"), None)
        reason = int(result.get("Reason", "0")) if result is not None else 0
        if reason == 4:
            self._originating.discard(channel_id)
            return  # answered: the channel's events tell the rest
        watched = self.watched.get(channel_id)
        if watched is not None and watched.cause is None:
            await asyncio.sleep(0.5)  # give the Hangup, which carries the cause, a moment
        self._originating.discard(channel_id)
        watched = self.watched.pop(channel_id, None)
        if watched is not None:
            await self._ended(watched, reason=reason)

    async def _answered(self, channel_id: str, watched: Watched) -> None:
        now = self.clock.now()
        log.info("callback.answered", attempt=watched.attempt_id, uniqueid=channel_id)
        await asyncio.to_thread(self._update_attempt, watched.attempt_id, status="answered",
                                answered_at=now)

    async def _agent_took(self, watched: Watched) -> None:
        log.info("callback.agent", attempt=watched.attempt_id, agent=watched.agent)
        await asyncio.to_thread(self._update_attempt, watched.attempt_id,
                                agent_interface=watched.agent)

    async def _ended(self, watched: Watched, reason: int | None) -> None:
        now = self.clock.now()
        if watched.answered:
            # A conversation happened: the agent records the outcome and score.
            await asyncio.to_thread(self._answered_ended, watched, now)
            return
        outcome = network_outcome(reason if reason is not None else 3, watched.cause,
                                  self.settings.reason_outcomes, self.settings.cause_outcomes)
        if outcome is None:
            return
        log.info("callback.not_connected", attempt=watched.attempt_id, outcome=outcome.value,
                 cause=watched.cause, reason=reason)
        await asyncio.to_thread(self._network_outcome, watched, outcome, now, reason)

    def _update_attempt(self, attempt_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(m.Attempt).where(m.Attempt.id == attempt_id).values(**values))

    def _answered_ended(self, watched: Watched, now: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(m.Attempt).where(m.Attempt.id == watched.attempt_id)
                         .values(status="ended", ended_at=now, cause=watched.cause))
            conn.execute(update(m.Contact).where(
                m.Contact.id == select(m.Attempt.contact_id)
                .where(m.Attempt.id == watched.attempt_id).scalar_subquery(),
                m.Contact.status == "dialing").values(status="awaiting_outcome"))

    def _network_outcome(self, watched: Watched, outcome: Outcome, now: float,
                         reason: int | None) -> None:
        with self.engine.begin() as conn:
            attempt = conn.execute(select(m.Attempt.status, m.Attempt.outcome)
                                   .where(m.Attempt.id == watched.attempt_id)).one()
            if attempt.outcome is not None:
                return  # already recorded (Hangup and OriginateResponse both report)
            conn.execute(update(m.Attempt).where(m.Attempt.id == watched.attempt_id)
                         .values(reason=reason, cause=watched.cause, ended_at=now))
        service.record_outcome(self.engine, watched.attempt_id, outcome, now,
                               self.settings.policy)

    # -- reconciliation ------------------------------------------------------------
    async def reconcile(self) -> None:
        """On every (re)connect: attempts left `dialing` are matched to live channels."""
        pending = await asyncio.to_thread(self._dialing_attempts)
        if not pending:
            return
        reply = await self.ami.action({"Action": "CoreShowChannels"}, as_list=True)
        live = {raw.get("Uniqueid"): raw.get("ChannelState")
                for raw in (flatten(msg) for msg in reply) if raw.get("Event") == "CoreShowChannel"}
        for attempt in pending:
            if attempt.channel_id in live:
                # Up (6) means the customer answered while we were away.
                answered = attempt.status == "answered" or live[attempt.channel_id] == "6"
                self.watched.setdefault(attempt.channel_id, Watched(
                    attempt.id, attempt.campaign_id, attempt.phone, answered=answered))
                log.info("callback.reconciled_live", attempt=attempt.id,
                         uniqueid=attempt.channel_id)
            elif attempt.channel_id not in self.watched:
                await asyncio.to_thread(self._vanished, attempt.id)
                log.warning("callback.reconciled_vanished", attempt=attempt.id,
                            uniqueid=attempt.channel_id)

    def _dialing_attempts(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(m.Attempt).where(m.Attempt.status.in_(LIVE))).all())

    def _vanished(self, attempt_id: int) -> None:
        """The call ended while we were away: its outcome is unknown; a person decides."""
        with self.engine.begin() as conn:
            conn.execute(update(m.Attempt).where(m.Attempt.id == attempt_id)
                         .values(status="unknown"))
            conn.execute(update(m.Contact).where(
                m.Contact.id == select(m.Attempt.contact_id).where(m.Attempt.id == attempt_id)
                .scalar_subquery()).values(status="review"))
