"""The callback dialer's database work: choosing the contacts due now, claiming one as
an attempt `dialing` (fenced by the leadership) before its Originate is sent, writing
the attempt machine's decisions, and listing the attempts left under way for
reconciliation.  Synchronous: the dialer (callcenter/callbacks/dialer.py) runs each
in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine, func, insert, select, update

from callcenter.callbacks import service
from callcenter.callbacks.settings import CallbackSettings, in_peak
from callcenter.core.leader import LeaderGate
from callcenter.domain import attempts as at
from callcenter.domain.callbacks import Contact, Outcome, RetryPolicy, free_slots, refusal
from callcenter.store import models as m

log = structlog.get_logger("callcenter.dialer")

LIVE = ("dialing", "answered")


def plan(engine: Engine, s: CallbackSettings, now: float, free_callback_agents: int,
         up: Sequence[str], *, center_tz: ZoneInfo, server_of: Callable[[str], str],
         ) -> tuple[list[tuple[Any, Any]], dict[str, int], list[tuple[int, str]]]:
    """The contacts due now, the attempts under way by server (`server_of` names the
    server a stored one means), and the campaigns waiting for their own server (down)."""
    peak = in_peak(s, datetime.fromtimestamp(now, center_tz))
    chosen: list[tuple[Any, Any]] = []
    waiting: list[tuple[int, str]] = []
    with engine.connect() as conn:
        live = conn.execute(
            select(m.Attempt.campaign_id, m.Attempt.server, func.count())
            .where(m.Attempt.status.in_(LIVE))
            .group_by(m.Attempt.campaign_id, m.Attempt.server)).all()
        in_flight: dict[int, int] = {}
        by_server: dict[str, int] = {}
        for campaign_id, server, n in live:
            in_flight[campaign_id] = in_flight.get(campaign_id, 0) + n
            name = server_of(server)
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
                              center_tz=center_tz, calls_last_24h=recent,
                              do_not_call=row.phone in dnc)
                if why is None:
                    chosen.append((row, campaign))
                    if len(chosen) >= slots:
                        break
    return chosen, by_server, waiting


def refuse(engine: Engine, contact_id: int, why: str, now: float) -> None:
    """Never dialed: the contact is closed with the center's code for a bad number."""
    with engine.begin() as conn:
        conn.execute(update(m.Contact).where(m.Contact.id == contact_id,
                                             m.Contact.status == "pending").values(
            status="failed", last_outcome=Outcome.WRONG_NUMBER.value, next_due_at=now,
            note=f"refused before dialing: {why}"[:500]))


def store_dialing(engine: Engine, leader: LeaderGate, contact: Any, campaign: Any, *,
                  channel_id: str, action_id: str, now: float, server: str) -> int | None:
    """The contact claimed and its attempt written `dialing` through `server`; None if
    someone else took it, or the leadership was lost."""
    with engine.begin() as conn:
        # The leadership checked in the claim's own transaction (the epoch row stays
        # share-locked until it commits): a leader superseded meanwhile claims nothing.
        if not leader.fence(conn):
            log.warning("callback.claim_fenced", contact=contact.id, campaign=campaign.id,
                        epoch=leader.epoch)
            return None
        claimed = conn.execute(update(m.Contact).where(
            m.Contact.id == contact.id, m.Contact.status == "pending").values(
            status="dialing", attempts=m.Contact.attempts + 1, last_attempt_at=now))
        if not claimed.rowcount:
            return None
        return int(conn.execute(insert(m.Attempt).values(
            contact_id=contact.id, campaign_id=campaign.id, phone=contact.phone,
            action_id=action_id, channel_id=channel_id, status="dialing", started_at=now,
            note="", agent_interface=campaign.agent_interface, server=server
        ).returning(m.Attempt.id)).scalar_one())


def update_live(engine: Engine, attempt_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(m.Attempt).where(m.Attempt.id == attempt_id,
                                             m.Attempt.status.in_(LIVE)).values(**values))


def answered_ended(engine: Engine, d: at.AwaitAgentOutcome) -> None:
    with engine.begin() as conn:
        conn.execute(update(m.Attempt).where(m.Attempt.id == d.ref.attempt_id)
                     .values(status="ended", ended_at=d.at, cause=d.cause))
        conn.execute(update(m.Contact).where(
            m.Contact.id == select(m.Attempt.contact_id)
            .where(m.Attempt.id == d.ref.attempt_id).scalar_subquery(),
            m.Contact.status == "dialing").values(status="awaiting_outcome"))


def network_outcome(engine: Engine, d: at.RecordNetworkOutcome, policy: RetryPolicy) -> None:
    with engine.begin() as conn:
        attempt = conn.execute(select(m.Attempt.outcome)
                               .where(m.Attempt.id == d.ref.attempt_id)).one()
        if attempt.outcome is not None:
            return  # already recorded (by a person, or before a restart)
        conn.execute(update(m.Attempt).where(m.Attempt.id == d.ref.attempt_id)
                     .values(reason=d.reason, cause=d.cause, ended_at=d.at))
    service.record_outcome(engine, d.ref.attempt_id, d.outcome, d.at, policy)


def vanished(engine: Engine, attempt_id: int) -> None:
    """The call ended while we were away: its outcome is unknown; a person decides."""
    with engine.begin() as conn:
        # Only if still under way: an outcome written meanwhile stands.
        changed = conn.execute(update(m.Attempt).where(
            m.Attempt.id == attempt_id, m.Attempt.status.in_(LIVE)).values(status="unknown"))
        if changed.rowcount:
            conn.execute(update(m.Contact).where(
                m.Contact.id == select(m.Attempt.contact_id)
                .where(m.Attempt.id == attempt_id).scalar_subquery()).values(status="review"))


def pending_attempts(engine: Engine, server: str,
                     server_of: Callable[[str], str]) -> list[at.Pending]:
    """The attempts under way that were dialed through this server."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Attempt.id, m.Attempt.campaign_id, m.Attempt.channel_id,
                   m.Attempt.action_id, m.Attempt.phone, m.Attempt.status,
                   m.Attempt.agent_interface, m.Attempt.server, m.Campaign.mode)
            .join(m.Campaign, m.Campaign.id == m.Attempt.campaign_id)
            .where(m.Attempt.status.in_(LIVE))).all()
    return [at.Pending(at.AttemptRef(r.id, r.campaign_id, r.channel_id, r.action_id, r.phone,
                                     at.Mode(r.mode), server),
                       answered=r.status == "answered", agent=r.agent_interface)
            for r in rows if server_of(r.server) == server]
