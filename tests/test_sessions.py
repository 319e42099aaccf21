"""A meeting on one link: sessions opened together over the app's websocket all finish, with no errors and the page
they asked for; from one Streamlit process, and from several behind nginx (dashboard.serve) with each browser kept
on one process. Not timed: bench/bench_sessions.py measures."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import pytest

from bench import stclient
from dashboard import serve
from dashboard.labels import t
from tests.browser.conftest import REPO, free_port

# link -> the page title it must show (Vietnamese, the default language)
LINKS = {
    "/?to=2020-08&lang=vi": t("page.overview", "vi"),
    "/payments?branch=PC08FF&from=2020-01&to=2020-12": t("page.payments", "vi"),
}
SESSIONS = 10


def check_sessions(found: list[stclient.Session], title: str, version: str) -> None:
    assert len(found) == SESSIONS
    assert [s.failure for s in found] == [None] * SESSIONS
    assert [s.exceptions for s in found] == [[]] * SESSIONS
    assert all(s.finished is not None and s.status == "FINISHED_SUCCESSFULLY" for s in found)
    for s in found:
        assert title in s.texts, f"{s.link}: no title {title!r} among {s.texts[:8]}"
        assert s.footer_version == version
        assert s.versions == [version]


@pytest.fixture(scope="module")
def app_url(served_app):
    return served_app


@pytest.mark.parametrize("link", LINKS)
def test_ten_sessions_open_one_link_together(app_url, sample_warehouse, link):
    check_sessions(stclient.sessions(app_url, link, SESSIONS, timeout=60), LINKS[link], sample_warehouse.version)


def test_an_unknown_page_counts_as_an_error(app_url):
    (found,) = stclient.sessions(app_url, "/no-such-page", 1, timeout=60)
    assert found.failure == "page not found: 'no-such-page'"
    assert not found.ok


@pytest.mark.parametrize("link, expected", [
    ("/", ("/", "", "")),
    ("/?to=2020-08&lang=vi", ("/", "", "to=2020-08&lang=vi")),
    ("/payments?branch=PC08FF&from=2020-01", ("/payments", "payments", "branch=PC08FF&from=2020-01")),
])
def test_a_link_becomes_the_page_name_and_query_string_the_browser_sends(link, expected):
    assert stclient.split_link(link) == expected


# ---------------------------------------------------------------- several processes behind nginx


@pytest.fixture(scope="module")
def nginx() -> str:
    try:
        return serve.find_nginx(None)
    except serve.ServeError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}: the CI must install Debian's nginx package")
        pytest.skip(f"{exc}")


def start_serve(data_dir, runtime, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "serve", "--workers", str(workers), "--port", str(port), "--address",
         "127.0.0.1", "--data-dir", str(data_dir), "--runtime-dir", str(runtime)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        serve.wait_healthy(f"{url}/_stcore/health", [proc], timeout=90)
    except serve.ServeError:
        proc.kill()
        stderr = proc.communicate(timeout=10)[1].decode()
        raise AssertionError(f"dashboard.serve did not start: {stderr[-2000:]}") from None
    return proc, url


def stop_serve(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.fixture(scope="module")
def served(nginx, sample_data_dir, tmp_path_factory):
    runtime = tmp_path_factory.mktemp("serve")
    proc, url = start_serve(sample_data_dir, runtime, workers=2)
    yield url, runtime
    stop_serve(proc)


def routes(access_log, path_part: str) -> dict[str, str]:
    """The affinity cookie value (`route=`) -> upstream process, for log lines whose request contains `path_part`."""
    found = {}
    for line in access_log.read_text().splitlines():
        m = re.search(r'"GET (\S+) [^"]*" \d+ \d+ upstream=(\S+) route=(\S+)', line)
        if m and path_part in m.group(1):
            found[m.group(3)] = m.group(2)
    return found


def test_sessions_through_nginx_stay_on_one_process_and_spread_over_both(served, sample_warehouse):
    url, runtime = served
    link = "/?to=2020-08&lang=vi"
    # 20, not 10: each browser's process is drawn at random, and 10 all land on one of two about once in 500 runs
    n = 20
    found = stclient.sessions(url, link, n, timeout=90)
    assert [s.failure for s in found] == [None] * n
    assert [s.exceptions for s in found] == [[]] * n
    assert {s.footer_version for s in found} == {sample_warehouse.version}

    log = runtime / "access.log"
    deadline = time.monotonic() + 15  # nginx logs a websocket when it closes
    while len(routes(log, "/_stcore/stream")) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    sockets, pages = routes(log, "/_stcore/stream"), routes(log, "to=2020-08")
    assert len(sockets) == n
    # affinity: each websocket went where its page load went (the cookie set on the first response)
    assert {route: pages.get(route) for route in sockets} == sockets
    per_process = Counter(sockets.values())
    assert len(per_process) == 2, per_process


def test_serve_stops_every_process_on_sigterm(nginx, sample_data_dir, tmp_path):
    proc, url = start_serve(sample_data_dir, tmp_path, workers=1)
    nginx_pid = int((tmp_path / "nginx.pid").read_text())
    worker_port = int(re.search(r"server 127\.0\.0\.1:(\d+)", (tmp_path / "nginx.conf").read_text()).group(1))
    assert stop_serve(proc) == 0
    assert not os.path.exists(f"/proc/{nginx_pid}")
    for port_url in (url, f"http://127.0.0.1:{worker_port}"):
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{port_url}/_stcore/health", timeout=2)


def test_the_nginx_template_renders_to_a_config_nginx_accepts(nginx, tmp_path):
    text = serve.render(serve.TEMPLATE.read_text(encoding="utf-8"), listen="127.0.0.1:8501", ports=[9001, 9002],
                        runtime_dir=tmp_path)
    assert "{{" not in text
    assert "server 127.0.0.1:9001" in text and "server 127.0.0.1:9002" in text
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    check = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c",
                            str(conf)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
