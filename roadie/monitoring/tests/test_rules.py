"""The rules as pure functions, and the memory-leak detector against recorded series."""

from statistics import median

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from roadie.monitoring.rules import (
    DEFAULTS,
    FIRING,
    RESOLVED,
    THRESHOLD_RULES,
    backup_check,
    effective_rules,
    heartbeat_check,
    threshold_step,
)
from roadie.monitoring.rules.memory_leak import (
    BUCKET_SECONDS,
    Assessment,
    assess,
    bucket_offset,
    floor_of,
    leak_close,
    leak_feed,
    leak_judge,
    spearman,
    theil_sen,
)
from roadie.monitoring.tests.series import GB, MB, T0, recorded


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


CPU = THRESHOLD_RULES["cpu_high"]
CPU_PARAMS = DEFAULTS["cpu_high"]
LEAK = DEFAULTS["memory_leak"]


def feed_cpu(values, *, start=T0, step=60.0, state=None):
    state = {} if state is None else state
    changes = []
    for i, value in enumerate(values):
        change = threshold_step(
            state,
            rule="cpu_high",
            spec=CPU,
            params=CPU_PARAMS,
            labels={},
            ts=start + i * step,
            value=value,
        )
        if change:
            changes.append(change)
    return changes, state


# --- thresholds -------------------------------------------------------------------------------


def test_cpu_over_90_fires_after_five_minutes_held_by_sample_time():
    changes, _state = feed_cpu([95] * 5)
    assert changes == []  # 4 minutes held
    changes, _state = feed_cpu([95] * 6)
    assert [c.status for c in changes] == [FIRING]
    assert changes[0].at == T0  # the alert starts when the condition began
    assert changes[0].annotations["confirmed_at"] == T0 + 300
    assert "95%" in changes[0].summary


def test_a_dip_restarts_the_hold():
    changes, _state = feed_cpu([95, 95, 95, 80, 95, 95, 95, 95, 95])
    assert changes == []


def test_resolves_on_the_first_sample_below():
    changes, _state = feed_cpu([95] * 6 + [50])
    assert [c.status for c in changes] == [FIRING, RESOLVED]
    assert changes[1].at == T0 + 6 * 60


def test_a_gap_in_samples_does_not_count_as_held():
    # Two samples ten minutes apart do not prove ten minutes over 90 %.
    changes, _state = feed_cpu([95, 95], step=600)
    assert changes == []


def test_a_late_batch_is_judged_as_it_happened():
    # The agent resends an hour-old outage: timestamps decide, not arrival.
    changes, _state = feed_cpu([97] * 10, start=T0 - 3600)
    assert changes[0].at == T0 - 3600


def test_samples_older_than_the_last_one_are_ignored():
    changes, state = feed_cpu([95] * 3)
    again, _state = feed_cpu([95] * 3, state=state)
    assert changes == [] and again == []


def test_overrides_layer_over_product_defaults_over_code_defaults():
    rules = effective_rules(
        {"cpu_high": (True, {"threshold": 80.0})},
        {"cpu_high": (True, {"for_seconds": 60}), "disk_full": (False, {})},
    )
    assert rules["cpu_high"].params["threshold"] == 80.0
    assert rules["cpu_high"].params["for_seconds"] == 60
    assert rules["disk_full"].enabled is False
    assert rules["memory_leak"].params == LEAK


# --- heartbeat and backup ------------------------------------------------------------------------


def test_heartbeat_missing_fires_after_the_window_and_resolves_on_report():
    params = DEFAULTS["heartbeat_missing"]
    assert (
        heartbeat_check(
            last_heartbeat=T0, last_report=T0, firing=False, now=T0 + 299, params=params
        )
        is None
    )
    fired = heartbeat_check(
        last_heartbeat=T0, last_report=T0, firing=False, now=T0 + 301, params=params
    )
    assert fired.status == FIRING and fired.at == T0 and fired.outage
    back = heartbeat_check(
        last_heartbeat=T0 + 900, last_report=T0 + 905, firing=True, now=T0 + 910, params=params
    )
    assert back.status == RESOLVED and back.at == T0 + 905


def test_never_reported_is_not_missing():
    params = DEFAULTS["heartbeat_missing"]
    assert (
        heartbeat_check(last_heartbeat=None, last_report=None, firing=False, now=T0, params=params)
        is None
    )


def test_backup_older_than_a_day_is_stale():
    params = DEFAULTS["backup_stale"]
    fresh = backup_check(newest_backup=T0, seen_at=T0, firing=False, now=T0 + 86000, params=params)
    assert fresh is None
    stale = backup_check(newest_backup=T0, seen_at=T0, firing=False, now=T0 + 90000, params=params)
    assert stale.status == FIRING and stale.at == T0 + 86400
    assert "25 h" in stale.summary
    back = backup_check(
        newest_backup=T0 + 90000, seen_at=T0 + 90060, firing=True, now=T0 + 90100, params=params
    )
    assert back.status == RESOLVED and back.at == T0 + 90060


# --- robust statistics ---------------------------------------------------------------------------


def test_theil_sen_ignores_outliers():
    xs = list(range(20))
    ys = [2.0 * x + 1 for x in xs]
    ys[5] = 500.0
    ys[12] = -300.0
    assert theil_sen(xs, ys) == pytest.approx(2.0)


def test_spearman_of_monotone_and_flat_series():
    xs = list(range(10))
    assert spearman(xs, [x**3 for x in xs]) == pytest.approx(1.0)
    assert spearman(xs, [5.0] * 10) == 0.0


def test_theil_sen_skips_pairs_taken_at_the_same_time():
    assert theil_sen([0, 0, 1, 2], [0, 4, 1, 2]) == pytest.approx(1.0)  # slopes -3, -1, 1, 1, 1


@settings(max_examples=200, deadline=None, database=None)
@given(
    steps=st.lists(st.integers(0, 8), min_size=0, max_size=30),
    values=st.lists(st.integers(0, 64 * 2**30), min_size=30, max_size=30),
)
def test_theil_sen_is_the_median_of_every_pairwise_slope(steps, values):
    # Bucket starts (a step of 0 repeats a time) and whole bytes, as the leak history holds.
    xs = [1_795_996_800 + 900 * sum(steps[: i + 1]) for i in range(len(steps))]
    ys = values[: len(xs)]
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for i in range(len(xs))
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    ]
    assert theil_sen(xs, ys) == (median(slopes) if slopes else 0.0)


def test_the_floor_is_the_lowest_of_the_last_four_bucket_minimums():
    assert floor_of([5, 3, 4, 6, 7, 8, 2, 9]) == [5, 3, 3, 3, 3, 4, 2, 2]


# --- memory leak: recorded series replayed ------------------------------------------------------


def replay(points, *, deployment_id=7):
    """Feed a recorded series through the leak buckets as the rule cycle does."""
    state, history = {}, []
    changes, assessments = [], []
    for p in points:
        closed = leak_feed(state, ts=p.ts, value=p.rss, offset=bucket_offset(deployment_id))
        if closed:
            change, assessment = leak_close(
                state,
                history,
                closed,
                headroom=p.host_total - p.host_used,
                labels={"process": "srs"},
                params=LEAK,
            )
            assessments.append((p, assessment))
            if change:
                changes.append((p, change))
    return changes, assessments


def test_a_real_leak_with_gc_sawtooth_fires_with_a_sane_projection():
    points = list(recorded(leak_per_hour=250 * MB, hours=12))
    changes, _assessments = replay(points)
    assert changes, "the leak was not detected"
    point, change = changes[0]
    assert change.status == FIRING and change.rule == "memory_leak"
    assert change.labels == {"process": "srs"}
    # The growth rate is the leak's (250 MB/h), not the saw-tooth's climb (~2.5 GB/h).
    assert change.annotations["growth_mb_per_hour"] == pytest.approx(250, rel=0.1)
    # The projection is the real time left: free memory at that moment over the leak rate.
    hours_left = (point.host_total - (6 * GB + 1.5 * GB + 250 * MB * (point.ts - T0) / 3600)) / (
        250 * MB
    )
    assert change.annotations["hours_left"] == pytest.approx(hours_left, rel=0.2)
    assert change.severity == "warning"  # more than 4 h left
    assert "MB/h" in change.summary
    assert f"{change.annotations['hours_left']:.1f} h" in change.summary


def test_a_fast_leak_escalates_to_critical_under_four_hours():
    points = list(recorded(leak_per_hour=900 * MB, hours=9))
    changes, _assessments = replay(points)
    severities = [c.severity for _p, c in changes if c.status == FIRING]
    assert severities[0] == "warning"
    assert "critical" in severities
    _p, critical = next((p, c) for p, c in changes if c.severity == "critical")
    assert critical.annotations["hours_left"] < 4


def test_a_sawtooth_that_does_not_grow_never_fires():
    for seed in range(1, 6):
        changes, assessments = replay(list(recorded(hours=24, seed=seed)))
        assert changes == []
        assert all(a.verdict != "hit" for _p, a in assessments)


def test_a_slow_leak_far_from_exhaustion_does_not_fire():
    changes, assessments = replay(list(recorded(hours=24, leak_per_hour=20 * MB)))
    assert changes == []
    assert assessments[-1][1].reason == "far"  # seen, but days away


def test_a_restart_in_the_middle_gives_no_false_alarm():
    for hour in (3, 8, 12, 16):
        for seed in (1, 2, 3):
            changes, _a = replay(
                list(recorded(hours=24, restart_at_hour=hour, warmup_minutes=40, seed=seed))
            )
            assert changes == [], f"restart at {hour} h (seed {seed}) raised an alarm"


def test_a_restart_cuts_the_window_and_the_leak_is_found_again_after_it():
    points = list(recorded(hours=24, leak_per_hour=250 * MB, restart_at_hour=9))
    changes, assessments = replay(points)
    # Right after the restart there is too little history to judge.
    after = [a for p, a in assessments if T0 + 9 * 3600 < p.ts < T0 + 11 * 3600]
    assert after and all(a.reason == "insufficient" for a in after)
    assert any(c.status == FIRING and p.ts > T0 + 12 * 3600 for p, c in changes)


def test_consecutive_hits_before_firing_and_hysteresis_before_resolving():
    state = {}
    hit = assess_result("hit")
    clear = assess_result("clear")
    outcomes = [
        leak_judge(state, a, labels={}, at=T0 + i * BUCKET_SECONDS, params=LEAK)
        for i, a in enumerate([hit, hit, clear, hit, hit, hit, clear, clear, clear, hit])
    ]
    fired = [i for i, o in enumerate(outcomes) if o and o.status == FIRING]
    assert fired == [5]  # three hits in a row; the clear at 2 reset the count
    assert all(o is None or o.status != RESOLVED for o in outcomes)  # one hit resets the clears
    more = [leak_judge(state, clear, labels={}, at=T0, params=LEAK) for _ in range(LEAK["clear"])]
    assert [o.status for o in more if o] == [RESOLVED]


def assess_result(verdict):
    if verdict == "hit":
        return Assessment("hit", "projected", 100 * MB, 10.0, 0.99, 1.0, 48, "warning")
    return Assessment("clear", "no_trend")


def test_no_projection_without_the_host_total():
    points = [(T0 + i * BUCKET_SECONDS, 1 * GB + i * 50 * MB) for i in range(20)]
    assert assess(points, headroom=None, params=LEAK).reason == "no_headroom"


def test_alert_texts_are_written_in_the_site_language():
    with translation.override("zh-hans"):
        changes, _state = feed_cpu([95] * 6)
    assert changes[0].summary == "CPU 95% 已持续 5 分钟（阈值 90%）"
