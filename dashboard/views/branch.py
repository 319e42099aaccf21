"""Branch (/branch): one branch's rank among the nine on every KPI for the period, and every KPI's trend against
the company and the branch's target, grouped by family."""
import pandas as pd
import streamlit as st

from dashboard import charts, forecast, formats, registry, scorecard, ui
from dashboard.family import pack_download

ctx = ui.page("branch")
period = ctx.state.period_to
CHOICE_KEY = "ctl_branch_page"


def on_choose():
    code = st.session_state.get(CHOICE_KEY)
    if code:
        ui.write_state(ctx, branches=(code,))


def choose_branch():
    """The branch shown: the first chosen in the link, or the one picked here (written to the URL as branch=)."""
    code = ctx.state.branches[0] if ctx.state.branches else None
    st.session_state[CHOICE_KEY] = code
    st.selectbox(ctx.t("control.branch"), ctx.scope_branches, key=CHOICE_KEY,
                 format_func=lambda c: f"{ctx.branch_names.get(c, c)} ({c})",
                 placeholder=ctx.t("branch.placeholder"), on_change=on_choose)
    if len(ctx.state.branches) > 1:
        st.caption(ctx.t("branch.first_of_many", branch=ctx.branch_names.get(code, code)))
    return code


def targets():
    return ctx.query("targets_in_force", **ctx.span())


def rank_rows(code):
    """scorecard.rank_rows, with the period each KPI reaches its target in force (`expected`) and EVN's 2025 target
    (`expected_evn`) at the current trend."""
    kpis = ui.kpi_catalog(ctx)
    # ranked among its own company's branches, beside its company's figures
    rows = ctx.query("branch_kpis", branches=ctx.scope_branches, period_from=period, period_to=period)
    company = ctx.query("company_kpis", company=ctx.company, period_from=period, period_to=period)
    data = scorecard.rank_rows(kpis, rows, company, targets(), code, period, ctx.lang)
    reach = expected(code)
    evn = scorecard.evn_reach(ctx.query, kpis, period, ctx.periods[0], code)
    return data.assign(expected=[scorecard.reach_text(reach.get(k), ctx.lang) for k in data["kpi"]],
                       expected_period=[getattr(reach.get(k), "period", None) for k in data["kpi"]],
                       expected_evn=[scorecard.reach_text(evn.get(k), ctx.lang) for k in data["kpi"]],
                       expected_evn_period=[getattr(evn.get(k), "period", None) for k in data["kpi"]])


def expected(code):
    """When each KPI of the branch reaches its target in force at the current trend (the last 24 periods)."""
    fit_from = max(scorecard.month_shift(period, -(forecast.WINDOW - 1)), ctx.periods[0])
    history = ctx.query("branch_kpis", branches=[code], period_from=fit_from, period_to=period)
    tg = ctx.query("targets_in_force", period_from=period, period_to=period)
    return scorecard.expected_reach(ui.kpi_catalog(ctx), history, tg, period, code)


def projections(code):
    """The dashed 'at current trend' line and band of each KPI, for the next 12 months."""
    return {kpi: pd.DataFrame(forecast.projection(reach), columns=["period", "value", "low", "high"])
            for kpi, reach in expected(code).items()}


def draw_ranks(code):
    data = rank_rows(code)
    if data.empty or data["value"].isna().all():
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    st.caption(ctx.t("branch.ranks_caption", branch=ctx.branch_names.get(code, code),
                     period=formats.fmt_period(period, ctx.lang, "long"),
                     count=formats.fmt_number(len(ctx.branch_names), ctx.lang)))
    states = [scorecard.status_text(s, g, ctx.lang) for s, g in zip(data["status"], data["target"])]
    shown = pd.DataFrame({
        ctx.t("col.kpi"): data["label"],
        ctx.t("col.value"): [formats.fmt_kpi(v, u, ctx.lang) for v, u in zip(data["value"], data["unit"])],
        ctx.t("col.rank"): [formats.fmt_rank(r, n, ctx.lang) for r, n in zip(data["rank"], data["ranked"])],
        ctx.top_label(): [formats.fmt_kpi(v, u, ctx.lang) for v, u in zip(data["company"], data["unit"])],
        ctx.t("col.target"): [formats.fmt_kpi(v, u, ctx.lang) for v, u in zip(data["target"], data["unit"])],
        ctx.t("col.status"): states,
        ctx.t("col.expected"): data["expected"],
        ctx.t("col.expected_evn"): data["expected_evn"],
    })
    st.dataframe(ui.status_table(shown, list(data["status"]), ctx.t("col.status")), hide_index=True,
                 width="stretch", height="content", key="branch_ranks",
                 column_config={ctx.t("col.expected"): st.column_config.TextColumn(help=ctx.t("branch.expected_help")),
                                ctx.t("col.expected_evn"): st.column_config.TextColumn(
                                    help=ctx.t("branch.expected_evn_help"))})


def ranks_export(code):
    data = rank_rows(code)
    export = data.assign(branch_code=code, branch_name=ctx.branch_names.get(code, code), period=period,
                         status=[scorecard.status_text(s, g, ctx.lang) for s, g in zip(data["status"], data["target"])])
    return export[["branch_code", "branch_name", "period", "kpi", "label", "unit", "value", "company", "rank",
                   "ranked", "target", "status", "expected", "expected_period", "expected_evn",
                   "expected_evn_period"]]


def draw_ranks_downloads(code):
    # (whether the branch has a row at the period: this runs in every session, the table is made on download)
    if not ctx.query("branch_kpis", branches=[code], period_from=period, period_to=period).empty:
        ui.downloads(ctx, lambda: ranks_export(code), "branch_ranks", key="branch_ranks")


def draw_trends(code):
    kpis = ui.kpi_catalog(ctx)
    own = ctx.query("branch_kpis", branches=[code], **ctx.span())
    if own.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    company = ctx.query("company_kpis", **ctx.top_params())
    tg = targets()
    name = ctx.branch_names.get(code, code)
    figures = trend_figures(kpis, own, company, tg[tg["branch_code"] == code], ui.events(ctx), name,
                            len(ctx.branch_names), ctx.lang, projections(code))
    st.caption(ctx.t("branch.trends_caption", branch=name,
                     range=formats.fmt_period_range(ctx.state.period_from, period, ctx.lang)))
    for family in registry.FAMILIES:
        fam = kpis[kpis["family"] == family].to_dict("records")
        if not fam:
            continue
        st.markdown(f"**{ctx.t(f'page.{family}')}**")
        for start in range(0, len(fam), 2):
            for col, k in zip(st.columns(2), fam[start:start + 2]):
                with col:
                    ui.guarded(ctx, lambda k=k: draw_one_trend(k, figures[k["kpi"]], code))


def draw_one_trend(k, fig, code):
    if isinstance(fig, Exception):
        raise fig
    ui.chart(ctx, fig, k["kpi"], key=f"branch_trend_{k['kpi']}", branch=code)


@st.cache_resource(show_spinner=False, max_entries=256, ttl=3600)
def trend_figures(kpis, own, company, tg, events, name, branches, lang, ahead):
    """Every KPI's small trend for one branch, built once per content of the inputs (Streamlit hashes the frames)
    and shared between reruns and sessions: 18 Plotly figures cost ~25 ms each to build. A KPI whose chart
    fails maps to its exception, raised where that chart would be drawn. Nothing may change the figures."""
    out = {}
    for k in kpis.to_dict("records"):
        col, unit = k["column_name"], k["unit"]
        try:
            out[k["kpi"]] = charts.build(
                "trend", lang=lang, max_ticks=4, company_is_average=unit == "count", height=340,
                df=own[["period", col]], y=col, unit=unit, title=k["label_vi" if lang == "vi" else "label_en"],
                color=None, series_name=name, company=charts.company_line(company, col, unit, branches),
                target=tg[tg["kpi"] == k["kpi"]][["period", "target"]], annotations=events,
                projection=ahead.get(k["kpi"]))
        except Exception as exc:  # noqa: BLE001 - shown in the chart's place by ui.guarded
            out[k["kpi"]] = exc
    return out


code = choose_branch()
if code is None:
    st.info(ctx.t("branch.choose_prompt"), icon=":material/location_city:")
else:
    ui.guarded(ctx, lambda: pack_download(ctx, code))
    st.subheader(ctx.t("branch.ranks_title"), divider="gray")
    # the link names the branch (the view key), so these sections can be shared between sessions
    ui.guarded(ctx, lambda: draw_ranks(code), shared="ranks")
    ui.guarded(ctx, lambda: draw_ranks_downloads(code))
    st.subheader(ctx.t("branch.trends_title"), divider="gray")
    ui.guarded(ctx, lambda: draw_trends(code), shared="trends")
ui.footer(ctx)
