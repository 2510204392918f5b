"""Phone numbers: one canonical form for lookups, and a masked form for logs."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s\-().]")


def normalise(number: str) -> str:
    """Canonical national form: +86 / 0086 / 86 prefixes dropped from Chinese
    mobile numbers, separators removed.  Other numbers keep their digits."""
    digits = _NON_DIGITS.sub("", number.strip())
    if digits.startswith("+"):
        digits = "00" + digits[1:]
    if digits.startswith("0086"):
        digits = digits[4:]
        # +86 then a landline without its trunk 0: restore it (010..., 021...)
        is_mobile = len(digits) == 11 and digits.startswith("1")
        if digits and not is_mobile and not digits.startswith("0"):
            digits = "0" + digits
    elif digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]
    return digits


def mask(number: str) -> str:
    """138****8000: enough to tell callers apart in a log, not enough to dial."""
    digits = normalise(number)
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) <= 7:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    return digits[:3] + "****" + digits[-4:]
