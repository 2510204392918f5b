"""The points ledger (奖惩, SERVICE_STANDARDS 5 and 6), pure: what each kind of entry
is worth, the months and quarters it is read by in the center's zone, the
zero-complaint month's award, and the quarter's bonus with its top three.

Every source writes a row: late answers (−5), the caller's survey rating, confirmed
complaints, confirmed praise (by phone +20, by letter +50), a month without
complaints (+1), and a supervisor's manual entry with a reason.  Rows are never
edited: a wrong one is undone by a reversing entry (once), which keeps who, when and
why.  The quarter's bonus = points × yuan per point.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

LATE_ANSWER = "late_answer"
ZERO_COMPLAINT_MONTH = "zero_complaint_month"
MANUAL = "manual"
REVERSAL = "reversal"
PRAISE_PHONE, PRAISE_LETTER = "praise_phone", "praise_letter"
COMPLAINT = "complaint"  # a confirmed complaint (domain/complaints.COMPLAINT_REASON)
# Every reason a ledger row may carry (the survey's: rating_<rating>).
REASONS = (LATE_ANSWER, COMPLAINT, PRAISE_PHONE, PRAISE_LETTER, ZERO_COMPLAINT_MONTH, MANUAL,
           REVERSAL, "rating_satisfied", "rating_ordinary", "rating_unsatisfied")

_QUARTER = re.compile(r"(\d{4})\s*-?\s*[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True)
class LedgerRules:
    complaint_points: int = -10  # per confirmed complaint (the handbook names no figure)
    praise_phone_points: int = 20  # 电话表扬
    praise_letter_points: int = 50  # 表扬信
    zero_complaint_points: int = 1  # 当月零投诉
    yuan_per_point: float = 10.0  # 季度奖金 = 积分 × 10 元
    top: int = 3  # 得分前三名

    def points_for(self, reason: str) -> int:
        return {"complaint": self.complaint_points, PRAISE_PHONE: self.praise_phone_points,
                PRAISE_LETTER: self.praise_letter_points,
                ZERO_COMPLAINT_MONTH: self.zero_complaint_points}[reason]


def month_label(at: float, tz: ZoneInfo) -> str:
    local = datetime.fromtimestamp(at, tz)
    return f"{local.year:04d}-{local.month:02d}"


def _start(day: date, tz: ZoneInfo) -> float:
    return datetime.combine(day, time(0), tzinfo=tz).timestamp()


def month_bounds(label: str, tz: ZoneInfo) -> tuple[float, float]:
    """[start, end) of a month such as 2026-11, in the center's zone."""
    found = _MONTH.fullmatch(label.strip())
    if found is None or not 1 <= int(found[2]) <= 12:
        raise ValueError(f"{label!r} is not a month like 2026-11")
    year, month = int(found[1]), int(found[2])
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return _start(date(year, month, 1), tz), _start(following, tz)


def previous_month(now: float, tz: ZoneInfo) -> str:
    local = datetime.fromtimestamp(now, tz)
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year:04d}-{month:02d}"


def quarter_bounds(label: str, tz: ZoneInfo) -> tuple[float, float]:
    """[start, end) of a quarter such as 2026Q4, in the center's zone."""
    found = _QUARTER.fullmatch(label.strip())
    if found is None:
        raise ValueError(f"{label!r} is not a quarter like 2026Q4")
    year, quarter = int(found[1]), int(found[2])
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return _start(first, tz), _start(following, tz)


def quarter_of(at: float, tz: ZoneInfo) -> str:
    local = datetime.fromtimestamp(at, tz)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def zero_complaint_awards(active: set[str], complained: set[str]) -> list[str]:
    """The agents who worked the month and had no complaint (but unfounded ones)."""
    return sorted(active - complained)


@dataclass(frozen=True, slots=True)
class BonusRow:
    rank: int
    agent: str  # member interface
    name: str
    points: int
    bonus_yuan: float
    top_three: bool


def bonus_table(points: Mapping[str, int], names: Mapping[str, str],
                rules: LedgerRules) -> list[BonusRow]:
    """Highest points first; equal points share a rank (1, 2, 2, 4); the top are the
    ranks up to `rules.top` with a positive score.  A negative total earns no bonus."""
    ordered = sorted(points.items(), key=lambda kv: (-kv[1], names.get(kv[0], kv[0]), kv[0]))
    rows: list[BonusRow] = []
    for i, (agent, total) in enumerate(ordered):
        rank = rows[-1].rank if rows and rows[-1].points == total else i + 1
        rows.append(BonusRow(rank, agent, names.get(agent, ""), total,
                             round(max(total, 0) * rules.yuan_per_point, 2),
                             rank <= rules.top and total > 0))
    return rows


def reversal_refusal(reason: str, reversed_already: bool, entry_id: int) -> str | None:
    if reason == REVERSAL:
        return f"entry #{entry_id} is itself a reversal: enter a new entry instead"
    if reversed_already:
        return f"entry #{entry_id} has been reversed already"
    return None
