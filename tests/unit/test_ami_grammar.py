"""The grammar of what goes into an Originate (hypothesis): every action the dialer
builds from a valid number passes; any value carrying a character that would steer
Asterisk (another destination, a Dial option, another channel variable) is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.ami.grammar import check_originate
from callcenter.callbacks.dialer import OriginateSpec, originate_fields
from callcenter.domain import attempts as at
from callcenter.domain.phone import PhoneNumber
from callcenter.errors import AmiUnsafeValue

SPEC = OriginateSpec("PJSIP/{number}@trunk", "callcenter-callback",
                     "callcenter-callback-agent-first", "callback", "", 30.0)
STEER = st.sampled_from([",", "&", ";", "|", "/", "\r", "\n", "=", " ", "@", "(", "$"])
NUMBERS = st.from_regex(r"\+?[0-9][0-9 \-]{2,15}", fullmatch=True)


def fields_for(number: str, mode: at.Mode) -> dict[str, str]:
    ref = at.AttemptRef(17, 3, "cb-0123abcd", "cb-act-0123abcd", number, mode)
    return originate_fields(SPEC, ref, "PJSIP/1001" if mode is at.Mode.AGENT_FIRST else None)


@given(NUMBERS, st.sampled_from(list(at.Mode)))
def test_every_action_from_a_valid_number_passes(text: str, mode: at.Mode) -> None:
    number = PhoneNumber.or_none(text)
    if number is None:
        return
    fields = fields_for(number.digits, mode)
    assert check_originate(fields) == fields


@given(st.text(alphabet="0123456789", min_size=3, max_size=8), STEER,
       st.text(alphabet="0123456789/@xLocal", max_size=12), st.sampled_from(list(at.Mode)))
def test_a_number_that_could_steer_is_refused(head: str, bad: str, tail: str,
                                               mode: at.Mode) -> None:
    with pytest.raises(AmiUnsafeValue):
        check_originate(fields_for(head + bad + tail, mode))


@pytest.mark.parametrize(("field", "value"), [
    ("Channel", "PJSIP/138@trunk&Local/999@evil"),
    ("Channel", "PJSIP/138@trunk,,tT"),
    ("Context", "callcenter-callback;x"),
    ("Exten", "s|1"),
    ("Variable", "CC_NUMBER=138,CC_EVIL=1"),
    ("Variable", "CC_QUEUE=call/back"),
    ("Variable", "cc_lower=1"),
    ("Variable", "CC_CUSTOMER=PJSIP/138@trunk&Local/1@x"),
    ("CallerID", "evil, <1>"),
    ("Timeout", "30000;"),
])
def test_each_field_has_its_grammar(field: str, value: str) -> None:
    good = fields_for("13800138000", at.Mode.AGENT_FIRST)
    check_originate(good)
    with pytest.raises(AmiUnsafeValue) as refused:
        check_originate({**good, field: value})
    assert value not in str(refused.value)  # a caller's text is never echoed
