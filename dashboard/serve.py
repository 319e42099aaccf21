"""`python -m dashboard serve --workers N --port 8501 [--data-dir DIR]`: N Streamlit processes behind nginx.

One Streamlit process runs every session's script under one GIL; more processes use more cores. nginx keeps each
browser on one process (deploy/nginx.conf.template says how). Streamlit runs as subprocesses: this module does not
import it. Stops everything on SIGINT/SIGTERM, or when any of its processes dies.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "deploy" / "nginx.conf.template"
APP = REPO / "dashboard" / "app.py"
HEALTH_TIMEOUT = 120.0  # seconds a process may take to answer /_stcore/health
# Flags for many sessions per process (STACK.md "Serving many sessions"). Measured with bench/bench_sessions.py,
# 50 sessions on the overview, one process: p95 24 s with the defaults, 15 s without the GC, 10.5 s without the
# watchers, 4.3 s without both; memory no higher (1,600 sessions in a row: flat at 270-300 MB).
# * runner.postScriptGC=false: by default Streamlit runs gc.collect(2) after every script run, over a heap made
#   large by pandas, Plotly and DuckDB; with a meeting's sessions that full collection dominates the run.
# * server.fileWatcherType=none: a served deployment does not edit its scripts; the default starts a watcher
#   per session. (Query files are read per run by the app itself, so editing them still shows on the next run.)
STREAMLIT_FLAGS = ["--server.headless", "true", "--browser.gatherUsageStats", "false",
                   "--runner.postScriptGC", "false", "--server.fileWatcherType", "none"]


class ServeError(Exception):
    """Something the operator has to fix (nginx missing, a process that does not start); the message says what."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(template: str, *, listen: str, ports: list[int], runtime_dir: Path) -> str:
    """The nginx config: the template with {{listen}}, {{runtime_dir}} and {{servers}} filled in."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in ports)
    text = (template.replace("{{listen}}", listen).replace("{{runtime_dir}}", str(runtime_dir))
            .replace("{{servers}}", servers))
    if "{{" in text:
        raise ServeError(f"{TEMPLATE}: unknown placeholder near {text[text.index('{{'):][:30]!r}")
    return text


def find_nginx(given: str | None) -> str:
    path = given or shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not path:
        raise ServeError("nginx is not installed: install Debian's package (apt-get install nginx) or pass --nginx")
    return path


def worker_env(data_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if data_dir is not None:
        env["DASHBOARD_DATA_DIR"] = str(data_dir.resolve())
    # One cookie secret for every process, so a cookie one process signed (XSRF, sign-in) is valid on another
    # when a browser moves (a process restarted, the worker set changed). An env var, not a flag: ps shows flags.
    if "STREAMLIT_SERVER_COOKIE_SECRET" not in env and not _configured_cookie_secret():
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = secrets.token_hex(32)
    return env


def _configured_cookie_secret() -> bool:
    config = REPO / ".streamlit" / "config.toml"
    try:
        return bool(tomllib.loads(config.read_text(encoding="utf-8")).get("server", {}).get("cookieSecret"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def wait_healthy(url: str, procs: list[subprocess.Popen], timeout: float = HEALTH_TIMEOUT) -> None:
    """Wait until `url` answers 200, failing early if one of `procs` has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise ServeError(f"{' '.join(map(str, proc.args[:6]))}... exited with {proc.returncode} while "
                                 f"starting (see its log in the runtime directory)")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise ServeError(f"{url} did not answer within {timeout:.0f} s")


class Server:
    """The running set: worker processes, nginx, and the runtime directory holding config, pid and logs."""

    def __init__(self, workers: int, port: int, address: str, data_dir: Path | None, runtime_dir: Path | None,
                 nginx: str | None) -> None:
        self.nginx_bin = find_nginx(nginx)
        self.keep_runtime = runtime_dir is not None
        self.runtime_dir = Path(runtime_dir or tempfile.mkdtemp(prefix="dashboard-serve-")).resolve()
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        # nginx started as root runs its workers as `nobody`: they must reach their temp paths in here.
        self.runtime_dir.chmod(0o711)
        self.workers, self.port, self.address, self.data_dir = workers, port, address, data_dir
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None
        self._logs: list = []

    @property
    def url(self) -> str:
        host = "localhost" if self.address in ("0.0.0.0", "::", "") else self.address
        return f"http://{host}:{self.port}"

    def _spawn(self, args: list[str], log_name: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.runtime_dir / log_name, "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        # Own session: a Ctrl+C in the terminal reaches this process only, which then stops the rest in order.
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        env = worker_env(self.data_dir)
        self.ports = [free_port() for _ in range(self.workers)]
        for i, port in enumerate(self.ports):
            self._spawn([sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
                         "--server.port", str(port), *STREAMLIT_FLAGS], f"worker-{i + 1}.log", env)
        for port in self.ports:
            wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", self.procs)
        listen = f"{self.address}:{self.port}" if self.address else str(self.port)
        if ":" in self.address:  # IPv6
            listen = f"[{self.address}]:{self.port}"
        conf = self.runtime_dir / "nginx.conf"
        conf.write_text(render(TEMPLATE.read_text(encoding="utf-8"), listen=listen, ports=self.ports,
                               runtime_dir=self.runtime_dir), encoding="utf-8")
        check = subprocess.run([self.nginx_bin, "-t", "-q", "-p", str(self.runtime_dir), "-e",
                                str(self.runtime_dir / "error.log"), "-c", str(conf)],
                               capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise ServeError(f"nginx refused {conf}: {check.stderr.strip()}")
        self.nginx = self._spawn([self.nginx_bin, "-p", str(self.runtime_dir), "-e",
                                  str(self.runtime_dir / "error.log"), "-c", str(conf)], "nginx.log")
        wait_healthy(f"http://127.0.0.1:{self.port}/_stcore/health", self.procs)

    def dead(self) -> list[subprocess.Popen]:
        return [p for p in self.procs if p.poll() is not None]

    def stop(self) -> None:
        """nginx first (no new connections), then the Streamlit processes; each gets 10 s, then is killed."""
        ordered = ([self.nginx] if self.nginx else []) + [p for p in self.procs if p is not self.nginx]
        for proc in ordered:
            if proc.poll() is None:
                # nginx: SIGQUIT is its graceful shutdown; Streamlit stops on SIGTERM
                proc.send_signal(signal.SIGQUIT if proc is self.nginx else signal.SIGTERM)
        for proc in ordered:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for log in self._logs:
            log.close()
        if not self.keep_runtime:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
