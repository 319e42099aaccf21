"""Presentation mode (`present=1` on any page), run with AppTest on the committed sample: no sidebar and no page
chrome, one KPI family per screen with the warehouse's own numbers, next/previous change the screen and the URL,
leaving it restores the page, and garbage in `present`/`screen` falls back with a notice, never a crash."""
from __future__ import annotations

import json

import pytest

from dashboard import formats, links, registry
from dashboard.labels import t
from tests.test_views import BRANCH, assert_clean, kpi_rows, month, open_page, rows, warnings, wh  # noqa: F401

SCREENS = list(links.SCREENS)
TO = "2020-08"


def titles(at) -> list[str]:
    return [x.value for x in at.title]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def bars_title(at) -> str:
    [chart] = at.get("plotly_chart")
    return json.loads(chart.proto.spec)["layout"]["title"]["text"]


def expected_cards(con, family: str, lang: str, branch: str | None = None) -> dict[str, str]:
    if branch:
        [row] = rows(con, "select * from branch_month where branch_code = ? and period = ?", branch, month(TO))
    else:
        [row] = rows(con, "select * from company_month where period = ?", month(TO))
    return {k[f"label_{lang}"]: formats.fmt_kpi(row[k["column_name"]], k["unit"], lang)
            for k in kpi_rows(con, family)}


# ---------------------------------------------------------------- what shows and what hides


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_present_hides_the_sidebar_and_shows_one_family(sample_env, wh, lang):  # noqa: F811
    at = open_page("overview", {"present": "1", "to": TO, "lang": lang})
    assert_clean(at)
    assert not at.warning, warnings(at)
    assert len(at.sidebar.children) == 0  # no navigation, no controls
    assert titles(at) == [t("page.adoption", lang)]  # the screen, not the page's title
    assert metrics(at) == expected_cards(wh, "adoption", lang)  # only that family's cards, the warehouse's numbers
    assert at.button(key="present_prev").disabled and not at.button(key="present_next").disabled
    assert at.button(key="present_next").label == t("present.next", lang)
    assert at.markdown[0].value == f"**{t('present.counter', lang, index=1, count=len(SCREENS))}**"
    [k] = [k for k in kpi_rows(wh, "adoption") if k["kpi"] == "app_share"]
    assert bars_title(at) == t("present.bars_title", lang, kpi=k[f"label_{lang}"])


def test_without_present_the_page_is_the_page(sample_env):
    at = open_page("overview", {"to": TO, "lang": "en"})
    assert_clean(at)
    assert titles(at)[:1] == [t("page.overview", "en")]
    assert len(at.sidebar.children) > 0
    assert not [b for b in at.button if b.key in ("present_next", "present_prev")]


@pytest.mark.parametrize("page", list(registry.BY_KEY))
def test_present_works_on_every_page(sample_env, page):
    at = open_page(page, {"present": "1", "to": TO, "lang": "en"})
    assert_clean(at)
    assert not at.warning, warnings(at)
    family = registry.page(page).family or SCREENS[0]  # a family page opens on its own family
    assert titles(at) == [t(f"page.{family}", "en")]
    assert len(at.sidebar.children) == 0
    assert at.metric and at.get("plotly_chart")


def test_present_on_a_branch_link_shows_the_branch(sample_env, wh):  # noqa: F811
    at = open_page("branch", {"present": "1", "screen": "payments", "branch": BRANCH, "to": TO, "lang": "en"})
    assert_clean(at)
    assert titles(at) == [t("page.payments", "en")]
    assert metrics(at) == expected_cards(wh, "payments", "en", BRANCH)
    [chart] = at.get("plotly_chart")
    labels = json.loads(chart.proto.spec)["data"][0]["y"]
    [name] = [r["branch_name"] for r in rows(wh, "select branch_name from branches where branch_code = ?", BRANCH)]
    assert [x for x in labels if x.startswith("▶ ")] == [f"▶ {name}"]  # the link's branch marked among the nine
    assert len(labels) == 9


def test_the_link_kpi_picks_the_bars_on_its_own_family(sample_env, wh):  # noqa: F811
    at = open_page("payments", {"present": "1", "kpi": "online_amount_share", "to": TO, "lang": "en"})
    assert_clean(at)
    [k] = [k for k in kpi_rows(wh, "payments") if k["kpi"] == "online_amount_share"]
    assert bars_title(at) == t("present.bars_title", "en", kpi=k["label_en"])


# ---------------------------------------------------------------- moving between screens


def test_next_and_previous_change_the_screen_and_the_url(sample_env):
    link = {"present": "1", "to": TO, "lang": "en", "branch": BRANCH}
    at = open_page("overview", link)
    for index, screen in enumerate(SCREENS[1:], start=2):
        at.button(key="present_next").click().run()
        assert_clean(at)
        assert at.query_params["screen"] == screen
        assert {k: v for k, v in at.query_params.items() if k not in ("screen", "from", "cmp")} == link
        assert titles(at) == [t(f"page.{screen}", "en")]
        assert at.markdown[0].value == f"**{index}/{len(SCREENS)}**"
    assert at.button(key="present_next").disabled  # the last screen: no wrapping round
    at.button(key="present_prev").click().run()
    assert_clean(at)
    assert at.query_params["screen"] == SCREENS[-2]
    assert titles(at) == [t(f"page.{SCREENS[-2]}", "en")]


def test_the_screen_in_a_link_reopens_that_screen(sample_env):
    at = open_page("overview", {"present": "1", "screen": "services", "to": TO, "lang": "en"})
    assert_clean(at)
    assert titles(at) == [t("page.services", "en")]
    assert at.button(key="present_next").disabled and not at.button(key="present_prev").disabled


def test_leaving_restores_the_page_and_keeps_the_view(sample_env):
    at = open_page("overview", {"present": "1", "screen": "metering", "to": TO, "lang": "en", "cmp": "prev_year"})
    at.button(key="present_exit").click().run()
    assert_clean(at)
    assert "present" not in at.query_params and "screen" not in at.query_params
    assert at.query_params["to"] == TO and at.query_params["cmp"] == "prev_year"
    assert titles(at)[:1] == [t("page.overview", "en")]
    assert len(at.sidebar.children) > 0


def test_the_sidebar_button_starts_presenting(sample_env):
    at = open_page("payments", {"to": TO, "lang": "en"})
    at.button(key="present_start").click().run()
    assert_clean(at)
    assert at.query_params["present"] == "1"
    assert titles(at) == [t("page.payments", "en")] and len(at.sidebar.children) == 0


# ---------------------------------------------------------------- garbage


@pytest.mark.parametrize("params, notice, presenting", [
    ({"present": "abc"}, "notice.present_invalid", False),
    ({"present": "<script>alert(1)</script>"}, "notice.present_invalid", False),
    ({"present": "2"}, "notice.present_invalid", False),
    ({"present": ["1", "0"]}, "notice.repeated", False),
    ({"present": "1", "screen": "99"}, "notice.screen_unknown", True),
    ({"present": "1", "screen": "overview"}, "notice.screen_unknown", True),
    ({"present": "1", "screen": ["payments", "services"]}, "notice.repeated", True),
    ({"screen": "99"}, "notice.screen_unknown", False),
])
def test_garbage_falls_back_with_a_notice(sample_env, params, notice, presenting):
    at = open_page("overview", {**params, "to": TO, "lang": "en"})
    assert_clean(at)
    assert t("notice.heading", "en") in warnings(at)
    assert "screen" not in at.query_params  # the cleaned URL
    assert ("present" in at.query_params) == presenting
    expected = t("page.adoption", "en") if presenting else t("page.overview", "en")
    assert titles(at)[:1] == [expected]
