"""The pages at the three levels, with Streamlit's AppTest on the committed corporation sample (three companies):
the corporation ranks its companies, `company=` opens one company with its branches, a branch is seen beside its
own company; every page renders at every level; bad company links give a notice, never a crash. Expected
figures come straight from the warehouse's marts."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import config, formats, queries, registry, warehouse
from dashboard.build import build
from dashboard.labels import t
from tests.test_views import APP, PAGES, assert_clean, figures, kpi_rows, metrics, open_page, rows, values, warnings

CORPORATION = config.SAMPLE_DIR / "corporation"
LEVELS = {"corporation": {}, "company": {"company": "PC02"}, "branch": {"branch": "PC01BB"}}


@pytest.fixture(scope="module")
def corporation_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("corporation-data")
    build(CORPORATION, data)
    return data


@pytest.fixture()
def corporation_env(corporation_dir, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(corporation_dir))
    return corporation_dir


@pytest.fixture(scope="module")
def cw(corporation_dir):
    con = warehouse.connect(warehouse.current(corporation_dir).path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def latest(cw) -> str:
    return cw.execute("select max(period) from corporation_month").fetchall()[0][0].strftime("%Y-%m")


def card_values(con, table: str, where: str, params: list, kpis: list[dict], lang: str = "vi") -> dict[str, str]:
    [row] = rows(con, f"select * from {table} where {where}", *params)  # noqa: S608 - fixed table names
    return {k[f"label_{lang}"]: formats.fmt_kpi(row[k["column_name"]], k["unit"], lang) for k in kpis}


def company_box(at):
    [box] = [s for s in at.selectbox if (s.key or "").startswith("ctl_company_")]
    return box


def names_vi(con) -> dict[str, str]:
    return dict(con.execute("select company_code, company_name_vi from companies").fetchall())


# ---------------------------------------------------------------- every page at every level


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_at_every_level(corporation_env, page, level):
    at = open_page(page, LEVELS[level])
    assert_clean(at)
    assert not at.warning, warnings(at)
    assert [x.value for x in at.title][:1] == [t(f"page.{page}", "vi")]


# ---------------------------------------------------------------- the corporation


def test_the_corporation_overview_shows_its_cards_and_ranks_the_companies(corporation_env, cw, latest):
    at = open_page("overview", {"to": latest})
    assert_clean(at)
    period = formats.to_month(latest)
    assert metrics(at) == card_values(cw, "corporation_month", "period = ?", [period], kpi_rows(cw))
    table = at.dataframe[0].value
    companies = cw.execute("select distinct company_code from company_month order by 1").fetchall()
    assert list(table.index) == [names_vi(cw)[c] for (c,) in companies]
    links = list(table[t("col.open", "vi")])
    assert all(f"company={c}" in link for (c,), link in zip(companies, links))
    assert any(t("metric.corporation", "vi") in c.value for c in at.caption)


def test_the_corporation_trend_draws_one_line_per_company_and_the_corporation(corporation_env, cw, latest):
    at = open_page("payments", {"to": latest, "kpi": "online_payment_share"})
    assert_clean(at)
    trend = figures(at)[0]
    names = {tr.get("name") for tr in trend["data"]}
    assert set(names_vi(cw).values()) & names == {names_vi(cw)[c] for (c,) in
                                                 cw.execute("select distinct company_code from branches").fetchall()}
    [corp] = [tr for tr in trend["data"] if tr.get("name") == t("metric.corporation", "vi")]
    want = [r[0] for r in cw.execute("select online_payment_share from corporation_month where period between "
                                     "? and ? order by period", [formats.to_month(trend["data"][0]["x"][0][:7]),
                                                                 formats.to_month(latest)]).fetchall()]
    assert values(corp["y"]) == pytest.approx(want)


# ---------------------------------------------------------------- one company


def test_a_company_link_shows_its_figures_and_only_its_branches(corporation_env, cw, latest):
    at = open_page("overview", {"company": "PC02", "to": latest})
    assert_clean(at)
    period = formats.to_month(latest)
    assert metrics(at) == card_values(cw, "company_month", "company_code = 'PC02' and period = ?", [period],
                                      kpi_rows(cw))
    own = dict(cw.execute("select branch_code, branch_name from branches where company_code = 'PC02' "
                          "order by branch_code").fetchall())
    assert list(at.dataframe[0].value.index) == list(own.values())
    assert at.query_params["company"] == "PC02"
    assert company_box(at).value == "PC02"


def test_a_branch_is_seen_beside_its_own_company(corporation_env, cw, latest):
    at = open_page("adoption", {"branch": "PC01BB", "to": latest, "kpi": "app_share"})
    assert_clean(at)
    trend = figures(at)[0]
    pc01 = names_vi(cw)["PC01"]
    [company] = [tr for tr in trend["data"] if tr.get("name") == pc01]
    first = formats.to_month(trend["data"][0]["x"][0][:7])
    want = [r[0] for r in cw.execute("select app_share from company_month where company_code = 'PC01' and period "
                                     "between ? and ? order by period", [first, formats.to_month(latest)]).fetchall()]
    assert values(company["y"]) == pytest.approx(want)


def test_the_sql_page_offers_the_view_s_company_s_branches(corporation_env, cw):
    at = open_page("sql", {"company": "PC02", "q": "branch_kpis"})
    assert_clean(at)
    [picker] = [m for m in at.multiselect if m.key == "qp_branches"]
    pc02 = [r[0] for r in cw.execute("select branch_code from branches where company_code = 'PC02' "
                                     "order by branch_code").fetchall()]
    assert sorted(picker.options) == pc02


def test_the_period_list_has_each_period_once(cw):
    """available_periods (every page's period slider) once per period, not once per company and period."""
    periods = list(queries.run(cw, "available_periods")["period"])
    expected = [r[0] for r in cw.execute("select distinct period from branch_month order by period").fetchall()]
    assert [formats.to_month(p) for p in periods] == expected


def test_data_freshness_lists_companies_at_the_top_and_a_company_s_branches_below(corporation_env, cw):
    """/data: the corporation's freshness has a row per company, its bills cell the company's rows in the latest
    period (from branch_month) and a link into the company; company=PC02 lists PC02's branches only."""
    at = open_page("data")
    assert_clean(at)
    assert t("ops.freshness_companies", "vi") in [h.value for h in at.subheader]
    [top] = [d.value for d in at.dataframe if t("col.company", "vi") in d.value.columns]
    names = names_vi(cw)
    assert list(top[t("col.company", "vi")]) == [names[c] for c in sorted(names) if c in ("PC01", "PC02", "PC08")]
    latest, rows_pc01 = cw.execute(
        "select period, sum(bills) from branch_month where company_code = 'PC01' and bills > 0 "
        "group by period order by period desc limit 1").fetchall()[0]
    cell = top.set_index(t("col.company", "vi")).loc[names["PC01"], t("ops.table.bills", "vi")]
    assert cell == f"{formats.fmt_period(latest, 'vi')} · {formats.fmt_number(rows_pc01, 'vi')}"
    assert all("company=" in link for link in top[t("col.open", "vi")])

    at = open_page("data", {"company": "PC02"})
    assert_clean(at)
    [branches] = [d.value for d in at.dataframe if t("ops.col.branch", "vi") in d.value.columns]
    expected = [r[0] for r in cw.execute("select branch_name from branches where company_code = 'PC02' "
                                         "order by branch_code").fetchall()]
    assert sorted(branches[t("ops.col.branch", "vi")]) == sorted(expected)


def test_choosing_a_company_in_the_sidebar_writes_it_and_drops_other_branches(corporation_env):
    at = open_page("overview", {"branch": "PC01BB"})
    company_box(at).set_value("PC08").run()
    assert_clean(at)
    assert at.query_params["company"] == "PC08"
    assert "branch" not in at.query_params


# ---------------------------------------------------------------- links


BAD_COMPANY = [
    # (link, the notice it gives and its values, what the cleaned URL keeps)
    ({"company": "PC99"}, "notice.company_unknown", {"value": "PC99", "param": "company"}, {"company": None}),
    ({"company": "<script>"}, "notice.company_unknown", {"value": "<script>", "param": "company"},
     {"company": None}),
    ({"company": ["PC01", "PC02"]}, "notice.repeated", {"param": "company", "count": "2"}, {"company": None}),
    ({"company": ""}, "notice.value_empty", {"param": "company"}, {"company": None}),
    ({"company": "PC02", "branch": "PC01BB"}, "notice.branch_other_company",
     {"value": "PC01BB", "company": "PC02", "param": "branch"}, {"company": "PC02", "branch": None}),
]


@pytest.mark.parametrize("params,notice,kwargs,kept", BAD_COMPANY, ids=[str(c[0]) for c in BAD_COMPANY])
def test_bad_company_links_give_a_notice_and_a_sane_view(corporation_env, params, notice, kwargs, kept):
    at = open_page("overview", params)
    assert_clean(at)
    assert t(notice, "vi", **kwargs) in warnings(at)
    for key, value in kept.items():
        assert at.query_params.get(key) == value


def test_company_codes_are_read_in_any_case(corporation_env, cw):
    at = open_page("overview", {"company": "pc02"})
    assert_clean(at)
    assert not at.warning, warnings(at)
    own = [n for (n,) in cw.execute("select branch_name from branches where company_code = 'PC02' order by 1").fetchall()]
    assert sorted(at.dataframe[0].value.index) == own


@pytest.mark.parametrize("page", ["overview", *registry.FAMILIES, "branch"])
def test_a_company_link_keeps_its_url(corporation_env, page, latest):
    link = {"company": "PC01", "from": latest[:4] + "-01", "to": latest, "cmp": "prev_year", "lang": "en"}
    at = open_page(page, link)
    assert_clean(at)
    assert not at.warning, warnings(at)
    assert dict(at.query_params) == link


# ---------------------------------------------------------------- warehouses built before the corporation level


def _make_old(path) -> None:
    """A published file as a release before the corporation level built it: no companies, no corporation_month."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("drop table companies")
    con.execute("drop table corporation_month")
    con.close()


@pytest.fixture()
def old_and_new(tmp_path, monkeypatch):
    """A data directory whose older kept version is from before the corporation level, the current one new."""
    import time

    data = tmp_path / "data"
    old = build(config.SAMPLE_DIR / "sample", data).version
    _make_old(warehouse.version_path(old, data))
    time.sleep(1.1)  # versions are named by their build time
    new = build(config.SAMPLE_DIR / "sample", data).version
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(data))
    return old, new


def test_a_link_pinned_to_a_version_from_before_opens_the_current_one(old_and_new):
    old, new = old_and_new
    at = open_page("overview", {"v": old})
    assert_clean(at)
    assert t("banner.version_not_kept", "vi", version=old, current=new) in warnings(at)
    assert "v" not in at.query_params


def test_a_current_synthetic_warehouse_from_before_is_rebuilt(tmp_path, monkeypatch):
    """After an upgrade, the built-in synthetic warehouse is rebuilt from its exports (the sample stands in)."""
    import shutil

    from dashboard import firststart

    data = tmp_path / "data"
    shutil.copytree(config.SAMPLE_DIR / "sample", data / firststart.SYNTHETIC)
    (data / firststart.SYNTHETIC / "companies.csv").unlink()  # exports from before name no companies
    _make_old(build(data / firststart.SYNTHETIC, data).path)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(data))
    at = open_page("overview")
    assert_clean(at)
    published = warehouse.current(data)
    assert warehouse.compatible(published.path)
    assert at.metric, "the page shows the rebuilt figures"


def test_a_current_real_warehouse_from_before_asks_for_a_rebuild(tmp_path, monkeypatch):
    data = tmp_path / "data"
    published = build(config.SAMPLE_DIR / "sample", data)
    _make_old(published.path)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(data))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("upgrade.rebuild", "vi", version=published.version)]
    assert not warehouse.compatible(warehouse.current(data).path), "nothing rebuilt from unknown exports"
