"""Phone numbers: a validated value type, one canonical form for lookups, and a
masked form for logs.

A number comes from callers (their caller ID), spreadsheets, the CLI and the web
API, and goes into AMI actions, so it is parsed once at each entry into
`PhoneNumber`, which holds only digits (an international number keeps its 00
prefix): nothing else can reach a dial string or a channel variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from callcenter.errors import InvalidPhoneNumber

_NON_DIGITS = re.compile(r"[\s\-().]")
# What a written number may contain before normalisation: digits, one leading +,
# and the separators people type.  Anything else (& , ; / @ letters sip: Local/...)
# is refused, never cleaned into something dialable.
_WRITTEN = re.compile(r"\+?[0-9 \-().]+")  # ASCII digits and plain spaces only
_MAX_WRITTEN = 40  # longer text is not a number, whatever it contains


@dataclass(frozen=True, slots=True)
class PhoneRules:
    """Length bounds of a canonical number (settings: `[center] phone_*_digits`)."""

    # The shortest subscriber number a customer calls from (7-digit local numbers); a
    # shorter caller ID (a switchboard's 110, an extension) is kept as "unknown".
    min_digits: int = 7
    max_digits: int = 17  # 00 + the 15 digits E.164 allows


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    digits: str

    def __post_init__(self) -> None:
        # Even built directly (from a stored row), it can hold nothing but digits.
        if not (self.digits.isascii() and self.digits.isdigit()):
            raise InvalidPhoneNumber(f"not a canonical number: {mask_text(self.digits)!r}")

    @classmethod
    def parse(cls, text: str, rules: PhoneRules = PhoneRules()) -> PhoneNumber:
        written = text.strip(" ")  # plain spaces only: a CR, tab or NUL is refused, not trimmed
        if len(written) > _MAX_WRITTEN or not _WRITTEN.fullmatch(written):
            raise InvalidPhoneNumber(f"not a phone number: {mask_text(written)!r}")
        digits = normalise(written)
        if not (rules.min_digits <= len(digits) <= rules.max_digits) or not digits.isdigit():
            raise InvalidPhoneNumber(
                f"a phone number has {rules.min_digits}-{rules.max_digits} digits, "
                f"not {len(digits)}")
        return cls(digits)

    @classmethod
    def or_none(cls, text: str, rules: PhoneRules = PhoneRules()) -> PhoneNumber | None:
        try:
            return cls.parse(text, rules)
        except InvalidPhoneNumber:
            return None

    def __str__(self) -> str:
        return self.digits


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


def mask_text(text: str) -> str:
    """Refused input, shown in an error without the digits it may carry."""
    return re.sub(r"\d", "*", text[:_MAX_WRITTEN])
