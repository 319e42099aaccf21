"""Real-browser fixtures: the app served on loopback over the sample data, and Debian's Chromium via Playwright."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium before the tests")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) for browser tests")
    return CHROMIUM


def start_app(data_dir: Path, port: int, extra_env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "DASHBOARD_DATA_DIR": str(data_dir), **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy within 60 s")


@pytest.fixture(scope="session")
def app_url(served_app, chromium_path):
    return served_app


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    p = context.new_page()
    yield p
    context.close()


def wait_rendered(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script (the status widget is gone) and the app shows."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    # every page ends with the footer naming the data version: once it shows, the script has drawn everything
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
               && /\\d{8}T\\d{6}Z-[0-9a-f]{6}/.test(
                    document.querySelector('[data-testid="stMainBlockContainer"]')?.innerText || '')""",
        timeout=timeout)
    # no element still loading (Plotly's code arrives lazily, behind a skeleton) and every chart has painted
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stSkeleton"]')
               && [...document.querySelectorAll('.js-plotly-plot')].every(el => el.querySelector('.main-svg'))""",
        timeout=timeout)


def screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to the content first."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12000)})
    wait_rendered(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path
