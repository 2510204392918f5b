"""The caller's side in the database: the standing after-hours callback campaign.
Synchronous (called from the FastAGI sessions' threads)."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from callcenter.callbacks.service import AFTER_HOURS_KIND, NewCampaign, create_campaign
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
                 next_due_at=promise.call_back_from, note="after hours (下班后来电)")
    with engine.begin() as conn:
        if conn.execute(select(m.DoNotCall.phone)
                        .where(m.DoNotCall.phone == number.digits)).first():
            return "do_not_call"
        # FOR UPDATE (PostgreSQL): two calls from one number at once make one request.
        row = conn.execute(select(m.Contact.id, m.Contact.status)
                           .where(m.Contact.campaign_id == campaign_id,
                                  m.Contact.phone == number.digits)
                           .with_for_update()).one_or_none()
        if row is None:
            new_id = conn.execute(insert_for(conn, m.Contact).values(
                campaign_id=campaign_id, phone=number.digits, created_at=now, **fresh,
            ).on_conflict_do_nothing().returning(m.Contact.id)).scalar_one_or_none()
            return "added" if new_id is not None else "already_open"
        if row.status in OPEN:
            return "already_open"
        conn.execute(update(m.Contact).where(m.Contact.id == row.id).values(
            last_outcome=None, appointment_at=None, **fresh))
        return "reopened"
