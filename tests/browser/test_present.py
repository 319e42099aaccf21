"""In Chromium at a projector's 1366x768: presentation mode hides the sidebar and Streamlit's chrome, each screen
fits without scrolling, and the arrow keys move between the KPI families, writing the URL. Each screen is saved to
test-artifacts/present_*.png as the projector would show it, for a person to look at."""
from __future__ import annotations

import re

import pytest

from dashboard import links
from dashboard.labels import t
from tests.browser.conftest import ARTIFACTS, DESKTOP, wait_rendered

SCREENS = list(links.SCREENS)


@pytest.fixture()
def projector(browser):
    assert DESKTOP == {"width": 1366, "height": 768}
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    """The viewport only: what the room sees."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"present_{name}.png"))


def assert_one_screen(page, title: str) -> None:
    assert page.locator("h1").first.inner_text().strip() == title
    assert page.locator('[data-testid="stException"]').count() == 0
    # no sidebar, no header or toolbar: nothing but the screen
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    for chrome in ("stHeader", "stToolbar", "stExpandSidebarButton", "stMainMenu"):
        assert page.locator(f'[data-testid="{chrome}"]:visible').count() == 0, chrome
    # the whole screen inside 1366x768: no scrolling either way, the chart and the cards drawn
    size = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
                                    return [m.scrollHeight, m.scrollWidth, document.documentElement.scrollWidth]; }""")
    assert size[0] <= DESKTOP["height"] and max(size[1:]) <= DESKTOP["width"], size
    assert page.locator(".js-plotly-plot .main-svg").count() > 0
    assert page.locator('[data-testid="stMetric"]').count() > 0
    # large type: the cards' values are at least twice the body text
    value = page.locator('[data-testid="stMetricValue"] p').first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert value >= 40, value


def goto_screen(page, screen: str, lang: str) -> None:
    page.wait_for_url(re.compile(rf"[?&]screen={screen}(&|$)"), timeout=30_000)
    page.locator("h1", has_text=t(f"page.{screen}", lang)).first.wait_for(timeout=30_000)
    wait_rendered(page)
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=30_000)  # (a new layout mounts its chart anew)


def test_arrow_keys_run_the_meeting(projector, app_url):
    page = projector
    page.goto(f"{app_url}/?present=1&to=2020-08&lang=vi")
    wait_rendered(page)
    assert_one_screen(page, t(f"page.{SCREENS[0]}", "vi"))
    shot(page, f"1_{SCREENS[0]}_vi")
    for number, screen in enumerate(SCREENS[1:], start=2):
        page.keyboard.press("ArrowRight")
        goto_screen(page, screen, "vi")
        assert_one_screen(page, t(f"page.{screen}", "vi"))
        assert "present=1" in page.url and "to=2020-08" in page.url
        shot(page, f"{number}_{screen}_vi")
    # the last screen: → stays; ← goes back one
    assert page.locator(".st-key-present_next button").is_disabled()
    page.keyboard.press("ArrowLeft")
    goto_screen(page, SCREENS[-2], "vi")
    assert_one_screen(page, t(f"page.{SCREENS[-2]}", "vi"))


def test_a_shared_screen_reopens_and_the_buttons_move_too(projector, browser, app_url):
    page = projector
    page.goto(f"{app_url}/branch?present=1&screen=payments&branch=PC08FF&to=2020-08&lang=en")
    wait_rendered(page)
    assert_one_screen(page, t("page.payments", "en"))
    shot(page, "branch_payments_en")
    page.locator(".st-key-present_next button").click()
    goto_screen(page, "services", "en")
    assert_one_screen(page, t("page.services", "en"))
    # the URL is the screen: a second browser opening it sees the same screen
    other = browser.new_context(viewport=DESKTOP).new_page()
    other.goto(page.url)
    wait_rendered(other)
    assert_one_screen(other, t("page.services", "en"))
    other.context.close()
    # and leaving gives the page back, sidebar and all
    page.get_by_role("button", name=t("present.exit", "en")).click()
    page.wait_for_url(lambda url: "present=" not in url, timeout=30_000)
    page.locator('[data-testid="stSidebar"]').wait_for(timeout=30_000)
    wait_rendered(page)
    assert page.locator("h1").first.inner_text().strip() == t("page.branch", "en")
