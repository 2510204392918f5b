"""The caller's side in the database: the standing after-hours callback campaign.
Synchronous (called from the FastAGI sessions' threads)."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from callcenter.callbacks.service import AFTER_HOURS_KIND, NewCampaign, create_campaign
from callcenter.domain import keep_place as kp
from callcenter.domain.hotline import Promise
from callcenter.domain.phone import PhoneNumber
from callcenter.store import models as m
from callcenter.store.upsert import insert_for

AFTER_HOURS_CAMPAIGN = "下班后来电回拨 after-hours callers"
OPEN = ("pending", "dialing", "review")  # a request still under way


def after_hours_campaign(engine: Engine, now: float) -> int:
    """The standing campaign after-hours callers are put on (created on first use)."""
    with engine.connect() as conn:
        found = conn.execute(select(m.Campaign.id).where(m.Campaign.kind == AFTER_HOURS_KIND)
                             .order_by(m.Campaign.id).limit(1)).scalar()
    if found is not None:
        return int(found)
    # The rule is only the campaign's label: each request carries its own deadline.
    return create_campaign(engine, NewCampaign(AFTER_HOURS_CAMPAIGN, kind=AFTER_HOURS_KIND,
                                               deadline_rule="1wd"), now)


def request_callback(engine: Engine, campaign_id: int, number: PhoneNumber, now: float,
                     promise: Promise) -> str:
    """One request per number while one is open: `added`, `already_open`, `reopened` (the
    number's earlier request was closed: it becomes a new one), or `do_not_call`.  It is
    dialed from the next opening, inside the dialer's windows, and due by the promise."""
    fresh = dict(status="pending", attempts=0, service_at=now, deadline=promise.due_at,
                 next_due_at=promise.call_back_from, last_outcome=None, appointment_at=None,
                 note="after hours (下班后来电)")
    outcome, _ = _one_open_request(engine, campaign_id, number, now, fresh=fresh,
                                   open_statuses=OPEN)
    return outcome


def _one_open_request(engine: Engine, campaign_id: int, number: PhoneNumber, now: float, *,
                      fresh: dict[str, object], open_statuses: tuple[str, ...],
                      ) -> tuple[str, int | None]:
    """The campaign's one request for this number, made `fresh`: (`added` | `reopened`,
    its id), (`already_open`, None) while it is in `open_statuses`, or (`do_not_call`,
    None)."""
    with engine.begin() as conn:
        if conn.execute(select(m.DoNotCall.phone)
                        .where(m.DoNotCall.phone == number.digits)).first():
            return "do_not_call", None
        # FOR UPDATE (PostgreSQL): two calls from one number at once make one request.
        row = conn.execute(select(m.Contact.id, m.Contact.status)
                           .where(m.Contact.campaign_id == campaign_id,
                                  m.Contact.phone == number.digits)
                           .with_for_update()).one_or_none()
        if row is None:
            new_id = conn.execute(insert_for(conn, m.Contact).values(
                campaign_id=campaign_id, phone=number.digits, created_at=now, **fresh,
            ).on_conflict_do_nothing().returning(m.Contact.id)).scalar_one_or_none()
            return ("added", int(new_id)) if new_id is not None else ("already_open", None)
        if row.status in open_statuses:
            return "already_open", None
        conn.execute(update(m.Contact).where(m.Contact.id == row.id).values(**fresh))
        return "reopened", int(row.id)


# -- keep your place (排队回呼) ------------------------------------------------------------

KEEP_PLACE_KIND = "keep_place"
KEEP_PLACE_CAMPAIGN = "排队回呼 keep-your-place callbacks"
KEEP_PLACE_OPEN = ("waiting",)  # a placeholder holds the caller's place


def keep_place_campaign(engine: Engine, now: float) -> int:
    """The standing campaign keep-your-place requests belong to (created on first use).
    Its requests are never `pending`: the dialer never dials them, their placeholder
    does when an agent takes it."""
    with engine.connect() as conn:
        found = conn.execute(select(m.Campaign.id).where(m.Campaign.kind == KEEP_PLACE_KIND)
                             .order_by(m.Campaign.id).limit(1)).scalar()
    if found is not None:
        return int(found)
    return create_campaign(engine, NewCampaign(KEEP_PLACE_CAMPAIGN, kind=KEEP_PLACE_KIND,
                                               deadline_rule="1wd"), now)


def request_keep_place(engine: Engine, campaign_id: int, number: PhoneNumber, now: float, *,
                       joined_at: float, queue: str, position: int,
                       expires_at: float) -> tuple[str, int | None]:
    """(`added` | `reopened`, the request's id), (`already_open`, None) while the number
    has a request waiting, or (`do_not_call`, None)."""
    fresh = dict(status="waiting", attempts=0, service_at=now, deadline=expires_at,
                 next_due_at=expires_at, joined_at=joined_at, last_outcome=None,
                 appointment_at=None, note=f"keep your place in {queue} at {position}")
    return _one_open_request(engine, campaign_id, number, now, fresh=fresh,
                             open_statuses=KEEP_PLACE_OPEN)


def settle_keep_place(engine: Engine, request_id: int, status: str, note: str,
                      *, only_from: tuple[str, ...] = KEEP_PLACE_OPEN,
                      outcome: str | None = None, at: float | None = None) -> str | None:
    """Move a request on (`connected`, `cancelled`, `expired`, `missed`, `not_dialed`,
    `done`) if it is still in one of `only_from`, with its outcome when it has one
    (`done`: connected; `missed`: no_answer, busy, ...) and when; its phone number if
    it moved, else None."""
    values: dict[str, object] = {"status": status, "note": note[:500]}
    if outcome is not None:
        values["last_outcome"] = outcome[:20]
    if at is not None and status in ("done", "missed"):
        values["last_attempt_at"] = at  # the customer was dialed
    with engine.begin() as conn:
        phone = conn.execute(select(m.Contact.phone).where(
            m.Contact.id == request_id, m.Contact.status.in_(only_from))
            .with_for_update()).scalar_one_or_none()
        if phone is None:
            return None
        conn.execute(update(m.Contact).where(m.Contact.id == request_id).values(**values))
        return str(phone)


def overdue_keep_place(engine: Engine, campaign_id: int, now: float,
                       status: tuple[str, ...] = KEEP_PLACE_OPEN) -> list[int]:
    """Requests in `status` (by default: still waiting, their placeholder's end never
    seen) past their expiry."""
    with engine.connect() as conn:
        return [int(i) for i in conn.execute(select(m.Contact.id).where(
            m.Contact.campaign_id == campaign_id, m.Contact.status.in_(status),
            m.Contact.deadline <= now)).scalars()]


def waiting_keep_place(engine: Engine, campaign_id: int) -> list[kp.VirtualWaiter]:
    """The requests whose placeholder holds a place now, as the tracker is told of them."""
    with engine.connect() as conn:
        rows = conn.execute(select(m.Contact.id, m.Contact.joined_at, m.Contact.service_at,
                                   m.Contact.deadline)
                            .where(m.Contact.campaign_id == campaign_id,
                                   m.Contact.status.in_(KEEP_PLACE_OPEN))).all()
    return [kp.VirtualWaiter(int(r.id), float(r.joined_at if r.joined_at is not None
                                               else r.service_at or r.deadline),
                             float(r.deadline)) for r in rows]


def keep_place_request(engine: Engine, request_id: int) -> dict[str, object] | None:
    with engine.connect() as conn:
        row = conn.execute(select(m.Contact.id, m.Contact.phone, m.Contact.status,
                                  m.Contact.joined_at, m.Contact.deadline)
                           .where(m.Contact.id == request_id)).one_or_none()
    return None if row is None else dict(row._mapping)


def on_do_not_call(engine: Engine, number: PhoneNumber) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(m.DoNotCall.phone)
                            .where(m.DoNotCall.phone == number.digits)).first() is not None
