"""The URL is the state: round trips, defaults, and garbage that never crashes a page."""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard import links, registry
from dashboard.labels import LABELS
from dashboard.links import (
    MAX_EXTRA_CHARS,
    VERSION_NOT_KEPT,
    Notice,
    ViewState,
    default_state,
    page_url,
    parse,
    parse_lang,
    query_string,
    to_query,
)

BRANCHES = [f"PC08{c}{c}" for c in "ABCDEFGHI"]
PERIODS = [date(2019 + i // 12, i % 12 + 1, 1) for i in range(24)]  # 2019-01 … 2020-12
CURRENT = "20210105T101500Z-abc123"
OLD = "20201205T101500Z-0a1b2c"
KEPT = [CURRENT, OLD]
CTX = dict(branch_codes=BRANCHES, periods=PERIODS, kept_versions=KEPT, current_version=CURRENT)
DEFAULT = ViewState((), date(2020, 1, 1), date(2020, 12, 1), "prev_month", "vi", None, {})
SCRIPT = "<script>alert(1)</script>"


def _parse(params, **kw):
    return parse(params, **{**CTX, **kw})


# ---------------------------------------------------------------- defaults

def test_no_parameters_give_the_defaults():
    state, notices = _parse({})
    assert state == DEFAULT
    assert notices == []
    assert default_state(PERIODS) == DEFAULT


def test_default_window_is_twelve_months_ending_at_to():
    state, _ = _parse({"to": ["2020-08"]})
    assert (state.period_from, state.period_to) == (date(2019, 9, 1), date(2020, 8, 1))


def test_default_from_is_clamped_to_the_first_period():
    state, notices = _parse({"to": ["2019-05"]})
    assert (state.period_from, state.period_to) == (date(2019, 1, 1), date(2019, 5, 1))
    assert notices == []


def test_default_from_skips_missing_periods():
    periods = [date(2020, m, 1) for m in (3, 5, 8)]
    state, _ = parse({}, branch_codes=BRANCHES, periods=periods, kept_versions=[], current_version=None)
    assert (state.period_from, state.period_to) == (date(2020, 3, 1), date(2020, 8, 1))


def test_from_alone_ends_at_the_latest_period():
    state, _ = _parse({"from": ["2019-06"]})
    assert (state.period_from, state.period_to) == (date(2019, 6, 1), date(2020, 12, 1))


@pytest.mark.parametrize("default_lang, expected", [("en", "en"), ("vi", "vi"), ("xx", "vi")])
def test_default_lang_comes_from_the_caller(default_lang, expected):
    state, notices = _parse({}, default_lang=default_lang)
    assert state.lang == expected and notices == []


def test_lang_in_the_url_beats_the_browser_guess():
    state, _ = _parse({"lang": ["vi"]}, default_lang="en")
    assert state.lang == "vi"




def test_no_periods_is_an_error_for_the_caller():
    with pytest.raises(ValueError, match="periods"):
        parse({}, branch_codes=BRANCHES, periods=[], kept_versions=[], current_version=None)


def test_parse_lang_without_data():
    assert parse_lang({"lang": ["en"]}) == ("en", [])
    lang, notices = parse_lang({"lang": [SCRIPT]}, default_lang="en")
    assert lang == "en" and [n.key for n in notices] == ["notice.lang_unknown"]


# ---------------------------------------------------------------- round trips

STATES = [
    DEFAULT,
    ViewState(("PC08AA",), date(2020, 1, 1), date(2020, 8, 1), "prev_year", "en"),
    ViewState(("PC08AA", "PC08CC", "PC08II"), date(2019, 1, 1), date(2020, 12, 1), "target", "vi", OLD),
    ViewState(tuple(BRANCHES), date(2020, 8, 1), date(2020, 8, 1), "prev_month", "en", CURRENT),
    ViewState(("PC08FF",), date(2019, 3, 1), date(2019, 4, 1), "target", "en", None,
              {"kpi": "online_payment_share", "basis": "amount"}),
    ViewState((), date(2020, 1, 1), date(2020, 12, 1), "prev_month", "vi", None,
              {"sql": "select *\nfrom branch_month\nwhere branch_code = 'PC08AA' -- &?#=%/ Tuy Hòa",
               "col": ("a", "b", "a"), "empty": ""}),
    replace(DEFAULT, present=True),
    ViewState(("PC08BB",), date(2020, 1, 1), date(2020, 8, 1), "target", "en", OLD, {"kpi": "app_share"},
              present=True, screen="payments"),
]


@pytest.mark.parametrize("state", STATES)
def test_round_trip_through_query_params(state):
    assert _parse(to_query(state)) == (state, [])


@pytest.mark.parametrize("state", STATES)
def test_round_trip_through_a_link(state):
    url = page_url("http://127.0.0.1:8765", "/payments", state)
    params = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert _parse(params) == (state, [])


@pytest.mark.parametrize("state", STATES)
def test_round_trip_with_defaults_omitted(state):
    q = to_query(state, defaults_omitted=True)
    assert "from" in q and "to" in q
    assert _parse(q) == (state, [])


def test_to_query_is_canonical():
    state = ViewState(("PC08AA", "PC08BB"), date(2019, 9, 1), date(2020, 8, 1), "prev_year", "en", OLD,
                      {"kpi": "app_share"})
    assert to_query(state) == {"branch": ["PC08AA", "PC08BB"], "from": "2019-09", "to": "2020-08",
                               "cmp": "prev_year", "lang": "en", "v": OLD, "kpi": "app_share"}
    assert query_string(state) == ("branch=PC08AA&branch=PC08BB&from=2019-09&to=2020-08&cmp=prev_year"
                                   f"&lang=en&v={OLD}&kpi=app_share")


def test_defaults_omitted_drops_only_cmp_and_lang():
    assert to_query(DEFAULT, defaults_omitted=True) == {"from": "2020-01", "to": "2020-12"}
    assert to_query(DEFAULT) == {"from": "2020-01", "to": "2020-12", "cmp": "prev_month", "lang": "vi"}


def test_equivalent_urls_give_the_same_state():
    a, _ = _parse({"branch": ["PC08BB", "PC08AA", "PC08AA"]})
    b, _ = _parse({"branch": ["pc08aa,PC08BB"]})
    assert a == b and a.branches == ("PC08AA", "PC08BB")


# ---------------------------------------------------------------- links

def test_page_url_overview_is_the_root():
    url = page_url("http://127.0.0.1:8765", "/", DEFAULT)
    assert url == "http://127.0.0.1:8765/?from=2020-01&to=2020-12&cmp=prev_month&lang=vi"


def test_page_url_keeps_a_path_prefix_and_drops_an_old_query():
    state = ViewState(("PC08AA",), date(2020, 8, 1), date(2020, 8, 1))
    url = page_url("https://example.vn/dashboard/?x=1#top", "branch", state)
    assert url == "https://example.vn/dashboard/branch?branch=PC08AA&from=2020-08&to=2020-08&cmp=prev_month&lang=vi"


def test_page_url_encodes_values():
    state = DEFAULT.with_extras(sql="select 'a b'&1=1 /* é */ #")
    url = page_url("http://h", "/sql", state)
    query = urlsplit(url).query
    assert " " not in query and "'" not in query and "#" not in query and "é" not in query
    assert parse_qs(query)["sql"] == ["select 'a b'&1=1 /* é */ #"]


@pytest.mark.parametrize("path", ["/nowhere", "/pages/x", "../etc"])
def test_page_url_rejects_unknown_pages(path):
    with pytest.raises(ValueError):
        page_url("http://h", path, DEFAULT)


@pytest.mark.parametrize("path", links.PAGE_PATHS)
def test_page_url_knows_every_page(path):
    assert urlsplit(page_url("http://h", path, DEFAULT)).path == path


# ---------------------------------------------------------------- garbage

GARBAGE = [
    # (params, expected notice key)
    ({"branch": ["PC08ZZ"]}, "notice.branch_unknown"),
    ({"branch": ["PC08ÀA"]}, "notice.branch_unknown"),
    ({"branch": ["\u202eAA80CP"]}, "notice.branch_unknown"),
    ({"branch": ["A" * 10_000]}, "notice.branch_unknown"),
    ({"branch": [""]}, "notice.value_empty"),
    ({"from": ["2099-99"]}, "notice.period_malformed"),
    ({"from": ["2099-01"]}, "notice.period_unavailable"),
    ({"from": ["1999-12"]}, "notice.period_unavailable"),
    ({"to": ["abc"]}, "notice.period_malformed"),
    ({"to": ["2020-13"]}, "notice.period_malformed"),
    ({"to": ["2020-8"]}, "notice.period_malformed"),
    ({"to": ["2020-08-01"]}, "notice.period_malformed"),
    ({"to": ["0000-01"]}, "notice.period_malformed"),
    ({"from": ["２０２０-08"]}, "notice.period_malformed"),
    ({"from": ["2020-08" * 1000]}, "notice.period_malformed"),
    ({"from": [""]}, "notice.value_empty"),
    ({"to": ["   "]}, "notice.value_empty"),
    ({"cmp": ["zzz"]}, "notice.cmp_unknown"),
    ({"cmp": ["prev_mönth"]}, "notice.cmp_unknown"),
    ({"cmp": ["x" * 5000]}, "notice.cmp_unknown"),
    ({"cmp": [""]}, "notice.value_empty"),
    ({"lang": ["xx"]}, "notice.lang_unknown"),
    ({"lang": ["tiếng việt"]}, "notice.lang_unknown"),
    ({"lang": ["🇻🇳"]}, "notice.lang_unknown"),
    ({"v": ["../../etc/passwd"]}, "notice.version_malformed"),
    ({"v": ["20210105T101500Z-ABC123"]}, "notice.version_malformed"),
    ({"v": ["٢٠٢١٠١٠٥T101500Z-abc123"]}, "notice.version_malformed"),
    ({"v": ["20190101T000000Z-abcdef"]}, VERSION_NOT_KEPT),
    ({"cmp": ["prev_year", "target"]}, "notice.repeated"),
    ({"from": ["2020-01", "2020-02"]}, "notice.repeated"),
    ({"to": ["2020-08", "abc"]}, "notice.repeated"),
    ({"lang": ["en", "vi"]}, "notice.repeated"),
    ({"v": [CURRENT, OLD]}, "notice.repeated"),
    ({"<script>": ["x"]}, "notice.param_invalid"),
    ({"Branch": ["PC08AA"]}, "notice.param_invalid"),
    ({"a" * 100: ["x"]}, "notice.param_invalid"),
    ({"kpi": ["a\x00b"]}, "notice.value_invalid"),
    ({"sql": ["x" * (MAX_EXTRA_CHARS + 1)]}, "notice.value_invalid"),
    ({"present": ["abc"]}, "notice.present_invalid"),
    ({"present": ["true"]}, "notice.present_invalid"),
    ({"present": ["１"]}, "notice.present_invalid"),
    ({"present": ["1" * 5000]}, "notice.present_invalid"),
    ({"present": [""]}, "notice.value_empty"),
    ({"present": ["1", "0"]}, "notice.repeated"),
    ({"screen": ["99"]}, "notice.screen_unknown"),
    ({"screen": ["-1"]}, "notice.screen_unknown"),
    ({"screen": ["overview"]}, "notice.screen_unknown"),
    ({"screen": ["payments", "services"]}, "notice.repeated"),
] + [({key: [SCRIPT]}, expected) for key, expected in [
    ("branch", "notice.branch_unknown"),
    ("from", "notice.period_malformed"),
    ("to", "notice.period_malformed"),
    ("cmp", "notice.cmp_unknown"),
    ("lang", "notice.lang_unknown"),
    ("v", "notice.version_malformed"),
    ("present", "notice.present_invalid"),
    ("screen", "notice.screen_unknown"),
]]


@pytest.mark.parametrize("params, expected", GARBAGE, ids=lambda p: repr(p)[:60])
def test_garbage_gives_the_defaults_and_a_notice(params, expected):
    state, notices = _parse(params)
    assert state == DEFAULT
    assert expected in [n.key for n in notices]


@pytest.mark.parametrize("params, expected", GARBAGE, ids=lambda p: repr(p)[:60])
def test_notices_render_safely_in_both_languages(params, expected):
    _, notices = _parse(params)
    for notice in notices:
        assert notice.key in LABELS
        for lang in ("vi", "en"):
            text = notice.text(lang)
            assert len(text) < 400
            assert "\n" not in text and "\x00" not in text and "\u202e" not in text and "`" not in text
        for value in notice.kwargs.values():
            assert len(value) <= links.SHOWN_CHARS


def test_all_garbage_at_once_still_renders_defaults():
    params = {key: [SCRIPT, "", "x" * 3000] for key in ("branch", "from", "to", "cmp", "lang", "v")}
    params["\x00"] = [SCRIPT]
    state, notices = _parse(params)
    assert state == DEFAULT
    assert notices


def test_a_script_value_is_quoted_clipped_not_executed():
    _, notices = _parse({"branch": [SCRIPT * 3]})
    (notice,) = notices
    assert notice.kwargs["value"] == (SCRIPT * 3)[:39] + "…"


def test_parse_accepts_plain_strings_and_other_junk_types():
    state, notices = _parse({"branch": "PC08AA", "cmp": None, "lang": 1, "to": ("2020-08",)})
    assert state.branches == ("PC08AA",) and state.period_to == date(2020, 8, 1)
    assert [n.key for n in notices] == ["notice.lang_unknown"]


# ---------------------------------------------------------------- individual rules

def test_unknown_branches_are_dropped_one_by_one():
    state, notices = _parse({"branch": ["PC08AA", "PC08ZZ", "PC08CC,nope"]})
    assert state.branches == ("PC08AA", "PC08CC")
    assert [(n.key, n.kwargs["value"]) for n in notices] == [
        ("notice.branch_unknown", "PC08ZZ"), ("notice.branch_unknown", "nope")]


def test_from_after_to_is_swapped_with_a_notice():
    state, notices = _parse({"from": ["2020-08"], "to": ["2019-03"]})
    assert (state.period_from, state.period_to) == (date(2019, 3, 1), date(2020, 8, 1))
    assert [n.key for n in notices] == ["notice.period_swapped"]
    assert notices[0].kwargs == {"start": "2020-08", "end": "2019-03"}


def test_identical_repeats_are_harmless():
    state, notices = _parse({"cmp": ["target", "target"], "lang": ["en", "en "]})
    assert (state.cmp, state.lang) == ("target", "en") and notices == []


def test_case_is_forgiven_for_cmp_and_lang():
    state, notices = _parse({"cmp": ["PREV_YEAR"], "lang": ["EN"]})
    assert (state.cmp, state.lang) == ("prev_year", "en") and notices == []


def test_period_unavailable_notice_says_what_is_available():
    _, (notice,) = _parse({"to": ["2099-01"]})
    assert notice.kwargs == {"param": "to", "value": "2099-01", "first": "2019-01", "last": "2020-12"}
    assert "2019-01" in notice.text("vi") and "2020-12" in notice.text("en")


@pytest.mark.parametrize("v", [CURRENT, OLD])
def test_kept_versions_are_pinned(v):
    state, notices = _parse({"v": [v]})
    assert state.v == v and notices == []


def test_a_version_no_longer_kept_asks_for_the_banner():
    state, (notice,) = _parse({"v": ["20190101T000000Z-abcdef"]})
    assert state.v is None
    assert notice.is_version_banner
    assert notice.kwargs == {"version": "20190101T000000Z-abcdef", "current": CURRENT}


def test_a_malformed_version_is_not_a_banner():
    _, (notice,) = _parse({"v": ["../../etc/passwd"]})
    assert notice.key == "notice.version_malformed" and not notice.is_version_banner


def test_extras_pass_through_and_can_be_restricted():
    state, notices = _parse({"kpi": ["app_share"], "basis": ["amount", "payments"]})
    assert state.extras == {"kpi": "app_share", "basis": ("amount", "payments")}
    assert state.extra("basis") == "amount" and state.extra_all("basis") == ("amount", "payments")
    assert state.extra("missing", "x") == "x" and notices == []
    state, notices = _parse({"kpi": ["app_share"], "foo": ["1"]}, extra_keys={"kpi"})
    assert state.extras == {"kpi": "app_share"}
    assert [(n.key, n.kwargs) for n in notices] == [("notice.param_unknown", {"param": "foo"})]


def test_state_helpers():
    state = DEFAULT.with_extras(kpi="app_share", sql=None)
    assert state.extras == {"kpi": "app_share"}
    assert state.shared().extras == {}
    assert state.pinned(CURRENT).v == CURRENT
    assert DEFAULT.is_company and not replace(DEFAULT, branches=("PC08AA",)).is_company


@pytest.mark.parametrize("kwargs", [
    dict(cmp="zzz"), dict(lang="fr"), dict(period_from=date(2021, 1, 1)),
    dict(extras={"branch": "PC08AA"}), dict(extras={"Bad Key": "x"}),
])
def test_view_state_refuses_invalid_values(kwargs):
    with pytest.raises(ValueError):
        replace(DEFAULT, **kwargs)


def test_view_state_normalises_periods_to_month_starts():
    state = ViewState(["PC08AA"], date(2020, 1, 15), "2020-08")
    assert state.branches == ("PC08AA",)
    assert (state.period_from, state.period_to) == (date(2020, 1, 1), date(2020, 8, 1))


def test_every_notice_key_is_a_label():
    source = Path(links.__file__).read_text(encoding="utf-8")
    keys = set(re.findall(r'"((?:notice|banner)\.[a-z_]+)"', source))
    assert keys and keys <= set(LABELS)
    assert isinstance(Notice("notice.value_empty", {"param": "x"}).text("vi"), str)


def test_the_link_modules_do_not_import_streamlit():
    code = ("import sys, dashboard.links, dashboard.charts, dashboard.formats, dashboard.labels; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


# ---------------------------------------------------------------- presentation mode


@pytest.mark.parametrize("params, screen, notices", [
    ({"present": ["1"]}, None, []),
    ({"present": ["1"], "screen": ["metering"]}, "metering", []),
    ({"present": ["1"], "screen": ["SERVICES"]}, "services", []),
    ({"present": ["1"], "screen": ["99"]}, None, ["notice.screen_unknown"]),
    ({"present": ["1"], "screen": [SCRIPT]}, None, ["notice.screen_unknown"]),
    ({"present": ["1", "1"], "screen": ["payments", "payments"]}, "payments", []),
])
def test_present_and_its_screen(params, screen, notices):
    state, found = _parse(params, extra_keys=())  # every page takes them, whatever its own parameters
    assert state == replace(DEFAULT, present=True, screen=screen)
    assert [n.key for n in found] == notices


def test_a_screen_without_present_is_not_kept():
    state, notices = _parse({"present": ["0"], "screen": ["payments"]})
    assert state == DEFAULT and notices == []
    assert ViewState((), date(2020, 1, 1), date(2020, 12, 1), screen="payments").screen is None
    assert "screen" not in to_query(DEFAULT) and "present" not in to_query(DEFAULT)


def test_present_writes_canonical_parameters():
    q = to_query(replace(DEFAULT, present=True, screen="services"))
    assert (q["present"], q["screen"]) == ("1", "services")


@pytest.mark.parametrize("page, screen, expected", [
    ("overview", None, "adoption"), ("branch", None, "adoption"), ("sql", None, "adoption"),
    ("payments", None, "payments"), ("metering", None, "metering"), ("overview", "services", "services"),
    ("payments", "adoption", "adoption"),
])
def test_the_screen_a_page_presents(page, screen, expected):
    state = replace(DEFAULT, present=True, screen=screen)
    assert links.present_screen(state, page) == expected


def test_screens_step_without_wrapping():
    assert links.SCREENS == registry.FAMILIES
    assert links.step_screen(links.SCREENS[0], 1) == links.SCREENS[1]
    assert links.step_screen(links.SCREENS[1], -1) == links.SCREENS[0]
    assert links.step_screen(links.SCREENS[0], -1) is None
    assert links.step_screen(links.SCREENS[-1], 1) is None
    assert links.step_screen("nowhere", 1) is None


@pytest.mark.parametrize("screen", ["99", "overview", ""])
def test_view_state_refuses_an_unknown_screen(screen):
    with pytest.raises(ValueError):
        replace(DEFAULT, present=True, screen=screen)


# ---------------------------------------------------------------- page parameters through the registry

KPIS = ["app_share", "email_coverage"]


@pytest.mark.parametrize("kpi, notice", [
    ("zzz", "notice.extra_invalid"), ("<script>", "notice.extra_invalid"), ("remote_read_rate", "notice.extra_invalid"),
    (("app_share", "email_coverage"), "notice.repeated"),
])
def test_restrict_drops_a_page_parameter_the_page_cannot_show(kpi, notice):
    state = DEFAULT.with_extras(kpi=kpi, other="kept")
    cleaned, notices = links.restrict(state, {"kpi": KPIS})
    assert [n.key for n in notices] == [notice] and notices[0].param == "kpi"
    assert cleaned.extra("kpi") is None and cleaned.extra("other") == "kept"


@pytest.mark.parametrize("kpi", ["app_share", ("email_coverage", "email_coverage"), None])
def test_restrict_keeps_a_value_the_page_can_show(kpi):
    state = DEFAULT.with_extras(kpi=kpi) if kpi else DEFAULT
    cleaned, notices = links.restrict(state, {"kpi": KPIS})
    assert notices == [] and cleaned.extra("kpi") == (kpi if isinstance(kpi, str) else kpi and kpi[0])


def test_page_paths_come_from_the_registry():
    from dashboard import registry

    assert links.PAGE_PATHS == tuple(p.url_path for p in registry.PAGES)
    assert links.PAGE_PATHS[0] == "/" and len(set(links.PAGE_PATHS)) == len(links.PAGE_PATHS)
