"""The sections every KPI-family page draws (adoption, metering, payments, services) and the branch page reuses:
the family's cards, a KPI picker whose value lives in the URL (`kpi=`), the KPI's trend by branch with the company
line, target and events, and the branch comparison for the period. Streamlit glue, like ui.py."""
from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import streamlit as st

from dashboard import charts, formats, links, scorecard, ui
from dashboard.labels import escape_markdown, t

KPI_PARAM = "kpi"
EXTRA_KEYS = (KPI_PARAM,)


def label(ctx: ui.Page, k) -> str:
    return k["label_vi"] if ctx.lang == "vi" else k["label_en"]


def history_from(ctx: ui.Page) -> dt.date:
    """Twelve months before the period (for cards: sparkline and same period last year)."""
    return max(scorecard.month_shift(ctx.state.period_to, -12), ctx.periods[0])


def targets(ctx: ui.Page) -> pd.DataFrame:
    start = min(ctx.state.period_from, history_from(ctx))
    return ctx.query("targets_in_force", period_from=start, period_to=ctx.state.period_to)


def family_kpis(ctx: ui.Page, family: str) -> pd.DataFrame:
    kpis = ui.kpi_catalog(ctx)
    return kpis[kpis["family"] == family].reset_index(drop=True)


def resolve_kpi(ctx: ui.Page, kpis: pd.DataFrame, default: str | None = None) -> dict:
    """The KPI named by `kpi=` in the URL, or the default with a notice when the value is not one of the family's."""
    options = list(kpis["kpi"])
    fallback = default if default in options else options[0]
    values = ctx.state.extra_all(KPI_PARAM)
    chosen = fallback
    if len(set(values)) > 1:
        _extra_notice(ctx, "notice.repeated", param=KPI_PARAM, count=str(len(values)))
    elif values and values[0] in options:
        chosen = values[0]
    elif values:
        _extra_notice(ctx, "notice.extra_invalid", param=KPI_PARAM, value=links.shown(values[0]))
    return kpis[kpis["kpi"] == chosen].iloc[0].to_dict()


def _extra_notice(ctx: ui.Page, key: str, **kwargs) -> None:
    st.warning(f"{escape_markdown(ctx.t('notice.heading'))}\n- {escape_markdown(ctx.t(key, **kwargs))}",
               icon=":material/link_off:")
    # the link then carries only what is shown (as ui.page does for the shared parameters)
    if KPI_PARAM in st.query_params:
        del st.query_params[KPI_PARAM]


def _write_param(param: str, key: str) -> None:
    value = st.session_state.get(key)
    if value:
        st.query_params[param] = value


def kpi_picker(ctx: ui.Page, kpis: pd.DataFrame, chosen: dict, label_key: str = "control.kpi") -> None:
    """A selectbox set from the URL before it is drawn; a change is written back to the URL."""
    key = f"ctl_{ctx.key}_{KPI_PARAM}"
    st.session_state[key] = chosen["kpi"]
    names = {k["kpi"]: label(ctx, k) for k in kpis.to_dict("records")}
    st.selectbox(ctx.t(label_key), list(names), key=key, format_func=names.get,
                 on_change=_write_param, args=(KPI_PARAM, key))


def trend_targets(ctx: ui.Page, tg: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """The target line(s) for a trend of the scope: the company's for the whole company; the chosen branches'
    (one line when they share it, one per branch otherwise)."""
    tg = tg[tg["kpi"] == kpi]
    if ctx.state.is_company:
        return tg[tg["branch_code"].isna()][["period", "target"]]
    tg = tg[tg["branch_code"].isin(ctx.state.branches)]
    if tg.empty or tg.groupby("period")["target"].nunique().max() <= 1:
        return tg.drop_duplicates("period")[["period", "target"]]
    return tg[["branch_code", "period", "target"]]


def scope_target(ctx: ui.Page, tg: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """The target of a scope summed as one line: the company's, or one branch's; several branches summed have none."""
    tg = tg[tg["kpi"] == kpi]
    if ctx.state.is_company:
        return tg[tg["branch_code"].isna()][["period", "target"]]
    if len(ctx.state.branches) == 1:
        return tg[tg["branch_code"] == ctx.state.branches[0]][["period", "target"]]
    return tg.iloc[0:0][["period", "target"]]


def scope_caption(ctx: ui.Page) -> str:
    return ctx.t("scope.caption", scope=ctx.scope_label(),
                 range=formats.fmt_period_range(ctx.state.period_from, ctx.state.period_to, ctx.lang))


def family_cards(ctx: ui.Page, kpis: pd.DataFrame, tg: pd.DataFrame) -> None:
    """The family's KPIs for the scope at the period, compared as the link says (cmp=)."""
    period = ctx.state.period_to
    code, scope = None, ctx.t("metric.company")
    if len(ctx.state.branches) == 1:
        code = ctx.state.branches[0]
        scope = ctx.branch_names.get(code, code)
        series = ctx.query("branch_kpis", branches=[code], period_from=history_from(ctx), period_to=period)
    else:
        series = ctx.query("company_kpis", period_from=history_from(ctx), period_to=period)
    st.caption(ctx.t("overview.cards_for", scope=scope, period=formats.fmt_period(period, ctx.lang, "long")))
    if series.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    cards = scorecard.cards(kpis, series, tg, period, ctx.state.cmp, ctx.lang, code)
    cmp_label = ctx.t(f"cmp.{ctx.state.cmp}")
    per_row = len(cards) if len(cards) <= 4 else (3 if len(cards) in (5, 6, 9) else 4)
    descriptions = dict(zip(kpis["kpi"], kpis["description_vi" if ctx.lang == "vi" else "description_en"]))
    for start in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, card in zip(cols, cards[start:start + per_row]):
            with col:
                st.metric(card.label, formats.fmt_kpi(card.value, card.unit, ctx.lang),
                          delta=None if card.delta is None else formats.fmt_delta(card.delta, card.unit, ctx.lang),
                          delta_color={"higher": "normal", "lower": "inverse"}.get(card.direction, "off"),
                          delta_description=None if card.delta is None else cmp_label,
                          chart_data=card.spark or None, border=True, help=descriptions.get(card.kpi))
                if card.status:
                    target = formats.fmt_kpi(card.target, card.unit, ctx.lang)
                    st.badge(f"{ctx.t(ui.STATUS_LABEL[card.status])} · {ctx.t('metric.target_value', target=target)}",
                             color=ui.STATUS_BADGE[card.status])


def company_line(company: pd.DataFrame, col: str, unit: str, branches: int) -> pd.DataFrame:
    """The company's series for a trend beside branches. A count (customers, app users, backlog) is shown as the
    company's average per branch: the company total would dwarf every branch line on the same axis."""
    line = company[["period", col]]
    if unit == "count":
        line = line.assign(**{col: line[col].astype("float64") / max(branches, 1)})
    return line


def compact(fig, max_ticks: int = 4, label_chars: int = 24):
    """For a narrow chart: fewer month labels (the latest kept), and event labels clipped to a few words with
    the full text on hover, so neither overlaps. (Belongs in charts.trend as options; see the report.)"""
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


def build_figure(kind: str, *, lang: str, max_ticks: int | None = None, company_is_average: bool = False,
                 height: int | None = None, **kwargs):
    """charts.<kind>(lang=lang, **kwargs), then the page's touches (month labels thinned by compact, the company
    line renamed when it is an average per branch, a fixed height)."""
    fig = getattr(charts, kind)(lang=lang, **kwargs)
    if company_is_average:
        company = html.escape(t("chart.company", lang), quote=False)
        for trace in fig.data:
            if trace.name == company:
                trace.name = html.escape(t("chart.company_avg", lang), quote=False)
    if max_ticks:
        compact(fig, max_ticks)
    if height:
        fig.update_layout(height=height, margin=dict(l=10, r=10, t=50, b=10))
    return fig


# Kept between reruns and sessions (a meeting opens the same link many times): building a Plotly figure costs
# 20-50 ms, most of a page's server time. Keyed by the arguments' content (Streamlit hashes the DataFrames), so new
# data or an edited query misses. The figure is shared: nothing may change it after it is returned.
figure = st.cache_resource(show_spinner=False, max_entries=1024, ttl=3600)(build_figure)


def kpi_trend(ctx: ui.Page, k: dict, tg: pd.DataFrame) -> None:
    """The KPI by branch (the chosen ones, or all nine for the company) with the company line, target and events."""
    col = k["column_name"]
    rows = ctx.query("branch_kpis", branches=ctx.branches, **ctx.span())
    if rows.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    company = ctx.query("company_kpis", **ctx.span())
    # taller than Plotly's default: with nine branches the legend takes half the height on a phone
    fig = figure("trend", lang=ctx.lang, max_ticks=6, company_is_average=k["unit"] == "count", height=520,
                 df=rows[["branch_code", "period", col]], y=col, unit=k["unit"],
                 title=ctx.t("family.trend_title", kpi=label(ctx, k)),
                 company=company_line(company, col, k["unit"], len(ctx.branch_names)),
                 target=trend_targets(ctx, tg, k["kpi"]), annotations=ui.events(ctx), names=ctx.branch_names)
    ui.chart(ctx, fig, k["kpi"], key=f"{ctx.key}_trend")


def comparison_rows(ctx: ui.Page, k: dict, tg: pd.DataFrame) -> pd.DataFrame:
    """One row per branch of the scope at the period: value, target, status, rank (1 = best)."""
    period = ctx.state.period_to
    col = k["column_name"]
    rows = ctx.query("branch_kpis", branches=ctx.branches, period_from=period, period_to=period)
    ranks = scorecard.rank(rows, col, k["direction"], period)
    out = []
    for r in rows.to_dict("records"):
        target = scorecard.target_lookup(tg, r["branch_code"]).get((k["kpi"], period))
        out.append({"branch_code": r["branch_code"], "branch_name": ctx.branch_names.get(r["branch_code"]),
                    "period": period, "kpi": k["kpi"], "value": scorecard.clean(r[col]), "target": target,
                    "status": scorecard.status(r[col], target, k["direction"]),
                    "rank": ranks.get(r["branch_code"]), "ranked": len(ranks)})
    frame = pd.DataFrame(out, columns=["branch_code", "branch_name", "period", "kpi", "value", "target",
                                       "status", "rank", "ranked"])
    return frame.sort_values(["rank", "branch_code"], na_position="last", kind="stable").reset_index(drop=True)


def branch_comparison(ctx: ui.Page, k: dict, tg: pd.DataFrame) -> None:
    """Branches side by side for the period (bars coloured against their targets), and the table behind them."""
    period = ctx.state.period_to
    data = comparison_rows(ctx, k, tg)
    if data.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    with_target = {c: v for c, v in zip(data["branch_code"], data["target"]) if v is not None}
    fig = figure("branch_bars", lang=ctx.lang, df=data[["branch_code", "value"]], value="value", unit=k["unit"],
                 title=ctx.t("family.comparison_title", kpi=label(ctx, k), period=formats.fmt_period(period, ctx.lang)),
                 target=with_target or None, direction=k["direction"], names=ctx.branch_names)
    left, right = st.columns(2)
    with left:
        ui.chart(ctx, fig, k["kpi"], key=f"{ctx.key}_bars")
    with right:
        comparison_table(ctx, k, data)


def status_text(ctx: ui.Page, status, target) -> str:
    """The status label; without a target 'no target'; with a target but no value an en dash."""
    if status in ui.STATUS_LABEL:
        return ctx.t(ui.STATUS_LABEL[status])
    return ctx.t("status.no_target") if formats.is_missing(target) else formats.MISSING


def comparison_table(ctx: ui.Page, k: dict, data: pd.DataFrame) -> None:
    unit = k["unit"]
    shown = pd.DataFrame({
        ctx.t("col.branch"): data["branch_name"],
        ctx.t("col.value"): [formats.fmt_kpi(v, unit, ctx.lang) for v in data["value"]],
        ctx.t("col.rank"): [rank_text(r, n, ctx.lang) for r, n in zip(data["rank"], data["ranked"])],
        ctx.t("col.target"): [formats.fmt_kpi(v, unit, ctx.lang) for v in data["target"]],
        ctx.t("col.status"): [status_text(ctx, s, g) for s, g in zip(data["status"], data["target"])],
    })
    states = list(data["status"])
    status_col = ctx.t("col.status")
    styler = shown.style.apply(lambda c: [ui.STATUS_CELL.get(s, "") if c.name == status_col else ""
                                          for s in states], axis=0)
    st.dataframe(styler, hide_index=True, width="stretch", height="content", key=f"{ctx.key}_table")
    export = data.assign(status=[status_text(ctx, s, g) for s, g in zip(data["status"], data["target"])],
                         label=label(ctx, k), unit=unit)
    ui.downloads(ctx, export, f"{k['kpi']}_by_branch", key=f"{ctx.key}_table")


def rank_text(rank, ranked, lang: str) -> str:
    """'3/9': the rank among the branches that have a value; an en dash when there is none."""
    if formats.is_missing(rank) or not ranked:
        return formats.MISSING
    return f"{formats.fmt_number(rank, lang)}/{formats.fmt_number(ranked, lang)}"


def family_sections(ctx: ui.Page, family: str, default_kpi: str, picker_label: str = "control.kpi") -> dict | None:
    """Cards, KPI picker, trend by branch and branch comparison; returns the chosen KPI's catalogue row."""
    kpis = family_kpis(ctx, family)
    if kpis.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return None
    chosen = resolve_kpi(ctx, kpis, default_kpi)
    # each section asks for the targets itself (a cached query), so a broken targets file fails each in place
    ui.guarded(ctx, lambda: family_cards(ctx, kpis, targets(ctx)))
    st.subheader(ctx.t("family.by_branch"), divider="gray")
    kpi_picker(ctx, kpis, chosen, picker_label)
    st.caption(scope_caption(ctx))
    ui.guarded(ctx, lambda: kpi_trend(ctx, chosen, targets(ctx)))
    ui.guarded(ctx, lambda: branch_comparison(ctx, chosen, targets(ctx)))
    return chosen


def run_family(ctx: ui.Page, family: str, default_kpi: str, picker_label: str = "control.kpi") -> dict | None:
    """family_sections, guarded: when even the KPI catalogue fails the page still shows the error and footer."""
    out: dict = {}

    def draw() -> None:
        out["kpi"] = family_sections(ctx, family, default_kpi, picker_label)

    ui.guarded(ctx, draw)
    return out.get("kpi")
