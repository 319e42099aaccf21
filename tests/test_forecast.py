"""When a KPI reaches its target at the current trend: hand-made series whose answer can be worked out by hand."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from dashboard import forecast

START = dt.date(2021, 1, 1)
PERIODS = [forecast.month_shift(START, i) for i in range(24)]  # 2021-01 … 2022-12
LAST = PERIODS[-1]


def line(start: float, per_month: float, noise: float = 0.0) -> list[float]:
    """A straight line with an alternating wiggle of ±noise (deterministic)."""
    return [start + per_month * i + (noise if i % 2 else -noise) for i in range(len(PERIODS))]


def test_a_straight_line_meets_the_target_when_arithmetic_says():
    # 0.50 at 2022-12 rising 0.01 a month: 0.60 is 10 months on, 2023-10; no noise, so the band is the line
    got = forecast.reach(PERIODS, line(0.27, 0.01), 0.60, "higher")
    assert got.state == "on_track"
    assert got.period == dt.date(2023, 10, 1) == got.earliest == got.latest
    assert got.slope == pytest.approx(0.01) and got.fitted_last == pytest.approx(0.50)


def test_lower_is_better_counts_downwards():
    got = forecast.reach(PERIODS, line(0.10, -0.002), 0.03, "lower")  # 0.054 at the end, 12 months to 0.03
    assert got.state == "on_track" and got.period == dt.date(2023, 12, 1)


def test_noise_widens_the_band_around_the_date():
    got = forecast.reach(PERIODS, line(0.27, 0.01, noise=0.04), 0.75, "higher")  # 25 months out
    assert got.state == "on_track"
    assert got.earliest < got.period < got.latest
    assert got.slope_low < got.slope < got.slope_high


@pytest.mark.parametrize("values, target, direction", [
    (line(0.50, 0.0, noise=0.01), 0.60, "higher"),  # flat: the slope's band holds zero
    (line(0.60, -0.005), 0.70, "higher"),  # running away from the target
    (line(0.10, 0.0005), 0.60, "higher"),  # rising, but years away (> 36 months)
    (line(0.05, 0.001), 0.02, "lower"),  # a lower-is-better KPI getting worse
])
def test_not_on_track(values, target, direction):
    got = forecast.reach(PERIODS, values, target, direction)
    assert got.state == "not_on_track" and got.period is None


def test_already_met_is_reached_at_the_last_period():
    got = forecast.reach(PERIODS, line(0.80, 0.001), 0.75, "higher")
    assert got.state == "reached" and got.period == LAST


def test_only_the_last_24_periods_count():
    old = [0.9] * 12  # a year of very different values before the window
    periods = [forecast.month_shift(START, i - 12) for i in range(12)] + PERIODS
    got = forecast.reach(periods, old + line(0.27, 0.01), 0.60, "higher")
    assert got.period == dt.date(2023, 10, 1)


@pytest.mark.parametrize("values, target, direction", [
    (line(0.27, 0.01)[:5], 0.60, "higher"),  # too few values
    ([None] * 20 + [0.5] * 4, 0.60, "higher"),
    (line(0.27, 0.01), None, "higher"),  # no target
    (line(0.27, 0.01), 0.60, None),  # a context figure without a direction
])
def test_too_short_or_not_applicable(values, target, direction):
    got = forecast.reach(PERIODS[:len(values)], values, target, direction)
    assert got.state == "too_short" and got.period is None


def test_missing_values_are_skipped():
    values = line(0.27, 0.01)
    values[5], values[9] = None, math.nan
    assert forecast.reach(PERIODS, values, 0.60, "higher").period == dt.date(2023, 10, 1)


@pytest.mark.parametrize("dof, expected", [(4, 1.533), (10, 1.372), (22, 1.321), (200, 1.286)])
def test_t_quantile_for_the_80_percent_band(dof, expected):
    assert forecast._t_quantile(0.9, dof) == pytest.approx(expected, abs=0.01)


def test_reached_follows_the_last_value_not_the_line():
    # the last value meets the target though the line fitted through noise sits just short of it
    values = line(0.70, 0.0, noise=0.01)
    values[-1] = 0.72
    got = forecast.reach(PERIODS, values, 0.715, "higher")
    assert got.fitted_last < 0.715 and got.state == "reached" and got.period == LAST


def test_a_line_already_past_the_target_meets_it_next_month():
    values = line(0.27, 0.01)
    values[-1] = 0.45  # one bad month under a line at 0.50
    got = forecast.reach(PERIODS, values, 0.48, "higher")
    assert got.state == "on_track" and got.period == forecast.month_shift(LAST, 1)
