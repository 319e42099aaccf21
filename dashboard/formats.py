"""Number, money, period and date formatting in Vietnamese and English, without the system locale.

Rounding: half away from zero (Decimal ROUND_HALF_UP) applied to the number as Python prints it
(`repr(float)`), so 0.97555 shows as 97,56% like a person rounding the printed value would, not
97,55% from the binary artefact 0.975549999…. Negative numbers use an ASCII '-' (Streamlit's
st.metric reads a leading '-' as "down"); a value that rounds to zero never shows a sign.
Missing values (None, NaN, NaT, pd.NA) show as an en dash.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd

from dashboard.labels import LANGS

MISSING = "–"

_SEP = {"vi": (",", "."), "en": (".", ",")}  # lang -> (decimal, thousands)
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
# Vietnam has kept UTC+7 without daylight saving since 1975.
VN_TZ = timezone(timedelta(hours=7), "GMT+7")

UNITS = ("share", "count", "days", "kwh", "vnd")


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def is_missing(x: Any) -> bool:
    """True for None, NaN, NaT, pd.NA and infinities: values shown as an en dash."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, str):
        return False
    if isinstance(x, Decimal):
        return not x.is_finite()
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError, OverflowError):
        pass
    try:
        return pd.api.types.is_scalar(x) and bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _decimal(x: Any) -> Decimal:
    """The number as printed (shortest repr for floats), as an exact Decimal."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, numbers.Integral):
        return Decimal(int(x))
    try:
        return Decimal(repr(float(x)))
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise TypeError(f"not a number: {x!r}") from exc


def _round(d: Decimal, decimals: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


def _fmt_decimal(d: Decimal, decimals: int, lang: str, *, signed: bool = False) -> str:
    dec_sep, thou_sep = _SEP[lang]
    q = _round(d, decimals)
    if q == 0:
        sign = ""
        q = abs(q)
    elif q < 0:
        sign = "-"
    else:
        sign = "+" if signed else ""
    text = f"{abs(q):f}"
    int_part, _, frac = text.partition(".")
    out = _group(int_part, thou_sep)
    if decimals > 0:
        out += dec_sep + frac
    return sign + out


def fmt_number(x: Any, lang: str, decimals: int = 0, *, signed: bool = False) -> str:
    """13766 → '13.766' (vi) / '13,766' (en); `signed` adds '+' to positive values (for deltas)."""
    _check_lang(lang)
    if is_missing(x):
        return MISSING
    return _fmt_decimal(_decimal(x), decimals, lang, signed=signed)


def fmt_percent(ratio: Any, lang: str, decimals: int = 2, *, signed: bool = False) -> str:
    """A ratio in 0..1 as a percentage: 0.9756 → '97,56%' (vi) / '97.56%' (en)."""
    _check_lang(lang)
    if is_missing(ratio):
        return MISSING
    return _fmt_decimal(_decimal(ratio) * 100, decimals, lang, signed=signed) + "%"


def fmt_pp(delta_ratio: Any, lang: str, decimals: int = 1) -> str:
    """A difference of two ratios in percentage points, signed (a change that rounds to zero has no
    sign): 0.012 → '+1,2 điểm %' / '+1.2 pp'."""
    _check_lang(lang)
    if is_missing(delta_ratio):
        return MISSING
    number = _fmt_decimal(_decimal(delta_ratio) * 100, decimals, lang, signed=True)
    return f"{number} điểm %" if lang == "vi" else f"{number} pp"


_MONEY_UNITS = {
    # lang -> (whole đồng, millions, billions)
    "vi": ("đ", "tr.đ", "tỷ đồng"),
    "en": ("₫", "M₫", "bn ₫"),
}


def fmt_money(vnd: Any, lang: str, *, compact: bool = True, signed: bool = False) -> str:
    """Đồng amounts. compact (default): under 1 million in whole đồng ('249.000 đ'), from 1 million in
    millions with one decimal ('12,3 tr.đ' / '12.3 M₫'), from 1 billion in billions with two
    ('1,23 tỷ đồng' / '1.23 bn ₫'). compact=False: always whole đồng ('1.234.567 đ' / '1,234,567 ₫')."""
    _check_lang(lang)
    if is_missing(vnd):
        return MISSING
    whole_unit, million_unit, billion_unit = _MONEY_UNITS[lang]
    amount = _round(_decimal(vnd), 0)
    if not compact or abs(amount) < 1_000_000:
        return f"{_fmt_decimal(amount, 0, lang, signed=signed)} {whole_unit}"
    millions = _round(amount / Decimal(1_000_000), 1)
    if abs(millions) < 1000:  # 999.96 million rounds to 1000.0: show it in billions instead
        return f"{_fmt_decimal(millions, 1, lang, signed=signed)} {million_unit}"
    return f"{_fmt_decimal(amount / Decimal(1_000_000_000), 2, lang, signed=signed)} {billion_unit}"


def fmt_days(x: Any, lang: str, decimals: int = 1, *, signed: bool = False) -> str:
    """3.5 → '3,5 ngày' / '3.5 days'."""
    _check_lang(lang)
    if is_missing(x):
        return MISSING
    number = _fmt_decimal(_decimal(x), decimals, lang, signed=signed)
    return f"{number} ngày" if lang == "vi" else f"{number} days"


def fmt_kwh(x: Any, lang: str, decimals: int = 0, *, signed: bool = False) -> str:
    """1234.4 → '1.234 kWh' / '1,234 kWh'."""
    _check_lang(lang)
    if is_missing(x):
        return MISSING
    return f"{_fmt_decimal(_decimal(x), decimals, lang, signed=signed)} kWh"


def fmt_kpi(value: Any, unit: str, lang: str) -> str:
    """Format a KPI value by its `kpis.unit`: share, count, days, kwh or vnd."""
    if unit == "share":
        return fmt_percent(value, lang)
    if unit == "count":
        return fmt_number(value, lang)
    if unit == "days":
        return fmt_days(value, lang)
    if unit == "kwh":
        return fmt_kwh(value, lang)
    if unit == "vnd":
        return fmt_money(value, lang)
    raise ValueError(f"unknown KPI unit {unit!r}: expected one of {UNITS} (see queries/models/kpis.sql)")


def fmt_rank(rank: Any, ranked: Any, lang: str) -> str:
    """'3/9': the rank among the branches that have a value; an en dash when there is none."""
    if is_missing(rank) or not ranked:
        return MISSING
    return f"{fmt_number(rank, lang)}/{fmt_number(ranked, lang)}"


def is_unchanged(delta_text: str | None) -> bool:
    """A formatted change that rounds to zero ('0,0 điểm %', '0'): shown without an arrow or a colour."""
    return delta_text is not None and not delta_text.startswith(("+", "-", "−"))


def fmt_delta(delta: Any, unit: str, lang: str) -> str:
    """A signed change of a KPI for st.metric's delta: shares in percentage points, others in their unit."""
    if unit == "share":
        return fmt_pp(delta, lang)
    if unit == "count":
        return fmt_number(delta, lang, signed=True)
    if unit == "days":
        return fmt_days(delta, lang, signed=True)
    if unit == "kwh":
        return fmt_kwh(delta, lang, signed=True)
    if unit == "vnd":
        return fmt_money(delta, lang, signed=True)
    raise ValueError(f"unknown KPI unit {unit!r}: expected one of {UNITS} (see queries/models/kpis.sql)")


# ---------------------------------------------------------------- periods and dates

def to_month(x: Any) -> date | None:
    """The first day of the month of a date, datetime, Timestamp, 'YYYY-MM' or 'YYYY-MM-DD'; None if missing.

    Raises ValueError for text that is not one of those forms."""
    d = to_date(x)
    return None if d is None else date(d.year, d.month, 1)


def to_date(x: Any) -> date | None:
    """A date from a date, datetime, Timestamp, numpy datetime64, 'YYYY-MM' or ISO 'YYYY-MM-DD' text."""
    if is_missing(x):
        return None
    if isinstance(x, pd.Timestamp):
        return x.date()
    if isinstance(x, datetime):
        return x.date()
    if isinstance(x, date):
        return x
    if isinstance(x, str):
        s = x.strip()
        try:
            if len(s) == 7 and s[4] == "-":
                return date(int(s[:4]), int(s[5:7]), 1)
            if len(s) >= 10 and s[4] == "-" and s[7] == "-":
                return date.fromisoformat(s[:10])
        except ValueError:
            pass
        raise ValueError(f"not a period or date: {x!r} (expected YYYY-MM or YYYY-MM-DD)")
    try:
        return pd.Timestamp(x).date()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a period or date: {x!r}") from exc


def fmt_period(date_or_str: Any, lang: str, style: str = "short") -> str:
    """A billing period. short: 'T8/2020' / 'Aug 2020'; long: 'Kỳ 08/2020' / 'August 2020'; iso: '2020-08'."""
    _check_lang(lang)
    d = to_month(date_or_str)
    if d is None:
        return MISSING
    if style == "short":
        return f"T{d.month}/{d.year}" if lang == "vi" else f"{_MONTHS_EN[d.month - 1][:3]} {d.year}"
    if style == "long":
        return f"Kỳ {d.month:02d}/{d.year}" if lang == "vi" else f"{_MONTHS_EN[d.month - 1]} {d.year}"
    if style == "iso":
        return f"{d.year:04d}-{d.month:02d}"
    raise ValueError(f"style must be 'short', 'long' or 'iso', got {style!r}")


def fmt_period_range(start: Any, end: Any, lang: str, style: str = "short") -> str:
    """'T9/2019 – T8/2020'; a single period when both ends are the same month."""
    a, b = fmt_period(start, lang, style), fmt_period(end, lang, style)
    return a if a == b else f"{a} – {b}"


def fmt_date(d: Any, lang: str) -> str:
    """vi 'dd/mm/yyyy', en 'yyyy-mm-dd' (ISO, unambiguous for readers from anywhere)."""
    _check_lang(lang)
    day = to_date(d)
    if day is None:
        return MISSING
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}" if lang == "vi" else day.isoformat()


def as_utc(value: Any) -> Any:
    """A naive timestamp stored in UTC (the warehouse's built_at), made aware so fmt_datetime shows Vietnam time."""
    if is_missing(value):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp


def fmt_datetime(dt: Any, lang: str) -> str:
    """vi 'dd/mm/yyyy HH:MM', en 'yyyy-mm-dd HH:MM'. A time-zone-aware value is shown in Vietnam
    time with ' (GMT+7)'; a naive one as it is."""
    _check_lang(lang)
    if is_missing(dt):
        return MISSING
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt.strip())
    if isinstance(dt, pd.Timestamp):
        dt = dt.to_pydatetime()
    if not isinstance(dt, datetime):
        return fmt_date(dt, lang)
    suffix = ""
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        dt = dt.astimezone(VN_TZ)
        suffix = " (GMT+7)"
    return f"{fmt_date(dt, lang)} {dt.hour:02d}:{dt.minute:02d}{suffix}"


# ---------------------------------------------------------------- Plotly

def plotly_separators(lang: str) -> str:
    """Plotly layout.separators: decimal mark then thousands mark."""
    return "".join(_SEP[_check_lang(lang)])


def plotly_hover_month_format(lang: str) -> str:
    """d3 time format for a month on a date axis's hover label: 'T8/2020' / 'Aug 2020'."""
    return "T%-m/%Y" if _check_lang(lang) == "vi" else "%b %Y"


_TICK_STEPS = (1, 2, 3, 4, 6, 12)


def month_tick_labels(dates: Iterable[Any], lang: str, *, max_ticks: int = 12,
                      style: str = "short") -> tuple[list[str], list[str]]:
    """(tickvals, ticktext) for a monthly date axis: ISO 'YYYY-MM-01' values and labels such as
    'T8/2020'. With more months than max_ticks, every 2nd/3rd/4th/6th/12th month is labelled,
    counted back from the latest so the latest period always has a label."""
    _check_lang(lang)
    months = sorted({m for m in (to_month(d) for d in dates) if m is not None})
    if not months:
        return [], []
    span = (months[-1].year - months[0].year) * 12 + months[-1].month - months[0].month + 1
    step = next((s for s in _TICK_STEPS if math.ceil(span / s) <= max_ticks), 12)
    last_index = months[-1].year * 12 + months[-1].month - 1
    chosen = [m for m in months if (last_index - (m.year * 12 + m.month - 1)) % step == 0]
    return [m.isoformat() for m in chosen], [fmt_period(m, lang, style) for m in chosen]
