"""The pure rules: what a complaint's or praise's edit means (or why it is refused),
the flags, and the ledger's months, quarters and bonus ranks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from callcenter.domain import complaints as cp
from callcenter.domain import ledger as lg

TZ = ZoneInfo("Asia/Shanghai")
OPEN = cp.Subject(1, "投诉", "open", about_agent="PJSIP/1002")


def test_resolving_a_complaint_asks_for_a_followup_and_closing_waits_for_it() -> None:
    resolved = cp.Subject(1, "投诉", "resolved", about_agent="PJSIP/1002")
    assert cp.decide(OPEN, resolved, followup_succeeded=False).followup
    assert not cp.decide(resolved, resolved, followup_succeeded=False).followup
    closed = cp.Subject(1, "投诉", "closed", about_agent="PJSIP/1002")
    assert "follow-up" in (cp.decide(resolved, closed, followup_succeeded=False).refusal or "")
    assert cp.decide(resolved, closed, followup_succeeded=True).refusal is None
    unfounded = cp.Subject(1, "投诉", "closed", "PJSIP/1002", cp.UNFOUNDED, "无理")
    assert cp.decide(resolved, unfounded, followup_succeeded=False).refusal is None
    other = cp.Subject(2, "咨询", "open")  # other tickets close as before
    assert cp.decide(other, cp.Subject(2, "咨询", "closed"), followup_succeeded=False).refusal is None


def test_verdicts_score_reverse_and_are_final() -> None:
    confirmed = cp.Subject(1, "投诉", "open", "PJSIP/1002", cp.CONFIRMED)
    d = cp.decide(OPEN, confirmed, followup_succeeded=False)
    assert (d.score, d.reverse, d.verdict_given) == ("complaint", None, True)
    found_wrong = cp.Subject(1, "投诉", "open", "PJSIP/1002", cp.UNFOUNDED, "录音无过错")
    d = cp.decide(confirmed, found_wrong, followup_succeeded=False)
    assert (d.score, d.reverse) == (None, "complaint")
    assert "final" in (cp.decide(found_wrong, confirmed, followup_succeeded=False).refusal or "")
    no_reason = cp.Subject(1, "投诉", "open", "PJSIP/1002", cp.UNFOUNDED, "  ")
    assert "reason" in (cp.decide(OPEN, no_reason, followup_succeeded=False).refusal or "")
    moved = cp.Subject(1, "投诉", "open", "PJSIP/1003", cp.CONFIRMED)
    assert cp.decide(confirmed, moved, followup_succeeded=False).refusal is not None
    dept = cp.Subject(1, "投诉", "open", None, cp.CONFIRMED)  # about a department: no points
    assert cp.decide(cp.Subject(1, "投诉", "open"), dept, followup_succeeded=False).score is None
    praise = cp.Subject(3, "表扬", "open", "PJSIP/1002", praise_kind="letter")
    d = cp.decide(praise, cp.Subject(3, "表扬", "open", "PJSIP/1002", cp.CONFIRMED,
                                     praise_kind="letter"), followup_succeeded=False)
    assert d.score == "praise_letter"


def test_flags_at_the_threshold() -> None:
    counts = {("PJSIP/1002", "2026-11"): 3, ("PJSIP/1003", "2026-11"): 2,
              ("PJSIP/1002", "2026-10"): 4}
    assert [(f.agent, f.month, f.confirmed) for f in cp.flags(counts, 3)] == [
        ("PJSIP/1002", "2026-10", 4), ("PJSIP/1002", "2026-11", 3)]


def test_months_and_quarters_in_the_centers_zone() -> None:
    start, end = lg.quarter_bounds("2026Q4", TZ)
    assert datetime.fromtimestamp(start, TZ) == datetime(2026, 10, 1, tzinfo=TZ)
    assert datetime.fromtimestamp(end, TZ) == datetime(2027, 1, 1, tzinfo=TZ)
    assert lg.quarter_of(end - 1, TZ) == "2026Q4" and lg.quarter_of(end, TZ) == "2027Q1"
    assert lg.previous_month(datetime(2027, 1, 1, 0, 0, 1, tzinfo=TZ).timestamp(), TZ) == "2026-12"
    # 23:30 UTC on Nov 30 is already December in Shanghai.
    assert lg.month_label(datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("UTC")).timestamp(),
                          TZ) == "2026-12"
    for bad in ("2026Q5", "Q4", "2026-13"):
        with pytest.raises(ValueError):
            lg.quarter_bounds(bad, TZ) if "Q" in bad else lg.month_bounds(bad, TZ)


def test_bonus_ranks_share_ties_and_negative_totals_earn_nothing() -> None:
    rows = lg.bonus_table({"a": 10, "b": 30, "c": 10, "d": 5, "e": -20}, {"a": "A"},
                          lg.LedgerRules(yuan_per_point=10.0, top=3))
    assert [(r.rank, r.agent, r.bonus_yuan, r.top_three) for r in rows] == [
        (1, "b", 300.0, True), (2, "a", 100.0, True), (2, "c", 100.0, True),
        (4, "d", 50.0, False), (5, "e", 0.0, False)]
    assert lg.reversal_refusal("reversal", False, 7) and lg.reversal_refusal("manual", True, 7)
    assert lg.reversal_refusal("manual", False, 7) is None
