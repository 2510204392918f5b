"""Ticket drafts: what a user typed and has not saved, one per user and ticket.
Synchronous (called in worker threads); who may keep a draft on which ticket is
decided by the web layer.  Every value is cleaned and checked like the ticket's own
field (its choices, its length)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, delete, select

from callcenter.domain.text import clean, clean_lines
from callcenter.errors import InvalidInput
from callcenter.store import models as m
from callcenter.store.upsert import insert_for
from callcenter.tickets import service as tickets

MULTILINE = frozenset({"content", "resolution"})  # textareas keep their lines
_FIELD_CAP = 4000  # before the ticket's own limit is checked: nothing bigger is looked at


def clean_draft(fields: dict[str, Any]) -> dict[str, str]:
    """The draft as it is kept: only the ticket's fields an agent records, each a
    string, controls removed, checked against the ticket's own choices and limits."""
    if not isinstance(fields, dict):
        raise InvalidInput("a draft is an object of ticket fields")
    cleaned: dict[str, str] = {}
    for key, value in fields.items():
        if key not in tickets.AGENT_FIELDS:
            raise InvalidInput(f"{key} is not a ticket field kept in a draft")
        if not isinstance(value, str):
            raise InvalidInput(f"{key} must be text")
        text = value[:_FIELD_CAP + 1]
        cleaned[key] = clean_lines(text, _FIELD_CAP + 1) if key in MULTILINE \
            else clean(text, _FIELD_CAP + 1)
    tickets.validate(cleaned, tickets.AGENT_FIELDS)  # choices and lengths, as on saving
    return cleaned


def save(engine: Engine, user_id: int, ticket_id: int, fields: dict[str, str],
         now: float) -> float:
    """Keep (or replace) the user's draft of this ticket; returns when it was saved."""
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    with engine.begin() as conn:
        stmt = insert_for(conn, m.TicketDraft).values(user_id=user_id, ticket_id=ticket_id,
                                                      fields=body, saved_at=now)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["user_id", "ticket_id"],
            set_={"fields": body, "saved_at": now}))
    return now


def load(engine: Engine, user_id: int, ticket_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(m.TicketDraft.fields, m.TicketDraft.saved_at)
                           .where(m.TicketDraft.user_id == user_id,
                                  m.TicketDraft.ticket_id == ticket_id)).one_or_none()
    if row is None:
        return None
    return {"ticket_id": ticket_id, "fields": json.loads(row.fields), "saved_at": row.saved_at}


def of_user(engine: Engine, user_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The user's drafts, newest first: the desk reopens them after a reload."""
    with engine.connect() as conn:
        rows = conn.execute(select(m.TicketDraft.ticket_id, m.TicketDraft.fields,
                                   m.TicketDraft.saved_at)
                            .where(m.TicketDraft.user_id == user_id)
                            .order_by(m.TicketDraft.saved_at.desc()).limit(limit)).all()
    return [{"ticket_id": r.ticket_id, "fields": json.loads(r.fields), "saved_at": r.saved_at}
            for r in rows]


def discard(engine: Engine, user_id: int, ticket_id: int) -> bool:
    with engine.begin() as conn:
        gone = conn.execute(delete(m.TicketDraft).where(m.TicketDraft.user_id == user_id,
                                                        m.TicketDraft.ticket_id == ticket_id))
    return bool(gone.rowcount)
