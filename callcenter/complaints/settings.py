"""The `[complaints]` section (SERVICE_STANDARDS 2 and 6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter.checks import deadline_rule, positive
from callcenter.config import setting
from callcenter.domain.complaints import ComplaintRules


def _kinds(value: Any) -> str | None:
    if not value:
        return "must name at least one kind of complaint"
    bad = [k for k in value if not isinstance(k, str) or not k.strip() or len(k) > 32]
    return f"{bad[0]!r} is not a kind (1 to 32 characters)" if bad else None


_STANDARD = ComplaintRules()


@dataclass(frozen=True, slots=True)
class ComplaintSettings:
    SECTION: ClassVar[str] = "complaints"
    # The responsible department investigates within (a deadline rule: 1wd, 3d, 25nm).
    investigation: str = setting(_STANDARD.investigation, deadline_rule)
    # The follow-up call (回访) of a resolved complaint is due within.
    followup_deadline: str = setting(_STANDARD.followup_deadline, deadline_rule)
    # Confirmed complaints in a calendar month that flag an agent (当月投诉三次以上).
    flag_threshold: int = setting(_STANDARD.flag_threshold, positive)
    # 投诉类别: the kinds the 投诉分类统计表 counts.
    kinds: tuple[str, ...] = setting(_STANDARD.kinds, _kinds)
    # How often flags are checked (edits on the web raise them at once; this catches the rest).
    check_interval_s: float = setting(300.0, positive)

    @property
    def rules(self) -> ComplaintRules:
        return ComplaintRules(self.investigation, self.followup_deadline, self.flag_threshold,
                              tuple(self.kinds))
