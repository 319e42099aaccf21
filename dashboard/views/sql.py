"""SQL (/sql): the catalogue of page queries, and ad-hoc SQL through the guarded path. The ad-hoc SQL lives in
the URL (`/sql?sql=…`), so a query is a link like any view; opening such a link runs it (read-only, guarded)."""
import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import config, formats, queries, sandbox, spreadsheets, sqlworker, ui
from dashboard.labels import escape_markdown

ctx = ui.page("sql")  # refuses a role the registry does not allow here
sqlworker.pool().warm()  # the worker processes start while the analyst types

EXAMPLE = ("select period, branch_code, remote_read_rate, estimated_bill_rate\nfrom branch_month\n"
           "order by period desc, branch_code\nlimit 20")
RUN_BUTTON = [{"name": "Run", "feather": "Play", "primary": True, "hasText": True, "showWithIcon": True,
               "commands": ["submit"], "style": {"bottom": "0.44rem", "right": "0.4rem"}}]
HISTORY = 10
# Ace's own textmate theme: the component's "streamlit" themes import a font from Google, which an intranet
# cannot reach (and a page must not ask other hosts)
EDITOR_PROPS = {"theme": "textmate"}


def history_label(sql: str, limit: int = 120) -> str:
    """A past query as a button label: plain text (a label is Markdown, and SQL must not become an image or a
    link), on one line, cut with an ellipsis so it is clear when the click runs more than the label shows."""
    line = " ".join(sql.split())
    return escape_markdown(line if len(line) <= limit else line[:limit - 1] + "…")


def set_sql(text: str) -> None:
    ui.write_state(ctx, sql=text)


def quick_chart(df: pd.DataFrame, key: str) -> None:
    """A first look: a line over `period` when there is one, else bars of the first numeric column."""
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and c != "period"]
    if not numeric or len(df) < 2:
        return
    if "period" in df.columns:
        color = "branch_code" if "branch_code" in df.columns else None
        st.line_chart(df, x="period", y=numeric[0], color=color, height=260)
    else:
        label = next((c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])), None)
        st.bar_chart(df.head(50), x=label, y=numeric[0], height=260)


def dates_as_dates(df: pd.DataFrame) -> pd.DataFrame:
    """DuckDB DATE columns arrive as midnight timestamps: show them as dates."""
    out = df
    for col in df.columns:
        values = df[col].dropna()
        if pd.api.types.is_datetime64_any_dtype(df[col]) and (values == values.dt.normalize()).all():
            out = out.assign(**{col: df[col].dt.date})
    return out


def show_result(result: sandbox.SqlResult, export, key: str) -> None:
    """The table, its size and time, the truncated notice, CSV/Excel downloads made by `export(output)` (in an
    SQL worker, within the export limits, only when clicked) and a quick chart."""
    c1, c2 = st.columns(2)
    c1.caption(ctx.t("sql.rows", count=formats.fmt_number(result.row_count_shown, ctx.lang)))
    c2.caption(ctx.t("sql.elapsed", seconds=formats.fmt_number(result.elapsed_s, ctx.lang, 3)))
    if result.limit == "bytes":
        st.warning(ctx.t("sql.truncated_bytes", shown=formats.fmt_number(result.row_count_shown, ctx.lang),
                         size=size_text(config.bytes_setting("DASHBOARD_SQL_MAX_BYTES")),
                         limit=formats.fmt_number(sandbox.export_cap(), ctx.lang),
                         export_size=size_text(config.bytes_setting("DASHBOARD_SQL_EXPORT_BYTES"))),
                   icon=":material/content_cut:")
    elif result.truncated:
        st.warning(ctx.t("sql.truncated", shown=formats.fmt_number(result.row_count_shown, ctx.lang),
                         limit=formats.fmt_number(sandbox.export_cap(), ctx.lang)), icon=":material/content_cut:")
    st.dataframe(dates_as_dates(result.df), width="stretch", hide_index=True, key=f"{key}_table")

    name = f"sql_{dt.datetime.now():%Y%m%d_%H%M%S}"
    d1, d2 = st.columns(2)
    d1.download_button(ctx.t("download.csv"), lambda: download(export, "csv"),
                       file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore")
    d2.download_button(ctx.t("download.excel"), lambda: download(export, "xlsx"), file_name=f"{name}.xlsx",
                       key=f"{key}_xlsx", on_click="ignore")
    quick_chart(result.df, key)


def size_text(n: int) -> str:
    return f"{formats.fmt_number(n / 1e6, ctx.lang)} MB"


def download(export, output: str) -> bytes:
    """The download's bytes; when the worker refuses (too large, too slow, busy) the file says why instead."""
    try:
        return export(output)
    except sandbox.SqlProblem as exc:
        message = pd.DataFrame({"error": [str(exc)]})
        return spreadsheets.csv_bytes(message) if output == "csv" else spreadsheets.excel_bytes(message, "error")


def show_problem(exc: sandbox.SqlProblem) -> None:
    if isinstance(exc, sandbox.SqlRefused):
        st.error(escape_markdown(ctx.t("sql.refused", error=str(exc))), icon=":material/block:")
    elif isinstance(exc, sandbox.SqlTimeout):
        st.error(escape_markdown(str(exc)), icon=":material/timer_off:")
    elif isinstance(exc, sqlworker.SqlBusy):
        st.warning(escape_markdown(ctx.t("sql.busy", error=str(exc))), icon=":material/hourglass_top:")
    else:
        st.error(escape_markdown(ctx.t("sql.error", error=str(exc))), icon=":material/error:")


def run_adhoc(sql: str) -> None:
    try:
        result = sqlworker.run_sql(sql, ctx.path)
    except sandbox.SqlProblem as exc:
        show_problem(exc)
        return
    history = st.session_state.setdefault("sql_history", [])
    if sql in history:
        history.remove(sql)
    history.insert(0, sql)
    del history[HISTORY:]
    show_result(result, lambda output: sqlworker.export(sql, output, ctx.path), "adhoc")


def editor(sql: str) -> str | None:
    """The Ace editor (Ctrl+Enter or the Run button submits); the submitted text, once per submission."""
    try:
        from code_editor import code_editor
    except ImportError:  # the component is optional: a text area does the same job
        text = st.text_area(ctx.t("sql.editor"), sql, height=180, key="sql_text")
        return text if st.button(ctx.t("sql.run"), type="primary") else None
    response = code_editor(sql, lang="sql", height=[8, 20], buttons=RUN_BUTTON, key="sql_editor", props=EDITOR_PROPS,
                           options={"wrap": True, "showLineNumbers": True})
    if response and response.get("type") == "submit" and response.get("id") != st.session_state.get("sql_last_id"):
        st.session_state["sql_last_id"] = response.get("id")
        return response.get("text", "")
    return None


def adhoc() -> None:
    sql = ctx.state.extra("sql") or ""
    left, right = st.columns([3, 1])
    with left:
        st.caption(f"{ctx.t('sql.help')} {ctx.t('sql.shortcut')}")
        submitted = editor(sql or EXAMPLE)
        if submitted is not None and submitted.strip() != sql.strip():
            set_sql(submitted)
            st.rerun()
        if submitted is not None or sql:
            run_adhoc(submitted if submitted is not None else sql)
    with right:
        schema_pane()
    history = st.session_state.get("sql_history", [])
    if history:
        with st.expander(ctx.t("sql.history"), icon=":material/history:"):
            for i, past in enumerate(history):
                st.button(history_label(past), key=f"sql_hist_{i}", on_click=set_sql, args=(past,),
                          width="stretch")


def schema_pane() -> None:
    st.markdown(f"**{ctx.t('sql.tables')}**")
    try:
        schema = sandbox.describe_schema(ctx.path, ctx.lang)
    except sandbox.SqlProblem as exc:
        st.error(escape_markdown(str(exc)))
        return
    for table, cols in schema.groupby("table_name", sort=True):
        with st.expander(f"{table} ({cols['table_type'].iloc[0]})"):
            st.dataframe(cols[["column_name", "data_type", "description"]], hide_index=True, width="stretch")


def param_value(name: str, defaults: dict):
    """Catalogue parameters default to the view in the URL (branches, periods), else the warehouse defaults."""
    periods = ctx.periods
    label = f"${name}"
    # branches offered: the view's company's (every branch at the corporation level), as in the sidebar
    if name == "branches":
        return st.multiselect(label, ctx.scope_branches, default=ctx.branches, key=f"qp_{name}")
    if name in ("period_from", "period_to", "period"):
        default = {"period_from": ctx.state.period_from}.get(name, ctx.state.period_to)
        return st.selectbox(label, periods, index=periods.index(default), key=f"qp_{name}",
                            format_func=lambda p: formats.fmt_period(p, ctx.lang))
    if name == "branch":
        return st.selectbox(label, ctx.scope_branches, key=f"qp_{name}")
    if name == "company":  # empty: the whole corporation (NULL)
        options = [None, *ctx.companies]
        return st.selectbox(label, options, index=options.index(ctx.company) if ctx.company in options else 0,
                            key=f"qp_{name}", format_func=lambda c: f"{ctx.company_name(c)} ({c})" if c
                            else ctx.t("metric.corporation"))
    return st.text_input(label, str(defaults.get(name, "")), key=f"qp_{name}")


def catalogue() -> None:
    files = queries.list_queries()
    table = pd.DataFrame([{"name": q.name, "title": q.title if ctx.lang == "vi" else q.title_en, "grain": q.grain,
                           "params": ", ".join(q.params),
                           "last_run": st.session_state.get("sql_last_run", {}).get(q.name)} for q in files])
    st.dataframe(table, hide_index=True, width="stretch", key="catalogue_table",
                 column_config={"last_run": st.column_config.DatetimeColumn(ctx.t("sql.last_run"), format="HH:mm:ss")})
    names = [q.name for q in files]
    chosen = ctx.state.extra("q")
    st.session_state["ctl_q"] = chosen if chosen in names else names[0]
    name = st.selectbox(ctx.t("sql.query"), names, key="ctl_q",
                        on_change=lambda: ui.write_state(ctx, q=st.session_state["ctl_q"]))
    qf = next(q for q in files if q.name == name)
    st.caption(escape_markdown(f"{qf.title} · {qf.grain}" + (f" · {qf.description}" if qf.description else "")))
    st.code(qf.sql, language="sql")
    with st.form(f"run_{name}"):
        defaults = queries.default_params(ui.connection(str(ctx.path)))
        values = {p: param_value(p, defaults) for p in qf.params}
        go = st.form_submit_button(ctx.t("sql.run"), type="primary")
    if go:
        try:
            result = sqlworker.run_query(name, values, ctx.path, queries_dir=config.QUERIES_DIR)
        except queries.QueryError as exc:
            st.error(escape_markdown(str(exc)))
            return
        except sandbox.SqlProblem as exc:
            show_problem(exc)
            return
        st.session_state.setdefault("sql_last_run", {})[name] = dt.datetime.now()
        show_result(result, lambda output: sqlworker.export("", output, ctx.path, params=values, name=name,
                                                            query=name, queries_dir=config.QUERIES_DIR),
                    f"cat_{name}")


tab_adhoc, tab_catalogue = st.tabs([ctx.t("sql.adhoc"), ctx.t("sql.catalogue")])
with tab_adhoc:
    ui.guarded(ctx, adhoc)
with tab_catalogue:
    ui.guarded(ctx, catalogue)
ui.footer(ctx)
