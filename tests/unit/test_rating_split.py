"""The wallboard's rating split per queue (满意 / 一般 / 不满意 today): the pure split,
what the store seeds it with, and the push of a rating set on the desk or by the
caller's key in the survey (from its session's thread) to a supervisor's stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Any

import pytest

from callcenter.agi.scripts import Survey
from callcenter.agi.wiring import RatingPublisher, scripts
from callcenter.domain.clock import ManualClock
from callcenter.domain.ratings_today import Rating, RatingChanged, RatingSplit, rating_change
from callcenter.domain.ticket_rules import TicketRules
from callcenter.tickets import service as tickets
from callcenter.web.service import rating_seed
from tests.unit.test_web_api import NOW, TZ, StreamingASGITransport, Web, build, read_frame

TODAY = datetime.fromtimestamp(NOW, TZ).date()
YESTERDAY = NOW - 86400


def rated(ticket: int, after: tuple[str, str], before: tuple[str, str, float] | None = None,
          queue: str = "sales", at: float = NOW) -> RatingChanged:
    return RatingChanged(ticket, queue, Rating(*before) if before else None, Rating(*after, at))


def test_split_counts_both_sources_with_percent_of_rated_calls() -> None:
    split = RatingSplit(TZ, ManualClock(NOW))
    changed = split.apply([rated(1, ("satisfied", "ivr")), rated(2, ("satisfied", "staff")),
                           rated(3, ("unsatisfied", "ivr")), rated(4, ("ordinary", "ivr"),
                                                                   queue="complaints")])
    assert changed == {"sales", "complaints"}
    assert split.view("sales") == {
        "queue": "sales", "rated": 3, "satisfied": 2, "ordinary": 0, "unsatisfied": 1,
        "satisfied_pct": 66.7, "ordinary_pct": 0.0, "unsatisfied_pct": 33.3,
        "by_ivr": 2, "by_staff": 1}
    assert split.view("complaints")["ordinary_pct"] == 100.0
    # A queue nobody rated yet: no percentages rather than a misleading 0 %.
    empty = split.view("callback")
    assert empty["rated"] == 0 and empty["satisfied_pct"] is None


def test_a_changed_rating_moves_rather_than_counts_twice() -> None:
    split = RatingSplit(TZ, ManualClock(NOW))
    split.apply([rated(1, ("satisfied", "staff"), at=NOW - 60)])
    # The caller's key replaces the desk's rating of the same ticket.
    split.apply([rated(1, ("unsatisfied", "ivr"), before=("satisfied", "staff", NOW - 60))])
    view = split.view("sales")
    assert (view["rated"], view["satisfied"], view["unsatisfied"]) == (1, 0, 1)
    assert (view["by_ivr"], view["by_staff"]) == (1, 0)
    # A ticket rated yesterday and rated again today: only today's rating counts.
    split.apply([rated(2, ("ordinary", "staff"), before=("satisfied", "staff", YESTERDAY))])
    assert split.view("sales")["rated"] == 2 and split.view("sales")["satisfied"] == 0


def test_a_change_to_an_uncounted_rating_never_goes_below_zero() -> None:
    split = RatingSplit(TZ, ManualClock(NOW))  # started without the earlier rating
    split.apply([rated(1, ("ordinary", "staff"), before=("satisfied", "staff", NOW - 60))])
    assert split.view("sales")["satisfied"] == 0 and split.view("sales")["rated"] == 1


def test_nothing_changed_is_no_change() -> None:
    same = Rating("satisfied", "staff", NOW)
    assert rating_change(1, "sales", same, same) is None
    assert rating_change(1, "sales", same, None) is None
    assert rating_change(1, "sales", None, same) == RatingChanged(1, "sales", None, same)


def test_seed_of_today_and_midnight() -> None:
    clock = ManualClock(NOW)
    seed = {"sales": {("satisfied", "ivr"): 3, ("unsatisfied", "staff"): 1}}
    split = RatingSplit(TZ, clock, seed, TODAY)
    assert split.view("sales")["rated"] == 4 and split.view("sales")["satisfied_pct"] == 75.0
    assert [v["queue"] for v in split.views()] == ["sales"]
    assert RatingSplit(TZ, clock, seed, date(2026, 11, 17)).views() == []  # another day's
    clock.set(datetime(2026, 11, 19, 0, 0, 1, tzinfo=TZ).timestamp())
    assert split.views() == []  # a new day starts empty
    split.apply([rated(1, ("satisfied", "ivr"), at=clock.now())])
    assert split.view("sales")["rated"] == 1


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Web]:
    w = build(db_url)  # the whole daemon wired (not run), on SQLite and PostgreSQL
    yield w
    w.ctx.hub.close()
    for c in w.clients:
        await c.aclose()
    w.engine.dispose()


async def next_split(next_line: Callable[[], Awaitable[str]]) -> dict[str, Any]:
    """The next `ratings` frame's data (other frames skipped)."""
    while True:
        event, data = await read_frame(next_line)
        if event == "ratings":
            pushed: dict[str, Any] = json.loads(data)
            return pushed


def _survey(web: Web, publisher: RatingPublisher) -> Survey:
    survey = scripts(web.core, publisher)["survey"]
    assert isinstance(survey, Survey)
    return survey


async def test_desk_and_survey_ratings_are_seeded_and_pushed(web: Web) -> None:
    transport = StreamingASGITransport(web.app)
    lead = await web.signed_in("lead", transport)
    publisher = RatingPublisher(web.core)
    publisher.on_start()  # as the daemon does once its loop runs
    survey = _survey(web, publisher)
    async with lead.http.stream("GET", "/api/stream") as resp:
        lines = resp.aiter_lines()
        event, data = await asyncio.wait_for(read_frame(lines.__anext__), 2.0)
        assert event == "snapshot" and json.loads(data)["ratings"] == []
        # The lead rates a ticket on the desk: pushed at once.
        r = await lead.patch(f"/api/tickets/{web.ticket['L-a1']}", {"rating": "satisfied"})
        assert r.status_code == 200, r.text
        pushed = await asyncio.wait_for(next_split(lines.__anext__), 1.0)
        assert pushed["queue"] == "sales"
        assert (pushed["rated"], pushed["satisfied"], pushed["by_staff"]) == (1, 1, 1)
        # The caller's key on the same ticket, from a survey session's thread: it replaces
        # the desk's; then another caller's.
        await asyncio.to_thread(survey.record, "L-a1", "unsatisfied", NOW + 5)
        pushed = await asyncio.wait_for(next_split(lines.__anext__), 1.0)
        assert (pushed["rated"], pushed["satisfied"], pushed["unsatisfied"]) == (1, 0, 1)
        assert (pushed["by_ivr"], pushed["by_staff"]) == (1, 0)
        await asyncio.to_thread(survey.record, "L-b0", "ordinary", NOW + 6)
        pushed = await asyncio.wait_for(next_split(lines.__anext__), 1.0)
        assert (pushed["rated"], pushed["ordinary_pct"], pushed["unsatisfied_pct"]) == (2, 50.0, 50.0)
        # The caller's rating stands (a second key changes nothing), an edit without a
        # rating is no rating: nothing more is pushed.
        await asyncio.to_thread(survey.record, "L-b0", "satisfied", NOW + 7)
        r = await lead.patch(f"/api/tickets/{web.ticket['L-a2']}", {"content": "no rating"})
        assert r.status_code == 200
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(next_split(lines.__anext__), 0.3)
    # What the store holds is what a restarted daemon starts from.
    seed = rating_seed(web.engine, NOW + 10, TZ)
    assert seed == {"sales": {("unsatisfied", "ivr"): 1, ("ordinary", "ivr"): 1}}
    assert rating_seed(web.engine, NOW + 86400, TZ) == {}  # tomorrow: nothing rated yet


def test_rate_by_caller_reports_what_it_changed(web: Web) -> None:
    rules = TicketRules()
    stored = tickets.rate_by_caller(web.engine, "L-b1", "satisfied", NOW, points=0, rules=rules,
                                    deadline=lambda _rule, start: start)
    assert stored is not None and stored.change is not None
    assert stored.change.after == Rating("satisfied", "ivr", NOW) and stored.change.before is None
    again = tickets.rate_by_caller(web.engine, "L-b1", "unsatisfied", NOW, points=0, rules=rules,
                                   deadline=lambda _rule, start: start)
    assert again is not None and not again.stored and again.change is None
