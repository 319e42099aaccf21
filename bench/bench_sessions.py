"""Benchmark (prints, never asserts): N sessions opening one link at once, over the app's websocket.

    .venv/bin/python bench/bench_sessions.py                               # starts `streamlit run` on ./data
    .venv/bin/python bench/bench_sessions.py --option runner.postScriptGC=false \\
        --option server.fileWatcherType=none                               # the same with Streamlit flags
    .venv/bin/python bench/bench_sessions.py --workers 2                   # starts python -m dashboard serve
    .venv/bin/python bench/bench_sessions.py --url http://127.0.0.1:8501 --server-pid PID   # a running server
    .venv/bin/python bench/bench_sessions.py --link '/?to=2020-08&lang=vi' --sessions 100 --ramp 30 \\
        --publish-midway /path/to/exports                                  # a build publishes during the load

Each scenario (a link and a number of sessions) opens its sessions together (or spread over --ramp seconds); a
session GETs the page, opens /_stcore/stream, asks for the run and reads until script_finished (bench/stclient.py),
then stays open until every session is done, as a meeting's tabs do. Time is from the session's start to its
script_finished. Errors are exception elements, sessions that failed or timed out, and pages not found. Memory is
the summed VmRSS of the server process and its descendants (nginx and every worker under dashboard.serve):
before, peak during, and after the sessions closed. Loopback only; every wait has a deadline. Before measuring,
--warmup sessions per link and process fill the caches (as for a page someone already opened): under
dashboard.serve they go to each process directly, since the balancer picks processes at random.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import stclient  # noqa: E402

LINKS = ["/?to=2020-08&lang=vi", "/payments?branch=PC08FF&from=2020-01&to=2020-12"]
START_TIMEOUT = 180.0  # seconds the server may take to answer /_stcore/health


# ---------------------------------------------------------------- server processes and memory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc/*/stat parent ids."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def rss_mb(pid: int | None) -> float | None:
    """Summed VmRSS of `pid` and its descendants, in MB."""
    if pid is None:
        return None
    total = 0
    for p in descendants(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def wait_health(url: str, proc: subprocess.Popen | None, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise SystemExit(f"{url}/_stcore/health did not answer within {timeout:.0f} s")


def start_server(args, log_dir: Path) -> tuple[subprocess.Popen, str, Path | None]:
    """`streamlit run` (with --option flags), or `python -m dashboard serve` for --workers; returns the process,
    its URL and, for serve, the nginx access log."""
    port = free_port()
    env = {**os.environ, "DASHBOARD_DATA_DIR": str(args.data_dir.resolve())}
    if args.workers:
        runtime = log_dir / "serve"
        cmd = [sys.executable, "-m", "dashboard", "serve", "--workers", str(args.workers), "--port", str(port),
               "--address", "127.0.0.1", "--data-dir", str(args.data_dir.resolve()), "--runtime-dir", str(runtime)]
        access_log = runtime / "access.log"
    else:
        cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"),
               "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
               "--browser.gatherUsageStats", "false"]
        for option in args.option:
            key, _, value = option.partition("=")
            cmd += [f"--{key}", value]
        access_log = None
    log = open(log_dir / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_health(url, proc)
    return proc, url, access_log


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def websockets_per_upstream(access_log: Path | None, since: int) -> tuple[Counter, int]:
    """Websocket connections per Streamlit process in nginx's access log after byte offset `since`."""
    if access_log is None or not access_log.exists():
        return Counter(), since
    with open(access_log, "rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
        end = f.tell()
    found = Counter(m.group(1) for line in text.splitlines() if "/_stcore/stream" in line
                    for m in [re.search(r"upstream=(\S+)", line)] if m)
    return found, end


def worker_urls(access_log: Path | None, url: str) -> list[str]:
    """The Streamlit processes behind dashboard.serve's nginx (from its rendered config), else just `url`."""
    if access_log is None:
        return [url]
    conf = (access_log.parent / "nginx.conf").read_text()
    return [f"http://127.0.0.1:{port}" for port in re.findall(r"server 127\.0\.0\.1:(\d+)", conf)] or [url]


# ---------------------------------------------------------------- one scenario


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)  # nearest rank
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def current_version(data_dir: Path | None) -> str | None:
    try:
        return stclient.VERSION_RE.search((data_dir / "CURRENT").read_text()).group(0)
    except (OSError, AttributeError, TypeError):
        return None


async def scenario(url: str, link: str, n: int, *, timeout: float, ramp: float, pid: int | None,
                   data_dir: Path | None, publish: list[str] | None, publish_at: float) -> dict:
    """Run `n` sessions on `link`; sample memory (and CURRENT) every 0.25 s meanwhile."""
    out: dict = {"link": link, "n": n, "rss_before": rss_mb(pid), "rss_peak": rss_mb(pid)}
    published: dict = {"version_before": current_version(data_dir)}
    started = time.monotonic()
    connected = 0
    build: dict = {}

    def on_connect(_session) -> None:
        nonlocal connected
        connected += 1
        if publish and connected == max(1, round(n * publish_at)) and "task" not in build:
            build["task"] = asyncio.ensure_future(run_build(publish, timeout, build))
            build["started"], build["after"] = time.monotonic() - started, connected

    async def sample(stop: asyncio.Event) -> None:
        while not stop.is_set():
            rss = rss_mb(pid)
            if rss is not None:
                out["rss_peak"] = max(out["rss_peak"] or 0, rss)
            version = current_version(data_dir)
            if publish and "at" not in published and version != published["version_before"]:
                published["at"], published["version_after"] = time.monotonic() - started, version
            try:
                async with asyncio.timeout(0.25):
                    await stop.wait()
            except TimeoutError:
                pass

    stop = asyncio.Event()
    sampler = asyncio.create_task(sample(stop))
    cpu = time.process_time()
    sessions = await stclient.open_together(url, link, n, timeout=timeout, ramp=ramp, on_connect=on_connect)
    out["client_cpu"] = time.process_time() - cpu
    out["wall"] = time.monotonic() - started
    if "task" in build:
        await build["task"]
    # the sessions have closed: give the server a moment to drop them before "after" (bounded, nothing to poll)
    await asyncio.sleep(2)
    stop.set()
    await sampler
    out["rss_after"] = rss_mb(pid)
    out["sessions"] = sessions
    out["build"] = build
    out["published"] = published
    for s in sessions:
        s.started -= started  # relative to the scenario's start, for the publish report
        if s.finished is not None:
            s.finished -= started
    return out


async def run_build(cmd: list[str], timeout: float, build: dict) -> None:
    t0 = time.monotonic()
    proc = await asyncio.create_subprocess_exec(*cmd, cwd=REPO, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    try:
        async with asyncio.timeout(max(timeout, 600)):
            output, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        output, _ = await proc.communicate()
        build["timed_out"] = True
    build["seconds"] = time.monotonic() - t0
    build["returncode"] = proc.returncode
    build["tail"] = output.decode("utf-8", "replace").strip().splitlines()[-3:]


# ---------------------------------------------------------------- report

HEADER = (f"{'link':<50} {'N':>4} {'done':>5} {'err':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7} "
          f"{'RSS MB before':>13} {'peak':>7} {'after':>7} {'client cpu s':>12}  per process")


def report(r: dict, spread: Counter) -> None:
    sessions = r["sessions"]
    times = [s.seconds for s in sessions if s.seconds is not None]
    done = sum(1 for s in sessions if s.finished is not None)
    errors = sum(s.errors for s in sessions)

    def mb(v):
        return f"{v:7.0f}" if v is not None else "      -"

    per = " ".join(f"{k}:{v}" for k, v in sorted(spread.items())) or "-"
    print(f"{r['link']:<50} {r['n']:>4} {done:>5} {errors:>4} {pct(times, 0.5):>7.2f} {pct(times, 0.95):>7.2f} "
          f"{(max(times) if times else float('nan')):>7.2f} {mb(r['rss_before']):>13} {mb(r['rss_peak'])} "
          f"{mb(r['rss_after'])} {r['client_cpu']:>12.1f}  {per}", flush=True)
    problems = Counter(f for s in sessions for f in ([s.failure] if s.failure else []) + s.exceptions)
    for text, count in problems.most_common(5):
        print(f"    {count} x {text[:160]}")


def report_publish(r: dict) -> None:
    build, published, sessions = r["build"], r["published"], r["sessions"]
    if "task" not in build:
        print("    publish: the build did not start (too few sessions connected)")
        return
    print(f"    build started at {build['started']:.1f} s (when {build['after']} of {r['n']} sessions had connected), "
          f"ran {build.get('seconds', float('nan')):.1f} s, exit {build.get('returncode')}"
          + (" (killed: timed out)" if build.get("timed_out") else ""))
    if build.get("returncode"):
        for line in build.get("tail", []):
            print(f"      {line}")
    at = published.get("at")
    if at is None:
        print(f"    CURRENT did not change during the load (still {published['version_before']})")
    else:
        before = sum(1 for s in sessions if s.finished is not None and s.finished <= at)
        print(f"    published {published['version_after']} at {at:.1f} s (was {published['version_before']}); "
              f"{before} sessions had finished by then, {len(sessions) - before} after")
    versions = Counter(s.footer_version or "(none)" for s in sessions)
    mixed = [s for s in sessions if len(s.versions) > 1]
    print("    footer version per session: " + ", ".join(f"{v}: {c}" for v, c in versions.most_common()))
    print(f"    sessions whose page names more than one version: {len(mixed)}"
          + (f" e.g. {mixed[0].versions}" if mixed else ""))


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sessions", default="1,10,50",
                        help="comma-separated session counts, one scenario each per link (default 1,10,50)")
    parser.add_argument("--link", action="append", help=f"a link to open (repeatable; default {' and '.join(LINKS)})")
    parser.add_argument("--url", help="an already running server (e.g. nginx in front of dashboard.serve)")
    parser.add_argument("--server-pid", type=int, help="with --url: the server's pid, for memory (its descendants "
                                                       "are counted too)")
    parser.add_argument("--data-dir", type=Path, default=REPO / "data",
                        help="data directory of the server this starts, and of --publish-midway (default ./data)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a Streamlit option for the single process this starts, e.g. runner.postScriptGC=false")
    parser.add_argument("--workers", type=int, default=0,
                        help="start python -m dashboard serve with this many processes behind nginx instead")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one session may take (default 300)")
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="start the sessions evenly over this many seconds instead of all at once")
    parser.add_argument("--warmup", type=int, default=2,
                        help="sessions per link and process before measuring (default 2)")
    parser.add_argument("--publish-midway", type=Path, metavar="SOURCE_DIR",
                        help="run `python -m dashboard build --source SOURCE_DIR --data-dir DATA_DIR` during each "
                             "scenario's load and report which version every session saw")
    parser.add_argument("--publish-at", type=float, default=0.5,
                        help="start that build when this fraction of the sessions has connected (default 0.5; 0: with "
                             "the first). A build takes longer than a burst of sessions: use --ramp to spread them "
                             "over the build so that it publishes midway")
    args = parser.parse_args()
    args.counts = [int(x) for x in args.sessions.split(",") if x.strip()]
    args.link = args.link or LINKS
    if args.url and (args.workers or args.option):
        parser.error("--url uses a running server: --workers and --option start one")
    return args


def main() -> None:
    args = parse_args()
    data_dir = args.data_dir.resolve()
    proc = None
    access_log = None
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        try:
            if args.url:
                url, pid = args.url.rstrip("/"), args.server_pid
                wait_health(url, None, timeout=10)
                what = f"running server {url}"
            else:
                if not (data_dir / "CURRENT").exists():
                    raise SystemExit(f"{data_dir} has no published warehouse: build one first "
                                     "(python -m dashboard build --source DIR --data-dir DIR)")
                proc, url, access_log = start_server(args, Path(tmp))
                pid = proc.pid
                what = (f"python -m dashboard serve --workers {args.workers}" if args.workers else
                        "streamlit run " + " ".join(f"--{o.replace('=', ' ')}" for o in args.option))
            publish = None
            if args.publish_midway:
                publish = [sys.executable, "-m", "dashboard", "build", "--source", str(args.publish_midway.resolve()),
                           "--data-dir", str(data_dir)]
            print(f"server: {what} (data {data_dir}, version {current_version(data_dir)}); {os.cpu_count()} cores, "
                  f"load average {os.getloadavg()[0]:.1f}; "
                  f"warm-up {args.warmup} per link and process" + (f"; ramp {args.ramp:g} s" if args.ramp else ""),
                  flush=True)
            print(HEADER)
            offset = 0
            for link in args.link:
                for target in worker_urls(access_log, url) if args.warmup else []:
                    warm = asyncio.run(stclient.open_together(target, link, args.warmup, timeout=args.timeout))
                    for s in warm:
                        if not s.ok:
                            print(f"    warm-up on {target}: {s.failure or s.exceptions[0]}")
                _, offset = websockets_per_upstream(access_log, offset)
                for n in args.counts:
                    result = asyncio.run(scenario(url, link, n, timeout=args.timeout, ramp=args.ramp, pid=pid,
                                                  data_dir=data_dir if (publish or not args.url) else None,
                                                  publish=publish, publish_at=args.publish_at))
                    spread, offset = websockets_per_upstream(access_log, offset)
                    report(result, spread)
                    if publish:
                        report_publish(result)
        finally:
            if proc is not None:
                stop_server(proc)


if __name__ == "__main__":
    main()
