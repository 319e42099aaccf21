"""The pages, run with Streamlit's AppTest on the committed sample: every page renders in both languages; a
link reproduces its view with the warehouse's own numbers and keeps its URL; garbage in a link gives a notice,
never a crash; a broken query file fails only its own tile; an empty selection says so."""
from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import config, formats, registry, warehouse
from dashboard.build import build
from dashboard.labels import t
from tests.kit import trueup_case, write_exports

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dashboard" / "app.py"
PAGES = {spec.key: spec.view for spec in registry.PAGES}  # the page registry is the one list
FAMILY_PAGES = registry.FAMILIES
BRANCH = "PC08BB"


# ---------------------------------------------------------------- helpers


def open_page(page: str, params: dict | None = None) -> AppTest:
    """Open `page` with the link's query parameters, as a browser opening the URL would."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    params = dict(params or {})
    at.query_params.update(params)
    at.run()
    if page != "overview":
        # The entry script must run once before switching; the overview may have cleaned the URL meanwhile, so the
        # page under test gets the link exactly as given.
        at.query_params.clear()
        at.query_params.update(params)
        at.switch_page(PAGES[page])
        at.run()
    return at


def plain(text: str) -> str:
    """Markdown-escaped text (notices, errors) back to what the reader sees."""
    return re.sub(r"\\(.)", r"\1", text)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [plain(e.value) for e in at.error]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def warnings(at: AppTest) -> str:
    return "\n".join(plain(w.value) for w in at.warning)


def infos(at: AppTest) -> str:
    return "\n".join(plain(i.value) for i in at.info)


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def values(v) -> list:
    """A Plotly JSON array: a plain list, or a typed array ({"dtype", "bdata"}) as Plotly writes numpy data."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


@pytest.fixture(scope="module")
def wh(sample_data_dir):
    """Read-only access to the sample warehouse, to compute expected figures independently of the pages."""
    # the app's own kind of connection: DuckDB refuses a second in-process connection to a file configured apart
    con = warehouse.connect(warehouse.current(sample_data_dir).path)
    yield con
    con.close()


def rows(con, sql: str, *params) -> list[dict]:
    cur = con.cursor().execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def kpi_rows(con, family: str | None = None) -> list[dict]:
    sql = "select * from kpis" + (" where family = ?" if family else "") + " order by sort_order"
    return rows(con, sql, *([family] if family else []))


@pytest.fixture(scope="module")
def periods(wh) -> list[str]:
    return [p.strftime("%Y-%m") for (p,) in wh.execute("select period from company_month order by 1").fetchall()]


@pytest.fixture(scope="module")
def link(periods) -> dict[str, str]:
    """A link into the middle of the data: one branch, six periods, last year's comparison, English."""
    to = periods[len(periods) // 2]
    return {"branch": BRANCH, "from": periods[len(periods) // 2 - 5], "to": to, "cmp": "prev_year", "lang": "en"}


def month(key: str):
    return formats.to_month(key)


def expected_cards(con, kpis: list[dict], branch: str | None, to: str, lang: str) -> dict[str, str]:
    """Each KPI's card value straight from branch_month (one branch) or company_month, formatted for `lang`."""
    if branch:
        [row] = rows(con, "select * from branch_month where branch_code = ? and period = ?", branch, month(to))
    else:
        [row] = rows(con, "select * from company_month where period = ?", month(to))
    return {k[f"label_{lang}"]: formats.fmt_kpi(row[k["column_name"]], k["unit"], lang) for k in kpis}


# ---------------------------------------------------------------- every page renders


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_with_its_title(sample_env, page, lang):
    at = open_page(page, {"lang": lang})
    assert_clean(at)
    assert [x.value for x in at.title][:1] == [t(f"page.{page}", lang)]
    assert not at.warning, warnings(at)


@pytest.mark.parametrize("page", [p for p in PAGES if p not in ("sql", "branch")])
def test_pages_show_numbers_by_default(sample_env, page):
    at = open_page(page)
    assert_clean(at)
    assert at.metric and any(re.search(r"\d", m.value) for m in at.metric)


def test_branch_page_without_a_branch_asks_for_one(sample_env):
    at = open_page("branch")
    assert_clean(at)
    assert t("branch.choose_prompt", "vi") in infos(at)
    assert at.selectbox(key="ctl_branch_page").value is None


def test_branch_choice_is_written_to_the_url(sample_env):
    at = open_page("branch")
    at.selectbox(key="ctl_branch_page").set_value("PC08CC").run()
    assert_clean(at)
    assert at.query_params["branch"] == "PC08CC"
    assert at.dataframe, "the rank table is drawn once a branch is chosen"


# ---------------------------------------------------------------- a link reproduces its view


@pytest.mark.parametrize("page", ["overview", *FAMILY_PAGES, "branch", "data"])
def test_link_round_trip_keeps_the_url(sample_env, link, page):
    at = open_page(page, link)
    assert_clean(at)
    assert not at.warning, warnings(at)
    assert dict(at.query_params) == link


def test_overview_link_shows_the_branch_figures(sample_env, wh, link):
    at = open_page("overview", link)
    assert_clean(at)
    assert metrics(at) == expected_cards(wh, kpi_rows(wh), BRANCH, link["to"], "en")


def test_overview_company_figures(sample_env, wh, link):
    company = {k: v for k, v in link.items() if k != "branch"}
    at = open_page("overview", company)
    assert_clean(at)
    assert metrics(at) == expected_cards(wh, kpi_rows(wh), None, link["to"], "en")
    assert dict(at.query_params) == company


@pytest.mark.parametrize("page", FAMILY_PAGES)
def test_family_link_shows_the_branch_figures(sample_env, wh, link, page):
    at = open_page(page, link)
    assert_clean(at)
    kpis = kpi_rows(wh, page)
    assert metrics(at) == expected_cards(wh, kpis, BRANCH, link["to"], "en")
    # the trend of the page's default KPI: the branch line is branch_month over the link's periods
    default = at.selectbox(key=f"ctl_{page}_kpi").value
    column = next(k["column_name"] for k in kpis if k["kpi"] == default)
    series = rows(wh, f"select period, {column} as v from branch_month where branch_code = ? "  # noqa: S608 - a kpis column
                      "and period between ? and ? order by period", BRANCH, month(link["from"]), month(link["to"]))
    name = rows(wh, "select branch_name from branches where branch_code = ?", BRANCH)[0]["branch_name"]
    trend = figures(at)[0]
    [line] = [tr for tr in trend["data"] if tr.get("name") == name]
    assert values(line["y"]) == pytest.approx([np.nan if r["v"] is None else r["v"] for r in series], nan_ok=True)
    assert [x[:7] for x in line["x"]] == [r["period"].strftime("%Y-%m") for r in series]


@pytest.mark.parametrize("page, kpi", [("adoption", "email_coverage"), ("payments", "online_amount_share"),
                                       ("metering", "pending_estimates"), ("services", "median_days_to_complete")])
def test_family_kpi_from_the_link(sample_env, wh, link, page, kpi):
    at = open_page(page, {**link, "kpi": kpi})
    assert_clean(at)
    assert not at.warning, warnings(at)
    assert at.selectbox(key=f"ctl_{page}_kpi").value == kpi
    assert dict(at.query_params) == {**link, "kpi": kpi}
    [k] = [k for k in kpi_rows(wh, page) if k["kpi"] == kpi]
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert t("family.trend_title", "en", kpi=k["label_en"]) in titles
    # the comparison table: the branch's value at `to`, formatted
    [row] = rows(wh, f"select {k['column_name']} as v from branch_month where branch_code = ? and period = ?",  # noqa: S608
                 BRANCH, month(link["to"]))
    table = at.dataframe[0].value
    assert list(table[t("col.value", "en")]) == [formats.fmt_kpi(row["v"], k["unit"], "en")]


def test_changing_the_kpi_writes_the_url(sample_env, link):
    at = open_page("payments", link)
    at.selectbox(key="ctl_payments_kpi").set_value("online_amount_share").run()
    assert_clean(at)
    assert at.query_params["kpi"] == "online_amount_share"
    assert {k: v for k, v in at.query_params.items() if k != "kpi"} == link


def test_branch_link_ranks_from_the_warehouse(sample_env, wh, link):
    at = open_page("branch", link)
    assert_clean(at)
    to = month(link["to"])
    table = at.dataframe[0].value
    shown = dict(zip(table[t("col.kpi", "en")], zip(table[t("col.value", "en")], table[t("col.rank", "en")])))
    for k in kpi_rows(wh):
        col = k["column_name"]
        [mine] = rows(wh, f"select {col} as v from branch_month where branch_code = ? and period = ?", BRANCH, to)  # noqa: S608
        expected_rank = formats.MISSING
        if k["direction"] and mine["v"] is not None:
            order = "desc" if k["direction"] == "higher" else "asc"
            [r] = rows(wh, f"""select rank, ranked from (  -- noqa: S608 - column and order from the catalogue
                    select branch_code, rank() over (order by {col} {order}) as rank, count(*) over () as ranked
                    from branch_month where period = ? and {col} is not null) where branch_code = ?""", to, BRANCH)
            expected_rank = f"{r['rank']}/{r['ranked']}"
        assert shown[k["label_en"]] == (formats.fmt_kpi(mine["v"], k["unit"], "en"), expected_rank), k["kpi"]


def test_data_page_shows_the_published_version(sample_env, wh):
    at = open_page("data", {"lang": "en"})
    assert_clean(at)
    [info] = rows(wh, "select * from data_version")
    assert metrics(at)[t("data.latest_period", "en")] == formats.fmt_period(info["latest_period"], "en", "long")
    assert metrics(at)[t("data.first_period", "en")] == formats.fmt_period(info["first_period"], "en", "long")
    assert info["version"] in "\n".join(m.value for m in at.markdown)
    files = table_with(at, t("data.checksum", "en"))
    assert list(files[t("data.checksum", "en")]) == [f["sha256"] for f in json.loads(info["source_files"])]
    kept = table_with(at, t("data.open_version", "en"))
    assert any(v.startswith(info["version"]) and t("data.current", "en") in v for v in kept[t("data.version", "en")])
    catalogue = table_with(at, t("col.kpi_id", "en"))
    assert list(catalogue[t("col.kpi_id", "en")]) == [k["kpi"] for k in kpi_rows(wh)]


def table_with(at: AppTest, column: str):
    """The page's one table with this column heading."""
    [found] = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def test_every_chart_downloads_under_a_named_file(sample_env, link):
    at = open_page("payments", link)
    names = [json.loads(c.proto.config)["toImageButtonOptions"]["filename"] for c in at.get("plotly_chart")]
    assert f"online_customer_share_{BRANCH}_{link['to']}" in names
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", n) for n in names)


# ---------------------------------------------------------------- garbage in a link


SCRIPT = "<script>alert(1)</script>"
GARBAGE = [
    pytest.param({"branch": "PC99ZZ"}, id="unknown-branch"),
    pytest.param({"from": "2099-99"}, id="from-2099-99"),
    pytest.param({"to": "abc"}, id="to-abc"),
    pytest.param({"cmp": "zzz"}, id="cmp-zzz"),
    pytest.param({"lang": "xx"}, id="lang-xx"),
    *[pytest.param({key: SCRIPT}, id=f"script-in-{key}") for key in ("branch", "from", "to", "cmp", "lang", "v")],
    pytest.param({SCRIPT: "1"}, id="script-as-a-name"),
    pytest.param({"v": "../../etc/passwd"}, id="v-path"),
    pytest.param({"v": "20000101T000000Z-abcdef"}, id="v-not-kept"),
    pytest.param({"cmp": ["prev_month", "target"], "lang": ["vi", "en"]}, id="repeated-keys"),
    pytest.param({"branch": "", "from": "", "to": "", "cmp": "", "lang": ""}, id="empty-values"),
]


def with_branch(page: str, params: dict) -> dict:
    """The branch page shows numbers only for a branch: give it a good one beside the garbage."""
    if page != "branch":
        return params
    extra = params.get("branch", [])
    return {**params, "branch": [*([extra] if isinstance(extra, str) else extra), "PC08AA"]}


@pytest.mark.parametrize("params", GARBAGE)
@pytest.mark.parametrize("page", ["overview", "branch", "adoption", "payments"])
def test_garbage_links_give_a_notice_not_a_crash(sample_env, page, params):
    at = open_page(page, with_branch(page, params))
    assert_clean(at)
    assert at.warning, "a bad parameter must be mentioned"
    assert "<script>" not in "".join(w.proto.body for w in at.warning)  # quoted values arrive escaped
    lang = at.query_params.get("lang", "vi")
    assert [x.value for x in at.title][:1] == [t(f"page.{page}", lang)]
    if page == "branch":
        assert at.dataframe and len(at.dataframe[0].value) > 0
    else:
        assert at.metric and any(re.search(r"\d", m.value) for m in at.metric)


def test_a_version_no_longer_kept_opens_the_current_data_with_a_banner(sample_env, sample_warehouse):
    at = open_page("adoption", {"v": "20000101T000000Z-abcdef", "lang": "en"})
    assert_clean(at)
    banner = t("banner.version_not_kept", "en", version="20000101T000000Z-abcdef", current=sample_warehouse.version)
    assert banner in warnings(at)
    assert "v" not in at.query_params


@pytest.mark.parametrize("page", FAMILY_PAGES)
@pytest.mark.parametrize("kpi", ["zzz", SCRIPT, ["app_share", "email_coverage"]], ids=["unknown", "script", "repeated"])
def test_a_bad_kpi_parameter_falls_back_with_a_notice(sample_env, page, kpi):
    at = open_page(page, {"kpi": kpi, "lang": "en"})
    assert_clean(at)
    assert t("notice.heading", "en") in warnings(at)
    assert at.selectbox(key=f"ctl_{page}_kpi").value  # the page's default KPI
    assert "kpi" not in at.query_params
    assert at.metric


# ---------------------------------------------------------------- language


def test_overview_language_formats_the_same_figures(sample_env, wh):
    vi, en = open_page("overview", {"lang": "vi"}), open_page("overview", {"lang": "en"})
    assert_clean(vi)
    assert_clean(en)
    kpis = kpi_rows(wh)
    latest = rows(wh, "select max(period) as p from company_month")[0]["p"].strftime("%Y-%m")
    assert metrics(vi) == expected_cards(wh, kpis, None, latest, "vi")
    assert metrics(en) == expected_cards(wh, kpis, None, latest, "en")
    swap = str.maketrans({",": ".", ".": ","})
    for k in kpis:
        if k["unit"] in ("share", "count"):
            shown_vi, shown_en = metrics(vi)[k["label_vi"]], metrics(en)[k["label_en"]]
            assert shown_vi.translate(swap) == shown_en, k["kpi"]
    phone = next(k for k in kpis if k["kpi"] == "phone_coverage")
    assert re.fullmatch(r"\d{2},\d{2}%", metrics(vi)[phone["label_vi"]])
    assert re.fullmatch(r"\d{2}\.\d{2}%", metrics(en)[phone["label_en"]])


# ---------------------------------------------------------------- a broken query fails only its tile


@pytest.fixture()
def broken_queries(tmp_path, monkeypatch):
    """A copy of queries/ the app reads instead; returns a function that breaks one file at run time."""
    folder = tmp_path / "queries"
    shutil.copytree(config.QUERIES_DIR, folder)
    monkeypatch.setattr(config, "QUERIES_DIR", folder)

    def brk(name: str) -> str:
        path = folder / f"{name}.sql"
        lines = path.read_text(encoding="utf-8").splitlines()
        header = [line for line in lines if line.startswith("--")]
        body = "\n".join(lines[len(header):])
        broken = re.sub(r"\bfrom (\w+)", r"from \1_no_such_table", body, count=1)
        assert broken != body
        path.write_text("\n".join(header) + "\n" + broken, encoding="utf-8")
        return f"{name}.sql"
    return brk


@pytest.mark.parametrize("page, name, still", [
    ("overview", "company_kpis", "dataframe"),
    ("payments", "payment_channel_mix", "metric"),
    ("metering", "estimate_error_distribution", "metric"),
    ("services", "request_backlog_by_period", "metric"),
    ("data", "kpi_catalog", "metric"),
    ("branch", "events_in_range", "dataframe"),
    ("adoption", "targets_in_force", "plotly_chart"),
])
def test_a_broken_query_fails_only_its_tile(sample_env, broken_queries, page, name, still):
    filename = broken_queries(name)
    at = open_page(page, with_branch(page, {"lang": "en"}))
    assert not at.exception, [e.value for e in at.exception]
    errors = [plain(e.value) for e in at.error]
    assert errors and all(filename in e for e in errors), errors
    assert at.get(still), f"the rest of the page ({still}) must still render"
    assert [x.value for x in at.title][:1] == [t(f"page.{page}", "en")]


# ---------------------------------------------------------------- empty selections


@pytest.fixture()
def tiny_env(tmp_path, monkeypatch):
    """The hand-made two-branch case: payments and requests only in 01-02/2020, bills until 05/2020."""
    data = tmp_path / "data"
    build(write_exports(tmp_path / "exports", trueup_case()), data)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(data))
    return data


@pytest.mark.parametrize("page", ["payments", "services"])
def test_a_selection_without_rows_says_so(tiny_env, page):
    at = open_page(page, {"from": "2020-04", "to": "2020-04", "lang": "en"})
    assert_clean(at)
    assert t("empty.no_rows", "en") in infos(at)
    assert at.metric  # the cards still say what there is


def test_an_estimate_free_period_says_so(tiny_env):
    at = open_page("metering", {"from": "2020-01", "to": "2020-01", "branch": "PC08AA", "lang": "en"})
    assert_clean(at)
    assert t("empty.no_rows", "en") in infos(at)



def test_vietnamese_whatever_the_browser_language(sample_env):
    """A link without lang opens in Vietnamese for everyone: the browser's language is not a guess we make."""
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    at.context["locale"] = "en-US"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Tổng quan"


# ---------------------------------------------------------------- one card renderer


UNCHANGED_LINKS = [{"cmp": cmp, "to": to, **scope} for cmp in ("prev_month", "prev_year") for to in ("2020-08", "2021-02")
                   for scope in ({}, {"branch": BRANCH})]


def test_an_unchanged_delta_has_no_arrow_on_every_page(sample_env):
    """A change that rounds to zero ('0,0 điểm %', '0') shows neither an arrow nor a colour, on every page with
    cards; a real change keeps its arrow. The links cover enough views that both kinds occur."""
    from streamlit.proto.Metric_pb2 import Metric

    seen_unchanged, seen_changed = set(), set()
    for page in ["overview", *FAMILY_PAGES]:
        for link in UNCHANGED_LINKS:
            at = open_page(page, link)
            assert_clean(at)
            for m in at.metric:
                delta = m.proto.delta
                if not delta:
                    continue
                if formats.is_unchanged(delta):
                    seen_unchanged.add(page)
                    assert m.proto.direction == Metric.MetricDirection.NONE, (page, link, m.label, delta)
                    assert m.proto.color == Metric.MetricColor.GRAY, (page, link, m.label, delta)
                else:
                    seen_changed.add(page)
                    assert m.proto.direction != Metric.MetricDirection.NONE, (page, link, m.label, delta)
    assert seen_changed == {"overview", *FAMILY_PAGES}
    assert {"overview", "adoption", "services"} <= seen_unchanged, seen_unchanged


def cards(node, parent=None) -> list[tuple]:
    """(the block holding a metric, the metric) for every metric on the page."""
    if node.type == "metric":
        return [(parent, node)]
    return [pair for child in getattr(node, "children", {}).values() for pair in cards(child, node)]


@pytest.mark.parametrize("page", ["overview", *FAMILY_PAGES])
def test_the_target_badge_sits_inside_its_card(sample_env, page):
    at = open_page(page, {"branch": BRANCH, "cmp": "target", "lang": "en"})
    assert_clean(at)
    found = cards(at.main)
    assert found
    badges = 0
    for box, metric in found:
        assert box.type == "flex_container" and box.proto.flex_container.border, (page, metric.label)
        inside = [c for c in box.children.values() if c.type == "markdown" and "-badge[" in c.value]
        badges += len(inside)
        assert len(inside) <= 1
    texts = [m.value for m in at.main.markdown if "-badge[" in m.value]  # (the sidebar has a mode badge)
    assert badges == len(texts), "every target badge is inside a card"
    assert badges or page == "services", "the sample has targets for every family but the services one"


# ---------------------------------------------------------------- a meeting on one link


def test_a_second_session_on_the_same_link_replays_the_sections(sample_env, monkeypatch):
    """The cards, tables and charts of a view are drawn once and replayed for the next session on the same link:
    the second session computes no scorecard, yet shows the same figures; another link computes its own."""
    from dashboard import scorecard

    calls = []
    real = scorecard.cards
    monkeypatch.setattr(scorecard, "cards", lambda *a, **k: calls.append(1) or real(*a, **k))
    link = {"to": "2020-05", "cmp": "prev_year", "lang": "en", "branch": "PC08DD"}
    first = open_page("adoption", link)
    assert_clean(first)
    drawn = len(calls)
    assert drawn >= 1
    second = open_page("adoption", link)
    assert_clean(second)
    assert len(calls) == drawn, "the second session recomputed the cards"
    assert metrics(second) == metrics(first) and figures(second) == figures(first)
    assert [d.value.to_dict() for d in second.dataframe] == [d.value.to_dict() for d in first.dataframe]
    other = open_page("adoption", {**link, "to": "2020-06"})
    assert_clean(other)
    assert len(calls) > drawn and metrics(other) != metrics(first)


def test_branch_page_says_when_each_kpi_reaches_its_target(sample_env, wh, link):
    """The rank table's 'Expected to reach target' column: the trend of the branch's last 24 periods (read here
    from branch_month) against the target in force (target_month), as forecast.reach works it out."""
    from dashboard import forecast, scorecard

    at = open_page("branch", link)
    assert_clean(at)
    table = at.dataframe[0].value
    shown = dict(zip(table[t("col.kpi", "en")], table[t("col.expected", "en")]))
    to = month(link["to"])
    states = set()
    for k in kpi_rows(wh):
        if k["direction"] is None:
            assert shown[k["label_en"]] == formats.MISSING
            continue
        history = rows(wh, f"select period, {k['column_name']} as v from branch_month where branch_code = ? "  # noqa: S608
                           "and period between ? and ? order by period", BRANCH,
                       forecast.month_shift(to, -23), to)
        target = rows(wh, "select coalesce(max(target) filter (branch_code = ?), max(target) filter (branch_code is null)) "
                          "as t from target_month where kpi = ? and period = ?", BRANCH, k["kpi"], to)[0]["t"]
        reach = forecast.reach([r["period"] for r in history], [r["v"] for r in history], target, k["direction"])
        states.add(reach.state)
        assert shown[k["label_en"]] == scorecard.reach_text(reach, "en"), k["kpi"]
    assert len(states) >= 2, states  # the sample has KPIs in more than one state


def test_card_help_says_when_the_kpi_reaches_its_target(sample_env, wh, link):
    from dashboard import forecast, scorecard

    company = {k: v for k, v in link.items() if k != "branch"}
    at = open_page("overview", company)
    assert_clean(at)
    helps = {m.label: m.proto.help for m in at.metric}
    to = month(link["to"])
    checked = 0
    for k in kpi_rows(wh):
        if k["direction"] is None:
            assert t("col.expected", "en") not in helps[k["label_en"]]
            continue
        history = rows(wh, f"select period, {k['column_name']} as v from company_month "  # noqa: S608
                           "where period between ? and ? order by period", forecast.month_shift(to, -23), to)
        target = rows(wh, "select max(target) as t from target_month where kpi = ? and period = ? "
                          "and branch_code is null", k["kpi"], to)[0]["t"]
        reach = forecast.reach([r["period"] for r in history], [r["v"] for r in history], target, k["direction"])
        if reach.state == "too_short":
            continue
        expected = scorecard.reach_text(reach, "en")
        assert f"{t('col.expected', 'en')}:** {expected}." in helps[k["label_en"]], k["kpi"]
        checked += 1
    assert checked >= 5


def test_branch_trends_show_the_projection_at_current_trend(sample_env, link):
    at = open_page("branch", link)
    assert_clean(at)
    label = t("chart.at_current_trend", "en")
    projected = [f for f in figures(at) if any(tr.get("name") == label for tr in f["data"])]
    assert projected, "KPIs on or off track draw their trend ahead"
    for fig in projected:
        [line] = [tr for tr in fig["data"] if tr.get("name") == label]
        months = [x[:7] for x in line["x"]]
        assert len(values(line["y"])) == 12 and months == sorted(set(months))  # a year ahead of the last value
        assert months[-1] > link["to"]
