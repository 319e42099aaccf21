"""When does a KPI reach its target at the current trend? A straight line fitted to the last 24 periods, with an
80% band on its slope (issue 10, part 3). numpy only, no Streamlit: the branch page, the card help, the trend
charts and the PDF pack will call the same function.

A KPI is "reached" when its value at the last period already meets the target, "on track" when the line
meets it within HORIZON months, and "not on track" when the trend is flat (the slope's band holds zero), runs
away from the target, or meets it later than that.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

WINDOW = 24  # periods the line is fitted to
HORIZON = 36  # months ahead beyond which a date is "not on track"
BAND = 0.80  # two-sided coverage of the slope's band
MIN_POINTS = 6  # fewer values than this say nothing about a trend
STATES = ("reached", "on_track", "not_on_track", "too_short")


@dataclass(frozen=True)
class Reach:
    state: str  # one of STATES
    period: dt.date | None  # when the fitted line meets the target (the last period when already reached)
    earliest: dt.date | None  # with the steeper end of the slope's band
    latest: dt.date | None  # with the flatter end; None when that end never gets there within HORIZON
    slope: float | None  # per month
    slope_low: float | None
    slope_high: float | None
    fitted_last: float | None  # the line's value at the last period
    last: dt.date | None = None  # the last period fitted


def projection(reach: Reach, months: int = 12) -> list[tuple[dt.date, float, float, float]]:
    """(period, line, band low, band high) for the `months` after the last fitted period: the line and its 80%
    band drawn "at current trend" on a chart. Empty for a KPI already reached or without a trend."""
    if reach.state not in ("on_track", "not_on_track") or reach.last is None:
        return []
    out = []
    for m in range(1, months + 1):
        ends = (reach.fitted_last + reach.slope_low * m, reach.fitted_last + reach.slope_high * m)
        out.append((month_shift(reach.last, m), reach.fitted_last + reach.slope * m, min(ends), max(ends)))
    return out


def month_shift(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _t_quantile(p: float, dof: int) -> float:
    """Student's t quantile by the Cornish-Fisher expansion of the normal one (close enough from 4 degrees of
    freedom on, which MIN_POINTS guarantees)."""
    z = NormalDist().inv_cdf(p)
    return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)


def _months_to(gap: float, slope: float) -> int | None:
    """Whole months for a line rising (or falling) at `slope` to cover `gap`; None when it never does."""
    if slope == 0 or gap / slope < 0:
        return None
    return max(1, math.ceil(gap / slope - 1e-9))


def reach(periods: Sequence[dt.date], values: Sequence[float | None], target: float | None, direction: str | None,
          *, window: int = WINDOW, horizon: int = HORIZON, band: float = BAND) -> Reach:
    """When the trend of `values` (one per monthly period, oldest first; None or NaN for a missing one) meets
    `target` for a KPI where `direction` ('higher' or 'lower') is better."""
    pairs = [(p, float(v)) for p, v in zip(periods, values)
             if v is not None and not (isinstance(v, float) and math.isnan(v))]
    nothing = Reach("too_short", None, None, None, None, None, None, None)
    if target is None or direction not in ("higher", "lower") or len(pairs) < MIN_POINTS:
        return nothing
    pairs = pairs[-window:]
    last = pairs[-1][0]
    x = np.array([(p.year - last.year) * 12 + p.month - last.month for p, _ in pairs], dtype=float)
    y = np.array([v for _, v in pairs])
    slope, intercept = np.polyfit(x, y, 1)  # x is 0 at the last period: intercept is the line's value there
    residuals = y - (slope * x + intercept)
    dof = len(x) - 2
    sxx = float(((x - x.mean()) ** 2).sum())
    se = math.sqrt(float((residuals ** 2).sum()) / dof / sxx) if sxx > 0 else 0.0
    half = _t_quantile(0.5 + band / 2, dof) * se
    low, high = float(slope - half), float(slope + half)
    sign = 1 if direction == "higher" else -1
    common = dict(slope=float(slope), slope_low=low, slope_high=high, fitted_last=float(intercept), last=last)
    if sign * (y[-1] - target) >= 0:  # the last value itself meets it (as the page's status says)
        return Reach("reached", last, last, last, **common)
    # how far short the line is at the last period; a line already past the target (a value below a rising
    # trend) meets it in the next month
    gap = max(sign * (target - intercept), 1e-12)
    good_slope = sign * slope
    steep = max(sign * low, sign * high)
    flat = min(sign * low, sign * high)
    if flat <= 0 or good_slope <= 0:  # flat (the band holds zero) or running away from the target
        return Reach("not_on_track", None, None, None, **common)
    months = _months_to(gap, good_slope)
    if months is None or months > horizon:
        return Reach("not_on_track", None, None, None, **common)
    soonest = _months_to(gap, steep)
    slowest = _months_to(gap, flat)
    return Reach("on_track", month_shift(last, months), month_shift(last, soonest) if soonest else None,
                 month_shift(last, slowest) if slowest and slowest <= horizon else None, **common)
