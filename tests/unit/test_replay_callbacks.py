"""Recorded callback attempts from the real test bed (python -m
callcenter.testbed.record_callbacks), replayed through the AMI boundary and the pure
attempt state machine: the full list of decisions, the same after a restart, and
consistency when the head of the stream is cut off."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from callcenter.ami import translate as tr
from callcenter.callbacks import service
from callcenter.callbacks.dialer import Dialer, originate_fields
from callcenter.callbacks.settings import CallbackSettings
from callcenter.domain import attempts as at
from callcenter.domain import events as ev
from callcenter.domain.calendar import DialingWindow, WorkCalendar
from callcenter.domain.callbacks import DEFAULT_CAUSE_MAP, DEFAULT_REASON_MAP, Pacing, RetryPolicy
from callcenter.domain.clock import ManualClock
from callcenter.domain.phone import PhoneNumber
from callcenter.errors import AmiConnectionLost, AmiError, CallcenterError, MalformedEvent
from callcenter.store import db
from callcenter.store import models as m
from callcenter.testbed.record_callbacks import SCENARIOS, SPEC
from tests.replay import FIXTURES, T0, decision_lines, load_fixture, originated, run_callbacks

AGENT = "agent Local/4000@testbed-agents/n"
ENDED_16 = "ended: the agent records the outcome (cause=16)"

EXPECTED = {
    "answered": ["answered", AGENT, ENDED_16],
    "busy": ["busy (reason=5 cause=0)"],
    "no_answer": ["no_answer (reason=3 cause=19)"],
    "congestion": ["busy (reason=8 cause=0)"],
    "unallocated": ["not_exist (reason=0 cause=1)"],
    "powered_off": ["powered_off (reason=0 cause=20)"],
    # Agent-first: the channel is the agent's; its cause never codes the customer.
    "agent_first": ["answered", "ended: the agent records the outcome (cause=None)"],
    "agent_first_busy": ["busy (reason=5 cause=None)"],
    "agent_first_agent_absent": ["no_answer (reason=3 cause=None)"],
    "reconnect_while_ringing": ["followed again (answered=False)", "answered", AGENT, ENDED_16],
    "reconnect_then_no_answer": ["followed again (answered=False)",
                                 "no_answer (reason=3 cause=19)"],
    # cb0 took it while we were away: its AgentConnect is gone, the channel says who.
    "reconnect_after_answer": ["answered", "followed again (answered=True)",
                               "asks the channel for its agent", AGENT, ENDED_16],
    "reconnect_vanished": ["vanished: review"],
}
RECONNECTS = sorted(name for name in EXPECTED if name.startswith("reconnect"))


def test_every_recorded_scenario_is_expected() -> None:
    recorded = {p.stem for p in (FIXTURES / "callbacks").glob("*.json")}
    assert recorded == set(EXPECTED) == set(SCENARIOS)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_replay_gives_every_decision(scenario: str) -> None:
    run = run_callbacks(load_fixture("callbacks", scenario))
    assert decision_lines(run.decisions) == EXPECTED[scenario]
    assert not run.machine.watched and not run.under_way  # every attempt came to an end


@pytest.mark.parametrize("scenario", RECONNECTS)
def test_a_restart_during_the_attempt_decides_the_same(scenario: str) -> None:
    """The process dies with the link: the store's `dialing` rows and CoreShowChannels
    are all the new machine has, and it comes to the same end."""
    run = run_callbacks(load_fixture("callbacks", scenario), restart=True)
    assert decision_lines(run.decisions) == EXPECTED[scenario]


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_the_recorder_originates_exactly_as_the_dialer(scenario: str) -> None:
    fixture = load_fixture("callbacks", scenario)
    (_t, ref), = originated(fixture)
    action = fixture["originated"][0]["action"]
    agent = action["Channel"] if ref.mode is at.Mode.AGENT_FIRST else None
    assert action == {**originate_fields(SPEC, ref, agent), "Action": "Originate", "Async": "true"}


def _finals(decisions: list[at.Decision]) -> list[at.Decision]:
    return [d for d in decisions if isinstance(d, at.FINAL)]


def _reconciled(fixture: dict[str, Any], skip: int) -> bool:
    """Whether the cut kept the end of the CoreShowChannels reply (if there is one)."""
    link = fixture.get("link")
    if link is None:
        return True
    ids = [r["event"].get("ActionID") for r in fixture["events"]]
    complete = max(i for i, action_id in enumerate(ids) if action_id == link["reconcile"]["ActionID"])
    return skip <= complete


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_replay_with_head_cut_off_stays_consistent(scenario: str) -> None:
    """Cut anywhere: no crash, at most one final decision and nothing after it, never
    answered twice, only agents the full stream has.  The final is the full replay's,
    unless the cut also took the reconciliation and with it the only sign that the
    customer answered: then the Hangup's cause is all there is to code."""
    fixture = load_fixture("callbacks", scenario)
    full = run_callbacks(fixture).decisions
    full_final = decision_lines(_finals(full))
    agents = {d.interface for d in full if isinstance(d, at.AgentTook)}
    for skip in range(1, len(fixture["events"])):
        for restart in (False, True) if "link" in fixture else (False,):
            decisions = run_callbacks(fixture, skip=skip, restart=restart).decisions
            finals = _finals(decisions)
            assert len(finals) <= 1, (skip, decisions)
            assert not finals or decisions[-1] is finals[0], (skip, decisions)
            assert sum(isinstance(d, at.MarkAnswered) for d in decisions) <= 1
            assert {d.interface for d in decisions if isinstance(d, at.AgentTook)} <= agents
            if not finals or decision_lines(finals) == full_final:
                continue
            assert not (_reconciled(fixture, skip) or restart), (skip, restart, decisions)
            assert isinstance(finals[0], at.RecordNetworkOutcome) and finals[0].reason is None


def _without(fixture: dict[str, Any], event: str, uniqueid: str) -> dict[str, Any]:
    trimmed = copy.deepcopy(fixture)
    trimmed["events"] = [r for r in trimmed["events"] if not (
        r["event"].get("Event") == event and r["event"].get("Uniqueid") == uniqueid)]
    return trimmed


def test_without_the_hangup_the_reply_decides_after_the_grace() -> None:
    fixture = load_fixture("callbacks", "busy")
    (_t, ref), = originated(fixture)
    reply_t = next(r["t"] for r in fixture["events"] if r["event"].get("Event") == "OriginateResponse")
    run = run_callbacks(_without(fixture, "Hangup", ref.uniqueid))
    (decision,) = run.decisions
    assert decision_lines([decision]) == ["busy (reason=5 cause=None)"]
    assert isinstance(decision, at.RecordNetworkOutcome)
    assert decision.at - T0 == pytest.approx(reply_t + at.HANGUP_CAUSE_GRACE_S, abs=1e-4)


def test_with_the_hangup_the_decision_does_not_wait_for_the_grace() -> None:
    fixture = load_fixture("callbacks", "unallocated")
    (_t, ref), = originated(fixture)
    hangup_t = next(r["t"] for r in fixture["events"] if r["event"].get("Event") == "Hangup"
                    and r["event"]["Uniqueid"] == ref.uniqueid)
    (decision,) = run_callbacks(fixture).decisions
    assert isinstance(decision, at.RecordNetworkOutcome)
    assert decision.at - T0 == pytest.approx(hangup_t, abs=1e-4)


@pytest.mark.parametrize("scenario", ["no_answer", "busy", "unallocated", "powered_off",
                                      "agent_first_agent_absent"])
def test_the_reply_handed_over_after_the_hangup_decides_the_same(scenario: str) -> None:
    """On the daemon's own session panoramisk hands the OriginateResponse to the
    Originate's caller a moment after the Hangup of the same chunk was dispatched."""
    fixture = load_fixture("callbacks", scenario)
    (_t, ref), = originated(fixture)
    events = fixture["events"]
    reply = next(r for r in events if r["event"].get("Event") == "OriginateResponse")
    hangup = next(r for r in events if r["event"].get("Event") == "Hangup"
                  and r["event"]["Uniqueid"] == ref.uniqueid)
    assert events.index(reply) < events.index(hangup)  # on the wire, the reply came first
    late = copy.deepcopy(fixture)
    late["events"] = []
    for r in events:
        if r is not reply:
            late["events"].append(r)
        if r is hangup:
            late["events"].append({**reply, "t": hangup["t"]})
    assert decision_lines(run_callbacks(late).decisions) == EXPECTED[scenario]


# -- the boundary ------------------------------------------------------------------------
def test_callback_events_are_kept_apart_from_the_trackers() -> None:
    assert {"newstate", "dialend", "originateresponse", "coreshowchannel"} <= tr.CALLBACK_EVENTS
    assert not {"newstate", "dialend", "originateresponse", "coreshowchannel"} & tr.KNOWN_EVENTS
    assert tr.translate({"Event": "Newstate", "Uniqueid": "u", "ChannelState": "6"}) is None


def test_translate_callback_reads_each_message() -> None:
    f = tr.translate_callback
    assert f({"Event": "Newstate", "Uniqueid": "u", "ChannelState": "6"}) == \
        ev.ChannelStateChanged("u", 6)
    assert f({"Event": "DialEnd", "DestUniqueid": "u", "DialStatus": "BUSY"}) == \
        ev.DialEnded("", "u", "BUSY")
    assert f({"Event": "OriginateResponse", "ActionID": "a", "Uniqueid": "u", "Reason": "5",
              "Response": "Failure"}) == ev.OriginateResponded("a", "u", 5, "Failure")
    assert f({"Event": "Hangup", "Uniqueid": "u", "Cause": "17"}) == ev.ChannelHungUp("u", "", 17)
    assert f({"Response": "Success", "Message": "Originate successfully queued"}) is None
    assert f({"Event": "QueueCallerJoin", "Uniqueid": "u"}) is None
    assert tr.live_channels([{"Response": "Success", "EventList": "start"},
                             {"Event": "CoreShowChannel", "Uniqueid": "u", "ChannelState": "6",
                              "BridgeId": "b"},
                             {"Event": "CoreShowChannelsComplete"}]) == (ev.LiveChannel("u", 6, "b"),)


@pytest.mark.parametrize("message", [
    {"Event": "OriginateResponse", "Uniqueid": "u", "Reason": "four"},
    {"Event": "OriginateResponse", "Uniqueid": "u"},
    {"Event": "Hangup", "Uniqueid": "u", "Cause": "sixteen"},
    {"Event": "Hangup", "Uniqueid": "u", "Cause": "16.5"},
    {"Event": "Newstate", "Uniqueid": "u", "ChannelState": "Up"},
    {"Event": "Newstate", "ChannelState": "6"},
    {"Event": "DialEnd", "Uniqueid": "u", "DialStatus": "ANSWER"},
    {"Event": "CoreShowChannel", "Uniqueid": "u", "ChannelState": ""},
    {"Message": "neither an event nor a reply"},
])
def test_malformed_messages_raise_malformed_event(message: dict[str, str]) -> None:
    with pytest.raises(MalformedEvent) as raised:
        if message.get("Event") == "CoreShowChannel":
            tr.live_channels([message])
        else:
            tr.translate_callback(message)
    assert raised.value.error_id == "ami.malformed_event"


def test_malformed_event_lives_in_the_error_tree_and_old_imports_work() -> None:
    assert tr.MalformedEvent is MalformedEvent
    assert issubclass(MalformedEvent, AmiError) and issubclass(MalformedEvent, CallcenterError)
    errors_doc = (Path(tr.__file__).parents[1] / "errors.py").read_text(encoding="utf-8")
    assert "MalformedEvent     ami.malformed_event" in errors_doc


# -- the shell: the same streams through the real Dialer and a database ----------------
class _FakeAmi:
    """Hands the recorded replies to the Dialer as panoramisk would."""

    connected = True

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.reply: asyncio.Future[list[dict[str, str]]] | None = None
        self.listing: list[dict[str, str]] = []
        self.listed = asyncio.get_running_loop().create_future()  # CoreShowChannelsComplete
        self.listing_asked = asyncio.Event()
        self.member: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()

    async def originate(self, fields: dict[str, str], *, timeout: float) -> list[dict[str, str]]:
        self.sent.append(fields)
        self.reply = asyncio.get_running_loop().create_future()
        return await self.reply

    async def action(self, fields: dict[str, str], *,
                     as_list: bool = False) -> list[dict[str, str]] | dict[str, str]:
        self.sent.append(fields)
        if fields["Action"] == "Getvar":
            return await self.member  # the recorded reply, once the stream reaches it
        self.listing_asked.set()
        await self.listed  # the events before the list's end reach on_message meanwhile
        return self.listing


def _settings() -> CallbackSettings:
    return CallbackSettings(
        window=DialingWindow(WorkCalendar()), policy=RetryPolicy(ring_timeout_s=SPEC.ring_timeout_s),
        pacing=Pacing(), peaks=(), channel_template=SPEC.channel_template,
        callback_queue=SPEC.callback_queue, customer_first_context=SPEC.customer_first_context,
        agent_first_context=SPEC.agent_first_context, caller_id="", followup_deadline="3d",
        reason_outcomes=dict(DEFAULT_REASON_MAP), cause_outcomes=dict(DEFAULT_CAUSE_MAP),
        abandoned_min_wait_s=20, abandoned_deadline_s=86400, dialer_interval_s=2)


def _dialer(engine: Engine, ami: _FakeAmi) -> Dialer:
    return Dialer(engine, ami, settings=_settings(), clock=ManualClock(T0),  # type: ignore[arg-type]
                  center_tz=ZoneInfo("Asia/Shanghai"), free_agents=lambda _q: 1,
                  paused_by_surge=lambda: False)


async def _play(db_url: str, scenario: str, *, restart: bool = False,
                fixture: dict[str, Any] | None = None) -> tuple[Any, Any, list[dict[str, str]]]:
    """Dial one contact through the Dialer, then feed it the recorded stream (ids
    rewritten to the ones it chose): events to on_message, replies to the actions.
    The reconciliation starts at the listing's first message and gets the listing
    at its end, as on the wire."""
    fixture = fixture or load_fixture("callbacks", scenario)
    (_t, recorded), = originated(fixture)
    engine = db.engine_for(db_url)
    campaign_id = service.create_campaign(engine, service.NewCampaign(
        scenario, mode=recorded.mode.value,
        agent_interface=SCENARIOS[scenario].agent.interface
        if recorded.mode is at.Mode.AGENT_FIRST else None), T0)
    service.add_contact(engine, campaign_id, PhoneNumber.parse(recorded.phone), T0,
                        tz=ZoneInfo("Asia/Shanghai"),
                        calendar=WorkCalendar(), deadline=T0 + 86400)
    ami = _FakeAmi()
    dialer = _dialer(engine, ami)
    with engine.connect() as conn:
        contact = conn.execute(select(m.Contact)).one()
        campaign = conn.execute(select(m.Campaign)).one()
    await dialer._dial(contact, campaign, T0)
    await asyncio.sleep(0)  # the Originate is sent by its own task
    (channel_id,) = dialer.watched
    action_id = ami.sent[0]["ActionID"]
    link = fixture.get("link")
    listing_id = link["reconcile"]["ActionID"] if link else None
    member_id = link["member"]["ActionID"] if link and "member" in link else None
    replies: list[dict[str, str]] = []
    sent: list[dict[str, str]] = []  # every action sent, by every process
    lost = False
    reconciling: asyncio.Task[None] | None = None
    for r in fixture["events"]:
        if link and not lost and r["t"] >= link["lost_at"]:
            lost = True
            if restart:  # the process dies: a new one knows only the database
                await dialer.close()
                sent += ami.sent
                ami = _FakeAmi()
                dialer = _dialer(engine, ami)
            else:
                assert ami.reply is not None
                ami.reply.set_exception(AmiConnectionLost("link lost"))
        raw = json.loads(json.dumps(r["event"]).replace(recorded.uniqueid, channel_id)
                         .replace(recorded.action_id, action_id))
        if listing_id and raw.get("ActionID") == listing_id:
            if reconciling is None:
                reconciling = asyncio.create_task(dialer.reconcile())
                await asyncio.wait_for(ami.listing_asked.wait(), 10)  # after the store read
            ami.listing.append(raw)
            if raw.get("Event") == "CoreShowChannelsComplete":
                ami.listed.set_result(None)
                await reconciling
        elif member_id and raw.get("ActionID") == member_id:
            ami.member.set_result(raw)
        elif raw.get("ActionID") == action_id and ami.reply is not None and not ami.reply.done():
            replies.append(raw)
            if raw.get("Event") == "OriginateResponse":
                ami.reply.set_result(replies)
        else:
            dialer.on_message(raw)
        await asyncio.sleep(0)
    await asyncio.sleep(at.HANGUP_CAUSE_GRACE_S + 0.2)  # any grace timer fires
    await dialer.drain()
    with engine.connect() as conn:
        attempt = conn.execute(select(m.Attempt)).one()
        contact = conn.execute(select(m.Contact)).one()
    await dialer.close()
    engine.dispose()
    return attempt, contact, sent + ami.sent


@pytest.mark.parametrize(("scenario", "restart"), [
    ("answered", False), ("agent_first", False), ("reconnect_after_answer", True),
    ("reconnect_while_ringing", False)])
async def test_dialer_shell_answered_calls_await_the_agent(db_url: str, scenario: str,
                                                           restart: bool) -> None:
    attempt, contact, _sent = await _play(db_url, scenario, restart=restart)
    assert (attempt.status, attempt.outcome, attempt.cause) == (
        "ended", None, None if scenario.startswith("agent_first") else 16)
    assert attempt.answered_at is not None and attempt.ended_at is not None
    assert contact.status == "awaiting_outcome"
    if not scenario.startswith("agent_first"):  # reconnect_after_answer: asked of the channel
        assert attempt.agent_interface == "Local/4000@testbed-agents/n"


@pytest.mark.parametrize(("scenario", "outcome", "reason", "cause", "restart"), [
    ("busy", "busy", 5, 0, False), ("no_answer", "no_answer", 3, 19, False),
    ("unallocated", "not_exist", 0, 1, False), ("agent_first_busy", "busy", 5, None, False),
    ("reconnect_then_no_answer", "no_answer", 3, 19, True)])
async def test_dialer_shell_records_network_outcomes(db_url: str, scenario: str, outcome: str,
                                                     reason: int, cause: int | None,
                                                     restart: bool) -> None:
    attempt, contact, sent = await _play(db_url, scenario, restart=restart)
    assert (attempt.status, attempt.outcome, attempt.reason, attempt.cause) == (
        "ended", outcome, reason, cause)
    assert contact.status == ("done" if outcome == "not_exist" else "pending")
    assert sent[0]["ChannelId"] == attempt.channel_id  # the Originate of the stored row


@pytest.mark.parametrize("restart", [False, True])
async def test_dialer_shell_sends_a_vanished_attempt_to_review(db_url: str, restart: bool) -> None:
    attempt, contact, sent = await _play(db_url, "reconnect_vanished", restart=restart)
    assert (attempt.status, attempt.outcome, contact.status) == ("unknown", None, "review")
    # Asked what lives, never dialed again.
    assert [a.get("Action", "Originate") for a in sent] == ["Originate", "CoreShowChannels"]


# -- an agent who took the call while we were away --------------------------------------
def test_the_agent_is_asked_only_of_a_bridged_call_whose_agent_nobody_knows() -> None:
    """reconnect_after_answer's reconciliation, with what the store may already know:
    an agent written before the crash is not asked again, and a call still waiting in
    the queue (not bridged) has its AgentConnect to come, live."""
    fixture = load_fixture("callbacks", "reconnect_after_answer")
    (_t, ref), = originated(fixture)
    listing = [r["event"] for r in fixture["events"]
               if r["event"].get("ActionID") == fixture["link"]["reconcile"]["ActionID"]]
    live = tr.live_channels(listing)
    (ours,) = [c for c in live if c.uniqueid == ref.uniqueid]
    assert ours.bridge_id  # cb0 is talking to the customer

    def reconciled(pending: at.Pending, channels: tuple[ev.LiveChannel, ...]) -> list[str]:
        return decision_lines(at.Attempts(ManualClock(T0)).reconcile([pending], channels))

    assert reconciled(at.Pending(ref, answered=True), live) == [
        "followed again (answered=True)", "asks the channel for its agent"]
    assert reconciled(at.Pending(ref, answered=True, agent="Local/4000@testbed-agents/n"),
                      live) == ["followed again (answered=True)"]
    waiting = tuple(c if c is not ours else ev.LiveChannel(c.uniqueid, c.state) for c in live)
    assert reconciled(at.Pending(ref, answered=True), waiting) == [
        "followed again (answered=True)"]


def test_the_member_reply_is_read_at_the_boundary() -> None:
    ok = {"Response": "Success", "Variable": "MEMBERINTERFACE",
          "Value": "Local/4000@testbed-agents/n"}
    assert tr.member_of_channel("u", ok) == ev.MemberOfChannel("u", "Local/4000@testbed-agents/n")
    assert tr.member_of_channel("u", {**ok, "Value": ""}) is None  # no agent (yet)
    for bad in ({**ok, "Value": "Local/4000\r\nAction: Originate"}, {**ok, "Value": "x" * 129},
                {**ok, "Variable": "CC_NUMBER"}, {"Response": "Error", "Message": "No such channel"}):
        with pytest.raises(MalformedEvent) as raised:
            tr.member_of_channel("u", bad)
        assert raised.value.error_id == "ami.malformed_event"
    # an agent-first attempt never takes a member from it: its agent is the campaign's
    machine = at.Attempts(ManualClock(T0))
    machine.dialing(at.AttemptRef(1, 1, "u", "a", "19901020031", at.Mode.AGENT_FIRST))
    assert machine.handle(ev.MemberOfChannel("u", "Local/4000@testbed-agents/n")) == []


@pytest.mark.parametrize("with_reply", [True, False])
async def test_a_hangup_while_the_channels_are_listed_is_not_lost(db_url: str,
                                                                  with_reply: bool) -> None:
    """After a restart, the attempt's Hangup (and OriginateResponse) reach the new
    process while CoreShowChannels is still answering, listing the channel alive:
    followed since before the listing, it ends with its outcome; it used to be
    dropped, leaving the attempt `dialing` with nothing more to come."""
    fixture = load_fixture("callbacks", "reconnect_then_no_answer")
    (_t, ref), = originated(fixture)
    events = fixture["events"]
    moved = [r for r in events if r["event"].get("Uniqueid") == ref.uniqueid
             and (r["event"].get("Event") == "Hangup"
                  or (with_reply and r["event"].get("Event") == "OriginateResponse"))]
    complete = next(r for r in events if r["event"].get("Event") == "CoreShowChannelsComplete")
    early = copy.deepcopy(fixture)
    early["events"] = []
    for r in events:
        if r is complete:
            early["events"] += [{**m, "t": complete["t"]} for m in moved]
        if not any(r is m for m in moved):
            early["events"].append(r)
    attempt, contact, _sent = await _play(db_url, "reconnect_then_no_answer", restart=True,
                                          fixture=early)
    assert (attempt.status, attempt.outcome, attempt.cause) == ("ended", "no_answer", 19)
    assert attempt.reason == (3 if with_reply else None)
    assert contact.status == "pending"  # retried after its gap, never left `dialing`


def test_a_hangup_before_the_listing_waits_for_it() -> None:
    """Resumed from the store, a Hangup before the listing cannot tell whether the
    call was answered while we were away (cause 16 would read as no answer): the
    listing decides; gone by then, a person does."""
    ref = at.AttemptRef(1, 1, "cb-x", "a1", "19901030001")
    for listed, expected in (
            ((ev.LiveChannel("cb-x", at.CHANNEL_STATE_UP, "b"),),
             ["answered", "ended: the agent records the outcome (cause=16)"]),
            ((), ["vanished: review"])):
        machine = at.Attempts(ManualClock(T0))
        machine.resume([at.Pending(ref, answered=False)])
        assert machine.handle(ev.ChannelHungUp("cb-x", "", 16)) == []
        assert decision_lines(machine.reconcile([at.Pending(ref, answered=False)],
                                                listed)) == expected
        assert not machine.watched
