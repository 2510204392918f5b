"""The attempt state machine's precedence rules, event by event (found by the live
tests against Asterisk; the recorded streams are in test_replay_callbacks.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from callcenter.domain import attempts as at
from callcenter.domain import events as ev
from callcenter.domain.callbacks import Outcome
from callcenter.domain.clock import ManualClock

T0 = 1_800_000_000.0
CF = at.AttemptRef(7, 3, "cb-1", "cb-act-1", "13800138000", at.Mode.CUSTOMER_FIRST)
AF = at.AttemptRef(8, 4, "cb-2", "cb-act-2", "13900139000", at.Mode.AGENT_FIRST)
AGENT = "PJSIP/1001"


def machine(*refs: at.AttemptRef, **kwargs: object) -> tuple[at.Attempts, ManualClock]:
    clock = ManualClock(T0)
    attempts = at.Attempts(clock, **kwargs)  # type: ignore[arg-type]
    for ref in refs:
        attempts.dialing(ref)
    return attempts, clock


def reply(ref: at.AttemptRef, reason: int) -> ev.OriginateResponded:
    return ev.OriginateResponded(ref.action_id, ref.uniqueid, reason,
                                 "Success" if reason == at.REASON_ANSWERED else "Failure")


def hangup(ref: at.AttemptRef, cause: int) -> ev.ChannelHungUp:
    return ev.ChannelHungUp(ref.uniqueid, ref.uniqueid, cause)


def up(ref: at.AttemptRef) -> ev.ChannelStateChanged:
    return ev.ChannelStateChanged(ref.uniqueid, at.CHANNEL_STATE_UP)


def connect(ref: at.AttemptRef, interface: str = AGENT) -> ev.AgentConnected:
    return ev.AgentConnected("callback", ref.uniqueid, ref.uniqueid, ref.phone, "leg-1",
                             interface, "wang", 2.0, 1.0)


def network(outcome: Outcome, reason: int | None, cause: int | None,
            ref: at.AttemptRef = CF, at_s: float = 0.0) -> at.RecordNetworkOutcome:
    return at.RecordNetworkOutcome(ref, outcome, reason, cause, T0 + at_s)


# -- customer-first --------------------------------------------------------------------
def test_answered_taken_by_an_agent_then_ended_awaits_the_agents_outcome() -> None:
    m, clock = machine(CF)
    assert m.handle(up(CF)) == [at.MarkAnswered(CF, T0)]
    assert m.handle(reply(CF, at.REASON_ANSWERED)) == []  # already answered
    clock.advance(2)
    assert m.handle(connect(CF)) == [at.AgentTook(CF, AGENT)]
    clock.advance(30)
    assert m.handle(hangup(CF, at.CAUSE_NORMAL_CLEARING)) == [
        at.AwaitAgentOutcome(CF, at.CAUSE_NORMAL_CLEARING, T0 + 32)]
    assert CF.uniqueid not in m  # done: nothing more is followed


def test_a_hangup_while_the_reply_is_outstanding_waits_for_the_reason() -> None:
    m, clock = machine(CF)
    assert m.handle(hangup(CF, at.CAUSE_USER_BUSY)) == []
    clock.advance(0.01)
    assert m.handle(reply(CF, at.REASON_RINGING)) == [
        network(Outcome.BUSY, at.REASON_RINGING, at.CAUSE_USER_BUSY, at_s=0.01)]


def test_the_hangups_cause_wins_over_the_reason_when_the_map_knows_it() -> None:
    m, _ = machine(CF)
    m.handle(reply(CF, at.REASON_FAILED))
    assert m.handle(hangup(CF, at.CAUSE_UNALLOCATED)) == [
        network(Outcome.NOT_EXIST, at.REASON_FAILED, at.CAUSE_UNALLOCATED)]


def test_a_reply_first_waits_a_grace_for_the_cause() -> None:
    m, clock = machine(CF)
    assert m.handle(reply(CF, at.REASON_BUSY)) == []
    assert m.next_deadline() == T0 + at.HANGUP_CAUSE_GRACE_S
    clock.advance(0.2)
    assert m.tick() == []
    assert m.handle(hangup(CF, at.CAUSE_UNKNOWN)) == [
        network(Outcome.BUSY, at.REASON_BUSY, at.CAUSE_UNKNOWN, at_s=0.2)]
    assert m.next_deadline() is None and m.tick() == []


def test_without_a_hangup_the_grace_runs_out_and_the_reason_decides() -> None:
    m, clock = machine(CF, grace_s=0.8)
    m.handle(reply(CF, at.REASON_RINGING))
    clock.advance(0.79)
    assert m.tick() == []
    clock.advance(0.01)
    assert m.tick() == [network(Outcome.NO_ANSWER, at.REASON_RINGING, None, at_s=0.8)]
    assert m.handle(hangup(CF, at.CAUSE_NO_ANSWER)) == []  # too late: decided once


def test_an_answer_during_the_grace_waits_for_the_hangup() -> None:
    m, clock = machine(CF)
    m.handle(reply(CF, at.REASON_RINGING))
    assert m.handle(up(CF)) == [at.MarkAnswered(CF, T0)]
    clock.advance(5)
    assert m.next_deadline() is None and m.tick() == []
    assert m.handle(hangup(CF, 16)) == [at.AwaitAgentOutcome(CF, 16, T0 + 5)]


def test_the_reply_is_matched_by_action_id_without_a_uniqueid() -> None:
    m, _ = machine(CF)
    m.handle(hangup(CF, at.CAUSE_NO_ANSWER))
    assert m.handle(ev.OriginateResponded(CF.action_id, "", at.REASON_RINGING, "Failure")) == [
        network(Outcome.NO_ANSWER, at.REASON_RINGING, at.CAUSE_NO_ANSWER)]


def test_the_same_reply_twice_counts_once() -> None:
    m, _ = machine(CF)
    m.handle(reply(CF, at.REASON_BUSY))
    assert m.handle(reply(CF, at.REASON_BUSY)) == []
    assert len(m.handle(hangup(CF, at.CAUSE_UNKNOWN))) == 1


def test_answered_then_hung_up_decides_even_with_the_reply_outstanding() -> None:
    m, _ = machine(CF)
    m.handle(up(CF))
    assert m.handle(hangup(CF, at.CAUSE_NORMAL_CLEARING)) == [
        at.AwaitAgentOutcome(CF, at.CAUSE_NORMAL_CLEARING, T0)]
    assert m.handle(reply(CF, at.REASON_ANSWERED)) == []


def test_agent_connect_alone_means_answered() -> None:
    m, _ = machine(CF)
    assert m.handle(connect(CF)) == [at.MarkAnswered(CF, T0), at.AgentTook(CF, AGENT)]
    assert m.handle(connect(CF)) == []  # the same agent again: nothing new


def test_reason_answered_marks_answered_and_settles_a_waiting_hangup() -> None:
    m, _ = machine(CF)
    m.handle(hangup(CF, at.CAUSE_NORMAL_CLEARING))
    assert m.handle(reply(CF, at.REASON_ANSWERED)) == [
        at.MarkAnswered(CF, T0), at.AwaitAgentOutcome(CF, at.CAUSE_NORMAL_CLEARING, T0)]


def test_a_lost_reply_leaves_the_hangup_to_decide_by_its_cause() -> None:
    m, _ = machine(CF)
    assert m.reply_lost(CF.uniqueid) == []
    assert m.handle(hangup(CF, at.CAUSE_NO_ANSWER)) == [
        network(Outcome.NO_ANSWER, None, at.CAUSE_NO_ANSWER)]


def test_a_lost_reply_settles_a_hangup_that_waited_for_it() -> None:
    m, _ = machine(CF)
    m.handle(hangup(CF, at.CAUSE_SUBSCRIBER_ABSENT))
    assert m.reply_lost(CF.uniqueid) == [
        network(Outcome.POWERED_OFF, None, at.CAUSE_SUBSCRIBER_ABSENT)]


def test_a_late_reply_after_a_lost_one_still_counts() -> None:
    """After a reconnect Asterisk's OriginateResponse reaches the new session as an event."""
    m, _ = machine(CF)
    m.reply_lost(CF.uniqueid)
    m.handle(reply(CF, at.REASON_BUSY))
    assert m.handle(hangup(CF, at.CAUSE_UNKNOWN)) == [
        network(Outcome.BUSY, at.REASON_BUSY, at.CAUSE_UNKNOWN)]


def test_the_outcome_maps_are_the_settings() -> None:
    m, _ = machine(CF, cause_outcomes={at.CAUSE_NO_ANSWER: Outcome.FAILED},
                   reason_outcomes={at.REASON_RINGING: Outcome.SMS})
    m.handle(reply(CF, at.REASON_RINGING))
    assert m.handle(hangup(CF, at.CAUSE_NO_ANSWER))[0] == network(
        Outcome.FAILED, at.REASON_RINGING, at.CAUSE_NO_ANSWER)
    m.dialing(CF)
    m.handle(reply(CF, at.REASON_RINGING))
    assert m.handle(hangup(CF, at.CAUSE_UNKNOWN))[0] == network(
        Outcome.SMS, at.REASON_RINGING, at.CAUSE_UNKNOWN)


def test_events_of_other_channels_are_ignored() -> None:
    m, _ = machine(CF)
    other = at.AttemptRef(9, 3, "x", "y", "1", at.Mode.CUSTOMER_FIRST)
    for event in (up(other), hangup(other, 16), reply(other, 5), connect(other),
                  ev.ChannelStateChanged(CF.uniqueid, 5), ev.LiveChannel(CF.uniqueid, 6),
                  ev.DialEnded(CF.uniqueid, "agent-leg", at.DIAL_ANSWER)):
        assert m.handle(event) == []
    assert CF.uniqueid in m


# -- agent-first -----------------------------------------------------------------------
@pytest.mark.parametrize(("status", "reason", "outcome"), [
    (at.DIAL_BUSY, at.REASON_BUSY, Outcome.BUSY),
    (at.DIAL_CONGESTION, at.REASON_CONGESTION, Outcome.BUSY),
    (at.DIAL_NOANSWER, at.REASON_RINGING, Outcome.NO_ANSWER),
    ("CHANUNAVAIL", at.REASON_FAILED, Outcome.FAILED),
    ("CANCEL", at.REASON_FAILED, Outcome.FAILED),
])
def test_agent_first_dial_end_codes_the_customer(status: str, reason: int,
                                                  outcome: Outcome) -> None:
    m, _ = machine(AF)
    m.handle(reply(AF, at.REASON_ANSWERED))  # the agent answered
    assert m.handle(ev.DialEnded(AF.uniqueid, "customer", status)) == [
        network(outcome, reason, None, ref=AF)]
    assert m.handle(hangup(AF, at.CAUSE_NORMAL_CLEARING)) == []


def test_agent_first_answer_is_the_customers_dial_end_not_the_agents_newstate() -> None:
    m, _ = machine(AF)
    assert m.handle(up(AF)) == []  # the agent picking up
    assert m.handle(reply(AF, at.REASON_ANSWERED)) == []
    assert m.handle(ev.DialEnded(AF.uniqueid, "customer", "")) == []
    assert m.handle(ev.DialEnded(AF.uniqueid, "customer", at.DIAL_ANSWER)) == [
        at.MarkAnswered(AF, T0)]
    assert m.handle(hangup(AF, at.CAUSE_NORMAL_CLEARING)) == [
        at.AwaitAgentOutcome(AF, None, T0)]  # the agent's cause is not the customer's


def test_agent_first_hangup_before_any_answer_waits_for_the_reply() -> None:
    m, _ = machine(AF)
    assert m.handle(hangup(AF, at.CAUSE_USER_BUSY)) == []  # the agent's busy, not the customer's
    assert m.handle(reply(AF, at.REASON_RINGING)) == [
        network(Outcome.NO_ANSWER, at.REASON_RINGING, None, ref=AF)]


def test_agent_first_hangup_after_the_agent_answered_without_dial_end_failed() -> None:
    m, _ = machine(AF)
    m.handle(reply(AF, at.REASON_ANSWERED))
    assert m.handle(hangup(AF, at.CAUSE_NORMAL_CLEARING)) == [
        network(Outcome.FAILED, at.REASON_FAILED, None, ref=AF)]


def test_agent_first_lost_reply_then_hangup_failed() -> None:
    m, _ = machine(AF)
    m.reply_lost(AF.uniqueid)
    assert m.handle(hangup(AF, at.CAUSE_NO_ANSWER)) == [
        network(Outcome.FAILED, at.REASON_FAILED, None, ref=AF)]


# -- reconciliation --------------------------------------------------------------------
def test_reconcile_after_a_restart_follows_the_live_and_reviews_the_vanished() -> None:
    m, _ = machine()
    ringing = at.AttemptRef(1, 1, "cb-ringing", "a1", "1", at.Mode.CUSTOMER_FIRST)
    talking = at.AttemptRef(2, 1, "cb-talking", "a2", "2", at.Mode.CUSTOMER_FIRST)
    known = at.AttemptRef(3, 1, "cb-known", "a3", "3", at.Mode.CUSTOMER_FIRST)
    gone = at.AttemptRef(4, 1, "cb-gone", "a4", "4", at.Mode.CUSTOMER_FIRST)
    decisions = m.reconcile(
        [at.Pending(ringing, False), at.Pending(talking, False),
         at.Pending(known, True, agent="Local/4000@testbed-agents/n"), at.Pending(gone, True)],
        [ev.LiveChannel("cb-ringing", 5), ev.LiveChannel("cb-talking", at.CHANNEL_STATE_UP, "b"),
         ev.LiveChannel("cb-known", at.CHANNEL_STATE_UP, "b"), ev.LiveChannel("other", 6)])
    assert decisions == [
        at.FollowedAgain(ringing, False),
        # bridged to an agent we never saw connect: the channel is asked who
        at.MarkAnswered(talking, T0), at.FollowedAgain(talking, True), at.AskAgent(talking),
        at.FollowedAgain(known, True),  # its agent is in the store already
        at.MarkVanished(gone)]
    assert set(m.watched) == {"cb-ringing", "cb-talking", "cb-known"}
    # No reply will come for those followed again: the Hangup decides alone.
    assert m.handle(hangup(ringing, at.CAUSE_NO_ANSWER)) == [
        network(Outcome.NO_ANSWER, None, at.CAUSE_NO_ANSWER, ref=ringing)]
    assert m.handle(ev.MemberOfChannel("cb-talking", "Local/4001@testbed-agents/n")) == [
        at.AgentTook(talking, "Local/4001@testbed-agents/n")]
    assert m.handle(ev.MemberOfChannel("cb-known", "")) == []  # nobody: nothing to say
    assert m.handle(hangup(talking, 16)) == [at.AwaitAgentOutcome(talking, 16, T0)]


def test_reconcile_agent_first_is_answered_only_when_bridged_to_the_customer() -> None:
    m, _ = machine()
    dialing = at.AttemptRef(1, 1, "cb-a", "a1", "1", at.Mode.AGENT_FIRST)
    talking = at.AttemptRef(2, 1, "cb-b", "a2", "2", at.Mode.AGENT_FIRST)
    assert m.reconcile([at.Pending(dialing, False), at.Pending(talking, False)],
                       [ev.LiveChannel("cb-a", at.CHANNEL_STATE_UP),
                        ev.LiveChannel("cb-b", at.CHANNEL_STATE_UP, "bridge-1")]) == [
        at.FollowedAgain(dialing, False), at.MarkAnswered(talking, T0),
        at.FollowedAgain(talking, True)]
    assert m.handle(ev.DialEnded("cb-a", "customer", at.DIAL_BUSY)) == [
        network(Outcome.BUSY, at.REASON_BUSY, None, ref=dialing)]


def test_reconcile_leaves_an_attempt_whose_reply_or_grace_is_still_to_come() -> None:
    m, clock = machine(CF, AF)
    m.handle(reply(AF, at.REASON_BUSY))  # grace running
    pending = [at.Pending(CF, False), at.Pending(AF, False)]
    assert m.reconcile(pending, []) == []
    clock.advance(1)
    assert m.tick() == [network(Outcome.BUSY, at.REASON_BUSY, None, ref=AF, at_s=1)]
    m.reply_lost(CF.uniqueid)
    assert m.reconcile([at.Pending(CF, False)], []) == [at.MarkVanished(CF)]
    assert not m.watched


def test_reconcile_updates_an_attempt_answered_while_we_were_away() -> None:
    m, _ = machine(CF)
    m.reply_lost(CF.uniqueid)
    assert m.reconcile([at.Pending(CF, False)], [ev.LiveChannel(CF.uniqueid, 6)]) == [
        at.MarkAnswered(CF, T0), at.FollowedAgain(CF, True)]
    assert m.handle(hangup(CF, 16)) == [at.AwaitAgentOutcome(CF, 16, T0)]


# -- purity ----------------------------------------------------------------------------
def test_the_machine_is_pure() -> None:
    source = Path(at.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"asyncio", "sqlalchemy", "panoramisk", "structlog", "time"}


def test_the_dialer_reads_no_raw_event_fields() -> None:
    """The shell goes through the typed boundary: no AMI field names or codes of its own."""
    callbacks = Path(at.__file__).parents[1] / "callbacks"
    dialer = "".join((callbacks / name).read_text(encoding="utf-8")
                     for name in ("dialer.py", "dial_ami.py", "dial_store.py"))
    for wire in ('"Event"', '"Reason"', '"Cause"', '"ChannelState"', '"DialStatus"', '"Newstate"',
                 '"Hangup"', '"AgentConnect"', '"DialEnd"', '"OriginateResponse"', '"ANSWER"',
                 '"BUSY"', '"6"', "== 4", "== 6"):
        assert wire not in dialer, wire


def test_resumed_attempts_decide_by_their_events_and_hold_an_ambiguous_hangup() -> None:
    """Resumed from the store before the listing (after a restart): a reply's reason
    or an agent decides at once; a bare Hangup waits for the listing, which says
    whether the call was answered.  Dialed by this process with its reply still to
    come, a Hangup in the listing's time still waits for the reply."""
    m, _ = machine()
    busy, talked, held = (at.AttemptRef(n, 1, f"cb-{n}", f"a{n}", str(n)) for n in (1, 2, 3))
    m.resume([at.Pending(busy, False), at.Pending(talked, False), at.Pending(held, False)])
    m.handle(reply(busy, at.REASON_BUSY))
    assert m.handle(hangup(busy, at.CAUSE_USER_BUSY)) == [
        network(Outcome.BUSY, at.REASON_BUSY, at.CAUSE_USER_BUSY, ref=busy)]
    assert m.handle(connect(talked)) == [at.MarkAnswered(talked, T0), at.AgentTook(talked, AGENT)]
    assert m.handle(hangup(talked, 16)) == [at.AwaitAgentOutcome(talked, 16, T0)]
    assert m.handle(hangup(held, 16)) == []  # answered while we were away? not known yet
    assert m.reconcile([at.Pending(held, False)], [ev.LiveChannel("cb-3", 5)]) == [
        network(Outcome.NO_ANSWER, None, 16, ref=held)]  # listed ringing: not answered
    fresh = at.AttemptRef(4, 1, "cb-4", "a4", "4")
    m.dialing(fresh)
    assert m.handle(hangup(fresh, at.CAUSE_NO_ANSWER)) == []
    assert m.reconcile([at.Pending(fresh, False)], [ev.LiveChannel("cb-4", 5)]) == [
        at.FollowedAgain(fresh, False)]
    assert m.handle(reply(fresh, at.REASON_RINGING)) == [
        network(Outcome.NO_ANSWER, at.REASON_RINGING, at.CAUSE_NO_ANSWER, ref=fresh)]
    assert not m.watched
