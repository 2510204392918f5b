"""The keep-your-place scripts over the daemon's FastAGI server, the daemon running
in-process on a fake AMI (which answers Originate; the test plays Asterisk's
QueueCallerJoin for the placeholder): a request placed and told yes, the same number
again, a placeholder that never joins and a do-not-call number (both: back in line),
a caller who hangs up mid-script (the dialplan's default: back in line), the
announcement cut short; the dialing half's hang-up ending a request (done, or missed
and on to the after-hours campaign), the tracker told of the caller's first join and
Asterisk of the recording's name; and a level-1 surge, which pauses follow-ups but
never a keep-your-place callback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from callcenter.callbacks import dnc as donotcall
from callcenter.callbacks import service as callbacks
from callcenter.callbacks.settings import CallbacksSection, callback_settings
from callcenter.domain.phone import PhoneNumber
from callcenter.domain.surge import SurgeLevel, SurgeState
from callcenter.store import db
from tests.fakeami import FakeAmi, encode
from tests.unit.test_agi_faults import Peer, Running, running_daemon


class Caller(Peer):
    def env_with(self, script: str, *args: str, callerid: str = "13800138000",
                 uniqueid: str = "1795600000.1") -> None:
        lines = ["agi_network: yes", f"agi_network_script: {script}",
                 f"agi_request: agi://127.0.0.1:4573/{script}",
                 "agi_channel: Local/103@testbed-raters-00000001;1", "agi_language: zh",
                 "agi_type: Local", f"agi_uniqueid: {uniqueid}", "agi_version: 22.10.1",
                 f"agi_callerid: {callerid}", "agi_calleridname: Caller",
                 "agi_context: callcenter-queue-exit", "agi_extension: support",
                 "agi_priority: 3", "agi_enhanced: 0.0", "agi_accountcode: ",
                 "agi_threadid: 140575280772801"]
        lines += [f"agi_arg_{n}: {value}" for n, value in enumerate(args, start=1)]
        self.send(("\n".join(lines) + "\n\n").encode())


def _session(port: int, script: str, *args: str, **how: Any) -> list[str]:
    callerid = how.pop("callerid", "13800138000")
    caller = Caller(port)
    caller.env_with(script, *args, callerid=callerid)
    return caller.converse(**how)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_daemon(tmp_path, {
            "CALLCENTER__AGI__IO_TIMEOUT_S": "3", "CALLCENTER__KEEP_PLACE__JOIN_TIMEOUT_S": "1",
            # Dialing allowed at any hour, any day: quiet hours are tested apart.
            "CALLCENTER__CALLBACKS__OUTER_BOUND": "00:00-23:59",
            "CALLCENTER__CALLBACKS__SUMMER_HOURS": "00:00-23:59",
            "CALLCENTER__CALLBACKS__SUMMER_LUNCH": "",
            "CALLCENTER__CALLBACKS__WINTER_HOURS": "00:00-23:59",
            "CALLCENTER__CALLBACKS__WINTER_LUNCH": "",
            "CALLCENTER__CALLBACKS__MAKEUP_WORKDAYS": time.strftime("%Y-%m-%d"),
            "CALLCENTER__CALLBACKS__CHANNEL_TEMPLATE": "Local/{number}@testbed-customers/n",
    }) as found:
        yield found


async def _asterisk_queues_placeholders(fake: FakeAmi, stop: asyncio.Event) -> None:
    """Asterisk's side: each placeholder Originate puts its queue half in the queue."""
    seen = 0
    while not stop.is_set():
        originates = [a for a in fake.actions if a.get("Action") == "Originate"]
        for action in originates[seen:]:
            fake.push(encode({"Event": "QueueCallerJoin", "Queue": "support",
                              "Uniqueid": action["OtherChannelId"],
                              "Linkedid": action["ChannelId"], "Channel": "Local/x;2",
                              "CallerIDNum": "13800138000", "Position": "2", "Count": "2"}))
        seen = len(originates)
        await asyncio.sleep(0.02)


def _requests(url: str) -> list[Any]:
    engine = db.engine_for(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.phone, c.status, c.joined_at, k.kind FROM contacts c "
            "JOIN campaigns k ON k.id = c.campaign_id ORDER BY c.id")).all()
    engine.dispose()
    return list(rows)


async def test_a_request_is_placed_once_and_refusals_send_the_caller_back(
        running: Running) -> None:
    port, fake, url = running.port, running.fake, running.url
    stop = asyncio.Event()
    asterisk = asyncio.create_task(_asterisk_queues_placeholders(fake, stop))
    joined = str(int(time.time()) - 40)
    placed = await asyncio.to_thread(_session, port, "keep_place", "support", "2", joined)
    again = await asyncio.to_thread(_session, port, "keep_place", "support", "1", joined)
    stop.set()
    await asterisk
    assert placed[-2:] == ['SET VARIABLE "CC_KEEP_PLACE" "yes"',
                           'SET VARIABLE "CC_AGI_STATUS" "placed"']
    assert 'SET VARIABLE "CC_KEEP_PLACE_PROMPT" "auth-thankyou&goodbye"' in placed
    assert again[-1] == 'SET VARIABLE "CC_AGI_STATUS" "already_open"'
    [originate] = [a for a in fake.actions if a.get("Action") == "Originate"]
    assert originate["Channel"] == "Local/13800138000@callcenter-keep-place/n"
    assert originate["OtherChannelId"].startswith("kp-1-")
    assert "CC_POSITION=2" in originate["Variable"] and "CC_QUEUE=support" in originate["Variable"]
    assert "CC_CUSTOMER=Local/13800138000@testbed-customers/n" in originate["Variable"]
    [request] = _requests(url)
    assert (request.phone, request.status, request.kind) == ("13800138000", "waiting", "keep_place")
    assert request.joined_at == float(joined)

    # Nobody queues the next placeholder: after join_timeout_s the caller is sent back.
    lost = await asyncio.to_thread(_session, port, "keep_place", "support", "3", joined,
                                   callerid="13800138001")
    assert lost[-2:] == ['SET VARIABLE "CC_KEEP_PLACE" "no"',
                         'SET VARIABLE "CC_AGI_STATUS" "not_placed"']
    assert 'SET VARIABLE "CC_KEEP_PLACE_PROMPT" "queue-thankyou"' in lost
    assert [r.status for r in _requests(url)] == ["waiting", "cancelled"]

    # Do-not-call, no number, a place that is no number: refused, back in line.
    await asyncio.to_thread(donotcall.dnc_add, db.engine_for(url),
                            PhoneNumber.parse("13900139000"), "refused", time.time())
    dnc = await asyncio.to_thread(_session, port, "keep_place", "support", "1", joined,
                                  callerid="13900139000")
    hidden = await asyncio.to_thread(_session, port, "keep_place", "support", "1", joined,
                                     callerid="anonymous")
    bad = await asyncio.to_thread(_session, port, "keep_place", "support", "1;2", joined,
                                  callerid="13800138002")
    assert [s[-1] for s in (dnc, hidden, bad)] == [
        'SET VARIABLE "CC_AGI_STATUS" "do_not_call"', 'SET VARIABLE "CC_AGI_STATUS" "no_number"',
        'SET VARIABLE "CC_AGI_STATUS" "bad_place"']
    assert all('SET VARIABLE "CC_KEEP_PLACE" "no"' in s for s in (dnc, hidden, bad))
    assert len([a for a in fake.actions if a.get("Action") == "Originate"]) == 2


async def test_the_dialing_halfs_hang_up_ends_the_request(running: Running) -> None:
    port, fake, url = running.port, running.fake, running.url
    stop = asyncio.Event()
    asterisk = asyncio.create_task(_asterisk_queues_placeholders(fake, stop))
    joined = str(int(time.time()) - 75)
    for caller in ("13800138000", "13800138001"):
        placed = await asyncio.to_thread(_session, port, "keep_place", "support", "1", joined,
                                         callerid=caller)
        assert placed[-1] == 'SET VARIABLE "CC_AGI_STATUS" "placed"'
    stop.set()
    await asterisk
    # The tracker was told of each before its placeholder joined: the wait counts from
    # the caller's first join; Asterisk is told the recording's name (the Linkedid).
    tracker = running.daemon.core.tracker
    assert tracker.queues["support"].oldest_joined_at() == float(joined)
    originates = [a for a in fake.actions if a.get("Action") == "Originate"]
    assert [f"CC_RECORDING=/var/spool/asterisk/monitor/{a['ChannelId']}"
            in a["Variable"].split(",") for a in originates] == [True, True]
    answered = await asyncio.to_thread(_session, port, "keep_place_ended", "1", "ANSWER")
    unreached = await asyncio.to_thread(_session, port, "keep_place_ended", "2", "NOANSWER")
    bad = await asyncio.to_thread(_session, port, "keep_place_ended", "2;1", "ANSWER")
    assert [s[-1] for s in (answered, unreached, bad)] == [
        'SET VARIABLE "CC_AGI_STATUS" "done"', 'SET VARIABLE "CC_AGI_STATUS" "missed"',
        'SET VARIABLE "CC_AGI_STATUS" "bad_request"']
    engine = db.engine_for(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.phone, c.status, c.last_outcome, k.kind FROM contacts c "
            "JOIN campaigns k ON k.id = c.campaign_id ORDER BY c.id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("13800138000", "done", "connected", "keep_place"),
        ("13800138001", "missed", "no_answer", "keep_place"),
        ("13800138001", "pending", None, "after_hours")]  # owed a callback


async def test_a_caller_who_hangs_up_mid_script_leaves_the_dialplan_its_default(
        running: Running) -> None:
    port = running.port
    # One agent in support, on a call: the next caller hears the announcement.
    running.fake.push(encode({"Event": "QueueMemberAdded", "Queue": "support",
                              "Interface": "Local/5101@a/n", "MemberName": "zhou",
                              "Status": "2", "Paused": "0", "InCall": "1"}))
    await running.fake.drain()
    await asyncio.sleep(0.2)
    # Gone before the answer is set: CC_KEEP_PLACE stays "no" (the dialplan's default,
    # back in line); the announcement cut short leaves the caller to be queued.
    cut = await asyncio.to_thread(_session, port, "keep_place", "support", "1", "0",
                                  hang_up_on="SET VARIABLE")
    announce = await asyncio.to_thread(_session, port, "announce", "support",
                                       hang_up_on="STREAM FILE")
    assert not any('"CC_KEEP_PLACE" "yes"' in c for c in cut)
    assert announce[-1].startswith("STREAM FILE queue-thereare")
    ends = [e for e in await running.logged(2, "agi.caller_hung_up")
            if e.get("event") == "agi.caller_hung_up"]
    assert sorted(e["script"] for e in ends) == ["announce", "keep_place"]


async def test_a_surge_pauses_follow_ups_but_never_a_keep_your_place_callback(
        running: Running) -> None:
    core = running.daemon.core
    core.surge.publish([SurgeState(SurgeLevel.LEVEL_1, time.time(), 12)])
    await asyncio.sleep(0.05)
    # The dialer (follow-ups, abandoned and after-hours callers) holds off ...
    campaign = await asyncio.to_thread(callbacks.create_campaign, core.engine,
                                       callbacks.NewCampaign("回访", mode="agent_first",
                                                             agent_interface="Local/5101@a/n"),
                                       time.time())
    await asyncio.to_thread(callbacks.add_contact, core.engine, campaign,
                            PhoneNumber.parse("13600136000"), time.time(), tz=core.tz,
                            calendar=_calendar(core))
    await asyncio.sleep(2.5)  # the dialer job ran (every 2 s)
    assert not [a for a in running.fake.actions if a.get("Action") == "Originate"]
    # ... but an agent who took a placeholder dials its customer all the same.
    dial = await asyncio.to_thread(_session, running.port, "keep_place_dial", "7",
                                   "13800138000")
    assert dial[-2:] == ['SET VARIABLE "CC_DIAL" "yes"', 'SET VARIABLE "CC_AGI_STATUS" "dial"']

    # The surge over, the follow-up is dialed: the hold above was the surge's doing.
    core.surge.publish([SurgeState(SurgeLevel.NORMAL, time.time(), 0)])
    for _ in range(60):
        if any("13600136000" in a.get("Variable", "") for a in running.fake.actions):
            break
        await asyncio.sleep(0.1)
    assert any("13600136000" in a.get("Variable", "") for a in running.fake.actions)


def _calendar(core: Any) -> Any:
    return callback_settings(core.config.get(CallbacksSection), core.tz).window.calendar
