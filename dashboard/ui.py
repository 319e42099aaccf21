"""Streamlit glue shared by the views: the published warehouse and its cached queries, the view state read
from and written to the URL, the sidebar (navigation that keeps the link's parameters, controls, copy link),
notices, tiles that fail alone, tables with downloads, charts with named image downloads, the footer.

Views call `page(...)` first and draw with the helpers here; the thinking lives in plain modules.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, charts, config, formats, links, queries, registry, scorecard, spreadsheets, warehouse
from dashboard.labels import escape_markdown, t

# How a status (scorecard.STATUSES) looks on screen: badge colour and table cell.
STATUS_BADGE = {"on_target": "green", "near": "orange", "behind": "red"}
STATUS_CELL = {"on_target": "background-color: #d8f0dc", "near": "background-color: #fff0c2",
               "behind": "background-color: #f9d6d5"}


# ---------------------------------------------------------------- warehouse and queries


@st.cache_resource(show_spinner=False, max_entries=8)
def connection(path: str):
    """One read-only, locked-down connection per published file; cursors per query (see STACK.md)."""
    return warehouse.connect(Path(path))


@st.cache_data(show_spinner=False, ttl=3600, max_entries=2000)
def _cached(path: str, name: str, digest: str, params: dict) -> pd.DataFrame:
    # `digest` is the query file's content hash: an edited file misses the cache (hot reload).
    return queries.run(connection(path), name, params)


@dataclass(frozen=True)
class Page:
    key: str
    state: links.ViewState
    lang: str
    path: Path  # the warehouse file this view reads (current, or the version pinned by the link)
    version: str
    current_version: str
    branch_names: dict[str, str]
    periods: list[dt.date]
    branch_companies: dict[str, str] = field(default_factory=dict)  # branch code -> its company's code
    companies: dict[str, tuple[str, str]] = field(default_factory=dict)  # company code -> (name vi, name en)

    @cached_property
    def view_key(self) -> tuple:
        """What a shared section depends on (see ui.guarded): the warehouse file, the query files, the page and its
        link. Worked out once per run."""
        return str(self.path), _queries_fingerprint(), self.key, links.query_string(self.state)

    @property
    def spec(self) -> registry.PageSpec:
        return registry.page(self.key)

    def t(self, key: str, **kwargs) -> str:
        return t(key, self.lang, **kwargs)

    def query(self, name: str, **params) -> pd.DataFrame:
        """A page query's result (cached per warehouse version, query content and parameters).
        Raises queries.QueryError naming the file."""
        qf = queries.load(name)
        return _cached(str(self.path), name, qf.digest, params)

    @property
    def company(self) -> str | None:
        """The company the view is in: the link's, else the chosen branches' (when they share one), else the only
        company of a single-company warehouse; None for the whole corporation."""
        if self.state.company:
            return self.state.company
        chosen = {self.branch_companies.get(b) for b in self.state.branches}
        if len(chosen) == 1 and None not in chosen:
            return chosen.pop()
        return next(iter(self.companies)) if len(self.companies) == 1 else None

    @property
    def is_corporation(self) -> bool:
        """The view spans several companies (no company chosen in a corporation's warehouse)."""
        return self.company is None and len(self.companies) > 1

    @property
    def scope_branches(self) -> list[str]:
        """Every branch of the view's company (of the corporation when it has none)."""
        company = self.company
        return [b for b in self.branch_names if company is None or self.branch_companies.get(b, company) == company]

    @property
    def branches(self) -> list[str]:
        """The chosen branches, or every branch of the scope (the company, or the corporation)."""
        return list(self.state.branches) or self.scope_branches

    @property
    def by_company(self) -> bool:
        """The view's rows are companies, not branches: the whole corporation with no branch chosen."""
        return self.is_corporation and not self.state.branches

    @property
    def unit_names(self) -> dict[str, str]:
        """Names of what the view's rows are: companies (by_company) or branches."""
        return {c: self.company_name(c) for c in self.companies} if self.by_company else self.branch_names

    def unit_column(self, code: bool = False) -> str:
        """The heading of the column naming the view's rows (or their codes)."""
        return self.t(("col.company" if self.by_company else "col.branch") + ("_code" if code else ""))

    def top_average_label(self) -> str:
        """The company line of a count's trend, averaged over the rows it sits among."""
        key = "chart.corporation_avg" if self.by_company else "chart.scope_avg"
        return self.t(key, scope=self.top_label())

    def company_name(self, code: str) -> str:
        names = self.companies.get(code)
        return (names[0] if self.lang == "vi" else names[1]) if names else code

    def top_label(self) -> str:
        """What the figures above the branches are called: the company (its name when the warehouse holds
        several), or the corporation."""
        if self.is_corporation:
            return self.t("metric.corporation")
        if len(self.companies) > 1 and self.company:
            return self.company_name(self.company)
        return self.t("metric.company")

    def top_params(self) -> dict:
        """company_kpis' parameters for the view: its company (None: the corporation) and period range."""
        return {"company": self.company, **self.span()}

    def span(self) -> dict:
        return {"period_from": self.state.period_from, "period_to": self.state.period_to}

    def scope(self) -> dict:
        return {"branches": self.branches, **self.span()}

    def scope_label(self) -> str:
        if self.state.is_company:
            return self.top_label()
        return ", ".join(self.branch_names.get(b, b) for b in self.state.branches)

    def branch_part(self) -> str:
        """For file names: the branch code, 'multi' for several, 'all' for the company."""
        if self.state.is_company:
            return "all"
        return self.state.branches[0] if len(self.state.branches) == 1 else "multi"


def current_lang() -> str:
    # Vietnamese unless the link says lang=en, whatever the browser's language: a link must open the same
    # view for everyone in the meeting.
    lang, _ = links.parse_lang(_params())
    return lang


def presenting() -> bool:
    """Whether the link asks for presentation mode (present=1; app.py then routes to present.run)."""
    return links.parse_present(_params())


def _params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def ensure_published() -> warehouse.Published:
    """The published warehouse; on a first start, generate and build the synthetic data with progress."""
    published = warehouse.current()
    if published and _compatible(str(published.path)):
        return published
    from dashboard import firststart

    if published:  # built by a release before the corporation level: rebuild the synthetic data, or say how
        return _upgrade(published)

    lang = current_lang()
    st.title(t("app.title", lang))
    st.info(t("firststart.intro", lang))
    bar = st.progress(0.0, text=t("firststart.starting", lang))
    def show(fraction: float, message: str) -> None:
        step = "firststart.generating" if fraction < firststart.GENERATE_SHARE else "firststart.building"
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{t(step, lang)} {fraction:.0%} · {message}")

    published = firststart.prepare(show)
    bar.progress(1.0, text=t("firststart.done", lang))
    st.rerun()
    return published


def _upgrade(published: warehouse.Published) -> warehouse.Published:
    from dashboard import firststart

    lang = current_lang()
    st.title(t("app.title", lang))
    st.info(t("upgrade.intro", lang, version=published.version))
    bar = st.progress(0.0, text=t("firststart.building", lang))
    rebuilt = firststart.rebuild_synthetic(
        lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=f"{t('firststart.building', lang)} {f:.0%} · {m}"))
    if rebuilt is None:
        st.error(t("upgrade.rebuild", lang, version=published.version), icon=":material/upgrade:")
        st.stop()
    _compatible.clear()
    st.rerun()
    return rebuilt


@st.cache_resource(show_spinner=False, max_entries=64)
def _compatible(path: str) -> bool:
    """warehouse.compatible, once per file (a published file never changes)."""
    return warehouse.compatible(path)


REFERENCE_QUERIES = ("branch_list", "available_periods", "data_version_info")


def reference(path: str) -> tuple[dict[str, str], list[dt.date], dict]:
    """Branch names, the periods with data and the data_version row of a warehouse, from their query files.
    Every run of every page needs them: read once per warehouse and query content, shared (do not change them)."""
    return _reference(path, tuple(queries.load(name).digest for name in REFERENCE_QUERIES))


@st.cache_resource(show_spinner=False, max_entries=32, ttl=3600)
def _reference(path: str, digests: tuple[str, ...]) -> tuple[dict[str, str], list[dt.date], dict]:
    branches, periods, info = (queries.run(connection(path), name) for name in REFERENCE_QUERIES)
    names = dict(zip(branches["branch_code"], branches["branch_name"]))
    return names, [formats.to_month(p) for p in periods["period"]], info.iloc[0].to_dict()


def hierarchy(path: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Each branch's company and each company's names (vi, en), for the companies that have branches."""
    return _hierarchy(path, queries.load("branch_list").digest, queries.load("company_list").digest)


@st.cache_resource(show_spinner=False, max_entries=32, ttl=3600)
def _hierarchy(path: str, *digests: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    branches = queries.run(connection(path), "branch_list")
    companies = queries.run(connection(path), "company_list")
    return (dict(zip(branches["branch_code"], branches["company_code"])),
            {c: (vi, en) for c, vi, en in zip(companies["company_code"], companies["company_name_vi"],
                                             companies["company_name_en"])})


# ---------------------------------------------------------------- the page: state from the URL


def page(key: str, title: bool = True) -> Page:
    """Read the view from the URL (the page's own parameters as the registry declares them), draw the sidebar,
    title and notices, and return what the view needs. A role that may not open the page stops here."""
    spec = registry.page(key)
    published = ensure_published()
    names, periods, _ = reference(str(published.path))
    branch_companies, companies = hierarchy(str(published.path))
    kept = [v for v in warehouse.kept_versions() if _compatible(str(warehouse.version_path(v) or ""))]
    state, notices = links.parse(_params(), branch_codes=list(names), periods=periods,
                                 kept_versions=kept, current_version=published.version,
                                 extra_keys=spec.params, branch_companies=branch_companies)
    path, version = published.path, published.version
    if state.v and state.v != published.version:
        pinned = warehouse.version_path(state.v)
        if pinned:
            path, version = pinned, state.v
    ctx = Page(key, state, state.lang, path, version, published.version, names, periods, branch_companies,
               companies)
    state, wrong = links.restrict(state, page_choices(ctx))
    ctx = replace(ctx, state=state)
    if notices or wrong:
        _write(state)  # a cleaned URL: a copied link carries only what is shown
    if not state.present:  # presentation mode (present.py): no sidebar, the screen's own title
        sidebar(ctx)
        if title:
            st.title(ctx.t(spec.label))
    show_notices(ctx, [*notices, *wrong])
    provisional_note(ctx)
    if not auth.may_open(spec):
        st.error(ctx.t("auth.forbidden"))
        st.stop()
    return ctx


def page_choices(ctx: Page) -> dict[str, list[str]]:
    """The values each page parameter may take, where they are known: `kpi` the page family's KPIs, `q` the
    query files. A catalogue that cannot be read leaves the value to the page (whose tile then shows the error)."""
    choices: dict[str, list[str]] = {}
    if registry.KPI_PARAM in ctx.spec.params and ctx.spec.family:
        try:
            kpis = kpi_catalog(ctx)
        except queries.QueryError:
            pass
        else:
            choices[registry.KPI_PARAM] = list(kpis.loc[kpis["family"] == ctx.spec.family, "kpi"])
    if "q" in ctx.spec.params:
        choices["q"] = queries.names()
    return choices


def show_notices(ctx: Page, notices: list[links.Notice]) -> None:
    for notice in notices:
        if notice.is_version_banner:
            st.warning(escape_markdown(notice.text(ctx.lang)), icon=":material/history:")
    others = [n for n in notices if not n.is_version_banner]
    if others:
        lines = "\n".join(f"- {escape_markdown(n.text(ctx.lang))}" for n in others)
        st.warning(f"{escape_markdown(ctx.t('notice.heading'))}\n{lines}", icon=":material/link_off:")
    if ctx.version != ctx.current_version:
        st.info(escape_markdown(ctx.t("banner.version_pinned", version=ctx.version, current=ctx.current_version)),
                icon=":material/push_pin:")


_STATE_FIELDS = frozenset(f.name for f in fields(links.ViewState))


def write_state(ctx: Page, **changes) -> None:
    """Put a changed view in the URL (the source of truth): shared fields of links.ViewState by name
    (branches=, period_from=, cmp=, …), anything else a page parameter (kpi=, sql=; None removes it).
    The only place that writes st.query_params."""
    shared = {k: v for k, v in changes.items() if k in _STATE_FIELDS}
    extras = {k: v for k, v in changes.items() if k not in _STATE_FIELDS}
    _write(replace(ctx.state, **shared).with_extras(**extras))


def _write(state: links.ViewState) -> None:
    st.query_params.from_dict(links.to_query(state))


def _on_control(ctx: Page, keys: dict[str, str]) -> None:
    ss = st.session_state
    lo, hi = ss[keys["period"]]
    company = ss.get(keys["company"], ctx.state.company) or None
    branches = tuple(b for b in ss[keys["branch"]]
                     if company is None or ctx.branch_companies.get(b, company) == company)  # a new company: its own
    write_state(ctx, company=company, branches=branches, period_from=dt.date.fromisoformat(lo + "-01"),
                period_to=dt.date.fromisoformat(hi + "-01"), cmp=ss[keys["cmp"]], lang=ss[keys["lang"]] or ctx.lang)


def control_keys(state: links.ViewState) -> dict[str, str]:
    """Widget keys that change with the view: a new URL makes fresh widgets whose defaults come from it, so
    the URL stays the one source of truth (no stale widget state after a link or page switch)."""
    suffix = hashlib.sha1(links.query_string(state.shared()).encode()).hexdigest()[:10]
    return {name: f"ctl_{name}_{suffix}" for name in ("lang", "company", "branch", "period", "cmp")}


def sidebar(ctx: Page) -> None:
    state = ctx.state
    keys = control_keys(state)
    periods = [links.period_key(p) for p in ctx.periods]
    on = {"on_change": _on_control, "args": (ctx, keys)}
    with st.sidebar:
        title = "app.title_corporation" if len(ctx.companies) > 1 else "app.title"
        st.markdown(f"**{escape_markdown(ctx.t(title))}**")
        st.segmented_control(ctx.t("control.language"), ["vi", "en"], default=state.lang, key=keys["lang"],
                             format_func=lambda x: t(f"lang.{x}", ctx.lang), **on)
        navigation(ctx)
        st.divider()
        if len(ctx.companies) > 1:  # a corporation: the company first (none = the whole corporation)
            options = ["", *ctx.companies]
            st.selectbox(ctx.t("control.company"), options, index=options.index(state.company or ""),
                         key=keys["company"], help=ctx.t("control.company_help"),
                         format_func=lambda c: f"{ctx.company_name(c)} ({c})" if c else ctx.t("metric.corporation"),
                         **on)
        st.multiselect(ctx.t("control.branches"), ctx.scope_branches, default=list(state.branches),
                       key=keys["branch"], format_func=lambda c: f"{ctx.branch_names.get(c, c)} ({c})",
                       placeholder=ctx.top_label(), help=ctx.t("control.branches_help"), **on)
        # Streamlit formats every option several times a run (over a thousand calls): look the labels up
        shown = {k: formats.fmt_period(k, ctx.lang) for k in periods}
        st.select_slider(ctx.t("control.period"), options=periods, key=keys["period"],
                         value=(links.period_key(state.period_from), links.period_key(state.period_to)),
                         format_func=lambda k: shown.get(k) or formats.fmt_period(k, ctx.lang), **on)
        st.selectbox(ctx.t("control.comparison"), list(links.CMPS), index=links.CMPS.index(state.cmp),
                     key=keys["cmp"], format_func=lambda c: t(f"cmp.{c}", ctx.lang), **on)
        with st.expander(ctx.t("control.copy_link"), icon=":material/link:"):
            st.caption(ctx.t("control.copy_link_help"))
            st.code(share_link(ctx), language=None, wrap_lines=True)
        st.button(ctx.t("present.start"), key="present_start", icon=":material/slideshow:",
                  help=ctx.t("present.start_help"), on_click=write_state, args=(ctx,), kwargs={"present": True})
        if auth.local_mode():
            st.badge(ctx.t("mode.local"), color="gray", icon=":material/lock_open:")
        else:
            auth.account_box(ctx.lang)


def navigation(ctx: Page) -> None:
    query = links.to_query(ctx.state.shared().pinned(ctx.state.v))
    for spec in auth.visible_pages():
        st.page_link(spec.view, label=ctx.t(spec.label), icon=spec.icon, query_params=query,
                     disabled=spec.key == ctx.key)


def company_link(ctx: Page, code: str, page_path: str = "") -> str:
    """A page (the overview by default) for one company and its branches: the same periods, comparison, language
    and pinned version."""
    state = replace(ctx.state.shared(), company=code, branches=()).pinned(ctx.state.v)
    return f"./{page_path}?" + links.query_string(state)


def share_link(ctx: Page) -> str:
    try:
        base = st.context.url or ""
    except Exception:  # noqa: BLE001
        base = ""
    base = base or "http://localhost:8501"
    return links.page_url(base, ctx.spec.url_path, ctx.state.pinned(ctx.version))


def footer(ctx: Page) -> None:
    st.divider()
    st.caption(footer_line(ctx))


def footer_line(ctx: Page) -> str:
    """The data version the view shows, when it was built and its latest period."""
    _, _, info = reference(str(ctx.path))
    built_at = formats.fmt_datetime(formats.as_utc(info["built_at"]), ctx.lang)
    return ctx.t("footer.line", version=ctx.version, built_at=built_at,
                 latest=formats.fmt_period(info["latest_period"], ctx.lang))


# ---------------------------------------------------------------- drawing helpers


def tile(ctx: Page, name: str, draw: Callable[[pd.DataFrame], Any], **params) -> pd.DataFrame | None:
    """Run one page query and draw it; a failing query breaks only this tile, naming its file."""
    try:
        df = ctx.query(name, **params)
    except queries.QueryError as exc:
        st.error(escape_markdown(ctx.t("tile.error", file=f"queries/{name}.sql", error=exc.message)),
                 icon=":material/error:")
        return None
    if df.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return df
    draw(df)
    return df


def unit_rows(ctx: Page, period_from: dt.date, period_to: dt.date) -> pd.DataFrame:
    """The rows a view compares, in the periods: the chosen branches (or the company's), or at the corporation
    level the companies (company_month, with `branch_code` holding the company code and `branch_name` its name,
    so the same tables, ranks and charts draw them)."""
    if ctx.by_company:
        rows = ctx.query("company_rows", period_from=period_from, period_to=period_to)
        name = rows["company_name_vi" if ctx.lang == "vi" else "company_name_en"]
        return rows.rename(columns={"company_code": "branch_code"}).assign(branch_name=name)
    return ctx.query("branch_kpis", branches=ctx.branches, period_from=period_from, period_to=period_to)


def _queries_fingerprint() -> tuple:
    """Changes when a query file is edited, added or removed (hot reload reaches shared sections too)."""
    folder = config.QUERIES_DIR
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.sql")))


# A meeting opens one link many times: a section that depends only on the view (the data version, the query
# files and the link) is drawn once, and Streamlit replays the recorded elements in every other session
# without running pandas, Plotly or the table styling again. No widgets inside (downloads stay outside).
@st.cache_resource(show_spinner=False, ttl=3600, max_entries=2048)
def _replayed(_draw: Callable[[], Any], section: str, view: tuple) -> None:
    _draw()


def guarded(ctx: Page, draw: Callable[[], Any], shared: bool | str = False) -> None:
    """Run a block of drawing code; an error shows in its place and the rest of the page renders.

    shared: the block depends only on the view (no widgets, no session state) and is replayed from the first
    session that drew it (see _replayed); a block that fails is not kept. True names the section after the
    function; a lambda needs a name of its own (shared="mix_chart"), unique on the page."""
    try:
        if shared:
            name = shared if isinstance(shared, str) else draw.__qualname__
            if "<lambda>" in name:
                raise ValueError("a shared lambda section needs a name: guarded(ctx, draw, shared='name')")
            _replayed(draw, name, ctx.view_key)
        else:
            draw()
    except queries.QueryError as exc:
        st.error(escape_markdown(ctx.t("tile.error", file=queries.display_path(exc.path), error=exc.message)),
                 icon=":material/error:")
    except Exception as exc:  # noqa: BLE001 - one broken section must not take the page down
        st.error(escape_markdown(ctx.t("error.unexpected", error=f"{type(exc).__name__}: {exc}")),
                 icon=":material/error:")


def provisional_marks(ctx: Page) -> pd.DataFrame:
    """The provisional marks of every branch over the view's periods (empty for a warehouse from before the
    marks existed, which has no such table)."""
    try:
        return ctx.query("provisional_marks", branches=list(ctx.branch_names), **ctx.span())
    except queries.QueryError:
        return pd.DataFrame(columns=["branch_code", "branch_name", "period", "check_name", "kpi", "message_vi",
                                     "message_en"])


def provisional_note(ctx: Page) -> None:
    """Above every page: the view's figures that a load published with a warning, until a later load clears them."""
    marks = provisional_marks(ctx)
    if not ctx.state.is_company:
        marks = marks[marks["branch_code"].isin(ctx.state.branches)]
    if marks.empty:
        return
    column = "message_vi" if ctx.lang == "vi" else "message_en"
    lines = [f"{formats.fmt_period(p, ctx.lang)} · {m}" for p, m in zip(marks["period"], marks[column])]
    more = len(lines) - PROVISIONAL_SHOWN
    shown = lines[:PROVISIONAL_SHOWN] + ([ctx.t("provisional.more", count=formats.fmt_number(more, ctx.lang))]
                                         if more > 0 else [])
    st.warning(ctx.t("provisional.note") + "\n\n" + "\n".join(f"* {escape_markdown(x)}" for x in shown),
               icon=":material/hourglass_top:")


PROVISIONAL_SHOWN = 5


def kpi_card(ctx: Page, card: scorecard.Card, help: str | None = None) -> None:
    """One KPI card, the same on every page: value, change against the link's comparison (no arrow and no
    colour when it rounds to zero), a sparkline, the state against the target inside the card, and a
    'provisional' badge when a load published the figure with a warning (why, in the help)."""
    delta = None if card.delta is None else formats.fmt_delta(card.delta, card.unit, ctx.lang)
    unchanged = formats.is_unchanged(delta)
    if card.provisional:
        why = "\n\n".join(f"**{ctx.t('provisional.badge')}:** {escape_markdown(m)}" for m in card.provisional)
        help = f"{help}\n\n{why}" if help else why
    with st.container(border=True, height="stretch"):
        st.metric(card.label, formats.fmt_kpi(card.value, card.unit, ctx.lang), delta=delta,
                  delta_color="off" if unchanged else {"higher": "normal", "lower": "inverse"}.get(card.direction,
                                                                                                   "off"),
                  delta_arrow="off" if unchanged else "auto",
                  delta_description=None if delta is None else ctx.t(f"cmp.{ctx.state.cmp}"),
                  chart_data=card.spark or None, help=help)
        if card.status:
            target = formats.fmt_kpi(card.target, card.unit, ctx.lang)
            st.badge(f"{ctx.t(f'status.{card.status}')} · {ctx.t('metric.target_value', target=target)}",
                     color=STATUS_BADGE[card.status])
        if card.provisional:
            st.badge(ctx.t("provisional.badge"), color="violet", icon=":material/hourglass_top:")


def card_grid(ctx: Page, cards: list[scorecard.Card], descriptions: dict[str, str], per_row: int) -> None:
    """Cards row by row, so a phone stacks them in reading order."""
    for start in range(0, len(cards), per_row):
        for col, card in zip(st.columns(per_row), cards[start:start + per_row]):
            with col:
                kpi_card(ctx, card, descriptions.get(card.kpi))


def status_table(df: pd.DataFrame, states: list, status_col: str):
    """A table whose status column is coloured by state (the rest plain)."""
    return df.style.apply(lambda c: [STATUS_CELL.get(s, "") if c.name == status_col else "" for s in states],
                          axis=0)


def chart(ctx: Page, fig, kpi: str, key: str, branch: str | None = None) -> None:
    """A Plotly figure whose image download is named for what and when."""
    config = charts.image_config(kpi, branch if branch is not None else ctx.branch_part(), ctx.state.period_to)
    st.plotly_chart(fig, config=config, key=key, width="stretch")


def downloads(ctx: Page, df: pd.DataFrame | Callable[[], pd.DataFrame], basename: str, key: str) -> None:
    """CSV (UTF-8 with BOM, so Excel opens Vietnamese text right) and Excel downloads of a table, text that looks
    like a formula kept as text (spreadsheets.py). `df` may be a
    function: the table is then made only when someone downloads it."""
    span = f"{links.period_key(ctx.state.period_from)}_{links.period_key(ctx.state.period_to)}"
    name = f"{basename}_{ctx.branch_part()}_{span}"
    table = df if callable(df) else (lambda: df)
    c1, c2 = st.columns(2)
    c1.download_button(ctx.t("download.csv"), lambda: spreadsheets.csv_bytes(table()),
                       file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore",
                       icon=":material/download:")
    c2.download_button(ctx.t("download.excel"), lambda: spreadsheets.excel_bytes(table(), basename),
                       file_name=f"{name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}_xlsx", on_click="ignore", icon=":material/download:")


def kpi_catalog(ctx: Page) -> pd.DataFrame:
    return ctx.query("kpi_catalog")


def kpi_label(ctx: Page, k: dict) -> str:
    return k["label_vi"] if ctx.lang == "vi" else k["label_en"]


def kpi_label_of(ctx: Page, kpi: str, fallback_key: str) -> str:
    """A KPI's label by id from the catalogue, or the fallback label when the catalogue has no such KPI."""
    kpis = kpi_catalog(ctx)
    row = kpis[kpis["kpi"] == kpi]
    return kpi_label(ctx, row.iloc[0].to_dict()) if len(row) else ctx.t(fallback_key)


# Kept between reruns and sessions (a meeting opens the same link many times): building a Plotly figure costs
# 20-50 ms, most of a page's server time. Keyed by the arguments' content (Streamlit hashes the DataFrames), so new
# data or an edited query misses. The figure is shared: nothing may change it after it is returned.
figure = st.cache_resource(show_spinner=False, max_entries=1024, ttl=3600)(charts.build)


def events(ctx: Page, frm: dt.date | None = None) -> pd.DataFrame:
    """Annotations in the view's range, with the text in the view's language, for the trend charts."""
    df = ctx.query("events_in_range", period_from=frm or ctx.state.period_from, period_to=ctx.state.period_to)
    if not ctx.state.is_company:
        df = df[df["branch_code"].isna() | df["branch_code"].isin(ctx.state.branches)]
    return df.assign(text=df["text_vi"] if ctx.lang == "vi" else df["text_en"])[["period", "text"]]
