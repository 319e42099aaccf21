"""Sections the pages share: the KPI cards of a scope (overview, family pages), and what every KPI-family page
draws (adoption, metering, payments, services): a KPI picker whose value lives in the URL (`kpi=`), the KPI's
trend by branch with the company line, target and events, and the branch comparison for the period.
Streamlit glue, like ui.py: the figures, ranks and states come from charts and scorecard."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import charts, formats, registry, scorecard, ui


def history_from(ctx: ui.Page) -> dt.date:
    """Twelve months before the period (for cards: sparkline and same period last year)."""
    return max(scorecard.month_shift(ctx.state.period_to, -12), ctx.periods[0])


def targets(ctx: ui.Page) -> pd.DataFrame:
    """The targets in force from the card history or the view's start (the earlier) to the period."""
    start = min(ctx.state.period_from, history_from(ctx))
    return ctx.query("targets_in_force", period_from=start, period_to=ctx.state.period_to)


def family_kpis(ctx: ui.Page, family: str) -> pd.DataFrame:
    kpis = ui.kpi_catalog(ctx)
    return kpis[kpis["family"] == family].reset_index(drop=True)


def chosen_kpi(ctx: ui.Page, kpis: pd.DataFrame) -> dict:
    """The KPI named by `kpi=` in the URL (ui.page has checked it against the family), else the page's default."""
    options = list(kpis["kpi"])
    wanted = ctx.state.extra(registry.KPI_PARAM)
    default = ctx.spec.default_kpi if ctx.spec.default_kpi in options else options[0]
    chosen = wanted if wanted in options else default
    return kpis[kpis["kpi"] == chosen].iloc[0].to_dict()


def kpi_picker(ctx: ui.Page, kpis: pd.DataFrame, chosen: dict) -> None:
    """A selectbox set from the URL before it is drawn; a change is written back to the URL."""
    key = f"ctl_{ctx.key}_{registry.KPI_PARAM}"
    st.session_state[key] = chosen["kpi"]
    names = {k["kpi"]: ui.kpi_label(ctx, k) for k in kpis.to_dict("records")}
    st.selectbox(ctx.t(ctx.spec.picker_label), list(names), key=key, format_func=names.get,
                 on_change=lambda: ui.write_state(ctx, **{registry.KPI_PARAM: st.session_state.get(key)}))


def scope_caption(ctx: ui.Page) -> str:
    return ctx.t("scope.caption", scope=ctx.scope_label(),
                 range=formats.fmt_period_range(ctx.state.period_from, ctx.state.period_to, ctx.lang))


# ---------------------------------------------------------------- cards


def scope_cards(ctx: ui.Page, kpis: pd.DataFrame, tg: pd.DataFrame) -> tuple[list[scorecard.Card], dict] | None:
    """The cards of the view's scope at the period: one branch's when the link names exactly one, else the
    company's, and when each KPI reaches its target at the current trend (for the card's help). Draws the caption
    saying whose; None (after saying so) when there are no rows."""
    period = ctx.state.period_to
    code = ctx.state.branches[0] if len(ctx.state.branches) == 1 else None
    scope = ctx.branch_names.get(code, code) if code else ctx.top_label()
    st.caption(ctx.t("overview.cards_for", scope=scope, period=formats.fmt_period(period, ctx.lang, "long")))
    found = scorecard.scope_cards(ctx.query, kpis, tg, period, ctx.periods[0], ctx.state.cmp, ctx.lang, code,
                                  ctx.company)
    if found is None:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return None
    cards, reach = found
    marks = ui.provisional_marks(ctx)
    return [replace(c, provisional=scorecard.provisional_notes(marks, period, code, c.kpi, ctx.lang))
            for c in cards], reach


def pack_download(ctx: ui.Page, branch: str | None) -> None:
    """'Tải báo cáo PDF': the director pack of this link (its data version, period, comparison and language) for
    one branch, or the company for None; made only when clicked (a widget: never inside a shared section)."""
    from dashboard import pack

    several = len(ctx.companies) > 1
    company = ctx.company if several and not branch else None
    top = company or (pack.CORPORATION_CODE if several else pack.COMPANY_CODE)
    spec = pack.PackSpec(ctx.state.period_to, branch, ctx.state.cmp, ctx.lang, ctx.state.period_from, company, top)
    scope = ctx.branch_names.get(branch, branch) if branch else ctx.top_label()
    st.download_button(ctx.t("pack.download"), lambda: pack.pdf_bytes(ctx, spec), file_name=spec.file_name,
                       mime="application/pdf", key="pack_pdf", on_click="ignore", icon=":material/picture_as_pdf:",
                       help=ctx.t("pack.download_help", scope=scope,
                                  period=formats.fmt_period(ctx.state.period_to, ctx.lang, "long")))


def pack_unavailable(ctx: ui.Page) -> None:
    """The button, disabled, where the link names several branches (a pack is one branch or the company)."""
    st.download_button(ctx.t("pack.download"), b"", file_name="", key="pack_pdf", disabled=True,
                       icon=":material/picture_as_pdf:", help=ctx.t("pack.download_many"))


def descriptions(ctx: ui.Page, kpis: pd.DataFrame, reach: dict | None = None) -> dict[str, str]:
    """Each card's help: the KPI's definition, and when it reaches its target in force (`reach`) and EVN's 2025
    target (worked out here for the same scope) at the current trend."""
    texts = dict(zip(kpis["kpi"], kpis["description_vi" if ctx.lang == "vi" else "description_en"]))
    evn = evn_reach(ctx, kpis) if reach else {}
    for kpi, expected in (reach or {}).items():
        lines = [f"**{ctx.t(label)}:** {scorecard.reach_text(r, ctx.lang)}."
                 for label, r in (("col.expected", expected), ("col.expected_evn", evn.get(kpi)))
                 if r is not None and r.state != "too_short"]
        if lines:
            texts[kpi] = "\n\n".join([texts.get(kpi) or "", *lines, ctx.t("branch.expected_help")])
    return texts


def evn_reach(ctx: ui.Page, kpis: pd.DataFrame) -> dict:
    """When each KPI of the view's scope (one branch when the link names exactly one, else the company) reaches
    EVN's 2025 target at the current trend."""
    code = ctx.state.branches[0] if len(ctx.state.branches) == 1 else None
    return scorecard.evn_reach(ctx.query, kpis, ctx.state.period_to, ctx.periods[0], code, ctx.company)


def family_cards(ctx: ui.Page, kpis: pd.DataFrame, tg: pd.DataFrame) -> None:
    """The family's cards for the scope at the period, compared as the link says (cmp=)."""
    found = scope_cards(ctx, kpis, tg)
    if found is None:
        return
    cards, reach = found
    per_row = len(cards) if len(cards) <= 4 else (3 if len(cards) in (5, 6, 9) else 4)
    ui.card_grid(ctx, cards, descriptions(ctx, kpis, reach), per_row)


# ---------------------------------------------------------------- trend and comparison of one KPI


def kpi_trend(ctx: ui.Page, k: dict, tg: pd.DataFrame) -> None:
    """The KPI by branch (the chosen ones, or all of the company's; the companies at the corporation level) with the
    company (or corporation) line, target and events."""
    col = k["column_name"]
    rows = ui.unit_rows(ctx, ctx.state.period_from, ctx.state.period_to)
    if rows.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    company = ctx.query("company_kpis", **ctx.top_params())
    # taller than Plotly's default: with nine branches the legend takes half the height on a phone
    fig = ui.figure("trend", lang=ctx.lang, max_ticks=6, company_is_average=k["unit"] == "count", height=520,
                    df=rows[["branch_code", "period", col]], y=col, unit=k["unit"],
                    title=ctx.t("family.trend_title_company" if ctx.by_company else "family.trend_title",
                                kpi=ui.kpi_label(ctx, k)),
                    company=charts.company_line(company, col, k["unit"], len(ctx.unit_names)),
                    target=scorecard.trend_targets(tg, k["kpi"], ctx.state.branches), annotations=ui.events(ctx),
                    names=ctx.unit_names, provisional=provisional_points(ctx, k["kpi"]),
                    company_name=ctx.top_label(), average_name=ctx.top_average_label())
    ui.chart(ctx, fig, k["kpi"], key=f"{ctx.key}_trend")


def provisional_points(ctx: ui.Page, kpi: str) -> pd.DataFrame | None:
    """The trend's points that are provisional: (branch_code, period), branch_code None for the company line."""
    marks = ui.provisional_marks(ctx)
    marks = marks[marks["kpi"].isna() | (marks["kpi"] == kpi)]
    if marks.empty:
        return None
    shown = marks[marks["branch_code"].isin(ctx.branches)][["branch_code", "period"]]
    company = marks[["period"]].assign(branch_code=None)
    return pd.concat([shown, company], ignore_index=True).drop_duplicates()


def comparison_chart(ctx: ui.Page, k: dict, tg: pd.DataFrame) -> None:
    """Branches side by side for the period, bars coloured against their targets."""
    period = ctx.state.period_to
    data = comparison_data(ctx, k, tg)
    if data.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    with_target = {c: v for c, v in zip(data["branch_code"], data["target"]) if v is not None}
    fig = ui.figure("branch_bars", lang=ctx.lang, df=data[["branch_code", "value"]], value="value", unit=k["unit"],
                    title=ctx.t("family.comparison_title", kpi=ui.kpi_label(ctx, k),
                                period=formats.fmt_period(period, ctx.lang)),
                    target=with_target or None, direction=k["direction"], names=ctx.unit_names)
    ui.chart(ctx, fig, k["kpi"], key=f"{ctx.key}_bars")


def comparison_data(ctx: ui.Page, k: dict, tg: pd.DataFrame) -> pd.DataFrame:
    period = ctx.state.period_to
    return scorecard.comparison_rows(ui.unit_rows(ctx, period, period), k, tg, period, ctx.unit_names)


def comparison_export(ctx: ui.Page, k: dict, tg: pd.DataFrame) -> pd.DataFrame:
    """The comparison table as downloaded: raw values, the status in words, the KPI's label and unit."""
    data = comparison_data(ctx, k, tg)
    states = [scorecard.status_text(s, g, ctx.lang) for s, g in zip(data["status"], data["target"])]
    return data.assign(status=states, label=ui.kpi_label(ctx, k), unit=k["unit"])


def comparison_table(ctx: ui.Page, k: dict, tg: pd.DataFrame) -> None:
    """The table behind the bars: value, rank, target and state per branch, best first."""
    data = comparison_data(ctx, k, tg)
    if data.empty:
        return
    unit = k["unit"]
    states = [scorecard.status_text(s, g, ctx.lang) for s, g in zip(data["status"], data["target"])]
    shown = pd.DataFrame({
        ctx.unit_column(): data["branch_name"],
        ctx.t("col.value"): [formats.fmt_kpi(v, unit, ctx.lang) for v in data["value"]],
        ctx.t("col.rank"): [formats.fmt_rank(r, n, ctx.lang) for r, n in zip(data["rank"], data["ranked"])],
        ctx.t("col.target"): [formats.fmt_kpi(v, unit, ctx.lang) for v in data["target"]],
        ctx.t("col.status"): states,
    })
    st.dataframe(ui.status_table(shown, list(data["status"]), ctx.t("col.status")), hide_index=True,
                 width="stretch", height="content", key=f"{ctx.key}_table")


# ---------------------------------------------------------------- a family page


def family_sections(ctx: ui.Page) -> dict | None:
    """Cards, KPI picker, trend by branch and branch comparison; returns the chosen KPI's catalogue row."""
    kpis = family_kpis(ctx, ctx.spec.family)
    if kpis.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return None
    chosen = chosen_kpi(ctx, kpis)
    # Each section asks for the targets itself (a cached query), so a broken targets file fails each in place.
    # The drawn sections depend only on the view: one session draws them, the others replay them (shared=True).
    def cards() -> None:
        family_cards(ctx, kpis, targets(ctx))

    def trend() -> None:
        kpi_trend(ctx, chosen, targets(ctx))

    def chart() -> None:
        comparison_chart(ctx, chosen, targets(ctx))

    def table() -> None:
        comparison_table(ctx, chosen, targets(ctx))

    def table_downloads() -> None:
        period = ctx.state.period_to  # (the rows' presence, not the whole comparison: this runs in every session)
        if not ctx.query("branch_kpis", branches=ctx.branches, period_from=period, period_to=period).empty:
            ui.downloads(ctx, lambda: comparison_export(ctx, chosen, targets(ctx)), f"{chosen['kpi']}_by_branch",
                         key=f"{ctx.key}_table")

    ui.guarded(ctx, cards, shared=True)
    st.subheader(ctx.t("family.by_company" if ctx.by_company else "family.by_branch"), divider="gray")
    kpi_picker(ctx, kpis, chosen)
    st.caption(scope_caption(ctx))
    ui.guarded(ctx, trend, shared=True)
    left, right = st.columns(2)  # the branches side by side for the period: bars, and the table behind them
    with left:
        ui.guarded(ctx, chart, shared=True)
    with right:
        ui.guarded(ctx, table, shared=True)
        ui.guarded(ctx, table_downloads)
    return chosen


def run_family(ctx: ui.Page) -> dict | None:
    """family_sections, guarded: when even the KPI catalogue fails the page still shows the error and footer."""
    out: dict = {}

    def draw() -> None:
        out["kpi"] = family_sections(ctx)

    ui.guarded(ctx, draw)
    return out.get("kpi")
