"""Online service requests (/services): online share by branch, requests by submission channel, time to
complete (median days) and the open and postponed backlog."""
import pandas as pd
import streamlit as st

from dashboard import formats, scorecard, ui
from dashboard.family import run_family, scope_caption, targets

ctx = ui.page("services")
run_family(ctx)


def draw_channels(df):
    named = df.assign(channel_name=df["name_vi"] if ctx.lang == "vi" else df["name_en"])
    fig = ui.figure("request_channels", lang=ctx.lang, df=named[["period", "channel_name", "is_online", "requests"]],
                 value="requests", channel="channel_name", annotations=ui.events(ctx))
    ui.chart(ctx, fig, "request_channels", key="services_channels")


def draw_days():
    rows = ui.unit_rows(ctx, ctx.state.period_from, ctx.state.period_to)
    if rows.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    company = ctx.query("company_kpis", **ctx.top_params())
    col = "median_days_to_complete"
    fig = ui.figure("days_to_complete", lang=ctx.lang, max_ticks=4, df=rows[["branch_code", "period", col]],
                 color="branch_code", company=company[["period", col]], names=ctx.unit_names,
                 company_name=ctx.top_label(),
                 target=scorecard.trend_targets(targets(ctx), col, ctx.state.branches), annotations=ui.events(ctx))
    ui.chart(ctx, fig, col, key="services_days")
    st.caption(ctx.t("services.days_caption"))


def backlog():
    return ctx.query("request_backlog_by_period", branches=ctx.branches, **ctx.span())


def draw_backlog():
    df = backlog()
    if df.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    names = {"open_requests": ctx.t("services.open_requests"),
             "postponed_requests": ui.kpi_label_of(ctx, "postponed_requests", "services.postponed_requests")}
    long = df.melt(id_vars="period", value_vars=list(names), var_name="measure", value_name="count")
    fig = ui.figure("trend", lang=ctx.lang, max_ticks=4, df=long, y="count", unit="count", color="measure",
                    names=names, title=ctx.t("services.backlog_title"),
                    target=scorecard.scope_target(targets(ctx), "postponed_requests", ctx.state.branches),
                    annotations=ui.events(ctx))
    ui.chart(ctx, fig, "request_backlog", key="services_backlog")


def draw_backlog_table():
    df = backlog()
    if df.empty:
        return
    shown = pd.DataFrame({ctx.t("col.period"): [formats.fmt_period(p, ctx.lang) for p in df["period"]]})
    for col in ("requests", "completed_requests", "open_requests", "postponed_requests"):
        shown[ctx.t(f"services.col_{col}")] = [formats.fmt_number(v, ctx.lang) for v in df[col]]
    st.dataframe(shown, hide_index=True, width="stretch", key="services_backlog_table")


def draw_backlog_downloads():
    if not backlog().empty:
        ui.downloads(ctx, backlog, "request_backlog", key="services_backlog_table")


st.subheader(ctx.t("services.channels_title"), divider="gray")
st.caption(scope_caption(ctx))
ui.guarded(ctx, lambda: ui.tile(ctx, "request_channel_mix", draw_channels, branches=ctx.branches, **ctx.span()),
           shared="channels")
st.subheader(ctx.t("services.completion_title"), divider="gray")
left, right = st.columns(2)
with left:
    ui.guarded(ctx, draw_days, shared=True)
with right:
    ui.guarded(ctx, draw_backlog, shared=True)
    with st.expander(ctx.t("services.backlog_table"), icon=":material/table:"):
        ui.guarded(ctx, draw_backlog_table, shared=True)
        ui.guarded(ctx, draw_backlog_downloads)
ui.footer(ctx)
