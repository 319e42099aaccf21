"""Overview (/): the KPI cards of the company (or of the branch the link names) for the period, the biggest
misses, and the branch x KPI table. At the corporation level: the corporation's cards, and the companies ranked in
the same table, each with a link to its branches."""

import streamlit as st

from dashboard import formats, registry, scorecard, ui
from dashboard.family import descriptions, history_from, pack_download, pack_unavailable, scope_cards
from dashboard.labels import escape_markdown

ctx = ui.page("overview")
period = ctx.state.period_to


def matrix(kpis, branch_rows, targets):
    """(values, states) of the branch x KPI table, indexed by branch code."""
    shown = kpis[kpis["direction"].notna() | (kpis["kpi"] == "customers")]
    values, states = scorecard.branch_matrix(shown, branch_rows, targets, period, ctx.lang)
    return shown, values, states


def draw_table(kpis, branch_rows, targets):
    shown, values, states = matrix(kpis, branch_rows, targets)
    codes = list(values.index)
    names = [ctx.unit_names.get(c, c) for c in codes]
    values.index, states.index = names, names
    units = dict(zip(shown["label_vi" if ctx.lang == "vi" else "label_en"], shown["unit"]))
    config = {}
    if ctx.by_company:  # each company opens its own branches
        link = ctx.t("col.open")
        values.insert(0, link, [ui.company_link(ctx, c) for c in codes])
        states.insert(0, link, None)
        config[link] = st.column_config.LinkColumn(link, display_text=ctx.t("overview.company_link"))
    styler = (values.style
              .format({col: (lambda v, u=units[col]: formats.fmt_kpi(v, u, ctx.lang)) for col in values.columns
                       if col in units})
              .apply(lambda _: states.map(lambda s: ui.STATUS_CELL.get(s, "")), axis=None))
    when = formats.fmt_period(period, ctx.lang)
    if ctx.by_company:
        st.subheader(ctx.t("overview.company_table"), divider="gray")
        st.caption(ctx.t("overview.company_table_help", period=when))
    else:
        st.subheader(ctx.t("overview.scorecard"), divider="gray")
        st.caption(ctx.t("overview.table_help", period=when))
    st.dataframe(styler, width="stretch", key="branch_table", column_config=config)


def table_export():
    """The branch x KPI table (company x KPI at the corporation level) as downloaded: code, name, then one column
    per KPI (raw values)."""
    _, values, _ = matrix(kpis(), branch_rows(), targets())
    export = values.reset_index(drop=True)
    export.insert(0, ctx.unit_column(), [ctx.unit_names.get(c, c) for c in values.index])
    export.insert(0, ctx.unit_column(code=True), list(values.index))
    return export


def kpis():
    return ui.kpi_catalog(ctx)


def targets():
    return ctx.query("targets_in_force", period_from=history_from(ctx), period_to=period)


def branch_rows():
    return ui.unit_rows(ctx, period, period)


def draw_misses():
    sentence = scorecard.misses_sentence(kpis(), branch_rows(), targets(), period, ctx.lang, ctx.by_company)
    st.markdown(f"**{escape_markdown(sentence)}**")


def draw_scorecards():
    catalogue = kpis()
    found = scope_cards(ctx, catalogue, targets())
    if found is None:
        return
    cards, reach = found
    by_kpi = {c.kpi: c for c in cards}
    helps = descriptions(ctx, catalogue, reach)
    for family in registry.FAMILIES:
        fam = [by_kpi[k] for k in catalogue.loc[catalogue["family"] == family, "kpi"]]
        if fam:
            st.subheader(ctx.t(f"page.{family}"), divider="gray")
            ui.card_grid(ctx, fam, helps, per_row=4)


def draw_pack_download():
    if len(ctx.state.branches) > 1:
        pack_unavailable(ctx)
    else:
        pack_download(ctx, ctx.state.branches[0] if ctx.state.branches else None)


def draw_branch_table():
    rows = branch_rows()
    if rows.empty:
        st.info(ctx.t("empty.no_rows"))
    else:
        draw_table(kpis(), rows, targets())


def draw_table_downloads():
    if not branch_rows().empty:
        ui.downloads(ctx, table_export, f"scorecard_{period:%Y-%m}", key="branch_table")


# Each section fails alone: a broken query shows its error in place and the rest still renders. They depend only
# on the view, so one session draws them and the others replay them (shared=True).
ui.guarded(ctx, draw_pack_download)
ui.guarded(ctx, draw_misses, shared=True)
ui.guarded(ctx, draw_scorecards, shared=True)
ui.guarded(ctx, draw_branch_table, shared=True)
ui.guarded(ctx, draw_table_downloads)
ui.footer(ctx)
