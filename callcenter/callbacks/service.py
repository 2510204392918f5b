"""Campaign operations on the database: what the CLI and the dialer call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine, func, insert, select, update

from callcenter.alerts import service as alerts
from callcenter.callbacks.dnc import audit as dnc_audit
from callcenter.callbacks.importer import ImportReport, parse_contacts, read_table
from callcenter.callbacks.settings import ImportLimits
from callcenter.domain.alerts import AlertTransition, Wording
from callcenter.domain.calendar import WorkCalendar, deadline_for
from callcenter.domain.callbacks import (
    FINAL,
    FOLLOWUP_DEADLINE,
    LABELS_ZH,
    NOT_CONNECTED,
    Contact,
    Outcome,
    Pacing,
    RetryPolicy,
    after_outcome,
)
from callcenter.domain.phone import PhoneNumber, PhoneRules, normalise
from callcenter.errors import CampaignError
from callcenter.store import models as m
from callcenter.store.upsert import insert_for

log = structlog.get_logger("callcenter.callbacks")


@dataclass(frozen=True)
class NewCampaign:
    name: str
    kind: str = "followup"
    mode: str = "customer_first"
    agent_interface: str | None = None
    deadline_rule: str = FOLLOWUP_DEADLINE
    max_in_flight: int = Pacing().per_campaign
    server: str = ""  # the Asterisk server it dials through; "" = spread over those up


def create_campaign(engine: Engine, spec: NewCampaign, now: float,
                    servers: Collection[str] | None = None) -> int:
    """`servers`: the configured servers' names, when the caller knows them."""
    if spec.server and servers is not None and spec.server not in servers:
        raise CampaignError(f"no Asterisk server {spec.server!r} (one of: "
                            f"{', '.join(servers)}; or none to spread)")
    if spec.mode not in ("customer_first", "agent_first"):
        raise CampaignError(f"mode must be customer_first or agent_first, not {spec.mode!r}")
    if spec.mode == "agent_first" and not spec.agent_interface:
        raise CampaignError("an agent_first campaign needs --agent INTERFACE")
    try:  # only the rule's form is checked here: any zone and calendar will do
        deadline_for(spec.deadline_rule, now, ZoneInfo("UTC"), WorkCalendar())
    except ValueError as exc:
        raise CampaignError(str(exc)) from None
    with engine.begin() as conn:
        new_id = conn.execute(insert(m.Campaign).values(
            name=spec.name, kind=spec.kind, status="active", mode=spec.mode,
            agent_interface=spec.agent_interface, deadline_rule=spec.deadline_rule,
            max_in_flight=spec.max_in_flight, server=spec.server, created_at=now)
            .returning(m.Campaign.id)).scalar_one()
        return int(new_id)


def _campaign(conn: Any, campaign_id: int) -> Any:
    row = conn.execute(select(m.Campaign).where(m.Campaign.id == campaign_id)).one_or_none()
    if row is None:
        raise CampaignError(f"no campaign {campaign_id}")
    return row


_INSERT_BATCH = 1_000


def import_file(engine: Engine, campaign_id: int, path: Any, now: float,
                tz: ZoneInfo, *, calendar: WorkCalendar, limits: ImportLimits,
                phones: PhoneRules) -> ImportReport:
    """All good rows in one transaction, or none; bad rows listed with their reasons.
    The file streams in during the transaction: a limit passed midway refuses it all."""
    rows = read_table(path, limits)
    with engine.begin() as conn:
        campaign = _campaign(conn, campaign_id)
        known = set(conn.execute(select(m.Contact.phone)
                                 .where(m.Contact.campaign_id == campaign_id)).scalars())
        dnc = set(conn.execute(select(m.DoNotCall.phone)).scalars())
        report = parse_contacts(rows, known, dnc, phones)
        # In batches: the parameters of 100,000 rows at once would cost more memory than
        # everything else an import holds.
        for start in range(0, len(report.good), _INSERT_BATCH):
            values = []
            for row in report.good[start:start + _INSERT_BATCH]:
                service_at = (datetime.combine(row.service_date, time(12), tzinfo=tz).timestamp()
                              if row.service_date else now)
                values.append(dict(
                    campaign_id=campaign_id, name=row.name, phone=row.phone, member=row.member,
                    service_at=service_at, note=row.note,
                    deadline=deadline_for(campaign.deadline_rule, service_at, tz, calendar),
                    status="pending", attempts=0, next_due_at=now, created_at=now))
            conn.execute(insert(m.Contact), values)
    return report


def add_contact(engine: Engine, campaign_id: int, phone: PhoneNumber, now: float, *,
                tz: ZoneInfo, calendar: WorkCalendar, name: str = "",
                deadline: float | None = None, ticket_id: int | None = None,
                note: str = "", member: bool = False) -> int | None:
    """One contact (from a ticket or an abandoned call); None if already there or refused.
    Without an explicit deadline, the campaign's rule applies in the center's zone and
    working calendar."""
    number = phone.digits
    with engine.begin() as conn:
        campaign = _campaign(conn, campaign_id)
        if conn.execute(select(m.DoNotCall.phone).where(m.DoNotCall.phone == number)).first():
            return None
        new_id = conn.execute(insert_for(conn, m.Contact).values(
            campaign_id=campaign_id, name=name, phone=number, member=member, service_at=now,
            note=note, ticket_id=ticket_id,
            deadline=deadline if deadline is not None else deadline_for(
                campaign.deadline_rule, now, tz, calendar),
            status="pending", attempts=0, next_due_at=now, created_at=now,
        ).on_conflict_do_nothing().returning(m.Contact.id)).scalar_one_or_none()
        return None if new_id is None else int(new_id)


def add_from_tickets(engine: Engine, campaign_id: int, since: float, until: float,
                     now: float, *, tz: ZoneInfo, calendar: WorkCalendar,
                     phones: PhoneRules) -> int:
    """The callers of the tickets opened in [since, until); a stored number that is not a
    valid phone number (an old row, a hostile caller ID) is skipped, never dialed."""
    with engine.connect() as conn:
        tickets = conn.execute(select(m.Ticket.id, m.Ticket.caller_phone, m.Ticket.opened_at)
                               .where(m.Ticket.opened_at >= since, m.Ticket.opened_at < until)
                               .order_by(m.Ticket.opened_at)).all()
    added = 0
    for ticket in tickets:
        number = PhoneNumber.or_none(ticket.caller_phone or "", phones)
        if number is None:
            if ticket.caller_phone:
                log.warning("campaign.contact_refused", error_id="phone.invalid",
                            ticket=ticket.id, campaign=campaign_id)
            continue
        if add_contact(engine, campaign_id, number, now, tz=tz, calendar=calendar,
                       ticket_id=ticket.id) is not None:
            added += 1
    return added


ABANDONED_CAMPAIGN = "未接来电回拨 abandoned callers"


def abandoned_campaign(engine: Engine, now: float) -> int:
    """The standing campaign abandoned callers are added to (created on first use)."""
    with engine.connect() as conn:
        found = conn.execute(select(m.Campaign.id).where(m.Campaign.kind == "abandoned")
                             .order_by(m.Campaign.id).limit(1)).scalar()
    if found is not None:
        return int(found)
    return create_campaign(engine, NewCampaign(ABANDONED_CAMPAIGN, kind="abandoned",
                                               deadline_rule="1wd"), now)


# Callers we owe a call: those who gave up in the queue, and those who called after hours.
AFTER_HOURS_KIND = "after_hours"
OWED_KINDS = ("abandoned", AFTER_HOURS_KIND)


def cancel_abandoned(engine: Engine, phone: str) -> int:
    """The caller got through after all: the pending callback (for an abandoned or an
    after-hours call) is no longer needed."""
    number = normalise(phone)
    with engine.begin() as conn:
        abandoned = select(m.Campaign.id).where(m.Campaign.kind.in_(OWED_KINDS))
        return int(conn.execute(update(m.Contact).where(
            m.Contact.phone == number, m.Contact.status == "pending",
            m.Contact.campaign_id.in_(abandoned.scalar_subquery()))
            .values(status="cancelled", note="got through before the callback")).rowcount)


def check_deadlines(engine: Engine, now: float,
                    sink: list[AlertTransition] | None = None) -> int:
    """Raise (or clear) the overdue-callbacks alert: contacts past their deadline that
    nobody has reached yet (必须保证在三天之内回访).  Transitions go to `sink`."""
    changed: list[AlertTransition | None] = []
    with engine.begin() as conn:
        overdue = int(conn.execute(select(func.count()).select_from(m.Contact).where(
            m.Contact.deadline < now,
            m.Contact.status.in_(("pending", "dialing", "review")))).scalar_one())
        open_alert = alerts.open_alert_id(conn, "callbacks_overdue")
        if overdue and open_alert is None:
            changed.append(alerts.raise_alert(
                conn, "callbacks_overdue", "warning",
                overdue_wording(overdue), now))
        elif not overdue and open_alert is not None:
            changed.append(alerts.clear_alert(conn, open_alert, now))
    if sink is not None:
        sink.extend(t for t in changed if t is not None)
    return overdue


def overdue_wording(overdue: int) -> Wording:
    return Wording(f"回访超期：{overdue} 位客户已过回访期限",
                   f"Callbacks overdue: {overdue} customers past their callback deadline")


def set_status(engine: Engine, campaign_id: int, status: str) -> None:
    with engine.begin() as conn:
        _campaign(conn, campaign_id)
        conn.execute(update(m.Campaign).where(m.Campaign.id == campaign_id).values(status=status))


def record_outcome(engine: Engine, attempt_id: int, outcome: Outcome, now: float,
                   policy: RetryPolicy, *, score: int | None = None, note: str = "",
                   agent: str | None = None, appointment_at: float | None = None) -> None:
    """An outcome for an attempt (the network's, or the agent's): retry or finish."""
    if outcome is Outcome.SUCCESS and (score is None or not 0 <= score <= 5):
        raise CampaignError("a successful callback needs a score from 0 to 5")
    with engine.begin() as conn:
        attempt = conn.execute(select(m.Attempt).where(m.Attempt.id == attempt_id)).one_or_none()
        if attempt is None:
            raise CampaignError(f"no attempt {attempt_id}")
        contact = conn.execute(select(m.Contact).where(m.Contact.id == attempt.contact_id)).one()
        conn.execute(update(m.Attempt).where(m.Attempt.id == attempt_id).values(
            outcome=outcome.value, score=score, note=note, status="ended",
            ended_at=attempt.ended_at or now,
            agent_interface=agent or attempt.agent_interface))
        # The stored count already includes this attempt; the policy counts those before it.
        domain = Contact(contact.id, contact.phone, contact.deadline,
                         attempts=max(contact.attempts - 1, 0))
        decision = after_outcome(domain, outcome, now, policy)
        values: dict[str, Any] = {"last_outcome": outcome.value}
        if appointment_at is not None:  # the customer asked for another time
            values.update(status="pending", next_due_at=appointment_at,
                          appointment_at=appointment_at)
        elif decision.finished:
            values["status"] = "done" if outcome in FINAL else "failed"
        else:
            values.update(status="pending", next_due_at=decision.retry_at)
        conn.execute(update(m.Contact).where(m.Contact.id == contact.id).values(**values))
        if decision.do_not_call and conn.execute(insert_for(conn, m.DoNotCall).values(
                phone=contact.phone, reason="refused callbacks", added_at=now
        ).on_conflict_do_nothing()).rowcount:
            dnc_audit(conn, contact.phone, "add", reason="refused callbacks", by=agent or "",
                      now=now)


def campaigns(engine: Engine, tz: ZoneInfo) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        counts: dict[int, Counter[str]] = {}
        for campaign_id, status, n in conn.execute(
                select(m.Contact.campaign_id, m.Contact.status, func.count())
                .group_by(m.Contact.campaign_id, m.Contact.status)):
            counts.setdefault(campaign_id, Counter())[status] = n
        rows = conn.execute(select(m.Campaign).order_by(m.Campaign.id)).all()
    return [{"id": c.id, "name": c.name, "kind": c.kind, "status": c.status, "mode": c.mode,
             "server": c.server or None,
             "contacts": sum(counts.get(c.id, Counter()).values()),
             "pending": counts.get(c.id, Counter())["pending"],
             "done": counts.get(c.id, Counter())["done"],
             "failed": counts.get(c.id, Counter())["failed"],
             "created_at": datetime.fromtimestamp(c.created_at, tz).isoformat(timespec="seconds")}
            for c in rows]


def report(engine: Engine, campaign_id: int, now: float, tz: ZoneInfo) -> dict[str, Any]:
    """回访总结报告: coverage, success rate, scores, failure reasons, per agent, overdue."""
    with engine.connect() as conn:
        campaign = _campaign(conn, campaign_id)
        contacts = conn.execute(select(m.Contact).where(m.Contact.campaign_id == campaign_id)).all()
        attempts = conn.execute(select(m.Attempt).where(m.Attempt.campaign_id == campaign_id)).all()
    reached = {a.contact_id for a in attempts if a.outcome and a.outcome not in NOT_CONNECTED}
    success = [a for a in attempts if a.outcome == Outcome.SUCCESS.value]
    members = [c for c in contacts if c.member]
    failures = Counter(a.outcome for a in attempts
                       if a.outcome and a.outcome != Outcome.SUCCESS.value)
    per_agent: dict[str, Counter[str]] = {}
    for a in attempts:
        if a.agent_interface and a.outcome:
            per_agent.setdefault(a.agent_interface, Counter())[a.outcome] += 1

    def when(at: float) -> str:
        return datetime.fromtimestamp(at, tz).isoformat(timespec="minutes")

    return {
        "campaign": {"id": campaign.id, "name": campaign.name, "status": campaign.status},
        "contacts": len(contacts),
        "reached": len(reached),
        "coverage_pct": round(100.0 * len(reached) / len(contacts), 1) if contacts else None,
        "members": len(members),
        "members_reached": sum(1 for c in members if c.id in reached),
        "success": len(success),
        "success_rate_pct": (round(100.0 * len(success) / len(reached), 1) if reached else None),
        "score_distribution": {str(s): sum(1 for a in success if a.score == s)
                               for s in range(5, -1, -1)},
        "failure_reasons": {f"{k} {LABELS_ZH.get(Outcome(k), '')}".strip(): v
                            for k, v in failures.most_common()},
        "per_agent": {agent: dict(c) for agent, c in sorted(per_agent.items())},
        "not_reached": [{"name": c.name, "phone": c.phone, "member": c.member,
                         "attempts": c.attempts, "deadline": when(c.deadline)}
                        for c in contacts if c.id not in reached],
        "overdue": [{"name": c.name, "phone": c.phone, "deadline": when(c.deadline),
                     "status": c.status}
                    for c in contacts if c.deadline < now and c.id not in reached],
    }


def attempts(engine: Engine, tz: ZoneInfo, campaign_id: int | None,
             limit: int = 200) -> list[dict[str, Any]]:
    query = select(m.Attempt).order_by(m.Attempt.id.desc()).limit(limit)
    if campaign_id:
        query = query.where(m.Attempt.campaign_id == campaign_id)
    with engine.connect() as conn:
        return [{"id": a.id, "campaign": a.campaign_id, "contact": a.contact_id,
                 "phone": a.phone, "status": a.status, "outcome": a.outcome,
                 "score": a.score, "agent": a.agent_interface, "reason": a.reason,
                 "cause": a.cause, "server": a.server, "started_at": _iso(a.started_at, tz)}
                for a in conn.execute(query)]


def contacts(engine: Engine, tz: ZoneInfo, campaign_id: int | None,
             limit: int = 500) -> list[dict[str, Any]]:
    """Contacts, newest first: whom we owe or plan a call, in which campaign, by when;
    `joined_at` is when a keep-your-place caller first joined the queue; `outcome` the
    last call's (a keep-your-place request done: `connected`)."""
    query = (select(m.Contact.id, m.Contact.phone, m.Contact.campaign_id, m.Campaign.kind,
                    m.Contact.status, m.Contact.deadline, m.Contact.joined_at, m.Contact.note,
                    m.Contact.attempts, m.Contact.last_outcome)
             .join(m.Campaign, m.Campaign.id == m.Contact.campaign_id)
             .order_by(m.Contact.id.desc()).limit(limit))
    if campaign_id:
        query = query.where(m.Contact.campaign_id == campaign_id)
    with engine.connect() as conn:
        return [{"id": c.id, "phone": c.phone, "campaign": c.campaign_id, "kind": c.kind,
                 "status": c.status, "due_by": _iso(c.deadline, tz),
                 "joined_at": _iso(c.joined_at, tz), "attempts": c.attempts,
                 "outcome": c.last_outcome, "note": c.note}
                for c in conn.execute(query)]


def latest_attempt(engine: Engine, phone: str) -> dict[str, Any] | None:
    """The newest attempt to this number, with its contact: what the desk shows."""
    with engine.connect() as conn:
        row = conn.execute(
            select(m.Attempt.id, m.Attempt.outcome, m.Attempt.score, m.Contact.name,
                   m.Contact.note, m.Contact.member, m.Contact.attempts,
                   m.Campaign.name.label("campaign"))
            .join(m.Contact, m.Contact.id == m.Attempt.contact_id)
            .join(m.Campaign, m.Campaign.id == m.Attempt.campaign_id)
            .where(m.Attempt.phone == phone)
            .order_by(m.Attempt.started_at.desc()).limit(1)).one_or_none()
    if row is None:
        return None
    return {"attempt_id": row.id, "campaign": row.campaign, "name": row.name,
            "note": row.note, "member": row.member, "attempts": row.attempts,
            "outcome": row.outcome, "score": row.score,
            "outcomes": [o.value for o in Outcome if o is not Outcome.FAILED]}


def _iso(at: float | None, tz: ZoneInfo) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")
