"""Property tests: no attempt ever starts outside its window or the outer bound,
across daylight saving, lunch breaks, holidays, make-up days and appointments,
and no number exceeds its caps."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.domain.calendar import (
    DailyHours,
    DialingWindow,
    OuterBound,
    Season,
    WorkCalendar,
    deadline_for,
)
from callcenter.domain.callbacks import (
    Contact,
    Outcome,
    RetryPolicy,
    after_outcome,
    refusal,
)

ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney",
         "America/Santiago", "Pacific/Chatham", "America/Havana", "Asia/Kolkata",
         "Australia/Lord_Howe", "Europe/Berlin"]
EPOCH_2025 = 1_735_689_600.0
TWO_YEARS = 2 * 366 * 86400.0


@st.composite
def hours(draw: st.DrawFn) -> DailyHours:
    opens = draw(st.integers(5 * 60, 11 * 60))
    closes = draw(st.integers(opens + 60, 23 * 60))
    lunch = None
    if draw(st.booleans()) and closes - opens > 120:
        start = draw(st.integers(opens + 30, closes - 60))
        end = draw(st.integers(start + 15, min(start + 120, closes - 15)))
        lunch = (time(start // 60, start % 60), time(end // 60, end % 60))
    return DailyHours(time(opens // 60, opens % 60), time(closes // 60, closes % 60), lunch)


@st.composite
def windows(draw: st.DrawFn) -> DialingWindow:
    days = st.dates(date(2025, 1, 1), date(2026, 12, 31))
    calendar = WorkCalendar(
        seasons=(Season("summer", (5, 1), (9, 30), draw(hours())),
                 Season("winter", (10, 1), (4, 30), draw(hours()))),
        holidays=frozenset(draw(st.lists(days, max_size=30))),
        makeup_workdays=frozenset(draw(st.lists(days, max_size=10))),
    )
    earliest = draw(st.integers(6 * 60, 9 * 60))
    latest = draw(st.integers(18 * 60, 22 * 60))
    return DialingWindow(calendar, OuterBound(time(earliest // 60, earliest % 60),
                                              time(latest // 60, latest % 60)))


def _inside(window: DialingWindow, at: float, ring_s: float, tz: ZoneInfo) -> bool:
    """An independent check on wall-clock time: working day, campaign hours, lunch,
    outer bound."""
    start, end = datetime.fromtimestamp(at, tz), datetime.fromtimestamp(at + ring_s, tz)
    if start.date() != end.date() or not window.calendar.is_working_day(start.date()):
        return False
    if start.time() < window.bound.earliest or end.time() > window.bound.latest:
        return False
    day_hours = window.calendar.hours_on(start.date())
    assert day_hours is not None
    if start.time() < day_hours.opens or end.time() > day_hours.closes:
        return False
    lunch = day_hours.lunch
    return not (lunch and start.time() < lunch[1] and end.time() > lunch[0])


@settings(max_examples=300, deadline=None)
@given(windows(), st.sampled_from(ZONES), st.floats(0, TWO_YEARS), st.floats(1, 120))
def test_no_start_outside_the_window(window: DialingWindow, zone: str, offset: float,
                                     ring_s: float) -> None:
    tz = ZoneInfo(zone)
    at = EPOCH_2025 + offset
    if window.can_start(at, ring_s, tz):
        assert _inside(window, at, ring_s, tz)
    nxt = window.next_start(at, ring_s, tz, horizon_days=40)
    if nxt is not None:
        assert nxt >= at and _inside(window, nxt, ring_s, tz)


@settings(max_examples=200, deadline=None)
@given(windows(), st.sampled_from(ZONES), st.floats(0, TWO_YEARS))
def test_appointments_keep_to_the_outer_bound(window: DialingWindow, zone: str,
                                              offset: float) -> None:
    tz = ZoneInfo(zone)
    at = EPOCH_2025 + offset
    if window.appointment_ok(at, 30, tz):
        start, end = datetime.fromtimestamp(at, tz), datetime.fromtimestamp(at + 30, tz)
        assert window.bound.earliest <= start.time() and end.time() <= window.bound.latest


outcomes = st.sampled_from(list(Outcome))


@settings(max_examples=150, deadline=None)
@given(windows(), st.sampled_from(ZONES),
       st.lists(st.tuples(st.integers(0, 4), outcomes), min_size=1, max_size=60),
       st.integers(1, 4), st.integers(1, 3))
def test_a_dialer_loop_never_breaks_the_caps(window: DialingWindow, zone: str,
                                             script: list[tuple[int, Outcome]],
                                             max_attempts: int, cap: int) -> None:
    """Five contacts sharing two numbers, dialed whenever `refusal` allows, every
    15 minutes for 20 days: attempts, per-number 24 h caps and windows hold."""
    tz = ZoneInfo(zone)
    policy = RetryPolicy(max_attempts=max_attempts, max_calls_per_number_24h=cap)
    contacts = {i: Contact(i, f"1380000000{i % 2}", deadline=EPOCH_2025 + 30 * 86400)
                for i in range(5)}
    calls: dict[str, list[float]] = {}
    dnc: set[str] = set()
    finished: set[int] = set()
    outcome_for = iter(script * 50)
    now = EPOCH_2025
    for _ in range(20 * 24 * 4):
        now += 900
        for cid, contact in list(contacts.items()):
            if cid in finished:
                continue
            why = refusal(contact, now, policy=policy, window=window, center_tz=tz,
                          calls_last_24h=calls.get(contact.phone, []),
                          do_not_call=contact.phone in dnc)
            if why is not None:
                continue
            assert _inside(window, now, policy.ring_timeout_s, tz)
            calls.setdefault(contact.phone, []).append(now)
            _, outcome = next(outcome_for)
            result = after_outcome(contact, outcome, now, policy)
            contacts[cid] = Contact(cid, contact.phone, contact.deadline, contact.attempts + 1,
                                    now, outcome)
            if result.do_not_call:
                dnc.add(contact.phone)
            if result.finished:
                finished.add(cid)
    for contact in contacts.values():
        assert contact.attempts <= max_attempts
    for times in calls.values():
        for t in times:
            assert sum(1 for u in times if t - 86400 < u <= t) <= cap


def test_standard_seasons_and_working_days() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    window = DialingWindow(WorkCalendar(holidays=frozenset({date(2026, 10, 1)}),
                                        makeup_workdays=frozenset({date(2026, 9, 27)})))

    def at(day: date, hh: int, mm: int) -> float:
        return datetime.combine(day, time(hh, mm), tzinfo=shanghai).timestamp()

    summer_day, winter_day = date(2026, 7, 1), date(2026, 12, 1)
    assert window.can_start(at(summer_day, 17, 59) - 60, 30, shanghai)
    assert not window.can_start(at(summer_day, 17, 59), 90, shanghai)  # ring runs past 18:00
    assert not window.can_start(at(summer_day, 13, 0), 30, shanghai)  # lunch until 13:30
    assert window.can_start(at(winter_day, 13, 5), 30, shanghai)  # winter lunch ends 13:00
    assert not window.can_start(at(winter_day, 17, 45), 30, shanghai)  # winter closes 17:30
    assert not window.can_start(at(date(2026, 10, 1), 10, 0), 30, shanghai)  # National Day
    assert window.can_start(at(date(2026, 9, 27), 10, 0), 30, shanghai)  # 调休 Sunday
    friday_evening = at(date(2026, 7, 3), 18, 30)
    assert window.next_start(friday_evening, 30, shanghai) == at(date(2026, 7, 6), 9, 0)
    assert window.calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 2)


def test_deadline_rules_from_the_standards() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    calendar = WorkCalendar(holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}))
    served = datetime(2026, 9, 30, 15, 0, tzinfo=shanghai).timestamp()

    def local(at: float) -> datetime:
        return datetime.fromtimestamp(at, shanghai)

    assert local(deadline_for("3d", served, shanghai, calendar)) == datetime(
        2026, 10, 3, 15, 0, tzinfo=shanghai)  # 三天之内
    assert local(deadline_for("1wd", served, shanghai, calendar)).date() == date(2026, 10, 5)
    assert local(deadline_for("25nm", served, shanghai, calendar)).date() == date(2026, 10, 25)
    december = datetime(2026, 12, 3, tzinfo=shanghai).timestamp()
    assert local(deadline_for("25nm", december, shanghai, calendar)).date() == date(2027, 1, 25)
