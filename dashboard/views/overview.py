"""Overview (/): the KPI cards of the company (or of the branch the link names) for the period, the biggest
misses, and the branch x KPI table."""
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
    names = [ctx.branch_names.get(c, c) for c in values.index]
    values.index, states.index = names, names
    units = dict(zip(shown["label_vi" if ctx.lang == "vi" else "label_en"], shown["unit"]))
    styler = (values.style
              .format({col: (lambda v, u=units[col]: formats.fmt_kpi(v, u, ctx.lang)) for col in values.columns})
              .apply(lambda _: states.map(lambda s: ui.STATUS_CELL.get(s, "")), axis=None))
    st.subheader(ctx.t("overview.scorecard"), divider="gray")
    st.caption(ctx.t("overview.table_help", period=formats.fmt_period(period, ctx.lang)))
    st.dataframe(styler, width="stretch", key="branch_table")


def table_export():
    """The branch x KPI table as downloaded: code, name, then one column per KPI (raw values)."""
    _, values, _ = matrix(kpis(), branch_rows(), targets())
    export = values.reset_index(drop=True)
    export.insert(0, ctx.t("col.branch"), [ctx.branch_names.get(c, c) for c in values.index])
    export.insert(0, ctx.t("col.branch_code"), list(values.index))
    return export


def kpis():
    return ui.kpi_catalog(ctx)


def targets():
    return ctx.query("targets_in_force", period_from=history_from(ctx), period_to=period)


def branch_rows():
    return ctx.query("branch_kpis", branches=ctx.branches, period_from=period, period_to=period)


def draw_misses():
    st.markdown(f"**{escape_markdown(scorecard.misses_sentence(kpis(), branch_rows(), targets(), period, ctx.lang))}**")


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
