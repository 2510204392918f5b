"""Every alert the daemon raises is worded twice: Chinese with full-width punctuation
(the Chinese pages, the CLI, the WeCom/DingTalk groups) and English (the English
pages), never the one bilingual line of before."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from callcenter.alerts.service import set_aside_wording
from callcenter.callbacks.service import overdue_wording
from callcenter.core.health import Condition
from callcenter.domain import ticket_rules as tr
from callcenter.domain.alerts import MESSAGE_MAX, Wording
from callcenter.domain.complaints import Flag
from callcenter.domain.cross_check import Mismatch
from callcenter.domain.surge import SurgeLevel, SurgeSettings, SurgeTransition
from callcenter.outages.service import message as outage_message
from callcenter.recovery.service import _message as mismatch_message
from callcenter.store.child import SetAsideNote
from callcenter.surge.jobs import message as surge_message

TZ = ZoneInfo("Asia/Shanghai")
AT = 1_764_000_000.0
HALF_WIDTH_AFTER_CJK = re.compile(r"[\u4e00-\u9fff][,.:;?!()]")
CJK = re.compile(r"[\u4e00-\u9fff]")


def every_wording() -> list[Wording]:
    rules = tr.TicketRules()
    clocks = tr.TicketClocks(id=42, category=tr.COMPLAINT, status="dispatched", opened_at=AT,
                             dispatched_at=AT, callback_due_at=AT + 1, review_due_at=AT + 1,
                             investigation_due_at=AT + 1)
    overdue = tr.overdue(clocks, rules, AT + 10 * 86_400)
    assert {o.kind for o in overdue} == {tr.SUPERVISION, tr.COMPLAINT_OVERDUE,
                                         tr.REVIEW_OVERDUE, tr.INVESTIGATION_OVERDUE}
    surges = [surge_message(SurgeTransition(SurgeLevel.NORMAL, level, AT, 12, ()),
                            SurgeSettings(), breaks)
              for level in (SurgeLevel.EARLY_WARNING, SurgeLevel.LEVEL_1, SurgeLevel.LEVEL_2)
              for breaks in ([], ["张三", "李四"])]
    return [
        *(o.message() for o in overdue), *surges,
        Flag("PJSIP/1001", "2026-11", 3).message("张三"),
        outage_message(Condition("ami:pbx2", False, "connection refused", AT), TZ),
        outage_message(Condition("database", False, "timeout", AT), TZ),
        mismatch_message(Mismatch("support", AT, AT + 900, (5, 4), (1, 1), (), ()), TZ, "@pbx1"),
        set_aside_wording(SetAsideNote("outcome", "1764.1", "disk full", 7)),
        set_aside_wording(SetAsideNote("outcome", "1764.1", "disk full", None)),
        overdue_wording(3),
    ]


def test_chinese_is_chinese_with_full_width_punctuation_and_english_is_english() -> None:
    for words in every_wording():
        assert CJK.search(words.zh) and not HALF_WIDTH_AFTER_CJK.search(words.zh), words.zh
        assert "(" not in words.zh or "Asterisk" in words.zh, words.zh  # no English aside
        assert words.en and not CJK.search(words.en.replace("张三", "").replace("李四", "")), words.en


def test_a_level_1_surge_names_who_to_call_back_in_both() -> None:
    words = surge_message(SurgeTransition(SurgeLevel.NORMAL, SurgeLevel.LEVEL_1, AT, 9, ()),
                          SurgeSettings(), ["张三", "李四"])
    assert "请返回：张三、李四" in words.zh and "张三, 李四" in words.en


def test_words_are_clipped_to_the_column() -> None:
    long = Wording("长" * 900, "x" * 900)
    assert len(long.zh) == len(long.en) == MESSAGE_MAX
