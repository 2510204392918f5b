from __future__ import annotations

import pytest

from callcenter.domain.callbacks import (
    Contact,
    Outcome,
    Pacing,
    RetryPolicy,
    after_outcome,
    free_slots,
    network_outcome,
)


@pytest.mark.parametrize(("reason", "cause", "expected"), [
    (4, None, None),  # answered: the agent records the outcome
    (3, None, Outcome.NO_ANSWER), (5, None, Outcome.BUSY), (8, None, Outcome.BUSY),
    (0, None, Outcome.FAILED), (1, 1, Outcome.NOT_EXIST), (1, 20, Outcome.POWERED_OFF),
    (1, 17, Outcome.BUSY), (0, 27, Outcome.SUSPENDED),
])
def test_network_outcomes(reason: int, cause: int | None, expected: Outcome | None) -> None:
    assert network_outcome(reason, cause) is expected


def test_retry_follows_the_outcome() -> None:
    policy = RetryPolicy(max_attempts=3)
    fresh = Contact(1, "13800138000", deadline=10_000.0)
    busy = after_outcome(fresh, Outcome.BUSY, 100.0, policy)
    assert (busy.finished, busy.retry_at) == (False, 100.0 + 30 * 60)
    assert after_outcome(fresh, Outcome.SUCCESS, 100.0, policy).finished
    refused = after_outcome(fresh, Outcome.REFUSED, 100.0, policy)
    assert refused.finished and refused.do_not_call
    last = Contact(1, "13800138000", deadline=10_000.0, attempts=2)
    assert after_outcome(last, Outcome.NO_ANSWER, 100.0, policy).finished


def test_pacing_never_outruns_free_agents_and_respects_peaks_and_surges() -> None:
    pacing = Pacing(per_campaign=5, total=8, peak_agents=2)
    args = dict(in_flight_campaign=0, in_flight_total=0, in_predictable_peak=False,
                paused_by_surge=False)
    assert free_slots(pacing, free_agents=3, **args) == 3  # type: ignore[arg-type]
    assert free_slots(pacing, free_agents=0, **args) == 0  # type: ignore[arg-type]
    assert free_slots(pacing, free_agents=9, **{**args, "in_predictable_peak": True}) == 2  # type: ignore[arg-type]
    assert free_slots(pacing, free_agents=9, **{**args, "paused_by_surge": True}) == 0  # type: ignore[arg-type]
    assert free_slots(pacing, free_agents=9, **{**args, "in_flight_campaign": 4,  # type: ignore[arg-type]
                                                 "in_flight_total": 4}) == 1
