"""Benchmark (prints, never asserts): in Chromium, time from navigation to the overview fully rendered,
against a bare Streamlit page with one metric measured in the same run (median of --runs fresh page loads).

    .venv/bin/python bench/bench_browser.py --data-dir data
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser.conftest import ARGS, free_port, start_app, wait_rendered  # noqa: E402

BARE = '''import streamlit as st
st.title("Bare")
st.metric("Tỷ lệ KH có số điện thoại", "97,56%")
st.caption("20200101T000000Z-000000")
'''


def start_bare(port: int) -> subprocess.Popen:
    script = Path(tempfile.mkdtemp()) / "bare.py"
    script.write_text(BARE, encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def load_times(browser, url: str, runs: int) -> list[float]:
    times = []
    for i in range(runs + 1):
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        wait_rendered(page)
        if i:  # the first load warms the server's caches, as for anyone who opens a page already opened today
            times.append(time.perf_counter() - started)
        context.close()
    return times


def main() -> None:
    import urllib.request

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app_port, bare_port = free_port(), free_port()
    app = start_app(args.data_dir, app_port)
    bare = start_bare(bare_port)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{bare_port}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            bare_t = load_times(browser, f"http://127.0.0.1:{bare_port}/", args.runs)
            app_t = load_times(browser, f"http://127.0.0.1:{app_port}/?from=2019-09&to=2020-08&lang=vi", args.runs)
            browser.close()
    finally:
        app.terminate()
        bare.terminate()
    b, a = statistics.median(bare_t), statistics.median(app_t)
    print(f"bare page (one metric)   {b * 1000:8.0f} ms")
    print(f"overview                 {a * 1000:8.0f} ms")
    print(f"overview / bare          {a / b:8.2f}x")


if __name__ == "__main__":
    main()
