"""The complaints' SQL.  `on_edit` runs inside the ticket edit's transaction (the
ticket path owns the edit; this decides what it means for a complaint or praise and
refuses what the workflow forbids); the rest are the flags and the reports.

Row shapes (fixed keys, for the CLI's --json, the reports page and its exports):

- `complaint_table()` (投诉分类统计表): month, category, department, complaints,
  confirmed, unfounded, pending, closed — one row per month (center's zone, by the
  day the complaint came in), 投诉类别 and 责任归属 ("" when not recorded).
- `complaints_by_agent()`: month, agent, interface, complaints, confirmed, unfounded,
  flagged — one row per month and agent complained about.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Connection, Engine, insert, select, update

from callcenter.alerts import service as alerts
from callcenter.domain import complaints as cp
from callcenter.domain.alerts import AlertTransition
from callcenter.domain.ledger import LedgerRules, month_bounds, month_label, previous_month
from callcenter.domain.phone import PhoneNumber, PhoneRules
from callcenter.domain.ticket_rules import COMPLAINT, Deadline
from callcenter.errors import InvalidInput, TicketRefused
from callcenter.ledger import service as ledger
from callcenter.store import models as m

log = structlog.get_logger("callcenter.complaints")

FOLLOWUP_KIND = "complaint"
FOLLOWUP_CAMPAIGN = "投诉回访 complaint follow-ups"
SUCCESS = "success"  # the callbacks' outcome code of a successful follow-up (成功回访)
# The reports' columns (names fixed: the CLI's --json, the page, the exports).
TABLE_COLUMNS = ("month", "category", "department", "complaints", "confirmed", "unfounded",
                 "pending", "closed")
BY_AGENT_COLUMNS = ("month", "agent", "interface", "complaints", "confirmed", "unfounded",
                    "flagged")


@dataclass(frozen=True)
class ComplaintPolicy:
    rules: cp.ComplaintRules = field(default_factory=cp.ComplaintRules)
    ledger: LedgerRules = field(default_factory=LedgerRules)
    phones: PhoneRules = field(default_factory=PhoneRules)


def _subject(row: Any, changes: dict[str, Any] | None = None) -> cp.Subject:
    values = {k: getattr(row, k) for k in ("category", "status", "about_agent", "verdict",
                                           "verdict_reason", "praise_kind")}
    values.update({k: v for k, v in (changes or {}).items() if k in values})
    return cp.Subject(id=row.id, **values)


def followup_succeeded(conn: Connection, ticket: Any) -> bool:
    """A follow-up call to the caller in the complaint campaign that succeeded after
    the complaint was resolved."""
    if ticket.resolved_at is None:
        return False
    return conn.execute(
        select(m.Attempt.id).join(m.Campaign, m.Campaign.id == m.Attempt.campaign_id)
        .where(m.Campaign.kind == FOLLOWUP_KIND, m.Attempt.phone == ticket.caller_phone,
               m.Attempt.outcome == SUCCESS, m.Attempt.started_at >= ticket.resolved_at)
        .limit(1)).first() is not None


def on_edit(conn: Connection, row: Any, changes: dict[str, Any], now: float, *, by: str,
            policy: ComplaintPolicy, deadline: Deadline) -> dict[str, Any]:
    """What a ticket edit means for its complaint or praise: the values to store with
    it; the follow-up contact and ledger entries are written in the same transaction.
    Refused edits raise TicketRefused (409) or InvalidInput (422)."""
    kind = changes.get("complaint_kind")
    if kind and kind not in policy.rules.kinds:
        raise InvalidInput(f"complaint_kind must be one of {', '.join(policy.rules.kinds)}")
    about = changes.get("about_agent")
    if about and about != row.about_agent and not ledger.known_agent(conn, about):
        raise InvalidInput(f"about_agent: no agent {about!r}")
    after = _subject(row, changes)
    closing = after.status == "closed" and row.status != "closed"
    decision = cp.decide(_subject(row), after,
                         followup_succeeded=closing and followup_succeeded(conn, row))
    if decision.refusal:
        raise TicketRefused(decision.refusal)
    extra: dict[str, Any] = {}
    if decision.investigation_starts and row.investigation_due_at is None:
        extra["investigation_due_at"] = deadline(policy.rules.investigation, row.opened_at)
    if decision.verdict_given:
        extra.update(verdict_by=by[:64], verdict_at=now)
        log.info("complaint.verdict", ticket=row.id, verdict=after.verdict, by=by)
    if decision.followup:
        extra["resolved_at"] = now
        _ensure_followup(conn, row, now, policy, deadline)
    if decision.score and after.about_agent:
        ledger.write(conn, after.about_agent, policy.ledger.points_for(decision.score),
                     decision.score, now, ticket_id=row.id, by=by, note=f"工单 #{row.id}")
    if decision.reverse:
        ledger.reverse_ticket_entry(conn, row.id, decision.reverse, by=by,
                                    why=after.verdict_reason or "无理投诉", now=now)
    return extra


def _campaign(conn: Connection, rules: cp.ComplaintRules, now: float) -> int:
    found = conn.execute(select(m.Campaign.id).where(m.Campaign.kind == FOLLOWUP_KIND)
                         .order_by(m.Campaign.id).limit(1)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(m.Campaign).values(
        name=FOLLOWUP_CAMPAIGN, kind=FOLLOWUP_KIND, status="active", mode="customer_first",
        deadline_rule=rules.followup_deadline, max_in_flight=2, created_at=now)
        .returning(m.Campaign.id)).scalar_one())


def _ensure_followup(conn: Connection, ticket: Any, now: float, policy: ComplaintPolicy,
                     deadline: Deadline) -> int | None:
    """The caller on the complaint follow-up campaign, due now (a contact already there
    for this number is taken up again for this ticket)."""
    number = PhoneNumber.or_none(ticket.caller_phone or "", policy.phones)
    if number is None:
        log.warning("complaint.followup_refused", error_id="phone.invalid", ticket=ticket.id)
        return None
    if conn.execute(select(m.DoNotCall.phone).where(m.DoNotCall.phone == number.digits)).first():
        log.warning("complaint.followup_refused", reason="do_not_call", ticket=ticket.id)
        return None
    campaign = _campaign(conn, policy.rules, now)
    due = deadline(policy.rules.followup_deadline, now)
    note = f"投诉回访 工单 #{ticket.id}"
    existing = conn.execute(select(m.Contact.id, m.Contact.status).where(
        m.Contact.campaign_id == campaign, m.Contact.phone == number.digits)).one_or_none()
    if existing is None:
        contact = int(conn.execute(insert(m.Contact).values(
            campaign_id=campaign, name="", phone=number.digits, member=False, service_at=now,
            note=note, ticket_id=ticket.id, deadline=due, status="pending", attempts=0,
            next_due_at=now, created_at=now).returning(m.Contact.id)).scalar_one())
    else:
        contact = int(existing.id)
        values: dict[str, Any] = {"ticket_id": ticket.id, "deadline": due, "note": note,
                                  "service_at": now}
        if existing.status != "dialing":
            values.update(status="pending", attempts=0, next_due_at=now, last_outcome=None,
                          appointment_at=None)
        conn.execute(update(m.Contact).where(m.Contact.id == contact).values(**values))
    log.info("complaint.followup_created", ticket=ticket.id, campaign=campaign, contact=contact)
    return contact


def _confirmed(conn: Connection, start: float, end: float) -> list[Any]:
    t = m.Ticket
    return list(conn.execute(select(t.about_agent, t.opened_at).where(
        t.category == COMPLAINT, t.verdict == cp.CONFIRMED, t.about_agent.is_not(None),
        t.opened_at >= start, t.opened_at < end)))


def confirmed_per_agent(engine: Engine, start: float, end: float) -> dict[str, int]:
    """Confirmed complaints about each agent that came in within [start, end)."""
    with engine.connect() as conn:
        return dict(Counter(r.about_agent for r in _confirmed(conn, start, end)))


def check_flags(engine: Engine, now: float, tz: ZoneInfo, threshold: int) -> list[AlertTransition]:
    """An alert per agent and month at the threshold (this month and the last: a verdict
    may come after the month ended), raised once."""
    start = month_bounds(previous_month(now, tz), tz)[0]
    raised: list[AlertTransition] = []
    with engine.begin() as conn:
        counts = Counter((r.about_agent, month_label(r.opened_at, tz))
                         for r in _confirmed(conn, start, now + 1))
        known = ledger.names(conn)
        for flag in cp.flags(counts, threshold):
            t = alerts.raise_once(conn, cp.FLAG_KIND, "warning",
                                  flag.message(known.get(flag.agent, "")), now, ref=flag.ref)
            if t is not None:
                log.info("complaint.agent_flagged", agent=flag.agent, month=flag.month,
                         confirmed=flag.confirmed)
                raised.append(t)
    return raised


def _complaints(conn: Connection, start: float, end: float) -> list[Any]:
    t = m.Ticket
    return list(conn.execute(select(
        t.opened_at, t.complaint_kind, t.department, t.verdict, t.status, t.about_agent)
        .where(t.category == COMPLAINT, t.opened_at >= start, t.opened_at < end)))


def complaint_table(engine: Engine, start: float, end: float, tz: ZoneInfo) -> list[dict[str, Any]]:
    """投诉分类统计表: complaints by month, kind and responsible department."""
    with engine.connect() as conn:
        rows = _complaints(conn, start, end)
    table: dict[tuple[str, str, str], Counter[str]] = {}
    for r in rows:
        counts = table.setdefault((month_label(r.opened_at, tz), r.complaint_kind, r.department),
                                  Counter())
        counts["complaints"] += 1
        counts[r.verdict or "pending"] += 1
        counts["closed"] += r.status == "closed"
    return [{"month": month, "category": kind, "department": dept,
             "complaints": c["complaints"], "confirmed": c[cp.CONFIRMED],
             "unfounded": c[cp.UNFOUNDED], "pending": c["pending"], "closed": c["closed"]}
            for (month, kind, dept), c in sorted(table.items())]


def complaints_by_agent(engine: Engine, start: float, end: float, tz: ZoneInfo,
                        threshold: int) -> list[dict[str, Any]]:
    """Complaints per month and agent complained about, flagged at the threshold."""
    with engine.connect() as conn:
        rows = [r for r in _complaints(conn, start, end) if r.about_agent]
        known = ledger.names(conn)
    table: dict[tuple[str, str], Counter[str]] = {}
    for r in rows:
        counts = table.setdefault((month_label(r.opened_at, tz), r.about_agent), Counter())
        counts["complaints"] += 1
        counts[r.verdict or "pending"] += 1
    return [{"month": month, "agent": known.get(agent, ""), "interface": agent,
             "complaints": c["complaints"], "confirmed": c[cp.CONFIRMED],
             "unfounded": c[cp.UNFOUNDED], "flagged": c[cp.CONFIRMED] >= threshold}
            for (month, agent), c in sorted(table.items())]

