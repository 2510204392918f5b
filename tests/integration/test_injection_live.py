"""Callers who choose their own caller ID, on the real Asterisk: each injection form
(another destination after `&`, a Dial option or a variable after `,`, a `Local/` or
`sip:` channel, `;` and `|` separators) is refused at the boundary, so abandoning gives
no callback and a follow-up campaign from their tickets has no contact; a hostile row
already in the database is refused just before Originate, with a reason.  Asterisk's
own events show that only the validated number was dialed and no variable of the
caller's choosing was set."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess
from tests.integration.test_callbacks_live import _attempts, _callback_settings

pytestmark = pytest.mark.asterisk

CLEAN = "19901030041"  # answers after 3 s: the one number that may be dialed
HOSTILE = [
    "19901030042&Local/19902000666@testbed-customers/n",
    "19901030043,CC_EVIL=1",
    "sip:19901030044@evil.example",
    "Local/19901030045@testbed-customers/n",
    "19901030046;19902000667",
    "19901030047|19902000668",
]
PLANTED = "19901030048&Local/19902000669@testbed-customers/n"  # an old row, written directly


async def test_caller_ids_cannot_steer_a_callback(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    _callback_settings(daemon)
    text = daemon.config.read_text().replace("dialer_interval_s = 0.5",
                                             "dialer_interval_s = 0.5\nabandoned_min_wait_s = 2")
    daemon.config.write_text(text)
    daemon.start()
    try:
        async with Controller(bed) as c:
            await c.clear_queues()
            await c.login("callback", Agent("4301", "cb", answer_after=1, talk_s=2))
            await daemon.logged("agent.state", count=1)
            seen = len(c.events)
            # Everybody waits in an unserved queue and gives up after 5 s: abandoned.
            for number in [CLEAN, *HOSTILE]:
                c.call("support", number, patience_s=5)
            await daemon.logged("call.abandoned", count=1 + len(HOSTILE), timeout=30)
            # Then they call again and agents answer: tickets.  Three agents, so that a
            # caller never meets them all in their 5 s wrap-up (queues.conf).
            agents = [Agent(f"430{n}", f"agent{n}", answer_after=1, talk_s=1) for n in (2, 3, 4)]
            for agent in agents:
                await c.login("support", agent)
            for number in [CLEAN, *HOSTILE]:
                c.call("support", number, patience_s=6)
                await asyncio.sleep(3)
            await daemon.logged("ticket.opened", count=1 + len(HOSTILE), timeout=40)
            for agent in agents:
                await c.logout("support", agent)

            # Tickets to a follow-up campaign: only the clean caller becomes a contact.
            created = json.loads(daemon.cli(
                "campaigns", "create", "回访", "--json",
                "--from-tickets-since", date.today().isoformat()).stdout)
            assert created["contacts_from_tickets"] == 1
            # An old hostile row, as if written before this boundary existed.
            db = sqlite3.connect(tmp_path / "callcenter.db")
            with db:
                db.execute(
                    "INSERT INTO contacts (campaign_id, name, phone, member, service_at, note,"
                    " deadline, status, attempts, next_due_at, created_at) VALUES"
                    " (?, 'planted', ?, 0, 0, '', 9e9, 'pending', 0, 0, 0)",
                    (created["id"], PLANTED))
            db.close()

            for _ in range(60):  # the clean number: abandoned callback + follow-up
                done = [a for a in _attempts(daemon) if a["outcome"] or a["status"] == "ended"]
                planted = [r for r in _contact_rows(tmp_path) if r[1] == PLANTED]
                if len(done) >= 2 and planted and planted[0][2] == "failed":
                    break
                await asyncio.sleep(1)
            events = c.events[seen:]

        attempts = _attempts(daemon)
        assert {a["phone"] for a in attempts} == {CLEAN}  # nobody else was ever dialed
        planted = [r for r in _contact_rows(tmp_path) if r[1] == PLANTED]
        assert planted and planted[0][2] == "failed" and planted[0][3] == "wrong_number"
        assert "refused before dialing" in planted[0][4]
        abandoned = [r for r in _contact_rows(tmp_path) if r[0] == "abandoned"]
        assert [r[1] for r in abandoned] == [CLEAN]
        tickets = daemon.read("tickets")
        # The hostile callers' tickets exist, without a number; the clean caller's (and
        # the answered callbacks') carry the validated one.
        assert sorted(t["caller_number"] for t in tickets if t["caller_number"] != CLEAN) == \
            [""] * len(HOSTILE)
        assert sum(1 for t in tickets if t["caller_number"] == CLEAN) >= 1
        # Asterisk's own record: the customers' channels dialed were the clean number's only.
        dialed = {e.get("Exten") or e.get("CallerIDNum") for e in events
                  if e.get("Event") == "Newchannel"
                  and "testbed-customers" in e.get("Channel", "")}
        assert dialed <= {CLEAN}, dialed
        assert not any("1990200066" in json.dumps(e) for e in events
                       if e.get("Event") == "Newchannel")
        assert not any(e.get("Variable") == "CC_EVIL" for e in events if e.get("Event") == "VarSet")
    finally:
        assert daemon.stop() == 0


def _contact_rows(tmp_path: Path) -> list[tuple[str, str, str, str, str]]:
    db = sqlite3.connect(tmp_path / "callcenter.db")
    try:
        return [tuple(r) for r in db.execute(
            "SELECT campaigns.kind, contacts.phone, contacts.status,"
            " coalesce(contacts.last_outcome, ''), contacts.note FROM contacts"
            " JOIN campaigns ON campaigns.id = contacts.campaign_id ORDER BY contacts.id")]
    finally:
        db.close()
