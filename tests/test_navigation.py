"""Controls write the URL, navigation keeps the shared parameters, the copy-link box gives the pinned view."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import warehouse
from dashboard.build import build

REPO = Path(__file__).resolve().parent.parent
LINK = {"branch": "PC08BB", "from": "2020-01", "to": "2020-08", "cmp": "prev_year", "lang": "vi"}


def open_app(params: dict, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def url_params(at: AppTest) -> dict:
    return {k: at.query_params[k] for k in at.query_params}


def test_period_control_writes_the_url(sample_env):
    at = open_app(LINK)
    at.select_slider[0].set_range("2020-03", "2020-06").run()
    assert not at.exception
    assert url_params(at) == {**LINK, "from": "2020-03", "to": "2020-06"}


def test_comparison_control_writes_the_url(sample_env):
    at = open_app(LINK)
    at.selectbox[0].set_value("target").run()
    assert url_params(at)["cmp"] == "target"


def test_branch_control_writes_the_url(sample_env):
    at = open_app(LINK)
    at.multiselect[0].set_value(["PC08AA", "PC08BB"]).run()
    assert at.query_params["branch"] == ["PC08AA", "PC08BB"]


def test_language_control_writes_the_url_and_switches_the_page(sample_env):
    at = open_app(LINK)
    at.segmented_control[0].set_value("en").run()
    assert url_params(at)["lang"] == "en"
    assert at.title[0].value == "Overview"


@pytest.mark.parametrize("page", ["views/payments.py", "views/branch.py", "views/data.py"])
def test_navigation_links_carry_the_shared_parameters(sample_env, page):
    at = open_app(LINK, page)
    links = at.get("page_link")
    assert len(links) >= 7
    for link in links:
        carried = parse_qs(link.proto.query_string)
        assert carried["from"] == ["2020-01"] and carried["to"] == ["2020-08"]
        assert carried["cmp"] == ["prev_year"] and carried["lang"] == ["vi"] and carried["branch"] == ["PC08BB"]


def test_copy_link_is_the_page_with_the_view_pinned_to_the_data_version(sample_env, sample_warehouse):
    at = open_app(LINK, "views/payments.py")
    codes = [c.value for c in at.code if "payments?" in c.value]
    assert codes, [c.value for c in at.code]
    link = urlsplit(codes[0])
    assert link.path == "/payments"
    params = parse_qs(link.query)
    assert params["v"] == [sample_warehouse.version]
    assert {k: v[0] for k, v in params.items() if k != "v"} == LINK


def test_a_pinned_version_still_kept_shows_its_own_numbers(tmp_path, monkeypatch):
    """Two versions with different data: a link pinned to the older one shows the older numbers."""
    from tests.kit import trueup_case, write_exports

    data = tmp_path / "data"
    old = build(write_exports(tmp_path / "v1", trueup_case()), data)
    tables = trueup_case()
    tables["customers"][1]["phone_registered_on"] = ""  # the newer export lost a phone number
    new = build(write_exports(tmp_path / "v2", tables), data)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(data))
    assert warehouse.current(data).version == new.version

    def phone_card(params):
        at = open_app({"from": "2020-01", "to": "2020-01", "lang": "en", **params})
        card = next(m for m in at.metric if m.label == "Phone coverage")
        return card.value, [i.value for i in at.info]

    assert phone_card({})[0] == "50.00%"
    value, infos = phone_card({"v": old.version})
    assert value == "100.00%"
    assert any(old.version in i.replace("\\", "") for i in infos), infos  # shown markdown-escaped


def test_overview_sentence_counts_the_misses_and_names_the_worst(sample_env, sample_warehouse):
    """The count and the worst miss, worked out in SQL from branch_month, kpis and target_month."""
    con = warehouse.connect(sample_warehouse.path)
    kpis = con.execute("select kpi, column_name, direction from kpis where direction is not null").fetchall()
    gaps = []
    for kpi, column, direction in kpis:
        rows = con.execute(f"""
            select b.branch_name, b.branch_code, bm.{column}, t.target
            from branch_month bm join branches b using (branch_code)
            join target_month t on t.kpi = $kpi and t.branch_code = bm.branch_code and t.period = bm.period
            where bm.period = date '2020-08-01' and bm.{column} is not null""", {"kpi": kpi}).fetchall()
        for name, _code, value, target in rows:
            gap = (target - value) / abs(target) if direction == "higher" else (value - target) / abs(target)
            if target and gap > 0:
                gaps.append((gap, name, kpi))
    gaps.sort(reverse=True)
    at = open_app({"from": "2019-09", "to": "2020-08", "lang": "en"})
    sentence = at.markdown[0].value.replace("\\", "")
    assert f"{len(gaps)} branch indicators behind target" in sentence
    assert f"furthest behind: {gaps[0][1]}" in sentence
