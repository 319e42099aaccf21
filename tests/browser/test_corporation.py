"""In Chromium: a corporation's warehouse (the committed three-company sample) on its own app. The overview opens at
the corporation level (its cards and the companies ranked), the sidebar's company picker opens one company (the
URL says so, its branches show), and that URL opened afresh shows the same view. Screenshots in test-artifacts/."""
from __future__ import annotations

import subprocess

import pytest

from dashboard import config, warehouse
from dashboard.build import build
from tests.browser.conftest import free_port, screenshot, start_app, wait_rendered


@pytest.fixture(scope="module")
def corporation_app(tmp_path_factory, chromium_path):
    data = tmp_path_factory.mktemp("corporation-browser")
    build(config.SAMPLE_DIR / "corporation", data)
    port = free_port()
    proc = start_app(data, port)
    yield f"http://127.0.0.1:{port}", data
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def main_text(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"]').inner_text()


def test_the_corporation_ranks_its_companies_and_opens_one(browser, corporation_app):
    url, data = corporation_app
    con = warehouse.connect(warehouse.current(data).path)
    try:
        companies = dict(con.execute("select company_code, company_name_vi from companies where company_code in "
                                     "(select company_code from branches)").fetchall())
    finally:
        con.close()
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{url}/?lang=vi")
    wait_rendered(page)
    text = main_text(page)
    assert "Toàn Tổng công ty" in text and "Xếp hạng các công ty" in text
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "corporation_overview")

    # the sidebar's company picker: Quảng Trị (PC02)
    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Công ty điện lực")
    picker.click()
    page.get_by_role("option", name=f"{companies['PC02']} (PC02)").click()
    page.wait_for_url("**company=PC02**", timeout=30_000)
    # the URL changes before the rerun draws: wait for the company's view, not just for any finished run
    page.get_by_text("Xếp hạng các công ty").wait_for(state="detached", timeout=30_000)
    wait_rendered(page)
    text = main_text(page)
    assert companies["PC02"] in text and "Xếp hạng các công ty" not in text
    screenshot(page, "corporation_company_PC02")

    # the URL, opened afresh, shows the same view
    fresh = context.new_page()
    fresh.goto(page.url)
    wait_rendered(fresh)
    assert main_text(fresh) == main_text(page)

    # a family page at the corporation level: one line per company beside the corporation's
    fresh.goto(f"{url}/payments?lang=vi")
    wait_rendered(fresh)
    legend = " ".join(fresh.locator(".js-plotly-plot .legendtext").evaluate_all("els => els.map(e => e.textContent)"))
    assert all(name in legend for name in companies.values()) and "Toàn Tổng công ty" in legend
    screenshot(fresh, "corporation_payments")
    context.close()


def test_the_data_page_shows_freshness_by_company_then_a_company_s_branches(browser, corporation_app):
    url, _ = corporation_app
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{url}/data?lang=vi")
    wait_rendered(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Mở một công ty để xem từng điện lực" in main_text(page)  # the companies' caption
    screenshot(page, "corporation_data")

    page.goto(f"{url}/data?company=PC02&lang=vi")
    wait_rendered(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    text = main_text(page)
    assert "Mở một công ty để xem từng điện lực" not in text and "Mỗi ô: kỳ mới nhất có dữ liệu" in text
    screenshot(page, "corporation_data_PC02")
    context.close()
