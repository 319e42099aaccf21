"""Digital adoption (/adoption): phone, email, app and Zalo by branch, and the path from customers to each contact."""
import streamlit as st

from dashboard import charts, formats, ui
from dashboard.family import run_family


def draw_funnel(ctx: ui.Page) -> None:
    period = ctx.state.period_to
    rows = ctx.query("branch_kpis", branches=ctx.branches, period_from=period, period_to=period)
    st.caption(ctx.t("adoption.funnel_caption", scope=ctx.scope_label(),
                     period=formats.fmt_period(period, ctx.lang, "long")))
    if rows.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    counts = ["period", *(col for col, _ in charts.ADOPTION_STAGES if col in rows.columns)]
    fig = ui.figure("adoption_funnel", lang=ctx.lang, counts=rows[counts])
    ui.chart(ctx, fig, "adoption_funnel", key="adoption_funnel")


ctx = ui.page("adoption")
run_family(ctx)
st.subheader(ctx.t("adoption.funnel_title"), divider="gray")
ui.guarded(ctx, lambda: draw_funnel(ctx))
ui.footer(ctx)
