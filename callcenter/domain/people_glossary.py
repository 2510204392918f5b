"""The glossary's words for the complaint table (投诉分类统计表), complaints per agent,
the points ledger and the quarter's bonus (kpi_glossary.py makes them `Term`s).

Each entry: (table, column, 中文, 定义, English, definition); `{flag}` and `{yuan}`
are filled in from the settings.  Table names are the reports' (reports/tables.py)."""

from __future__ import annotations

COMPLAINTS, BY_AGENT, LEDGER, BONUS = "complaints", "complaint_agents", "ledger", "bonus"

PEOPLE_TERMS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("", "month", "月份", "投诉受理的月份（中心时区，按来电日期）。",
     "Month", "The month the complaint came in (the center's time zone, by the day of the call)."),
    (COMPLAINTS, "category", "投诉类别", "工单上记录的投诉类别（[complaints] kinds）；空白为未分类。",
     "Kind", "The complaint's kind as recorded on the ticket ([complaints] kinds); "
             "blank when not recorded."),
    (COMPLAINTS, "department", "责任归属", "工单上记录的责任部门；空白为未记录。",
     "Department", "The responsible department recorded on the ticket; blank when not recorded."),
    (COMPLAINTS, "complaints", "投诉数", "期间内受理、归类为投诉的工单数（不论结论）。",
     "Complaints", "Tickets categorised as complaints that came in within the period, "
                   "whatever their verdict."),
    ("", "confirmed", "确认投诉", "主管确认属实的投诉数。",
     "Confirmed", "Complaints a supervisor confirmed."),
    ("", "unfounded", "无理投诉", "主管判定为无理投诉（附理由）的投诉数。",
     "Unfounded", "Complaints a supervisor marked unfounded (with a reason)."),
    (COMPLAINTS, "pending", "待定", "尚无主管结论的投诉数。",
     "Pending", "Complaints without a supervisor's verdict yet."),
    (COMPLAINTS, "closed", "已结案", "已关闭的投诉工单数（回访成功或判定无理投诉后方可关闭）。",
     "Closed", "Complaint tickets closed (possible only once the follow-up call succeeded "
               "or the complaint was marked unfounded)."),
    (BY_AGENT, "complaints", "投诉数", "当月针对该坐席的投诉数（不论结论）。",
     "Complaints", "Complaints about the agent that came in that month, whatever their verdict."),
    (BY_AGENT, "flagged", "标记", "当月确认投诉达到 {flag} 次：坐席被标记（⚑）并告警。",
     "Flagged", "{flag} or more confirmed complaints in that calendar month: the agent is "
                "flagged (⚑) and an alert raised."),
    (LEDGER, "id", "编号", "台账条目编号；条目从不修改，错误条目以冲正条目抵消。",
     "Entry", "The ledger entry's number; entries are never edited, a wrong one is undone "
              "by a reversing entry."),
    (LEDGER, "at", "时间", "记入台账的时间（中心时区）。",
     "When", "When the entry was written (the center's time zone)."),
    (LEDGER, "points", "积分", "本条目的加分（正）或扣分（负）。",
     "Points", "The entry's points: a reward (positive) or a penalty (negative)."),
    (LEDGER, "reason", "来源", "条目来源：late_answer 三声未接、rating_* 满意度评价、complaint 确认投诉、"
     "praise_phone/praise_letter 电话表扬/表扬信、zero_complaint_month 当月零投诉、manual 主管录入、"
     "reversal 冲正。",
     "Source", "Where the entry came from: late_answer (three rings missed), rating_* (the "
               "caller's rating), complaint (confirmed), praise_phone / praise_letter, "
               "zero_complaint_month, manual (a supervisor), reversal."),
    (LEDGER, "ticket_id", "工单", "条目所依据的工单编号（如有）。",
     "Ticket", "The ticket the entry is for, if any."),
    (LEDGER, "period", "期间", "按期奖励的月份（如当月零投诉），每坐席每期一次。",
     "Period", "The month a periodic award is for (a zero-complaint month); once per agent "
               "and period."),
    (LEDGER, "entered_by", "录入人", "录入或冲正该条目的主管（自动条目为空）。",
     "Entered by", "The supervisor who entered or reversed it (blank for automatic entries)."),
    (LEDGER, "note", "说明", "理由或说明（主管录入必填）。",
     "Note", "The reason or note (required for a supervisor's entry)."),
    (LEDGER, "reverses_id", "冲正条目", "本条目所冲正的原条目编号。",
     "Reverses", "The entry this one reverses."),
    (LEDGER, "reversed_by_id", "被冲正", "冲正本条目的条目编号（每条只能冲正一次）。",
     "Reversed by", "The entry that reversed this one (an entry is reversed once at most)."),
    (BONUS, "quarter", "季度", "考核季度（中心时区）。",
     "Quarter", "The quarter (the center's time zone)."),
    (BONUS, "rank", "名次", "按季度积分排名；同分同名次。",
     "Rank", "Ranked by the quarter's points; equal points share a rank."),
    (BONUS, "points", "季度积分", "季度内台账积分之和。",
     "Quarter's points", "The agent's ledger entries summed over the quarter."),
    (BONUS, "bonus_yuan", "季度奖金（元）", "季度积分 × {yuan} 元/分；负分不发奖金。",
     "Bonus (yuan)", "The quarter's points × {yuan} yuan per point; a negative total earns 0."),
    (BONUS, "top_three", "前三名", "季度积分前三名（且积分为正）。",
     "Top three", "Among the quarter's top three ranks (with a positive total)."),
)
