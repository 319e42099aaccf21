"""Overview (/): the company's KPI cards for the period, the biggest misses, and the branch x KPI table."""
import streamlit as st

from dashboard import formats, scorecard, ui
from dashboard.labels import escape_markdown

ctx = ui.page("overview")
period = ctx.state.period_to
history_from = max(scorecard.month_shift(period, -12), ctx.periods[0])
FAMILIES = ("adoption", "metering", "payments", "services")


def misses_sentence(kpis, branch_rows, targets):
    every = scorecard.biggest_misses(kpis, branch_rows, targets, period, ctx.lang, n=len(kpis) * len(branch_rows))
    misses = every[:3]
    when = formats.fmt_period(period, ctx.lang)
    if targets.empty:
        return ctx.t("misses.no_targets", period=when)
    if not misses:
        return ctx.t("misses.none", period=when)
    items = "; ".join(ctx.t("misses.item", branch=m.branch_name, kpi=m.label,
                            value=formats.fmt_kpi(m.value, m.unit, ctx.lang),
                            target=formats.fmt_kpi(m.target, m.unit, ctx.lang)) for m in misses)
    return ctx.t("misses.sentence", period=when, count=formats.fmt_number(len(every), ctx.lang), items=items)


def draw_cards(kpis, series, targets, branch_code):
    cards = {c.kpi: c for c in scorecard.cards(kpis, series, targets, period, ctx.state.cmp, ctx.lang, branch_code)}
    cmp_label = ctx.t(f"cmp.{ctx.state.cmp}")
    for family in FAMILIES:
        fam = kpis[kpis["family"] == family]
        if fam.empty:
            continue
        st.subheader(ctx.t(f"page.{family}"), divider="gray")
        records = fam.to_dict("records")
        for start in range(0, len(records), 4):  # row by row, so a phone stacks the cards in reading order
            cols = st.columns(4)
            for col, k in zip(cols, records[start:start + 4]):
                with col, st.container(border=True, height="stretch"):
                    draw_card(cards[k["kpi"]], k, cmp_label)


def draw_card(card, k, cmp_label):
    delta = None if card.delta is None else formats.fmt_delta(card.delta, card.unit, ctx.lang)
    unchanged = delta is not None and not delta.startswith(("+", "-"))  # rounds to zero: no arrow, no colour
    st.metric(card.label, formats.fmt_kpi(card.value, card.unit, ctx.lang), delta=delta,
              delta_color="off" if unchanged else {"higher": "normal", "lower": "inverse"}.get(card.direction, "off"),
              delta_arrow="off" if unchanged else "auto",
              delta_description=None if card.delta is None else cmp_label,
              chart_data=card.spark or None,
              help=k["description_vi"] if ctx.lang == "vi" else k["description_en"])
    if card.status:
        target = formats.fmt_kpi(card.target, card.unit, ctx.lang)
        st.badge(f"{ctx.t(ui.STATUS_LABEL[card.status])} · {ctx.t('metric.target_value', target=target)}",
                 color=ui.STATUS_BADGE[card.status])


def draw_table(kpis, branch_rows, targets):
    shown = kpis[kpis["direction"].notna() | (kpis["kpi"] == "customers")]
    values, states = scorecard.branch_matrix(shown, branch_rows, targets, period, ctx.lang)
    names = [ctx.branch_names.get(c, c) for c in values.index]
    values.index, states.index = names, names
    units = dict(zip(shown["label_vi" if ctx.lang == "vi" else "label_en"], shown["unit"]))
    styler = (values.style
              .format({col: (lambda v, u=units[col]: formats.fmt_kpi(v, u, ctx.lang)) for col in values.columns})
              .apply(lambda _: states.map(lambda s: ui.STATUS_CELL.get(s, "")), axis=None))
    st.subheader(ctx.t("overview.scorecard"), divider="gray")
    st.caption(ctx.t("overview.table_help", period=formats.fmt_period(period, ctx.lang)))
    st.dataframe(styler, width="stretch", key="branch_table")
    export = values.copy()
    export.insert(0, ctx.t("col.branch"), names)
    export.insert(0, ctx.t("col.branch_code"), list(states.index.map(
        {v: k for k, v in ctx.branch_names.items()}.get)))
    ui.downloads(ctx, export.reset_index(drop=True), f"scorecard_{period:%Y-%m}", key="branch_table")


def kpis():
    return ui.kpi_catalog(ctx)


def targets():
    return ctx.query("targets_in_force", period_from=history_from, period_to=period)


def branch_rows():
    return ctx.query("branch_kpis", branches=ctx.branches, period_from=period, period_to=period)


def draw_misses():
    st.markdown(f"**{escape_markdown(misses_sentence(kpis(), branch_rows(), targets()))}**")


def draw_scorecards():
    scope, code = ctx.t("metric.company"), None
    if len(ctx.state.branches) == 1:
        code = ctx.state.branches[0]
        scope = ctx.branch_names.get(code, code)
        series = ctx.query("branch_kpis", branches=[code], period_from=history_from, period_to=period)
    else:
        series = ctx.query("company_kpis", period_from=history_from, period_to=period)
    st.caption(ctx.t("overview.cards_for", scope=scope, period=formats.fmt_period(period, ctx.lang, "long")))
    if series.empty:
        st.info(ctx.t("empty.no_rows"))
    else:
        draw_cards(kpis(), series, targets(), code)


def draw_branch_table():
    rows = branch_rows()
    if rows.empty:
        st.info(ctx.t("empty.no_rows"))
    else:
        draw_table(kpis(), rows, targets())


# Each section fails alone: a broken query shows its error in place and the rest still renders.
ui.guarded(ctx, draw_misses)
ui.guarded(ctx, draw_scorecards)
ui.guarded(ctx, draw_branch_table)
ui.footer(ctx)
