"""The phone-number value type, over any text (hypothesis): what it accepts is only
digits within the bounds, canonical and stable; what carries anything a dial string
or a channel variable could be steered by is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.domain.phone import PhoneNumber, PhoneRules, normalise
from callcenter.errors import InvalidPhoneNumber

RULES = PhoneRules(min_digits=3, max_digits=17)
STEERING = ",&;|/@:'\"\\$%{}[]<>!*?#=\r\n\t\x00\x1b\u202e"


@given(st.text(max_size=60))
def test_anything_parses_to_bounded_digits_or_is_refused(text: str) -> None:
    try:
        number = PhoneNumber.parse(text, RULES)
    except InvalidPhoneNumber:
        return
    assert number.digits.isascii() and number.digits.isdigit()
    assert RULES.min_digits <= len(number.digits) <= RULES.max_digits
    assert PhoneNumber.parse(str(number), RULES) == number  # canonical: stable


@given(st.text(alphabet="0123456789", min_size=1, max_size=8),
       st.sampled_from(STEERING), st.text(alphabet="0123456789", max_size=8))
def test_a_steering_character_anywhere_is_refused(head: str, bad: str, tail: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        PhoneNumber.parse(head + bad + tail, RULES)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       st.sampled_from(["", "+86", "0086", "86", "+86 ", "0086-"]))
def test_chinese_mobiles_have_one_canonical_form(mobile: str, prefix: str) -> None:
    assert PhoneNumber.parse(prefix + mobile, RULES).digits == mobile == normalise(prefix + mobile)


@pytest.mark.parametrize("text", [
    "13800138000&Local/999@x", "13800138000,CC_X=1", "sip:13800138000@evil", "Local/1@x",
    "13800138000;1", "1380013800|0", "12", "1" * 18, "", "   ", "+", "++8613800138000",
    "138 0013 8000\u202e", "１３８００１３８０００",  # full-width digits are not ASCII digits
])
def test_hostile_and_out_of_bounds_forms_are_refused(text: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        PhoneNumber.parse(text, RULES)


def test_written_forms_people_type_are_accepted() -> None:
    assert PhoneNumber.parse("+86 138-0013-8000", RULES).digits == "13800138000"
    assert PhoneNumber.parse("(010) 6552 9988", RULES).digits == "01065529988"
    assert PhoneNumber.parse("110", RULES).digits == "110"
    assert PhoneNumber.parse("+44 20 7946 0958", RULES).digits == "00442079460958"
