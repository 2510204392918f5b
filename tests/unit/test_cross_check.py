"""The running cross-check: queue_log's answered and abandoned calls per interval and
queue against the daemon's, matched by caller, an interval's edge tolerated."""

from __future__ import annotations

from callcenter.domain.cross_check import Mismatch, StoredOutcome, Tally
from callcenter.domain.queue_log import Entry, parse_line


def _entries(*lines: str) -> list[Entry]:
    parsed = [parse_line(text) for text in lines]
    return [p for p in parsed if p is not None]


def answered(uniqueid: str, at: float, queue: str = "support") -> StoredOutcome:
    return StoredOutcome(uniqueid, queue, "answered", at, at + 30)


def abandoned(uniqueid: str, at: float, queue: str = "support") -> StoredOutcome:
    return StoredOutcome(uniqueid, queue, "abandoned", None, at)


LINES = (  # intervals 1020-1080, 1080-1140, 1140-1200
    "1030|1.1|support|alice|CONNECT|3|1.2|3",  # the first interval: read from its middle
    "1081|2.1|support|alice|CONNECT|3|2.2|3",
    "1095|3.1|support|NONE|ABANDON|1|1|30",
    "1110|4.1|support|NONE|EXITWITHTIMEOUT|1|1|60",
    "1115|5.1|support|NONE|EXITWITHKEY|1|1|1|5",  # not an abandon, live or here
    "1120|6.1|complaints|bob|CONNECT|3|6.2|3",
    "1139|7.1|support|alice|CONNECT|3|7.2|3",  # the daemon saw it at 1140.3
    "1145|8.1|support|alice|CONNECT|3|8.2|3",
)


def _tally(read_until: float) -> Tally:
    tally = Tally(60.0, settle_s=5.0)
    tally.add(_entries(*LINES), read_until)
    return tally


def test_an_interval_is_compared_once_read_past_its_end() -> None:
    assert _tally(read_until=1144.0).due() == []  # 1020-1080 was read from its middle
    assert _tally(read_until=1145.0).due() == [1080.0]  # 5 s past its end


def test_agreeing_counts_with_a_call_across_the_edge() -> None:
    tally = _tally(read_until=1210.0)
    stored = [answered("1.1", 1030.2), answered("2.1", 1081.4), abandoned("3.1", 1095.5),
              abandoned("4.1", 1110.2), StoredOutcome("5.1", "support", "waiting", None, None),
              answered("6.1", 1120.1, "complaints"), answered("7.1", 1140.3),
              answered("8.1", 1145.2)]
    assert tally.due() == [1080.0, 1140.0]
    assert tally.compare(1080.0, stored) == ([], ["complaints", "support"])
    assert tally.compare(1140.0, stored) == ([], ["complaints", "support"])  # 7.1: in 1080
    assert tally.due() == []


def test_missing_and_extra_calls_are_named() -> None:
    tally = _tally(read_until=1210.0)
    stored = [answered("2.1", 1081.4), StoredOutcome("3.1", "support", "waiting", None, None),
              abandoned("4.1", 1110.2), answered("7.1", 1140.3),
              answered("9.9", 1130.0)]  # queue_log never connected 9.9
    mismatches, agreed = tally.compare(1080.0, stored)
    assert mismatches == [
        Mismatch("complaints", 1080.0, 1140.0, (1, 0), (0, 0), ("6.1",), ()),
        Mismatch("support", 1080.0, 1140.0, (2, 3), (2, 1), ("3.1",), ("9.9",)),
    ]
    assert agreed == []
