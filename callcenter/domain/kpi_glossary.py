"""Every figure a report shows, with its definition in Chinese and English: the one
glossary pages, exports and `callcenter report glossary` show.  T, the short-abandon
threshold, the ring budget, the flag threshold and the bonus rate are filled in from
the settings.  A column that means something else in one table (the complaint
table's `complaints` counts every complaint, the agents table's only confirmed ones)
has a term of its own for that table (`Term.table`)."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.domain.kpi import KpiRules
from callcenter.domain.people_glossary import PEOPLE_TERMS


@dataclass(frozen=True, slots=True)
class Term:
    column: str
    zh: str
    zh_definition: str
    en: str
    en_definition: str
    table: str = ""  # "": every table; else only that table's column of this name


_TERMS = (
    Term("offered", "呼入量",
         "进入队列的来电数，无论如何离开（接通、放弃、超时、按键或无人退出）；按进入队列的时段计。",
         "Offered", "Callers who entered the queue, however they left it (answered, abandoned, "
         "timed out, left by a key or because no agent was left); counted in the interval they joined."),
    Term("answered", "接通量", "被坐席接起的来电。", "Answered", "Callers connected to an agent."),
    Term("abandoned", "放弃量", "排队中挂机且等待不少于 {short} 秒的来电（短时放弃另计）。",
         "Abandoned", "Callers who hung up while waiting, after at least {short} s "
                      "(short abandons are counted apart)."),
    Term("short_abandoned", "短时放弃", "排队不足 {short} 秒即挂机的来电；不计入服务水平与放弃率。",
         "Short abandons", "Callers who hung up within {short} s of joining; left out of "
                           "service level and abandon rate."),
    Term("timeouts", "超时退出", "排队超过队列最长等待时间被移出（EXITWITHTIMEOUT）；不算放弃。",
         "Timeouts", "Callers the queue's timeout took out (EXITWITHTIMEOUT); not abandons."),
    Term("exit_key", "按键退出", "来电按键离开队列（EXITWITHKEY，如保留位置回拨）；不算放弃。",
         "Key exits", "Callers who left the queue by pressing a key (EXITWITHKEY, e.g. "
                      "keep-your-place); not abandons."),
    Term("exit_empty", "无人退出", "队列无可用坐席时被移出（EXITEMPTY）；不算放弃。",
         "Empty-queue exits", "Callers taken out because no agent was left (EXITEMPTY); "
                              "not abandons."),
    Term("service_level_pct", "服务水平", "{t} 秒内接通数 ÷（接通数 + 放弃数）× 100；分母所含项目可配置。",
         "Service level", "Answered within {t} s of joining ÷ (answered + abandoned after "
                          "{short} s) × 100; which exits count is a setting."),
    Term("three_ring_pct", "三声接听率", "振铃三声内（{budget} 秒内）接起的接通数 ÷ 接通数 × 100。",
         "Three-ring compliance", "Answered before the ring budget ({budget} s, three rings) "
                                  "ran out ÷ answered × 100."),
    Term("abandon_rate_pct", "放弃率", "放弃数 ÷（呼入量 − 短时放弃）× 100。",
         "Abandon rate", "Abandoned ÷ (offered − short abandons) × 100."),
    Term("asa_s", "平均应答速度", "接通来电的排队时长之和 ÷ 接通数（秒）。",
         "ASA", "Average speed of answer: answered callers' waits ÷ answered (s)."),
    Term("avg_wait_s", "平均等待时长", "所有来电排队时长之和 ÷ 呼入量（秒）。",
         "Average wait", "Every caller's wait ÷ offered (s)."),
    Term("longest_wait_s", "最长等待时长", "任一来电的最长排队时长（秒）。",
         "Longest wait", "The longest wait of any caller (s)."),
    Term("aht_s", "平均处理时长", "（通话时长 + 话后处理时长）÷ 处理完的来电数（秒）。",
         "AHT", "Average handle time: (talk + wrap-up) ÷ calls handled (s)."),
    Term("missed_rings", "未接振铃", "坐席振铃超时未接的次数（每次 RINGNOANSWER）。",
         "Missed rings", "Ring-no-answers of the agent (each RINGNOANSWER)."),
    Term("violations", "三声违规", "振铃超过三声（{budget} 秒）的次数，每次扣分。",
         "Three-ring violations", "Legs that rang through the ring budget ({budget} s); "
                                  "each costs points."),
    Term("talk_s", "通话时长", "坐席接通后的通话时长之和（秒）。", "Talk time",
         "The agent's talk time, summed (s)."),
    Term("wrapup_s", "话后处理时长", "坐席挂机后处于话后处理状态的时长（秒）。", "Wrap-up time",
         "Time in after-call work (s)."),
    Term("paused_s", "小休时长", "坐席示忙（暂停）的时长，按原因另有明细（秒）。", "Paused time",
         "Time paused, with a breakdown by reason (s)."),
    Term("logged_in_s", "在线时长", "坐席签入任一队列的时长（秒）。", "Logged-in time",
         "Time the agent was a member of some queue (s)."),
    Term("occupancy_pct", "占用率", "处理时长（通话 + 话后）÷（处理时长 + 空闲时长）× 100。",
         "Occupancy", "Handle time (talk + wrap-up) ÷ (handle time + time available) × 100."),
    Term("ratings", "评价数", "该坐席受理的工单在期间内得到的满意度评价数。", "Ratings",
         "Satisfaction ratings given in the period to tickets the agent owns."),
    Term("complaints", "投诉数", "期间内受理、经主管确认（非无理投诉）针对该坐席的投诉数；"
         "当月达到阈值（{flag} 次）的坐席被标记（⚑）并告警。", "Complaints",
         "Confirmed complaints about the agent received in the period (a supervisor's verdict; "
         "unfounded ones excluded); an agent at the month's threshold ({flag}) is flagged (⚑) "
         "and alerted."),
    Term("points", "积分", "期间内积分台账之和（奖惩）。", "Points",
         "The agent's points ledger summed over the period (rewards and penalties)."),
)


def glossary(rules: KpiRules, ring_budget_s: float, *, flag_threshold: int = 3,
             yuan_per_point: float = 10.0) -> list[Term]:
    values = {"t": f"{rules.sl_threshold_s:g}", "short": f"{rules.short_abandon_s:g}",
              "budget": f"{ring_budget_s:g}", "flag": str(flag_threshold),
              "yuan": f"{yuan_per_point:g}"}
    people = (Term(column, zh, zh_def, en, en_def, table)
              for table, column, zh, zh_def, en, en_def in PEOPLE_TERMS)
    return [Term(t.column, t.zh, t.zh_definition.format(**values), t.en,
                 t.en_definition.format(**values), t.table) for t in (*_TERMS, *people)]


def for_table(terms: list[Term], table: str) -> list[Term]:
    """The terms of one table's columns: its own where it has one, else the common one."""
    own = {t.column for t in terms if t.table == table}
    return [t for t in terms if t.table == table or (not t.table and t.column not in own)]
