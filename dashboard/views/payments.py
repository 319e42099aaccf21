"""Online payment (/payments): the online share on one basis at a time (payments, amount or paying customers,
never mixed on one chart; the basis is `kpi=` in the URL) by branch, and the payment channel mix over time."""
import streamlit as st

from dashboard import formats, ui
from dashboard.family import run_family, scope_caption

ctx = ui.page("payments")
chosen = run_family(ctx)
# The channel mix adds up by payments or by amount; a customer may use several channels, so not by customers.
by_amount = bool(chosen) and chosen["kpi"] == "online_amount_share"
value = "paid_vnd" if by_amount else "payments"


def with_names(df):
    return df.assign(channel_name=df["name_vi"] if ctx.lang == "vi" else df["name_en"])


def draw_mix(df):
    basis = ctx.t("basis.amount" if by_amount else "basis.payments")
    fig = ui.figure("channel_mix", lang=ctx.lang, df=with_names(df)[["period", "channel_name", "is_online", value]],
                 value=value, channel="channel_name", title=f"{ctx.t('chart.channel_mix_title')} – {basis}",
                 annotations=ui.events(ctx))
    ui.chart(ctx, fig, f"payment_channel_mix_{'amount' if by_amount else 'payments'}", key="payments_mix")
    if chosen and chosen["kpi"] == "online_customer_share":
        st.caption(ctx.t("payments.mix_customers_note"))


def draw_mix_table(df):
    period = ctx.state.period_to
    last = with_names(df[df["period"].map(formats.to_month) == period])
    if last.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    payments, paid = last["payments"].sum(), last["paid_vnd"].sum()
    shown = last.sort_values(["is_online", "payments"], ascending=[False, False])
    table = {
        ctx.t("chart.channel"): shown["channel_name"],
        ctx.t("chart.online"): [ctx.t("common.yes") if x else ctx.t("common.no") for x in shown["is_online"]],
        ctx.t("payments.col_payments"): [formats.fmt_number(v, ctx.lang) for v in shown["payments"]],
        ctx.t("payments.col_payment_share"): [formats.fmt_percent(v / payments if payments else None, ctx.lang, 1)
                                              for v in shown["payments"]],
        ctx.t("payments.col_paid"): [formats.fmt_money(v, ctx.lang) for v in shown["paid_vnd"]],
        ctx.t("payments.col_paid_share"): [formats.fmt_percent(v / paid if paid else None, ctx.lang, 1)
                                           for v in shown["paid_vnd"]],
    }
    st.caption(ctx.t("payments.mix_table_caption", period=formats.fmt_period(period, ctx.lang, "long")))
    st.dataframe(table, hide_index=True, width="stretch", key="payments_mix_table")


def mix():
    return ctx.query("payment_channel_mix", branches=ctx.branches, **ctx.span())


def draw_mix_downloads():
    if not mix().empty:
        ui.downloads(ctx, mix, "payment_channel_mix", key="payments_mix_table")


st.subheader(ctx.t("chart.channel_mix_title"), divider="gray")
st.caption(scope_caption(ctx))
ui.guarded(ctx, lambda: ui.tile(ctx, "payment_channel_mix", draw_mix, branches=ctx.branches, **ctx.span()),
           shared="mix_chart")
with st.expander(ctx.t("payments.mix_table"), icon=":material/table:"):
    ui.guarded(ctx, lambda: ui.tile(ctx, "payment_channel_mix", draw_mix_table, branches=ctx.branches,
                                    **ctx.span()), shared="mix_table")
    ui.guarded(ctx, draw_mix_downloads)
ui.footer(ctx)
