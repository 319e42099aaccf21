"""Data (/data): the published data version (built when, from which files, how many rows), the versions kept
for shared links, and the KPI catalogue with its definitions."""
import datetime as dt
import json

import pandas as pd
import streamlit as st

from dashboard import formats, links, registry, ui, warehouse
from dashboard.labels import escape_markdown

ctx = ui.page("data")


def as_list(raw):
    """A JSON column as Python (DuckDB hands JSON over as text)."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    return json.loads(raw) if isinstance(raw, (str, bytes)) else raw


def version_time(version):
    """A version id starts with its build time in UTC: 20201126T164023Z-0d6117."""
    try:
        return dt.datetime.strptime(version[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def draw_version(df):
    row = df.iloc[0]
    files = pd.DataFrame(as_list(row["source_files"]) or [],
                         columns=["table", "file", "bytes", "sha256", "rows"])
    counts = as_list(row["row_counts"]) or {}
    # version ids and times are too long for metric cards on a phone: plain lines for them
    st.markdown(f"**{escape_markdown(ctx.t('data.version'))}:** `{row['version']}`  \n"
                f"**{escape_markdown(ctx.t('data.built_at'))}:** "
                f"{escape_markdown(formats.fmt_datetime(formats.as_utc(row['built_at']), ctx.lang))}  \n"
                f"{escape_markdown(ctx.t('data.source_dir', path=str(row['source_dir'])))}")
    cols = st.columns(3)
    cols[0].metric(ctx.t("data.first_period"), formats.fmt_period(row["first_period"], ctx.lang, "long"), border=True)
    cols[1].metric(ctx.t("data.latest_period"), formats.fmt_period(row["latest_period"], ctx.lang, "long"),
                   border=True)
    cols[2].metric(ctx.t("data.total_rows"), formats.fmt_number(sum(counts.values()) if counts else None, ctx.lang),
                   border=True)

    st.subheader(ctx.t("data.source_files"), divider="gray")
    if files.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
    else:
        st.dataframe(pd.DataFrame({
            ctx.t("data.table"): files["table"],
            ctx.t("data.file"): files["file"],
            ctx.t("data.rows"): [formats.fmt_number(v, ctx.lang) for v in files["rows"]],
            ctx.t("data.bytes"): [formats.fmt_number(v, ctx.lang) for v in files["bytes"]],
            ctx.t("data.checksum"): files["sha256"],
        }), hide_index=True, width="stretch", key="data_files")
        ui.downloads(ctx, files, f"source_files_{row['version']}", key="data_files")

    st.subheader(ctx.t("data.row_counts"), divider="gray")
    if not counts:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    table = pd.DataFrame({"table": list(counts), "rows": list(counts.values())})
    st.dataframe(pd.DataFrame({ctx.t("data.table"): table["table"],
                               ctx.t("data.rows"): [formats.fmt_number(v, ctx.lang) for v in table["rows"]]}),
                 hide_index=True, width="stretch", key="data_row_counts")
    ui.downloads(ctx, table, f"row_counts_{row['version']}", key="data_row_counts")


def draw_kept():
    kept = warehouse.kept_versions()
    if ctx.current_version not in kept:
        kept = [ctx.current_version, *kept]
    if not kept:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    try:
        base = st.context.url or "http://localhost:8501"
    except Exception:  # noqa: BLE001 - no browser session (AppTest)
        base = "http://localhost:8501"
    view = ctx.state.shared()
    rows = [{"version": v, "built_at": version_time(v), "is_current": v == ctx.current_version,
             "is_shown": v == ctx.version,
             "link": links.page_url(base, "/", view.pinned(v))}
            for v in kept]
    table = pd.DataFrame(rows)
    st.caption(ctx.t("data.kept_caption"))
    st.dataframe(pd.DataFrame({
        ctx.t("data.version"): [f"{v} ({ctx.t('data.current')})" if c else v
                                for v, c in zip(table["version"], table["is_current"])],
        ctx.t("data.built_at"): [formats.fmt_datetime(t, ctx.lang) for t in table["built_at"]],
        ctx.t("data.shown"): [ctx.t("common.yes") if s else "" for s in table["is_shown"]],
        ctx.t("data.open_version"): table["link"],
    }), hide_index=True, width="stretch", key="data_kept",
        column_config={ctx.t("data.open_version"): st.column_config.LinkColumn(
            display_text=ctx.t("data.open_version_text"))})
    export = table.assign(built_at=[t.replace(tzinfo=None) if t else None for t in table["built_at"]])
    ui.downloads(ctx, export, "kept_versions", key="data_kept")


def draw_catalogue():
    kpis = ui.kpi_catalog(ctx)
    if kpis.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    lang = ctx.lang
    st.dataframe(pd.DataFrame({
        ctx.t("col.kpi"): kpis[f"label_{lang}"],
        ctx.t("col.family"): [ctx.t(f"page.{f}") if f in FAMILIES else f for f in kpis["family"]],
        ctx.t("col.unit"): [ctx.t(f"unit.{u}") if u in UNITS else u for u in kpis["unit"]],
        ctx.t("col.direction"): [ctx.t(f"direction.{d}") if d in ("higher", "lower") else ""
                                 for d in kpis["direction"]],
        ctx.t("col.description"): kpis[f"description_{lang}"],
        ctx.t("col.kpi_id"): kpis["kpi"],
        ctx.t("col.column"): kpis["column_name"],
    }), hide_index=True, width="stretch", height="content", key="data_kpis")
    ui.downloads(ctx, kpis, "kpi_catalogue", key="data_kpis")


FAMILIES = registry.FAMILIES
UNITS = formats.UNITS

ui.guarded(ctx, lambda: ui.tile(ctx, "data_version_info", draw_version))
st.subheader(ctx.t("data.kept_versions"), divider="gray")
ui.guarded(ctx, draw_kept)
st.subheader(ctx.t("data.kpi_catalogue"), divider="gray")
ui.guarded(ctx, draw_catalogue)
ui.footer(ctx)
