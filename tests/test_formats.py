"""Formatting in Vietnamese and English. Expected strings are written by hand from the rules:
vi thousands '.', decimals ','; en the reverse; rounding half away from zero on the printed value;
missing values '–'."""
from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from dashboard.formats import (
    fmt_date,
    fmt_datetime,
    fmt_days,
    fmt_delta,
    fmt_kpi,
    fmt_kwh,
    fmt_money,
    fmt_number,
    fmt_percent,
    fmt_period,
    fmt_period_range,
    fmt_pp,
    month_tick_labels,
    plotly_hover_month_format,
    plotly_separators,
    to_month,
)

MISSING_VALUES = [None, float("nan"), np.nan, pd.NA, pd.NaT, math.inf]


@pytest.mark.parametrize("x, lang, decimals, expected", [
    (13766, "vi", 0, "13.766"),
    (13766, "en", 0, "13,766"),
    (303240, "vi", 0, "303.240"),
    (1196, "vi", 0, "1.196"),
    (999, "vi", 0, "999"),
    (0, "en", 0, "0"),
    (-1234567, "vi", 0, "-1.234.567"),
    (-1234567, "en", 0, "-1,234,567"),
    (1234.5, "vi", 1, "1.234,5"),
    (1234.5, "en", 1, "1,234.5"),
    (2.5, "vi", 0, "3"),           # half away from zero
    (-2.5, "en", 0, "-3"),
    (3.5, "en", 0, "4"),
    (-0.4, "vi", 0, "0"),          # no '-0'
    (999.5, "vi", 0, "1.000"),
    (1.005, "en", 2, "1.01"),      # the printed 1.005 rounds up, not the binary 1.00499…
    (np.int64(13766), "vi", 0, "13.766"),
    (np.float64(0.25), "en", 1, "0.3"),
    (Decimal("1234.45"), "vi", 1, "1.234,5"),
    (1234567.891, "en", 2, "1,234,567.89"),
])
def test_fmt_number(x, lang, decimals, expected):
    assert fmt_number(x, lang, decimals) == expected


def test_fmt_number_signed():
    assert fmt_number(120, "vi", signed=True) == "+120"
    assert fmt_number(-1200, "vi", signed=True) == "-1.200"
    assert fmt_number(0, "en", signed=True) == "0"


@pytest.mark.parametrize("ratio, lang, decimals, expected", [
    (0.9756, "vi", 2, "97,56%"),
    (0.9756, "en", 2, "97.56%"),
    (0.2418, "vi", 2, "24,18%"),
    (0.97555, "vi", 2, "97,56%"),   # rounding edge: printed value rounds up
    (0.97555, "en", 2, "97.56%"),
    (0.97545, "en", 2, "97.55%"),
    (0.97554, "vi", 2, "97,55%"),
    (1, "vi", 2, "100,00%"),
    (0, "en", 2, "0.00%"),
    (-0.0123, "vi", 2, "-1,23%"),
    (-0.00004, "vi", 2, "0,00%"),
    (0.047, "vi", 1, "4,7%"),
    (0.0041, "en", 1, "0.4%"),
    (12.3456, "en", 2, "1,234.56%"),
    (12.3456, "vi", 2, "1.234,56%"),
    (0.5, "vi", 0, "50%"),
])
def test_fmt_percent(ratio, lang, decimals, expected):
    assert fmt_percent(ratio, lang, decimals) == expected


@pytest.mark.parametrize("delta, lang, expected", [
    (0.012, "vi", "+1,2 điểm %"),
    (0.012, "en", "+1.2 pp"),
    (-0.012, "vi", "-1,2 điểm %"),
    (-0.012, "en", "-1.2 pp"),
    (0.0, "en", "0.0 pp"),
    (0.00049, "vi", "0,0 điểm %"),
    (-0.00049, "vi", "0,0 điểm %"),
    (0.0005, "en", "+0.1 pp"),
    (0.15, "vi", "+15,0 điểm %"),
])
def test_fmt_pp(delta, lang, expected):
    assert fmt_pp(delta, lang) == expected


@pytest.mark.parametrize("vnd, lang, expected", [
    (249000, "vi", "249.000 đ"),
    (249000, "en", "249,000 ₫"),
    (999999, "vi", "999.999 đ"),
    (0, "vi", "0 đ"),
    (1_000_000, "vi", "1,0 tr.đ"),
    (12_345_678, "vi", "12,3 tr.đ"),
    (12_345_678, "en", "12.3 M₫"),
    (12_350_000, "vi", "12,4 tr.đ"),
    (999_940_000, "vi", "999,9 tr.đ"),
    (999_960_000, "vi", "1,00 tỷ đồng"),   # would round to 1.000,0 tr.đ: promoted
    (1_234_567_890, "vi", "1,23 tỷ đồng"),
    (1_234_567_890, "en", "1.23 bn ₫"),
    (1_234_567_890_123, "vi", "1.234,57 tỷ đồng"),
    (-12_345_678, "vi", "-12,3 tr.đ"),
    (-249000, "en", "-249,000 ₫"),
    (999_999.6, "vi", "1,0 tr.đ"),
    (1234.4, "vi", "1.234 đ"),
])
def test_fmt_money(vnd, lang, expected):
    assert fmt_money(vnd, lang) == expected


@pytest.mark.parametrize("vnd, lang, expected", [
    (1_234_567, "vi", "1.234.567 đ"),
    (1_234_567, "en", "1,234,567 ₫"),
    (1_234_567_890, "vi", "1.234.567.890 đ"),
])
def test_fmt_money_full(vnd, lang, expected):
    assert fmt_money(vnd, lang, compact=False) == expected


@pytest.mark.parametrize("x, lang, expected", [
    (3.5, "vi", "3,5 ngày"),
    (3.5, "en", "3.5 days"),
    (3, "vi", "3,0 ngày"),
    (2.25, "en", "2.3 days"),
    (12.04, "vi", "12,0 ngày"),
])
def test_fmt_days(x, lang, expected):
    assert fmt_days(x, lang) == expected


@pytest.mark.parametrize("x, lang, expected", [
    (1234.4, "vi", "1.234 kWh"),
    (1234.5, "en", "1,235 kWh"),
    (-87.6, "vi", "-88 kWh"),
])
def test_fmt_kwh(x, lang, expected):
    assert fmt_kwh(x, lang) == expected


@pytest.mark.parametrize("value, unit, lang, expected", [
    (0.9756, "share", "vi", "97,56%"),
    (0.9756, "share", "en", "97.56%"),
    (13766, "count", "vi", "13.766"),
    (13766, "count", "en", "13,766"),
    (4.25, "days", "vi", "4,3 ngày"),
    (1234.4, "kwh", "en", "1,234 kWh"),
    (12_345_678, "vnd", "vi", "12,3 tr.đ"),
    (None, "share", "vi", "–"),
    (float("nan"), "count", "en", "–"),
])
def test_fmt_kpi(value, unit, lang, expected):
    assert fmt_kpi(value, unit, lang) == expected


def test_fmt_kpi_unknown_unit_names_it():
    with pytest.raises(ValueError, match="furlongs"):
        fmt_kpi(1, "furlongs", "vi")


@pytest.mark.parametrize("delta, unit, lang, expected", [
    (0.012, "share", "vi", "+1,2 điểm %"),
    (-120, "count", "en", "-120"),
    (1200, "count", "vi", "+1.200"),
    (-0.5, "days", "vi", "-0,5 ngày"),
    (2_500_000, "vnd", "en", "+2.5 M₫"),
])
def test_fmt_delta(delta, unit, lang, expected):
    assert fmt_delta(delta, unit, lang) == expected


NUMBER_FORMATTERS = [fmt_number, fmt_percent, fmt_pp, fmt_money, fmt_days, fmt_kwh]
DATE_FORMATTERS = [fmt_period, fmt_date, fmt_datetime]


@pytest.mark.parametrize("fmt", NUMBER_FORMATTERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("missing", MISSING_VALUES, ids=repr)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_missing_numbers_show_a_dash(fmt, missing, lang):
    assert fmt(missing, lang) == "–"


@pytest.mark.parametrize("fmt", DATE_FORMATTERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT], ids=repr)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_missing_dates_show_a_dash(fmt, missing, lang):
    assert fmt(missing, lang) == "–"


@pytest.mark.parametrize("value, lang, style, expected", [
    (date(2020, 8, 1), "vi", "short", "T8/2020"),
    (date(2020, 8, 1), "en", "short", "Aug 2020"),
    (date(2020, 8, 1), "vi", "long", "Kỳ 08/2020"),
    (date(2020, 8, 1), "en", "long", "August 2020"),
    (date(2020, 12, 1), "vi", "short", "T12/2020"),
    ("2020-08", "vi", "short", "T8/2020"),
    ("2021-01-15", "en", "short", "Jan 2021"),
    (pd.Timestamp("2020-04-01"), "vi", "long", "Kỳ 04/2020"),
    (datetime(2020, 5, 31, 23, 0), "en", "short", "May 2020"),
    (np.datetime64("2020-09-01"), "vi", "short", "T9/2020"),
    (date(2020, 8, 1), "vi", "iso", "2020-08"),
])
def test_fmt_period(value, lang, style, expected):
    assert fmt_period(value, lang, style) == expected


def test_fmt_period_rejects_text_that_is_not_a_period():
    with pytest.raises(ValueError):
        fmt_period("abc", "vi")
    with pytest.raises(ValueError):
        fmt_period(date(2020, 8, 1), "vi", style="fancy")


def test_fmt_period_range():
    assert fmt_period_range(date(2019, 9, 1), date(2020, 8, 1), "vi") == "T9/2019 – T8/2020"
    assert fmt_period_range("2020-08", "2020-08", "en") == "Aug 2020"


@pytest.mark.parametrize("d, lang, expected", [
    (date(2020, 8, 5), "vi", "05/08/2020"),
    (date(2020, 8, 5), "en", "2020-08-05"),
    ("2020-10-28", "vi", "28/10/2020"),
    (pd.Timestamp("2021-07-19 10:00"), "en", "2021-07-19"),
])
def test_fmt_date(d, lang, expected):
    assert fmt_date(d, lang) == expected


@pytest.mark.parametrize("dt, lang, expected", [
    (datetime(2020, 8, 5, 7, 3, tzinfo=UTC), "vi", "05/08/2020 14:03 (GMT+7)"),
    (datetime(2020, 8, 31, 20, 0, tzinfo=UTC), "en", "2020-09-01 03:00 (GMT+7)"),
    (datetime(2020, 8, 5, 7, 3), "vi", "05/08/2020 07:03"),
    (pd.Timestamp("2020-08-05 07:03"), "en", "2020-08-05 07:03"),
])
def test_fmt_datetime(dt, lang, expected):
    assert fmt_datetime(dt, lang) == expected


def test_plotly_separators():
    assert plotly_separators("vi") == ",."
    assert plotly_separators("en") == ".,"


def test_plotly_hover_month_format():
    assert plotly_hover_month_format("vi") == "T%-m/%Y"
    assert plotly_hover_month_format("en") == "%b %Y"


def test_month_tick_labels_short_range():
    dates = [date(2020, 8, 1), date(2020, 6, 1), date(2020, 7, 1), date(2020, 7, 1)]
    assert month_tick_labels(dates, "vi") == (
        ["2020-06-01", "2020-07-01", "2020-08-01"], ["T6/2020", "T7/2020", "T8/2020"])
    assert month_tick_labels(dates, "en")[1] == ["Jun 2020", "Jul 2020", "Aug 2020"]


def test_month_tick_labels_thin_long_ranges_and_keep_the_latest():
    dates = pd.date_range("2019-01-01", "2020-12-01", freq="MS")  # 24 months
    vals, text = month_tick_labels(dates, "vi")
    assert len(vals) == 12
    assert vals[-1] == "2020-12-01" and text[-1] == "T12/2020"
    assert vals[0] == "2019-02-01" and text[0] == "T2/2019"
    vals36, _ = month_tick_labels(pd.date_range("2019-01-01", "2021-12-01", freq="MS"), "en")
    assert len(vals36) == 12 and vals36[-1] == "2021-12-01" and vals36[-2] == "2021-09-01"


def test_month_tick_labels_empty():
    assert month_tick_labels([], "vi") == ([], [])
    assert month_tick_labels([None, pd.NaT], "en") == ([], [])


def test_to_month():
    assert to_month("2020-08") == date(2020, 8, 1)
    assert to_month(date(2020, 8, 17)) == date(2020, 8, 1)
    assert to_month(None) is None


@pytest.mark.parametrize("call", [
    lambda: fmt_number(1, "fr"),
    lambda: fmt_percent(0.5, "VI"),
    lambda: fmt_period(date(2020, 1, 1), "de"),
    lambda: plotly_separators("xx"),
])
def test_unknown_language_raises(call):
    with pytest.raises(ValueError):
        call()


def test_no_system_locale_dependence(monkeypatch):
    import locale
    before = locale.setlocale(locale.LC_ALL)  # restored after: "C" would leave the rest of the suite in ASCII
    for name in ("de_DE.UTF-8", "fr_FR.UTF-8", "vi_VN.UTF-8", "C.UTF-8"):
        try:
            locale.setlocale(locale.LC_ALL, name)
            break
        except locale.Error:
            continue
    try:
        assert fmt_number(1234567.5, "en", 1) == "1,234,567.5"
        assert fmt_number(1234567.5, "vi", 1) == "1.234.567,5"
    finally:
        locale.setlocale(locale.LC_ALL, before)
