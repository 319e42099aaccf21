"""The URL is the state: parse query parameters into a ViewState (with notices for whatever was
ignored) and write a ViewState back as canonical parameters and shareable links.

Shared parameters (contract, DESIGN.md "Shareable links"): company, branch (repeatable), from, to (YYYY-MM),
cmp, lang, v. Any other well-named parameter is page-specific and passes through in `extras`.

Parsing rules, decided here:
* Nothing raises on user input: a bad value is dropped with a Notice and the default is used.
* branch: repeatable; also accepts comma-separated codes and any letter case; unknown codes are
  dropped one by one; duplicates collapse; the result follows the order of `branch_codes`.
  No branch means the whole company.
* company: one of the companies of the warehouse (any letter case); unknown ones are dropped with a notice.
  With company=, branches of other companies are dropped one by one with a notice. No company means: the
  company of the chosen branches, the only company of a single-company warehouse (every link from before the
  corporation level), else the whole corporation (ui.Page.company works it out; the state keeps what the
  link says).
* A single-valued parameter given several times with different values is ignored (default used,
  notice "repeated"): no way to know which one the sender meant. Identical repeats are harmless
  and accepted silently.
* from/to must be YYYY-MM and one of the available periods; from > to is swapped (with a notice).
  Defaults: to = the latest period, from = the earliest available period not more than 11 months
  before to (a 12-month window, shorter near the start of the data).
* v must match contract.VERSION_RE and be a kept version (or the current one). A well-formed
  version that is no longer kept gives the notice VERSION_NOT_KEPT (show it as the banner) and the
  current data; anything else gives "version_malformed".
* present (presentation mode, on any page): 1 on, 0 or absent off; anything else is dropped with a notice.
  screen: the KPI family shown in presentation mode (one of SCREENS, a family page's key); only read with
  present=1 (the state keeps no screen otherwise); an unknown one is dropped with a notice and the page's
  default screen shows (present_screen).
* Values quoted in notices are clipped to 40 characters, control and formatting characters
  replaced by spaces and backticks by quotes. Show them as plain text (or through
  labels.escape_markdown in Markdown elements).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from dashboard import registry
from dashboard.contract import VERSION_RE
from dashboard.formats import to_month
from dashboard.labels import DEFAULT_LANG, LANGS, t

CMPS = ("prev_month", "prev_year", "target")
DEFAULT_CMP = "prev_month"
SHARED_KEYS = ("company", "branch", "from", "to", "cmp", "lang", "v")
PRESENT_KEYS = ("present", "screen")  # presentation mode, on every page
SCREENS = registry.FAMILIES  # presentation screens: one KPI family each, in this order
PAGE_PATHS = registry.PATHS
WINDOW_MONTHS = 12

VERSION_NOT_KEPT = "banner.version_not_kept"  # Notice.key meaning: show the old-version banner
SHOWN_CHARS = 40  # how much of a rejected value a notice quotes
MAX_EXTRA_CHARS = 8000  # page-specific values (the SQL page's query) longer than this are dropped
EXTRA_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tabs and newlines allowed (SQL)


@dataclass(frozen=True)
class Notice:
    """Something in the URL was ignored. `key` is a label key; `kwargs` fill its placeholders."""
    key: str
    kwargs: dict[str, str] = field(default_factory=dict)
    param: str = ""

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.kwargs)

    @property
    def is_version_banner(self) -> bool:
        return self.key == VERSION_NOT_KEPT


@dataclass(frozen=True)
class ViewState:
    """One view: which branches (empty = whole company), which periods, comparison, language,
    pinned data version (None = current), page-specific parameters (str, or tuple if repeated), and the
    presentation mode: on or off, and the screen (None: the page's default, see present_screen)."""
    branches: tuple[str, ...]
    period_from: date
    period_to: date
    cmp: str = DEFAULT_CMP
    lang: str = DEFAULT_LANG
    v: str | None = None
    extras: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    present: bool = False
    screen: str | None = None
    company: str | None = None  # the company the link names (None: see the module's rules)

    def __post_init__(self) -> None:
        object.__setattr__(self, "branches", tuple(self.branches))
        start, end = to_month(self.period_from), to_month(self.period_to)
        if start is None or end is None:
            raise ValueError("period_from and period_to are required")
        if start > end:
            raise ValueError(f"period_from {start} is after period_to {end}")
        object.__setattr__(self, "period_from", start)
        object.__setattr__(self, "period_to", end)
        if self.cmp not in CMPS:
            raise ValueError(f"cmp must be one of {CMPS}, got {self.cmp!r}")
        if self.lang not in LANGS:
            raise ValueError(f"lang must be one of {LANGS}, got {self.lang!r}")
        extras: dict[str, str | tuple[str, ...]] = {}
        for key, value in dict(self.extras).items():
            if key in SHARED_KEYS or key in PRESENT_KEYS or not EXTRA_KEY_RE.fullmatch(key):
                raise ValueError(f"extras key {key!r} is a shared parameter or not a valid name")
            extras[key] = value if isinstance(value, str) else tuple(str(x) for x in value)
        object.__setattr__(self, "extras", extras)
        object.__setattr__(self, "present", bool(self.present))
        if self.screen is not None and self.screen not in SCREENS:
            raise ValueError(f"screen must be one of {SCREENS}, got {self.screen!r}")
        if not self.present:
            object.__setattr__(self, "screen", None)  # a screen means nothing outside presentation mode

    @property
    def is_company(self) -> bool:
        return not self.branches

    def extra(self, name: str, default: str | None = None) -> str | None:
        """A page parameter's value (the first one if repeated), or default."""
        value = self.extras.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        return value[0] if value else default

    def extra_all(self, name: str) -> tuple[str, ...]:
        value = self.extras.get(name)
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else tuple(value)

    def with_extras(self, **values: str | Sequence[str] | None) -> ViewState:
        """A copy with page parameters set (None removes one)."""
        extras = dict(self.extras)
        for key, value in values.items():
            if value is None:
                extras.pop(key, None)
            else:
                extras[key] = value if isinstance(value, str) else tuple(value)
        return replace(self, extras=extras)

    def shared(self) -> ViewState:
        """Only the shared parameters: for links to another page."""
        return replace(self, extras={})

    def pinned(self, version: str | None) -> ViewState:
        """The same view pinned to a data version (for a link that must show the same numbers)."""
        return replace(self, v=version)


# ---------------------------------------------------------------- helpers

def period_key(d: Any) -> str:
    """date(2020, 8, 1) → '2020-08', the URL form of a period."""
    m = to_month(d)
    if m is None:
        raise ValueError("period_key needs a date")
    return f"{m.year:04d}-{m.month:02d}"


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_period_from(period_to: date, periods: Sequence[Any]) -> date:
    """The earliest available period within the 12-month window that ends at period_to."""
    end = to_month(period_to)
    assert end is not None
    start = _add_months(end, -(WINDOW_MONTHS - 1))
    candidates = [p for p in (to_month(x) for x in periods) if p is not None and start <= p <= end]
    return min(candidates) if candidates else end


def present_screen(state: ViewState, page_key: str) -> str:
    """The presentation screen a view shows: the link's screen, else the page's own family (a family page), else
    the first."""
    if state.screen in SCREENS:
        return state.screen
    family = registry.page(page_key).family if page_key in registry.BY_KEY else None
    return family if family in SCREENS else SCREENS[0]


def step_screen(screen: str, step: int) -> str | None:
    """The screen `step` places after (negative: before) `screen`, or None past either end (no wrapping: a
    presenter pressing → on the last screen stays there)."""
    index = SCREENS.index(screen) + step if screen in SCREENS else -1
    return SCREENS[index] if 0 <= index < len(SCREENS) else None


def default_state(periods: Sequence[Any], *, lang: str = DEFAULT_LANG) -> ViewState:
    available = _available(periods)
    return ViewState((), default_period_from(available[-1], available), available[-1], DEFAULT_CMP,
                     lang if lang in LANGS else DEFAULT_LANG)


def _available(periods: Sequence[Any]) -> list[date]:
    available = sorted({m for m in (to_month(p) for p in periods) if m is not None})
    if not available:
        raise ValueError("no available periods: publish a warehouse before parsing view links")
    return available


def shown(raw: Any) -> str:
    """A rejected value made safe to quote in a notice: printable, no backticks, ≤ 40 characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(raw)).replace("`", "'")
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _values(params: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in params.items():
        if value is None:
            vals: list[str] = []
        elif isinstance(value, str):
            vals = [value]
        elif isinstance(value, (list, tuple)):
            vals = ["" if x is None else str(x) for x in value]
        else:
            vals = [str(value)]
        out.setdefault(str(key), []).extend(vals)
    return out


class _Parser:
    def __init__(self, params: Mapping[str, Any]):
        self.values = _values(params)
        self.notices: list[Notice] = []

    def notice(self, key: str, about: str, **kwargs: Any) -> None:
        n = Notice(key, {k: str(v) for k, v in kwargs.items()}, about)
        if n not in self.notices:
            self.notices.append(n)

    def single(self, name: str) -> str | None:
        vals = self.values.get(name)
        if not vals:
            return None
        distinct = list(dict.fromkeys(v.strip() for v in vals))
        if len(distinct) > 1:
            self.notice("notice.repeated", name, param=name, count=len(vals))
            return None
        if not distinct[0]:
            self.notice("notice.value_empty", name, param=name)
            return None
        return distinct[0]

    def lang(self, default_lang: str) -> str:
        default = default_lang if default_lang in LANGS else DEFAULT_LANG
        raw = self.single("lang")
        if raw is None:
            return default
        if raw.lower() in LANGS:
            return raw.lower()
        self.notice("notice.lang_unknown", "lang", value=shown(raw))
        return default

    def company(self, company_codes: Sequence[str]) -> str | None:
        raw = self.single("company")
        if raw is None:
            return None
        known = {str(code).upper(): str(code) for code in company_codes}
        if raw.upper() in known:
            return known[raw.upper()]
        self.notice("notice.company_unknown", "company", param="company", value=shown(raw))
        return None

    def in_company(self, branches: tuple[str, ...], company: str | None,
                   branch_companies: Mapping[str, str]) -> tuple[str, ...]:
        if company is None:
            return branches
        kept = []
        for code in branches:
            if branch_companies.get(code, company) == company:
                kept.append(code)
            else:
                self.notice("notice.branch_other_company", "branch", param="branch", value=code, company=company)
        return tuple(kept)

    def branches(self, branch_codes: Sequence[str]) -> tuple[str, ...]:
        order = {str(code).upper(): i for i, code in enumerate(branch_codes)}
        chosen: set[str] = set()
        for item in self.values.get("branch", []):
            if not item.strip():
                self.notice("notice.value_empty", "branch", param="branch")
                continue
            for part in item.split(","):
                code = part.strip().upper()
                if not code:
                    continue
                if code in order:
                    chosen.add(code)
                else:
                    self.notice("notice.branch_unknown", "branch", param="branch", value=shown(part.strip()))
        return tuple(sorted(chosen, key=order.__getitem__))

    def period(self, name: str, available: list[date]) -> date | None:
        raw = self.single(name)
        if raw is None:
            return None
        m = _PERIOD_RE.fullmatch(raw)
        if not m or not (1 <= int(m.group(2)) <= 12) or int(m.group(1)) < 1:
            self.notice("notice.period_malformed", name, param=name, value=shown(raw))
            return None
        d = date(int(m.group(1)), int(m.group(2)), 1)
        if d not in available:
            self.notice("notice.period_unavailable", name, param=name, value=shown(raw),
                        first=period_key(available[0]), last=period_key(available[-1]))
            return None
        return d

    def cmp(self) -> str:
        raw = self.single("cmp")
        if raw is None:
            return DEFAULT_CMP
        if raw.lower() in CMPS:
            return raw.lower()
        self.notice("notice.cmp_unknown", "cmp", value=shown(raw))
        return DEFAULT_CMP

    def version(self, kept_versions: Collection[str], current_version: str | None) -> str | None:
        raw = self.single("v")
        if raw is None:
            return None
        if not (raw.isascii() and VERSION_RE.fullmatch(raw)):
            self.notice("notice.version_malformed", "v", value=shown(raw))
            return None
        if raw != current_version and raw not in set(kept_versions):
            self.notice(VERSION_NOT_KEPT, "v", version=raw, current=current_version or "–")
            return None
        return raw

    def present(self) -> tuple[bool, str | None]:
        raw = self.single("present")
        present = False
        if raw is not None:
            if raw in ("1", "0"):
                present = raw == "1"
            else:
                self.notice("notice.present_invalid", "present", value=shown(raw))
        screen = self.single("screen")
        if screen is not None and screen.lower() not in SCREENS:
            self.notice("notice.screen_unknown", "screen", value=shown(screen), screens=", ".join(SCREENS))
            screen = None
        return present, screen.lower() if present and screen else None

    def extras(self, extra_keys: Collection[str] | None) -> dict[str, str | tuple[str, ...]]:
        out: dict[str, str | tuple[str, ...]] = {}
        for key, vals in self.values.items():
            if key in SHARED_KEYS or key in PRESENT_KEYS:
                continue
            if not EXTRA_KEY_RE.fullmatch(key):
                self.notice("notice.param_invalid", key, param=shown(key))
                continue
            if extra_keys is not None and key not in extra_keys:
                self.notice("notice.param_unknown", key, param=key)
                continue
            clean = []
            for value in vals:
                if len(value) > MAX_EXTRA_CHARS or _BAD_CONTROL.search(value):
                    self.notice("notice.value_invalid", key, param=key, value=shown(value))
                else:
                    clean.append(value)
            if clean:
                out[key] = clean[0] if len(clean) == 1 else tuple(clean)
        return out


# ---------------------------------------------------------------- the contract

def parse(params: Mapping[str, Any], *, branch_codes: Sequence[str], periods: Sequence[Any],
          kept_versions: Collection[str], current_version: str | None,
          default_lang: str = DEFAULT_LANG,
          extra_keys: Collection[str] | None = None,
          branch_companies: Mapping[str, str] | None = None) -> tuple[ViewState, list[Notice]]:
    """Parse query parameters ({key: [values]}, as from st.query_params.get_all; a plain str value
    is taken as one value) into a ViewState and the notices to show. Never raises on bad input;
    raises ValueError only when `periods` is empty (nothing published).

    extra_keys: the page-specific parameter names the page accepts; None passes any well-named one.
    branch_companies: each branch's company (the companies a link may name are theirs); None: no company level,
    `company=` is dropped as unknown."""
    available = _available(periods)
    p = _Parser(params)
    lang = p.lang(default_lang)
    branch_companies = branch_companies or {}
    company = p.company(sorted(set(branch_companies.values())))
    branches = p.in_company(p.branches(branch_codes), company, branch_companies)
    period_from = p.period("from", available)
    period_to = p.period("to", available)
    if period_from is not None and period_to is not None and period_from > period_to:
        p.notice("notice.period_swapped", "from", start=period_key(period_from), end=period_key(period_to))
        period_from, period_to = period_to, period_from
    if period_to is None:
        period_to = available[-1]
    if period_from is None:
        period_from = default_period_from(period_to, available)
    cmp = p.cmp()
    v = p.version(kept_versions, current_version)
    present, screen = p.present()
    extras = p.extras(extra_keys)
    state = ViewState(branches, period_from, period_to, cmp, lang, v, extras, present, screen, company)
    return state, p.notices


def parse_lang(params: Mapping[str, Any], *, default_lang: str = DEFAULT_LANG) -> tuple[str, list[Notice]]:
    """Only the language, for pages that render before any data is published."""
    p = _Parser(params)
    return p.lang(default_lang), p.notices


def parse_present(params: Mapping[str, Any]) -> bool:
    """Only whether the link asks for presentation mode (the app routes on it before the page parses the rest)."""
    return _Parser(params).present()[0]


def to_query(state: ViewState, *, defaults_omitted: bool = False) -> dict[str, str | list[str]]:
    """Canonical query parameters for st.query_params or a link. defaults_omitted drops cmp and
    lang when they are the defaults; from and to are always written (their defaults move when new
    data arrives, and a link must keep showing the same periods)."""
    q: dict[str, str | list[str]] = {}
    if state.company:
        q["company"] = state.company
    if state.branches:
        q["branch"] = list(state.branches)
    q["from"] = period_key(state.period_from)
    q["to"] = period_key(state.period_to)
    if not (defaults_omitted and state.cmp == DEFAULT_CMP):
        q["cmp"] = state.cmp
    if not (defaults_omitted and state.lang == DEFAULT_LANG):
        q["lang"] = state.lang
    if state.v is not None:
        q["v"] = state.v
    for key, value in state.extras.items():
        q[key] = value if isinstance(value, str) else list(value)
    if state.present:
        q["present"] = "1"
        if state.screen:
            q["screen"] = state.screen
    return q


def query_string(state: ViewState, *, defaults_omitted: bool = False) -> str:
    """The encoded query (without '?'): 'branch=PC08AA&from=2019-09&to=2020-08&cmp=prev_month&lang=vi'."""
    pairs: list[tuple[str, str]] = []
    for key, value in to_query(state, defaults_omitted=defaults_omitted).items():
        for item in ([value] if isinstance(value, str) else value):
            pairs.append((key, item))
    return urlencode(pairs, quote_via=quote)


def page_url(base_url: str, page_path: str, state: ViewState, *, defaults_omitted: bool = False) -> str:
    """A shareable link: base_url (st.context.url, possibly with a path prefix) + the page path
    ('/' for the overview) + the state's query. Raises ValueError for an unknown page path."""
    path = "/" + page_path.strip("/") if page_path.strip("/") else "/"
    if path not in PAGE_PATHS:
        raise ValueError(f"unknown page path {page_path!r}: expected one of {PAGE_PATHS}")
    base = urlsplit(base_url)
    full_path = base.path.rstrip("/") + path
    return urlunsplit((base.scheme, base.netloc, full_path,
                       query_string(state, defaults_omitted=defaults_omitted), ""))


def restrict(state: ViewState, choices: Mapping[str, Collection[str]]) -> tuple[ViewState, list[Notice]]:
    """Page parameters checked against the values the page can show (`kpi` against the family's KPIs, `q`
    against the query files): a value not among them, or a parameter given more than once, is dropped with
    a notice, and the page shows its default. Parameters without an entry in `choices` pass as they are."""
    p = _Parser({})
    drop: dict[str, None] = {}
    for name, allowed in choices.items():
        values = state.extra_all(name)
        distinct = list(dict.fromkeys(values))
        if len(distinct) > 1:
            p.notice("notice.repeated", name, param=name, count=len(values))
            drop[name] = None
        elif distinct and distinct[0] not in allowed:
            p.notice("notice.extra_invalid", name, param=name, value=shown(distinct[0]))
            drop[name] = None
    return (state.with_extras(**drop) if drop else state), p.notices
