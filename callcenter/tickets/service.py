"""Reading and editing tickets, and the workflow's overdue check.  Synchronous
(called in worker threads); who may do what is decided by the web layer."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from callcenter.alerts import service as alerts
from callcenter.complaints.service import ComplaintPolicy, on_edit
from callcenter.domain import complaints as cp
from callcenter.domain import ticket_rules as tr
from callcenter.domain.alerts import AlertTransition
from callcenter.domain.phone import normalise
from callcenter.domain.ratings_today import RatingChanged, rating_change, stored_rating
from callcenter.domain.text import clean as one_line
from callcenter.errors import InvalidInput, NotFound, RatedByCaller
from callcenter.inbound.service import iso
from callcenter.store import models as m
from callcenter.store.upsert import insert_for

AGENT_FIELDS = frozenset({"category", "content", "address", "resolution", "priority", "mood",
                          "status", "customer_name", "dispatched_to",
                          # a complaint or praise: whom it is about, the reply promised
                          "about_agent", "about_name", "department", "complaint_kind",
                          "praise_kind", "reply_promised_at"})
SUPERVISOR_FIELDS = AGENT_FIELDS | {"rating", "lead_called", "reviewed", "verdict",
                                    "verdict_reason"}
_CHOICES: dict[str, tuple[str, ...]] = {
    "category": ("", *tr.CATEGORIES), "status": tr.STATUSES, "priority": tr.PRIORITIES,
    "mood": ("", *tr.MOODS), "rating": tr.RATINGS, "praise_kind": ("", *cp.PRAISE_KINDS),
    "verdict": cp.VERDICTS}
_MAX_LEN = {"content": 4000, "resolution": 4000, "address": 300, "customer_name": 100,
            "dispatched_to": 100, "about_agent": 128, "about_name": 100, "department": 100,
            "complaint_kind": 32, "verdict_reason": 500}
# Short text kept as one clean line (controls and bidi overrides removed, trimmed).
_ONE_LINE = frozenset({"about_name", "department", "complaint_kind", "verdict_reason"})
_INTERFACE = re.compile(r"[A-Za-z0-9/@._:+-]{1,128}")
# Times a person enters (the reply promised to the caller): within 2000-2100.
_TIME_RANGE = (946684800.0, 4102444800.0)
# Where a rating came from: the caller's own key in the post-call survey, or the desk.
BY_CALLER, BY_STAFF = "ivr", "staff"


@dataclass(frozen=True, slots=True)
class TicketQuery:
    owner_interface: str | None = None  # an agent's own tickets only
    status: str | None = None
    category: str | None = None
    phone: str | None = None
    text: str | None = None
    open_only: bool = False
    review_pending: bool = False  # the team lead's list: unsatisfied, recording not yet heard
    since: float | None = None
    limit: int = 100
    until: float | None = None  # opened before (the tickets page's date range)
    queue: str | None = None
    agent: str | None = None  # a supervisor's filter: the owner's member interface
    offset: int = 0


def ticket_dict(t: Any, customer_name: str = "", recording: Any = None) -> dict[str, Any]:
    """A ticket for the web API; `recording` its Recording columns (path, deleted_at)."""
    path = recording.path if recording is not None else None
    deleted_at = recording.deleted_at if recording is not None else None
    return {
        "id": t.id, "linkedid": t.linkedid, "caller_phone": t.caller_phone,
        "customer_name": customer_name, "owner_interface": t.owner_interface,
        "owner_name": t.owner_name, "queue": t.queue, "channel": t.channel,
        "opened_at": t.opened_at, "completed_at": t.completed_at, "talk_s": t.talk_s,
        "ring_s": t.ring_s, "hold_s": t.hold_s, "late_answer": t.late_answer,
        "calls_last_window": t.calls_last_window, "status": t.status,
        "category": t.category, "content": t.content, "address": t.address,
        "resolution": t.resolution, "priority": t.priority, "mood": t.mood,
        "updated_at": t.updated_at, "dispatched_to": t.dispatched_to,
        "dispatched_at": t.dispatched_at, "accepted_at": t.accepted_at,
        "callback_due_at": t.callback_due_at, "lead_called_at": t.lead_called_at,
        "rating": t.rating, "rating_source": t.rating_source, "rated_at": t.rated_at,
        "review_due_at": t.review_due_at, "reviewed_at": t.reviewed_at,
        "about_agent": t.about_agent, "about_name": t.about_name, "department": t.department,
        "complaint_kind": t.complaint_kind, "praise_kind": t.praise_kind,
        "reply_promised_at": t.reply_promised_at, "investigation_due_at": t.investigation_due_at,
        "resolved_at": t.resolved_at, "verdict": t.verdict, "verdict_reason": t.verdict_reason,
        "verdict_by": t.verdict_by, "verdict_at": t.verdict_at,
        # Played through the recordings feature's route, never by its path.
        "recording_url": (f"/api/tickets/{t.id}/recording"
                          if path is not None and deleted_at is None else None),
        "recording_deleted_at": deleted_at,  # 过期销毁: deleted after its retention
    }


def _select() -> Any:
    return (select(m.Ticket, m.Customer.name, m.Recording.path, m.Recording.deleted_at)
            .join(m.Customer, m.Customer.id == m.Ticket.customer_id)
            .outerjoin(m.Recording, m.Recording.ticket_id == m.Ticket.id))


def get(engine: Engine, ticket_id: int) -> dict[str, Any]:
    with Session(engine) as s:
        row = s.execute(_select().where(m.Ticket.id == ticket_id)).one_or_none()
    if row is None:
        raise NotFound(f"no ticket #{ticket_id}")
    return ticket_dict(row.Ticket, row.name, row)


def by_linkedid(engine: Engine, linkedid: str) -> dict[str, Any] | None:
    with Session(engine) as s:
        row = s.execute(_select().where(m.Ticket.linkedid == linkedid)).one_or_none()
    return None if row is None else ticket_dict(row.Ticket, row.name, row)


def search(engine: Engine, q: TicketQuery) -> list[dict[str, Any]]:
    query = _filtered(_select(), q).order_by(m.Ticket.opened_at.desc(), m.Ticket.id.desc())
    with Session(engine) as s:
        return [ticket_dict(r.Ticket, r.name, r)
                for r in s.execute(query.offset(q.offset).limit(q.limit)).all()]


def count(engine: Engine, q: TicketQuery) -> int:
    """How many tickets the query finds in all (the page's paging)."""
    query = _filtered(select(func.count(m.Ticket.id)).select_from(m.Ticket).join(
        m.Customer, m.Customer.id == m.Ticket.customer_id), q)
    with Session(engine) as s:
        return int(s.execute(query).scalar_one())


def _filtered(query: Any, q: TicketQuery) -> Any:
    if q.owner_interface is not None:
        query = query.where(m.Ticket.owner_interface == q.owner_interface)
    if q.status:
        query = query.where(m.Ticket.status == q.status)
    if q.open_only:
        query = query.where(m.Ticket.status.not_in(("resolved", "closed")))
    if q.review_pending:
        query = query.where(m.Ticket.review_due_at.is_not(None), m.Ticket.reviewed_at.is_(None))
    if q.category:
        query = query.where(m.Ticket.category == q.category)
    if q.phone:
        query = query.where(m.Ticket.caller_phone == normalise(q.phone))
    if q.since is not None:
        query = query.where(m.Ticket.opened_at >= q.since)
    if q.until is not None:
        query = query.where(m.Ticket.opened_at < q.until)
    if q.queue:
        query = query.where(m.Ticket.queue == q.queue)
    if q.agent:
        query = query.where(m.Ticket.owner_interface == q.agent)
    if q.text:
        like = f"%{q.text}%"
        query = query.where(or_(m.Ticket.content.like(like), m.Ticket.address.like(like),
                                m.Ticket.resolution.like(like), m.Customer.name.like(like)))
    return query


def history(engine: Engine, phone: str, *, before_linkedid: str, limit: int = 10) -> list[dict[str, Any]]:
    """Earlier tickets of this number: what the agent should know before answering."""
    with Session(engine) as s:
        rows = s.execute(_select().where(m.Ticket.caller_phone == normalise(phone),
                                         m.Ticket.linkedid != before_linkedid)
                         .order_by(m.Ticket.opened_at.desc()).limit(limit)).all()
    return [ticket_dict(r.Ticket, r.name, r) for r in rows]


def _clocks(t: Any) -> tr.TicketClocks:
    return tr.TicketClocks(
        id=t.id, category=t.category, status=t.status, opened_at=t.opened_at,
        dispatched_at=t.dispatched_at, accepted_at=t.accepted_at,
        callback_due_at=t.callback_due_at, lead_called_at=t.lead_called_at, rating=t.rating,
        rated_at=t.rated_at, review_due_at=t.review_due_at, reviewed_at=t.reviewed_at,
        investigation_due_at=t.investigation_due_at, resolved_at=t.resolved_at)


def _checked(key: str, value: Any) -> Any:
    """One field's value as stored, or InvalidInput."""
    if key in _ONE_LINE:
        value = one_line(str(value), 4 * _MAX_LEN[key])
    if key == "about_agent":
        if value and not _INTERFACE.fullmatch(str(value)):
            raise InvalidInput("about_agent must be a member interface, like PJSIP/1001")
        value = value or None  # "": about nobody (a department)
    if key == "reply_promised_at" and not (
            isinstance(value, int | float) and math.isfinite(value)
            and _TIME_RANGE[0] <= value <= _TIME_RANGE[1]):
        raise InvalidInput("reply_promised_at must be a time (epoch seconds)")
    if key in _CHOICES and value not in _CHOICES[key]:
        raise InvalidInput(f"{key} must be one of {', '.join(_CHOICES[key])}")
    if key in _MAX_LEN and value is not None and len(str(value)) > _MAX_LEN[key]:
        raise InvalidInput(f"{key} is longer than {_MAX_LEN[key]} characters")
    return value


def validate(changes: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key not in allowed:
            raise InvalidInput(f"{key} cannot be changed here")
        clean[key] = _checked(key, value)
    return clean


def update_ticket(engine: Engine, ticket_id: int, changes: dict[str, Any], now: float, *,
                  rules: tr.TicketRules, deadline: tr.Deadline, by: str = "",
                  complaints: ComplaintPolicy | None = None) -> dict[str, Any]:
    """Apply validated changes; start the workflow clocks they imply; a complaint's or
    praise's consequences (follow-up, ledger, verdict) in the same transaction, or
    its refusal (TicketRefused) with nothing changed."""
    with engine.begin() as conn:
        row = conn.execute(select(m.Ticket).where(m.Ticket.id == ticket_id)).one_or_none()
        if row is None:
            raise NotFound(f"no ticket #{ticket_id}")
        if "rating" in changes and row.rating_source == BY_CALLER:
            raise RatedByCaller(f"ticket #{ticket_id} was rated by the caller in the survey; "
                                "that rating is not changed")
        values = {k: v for k, v in changes.items()
                  if k not in ("customer_name", "lead_called", "reviewed")}
        if "rating" in changes:
            values["rating_source"] = BY_STAFF
        if changes.get("lead_called"):
            values["lead_called_at"] = row.lead_called_at or now
        if changes.get("reviewed"):
            values["reviewed_at"] = row.reviewed_at or now
        before = _clocks(row)
        after = replace(before, **{k: v for k, v in values.items()
                                   if k in tr.TicketClocks.__slots__})
        values.update(tr.clocks_started(before, after, rules, deadline, now))
        values.update(on_edit(conn, row, values, now, by=by, deadline=deadline,
                              policy=complaints or ComplaintPolicy()))
        values["updated_at"] = now
        conn.execute(update(m.Ticket).where(m.Ticket.id == ticket_id).values(**values))
        if "customer_name" in changes:
            conn.execute(update(m.Customer).where(m.Customer.id == row.customer_id)
                         .values(name=changes["customer_name"]))
    return get(engine, ticket_id)


@dataclass(frozen=True, slots=True)
class CallerRating:
    """What the survey stored: the ticket, its owner and the points they got."""

    ticket_id: int
    rating: str
    owner_interface: str
    points: int
    review_due_at: float | None
    stored: bool  # False: the caller had rated this call already (kept as it was)
    change: RatingChanged | None = None  # for the wallboard's rating split


def rate_by_caller(engine: Engine, linkedid: str, rating: str, now: float, *,
                   points: int, rules: tr.TicketRules,
                   deadline: tr.Deadline) -> CallerRating | None:
    """The caller's key from the survey, on the call's ticket (None: no ticket).  It is
    stored once and never overwritten; it replaces a rating set on the desk, starts the
    review of an unsatisfied call (the same clocks as an edit) and scores the ticket's
    owner in the same transaction."""
    if rating not in tr.RATINGS:
        raise InvalidInput(f"rating must be one of {', '.join(tr.RATINGS)}")
    with engine.begin() as conn:
        # FOR UPDATE (PostgreSQL): two sessions of one call cannot both rate it.
        row = conn.execute(select(m.Ticket).where(m.Ticket.linkedid == linkedid)
                           .with_for_update()).one_or_none()
        if row is None:
            return None
        if row.rating_source == BY_CALLER:
            return CallerRating(row.id, row.rating or "", row.owner_interface, 0,
                                row.review_due_at, stored=False)
        before = _clocks(row)
        values: dict[str, Any] = {"rating": rating, "rating_source": BY_CALLER, "updated_at": now}
        values.update(tr.clocks_started(before, replace(before, rating=rating), rules, deadline,
                                        now))
        conn.execute(update(m.Ticket).where(m.Ticket.id == row.id).values(**values))
        change = rating_change(row.id, row.queue,
                               stored_rating(row.rating, row.rating_source, row.rated_at),
                               stored_rating(rating, BY_CALLER,
                                             values.get("rated_at", row.rated_at)))
        if points:
            conn.execute(insert_for(conn, m.PointsEntry).values(
                agent_interface=row.owner_interface, points=points, reason=f"rating_{rating}",
                ticket_id=row.id, at=now).on_conflict_do_nothing())
    return CallerRating(row.id, rating, row.owner_interface, points,
                        values.get("review_due_at", row.review_due_at), stored=True,
                        change=change)


def staff_rating_change(before: dict[str, Any], after: dict[str, Any]) -> RatingChanged | None:
    """What an edit on the desk did to a ticket's rating (two `ticket_dict`s)."""
    return rating_change(after["id"], after["queue"],
                         stored_rating(before["rating"], before["rating_source"],
                                       before["rated_at"]),
                         stored_rating(after["rating"], after["rating_source"], after["rated_at"]))


def check_overdue(engine: Engine, rules: tr.TicketRules, now: float) -> list[AlertTransition]:
    """Raise one alert per late duty per ticket; clear it once the duty is done."""
    pending = or_(m.Ticket.dispatched_at.is_not(None), m.Ticket.callback_due_at.is_not(None),
                  m.Ticket.review_due_at.is_not(None), m.Ticket.investigation_due_at.is_not(None))
    changed: list[AlertTransition | None] = []
    with engine.begin() as conn:
        rows = conn.execute(select(m.Ticket).where(pending)).all()
        late = {(o.kind, o.ref): o for r in rows for o in tr.overdue(_clocks(r), rules, now)}
        raised = {(a.kind, a.ref): a for a in conn.execute(
            select(m.Alert.id, m.Alert.kind, m.Alert.ref, m.Alert.cleared_at)
            .where(m.Alert.kind.in_(tr.OVERDUE_KINDS)))}
        for key, o in late.items():
            if key not in raised:  # once per duty, even after it was cleared
                level = "critical" if o.kind == tr.SUPERVISION else "warning"
                changed.append(alerts.raise_once(conn, o.kind, level, o.message(), now, ref=o.ref))
        for key, a in raised.items():
            if a.cleared_at is None and key not in late:
                changed.append(alerts.clear_alert(conn, a.id, now))
    return [c for c in changed if c is not None]


def table(engine: Engine, tz: ZoneInfo, limit: int = 50) -> list[dict[str, Any]]:
    """The newest tickets as the CLI lists them."""
    with Session(engine) as s:
        rows = s.scalars(select(m.Ticket).order_by(m.Ticket.opened_at.desc(), m.Ticket.id.desc())
                         .limit(limit)).all()
        recordings = {r.ticket_id: r for r in s.scalars(
            select(m.Recording).where(m.Recording.ticket_id.in_([t.id for t in rows])))}
        parts: dict[int, list[str]] = {}
        for p in s.scalars(select(m.TicketParticipant)
                           .where(m.TicketParticipant.ticket_id.in_([t.id for t in rows]))
                           .order_by(m.TicketParticipant.joined_at)):
            parts.setdefault(p.ticket_id, []).append(p.agent_name)
        return [{
            "id": t.id,
            "linkedid": t.linkedid,
            "caller_number": t.caller_phone,
            "customer_id": t.customer_id,
            "calls_last_7d": t.calls_last_window,
            "agent": t.owner_name,
            "participants": parts.get(t.id, [t.owner_name]),
            "queue": t.queue,
            "server": t.server,  # the Asterisk server the call was on
            "opened_at": iso(t.opened_at, tz),
            "hold_s": t.hold_s,
            "ring_s": round(t.ring_s, 1),
            "late_answer": t.late_answer,
            "talk_s": t.talk_s,
            "hangup_by": t.hangup_by,
            "status": t.status,
            "recovered": t.recovered,  # from queue_log: the daemon missed the call live
            "rating": t.rating,
            "rating_source": t.rating_source,
            "rated_at": iso(t.rated_at, tz),
            "review_due_at": iso(t.review_due_at, tz),
            # The file as the daemon reads it; null once retention deleted it (then
            # recording_deleted_at says when), or when the call was not recorded.
            "recording": _recording_path(recordings.get(t.id)),
            "recording_deleted_at": iso(_deleted_at(recordings.get(t.id)), tz),
        } for t in rows]


def _recording_path(r: m.Recording | None) -> str | None:
    return r.path if r is not None and r.deleted_at is None else None


def _deleted_at(r: m.Recording | None) -> float | None:
    return r.deleted_at if r is not None else None
