from __future__ import annotations

from callcenter.domain.surge import Sample, SurgeLevel, SurgeMonitor, SurgeSettings

STEP = 5.0  # the daemon samples each queue every 5 s


def series(*runs: tuple[float, int], start: float = 0.0) -> list[Sample]:
    """(duration_s, waiting) runs -> one sample every STEP seconds."""
    out, t = [], start
    for duration, waiting in runs:
        end = t + duration
        while t < end:
            out.append(Sample(t, waiting))
            t += STEP
    return out


def levels_over(monitor: SurgeMonitor, samples: list[Sample]) -> list[tuple[float, SurgeLevel]]:
    """Evaluate after every sample, as the scheduler would."""
    changes = []
    for i, sample in enumerate(samples):
        transition = monitor.evaluate(samples[: i + 1], sample.at)
        if transition is not None:
            changes.append((transition.at, transition.level))
    return changes


def test_more_than_8_for_30_minutes_is_level_1_with_early_warning_at_5() -> None:
    changes = levels_over(SurgeMonitor(SurgeSettings()), series((1900, 9)))
    assert changes == [(300.0, SurgeLevel.EARLY_WARNING), (1800.0, SurgeLevel.LEVEL_1)]


def test_exactly_8_is_not_a_surge_but_the_comparison_is_a_setting() -> None:
    assert levels_over(SurgeMonitor(SurgeSettings()), series((2000, 8))) == []
    inclusive = SurgeSettings(level1_inclusive=True)
    assert levels_over(SurgeMonitor(inclusive), series((2000, 8)))[-1] == (1800.0, SurgeLevel.LEVEL_1)


def test_16_for_30_minutes_escalates_to_level_2() -> None:
    changes = levels_over(SurgeMonitor(SurgeSettings()), series((1900, 16)))
    assert changes[-1] == (1800.0, SurgeLevel.LEVEL_2)


def test_resume_only_after_the_cool_down_no_flapping() -> None:
    samples = series((1805, 10), (240, 3), (60, 12), (400, 3))
    changes = levels_over(SurgeMonitor(SurgeSettings()), samples)
    # level 1 at 30 min; 4 min calm then a spike keeps it; 5 full calm minutes end it.
    assert changes == [(300.0, SurgeLevel.EARLY_WARNING), (1800.0, SurgeLevel.LEVEL_1),
                       (2105.0 + 300.0, SurgeLevel.NORMAL)]


def test_a_restart_at_minute_29_does_not_restart_the_clock() -> None:
    samples = series((29 * 60, 9))
    before = SurgeMonitor(SurgeSettings())
    levels_over(before, samples)
    assert before.level == SurgeLevel.EARLY_WARNING
    # The daemon restarts: a fresh monitor reads the stored series (10 s hole).
    after = SurgeMonitor(SurgeSettings(), level=before.level)
    more = samples + series((120, 9), start=29 * 60 + 10)
    transition = after.evaluate([s for s in more if s.at <= 1800], 1800)
    assert transition is not None and transition.level == SurgeLevel.LEVEL_1
    assert transition.evidence[0].at <= 1800 - 1800 + 60  # the samples that caused it


def test_a_long_hole_in_the_series_breaks_the_run() -> None:
    samples = series((900, 9)) + series((1000, 9), start=900 + 120)
    changes = levels_over(SurgeMonitor(SurgeSettings()), samples)
    assert SurgeLevel.LEVEL_1 not in [level for _, level in changes]
