"""In Chromium: the operations page (/data) on its own app and data directory (a load changes the published data,
so not the session's shared app): the monthly-load form takes a drop's files, checks and publishes them, and the
page moves to the new version. Screenshots before and after in test-artifacts/."""
from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest

from dashboard import audit, drops, load, warehouse
from dashboard.build import build
from tests.browser.conftest import ARTIFACTS, free_port, screenshot, start_app, wait_rendered
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def ops_app(tmp_path_factory, chromium_path):
    """A data directory with the sample up to 2022-09 built and 2022-10 loaded, served on its own port; the
    2022-11 drop to upload."""
    root = tmp_path_factory.mktemp("ops-browser")
    folders = drops.split(SAMPLE, root / "drops", first=dt.date(2022, 9, 1))
    data = root / "data"
    build(folders[0], data)
    load.load(folders[1], data, user="analyst.hoa")
    port = free_port()
    proc = start_app(data, port)
    yield f"http://127.0.0.1:{port}", data, folders[2]
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_a_drop_uploaded_in_the_browser_is_checked_and_published(browser, ops_app):
    url, data, drop = ops_app
    before = warehouse.current(data).version
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{url}/data?lang=vi")
    wait_rendered(page)
    assert page.locator("h1").first.inner_text().strip() == "Dữ liệu"
    assert page.get_by_text("Lịch sử phiên bản", exact=True).is_visible()
    screenshot(page, "data_operations_before")

    files = sorted(str(p) for p in drop.iterdir())
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(files)
    for name in ("bills.csv", "payments.csv", "service_requests.csv"):
        page.locator('[data-testid="stFileChipName"]', has_text=name).first.wait_for(timeout=30_000)
    button = page.get_by_role("button", name=re.compile("Kiểm tra và công bố"))
    button.wait_for(timeout=30_000)
    page.wait_for_function("""() => [...document.querySelectorAll('button')].some(
        b => b.innerText.includes('Kiểm tra và công bố') && !b.disabled)""", timeout=30_000)
    button.click()
    success = page.locator('[data-testid="stAlertContentSuccess"]')
    success.wait_for(timeout=120_000)
    wait_rendered(page)
    now = warehouse.current(data).version
    assert now != before
    assert now in success.inner_text() and "T11/2022" in success.inner_text()
    main = page.locator('[data-testid="stMainBlockContainer"]').inner_text()
    assert f"Phiên bản dữ liệu {now}" in main  # the footer: the page reads the new version
    assert page.locator('[data-testid="stException"]').count() == 0
    entry = audit.read(data)[0]
    assert entry["ok"] and entry["version"] == now and "uploads" in entry["source"]
    screenshot(page, "data_operations_published")
    success.scroll_into_view_if_needed()  # and the form's result as the analyst sees it
    page.screenshot(path=str(ARTIFACTS / "data_operations_published_form.png"))
    context.close()
