"""The `[ledger]` section: points per kind of entry and the bonus (SERVICE_STANDARDS 5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from callcenter.checks import non_negative, positive
from callcenter.config import setting
from callcenter.domain.ledger import LedgerRules

_STANDARD = LedgerRules()


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    SECTION: ClassVar[str] = "ledger"
    complaint_points: int = _STANDARD.complaint_points
    praise_phone_points: int = _STANDARD.praise_phone_points
    praise_letter_points: int = _STANDARD.praise_letter_points
    zero_complaint_points: int = _STANDARD.zero_complaint_points
    yuan_per_point: float = setting(_STANDARD.yuan_per_point, non_negative)
    top: int = setting(_STANDARD.top, positive)
    # A manual entry larger than this (either way) is refused as a typing error.
    manual_max_points: int = setting(1000, positive)
    # How often the zero-complaint month award is checked (it is given once, after the 1st).
    award_check_interval_s: float = setting(3600.0, positive)

    @property
    def rules(self) -> LedgerRules:
        return LedgerRules(self.complaint_points, self.praise_phone_points,
                           self.praise_letter_points, self.zero_complaint_points,
                           self.yuan_per_point, self.top)
