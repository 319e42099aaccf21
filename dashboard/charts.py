"""Charts are functions: already-loaded DataFrames and labels in, a Plotly figure out. No querying.

Every figure uses the language's number separators, month labels from formats (T8/2020 /
Aug 2020), a plain template and a legend under the plot (phones, projectors). Trend charts draw
event annotations (lockdowns, storms) and the target where one exists. An empty input gives a
figure that says so instead of raising. One chart shows one value column: the three payment-share
bases (payments, amount, customers) are never mixed on one chart.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard import scorecard
from dashboard.formats import (
    fmt_kpi,
    fmt_number,
    fmt_percent,
    is_missing,
    month_tick_labels,
    plotly_hover_month_format,
    plotly_separators,
    to_month,
)
from dashboard.labels import t

TEMPLATE = "plotly_white"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
# Nine distinguishable branch colours (Okabe-Ito first, colour-blind safe), then extras.
COLORWAY = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
            "#7F7F7F", "#8C564B", "#17BECF", "#BCBD22"]
COMPANY_COLOR = "#1a1a1a"
TARGET_COLOR = "#B2182B"
EVENT_COLOR = "#6b6b6b"
PROJECTION_COLOR = "#5a5a5a"
PROVISIONAL_COLOR = "#7B1FA2"
STATUS_COLORS = {"on_target": "#2E7D32", "near": "#F9A825", "behind": "#C62828", None: "#4C78A8"}  # scorecard.STATUSES
ONLINE_COLORS = ["#08519C", "#3182BD", "#6BAED6", "#2CA25F", "#66C2A4", "#99D8C9", "#9ECAE1"]
OFFLINE_COLORS = ["#D94801", "#FD8D3C", "#FDAE6B", "#969696", "#BDBDBD"]
ADOPTION_STAGES = (
    ("customers", "funnel.customers"),
    ("phone_customers", "funnel.phone"),
    ("email_customers", "funnel.email"),
    ("app_customers", "funnel.app"),
    ("zalo_customers", "funnel.zalo"),
)


# ---------------------------------------------------------------- shared pieces

def _text(s: Any) -> str:
    """Data text (event names, branch names) as literal text in Plotly's HTML-like labels."""
    return html.escape(str(s), quote=False)


def _base(fig: go.Figure, lang: str, title: str | None) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        separators=plotly_separators(lang),
        colorway=COLORWAY,
        font=dict(family=FONT, size=13),
        title=dict(text=title or "", x=0, xanchor="left"),
        legend=dict(orientation="h", yanchor="top", y=-0.15, xanchor="left", x=0, title_text=""),
        margin=dict(l=10, r=10, t=60 if title else 30, b=10),
        hoverlabel=dict(namelength=-1),
    )
    return fig


def empty_figure(lang: str, title: str | None = None, message: str | None = None) -> go.Figure:
    """A figure with no axes and one line of text: 'Không có dữ liệu cho bộ lọc này'."""
    fig = _base(go.Figure(), lang, title)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(text=_text(message or t("empty.no_rows", lang)), x=0.5, y=0.5,
                       xref="paper", yref="paper", showarrow=False, font=dict(size=16, color="#555"))
    fig.update_layout(height=260)
    return fig


def _is_empty(df: pd.DataFrame | None, *cols: str) -> bool:
    """No rows, a missing column, or a column with no values at all."""
    if df is None or len(df) == 0:
        return True
    if any(c not in df.columns for c in cols):
        return True
    return any(df[c].isna().all() for c in cols)


def _money_scale(values: Sequence[Any], lang: str) -> tuple[float, str]:
    finite = [abs(float(v)) for v in values if not is_missing(v)]
    top = max(finite, default=0.0)
    if top >= 1e9:
        return 1e9, "tỷ đồng" if lang == "vi" else "bn ₫"
    if top >= 1e6:
        return 1e6, "tr.đ" if lang == "vi" else "M₫"
    return 1.0, "đ" if lang == "vi" else "₫"


def _value_axis(unit: str, lang: str, scale_label: str | None = None) -> dict:
    """Axis settings for a KPI unit (the figure's separators localise the numbers)."""
    if unit == "share":
        return dict(tickformat=".1~%")  # "97.5%" where ticks are close, "90%" where not
    if unit == "count":
        return dict(tickformat=",~r")
    if unit == "days":
        return dict(tickformat=",.1~f", title_text=t("chart.days", lang))
    if unit == "kwh":
        return dict(tickformat=",~r", title_text=t("chart.kwh", lang))
    if unit == "vnd":
        return dict(tickformat=",.1~f", title_text=t("chart.money_axis", lang, unit=scale_label or ""))
    raise ValueError(f"unknown KPI unit {unit!r}: expected share, count, days, kwh or vnd")


def _month_axis(fig: go.Figure, periods: Sequence[Any], lang: str) -> None:
    tickvals, ticktext = month_tick_labels(periods, lang)
    fig.update_xaxes(type="date", tickmode="array", tickvals=tickvals, ticktext=ticktext,
                     hoverformat=plotly_hover_month_format(lang), title_text="", showgrid=False)


def _periods(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.map(to_month))


def _hover(unit: str, lang: str, values: Sequence[Any]) -> list[str]:
    return [fmt_kpi(v, unit, lang) for v in values]


HOVER = "%{fullData.name}: %{customdata}<extra></extra>"


def _runs(months: list[date]) -> list[tuple[date, date]]:
    """Consecutive months grouped: [(first, last), ...]."""
    runs: list[tuple[date, date]] = []
    for m in sorted(set(months)):
        if runs:
            first, last = runs[-1]
            if (m.year * 12 + m.month) - (last.year * 12 + last.month) == 1:
                runs[-1] = (first, m)
                continue
        runs.append((m, m))
    return runs


def add_events(fig: go.Figure, annotations: pd.DataFrame | None, lang: str, *,
               within: tuple[date, date] | None = None) -> go.Figure:
    """Draw events (period, text) on a monthly date axis: a dotted line for a one-month event, a
    shaded band for one spanning consecutive months, each labelled once at the top. A 'text'
    column is used, else 'text_vi'/'text_en' by lang. Events outside `within` are skipped."""
    if annotations is None or len(annotations) == 0:
        return fig
    text_col = "text" if "text" in annotations.columns else f"text_{lang}"
    if text_col not in annotations.columns or "period" not in annotations.columns:
        raise ValueError("annotations need columns period and text (or text_vi/text_en)")
    rows = [(to_month(p), str(txt)) for p, txt in zip(annotations["period"], annotations[text_col])
            if not is_missing(p) and not is_missing(txt) and str(txt).strip()]
    if within is not None:
        rows = [(p, txt) for p, txt in rows if within[0] <= p <= within[1]]
    by_text: dict[str, list[date]] = {}
    for p, txt in rows:
        by_text.setdefault(txt, []).append(p)
    labelled = []
    for txt, months in by_text.items():
        for first, last in _runs(months):
            labelled.append((first, last, txt))
    labelled.sort()
    # Plotly widens an autoranged axis to fit annotation text: a label near the right end of the data would
    # push the plot past the data, so labels in the right half grow leftwards.
    xs = sorted(m for trace in fig.data if getattr(trace, "x", None) is not None
                for m in (to_month(x) for x in trace.x) if m is not None)
    middle = xs[0] + (xs[-1] - xs[0]) / 2 if xs else None
    for i, (first, last, txt) in enumerate(labelled):
        if first == last:
            fig.add_shape(type="line", xref="x", yref="paper", x0=first.isoformat(), x1=first.isoformat(),
                          y0=0, y1=1, line=dict(color=EVENT_COLOR, width=1, dash="dot"), layer="below",
                          name="event")
        else:
            fig.add_shape(type="rect", xref="x", yref="paper", x0=first.isoformat(), x1=last.isoformat(),
                          y0=0, y1=1, fillcolor=EVENT_COLOR, opacity=0.12, line_width=0, layer="below",
                          name="event")
        right_half = middle is not None and first > middle
        fig.add_annotation(x=(last if right_half else first).isoformat(), xref="x", y=1 - 0.07 * (i % 3),
                           yref="paper", text=_text(txt), showarrow=False,
                           xanchor="right" if right_half else "left", yanchor="top",
                           font=dict(size=11, color=EVENT_COLOR), bgcolor="rgba(255,255,255,0.7)",
                           name="event")
    return fig


# ---------------------------------------------------------------- trend

def trend(df: pd.DataFrame | None, *, y: str, lang: str, unit: str, title: str | None = None,
          x: str = "period", color: str | None = "branch_code",
          annotations: pd.DataFrame | None = None, target: pd.DataFrame | None = None,
          company: pd.DataFrame | None = None, names: Mapping[Any, str] | None = None,
          series_name: str | None = None, projection: pd.DataFrame | None = None,
          provisional: pd.DataFrame | None = None, company_name: str | None = None) -> go.Figure:
    """A KPI over periods: one line per `color` group (or one line, named series_name), the company
    (a DataFrame with x and y columns) as a thicker dark line, the target (period, target
    [, branch_code]) as a dashed step line, and events (period, text). `names` maps codes to legend
    names. Money (unit 'vnd') is plotted in đ, tr.đ or tỷ đồng with the unit in the axis title. `projection`
    (period, value, low, high) is drawn after the data as a dashed line "at current trend" in a shaded band.
    `provisional` (branch_code, period; branch_code None for the company line) rings the points a load published
    with a warning, in one legend entry "provisional". `company_name` names the company line (default "Whole
    company": a company of a corporation has its own name, the corporation's line is the corporation)."""
    frames = [f for f in (df, company) if f is not None and len(f) and y in f.columns and x in f.columns]
    if not frames or all(f[y].isna().all() for f in frames):
        return empty_figure(lang, title)
    all_values = pd.concat([f[y] for f in frames])
    scale, scale_label = _money_scale(list(all_values), lang) if unit == "vnd" else (1.0, None)
    fig = _base(go.Figure(), lang, title)
    plotted: list[Any] = []

    def line(frame: pd.DataFrame, name: str, **style: Any) -> None:
        frame = frame.assign(**{x: _periods(frame[x])}).sort_values(x)
        plotted.extend(frame[x])
        fig.add_trace(go.Scatter(
            x=frame[x], y=frame[y].astype("float64") / scale, name=_text(name), mode="lines+markers",
            customdata=_hover(unit, lang, frame[y]), hovertemplate=HOVER, **style))

    if df is not None and len(df) and y in df.columns:
        if color and color in df.columns:
            for key, group in df.groupby(color, sort=True):
                line(group, (names or {}).get(key, str(key)), line=dict(width=2))
        else:
            line(df, series_name or title or t("chart.value", lang), line=dict(width=2))
    if company is not None and len(company) and y in company.columns:
        line(company, company_name or t("chart.company", lang), line=dict(width=4, color=COMPANY_COLOR),
             marker=dict(size=7, color=COMPANY_COLOR))

    start, end = min(plotted).date(), max(plotted).date()
    if provisional is not None and len(provisional):
        ring_provisional(fig, provisional, df, company, x=x, y=y, color=color, unit=unit, lang=lang, scale=scale)
    if projection is not None and len(projection):
        ahead = projection.assign(period=_periods(projection["period"])).sort_values("period")
        plotted.extend(ahead["period"])
        band = dict(mode="lines", line=dict(width=0, color=PROJECTION_COLOR), hoverinfo="skip",
                    legendgroup="projection", showlegend=False)
        fig.add_trace(go.Scatter(x=ahead["period"], y=ahead["low"].astype("float64") / scale, **band))
        fig.add_trace(go.Scatter(x=ahead["period"], y=ahead["high"].astype("float64") / scale, fill="tonexty",
                                 fillcolor="rgba(90, 90, 90, 0.15)", **band))
        fig.add_trace(go.Scatter(
            x=ahead["period"], y=ahead["value"].astype("float64") / scale, name=_text(t("chart.at_current_trend",
                                                                                       lang)),
            mode="lines", line=dict(color=PROJECTION_COLOR, width=2, dash="dot"), legendgroup="projection",
            customdata=_hover(unit, lang, ahead["value"]), hovertemplate=HOVER))
    if target is not None and len(target) and {"period", "target"} <= set(target.columns):
        tgt = target.assign(period=_periods(target["period"])).dropna(subset=["target"])
        tgt = tgt[(tgt["period"] >= pd.Timestamp(start)) & (tgt["period"] <= pd.Timestamp(end))]
        groups = (list(tgt.groupby("branch_code", sort=True))
                  if "branch_code" in tgt.columns and tgt["branch_code"].nunique() > 1 else [(None, tgt)])
        for key, group in groups:
            if not len(group):
                continue
            group = group.sort_values("period")
            if projection is not None and len(projection):  # the target in force held on across the projection
                group = pd.concat([group, group.tail(1).assign(period=max(plotted))], ignore_index=True)
            name = (t("chart.target", lang) if key is None
                    else t("chart.target_of", lang, name=(names or {}).get(key, str(key))))
            fig.add_trace(go.Scatter(
                x=group["period"], y=group["target"].astype("float64") / scale, name=_text(name),
                mode="lines", line=dict(color=TARGET_COLOR, width=2, dash="dash", shape="hv"),
                customdata=_hover(unit, lang, group["target"]), hovertemplate=HOVER,
                legendgroup="target"))
    add_events(fig, annotations, lang, within=(start, end))
    _month_axis(fig, plotted, lang)
    fig.update_yaxes(**_value_axis(unit, lang, scale_label))
    fig.update_layout(hovermode="x unified")
    return fig


def ring_provisional(fig: go.Figure, points: pd.DataFrame, df: pd.DataFrame | None, company: pd.DataFrame | None,
                     *, x: str, y: str, color: str | None, unit: str, lang: str, scale: float) -> None:
    """Open rings on the plotted values of provisional points (those the chart does not show are skipped)."""
    found = []
    for code, period in zip(points["branch_code"], _periods(points["period"])):
        if code is None or pd.isna(code):
            frame = company
        else:
            frame = df[df[color] == code] if df is not None and color and color in df.columns else None
        if frame is None or not len(frame):
            continue
        hit = frame[_periods(frame[x]) == period]
        if len(hit) and pd.notna(hit[y].iloc[0]):
            found.append((period, hit[y].iloc[0]))
    if not found:
        return
    xs, ys = zip(*sorted(found))
    fig.add_trace(go.Scatter(
        x=list(xs), y=[float(v) / scale for v in ys], name=_text(t("chart.provisional", lang)), mode="markers",
        marker=dict(symbol="circle-open", size=16, line=dict(width=3, color=PROVISIONAL_COLOR)),
        customdata=_hover(unit, lang, list(ys)), hovertemplate=HOVER))


# ---------------------------------------------------------------- branch comparison

def _target_for(target: Any, code: Any) -> Any:
    if target is None:
        return None
    if isinstance(target, pd.DataFrame):
        match = target.loc[target["branch_code"] == code, "target"]
        return match.iloc[0] if len(match) else None
    if isinstance(target, Mapping):
        return target.get(code)
    return target


def branch_bars(df: pd.DataFrame | None, *, value: str, lang: str, unit: str, title: str | None = None,
                target: Any = None, direction: str | None = "higher", label: str | None = None,
                names: Mapping[Any, str] | None = None, code: str = "branch_code") -> go.Figure:
    """One period's KPI per branch as horizontal bars, best at the top. target: one number (a dashed
    line), {branch_code: target} or a DataFrame (branch_code, target) (a marker per bar). With a
    target, bars are coloured by status: behind red, near amber, on target green; else neutral.
    Bars are labelled by the `label` column if given, else names[code], else the 'branch_name'
    column, else the code."""
    if _is_empty(df, value) or code not in df.columns:
        return empty_figure(lang, title)
    data = df.copy()
    if label is not None:
        data["_label"] = [str(v) for v in data[label]]
    else:
        fallback = data["branch_name"] if "branch_name" in data.columns else data[code]
        data["_label"] = [str((names or {}).get(c, f if not is_missing(f) else c))
                          for c, f in zip(data[code], fallback)]
    # plotly draws the first category at the bottom: put the best last
    data = data.sort_values(value, ascending=direction != "lower", na_position="first", kind="stable")
    targets = [None if is_missing(tg) else float(tg) for tg in (_target_for(target, c) for c in data[code])]
    statuses = [scorecard.status(v, tg, direction) for v, tg in zip(data[value], targets)]
    labels = [_text(s) for s in data["_label"]]
    scale, scale_label = _money_scale(list(data[value]), lang) if unit == "vnd" else (1.0, None)
    texts = _hover(unit, lang, data[value])
    hover = [f"{txt} · {t('status.' + s, lang)}" if s else txt for txt, s in zip(texts, statuses)]
    fig = _base(go.Figure(), lang, title)
    fig.add_trace(go.Bar(
        x=data[value].astype("float64") / scale, y=labels, orientation="h",
        marker_color=[STATUS_COLORS[s] for s in statuses], text=texts, textposition="auto",
        customdata=hover, hovertemplate="%{y}: %{customdata}<extra></extra>", showlegend=False,
        name=title or t("chart.value", lang), cliponaxis=False))
    if target is not None and not isinstance(target, (Mapping, pd.DataFrame)) and not is_missing(target):
        fig.add_vline(x=float(target) / scale, line=dict(color=TARGET_COLOR, dash="dash", width=2))
        fig.add_annotation(x=float(target) / scale, y=1, yref="paper", xref="x", showarrow=False,
                           yanchor="bottom", text=_text(f"{t('chart.target', lang)} {fmt_kpi(target, unit, lang)}"),
                           font=dict(color=TARGET_COLOR, size=12))
    elif any(tg is not None for tg in targets):
        marked = [(label, tg) for label, tg in zip(labels, targets) if tg is not None]
        fig.add_trace(go.Scatter(
            x=[tg / scale for _, tg in marked], y=[label for label, _ in marked],
            mode="markers", name=t("chart.target", lang),
            marker=dict(symbol="line-ns", size=22, line=dict(width=3, color=TARGET_COLOR), color=TARGET_COLOR),
            customdata=_hover(unit, lang, [tg for _, tg in marked]),
            hovertemplate=f"{_text(t('chart.target', lang))}: %{{customdata}}<extra></extra>"))
    fig.update_xaxes(**_value_axis(unit, lang, scale_label), rangemode="tozero")
    fig.update_yaxes(title_text="", automargin=True)
    fig.update_layout(height=120 + 34 * len(data), bargap=0.25)
    return fig


def sparkline_values(df: pd.DataFrame | None, value: str, *, x: str = "period") -> list[float]:
    """The KPI's values in period order, missing ones dropped: st.metric(chart_data=...)."""
    if df is None or len(df) == 0 or value not in df.columns:
        return []
    data = df.sort_values(x) if x in df.columns else df
    return [float(v) for v in data[value] if not is_missing(v)]


# ---------------------------------------------------------------- adoption

def adoption_funnel(counts: Mapping[str, Any] | pd.DataFrame | None, lang: str, *,
                    title: str | None = None) -> go.Figure:
    """Customers → phone → email → app → Zalo for one period: counts keyed by branch_month column
    names (customers, phone_customers, ...). A DataFrame is summed over its rows (branches), keeping
    only its latest period. Each stage shows its count and its share of all customers (the stages
    are not nested: an app user need not have an email)."""
    if isinstance(counts, pd.DataFrame):
        data = counts
        if "period" in data.columns and len(data):
            latest = data["period"].map(to_month).max()
            data = data[data["period"].map(to_month) == latest]
        counts = {col: data[col].sum(min_count=1) for col, _ in ADOPTION_STAGES if col in data.columns}
    counts = dict(counts or {})
    total = counts.get("customers")
    if is_missing(total) or not total:
        return empty_figure(lang, title or t("chart.funnel_title", lang))
    stages = [(t(key, lang), counts.get(col)) for col, key in ADOPTION_STAGES if not is_missing(counts.get(col))]
    fig = _base(go.Figure(), lang, title or t("chart.funnel_title", lang))
    fig.add_trace(go.Funnel(
        y=[s for s, _ in stages], x=[float(v) for _, v in stages], textinfo="text",
        text=[f"{fmt_number(v, lang)} ({fmt_percent(float(v) / float(total), lang, 1)})" for _, v in stages],
        hovertemplate="%{y}: %{text}<extra></extra>", marker=dict(color=COLORWAY[:len(stages)]),
        connector=dict(line=dict(color="#ccc", width=1))))
    fig.update_layout(showlegend=False)
    return fig


# ---------------------------------------------------------------- metering

def estimate_error_hist(df: pd.DataFrame | None, lang: str, *, value: str = "error_rate",
                        count: str | None = None, title: str | None = None) -> go.Figure:
    """Distribution of estimate errors ((actual − estimated) ÷ estimated, a ratio). Either one row
    per trued-up estimate (a histogram of `value`) or pre-binned rows (`value` = the bin's lower
    edge, `count` = bills in it), which keeps page work independent of the number of customers."""
    title = title or t("chart.estimate_error_title", lang)
    if _is_empty(df, value) or (count and count not in df.columns):
        return empty_figure(lang, title)
    data = df.dropna(subset=[value])
    fig = _base(go.Figure(), lang, title)
    if count:
        data = data.sort_values(value)
        widths = data[value].diff().shift(-1)
        width = float(widths.dropna().min()) if widths.notna().any() else None
        lows = data[value].astype("float64")
        hover = [f"{fmt_percent(lo, lang, 0)}" + (f" – {fmt_percent(lo + width, lang, 0)}" if width else "")
                 + f": {fmt_number(n, lang)}" for lo, n in zip(lows, data[count])]
        fig.add_trace(go.Bar(
            x=lows + (width / 2 if width else 0), y=data[count], width=width,
            name=t("chart.bills", lang), marker_color=COLORWAY[0],
            customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    else:
        fig.add_trace(go.Histogram(x=data[value].astype("float64"), nbinsx=40, name=t("chart.bills", lang),
                                   marker_color=COLORWAY[0], hovertemplate="%{x}: %{y:,d}<extra></extra>"))
    fig.add_vline(x=0, line=dict(color=COMPANY_COLOR, width=1))
    fig.update_xaxes(tickformat=".0%", title_text=t("chart.estimate_error_axis", lang))
    fig.update_yaxes(tickformat=",~r", title_text=t("chart.bills", lang))
    fig.update_layout(showlegend=False, bargap=0.05)
    return fig


def estimate_bias(df: pd.DataFrame | None, lang: str, *, value: str = "offset_kwh", unit: str = "kwh",
                  x: str = "period", color: str | None = None, title: str | None = None,
                  annotations: pd.DataFrame | None = None, names: Mapping[Any, str] | None = None) -> go.Figure:
    """Signed estimate error by period (offset_kwh = actual − estimated, positive when estimates
    were too low), as bars around zero; one bar series per `color` group. Events are drawn."""
    title = title or t("chart.estimate_bias_title", lang)
    if _is_empty(df, value) or x not in df.columns:
        return empty_figure(lang, title)
    data = df.assign(**{x: _periods(df[x])}).sort_values(x)
    scale, scale_label = _money_scale(list(data[value]), lang) if unit == "vnd" else (1.0, None)
    fig = _base(go.Figure(), lang, title)
    groups = list(data.groupby(color, sort=True)) if color and color in data.columns else [(None, data)]
    for key, group in groups:
        name = t("chart.value", lang) if key is None else (names or {}).get(key, str(key))
        fig.add_trace(go.Bar(
            x=group[x], y=group[value].astype("float64") / scale, name=_text(name),
            marker_color=None if key is not None else
            ["#2166AC" if (not is_missing(v) and v >= 0) else "#B2182B" for v in group[value]],
            customdata=_hover(unit, lang, group[value]), hovertemplate=HOVER))
    fig.add_hline(y=0, line=dict(color=COMPANY_COLOR, width=1))
    fig.add_annotation(text=_text(t("chart.estimate_bias_note", lang)), x=0, y=1.0, xref="paper",
                       yref="paper", yanchor="bottom", showarrow=False, font=dict(size=11, color="#555"))
    add_events(fig, annotations, lang, within=(data[x].min().date(), data[x].max().date()))
    _month_axis(fig, list(data[x]), lang)
    fig.update_yaxes(**_value_axis(unit, lang, scale_label))
    fig.update_layout(barmode="group", showlegend=color is not None, hovermode="x unified")
    return fig


# ---------------------------------------------------------------- channels

def _channel_shares(df: pd.DataFrame, *, x: str | None, channel: str, online: str, value: str) -> pd.DataFrame:
    keys = ([x] if x else []) + [channel, online]
    data = df.groupby(keys, dropna=False, sort=False)[value].sum(min_count=1).reset_index()
    totals = data.groupby(x)[value].transform("sum") if x else data[value].sum()
    data["_share"] = data[value] / totals
    return data


def _channel_chart(df: pd.DataFrame | None, *, lang: str, value: str, x: str, channel: str, online: str,
                   title: str, annotations: pd.DataFrame | None) -> go.Figure:
    if _is_empty(df, value) or channel not in df.columns or online not in df.columns:
        return empty_figure(lang, title)
    over_time = x in df.columns
    data = _channel_shares(df, x=x if over_time else None, channel=channel, online=online, value=value)
    if over_time:
        data[x] = _periods(data[x])
    data = data[data["_share"].notna()]
    if not len(data):
        return empty_figure(lang, title)
    # online channels first (largest first), then cash channels
    order = (data.assign(_online=data[online].fillna(False).astype(bool))
             .groupby([channel, "_online"])[value].sum().reset_index()
             .sort_values(["_online", value], ascending=[False, False]))
    fig = _base(go.Figure(), lang, title)
    n_on = n_off = 0
    for ch, is_online in zip(order[channel], order["_online"]):
        rows = data[(data[channel] == ch) & (data[online].fillna(False).astype(bool) == is_online)]
        if over_time:
            rows = rows.sort_values(x)
        if is_online:
            colour, n_on = ONLINE_COLORS[n_on % len(ONLINE_COLORS)], n_on + 1
        else:
            colour, n_off = OFFLINE_COLORS[n_off % len(OFFLINE_COLORS)], n_off + 1
        group = t("chart.online", lang) if is_online else t("chart.cash", lang)
        fig.add_trace(go.Bar(
            x=rows[x] if over_time else rows["_share"],
            y=rows["_share"] if over_time else [group] * len(rows),
            orientation="v" if over_time else "h",
            name=_text(ch), marker_color=colour, legendgroup=group, legendgrouptitle_text=group,
            customdata=[fmt_percent(s, lang, 1) for s in rows["_share"]], hovertemplate=HOVER))
    fig.update_layout(barmode="stack", hovermode="x unified" if over_time else "closest")
    share_axis = dict(tickformat=".0%", range=[0, 1], title_text=t("chart.share_of_total", lang))
    if over_time:
        add_events(fig, annotations, lang, within=(data[x].min().date(), data[x].max().date()))
        _month_axis(fig, list(data[x]), lang)
        fig.update_yaxes(**share_axis)
    else:
        fig.update_xaxes(**share_axis)
    return fig


def channel_mix(df: pd.DataFrame | None, *, lang: str, value: str = "payments", x: str = "period",
                channel: str = "channel_name", online: str = "is_online", title: str | None = None,
                annotations: pd.DataFrame | None = None) -> go.Figure:
    """Payment channel mix: each channel's share of the period's `value` (payments or paid amount:
    one basis per chart), stacked to 100%, online channels in blues/greens first, cash channels in
    oranges/greys, grouped in the legend. Without an x column: one stacked bar per group."""
    if value in ("customers", "paying_customers", "online_paying_customers"):
        raise ValueError("channel mix by customers does not add up (a customer may use several channels): "
                         "use value='payments' or the paid amount")
    return _channel_chart(df, lang=lang, value=value, x=x, channel=channel, online=online,
                          title=title or t("chart.channel_mix_title", lang), annotations=annotations)


def request_channels(df: pd.DataFrame | None, lang: str, *, value: str = "requests", x: str = "period",
                     channel: str = "channel_name", online: str = "is_online", title: str | None = None,
                     annotations: pd.DataFrame | None = None) -> go.Figure:
    """Service requests by submission channel, as shares of the period's requests (as channel_mix)."""
    return _channel_chart(df, lang=lang, value=value, x=x, channel=channel, online=online,
                          title=title or t("chart.request_channels_title", lang), annotations=annotations)


def days_to_complete(df: pd.DataFrame | None, lang: str, *, value: str = "median_days_to_complete",
                     x: str = "period", color: str | None = None, title: str | None = None,
                     annotations: pd.DataFrame | None = None, target: pd.DataFrame | None = None,
                     company: pd.DataFrame | None = None, names: Mapping[Any, str] | None = None,
                     company_name: str | None = None) -> go.Figure:
    """Median days from submission to completion by period: a trend in days."""
    return trend(df, y=value, x=x, color=color, lang=lang, unit="days",
                 title=title or t("chart.days_to_complete_title", lang), annotations=annotations,
                 target=target, company=company, names=names, company_name=company_name)


# ---------------------------------------------------------------- download config

_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _safe(part: str) -> str:
    return _SAFE.sub("-", part).strip("-")


def _period_part(period: Any) -> str:
    if isinstance(period, (tuple, list)) and len(period) == 2:
        a, b = (_period_part(p) for p in period)
        return a if a == b else f"{a}_{b}"
    m = to_month(period)
    return "" if m is None else f"{m.year:04d}-{m.month:02d}"


def image_filename(kpi: str, branch: Any = None, period: Any = None) -> str:
    """'online_payment_share_PC08AA_2020-08': what and when, safe characters only. branch: a code,
    a list of codes (up to three joined by '-', else 'N-branches') or None/'all' for the company;
    period: a date, 'YYYY-MM' or a (from, to) pair."""
    if branch is None or (isinstance(branch, str) and branch.strip().lower() in ("", "all")):
        branch_part = "all"
    elif isinstance(branch, str):
        branch_part = _safe(branch) or "all"
    else:
        codes = [_safe(str(b)) for b in branch if _safe(str(b))]
        if not codes:
            branch_part = "all"
        elif len(codes) <= 3:
            branch_part = "-".join(codes)
        else:
            branch_part = f"{len(codes)}-branches"
    parts = [_safe(kpi) or "chart", branch_part, _safe(_period_part(period))]
    return "_".join(p for p in parts if p)


def image_config(kpi: str, branch: Any = None, period: Any = None) -> dict:
    """Plotly config for st.plotly_chart(config=...): PNG download named by image_filename, no logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": image_filename(kpi, branch, period),
                                 "scale": 2},
    }


# ---------------------------------------------------------------- the pages' touches


def company_line(company: pd.DataFrame, col: str, unit: str, branches: int) -> pd.DataFrame:
    """The company's series for a trend beside branches. A count (customers, app users, backlog) is shown as the
    company's average per branch: the company total would dwarf every branch line on the same axis."""
    line = company[["period", col]]
    if unit == "count":
        line = line.assign(**{col: line[col].astype("float64") / max(branches, 1)})
    return line


def compact(fig: go.Figure, max_ticks: int = 4, label_chars: int = 24) -> go.Figure:
    """For a narrow chart: fewer month labels (the latest kept), and event labels clipped to a few words with
    the full text on hover, so neither overlaps."""
    axis = fig.layout.xaxis
    vals, text = list(axis.tickvals or ()), list(axis.ticktext or ())
    if len(vals) > max_ticks:
        step = -(-len(vals) // max_ticks)
        keep = list(range(len(vals) - 1, -1, -step))[::-1]
        fig.update_xaxes(tickvals=[vals[i] for i in keep], ticktext=[text[i] for i in keep])
    if max_ticks <= 4:  # few enough to stand upright even on a phone
        fig.update_xaxes(tickangle=0)
    for note in fig.layout.annotations or ():
        full = html.unescape(note.text or "")
        if note.name == "event" and len(full) > label_chars:
            note.hovertext = note.text
            note.text = html.escape(full[:label_chars - 1].rstrip() + "…", quote=False)
    return fig


def scope_events(annotations: pd.DataFrame, branches: Sequence[str], lang: str) -> pd.DataFrame:
    """The events (rows of events_in_range) a scope's trend draws: company-wide ones and those of the chosen
    branches (every one for the whole company, no branches), as (period, text) in `lang`."""
    rows = annotations
    if branches:
        rows = rows[rows["branch_code"].isna() | rows["branch_code"].isin(list(branches))]
    return rows.assign(text=rows["text_vi"] if lang == "vi" else rows["text_en"])[["period", "text"]]


KINDS = ("trend", "branch_bars", "adoption_funnel", "estimate_error_hist", "estimate_bias", "channel_mix",
         "request_channels", "days_to_complete")


def build(kind: str, *, lang: str, max_ticks: int | None = None, company_is_average: bool = False,
          height: int | None = None, average_name: str | None = None, **kwargs) -> go.Figure:
    """`<kind>(lang=lang, **kwargs)` (one of KINDS), then the page's touches: month labels thinned by compact,
    the company line renamed when it is an average per branch (`average_name`, default "Company, average per
    branch"), a fixed height."""
    if kind not in KINDS:
        raise ValueError(f"unknown chart {kind!r}: expected one of {', '.join(KINDS)}")
    fig = globals()[kind](lang=lang, **kwargs)
    if company_is_average:
        company = html.escape(kwargs.get("company_name") or t("chart.company", lang), quote=False)
        for trace in fig.data:
            if trace.name == company:
                trace.name = html.escape(average_name or t("chart.company_avg", lang), quote=False)
    if max_ticks:
        compact(fig, max_ticks)
    if height:
        fig.update_layout(height=height, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def projected(fig: go.Figure, *, font_size: int, height: int, narrow: bool = False) -> go.Figure:
    """A branch_bars figure for a projector (presentation mode): larger type, each bar's value written on it
    instead of a value axis, the legend beside the title (below the bars when the chart is `narrow`, where the
    title needs the width), and a fixed height. Changes `fig` and returns it."""
    legend = (dict(yanchor="top", y=-0.01, xanchor="left", x=0) if narrow
              else dict(yanchor="bottom", y=1.0, xanchor="right", x=1))
    fig.update_layout(height=height, font_size=font_size, title_font_size=round(font_size * 1.25),
                      margin=dict(l=10, r=10, t=round(font_size * 2.8), b=6), bargap=0.22,
                      legend=dict(orientation="h", title_text="", **legend))
    # the value inside the end of its bar where it fits (a target mark just past the bar's end then crosses no
    # text), beside a bar too short to hold it
    fig.update_traces(textposition="auto", insidetextanchor="end", textfont_size=font_size,
                      insidetextfont=dict(color="white", size=font_size), selector=dict(type="bar"))
    bars = max((len(trace.y) for trace in fig.data if trace.type == "bar" and trace.y is not None), default=0)
    if bars:  # each target mark as tall as its bar's row, not taller (it would reach the next bar)
        row = (height - round(font_size * 2.8) - 6) / bars
        fig.update_traces(marker_size=max(8, round(row * 0.8)), selector=dict(type="scatter", mode="markers"))
    ends = [x for trace in fig.data for x in (trace.x if trace.x is not None else ()) if not is_missing(x)]
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=True,
                     # room for the values written outside the bars: a narrow chart gives them a larger share
                     range=[0, (max(ends, default=1) or 1) * (1.4 if narrow else 1.14)])
    return fig
