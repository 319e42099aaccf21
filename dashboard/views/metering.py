"""Remote reading and estimated bills (/metering): remote-read and estimate KPIs by branch, how far estimates
missed the real reading (distribution and signed bias), and the estimates still awaiting true-up."""
import streamlit as st

from dashboard import formats, scorecard, ui
from dashboard.family import run_family, scope_caption, targets

ctx = ui.page("metering")
run_family(ctx)


def trueups():
    return ctx.query("estimate_trueups_by_period", branches=ctx.branches, **ctx.span())


def draw_distribution(df):
    fig = ui.figure("estimate_error_hist", lang=ctx.lang, df=df.assign(error_rate=df["error_bin"] / 100),
                 value="error_rate", count="estimates")
    ui.chart(ctx, fig, "estimate_error_distribution", key="metering_error_hist")


def draw_bias():
    df = trueups()
    if df.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    fig = ui.figure("estimate_bias", lang=ctx.lang, max_ticks=4, df=df[["period", "offset_kwh"]], value="offset_kwh",
                 unit="kwh", annotations=ui.events(ctx))
    ui.chart(ctx, fig, "estimate_offset_kwh", key="metering_bias")


def draw_abs_error():
    df = trueups()
    if df.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    fig = ui.figure("trend", lang=ctx.lang, max_ticks=4, df=df[["period", "abs_offset_kwh"]], y="abs_offset_kwh",
                 unit="kwh", color=None, title=ctx.t("metering.abs_title"), series_name=ctx.scope_label(),
                 annotations=ui.events(ctx))
    ui.chart(ctx, fig, "estimate_abs_offset_kwh", key="metering_abs")


def draw_pending():
    df = trueups()
    if df.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    title = ui.kpi_label_of(ctx, "pending_estimates", "metering.pending_title")
    fig = ui.figure("trend", lang=ctx.lang, max_ticks=4, df=df[["period", "pending_estimates"]], y="pending_estimates",
                 unit="count", color=None, title=title, series_name=ctx.scope_label(),
                 target=scorecard.scope_target(targets(ctx), "pending_estimates", ctx.state.branches),
                 annotations=ui.events(ctx))
    ui.chart(ctx, fig, "pending_estimates", key="metering_pending")
    st.caption(ctx.t("metering.pending_caption"))


def draw_trueup_table():
    df = trueups()
    if df.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    shown = df.assign(period=[formats.fmt_period(p, ctx.lang) for p in df["period"]])
    counts = ("estimated_bills", "trued_up_estimates", "pending_estimates")
    kwh = ("estimated_kwh", "trued_up_kwh", "offset_kwh", "abs_offset_kwh")
    for col in counts:
        shown[col] = [formats.fmt_number(v, ctx.lang) for v in df[col]]
    for col in kwh:
        shown[col] = [formats.fmt_kwh(v, ctx.lang) for v in df[col]]
    shown.columns = [ctx.t(f"metering.col_{c}") for c in df.columns]
    st.dataframe(shown, hide_index=True, width="stretch", key="metering_trueups")


def draw_trueup_downloads():
    if not trueups().empty:
        ui.downloads(ctx, trueups, "estimate_trueups", key="metering_trueups")


st.subheader(ctx.t("metering.errors_title"), divider="gray")
st.caption(ctx.t("metering.errors_caption", scope=scope_caption(ctx)))
left, right = st.columns(2)
with left:
    ui.guarded(ctx, lambda: ui.tile(ctx, "estimate_error_distribution", draw_distribution,
                                    branches=ctx.branches, **ctx.span()), shared="error_distribution")
with right:
    ui.guarded(ctx, draw_bias, shared=True)
left, right = st.columns(2)
with left:
    ui.guarded(ctx, draw_abs_error, shared=True)
with right:
    ui.guarded(ctx, draw_pending, shared=True)
with st.expander(ctx.t("metering.trueups_table"), icon=":material/table:"):
    ui.guarded(ctx, draw_trueup_table, shared=True)
    ui.guarded(ctx, draw_trueup_downloads)
ui.footer(ctx)
