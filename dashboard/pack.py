"""The director pack: one A4 page for a branch or the whole company for one period, as the link it comes from
shows it (data version, period, comparison, language): the headline (the biggest misses), the KPI cards with
change, target, state and the branch's rank among the nine, four trend charts with targets and events, marks
where the figures are provisional, and the data version with its build time.

Plain functions over a page query function, no Streamlit: the pages' download button passes its own cached
queries, `python -m dashboard pack` a warehouse opened here. Charts become SVG through kaleido (one headless
Chromium kept running for every chart), the page a PDF through WeasyPrint (Pango): vector charts, selectable text.
"""
from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from dashboard import charts, config, formats, queries, registry, scorecard, warehouse
from dashboard.labels import LANGS, t

COMPANY_CODE = "PC08"  # the company's unit code, in file names where a branch code would stand
CORPORATION_CODE = "EVNCPC"  # the same for the corporation's pack, in a warehouse of several companies
CMPS = scorecard.COMPARISONS
# One trend per KPI family: the KPI its page opens on.
TREND_KPIS = tuple(spec.default_kpi for spec in registry.PAGES if spec.family)
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "pack.html"
# Fonts with every Vietnamese letter (Debian's fonts-noto-core, then fonts-dejavu-core), for the page and charts.
FONT = "'Noto Sans', 'DejaVu Sans', sans-serif"
# A chart's size in CSS px (96 per inch), drawn at the size it is printed: two side by side on A4 less margins.
# The height fills the page; lower ones leave room for provisional notes or a long headline (the first that fits).
CHART_WIDTH = 352
CHART_HEIGHTS = (214, 190, 160)
PROVISIONAL_QUERY = "provisional_marks"
MAX_NOTES = 4  # provisional notes printed; more are counted in one line
CARDS_PER_ROW = 7


class PackError(Exception):
    """A pack that cannot be made; the message says what to change."""


class Source(Protocol):
    """Where the figures come from: a page context (ui.Page) or a Warehouse opened here."""

    version: str

    def query(self, name: str, **params) -> pd.DataFrame: ...


@dataclass(frozen=True)
class PackSpec:
    """What one pack shows: the link's period (`to`), branch (None: the whole company), comparison (`cmp`),
    language and the start of its trend charts (`from`; None: the 12 months up to the period). In a warehouse of
    several companies, `company` without a branch is that company's pack, neither is the corporation's (`top`
    names its file: CORPORATION_CODE)."""
    period: dt.date
    branch: str | None = None
    cmp: str = "prev_month"
    lang: str = "vi"
    period_from: dt.date | None = None
    company: str | None = None
    top: str = COMPANY_CODE

    def __post_init__(self) -> None:
        if self.cmp not in CMPS:
            raise PackError(f"cmp must be one of {', '.join(CMPS)}, got {self.cmp!r}")
        if self.lang not in LANGS:
            raise PackError(f"lang must be one of {', '.join(LANGS)}, got {self.lang!r}")

    @property
    def file_name(self) -> str:
        return file_name(self.branch or self.company or self.top, self.period, self.lang)


def file_name(branch: str | None, period: dt.date, lang: str) -> str:
    """bao-cao_PC08AA_2020-08.pdf (vi), report_PC08AA_2020-08.pdf (en); the company is PC08."""
    stem = "bao-cao" if lang == "vi" else "report"
    return f"{stem}_{branch or COMPANY_CODE}_{period:%Y-%m}.pdf"


# ---------------------------------------------------------------- the warehouse, without Streamlit


@dataclass
class Warehouse:
    """A published warehouse opened read-only for packs made outside the app (the CLI, the benchmark)."""
    path: Path
    version: str
    con: object = field(repr=False)

    def query(self, name: str, **params) -> pd.DataFrame:
        return queries.run(self.con, name, params)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_warehouse(version: str | None = None, data_dir: Path | None = None) -> Warehouse:
    """The published warehouse, or the kept version a link pins; PackError when there is none."""
    published = warehouse.current(data_dir)
    if published is None:
        raise PackError(f"no published data in {data_dir or config.data_dir()} (DASHBOARD_DATA_DIR): build it "
                        "first (python -m dashboard build --source DIR)")
    path = published.path
    if version and version != published.version:
        path = warehouse.version_path(version, data_dir)
        if path is None:
            kept = ", ".join(warehouse.kept_versions(data_dir)) or "none"
            raise PackError(f"data version {version!r} is not kept (kept: {kept})")
    try:
        con = warehouse.connect(path)
    except warehouse.ReaderError as exc:
        raise PackError(str(exc)) from None
    return Warehouse(path, warehouse.version_of(path), con)


# ---------------------------------------------------------------- what the page says


@dataclass(frozen=True)
class CardView:
    label: str
    value: str
    delta: str | None  # '+1,2 điểm %' against the pack's comparison; None without a comparison value
    tone: str  # good, bad or flat: the change read against the KPI's direction
    status: str | None  # scorecard.STATUSES, or None without a target
    status_text: str
    target: str | None  # 'Kế hoạch: 95,00%'
    rank: str | None  # 'Hạng 3/9' (a branch's pack)
    provisional: bool


@dataclass(frozen=True)
class FamilyView:
    title: str
    cards: list[CardView]


@dataclass(frozen=True)
class Content:
    """Everything printed on a pack, as text, and the trend figures to draw."""
    lang: str
    org: str
    title: str
    scope: str
    period: str
    compared: str
    headline: str
    kpis_title: str
    rows: list[list[FamilyView]]  # the card rows: families side by side, at most CARDS_PER_ROW cards a row
    trends_title: str
    figures: list = field(repr=False)
    provisional: str | None  # the mark, when the scope's figures are provisional
    provisional_note: str
    notes: list[str]
    footer: str
    scope_note: str


def _tone(card: scorecard.Card, delta: str | None) -> str:
    if delta is None or formats.is_unchanged(delta) or card.direction not in ("higher", "lower"):
        return "flat"
    up = card.delta > 0
    return "good" if up == (card.direction == "higher") else "bad"


def branch_names(source: Source) -> dict[str, str]:
    return hierarchy(source)[0]


def hierarchy(source: Source) -> tuple[dict[str, str], dict[str, str]]:
    """Each branch's name and each branch's company, from one read of branch_list."""
    rows = source.query("branch_list")
    return (dict(zip(rows["branch_code"], rows["branch_name"])),
            dict(zip(rows["branch_code"], rows["company_code"])))


def periods(source: Source) -> list[dt.date]:
    """The periods with data, oldest first."""
    return [formats.to_month(p) for p in source.query("available_periods")["period"]]


def check(spec: PackSpec, names: dict[str, str], available: list[dt.date], companies=None) -> None:
    """PackError naming what to change when the data cannot answer the spec (`companies`: the codes a company
    pack may name)."""
    if spec.branch is not None and spec.branch not in names:
        raise PackError(f"unknown branch {spec.branch!r} (branches: {', '.join(names)})")
    if spec.company is not None and companies is not None and spec.company not in companies:
        raise PackError(f"unknown company {spec.company!r} (companies: {', '.join(sorted(companies))})")
    if not available:
        raise PackError("the warehouse has no periods")
    if spec.period not in available:
        raise PackError(f"no data for {spec.period:%Y-%m} "
                        f"(data covers {available[0]:%Y-%m} to {available[-1]:%Y-%m})")


def content(source: Source, spec: PackSpec) -> Content:
    """The pack's text and figures, from the same scorecard functions and page queries as the overview and
    branch pages for the same link."""
    lang, period = spec.lang, spec.period
    (names, companies), available = hierarchy(source), periods(source)
    # a branch's pack ranks it among its own company's branches beside its company's figures; the pack without a
    # branch is the company's, or the corporation's when the warehouse holds several companies
    check(spec, names, available, set(companies.values()))
    company = companies.get(spec.branch) if spec.branch else spec.company
    peers = {b: n for b, n in names.items() if company is None or companies.get(b) == company}
    several = len(set(companies.values())) > 1
    first = available[0]
    start = spec.period_from or max(scorecard.month_shift(period, -11), first)
    kpis = source.query("kpi_catalog")
    scope = (spec.branch,) if spec.branch else ()
    # the targets the overview asks for (a year of card history), and from the trends' start
    targets = source.query("targets_in_force", period_from=min(start, max(scorecard.month_shift(period, -12), first)),
                           period_to=period)
    in_period = source.query("branch_kpis", branches=list(scope or peers), period_from=period, period_to=period)
    headline = scorecard.misses_sentence(kpis, in_period, targets, period, lang)
    found = scorecard.scope_cards(source.query, kpis, targets, period, first, spec.cmp, lang, spec.branch, company)
    if found is None:
        raise PackError(f"no rows for {spec.branch or 'the company'} in {period:%Y-%m}")
    cards, _ = found
    ranks: dict[str, str] = {}
    if spec.branch:
        every = source.query("branch_kpis", branches=list(peers), period_from=period, period_to=period)
        top = source.query("company_kpis", company=company, period_from=period, period_to=period)
        rows = scorecard.rank_rows(kpis, every, top, targets, spec.branch, period, lang)
        ranks = {k: t("pack.rank", lang, rank=formats.fmt_rank(r, n, lang))
                 for k, r, n in zip(rows["kpi"], rows["rank"], rows["ranked"]) if not formats.is_missing(r)}
    marks = provisional_marks(source, list(scope or peers), period)
    # a mark naming a KPI (issue 9's `kpi` column) is about that figure; one without, about all of the scope's
    every_marked = not marks.empty and ("kpi" not in marks.columns or marks["kpi"].isna().any())
    marked = set(marks["kpi"].dropna()) if "kpi" in marks.columns else set()
    cmp_label = t(f"cmp.{spec.cmp}", lang)
    by_kpi = {c.kpi: c for c in cards}
    families = []
    for family in registry.FAMILIES:
        views = []
        for kpi in kpis.loc[kpis["family"] == family, "kpi"]:
            card = by_kpi[kpi]
            delta = None if card.delta is None else formats.fmt_delta(card.delta, card.unit, lang)
            views.append(CardView(
                label=card.label, value=formats.fmt_kpi(card.value, card.unit, lang),
                delta=delta,
                tone=_tone(card, delta), status=card.status,
                status_text=scorecard.status_text(card.status, card.target, lang),
                target=None if card.target is None else t("metric.target_value", lang,
                                                           target=formats.fmt_kpi(card.target, card.unit, lang)),
                rank=ranks.get(kpi), provisional=every_marked or kpi in marked))
        if views:
            families.append(FamilyView(t(f"page.{family}", lang), views))
    info = source.query("data_version_info").iloc[0]
    footer = t("footer.line", lang, version=source.version,
               built_at=formats.fmt_datetime(formats.as_utc(info["built_at"]), lang),
               latest=formats.fmt_period(info["latest_period"], lang))
    scope_name = (f"{names[spec.branch]} ({spec.branch})" if spec.branch
                  else t("metric.corporation" if several and company is None else "metric.company", lang))
    return Content(
        lang=lang, org=organisation(source, company, several, lang), title=t("pack.title", lang), scope=scope_name,
        period=formats.fmt_period(period, lang, "long"), compared=t("pack.compared_with", lang, cmp=cmp_label),
        headline=headline, rows=card_rows(families),
        kpis_title=t("overview.cards_for", lang, scope=names[spec.branch] if spec.branch else scope_name,
                     period=formats.fmt_period(period, lang, "long")),
        trends_title=t("pack.trends_title", lang, range=formats.fmt_period_range(start, period, lang)),
        figures=trend_figures(source, kpis, spec, start, peers, company, scope_name),
        provisional=t("pack.provisional", lang) if not marks.empty else None,
        provisional_note=t("pack.provisional_note", lang),
        notes=provisional_notes(marks, names, lang, bool(spec.branch)),
        footer=footer,
        scope_note=t("pack.scope_branch" if spec.branch else "pack.scope_company", lang,
                     count=formats.fmt_number(len(peers), lang)))


def organisation(source: Source, company: str | None, several: bool, lang: str) -> str:
    """Whose pack it is: the company (by name when the warehouse holds several), or the corporation."""
    if not several:
        return t("app.company", lang)
    if company is None:
        return t("app.corporation", lang)
    names = source.query("company_list")
    row = names[names["company_code"] == company]
    return row.iloc[0]["company_name_vi" if lang == "vi" else "company_name_en"] if len(row) else company


def card_rows(families: list[FamilyView]) -> list[list[FamilyView]]:
    """Families in order, side by side while their cards fit in one row of CARDS_PER_ROW."""
    rows: list[list[FamilyView]] = []
    for family in families:
        if rows and sum(len(f.cards) for f in rows[-1]) + len(family.cards) <= CARDS_PER_ROW:
            rows[-1].append(family)
        else:
            rows.append([family])
    return rows


def trend_figures(source: Source, kpis: pd.DataFrame, spec: PackSpec, start: dt.date, names: dict[str, str],
                  company_code: str | None = None, top_name: str | None = None) -> list:
    """The trend of each family's headline KPI over the link's range: the branch with its company (`company_code`;
    per branch for counts) or the company (the corporation for None) alone, the target in force and the events."""
    lang, period = spec.lang, spec.period
    scope = (spec.branch,) if spec.branch else ()
    company = source.query("company_kpis", company=company_code, period_from=start, period_to=period)
    own = (source.query("branch_kpis", branches=[spec.branch], period_from=start, period_to=period)
           if spec.branch else company)
    targets = source.query("targets_in_force", period_from=start, period_to=period)
    events = charts.scope_events(source.query("events_in_range", period_from=start, period_to=period), scope, lang)
    name = names[spec.branch] if spec.branch else (top_name or t("metric.company", lang))
    figures = []
    for k in kpis[kpis["kpi"].isin(TREND_KPIS)].to_dict("records"):
        col, unit = k["column_name"], k["unit"]
        fig = charts.build(
            "trend", lang=lang, max_ticks=6, company_is_average=unit == "count", df=own[["period", col]], y=col,
            unit=unit, title=k["label_vi" if lang == "vi" else "label_en"], color=None, series_name=name,
            company=charts.company_line(company, col, unit, len(names)) if spec.branch else None,
            target=scorecard.trend_targets(targets, k["kpi"], scope), annotations=events)
        figures.append(for_print(fig))
    return figures


def for_print(fig):
    """A figure made for the pack (never one a page shares: it is changed) at its printed size: the print fonts,
    small type, tight margins, short event labels."""
    values = [float(v) for trace in fig.data if trace.y is not None for v in trace.y if not formats.is_missing(v)]
    fig.update_layout(
        width=CHART_WIDTH, height=CHART_HEIGHTS[0], font=dict(family=FONT, size=8.5, color="#222"),
        title=dict(font=dict(size=10, color="#111"), x=0, xanchor="left", y=0.97, yanchor="top", pad=dict(l=2)),
        margin=dict(l=4, r=8, t=26, b=4), legend=dict(font=dict(size=7.5), y=-0.14, itemwidth=30),
        paper_bgcolor="white", plot_bgcolor="white")
    fig.update_xaxes(tickfont=dict(size=7.5), tickangle=0)
    fig.update_yaxes(tickfont=dict(size=7.5), title_font=dict(size=7.5), gridcolor="#e6e6e6")
    for trace in fig.data:
        if getattr(trace, "marker", None) is not None and trace.mode and "markers" in trace.mode:
            trace.marker.size = 4
        if getattr(trace, "line", None) is not None and trace.line.width and trace.line.width > 2:
            trace.line.width = 2.5
    charts.compact(fig, max_ticks=6, label_chars=22)
    events = [note for note in fig.layout.annotations or () if note.name == "event"]
    for note in events:
        note.font.size = 7
    if events and values:  # headroom above the lines for the event labels, which sit in the top fifth
        low, high = min(values), max(values)
        span = (high - low) or abs(high) or 1.0
        fig.update_yaxes(range=[low - 0.06 * span, high + 0.32 * span])
    return fig


# ---------------------------------------------------------------- provisional marks


def provisional_marks(source: Source, branches: list[str], period: dt.date) -> pd.DataFrame:
    """The scope's provisional marks at the period (queries/provisional_marks.sql on the `provisional` table:
    branch_code, period, check_name, message_vi, message_en, and kpi where a mark is about one KPI); none when
    the query file or, in warehouses built before it, the table is absent."""
    empty = pd.DataFrame(columns=["branch_code", "period", "check_name", "kpi", "message_vi", "message_en"])
    if not queries.query_path(PROVISIONAL_QUERY).is_file():
        return empty
    try:
        return source.query(PROVISIONAL_QUERY, period_from=period, period_to=period, branches=branches)
    except queries.QueryError as exc:
        if "Catalog Error" in exc.message and "provisional" in exc.message and "does not exist" in exc.message:
            return empty
        raise


def provisional_notes(marks: pd.DataFrame, names: dict[str, str], lang: str, one_branch: bool) -> list[str]:
    """One footnote per message (the branches it concerns named on a company pack), at most MAX_NOTES, those about
    every figure first."""
    if marks.empty:
        return []
    column = "message_vi" if lang == "vi" else "message_en"
    if "kpi" in marks.columns:  # marks about all of a scope's figures first
        marks = marks.assign(_one=marks["kpi"].notna()).sort_values("_one", kind="stable")
    by_message: dict[str, list[str]] = {}
    for code, message in zip(marks["branch_code"], marks[column]):
        # (a mark without a branch is about the whole company)
        who = t("metric.company", lang) if formats.is_missing(code) else names.get(code, code)
        codes = by_message.setdefault(str(message), [])
        if who not in codes:
            codes.append(who)
    notes = [message if one_branch else f"{', '.join(codes)}: {message}" for message, codes in by_message.items()]
    if len(notes) > MAX_NOTES:
        notes = notes[:MAX_NOTES - 1] + [t("pack.more_notes", lang, count=len(notes) - MAX_NOTES + 1)]
    return notes


# ---------------------------------------------------------------- charts to SVG


class ChartRenderer:
    """One headless Chromium (kaleido, MathJax off: it would ask a CDN) kept running for many charts. It runs on
    an event loop of its own thread, so any thread (a Streamlit session, the CLI) can ask for an SVG."""

    def __init__(self, timeout: float = 60):
        import kaleido

        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pack-charts", daemon=True)
        self._thread.start()
        try:
            self._kaleido = self._call(self._open(kaleido))
        except Exception as exc:
            self._stop_loop()
            raise PackError(f"cannot start the chart renderer (kaleido with Debian's chromium at /usr/bin/chromium; "
                            f"`apt-get install chromium`, or set BROWSER_PATH): {type(exc).__name__}: {exc}") from exc

    async def _open(self, kaleido):
        k = kaleido.Kaleido(mathjax=False, timeout=self.timeout)
        await k.open()
        return k

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(self.timeout + 30)

    def svg(self, fig) -> str:
        """The figure as SVG text at its layout's width and height."""
        opts = {"format": "svg", "width": fig.layout.width, "height": fig.layout.height}
        data = self._call(self._kaleido.calc_fig(fig, opts=opts))
        return data.decode("utf-8") if isinstance(data, bytes) else str(data)

    def close(self) -> None:
        if self._loop.is_running():
            try:
                self._call(self._kaleido.close())
            finally:
                self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


_renderer_lock = threading.Lock()
_renderers: list[ChartRenderer] = []  # the one shared renderer, started on first use


def renderer() -> ChartRenderer:
    """The process's chart renderer, started on first use (about 2.5 s) and closed at exit."""
    with _renderer_lock:
        if not _renderers:
            _renderers.append(ChartRenderer())
            atexit.register(close_renderer)
        return _renderers[0]


def close_renderer() -> None:
    with _renderer_lock:
        while _renderers:
            _renderers.pop().close()


# ---------------------------------------------------------------- the page


def html(page: Content, svgs: list[str]) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE).render(page=page, charts=svgs, font=FONT)


class _SvgStyleNoise(logging.Filter):
    """WeasyPrint's CSS parser warns about every fill/stroke in Plotly's inline SVG styles, which its SVG renderer
    then draws all the same: hundreds of lines a pack that would bury a real warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Ignored `") and message.endswith("unknown property.")
                    and any(f"`{p}" in message for p in ("fill", "stroke", "font-", "white-space")))


def _quiet_weasyprint() -> None:
    log = logging.getLogger("weasyprint")
    if not any(isinstance(f, _SvgStyleNoise) for f in log.filters):
        log.addFilter(_SvgStyleNoise())


def pdf_bytes(source: Source, spec: PackSpec, charts_to_svg: Callable | None = None) -> bytes:
    """The pack as one A4 page of PDF. Raises PackError for a spec the data cannot answer."""
    from weasyprint import HTML

    _quiet_weasyprint()
    page = content(source, spec)
    to_svg = charts_to_svg or renderer().svg
    # notes take room: start lower rather than render a second time
    for height in CHART_HEIGHTS[1:] if page.notes else CHART_HEIGHTS:
        svgs = [to_svg(fig.update_layout(height=height)) for fig in page.figures]
        document = HTML(string=html(page, svgs), base_url=str(TEMPLATES)).render()
        if len(document.pages) == 1:
            return document.write_pdf()
    raise PackError(f"the pack for {page.scope}, {page.period} does not fit on one page")


def write_pack(source: Source, spec: PackSpec, out: Path) -> Path:
    """The spec's pack written to `out` under its file name (whole or not at all); the path written."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / spec.file_name
    data = pdf_bytes(source, spec)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
