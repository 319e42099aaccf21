"""In Chromium: a shared link opens the same view, controls write the URL, every page renders at desktop and
phone widths (screenshots saved to test-artifacts/ for a person to look at)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from dashboard import formats, registry, warehouse
from tests.browser.conftest import DESKTOP, PHONE, screenshot, wait_rendered

PAGES = [spec.path for spec in registry.PAGES]
PERIOD = dt.date(2020, 8, 1)


@pytest.fixture(scope="module")
def company(sample_warehouse):
    con = warehouse.connect(sample_warehouse.path)
    cur = con.cursor().execute("select * from company_month where period = $p", {"p": PERIOD})
    row = dict(zip([d[0] for d in cur.description], cur.fetchall()[0]))
    return row


def test_shared_link_opens_the_view_in_vietnamese(page, app_url, company):
    page.goto(f"{app_url}/?from=2019-09&to=2020-08&cmp=prev_month&lang=vi")
    wait_rendered(page)
    assert page.locator("h1").first.inner_text().strip() == "Tổng quan"
    expected = formats.fmt_kpi(company["phone_coverage"], "share", "vi")  # e.g. 97,56%
    assert re.fullmatch(r"\d{1,3},\d{2}%", expected)
    assert page.get_by_text(expected, exact=True).first.is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_plotly_chart_draws_on_a_family_page(page, app_url):
    page.goto(f"{app_url}/payments?branch=PC08AA&from=2020-01&to=2020-08&lang=vi")
    wait_rendered(page)
    assert page.locator(".js-plotly-plot .main-svg").count() > 0
    assert page.locator('[data-testid="stException"]').count() == 0


def test_control_changes_url_and_the_url_reopens_the_same_view(page, browser, app_url, company):
    page.goto(f"{app_url}/?from=2019-09&to=2020-08&lang=vi")
    wait_rendered(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stButtonGroup"] button', has_text="English").click()
    page.wait_for_url(re.compile(r"lang=en"), timeout=30_000)
    wait_rendered(page)
    url = page.url
    assert "to=2020-08" in url and "from=2019-09" in url
    fresh = browser.new_context(viewport=DESKTOP).new_page()
    fresh.goto(url)
    wait_rendered(fresh)
    assert fresh.locator("h1").first.inner_text().strip() == "Overview"
    expected = formats.fmt_kpi(company["phone_coverage"], "share", "en")
    assert fresh.get_by_text(expected, exact=True).first.is_visible()
    fresh.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_and_is_screenshot(browser, app_url, path, width):
    viewport = DESKTOP if width == "desktop" else PHONE
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    p = context.new_page()
    p.goto(f"{app_url}/{path}?branch=PC08AA&from=2020-01&to=2020-08&lang=vi")
    wait_rendered(p)
    screenshot(p, f"{path or 'overview'}_{width}")
    assert p.locator('[data-testid="stException"]').count() == 0
    if width == "phone" and path == "":
        # the overview's cards fit a 390-px phone: no horizontal scrolling
        assert p.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_sql_editor_runs_with_the_shortcut_and_the_query_lands_in_the_url(page, app_url):
    page.goto(f"{app_url}/sql?lang=vi")
    wait_rendered(page)
    editor = page.frame_locator("iframe").first.locator(".ace_text-input")
    editor.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("select 41 + 1 as answer")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"sql=select"), timeout=30_000)
    wait_rendered(page)
    # the query runs in an SQL worker process after the rerun that put it in the URL: wait for its result
    page.get_by_text("1 dòng", exact=True).first.wait_for(timeout=30_000)
    assert "answer" in page.url
    assert page.get_by_text("1 dòng", exact=True).first.is_visible()


def test_pages_ask_no_host_but_the_app(browser, app_url):
    """An intranet reaches no CDN: every request a page makes (fonts, icons, the SQL editor's theme) goes to the
    app's own host."""
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    p = context.new_page()
    requested: list[str] = []
    p.on("request", lambda request: requested.append(request.url))
    for path in ("", "sql", "payments"):
        p.goto(f"{app_url}/{path}?branch=PC08AA&from=2020-01&to=2020-08&lang=vi")
        wait_rendered(p)
    p.goto(f"{app_url}/sql?lang=vi")
    wait_rendered(p)
    p.frame_locator("iframe").first.locator(".ace_content").wait_for()
    p.wait_for_timeout(1500)  # late requests (the editor's theme, the favicon)
    context.close()
    own = app_url.split("/")[2]
    others = sorted({u.split("/")[2] for u in requested if u.startswith(("http:", "https:", "ws:", "wss:"))} - {own})
    assert requested and others == [], others
