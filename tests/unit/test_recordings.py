"""Recordings without Asterisk, on SQLite and PostgreSQL: their settings, the name
/after_hours gives Asterisk, linking an ended call's file to its ticket, retention on an
injected clock (deleted, already gone, undeletable), and the playback route: who may
listen, Range, and that nothing but a ticket id chooses the file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from sqlalchemy import Engine, select

from callcenter.agi.scripts import AfterHours
from callcenter.agi.server import Call
from callcenter.agi.settings import HotlineSettings
from callcenter.config import load
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.errors import ConfigError
from callcenter.recordings import service
from callcenter.recordings.jobs import DAY_S, Recordings
from callcenter.recordings.settings import RecordingsSettings
from callcenter.store import db
from callcenter.store import models as m
from callcenter.store.apply import Applier
from callcenter.tickets import service as tickets
from tests.unit.test_survey_and_hours import CENTER, NUMBER, FakeAgi, at
from tests.unit.test_web_api import ALICE, BOB, Web, error_of, web

__all__ = ["web"]  # the fixture, shared with test_web_api
TZ = ZoneInfo("Asia/Shanghai")
T0 = at(18, 10)  # the call's time


# -- settings and the name Asterisk is given --------------------------------------------------

def test_the_directories_are_absolute_plain_paths() -> None:
    loaded = load(None, environ={"CALLCENTER__RECORDINGS__DIR": "/srv/rec"}).get(RecordingsSettings)
    assert loaded.retention_days == 180 and loaded.asterisk_dir == ""
    for bad in ("rec", "/srv/rec,x", "/srv/../etc", "/srv/rec dir", "/srv/rec;rm"):
        with pytest.raises(ConfigError, match=r"recordings\.dir"):
            load(None, environ={"CALLCENTER__RECORDINGS__DIR": bad})
    with pytest.raises(ConfigError, match=r"recordings\.retention_days"):
        load(None, environ={"CALLCENTER__RECORDINGS__RETENTION_DAYS": "0"})


def test_a_recording_is_named_by_the_linkedid_only_when_it_can_be_a_file_name() -> None:
    s = RecordingsSettings(dir="/host/tb/rec", asterisk_dir="/tb/rec")
    assert s.asterisk_name("1764000000.12") == "/tb/rec/1764000000.12"
    assert s.files("1764000000.12") == ["/host/tb/rec/1764000000.12.wav",
                                        "/host/tb/rec/1764000000.12.wav16"]
    assert RecordingsSettings(dir="/d").asterisk_name("pbx-1.2") == "/d/pbx-1.2"  # "" = dir
    for hostile in ("..", ".hidden", "a;b", "a/b", "", "x" * 65):
        assert s.asterisk_name(hostile) is None and s.files(hostile) == []


def test_after_hours_names_the_recording_when_the_hotline_is_open() -> None:
    s = RecordingsSettings(dir="/host/rec", asterisk_dir="/tb/rec")
    script = AfterHours(CENTER, HotlineSettings(), tz=TZ, clock=ManualClock(at(19, 10)),
                        request=lambda *_: "added", recording=s.asterisk_name)
    agi = FakeAgi()
    assert script(Call(agi, "after_hours", "1.3", "1.3", NUMBER)) == "open"
    assert agi.variables == {"CC_RECORDING": "/tb/rec/1.3", "CC_HOURS": "open"}
    assert agi.order[-1] == "CC_HOURS"
    odd = FakeAgi()  # an id the AGI boundary lets through, but no file name: Asterisk's default
    assert script(Call(odd, "after_hours", "a;2", "a;2", NUMBER)) == "open"
    assert odd.variables["CC_RECORDING"] == ""


# -- linking and retention ----------------------------------------------------------------------

@pytest.fixture
def engine(db_url: str) -> Engine:
    return db.engine_for(db_url)


def call(engine: Engine, linkedid: str, at_: float, *, ended: bool = True,
         agent: oc.AgentRef = ALICE) -> int:
    """A ticket as the store writer makes it from the tracker's outcomes."""
    outcomes: list[Any] = [oc.TicketOpened(linkedid, linkedid + ".1", "support", "13900001234",
                                           agent, hold_s=5.0, ring_s=3.0, late_answer=False,
                                           at=at_)]
    if ended:
        outcomes.append(oc.CallCompleted(linkedid, linkedid + ".1", "support", agent, 60.0,
                                         "agent", at_ + 60))
    with engine.begin() as conn:
        Applier(7 * 86400.0).apply_batch(conn, outcomes)
        ticket_id: int = conn.execute(select(m.Ticket.id).where(m.Ticket.linkedid == linkedid)
                                      ).scalar_one()
    return ticket_id


def jobs(engine: Engine, tmp_path: Path, clock: ManualClock) -> Recordings:
    return Recordings(engine, RecordingsSettings(dir=str(tmp_path), retention_days=180,
                                                 unended_after_s=3600), clock.now)


def row(engine: Engine, linkedid: str) -> dict[str, Any]:
    [found] = [t for t in tickets.table(engine, TZ) if t["linkedid"] == linkedid]
    return found


def test_an_ended_call_links_its_file_once_and_one_without_a_file_is_noted(
        engine: Engine, tmp_path: Path) -> None:
    clock = ManualClock(T0 + 120)
    (tmp_path / "L1.wav").write_bytes(b"RIFF" + bytes(100))
    (tmp_path / "L4.wav16").write_bytes(b"RIFF" + bytes(10))
    call(engine, "L1", T0)
    call(engine, "L2", T0)  # not recorded (the daemon was not asked, say)
    call(engine, "L3", T0, ended=False)  # still talking
    call(engine, "L4", T0)
    (tmp_path / "OLD.wav").write_bytes(b"RIFF")
    call(engine, "OLD", T0 - 181 * DAY_S)  # past retention: never linked
    rec = jobs(engine, tmp_path, clock)
    with structlog.testing.capture_logs() as logs:
        assert rec.link() == 3
    assert row(engine, "L1")["recording"] == str(tmp_path / "L1.wav")
    assert row(engine, "L4")["recording"] == str(tmp_path / "L4.wav16")
    assert row(engine, "L2")["recording"] is None and row(engine, "L3")["recording"] is None
    assert row(engine, "OLD")["recording"] is None
    assert sorted((e["event"], e["linkedid"]) for e in logs) == [
        ("recording.linked", "L1"), ("recording.linked", "L4"), ("recording.none", "L2")]
    assert rec.link() == 0  # each call is looked for once
    clock.advance(3600)  # a call never seen to end is looked for after unended_after_s
    (tmp_path / "L3.wav").write_bytes(b"RIFF")
    assert rec.link() == 1 and row(engine, "L3")["recording"] == str(tmp_path / "L3.wav")
    ticket = tickets.by_linkedid(engine, "L1")
    assert ticket is not None and ticket["recording_url"] == f"/api/tickets/{ticket['id']}/recording"


def test_retention_deletes_old_recordings_and_the_ticket_says_so(
        engine: Engine, tmp_path: Path) -> None:
    clock = ManualClock(T0 + 120)
    for linkedid, when in (("OLD", T0), ("GONE", T0), ("STUCK", T0), ("NEW", T0 + 10 * DAY_S)):
        (tmp_path / f"{linkedid}.wav").write_bytes(b"RIFF" + bytes(100))
        call(engine, linkedid, when)
    rec = jobs(engine, tmp_path, clock)
    clock.set(T0 + 10 * DAY_S + 120)
    assert rec.link() == 4
    clock.set(T0 + 180 * DAY_S - 1)  # not yet 180 days
    assert rec.expire() == 0 and (tmp_path / "OLD.wav").exists()
    (tmp_path / "GONE.wav").unlink()  # someone deleted it by hand
    (tmp_path / "STUCK.wav").unlink()
    (tmp_path / "STUCK.wav").mkdir()  # cannot be unlinked: stands for EPERM / EROFS
    clock.set(T0 + 180 * DAY_S + 1)
    with structlog.testing.capture_logs() as logs:
        assert rec.expire() == 2  # OLD deleted, GONE marked; STUCK left for the next run
    assert not (tmp_path / "OLD.wav").exists() and (tmp_path / "NEW.wav").exists()
    events = {e["linkedid"]: e for e in logs}
    assert events["OLD"]["event"] == "recording.deleted" and events["OLD"]["log_level"] == "info"
    assert events["OLD"]["ticket"] == tickets.by_linkedid(engine, "OLD")["id"]  # type: ignore[index]
    assert (events["GONE"]["event"], events["GONE"]["error_id"]) == (
        "recording.already_gone", "recordings.missing")
    assert (events["STUCK"]["event"], events["STUCK"]["error_id"], events["STUCK"]["log_level"]) == (
        "recording.delete_failed", "recordings.undeletable", "error")
    for linkedid in ("OLD", "GONE"):
        listed = row(engine, linkedid)
        assert listed["recording"] is None and listed["recording_deleted_at"] is not None
        shown = tickets.by_linkedid(engine, linkedid)
        assert shown is not None and shown["recording_url"] is None
        assert shown["recording_deleted_at"] == clock.now()
    assert row(engine, "STUCK")["recording_deleted_at"] is None
    assert row(engine, "NEW")["recording"] == str(tmp_path / "NEW.wav")
    (tmp_path / "STUCK.wav").rmdir()  # fixed by the operator: the next run marks it
    assert rec.expire() == 1 and rec.expire() == 0
    assert row(engine, "STUCK")["recording_deleted_at"] is not None


def test_an_unreadable_directory_is_logged_and_looked_at_again(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ManualClock(T0 + 120)
    call(engine, "L1", T0)
    rec = jobs(engine, tmp_path, clock)

    def refused(path: str) -> os.stat_result:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "stat", refused)
    with structlog.testing.capture_logs() as logs:
        assert rec.link() == 0
    assert [(e["event"], e["error_id"]) for e in logs] == [
        ("recording.unreadable", "recordings.unreadable")]
    monkeypatch.undo()
    (tmp_path / "L1.wav").write_bytes(b"RIFF")
    assert rec.link() == 1  # not written off as "no recording"


# -- playback --------------------------------------------------------------------------------

WAV = b"RIFF" + bytes(range(256)) * 8  # 2052 bytes


def recorded(w: Web, linkedid: str, tmp_path: Path, *, name: str | None = None) -> int:
    path = tmp_path / (name or f"{linkedid}.wav")
    path.write_bytes(WAV)
    ticket_id = w.ticket[linkedid]
    service.link(w.engine, [service.Found(ticket_id, str(path), len(WAV), 0.0)], w.clock.now())
    return ticket_id


async def test_who_may_play_a_recording(web: Web, tmp_path: Path) -> None:
    tid = recorded(web, "L-a1", tmp_path)  # alice's call
    url = f"/api/tickets/{tid}/recording"
    lead, alice, bob = [await web.signed_in(u) for u in ("lead", "alice", "bob")]
    r = await lead.get(url)
    assert r.status_code == 200 and r.content == WAV
    assert r.headers["content-type"] == "audio/wav" and r.headers["accept-ranges"] == "bytes"
    assert r.headers["cache-control"] == "private, no-store"
    r = await lead.get(url, headers={"Range": "bytes=4-9"})
    assert r.status_code == 206 and r.content == WAV[4:10]
    assert r.headers["content-range"] == f"bytes 4-9/{len(WAV)}"
    r = await lead.get(url, headers={"Range": f"bytes={len(WAV)}-"})
    assert r.status_code == 416
    assert (await alice.get(url)).status_code == 200
    r = await bob.get(url)
    assert r.status_code == 403 and error_of(r) == "web.forbidden"
    # A transfer made bob a participant: now it is his call too.
    with web.engine.begin() as conn:
        Applier(7 * 86400.0).apply_batch(conn, [oc.TicketParticipantAdded(
            "L-a1", BOB, "complaints", web.clock.now())])
    assert (await bob.get(url)).status_code == 200
    anonymous = web.client()
    assert (await anonymous.get(url)).status_code == 401


async def test_missing_deleted_and_foreign_files_are_not_served(web: Web, tmp_path: Path) -> None:
    lead = await web.signed_in("lead")
    r = await lead.get("/api/tickets/999999/recording")
    assert r.status_code == 404 and error_of(r) == "web.not_found"
    no_recording = web.ticket["L-a2"]
    assert (await lead.get(f"/api/tickets/{no_recording}/recording")).status_code == 404
    gone = recorded(web, "L-b0", tmp_path)
    with web.engine.connect() as conn:
        rec_id = conn.execute(select(m.Recording.id).where(m.Recording.ticket_id == gone)
                              ).scalar_one()
    service.mark_deleted(web.engine, rec_id, web.clock.now())
    r = await lead.get(f"/api/tickets/{gone}/recording")
    assert r.status_code == 410 and error_of(r) == "web.recording_gone"
    # A stored path not named after its own call is never served (defence in depth).
    foreign = recorded(web, "L-b1", tmp_path, name="L-a3.wav")
    assert (await lead.get(f"/api/tickets/{foreign}/recording")).status_code == 404
    vanished = recorded(web, "L-a3", tmp_path)
    (tmp_path / "L-a3.wav").unlink()
    assert (await lead.get(f"/api/tickets/{vanished}/recording")).status_code == 404
    # Only a row id picks the file: anything else is refused before any lookup.
    for path in ("/api/tickets/..%2F..%2Fetc%2Fpasswd/recording", "/api/tickets/0/recording",
                 "/api/tickets/1%20/recording"):
        assert (await lead.get(path)).status_code in (404, 422), path
