"""KPI scorecards: the value for a period, its comparison (previous period, same period last year, target),
the state against the target in force (on target, near it, behind it: green, amber, red on screen), ranks among
the branches, the biggest misses, and the target lines of a scope. Pure pandas, no Streamlit: the pages and the
PDF pack call the same functions."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from dashboard import forecast
from dashboard.formats import MISSING, fmt_kpi, fmt_number, fmt_period
from dashboard.labels import t

COMPARISONS = ("prev_month", "prev_year", "target")
# Within this relative distance of the target a KPI is near it (amber) rather than behind it (red).
AMBER_TOLERANCE = 0.05
# The one status vocabulary; label keys are f"status.{status}" (labels.py), colours live with the drawing.
STATUSES = ("on_target", "near", "behind")
# EVN's 2025 targets (online services, non-cash payment: targets.csv rows for 2025) are the targets in force at the
# year's last period, read by the targets_at query: target_month holds only the periods with data.
EVN_YEAR = 2025
EVN_PERIOD = dt.date(EVN_YEAR, 12, 1)


@dataclass(frozen=True)
class Card:
    kpi: str
    label: str
    unit: str
    direction: str | None
    value: float | None
    reference: float | None  # the value compared against
    delta: float | None  # value - reference
    target: float | None
    status: str | None  # one of STATUSES; None without a target or a value
    spark: list[float] = field(default_factory=list)
    provisional: tuple[str, ...] = ()  # why the figure is provisional (provisional_notes), empty when it is not


@dataclass(frozen=True)
class Miss:
    branch_code: str
    branch_name: str
    kpi: str
    label: str
    unit: str
    value: float
    target: float
    gap: float  # relative shortfall, > 0


def provisional_notes(marks: pd.DataFrame | None, period, branch_code: str | None = None, kpi: str | None = None,
                      lang: str = "vi") -> tuple[str, ...]:
    """Why a figure is provisional: the messages of the marks (queries/provisional_marks.sql) on its period and
    scope. A branch's figure is provisional when a mark names the branch and either no KPI (its bills are
    missing or too few: all its figures) or this KPI; the company's (branch_code None) when any branch's is,
    since company figures are the sums of the branches. `kpi` None asks about any figure of the scope."""
    if marks is None or marks.empty:
        return ()
    period = pd.Timestamp(period)
    chosen = marks[pd.to_datetime(marks["period"]) == period]
    if branch_code is not None:
        chosen = chosen[chosen["branch_code"] == branch_code]
    if kpi is not None:
        chosen = chosen[chosen["kpi"].isna() | (chosen["kpi"] == kpi)]
    column = "message_vi" if lang == "vi" else "message_en"
    return tuple(dict.fromkeys(chosen[column]))


def month_shift(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT


def clean(x) -> float | None:
    return None if is_missing(x) else float(x)


def status(value, target, direction) -> str | None:
    """on_target when the target is met, near within AMBER_TOLERANCE (relative) of it, behind beyond; None
    without a value, a target or a direction."""
    value, target = clean(value), clean(target)
    if value is None or target is None or direction not in ("higher", "lower"):
        return None
    margin = abs(target) * AMBER_TOLERANCE
    if direction == "higher":
        if value >= target:
            return "on_target"
        return "near" if value >= target - margin else "behind"
    if value <= target:
        return "on_target"
    return "near" if value <= target + margin else "behind"


def status_text(state: str | None, target, lang: str) -> str:
    """The status in words; without a target 'no target'; with a target but no value an en dash."""
    if state in STATUSES:
        return t(f"status.{state}", lang)
    return t("status.no_target", lang) if is_missing(target) else MISSING


def gap(value, target, direction) -> float | None:
    """Relative shortfall against the target (positive = missed), None when it cannot be said."""
    value, target = clean(value), clean(target)
    if value is None or target is None or target == 0 or direction not in ("higher", "lower"):
        return None
    return (target - value) / abs(target) if direction == "higher" else (value - target) / abs(target)


def _period_key(x) -> dt.date:
    return pd.Timestamp(x).date()


def target_lookup(targets: pd.DataFrame, branch_code: str | None) -> dict[tuple[str, dt.date], float]:
    """(kpi, period) -> target for one scope (None: the company). A branch falls back to the company-wide
    target where it has none of its own (target_month already expands them; hand-made frames may not)."""
    if targets is None or targets.empty:
        return {}
    company = targets[targets["branch_code"].isna()]
    found = {(k, _period_key(p)): float(t) for k, p, t in zip(company["kpi"], company["period"], company["target"])}
    if branch_code is not None:
        own = targets[targets["branch_code"] == branch_code]
        found.update({(k, _period_key(p)): float(t) for k, p, t in zip(own["kpi"], own["period"], own["target"])})
    return found


def cards(kpis: pd.DataFrame, series: pd.DataFrame, targets: pd.DataFrame, period: dt.date, cmp: str,
          lang: str, branch_code: str | None = None, spark_periods: int = 12) -> list[Card]:
    """One card per KPI for `series` (rows of company_month, or of branch_month for one branch)."""
    by_period = {_period_key(p): row for p, row in zip(series["period"], series.to_dict("records"))}
    tmap = target_lookup(targets, branch_code)
    label_col = "label_vi" if lang == "vi" else "label_en"
    window = [month_shift(period, -i) for i in range(spark_periods - 1, -1, -1)]
    out = []
    for k in kpis.to_dict("records"):
        column = k["column_name"]
        current = by_period.get(period, {})
        value = clean(current.get(column))
        target = tmap.get((k["kpi"], period))
        if cmp == "target":
            reference = target
        else:
            ref_period = month_shift(period, -1 if cmp == "prev_month" else -12)
            reference = clean(by_period.get(ref_period, {}).get(column))
        delta = None if value is None or reference is None else value - reference
        spark = [clean(by_period[p].get(column)) for p in window if p in by_period]
        out.append(Card(k["kpi"], k[label_col], k["unit"], k["direction"], value, reference, delta, target,
                        status(value, target, k["direction"]), [s for s in spark if s is not None]))
    return out


def scope_cards(query: Callable[..., pd.DataFrame], kpis: pd.DataFrame, targets: pd.DataFrame, period: dt.date,
                first_period: dt.date, cmp: str, lang: str, branch_code: str | None = None,
                company: str | None = None) -> tuple[list[Card], dict[str, forecast.Reach]] | None:
    """The cards of a scope (one branch, or the company for None) at `period`, and when each KPI reaches its
    target at the current trend, as the pages and the PDF pack show them; None when the scope has no rows.
    `query(name, **params)` runs a page query (the page's cached one, or the pack's on its own warehouse): the
    series spans the periods the trend is fitted to, from `first_period` at the earliest. Without a branch, the
    scope is `company` (None: the corporation, which is the company in a single-company warehouse)."""
    series = trend_series(query, period, first_period, branch_code, company)
    if series.empty:
        return None
    reach = expected_reach(kpis, series, targets, period, branch_code)
    return cards(kpis, series, targets, period, cmp, lang, branch_code), reach


def _lookups(targets: pd.DataFrame, branches, period: dt.date) -> dict:
    """target_lookup for each branch for one period, built once (not once per branch and KPI)."""
    if targets is not None and not targets.empty:
        targets = targets[pd.to_datetime(targets["period"]) == pd.Timestamp(period)]
    return {b: target_lookup(targets, b) for b in set(branches)}


def branch_matrix(kpis: pd.DataFrame, branch_rows: pd.DataFrame, targets: pd.DataFrame, period: dt.date,
                  lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values, states): one row per branch, one column per KPI label, for one period."""
    rows = branch_rows[branch_rows["period"].map(_period_key) == period]
    label_col = "label_vi" if lang == "vi" else "label_en"
    lookups = _lookups(targets, rows["branch_code"], period)
    values, states = {}, {}
    for k in kpis.to_dict("records"):
        col = k["column_name"]
        vals, sts = [], []
        for branch, value in zip(rows["branch_code"], rows[col]):
            target = lookups[branch].get((k["kpi"], period))
            vals.append(clean(value))
            sts.append(status(value, target, k["direction"]))
        values[k[label_col]] = vals
        states[k[label_col]] = sts
    index = list(rows["branch_code"])
    return pd.DataFrame(values, index=index), pd.DataFrame(states, index=index)


def biggest_misses(kpis: pd.DataFrame, branch_rows: pd.DataFrame, targets: pd.DataFrame, period: dt.date,
                   lang: str, n: int = 3) -> list[Miss]:
    """The n branch x KPI pairs furthest short of their target in `period` (relative shortfall)."""
    rows = branch_rows[branch_rows["period"].map(_period_key) == period]
    label_col = "label_vi" if lang == "vi" else "label_en"
    lookups = _lookups(targets, rows["branch_code"], period)
    misses = []
    for k in kpis.to_dict("records"):
        if k["direction"] not in ("higher", "lower"):
            continue
        for r in rows.to_dict("records"):
            target = lookups[r["branch_code"]].get((k["kpi"], period))
            g = gap(r[k["column_name"]], target, k["direction"])
            if g is not None and g > 0:
                misses.append(Miss(r["branch_code"], r.get("branch_name", r["branch_code"]), k["kpi"], k[label_col],
                                   k["unit"], float(r[k["column_name"]]), target, g))
    misses.sort(key=lambda m: (-m.gap, m.branch_code, m.kpi))
    return misses[:n]


def misses_sentence(kpis: pd.DataFrame, branch_rows: pd.DataFrame, targets: pd.DataFrame, period: dt.date,
                    lang: str, companies: bool = False) -> str:
    """The headline of a view (the overview and the PDF pack): how many branch x KPI pairs in `branch_rows` miss
    their target in `period`, and the three furthest short, each with its value and target. `companies`: the rows
    are companies (the corporation's overview)."""
    every = biggest_misses(kpis, branch_rows, targets, period, lang, n=len(kpis) * len(branch_rows))
    when = fmt_period(period, lang)
    if targets.empty:
        return t("misses.no_targets", lang, period=when)
    if not every:
        return t("misses.none_companies" if companies else "misses.none", lang, period=when)
    items = "; ".join(t("misses.item", lang, branch=m.branch_name, kpi=m.label,
                        value=fmt_kpi(m.value, m.unit, lang), target=fmt_kpi(m.target, m.unit, lang))
                      for m in every[:3])
    return t("misses.sentence_companies" if companies else "misses.sentence", lang, period=when,
             count=fmt_number(len(every), lang), items=items)


def rank(branch_rows: pd.DataFrame, column: str, direction: str | None, period: dt.date) -> dict[str, int]:
    """Rank of each branch on one KPI in one period (1 = best), ties sharing the better rank."""
    rows = branch_rows[branch_rows["period"].map(_period_key) == period][["branch_code", column]].dropna()
    if rows.empty or direction not in ("higher", "lower"):
        return {}
    ranks = rows[column].rank(ascending=(direction == "lower"), method="min").astype(int)
    return dict(zip(rows["branch_code"], ranks))


def trend_series(query: Callable[..., pd.DataFrame], period: dt.date, first_period: dt.date,
                 branch_code: str | None = None, company: str | None = None) -> pd.DataFrame:
    """The rows a scope's trend is fitted to: one branch's branch_kpis (else the company's company_kpis, the
    corporation's for company None) over the forecast.WINDOW periods up to `period`, from `first_period` at the
    earliest."""
    trend_from = max(month_shift(period, -(forecast.WINDOW - 1)), first_period)
    if branch_code is not None:
        return query("branch_kpis", branches=[branch_code], period_from=trend_from, period_to=period)
    return query("company_kpis", company=company, period_from=trend_from, period_to=period)


def expected_reach(kpis: pd.DataFrame, series: pd.DataFrame, targets: pd.DataFrame, period: dt.date,
                   branch_code: str | None = None, target_period: dt.date | None = None
                   ) -> dict[str, forecast.Reach]:
    """For each KPI with a direction, when `series` (branch_month rows of one branch, or company_month rows, up
    to `period`) reaches its target at the current trend (forecast.reach): the target in force at `period`, or
    the one `targets` holds for `target_period` (EVN_PERIOD: EVN's 2025 target). No target: state too_short."""
    rows = series[series["period"].map(_period_key) <= period].sort_values("period")
    tmap = target_lookup(targets, branch_code)
    periods = [_period_key(p) for p in rows["period"]]
    return {k["kpi"]: forecast.reach(periods, [clean(v) for v in rows[k["column_name"]]],
                                     tmap.get((k["kpi"], target_period or period)), k["direction"])
            for k in kpis.to_dict("records") if k["direction"] in ("higher", "lower")}


def evn_reach(query: Callable[..., pd.DataFrame], kpis: pd.DataFrame, period: dt.date, first_period: dt.date,
              branch_code: str | None = None, company: str | None = None) -> dict[str, forecast.Reach]:
    """When each KPI of a scope (one branch, or the company for None) reaches EVN's 2025 target at the trend up to
    `period`; KPIs EVN set no 2025 target for are too_short (shown as a dash). `query` as for scope_cards."""
    series = trend_series(query, period, first_period, branch_code, company)
    return expected_reach(kpis, series, query("targets_at", period=EVN_PERIOD), period, branch_code, EVN_PERIOD)


def reach_text(reach: forecast.Reach | None, lang: str) -> str:
    """'T10/2023 (T8/2023–T1/2024)', 'Đã đạt', 'Không theo kịp ở xu hướng hiện tại', or an en dash."""
    if reach is None or reach.state == "too_short":
        return MISSING
    if reach.state == "reached":
        return t("reach.reached", lang)
    if reach.state == "not_on_track":
        return t("reach.not_on_track", lang)
    when = fmt_period(reach.period, lang)
    if reach.earliest and reach.latest and reach.earliest != reach.latest:
        return t("reach.on_track_band", lang, when=when, earliest=fmt_period(reach.earliest, lang),
                 latest=fmt_period(reach.latest, lang))
    if reach.earliest and not reach.latest:
        return t("reach.on_track_open", lang, when=when, earliest=fmt_period(reach.earliest, lang))
    return when


# ---------------------------------------------------------------- a scope's rows and target lines
# A scope is the chosen branches: an empty tuple is the whole company.


def comparison_rows(rows: pd.DataFrame, kpi: dict, targets: pd.DataFrame, period: dt.date,
                    branch_names: dict[str, str]) -> pd.DataFrame:
    """One row per branch in `rows` (branch_month rows) at `period` for one KPI (a kpis row): value, target,
    status, rank (1 = best, among the branches with a value), best first."""
    col = kpi["column_name"]
    rows = rows[rows["period"].map(_period_key) == period]
    ranks = rank(rows, col, kpi["direction"], period)
    lookups = _lookups(targets, rows["branch_code"], period)
    out = []
    for r in rows.to_dict("records"):
        target = lookups[r["branch_code"]].get((kpi["kpi"], period))
        out.append({"branch_code": r["branch_code"], "branch_name": branch_names.get(r["branch_code"]),
                    "period": period, "kpi": kpi["kpi"], "value": clean(r[col]), "target": target,
                    "status": status(r[col], target, kpi["direction"]),
                    "rank": ranks.get(r["branch_code"]), "ranked": len(ranks)})
    frame = pd.DataFrame(out, columns=["branch_code", "branch_name", "period", "kpi", "value", "target",
                                       "status", "rank", "ranked"])
    return frame.sort_values(["rank", "branch_code"], na_position="last", kind="stable").reset_index(drop=True)


def rank_rows(kpis: pd.DataFrame, rows: pd.DataFrame, company: pd.DataFrame, targets: pd.DataFrame,
              branch_code: str, period: dt.date, lang: str) -> pd.DataFrame:
    """One row per KPI for one branch at `period`: its value, the company's, its rank among the branches in
    `rows` (branch_month rows of every branch), the target in force and the status."""
    rows = rows[rows["period"].map(_period_key) == period]
    company = company[company["period"].map(_period_key) == period]
    own = rows[rows["branch_code"] == branch_code]
    tmap = target_lookup(targets, branch_code)
    label_col = "label_vi" if lang == "vi" else "label_en"
    out = []
    for k in kpis.to_dict("records"):
        col = k["column_name"]
        ranks = rank(rows, col, k["direction"], period)
        target = tmap.get((k["kpi"], period))
        value = clean(own[col].iloc[0]) if len(own) else None
        out.append({"kpi": k["kpi"], "family": k["family"], "label": k[label_col], "unit": k["unit"],
                    "value": value, "company": clean(company[col].iloc[0]) if len(company) else None,
                    "rank": ranks.get(branch_code), "ranked": len(ranks), "target": target,
                    "status": status(value, target, k["direction"])})
    return pd.DataFrame(out, columns=["kpi", "family", "label", "unit", "value", "company", "rank", "ranked",
                                      "target", "status"])


def trend_targets(targets: pd.DataFrame, kpi: str, branches: tuple[str, ...]) -> pd.DataFrame:
    """The target line(s) for a trend of the scope: the company's for the whole company; the chosen branches'
    (one line when they share it, one per branch, with branch_code, otherwise)."""
    tg = targets[targets["kpi"] == kpi]
    if not branches:
        return tg[tg["branch_code"].isna()][["period", "target"]]
    tg = tg[tg["branch_code"].isin(branches)]
    if tg.empty or tg.groupby("period")["target"].nunique().max() <= 1:
        return tg.drop_duplicates("period")[["period", "target"]]
    return tg[["branch_code", "period", "target"]]


def scope_target(targets: pd.DataFrame, kpi: str, branches: tuple[str, ...]) -> pd.DataFrame:
    """The target of a scope summed as one line: the company's, or one branch's; several branches summed
    have none (an empty frame)."""
    tg = targets[targets["kpi"] == kpi]
    if not branches:
        return tg[tg["branch_code"].isna()][["period", "target"]]
    if len(branches) == 1:
        return tg[tg["branch_code"] == branches[0]][["period", "target"]]
    return tg.iloc[0:0][["period", "target"]]
