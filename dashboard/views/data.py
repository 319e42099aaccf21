"""Data and operations (/data): the published data version with its provisional figures, how fresh each branch's
data is and who is late, the monthly-load form (analysts and admins), the history of versions, what changed
between two versions (`old` and `new` in the URL), the audit log of builds and loads, and the KPI catalogue.
The thinking is in dashboard/operations.py."""
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import audit, auth, config, formats, links, operations, registry, ui, warehouse
from dashboard.labels import escape_markdown

ctx = ui.page("data")
DATA_DIR = config.data_dir()
TABLE_LABELS = {"bills": "ops.table.bills", "payments": "ops.table.payments",
                "service_requests": "ops.table.service_requests"}
CHECK_LABELS = {"no_bills": "ops.check.no_bills", "few_bills": "ops.check.few_bills",
                "kpi_jump": "ops.check.kpi_jump"}
LATE_CELL = "background-color: #f9d6d5"
MISSING_CELL = "background-color: #fff0c2"
PROVISIONAL_CELL = "background-color: #ece3f7"
FAILED_CELL = "background-color: #f9d6d5"


def as_list(raw):
    """A JSON column as Python (DuckDB hands JSON over as text)."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    return json.loads(raw) if isinstance(raw, (str, bytes)) else raw


def short(checksum) -> str:
    return str(checksum)[:12] if checksum else ""


def when(value) -> str:
    return formats.fmt_datetime(formats.as_utc(value), ctx.lang) if value is not None else ""


def period_text(period) -> str:
    return formats.fmt_period(period, ctx.lang) if period else ""


def audit_stamp() -> tuple:
    """Changes when a build or load writes the audit log (the history and lateness caches key on it)."""
    try:
        stat = (DATA_DIR / audit.FILE).stat()
    except FileNotFoundError:
        return ()
    return stat.st_mtime_ns, stat.st_size


@st.cache_data(show_spinner=False, ttl=600, max_entries=16)
def history(data_dir: str, kept: tuple[str, ...], current: str, stamp: tuple) -> pd.DataFrame:
    return operations.history(Path(data_dir))


@st.cache_data(show_spinner=False, ttl=3600, max_entries=16)
def changes(old_path: str, new_path: str) -> pd.DataFrame:
    # versions never change once published: the two files' paths are the key
    return operations.what_changed(Path(old_path), Path(new_path))


@st.cache_data(show_spinner=False, ttl=600, max_entries=16)
def freshness(path: str, data_dir: str, stamp: tuple, today: dt.date) -> operations.Freshness:
    return operations.freshness(Path(path), Path(data_dir), today=today)


@st.cache_data(show_spinner=False, ttl=600, max_entries=16)
def freshness_by_company(path: str, data_dir: str, stamp: tuple, today: dt.date,
                         branch_companies: dict[str, str]) -> pd.DataFrame:
    return operations.freshness_by_company(freshness(path, data_dir, stamp, today).table, branch_companies)


# ---------------------------------------------------------------- the published version


def draw_version(df):
    row = df.iloc[0]
    info = operations.version_info(ctx.path)
    files = pd.DataFrame(as_list(row["source_files"]) or [],
                         columns=["table", "file", "bytes", "sha256", "rows"])
    counts = as_list(row["row_counts"]) or {}
    kind = info.get("kind") or "build"
    by = info.get("loaded_by")
    made = ctx.t(f"ops.kind.{kind}") + (f" · {by}" if by and not pd.isna(by) else "")
    # version ids and times are too long for metric cards on a phone: plain lines for them
    st.markdown(f"**{escape_markdown(ctx.t('data.version'))}:** `{row['version']}`  \n"
                f"**{escape_markdown(ctx.t('data.built_at'))}:** "
                f"{escape_markdown(formats.fmt_datetime(formats.as_utc(row['built_at']), ctx.lang))} "
                f"({escape_markdown(made)})  \n"
                f"{escape_markdown(ctx.t('data.source_dir', path=str(row['source_dir'])))}")
    cols = st.columns(3)
    cols[0].metric(ctx.t("data.first_period"), formats.fmt_period(row["first_period"], ctx.lang, "long"), border=True)
    cols[1].metric(ctx.t("data.latest_period"), formats.fmt_period(row["latest_period"], ctx.lang, "long"),
                   border=True)
    cols[2].metric(ctx.t("data.total_rows"), formats.fmt_number(sum(counts.values()) if counts else None, ctx.lang),
                   border=True)

    with st.expander(ctx.t("data.source_files"), icon=":material/description:"):
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
    with st.expander(ctx.t("data.row_counts"), icon=":material/table_rows:"):
        if not counts:
            st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        else:
            table = pd.DataFrame({"table": list(counts), "rows": list(counts.values())})
            st.dataframe(pd.DataFrame({
                ctx.t("data.table"): table["table"],
                ctx.t("data.rows"): [formats.fmt_number(v, ctx.lang) for v in table["rows"]]}),
                hide_index=True, width="stretch", key="data_row_counts")
            ui.downloads(ctx, table, f"row_counts_{row['version']}", key="data_row_counts")


def draw_provisional():
    marks = ctx.query("provisional_marks", branches=list(ctx.branch_names), period_from=ctx.periods[0],
                      period_to=ctx.periods[-1]) if ctx.periods else pd.DataFrame()
    if marks.empty:
        st.caption(ctx.t("ops.provisional_none"))
        return
    column = "message_vi" if ctx.lang == "vi" else "message_en"
    st.dataframe(pd.DataFrame({
        ctx.t("ops.col.period"): [formats.fmt_period(p, ctx.lang) for p in marks["period"]],
        ctx.t("ops.col.branch"): marks["branch_name"],
        ctx.t("ops.col.check"): [ctx.t(CHECK_LABELS[c]) if c in CHECK_LABELS else c for c in marks["check_name"]],
        ctx.t("ops.col.message"): marks[column],
    }), hide_index=True, width="stretch", key="ops_provisional")
    ui.downloads(ctx, marks, "provisional", key="ops_provisional")


# ---------------------------------------------------------------- freshness


def draw_freshness():
    found = freshness(str(ctx.path), str(DATA_DIR), audit_stamp(), dt.date.today())
    table = found.table
    if table.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    if found.usual_day is None:
        st.caption(ctx.t("ops.usual_day_unknown"))
    else:
        key = "ops.usual_day" if found.usual_day <= 28 else "ops.usual_lag"
        st.caption(ctx.t(key, day=formats.fmt_number(found.usual_day, ctx.lang), next=period_text(found.next_period),
                         due=formats.fmt_date(found.next_due, ctx.lang)))
    if found.next_overdue:
        st.warning(ctx.t("ops.next_overdue", next=period_text(found.next_period),
                         due=formats.fmt_date(found.next_due, ctx.lang),
                         days=formats.fmt_number((found.today - found.next_due).days, ctx.lang)),
                   icon=":material/schedule:")
    if ctx.is_corporation:  # one row per company, each opening its branches; the download keeps every branch
        draw_units(freshness_by_company(str(ctx.path), str(DATA_DIR), audit_stamp(), dt.date.today(),
                                        ctx.branch_companies), "company_code",
                   ctx.t("col.company"), ctx.company_name, link=True)
        st.caption(ctx.t("ops.freshness_caption_companies"))
    else:
        scope = table[table["branch_code"].isin(ctx.scope_branches)]
        draw_units(scope, "branch_code", ctx.t("ops.col.branch"), lambda b: ctx.branch_names.get(b, b))
        st.caption(ctx.t("ops.freshness_caption"))
    ui.downloads(ctx, lambda: operations.flat(table), "freshness", key="ops_freshness")


def draw_units(table: pd.DataFrame, unit: str, heading: str, name, link: bool = False):
    """The freshness table, one row per branch (or company) and a column per fact table: latest period and rows,
    late cells red, missing ones yellow; then provisional marks and the row's state."""
    units = list(dict.fromkeys(table[unit]))
    by_cell = {(r[unit], r["source_table"]): r for r in table.to_dict("records")}
    wide = {heading: [name(u) for u in units]}
    if link:
        wide[ctx.t("col.open")] = [ui.company_link(ctx, u, "data") for u in units]
    paint: dict[str, list[str]] = {heading: [""] * len(units)}
    for source, key in TABLE_LABELS.items():
        column = ctx.t(key)
        cells, colours = [], []
        for u in units:
            r = by_cell.get((u, source))
            if r is None or r["latest_period"] is None:
                cells.append(ctx.t("ops.no_rows"))
                colours.append(MISSING_CELL)
                continue
            cells.append(f"{period_text(r['latest_period'])} · {formats.fmt_number(r['latest_rows'], ctx.lang)}")
            colours.append(LATE_CELL if r["late"] else MISSING_CELL if r["missing"] else "")
        wide[column], paint[column] = cells, colours
    rows = table.groupby(unit, sort=False)
    marks = rows["provisional"].first()
    wide[ctx.t("ops.col.provisional")] = [marks_text(marks.get(u)) for u in units]
    paint[ctx.t("ops.col.provisional")] = [PROVISIONAL_CELL if t else "" for t in wide[ctx.t("ops.col.provisional")]]
    states = [state_text(rows.get_group(u)) for u in units]
    wide[ctx.t("ops.col.state")] = states
    late = rows["late"].any()
    paint[ctx.t("ops.col.state")] = ["" if s == ctx.t("ops.state.ok") else LATE_CELL if late[u] else MISSING_CELL
                                     for s, u in zip(states, units)]
    shown = pd.DataFrame(wide)
    colours = pd.DataFrame({c: paint.get(c, [""] * len(units)) for c in shown.columns})
    config = {}
    if link:
        config[ctx.t("col.open")] = st.column_config.LinkColumn(display_text=ctx.t("ops.company_link"))
    st.dataframe(shown.style.apply(lambda _: colours, axis=None), hide_index=True, width="stretch",
                 key="ops_freshness", column_config=config)


def marks_text(marks) -> str:
    if not isinstance(marks, list) or not marks:
        return ""
    shown = [f"{period_text(m['period'])} {ctx.t(CHECK_LABELS.get(m['check'], 'ops.check.other'))}" for m in marks[:3]]
    more = len(marks) - len(shown)
    return "; ".join(shown) + (f" (+{more})" if more > 0 else "")


def state_text(rows: pd.DataFrame) -> str:
    """A branch's state (late by the most days of its tables, or missing a period, or up to date); a company's
    says how many of its branches are late or missing data."""
    late = rows[rows["late"]]
    if "late_branches" in rows:
        if not late.empty:
            return ctx.t("ops.state.branches_late", n=formats.fmt_number(late["late_branches"].max(), ctx.lang),
                         days=formats.fmt_number(late["days_late"].max(), ctx.lang))
        if rows["missing"].any():
            return ctx.t("ops.state.branches_missing",
                         n=formats.fmt_number(rows["missing_branches"].max(), ctx.lang),
                         period=period_text(rows.loc[rows["missing"], "company_latest"].iloc[0]))
        return ctx.t("ops.state.ok")
    if not late.empty:
        return ctx.t("ops.state.late", days=formats.fmt_number(late["days_late"].max(), ctx.lang))
    if rows["missing"].any():
        return ctx.t("ops.state.missing", period=period_text(rows["company_latest"].iloc[0]))
    return ctx.t("ops.state.ok")


# ---------------------------------------------------------------- the monthly load


def may_load() -> bool:
    return auth.current_role() in ("analyst", "admin")


def load_user() -> str | None:
    """Who the audit log names: the signed-in email, else (local mode) the server's login name."""
    if auth.signed_in():
        return getattr(st.user, "email", None)
    return None


def draw_load():
    if not may_load():
        st.caption(ctx.t("ops.load_roles"))
        return
    if auth.local_mode():
        st.caption(ctx.t("ops.load_local"))
    running = operations.load_in_progress(DATA_DIR)
    if running:
        draw_running()
    upload_key = f"ops_upload_{st.session_state.get('ops_upload_round', 0)}"
    files = st.file_uploader(ctx.t("ops.upload"), type=["csv", "parquet"], accept_multiple_files=True,
                             key=upload_key, help=ctx.t("ops.upload_help"))
    st.caption(ctx.t("ops.upload_note"))
    if files:
        st.dataframe(pd.DataFrame({
            ctx.t("data.file"): [f.name for f in files],
            ctx.t("data.bytes"): [formats.fmt_number(f.size, ctx.lang) for f in files],
        }), hide_index=True, width="stretch", key="ops_upload_files")
    label = ctx.t("ops.load_wait" if running else "ops.load_button")
    if st.button(label, key="ops_load", type="primary", disabled=not files, icon=":material/publish:"):
        outcome = start_load([(f.name, f.getvalue()) for f in files])
        if outcome.get("ok"):
            st.session_state["ops_upload_round"] = st.session_state.get("ops_upload_round", 0) + 1
            st.rerun()  # every section (and the sidebar's periods) reads the new version
    draw_outcome(st.session_state.get("ops_outcome"))


def start_load(files: list[tuple[str, bytes]]) -> dict:
    """Save the uploaded files as a new drop folder and load it, showing progress; the outcome is kept in the
    session (shown after the rerun that moves the page to the new version)."""
    try:
        folder = operations.save_upload(files, DATA_DIR)
    except operations.UploadError as exc:
        outcome = {"ok": False, "folder": "", "problems": pd.DataFrame(
            [{"file": "", "row": None, "column": None, "message": str(exc), "hint": None}])}
        st.session_state["ops_outcome"] = outcome
        return outcome
    with st.status(ctx.t("ops.loading"), expanded=True) as status:
        bar = st.progress(0.0, text=ctx.t("ops.starting"))

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=f"{fraction:.0%} · {message}")

        result = operations.run_load(folder, DATA_DIR, user=load_user(), progress=progress, lang=ctx.lang)
        status.update(label=ctx.t("ops.loaded" if result.ok else "ops.refused"),
                      state="complete" if result.ok else "error", expanded=False)
    outcome = {"ok": result.ok, "folder": folder.name, "problems": result.problems}
    if result.ok:
        r = result.result
        outcome.update(version=r.version, periods=[p.isoformat()[:7] for p in r.periods],
                       replaced=[p.isoformat()[:7] for p in r.replaced], changes=r.changes,
                       warnings=[{"branch_code": c.branch_code, "period": c.period, "message_vi": c.message_vi,
                                  "message_en": c.message_en} for c in r.warnings], seconds=r.seconds)
    st.session_state["ops_outcome"] = outcome
    return outcome


def draw_outcome(outcome: dict | None) -> None:
    if not outcome:
        return
    if not outcome["ok"]:
        st.error(ctx.t("ops.refused_note", folder=outcome["folder"]), icon=":material/block:")
        problems = outcome["problems"]
        st.dataframe(pd.DataFrame({
            ctx.t("ops.col.file"): problems["file"],
            ctx.t("ops.col.row"): [formats.fmt_number(v, ctx.lang) if pd.notna(v) else "" for v in problems["row"]],
            ctx.t("ops.col.column"): problems["column"].fillna(""),
            ctx.t("ops.col.message"): problems["message"],
            ctx.t("ops.col.hint"): problems["hint"].fillna(""),
        }), hide_index=True, width="stretch", key="ops_problems")
        ui.downloads(ctx, problems, "load_problems", key="ops_problems")
        return
    periods = ", ".join(period_text(p) for p in outcome["periods"])
    replaced = ", ".join(period_text(p) for p in outcome["replaced"])
    text = ctx.t("ops.published", version=outcome["version"], periods=periods,
                 seconds=formats.fmt_number(outcome["seconds"], ctx.lang, 1))
    if replaced:
        text += " " + ctx.t("ops.published_replaced", periods=replaced)
    st.success(escape_markdown(text), icon=":material/check_circle:")
    if outcome["changes"]:
        st.dataframe(pd.DataFrame({
            ctx.t("data.table"): list(outcome["changes"]),
            ctx.t("ops.col.added"): [formats.fmt_number(c.get("added"), ctx.lang) for c in outcome["changes"].values()],
            ctx.t("ops.col.replaced"): [formats.fmt_number(c.get("replaced"), ctx.lang)
                                        for c in outcome["changes"].values()],
            ctx.t("ops.col.rows_after"): [formats.fmt_number(c.get("rows"), ctx.lang)
                                          for c in outcome["changes"].values()],
        }), hide_index=True, width="stretch", key="ops_result_changes")
    warnings = outcome["warnings"]
    if warnings:
        column = "message_vi" if ctx.lang == "vi" else "message_en"
        lines = "\n".join(f"* {escape_markdown(w[column])}" for w in warnings)
        st.warning(ctx.t("ops.published_provisional") + "\n\n" + lines, icon=":material/hourglass_top:")


@st.fragment(run_every=2)
def draw_running():
    """Someone's load is running: its progress, refreshed every two seconds; the page moves on when it ends."""
    running = operations.load_in_progress(DATA_DIR)
    if not running:
        st.rerun(scope="app")  # it finished: the whole page reads the new version
        return
    started = operations.timestamp(running.get("started"))
    st.info(ctx.t("ops.running", user=str(running.get("user", "?")), started=when(started)),
            icon=":material/sync:")
    st.progress(min(max(float(running.get("fraction") or 0), 0.0), 1.0), text=str(running.get("message", "")))


# ---------------------------------------------------------------- history, what changed, audit log


def version_link(version: str) -> str:
    try:
        base = st.context.url or "http://localhost:8501"
    except Exception:  # noqa: BLE001 - no browser session (AppTest)
        base = "http://localhost:8501"
    return links.page_url(base, "/", ctx.state.shared().pinned(version))


def files_text(files) -> str:
    return ", ".join(f"{f.get('file', f.get('table'))} ({short(f.get('sha256'))})" for f in files or [])


def changes_text(changes: dict) -> str:
    parts = []
    for table, c in (changes or {}).items():
        text = f"{table} +{formats.fmt_number(c.get('added'), ctx.lang)}"
        if c.get("replaced"):
            text += " " + ctx.t("ops.replaced_rows", rows=formats.fmt_number(c.get("replaced"), ctx.lang))
        parts.append(text)
    return "; ".join(parts)


def checks_text(row) -> str:
    result = operations.checks_result(row)
    if result == "warned":
        return ctx.t("ops.checks.warned", count=formats.fmt_number(row["warnings"], ctx.lang))
    return ctx.t(f"ops.checks.{result}")


def draw_history():
    df = history(str(DATA_DIR), tuple(warehouse.kept_versions(DATA_DIR)), ctx.current_version, audit_stamp())
    df = df[df["ok"]].reset_index(drop=True)  # refused attempts published nothing: they are in the audit log
    if df.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    st.caption(ctx.t("data.kept_caption"))
    version_col = ctx.t("data.version")
    shown = pd.DataFrame({
        ctx.t("data.built_at"): [when(v) for v in df["built_at"]],
        ctx.t("ops.col.kind"): [ctx.t(f"ops.kind.{k}") if k in ("build", "load") else k for k in df["kind"]],
        ctx.t("ops.col.user"): df["user"].fillna(""),
        ctx.t("ops.col.periods"): [", ".join(period_text(p) for p in ps) for ps in df["periods"]],
        ctx.t("ops.col.checks"): [checks_text(r) for _, r in df.iterrows()],
        version_col: [f"{v} ({ctx.t('data.current')})" if c else v for v, c in zip(df["version"], df["current"])],
        ctx.t("data.shown"): [ctx.t("common.yes") if v == ctx.version else "" for v in df["version"]],
        ctx.t("data.open_version"): [version_link(v) if k else None for v, k in zip(df["version"], df["kept"])],
        ctx.t("ops.col.rows"): [changes_text(c) for c in df["changes"]],
        ctx.t("ops.col.files"): [files_text(f) for f in df["files"]],
    })
    warned_col = ctx.t("ops.col.checks")
    warned = [r == "warned" for r in (operations.checks_result(r) for _, r in df.iterrows())]
    styled = shown.style.apply(lambda c: [PROVISIONAL_CELL if w and c.name == warned_col else "" for w in warned],
                               axis=0)
    st.dataframe(styled, hide_index=True, width="stretch", key="data_kept",
                 column_config={ctx.t("data.open_version"): st.column_config.LinkColumn(
                     display_text=ctx.t("data.open_version_text")),
                     ctx.t("ops.col.files"): st.column_config.TextColumn(width="large")})
    ui.downloads(ctx, lambda: operations.flat(df), "version_history", key="data_kept")


def chosen_pair(kept: list[str]) -> tuple[str | None, str | None]:
    """The versions compared: `old` and `new` from the link when they are kept versions, else the defaults."""
    default_old, default_new = operations.default_pair(DATA_DIR)
    pair = []
    for name, default in (("old", default_old), ("new", default_new)):
        value = ctx.state.extra(name)
        if value is not None and value not in kept:
            st.warning(escape_markdown(ctx.t("ops.version_unknown", param=name, value=links.shown(value))),
                       icon=":material/link_off:")
            value = None
        pair.append(value or default)
    return pair[0], pair[1]


def draw_changes():
    kept = warehouse.kept_versions(DATA_DIR)
    if len(kept) < 2:
        st.info(ctx.t("ops.changes_one_version"), icon=":material/compare_arrows:")
        return
    old, new = chosen_pair(kept)
    label = {v: f"{v} ({ctx.t('data.current')})" if v == ctx.current_version else v for v in kept}
    c1, c2 = st.columns(2)
    c1.selectbox(ctx.t("ops.old_version"), kept, index=kept.index(old) if old in kept else 0,
                 key=f"ops_old_{old}", format_func=label.get, on_change=pick_version, args=("old", f"ops_old_{old}"))
    c2.selectbox(ctx.t("ops.new_version"), kept, index=kept.index(new) if new in kept else 0,
                 key=f"ops_new_{new}", format_func=label.get, on_change=pick_version, args=("new", f"ops_new_{new}"))
    if old == new:
        st.info(ctx.t("ops.changes_same"), icon=":material/compare_arrows:")
        return
    found = changes(str(warehouse.version_path(old, DATA_DIR)), str(warehouse.version_path(new, DATA_DIR)))
    moved = found[found["change_kind"] == "changed"]
    added = found[found["change_kind"] == "added"]
    removed = found[found["change_kind"] == "removed"]
    st.caption(ctx.t("ops.changes_summary", changed=formats.fmt_number(len(moved), ctx.lang),
                     added=", ".join(sorted({period_text(p) for p in added["period"]})) or "—",
                     removed=", ".join(sorted({period_text(p) for p in removed["period"]})) or "—"))
    if found.empty:
        st.info(ctx.t("ops.changes_none"), icon=":material/check:")
        return
    label_col = "label_vi" if ctx.lang == "vi" else "label_en"
    kinds = {"changed": ctx.t("ops.change.changed"), "added": ctx.t("ops.change.added"),
             "removed": ctx.t("ops.change.removed")}
    shown = pd.DataFrame({
        ctx.t("col.kpi"): found[label_col],
        ctx.t("ops.col.branch"): [(ctx.company_name(c) if len(ctx.companies) > 1 and isinstance(c, str)
                                   else ctx.t("metric.company")) if s == "company" else (n if isinstance(n, str) else c)
                                  for s, n, c in zip(found["scope"], found["branch_name"], found["branch_code"])],
        ctx.t("ops.col.period"): [period_text(p) for p in found["period"]],
        ctx.t("ops.col.before"): [formats.fmt_kpi(v, u, ctx.lang) for v, u in zip(found["old_value"], found["unit"])],
        ctx.t("ops.col.after"): [formats.fmt_kpi(v, u, ctx.lang) for v, u in zip(found["new_value"], found["unit"])],
        ctx.t("ops.col.change"): [formats.fmt_percent(r, ctx.lang, 1, signed=True) if pd.notna(r) else "—"
                                  for r in found["relative_change"]],
        ctx.t("ops.col.change_kind"): [kinds.get(k, k) for k in found["change_kind"]],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="ops_changes")
    ui.downloads(ctx, found, f"changes_{old}_{new}", key="ops_changes")


def pick_version(name: str, key: str) -> None:
    ui.write_state(ctx, **{name: st.session_state[key]})


def draw_audit():
    entries = audit.read(DATA_DIR, limit=AUDIT_SHOWN)
    if not entries:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    df = pd.DataFrame(entries)
    for col in ("version", "error", "files", "seconds", "source"):
        if col not in df:
            df[col] = None
    ok = [bool(v) for v in df["ok"]]
    result_col = ctx.t("ops.col.result")
    shown = pd.DataFrame({
        ctx.t("ops.col.at"): [when(operations.timestamp(v)) for v in df["at"]],
        ctx.t("ops.col.kind"): [ctx.t(f"ops.kind.{k}") if k in ("build", "load") else k for k in df["kind"]],
        ctx.t("ops.col.user"): df["user"].fillna(""),
        result_col: [ctx.t("ops.result.ok") if o else ctx.t("ops.result.failed") for o in ok],
        ctx.t("ops.col.detail"): [(v or "") if o else (e or "") for o, v, e in zip(ok, df["version"], df["error"])],
        ctx.t("ops.col.files"): [files_text(f) if isinstance(f, list) else "" for f in df["files"]],
        ctx.t("ops.col.seconds"): [formats.fmt_number(s, ctx.lang, 1) if pd.notna(s) else "" for s in df["seconds"]],
    })
    styled = shown.style.apply(lambda c: [FAILED_CELL if not o and c.name in (result_col, ctx.t("ops.col.detail"))
                                          else "" for o in ok], axis=0)
    st.dataframe(styled, hide_index=True, width="stretch", key="ops_audit",
                 column_config={ctx.t("ops.col.detail"): st.column_config.TextColumn(width="large")})
    st.caption(ctx.t("ops.audit_caption", file=str(DATA_DIR / audit.FILE)))
    ui.downloads(ctx, lambda: operations.flat(pd.DataFrame(audit.read(DATA_DIR))), "audit_log", key="ops_audit")


AUDIT_SHOWN = 200


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
SECTIONS = (("ops.provisional", draw_provisional),
            ("ops.freshness_companies" if ctx.is_corporation else "ops.freshness", draw_freshness),
            ("ops.load", draw_load),
            ("ops.history", draw_history), ("ops.changes", draw_changes), ("ops.audit", draw_audit),
            ("data.kpi_catalogue", draw_catalogue))
for heading, draw in SECTIONS:  # each fails in place, not the page
    st.subheader(ctx.t(heading), divider="gray")
    ui.guarded(ctx, draw)
ui.footer(ctx)
