"""Ad-hoc SQL in separate, expendable processes (part of the security boundary, with sandbox.py).

The SQL page, the query catalogue's runs and `python -m dashboard sql` send each query to a worker process of
a small pool. A worker runs it through the guarded path (sandbox.run_sql: read-only, locked down, one read
statement, only functions that read) under hard limits that the app process cannot be hurt by:

* memory: the worker's address space is capped (DASHBOARD_SQL_WORKER_MEMORY). DuckDB's own memory_limit does not
  cover every allocation (a huge string function, a fetched result); past the cap the query fails, or the worker
  dies, and the app carries on;
* time: DuckDB is interrupted at DASHBOARD_SQL_TIMEOUT, and a worker that has not answered shortly after is
  killed, which also covers planning and binding, where an interrupt is not checked;
* size: results are bounded in rows and bytes (DASHBOARD_SQL_MAX_ROWS/MAX_BYTES shown,
  DASHBOARD_SQL_EXPORT_ROWS/EXPORT_BYTES downloaded); downloads are made in the worker, within
  DASHBOARD_SQL_EXPORT_TIMEOUT.

A killed or dead worker is replaced; when every worker is busy a query waits DASHBOARD_SQL_WAIT seconds, then is
told to try again. No Streamlit here.
"""
from __future__ import annotations

import queue
import resource
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from multiprocessing.connection import Connection
from pathlib import Path

from dashboard import config, sandbox
from dashboard.sandbox import SqlError, SqlProblem, SqlResult, SqlTimeout

GRACE_S = 2.0  # after the time limit, how long a worker may take to report the interrupt before it is killed
START_S = 60.0  # how long a new worker may take to import its modules and say it is ready
OUTPUTS = ("frame", "csv", "xlsx")


class SqlBusy(SqlProblem):
    """Every SQL worker was busy for DASHBOARD_SQL_WAIT seconds."""


@dataclass(frozen=True)
class Job:
    """One query for a worker: ad-hoc SQL, or a query file by name (the catalogue) with its parameters."""
    path: str
    sql: str = ""
    query: str | None = None
    queries_dir: str | None = None
    params: dict = field(default_factory=dict)
    timeout: float = 10.0
    max_rows: int = 10_000
    max_bytes: int = 32_000_000
    output: str = "frame"  # frame: the result itself; csv, xlsx: the download's bytes
    name: str = "sql"  # the Excel sheet's name


@dataclass(frozen=True)
class Limits:
    """The settings a query runs under, read (and checked) when it is sent."""
    timeout: float
    max_rows: int
    max_bytes: int
    export_rows: int
    export_bytes: int
    export_timeout: float

    @classmethod
    def from_settings(cls, timeout: float | None = None, max_rows: int | None = None) -> Limits:
        limit, rows = sandbox._limits(timeout, max_rows)
        export_timeout = config.float_setting("DASHBOARD_SQL_EXPORT_TIMEOUT")
        if not export_timeout > 0:
            raise config.SettingError(f"DASHBOARD_SQL_EXPORT_TIMEOUT={export_timeout!r} must be a positive number "
                                      "of seconds")
        return cls(limit, rows, config.bytes_setting("DASHBOARD_SQL_MAX_BYTES"), sandbox.export_cap(),
                   config.bytes_setting("DASHBOARD_SQL_EXPORT_BYTES"), export_timeout)


# ---------------------------------------------------------------- in the worker process


def _execute(job: Job):
    """Run one job here (in the worker); returns the SqlResult (output frame) or the download's bytes."""
    from dashboard import queries, spreadsheets

    sql, params = job.sql, dict(job.params)
    if job.query is not None:
        qf = queries.load(job.query, job.queries_dir)
        queries.check_params(qf, params)
        sql, params = qf.sql, {k: queries._bindable(v) for k, v in params.items()}
    result = sandbox.run_sql(sql, job.path, params=params, timeout=job.timeout, max_rows=job.max_rows,
                             max_bytes=job.max_bytes)
    if job.output == "frame":
        return result
    if result.truncated:
        cap = ("DASHBOARD_SQL_EXPORT_ROWS", job.max_rows) if result.limit == "rows" else \
            ("DASHBOARD_SQL_EXPORT_BYTES", job.max_bytes)
        raise SqlError(f"the result is larger than a download may be ({cap[0]}={cap[1]:,}): filter or aggregate "
                       "it first, or raise the setting")
    data = spreadsheets.csv_bytes(result.df) if job.output == "csv" else \
        spreadsheets.excel_bytes(result.df, job.name)
    if len(data) > job.max_bytes:
        raise SqlError(f"the {job.output.upper()} file would be {len(data):,} bytes, more than "
                       f"DASHBOARD_SQL_EXPORT_BYTES={job.max_bytes:,}: filter or aggregate it first")
    return data


RETIRE_SHARE = 0.6  # a worker whose address space has grown past this share of its cap is replaced after the job


def _address_space() -> int:
    """This process's virtual size (what RLIMIT_AS caps), in bytes."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def serve(conn, memory_bytes: int) -> None:
    """The worker's loop: cap the address space, say ready, then answer jobs until the pipe closes. Each reply is
    (kind, error type, payload, retiring): a worker that ran out of memory, or whose address space stayed large
    after a big query (allocators keep what they took), retires after replying and the pool starts a fresh one."""
    threading.stack_size(512 * 1024)  # the deadline timer's thread: its stack counts against the cap
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        import duckdb  # noqa: F401 - imported before saying ready, so the first query does not pay for it
        import pandas  # noqa: F401

        from dashboard import queries, spreadsheets  # noqa: F401
    except MemoryError:
        conn.send(("error", "SqlError", "the SQL worker cannot even start within DASHBOARD_SQL_WORKER_MEMORY", True))
        return
    conn.send(("ready", None, None, False))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the app went away
        try:
            reply = ("ok", None, _execute(job))
        except MemoryError:
            reply = ("error", "SqlError", _memory_message())
        except SqlProblem as exc:
            reply = ("error", type(exc).__name__, str(exc))
        except RuntimeError as exc:  # "can't start new thread": the address space is full
            reply = ("error", "SqlError", f"{_memory_message()} ({exc})")
        except Exception as exc:  # noqa: BLE001 - any failure is the query's, reported to its user
            reply = ("error", "SqlError", f"{type(exc).__name__}: {exc}")
        retiring = reply[1] == "SqlError" and "memory" in str(reply[2]).lower() \
            or _address_space() > RETIRE_SHARE * memory_bytes
        try:
            conn.send((*reply, retiring))
        except MemoryError:
            conn.send(("error", "SqlError", _memory_message(), True))
            return
        if retiring:
            return


def _memory_message() -> str:
    return (f"the query needed more memory than an SQL worker may use (DASHBOARD_SQL_WORKER_MEMORY="
            f"{config.setting('DASHBOARD_SQL_WORKER_MEMORY')}): aggregate or filter more, or raise the setting")


# ---------------------------------------------------------------- in the app (or command-line) process


class _Worker:
    """One worker process and its pipe; started on first use and again after it was killed or died.

    The worker is a fresh interpreter (`python -m dashboard.sqlworker FD BYTES`) talking over a socket pair:
    nothing of the app process (threads, open DuckDB files, Streamlit) is forked into it."""

    def __init__(self, memory_bytes: int):
        self.memory_bytes = memory_bytes
        self.proc: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.ready = False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        mine, theirs = socket.socketpair()
        with theirs:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dashboard.sqlworker", str(theirs.fileno()), str(self.memory_bytes)],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
        self.conn, self.ready = Connection(mine.detach()), False

    def _wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(START_S):
            self.stop()
            raise SqlError(f"an SQL worker did not start within {START_S:g} s; try again")
        try:
            kind, _, message, _ = self.conn.recv()
        except (EOFError, OSError):
            code = self.proc.wait(5)
            self.stop()
            raise SqlError(f"an SQL worker could not start (exit {code}): is DASHBOARD_SQL_WORKER_MEMORY="
                           f"{config.setting('DASHBOARD_SQL_WORKER_MEMORY')} too small?") from None
        if kind != "ready":
            self.stop()
            raise SqlError(message)
        self.ready = True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.conn is not None:
            self.conn.close()
        self.proc, self.conn, self.ready = None, None, False

    def run(self, job: Job, deadline_s: float):
        if not self.alive():
            self.stop()
            self.start()
        self._wait_ready()
        self.conn.send(job)
        if not self.conn.poll(deadline_s):
            self.stop()
            self.start()  # the replacement starts now, so the next query does not wait for it
            setting = "DASHBOARD_SQL_EXPORT_TIMEOUT" if job.output != "frame" else "DASHBOARD_SQL_TIMEOUT"
            raise SqlTimeout(f"the query was stopped at the {deadline_s - GRACE_S:g}-second time limit and its "
                             f"worker process replaced: narrow it (filter, aggregate, limit), or raise the limit "
                             f"with the {setting} setting (on the command line: --timeout SECONDS)")
        try:
            kind, error_type, payload, retiring = self.conn.recv()
        except (EOFError, OSError):
            code = self.proc.wait(5) if self.proc is not None else None
            self.stop()
            self.start()
            raise SqlError(f"the query's worker process stopped (exit {code}) and was replaced: {_memory_message()}"
                           ) from None
        if retiring:  # it exits after this reply: replace it now
            self.stop()
            self.start()
        if kind == "ok":
            return payload
        raise {"SqlRefused": sandbox.SqlRefused, "SqlTimeout": SqlTimeout}.get(error_type, SqlError)(payload)


class Pool:
    """A fixed number of workers; a query takes a free one, waiting at most `wait_s` seconds."""

    def __init__(self, size: int, memory_bytes: int, wait_s: float):
        if size < 1:
            raise config.SettingError(f"DASHBOARD_SQL_WORKERS={size} must be 1 or more")
        self.size, self.wait_s = size, wait_s
        self._free: queue.Queue[_Worker] = queue.Queue()
        self._workers = [_Worker(memory_bytes) for _ in range(size)]
        for worker in self._workers:
            self._free.put(worker)

    def run(self, job: Job, deadline_s: float):
        try:
            worker = self._free.get(timeout=self.wait_s)
        except queue.Empty:
            raise SqlBusy(f"all {self.size} SQL workers are busy with other queries: try again in a moment "
                          "(DASHBOARD_SQL_WORKERS sets how many)") from None
        try:
            return worker.run(job, deadline_s)
        finally:
            self._free.put(worker)

    def warm(self) -> None:
        """Start the free workers that are not running, without waiting for them (the SQL page opens: by the
        time someone has typed a query, they are ready). Busy workers are left alone."""
        taken = []
        while True:
            try:
                taken.append(self._free.get_nowait())
            except queue.Empty:
                break
        try:
            for worker in taken:
                if not worker.alive():
                    worker.stop()
                    worker.start()
        finally:
            for worker in taken:
                self._free.put(worker)

    def pids(self) -> list[int]:
        """The live workers' process ids (for tests and the operations page)."""
        return [w.proc.pid for w in self._workers if w.alive() and w.proc is not None]

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()


_pool_lock = threading.Lock()


@lru_cache(maxsize=1)
def _pool(size: int, memory_bytes: int, wait_s: float) -> Pool:
    return Pool(size, memory_bytes, wait_s)


def pool() -> Pool:
    """This process's pool, made on first use with the settings then in force."""
    with _pool_lock:
        return _pool(config.int_setting("DASHBOARD_SQL_WORKERS"),
                     config.bytes_setting("DASHBOARD_SQL_WORKER_MEMORY"), config.float_setting("DASHBOARD_SQL_WAIT"))


# ---------------------------------------------------------------- what the app and the command line call


def run_sql(sql: str, path: Path | str | None = None, *, params: dict | None = None, timeout: float | None = None,
            max_rows: int | None = None) -> SqlResult:
    """sandbox.run_sql in a worker process, with the display limits; raises SqlProblem (SqlBusy when full)."""
    # (the statement is checked in the worker: parsing a huge statement costs seconds, which the app must not pay)
    limits = Limits.from_settings(timeout, max_rows)
    job = Job(str(sandbox.published_path(path)), sql=sql, params=dict(params or {}), timeout=limits.timeout,
              max_rows=limits.max_rows, max_bytes=limits.max_bytes)
    return pool().run(job, limits.timeout + GRACE_S)


def run_query(name: str, params: dict, path: Path | str | None = None, *, queries_dir: Path | str | None = None,
              timeout: float | None = None, max_rows: int | None = None) -> SqlResult:
    """A query file of the catalogue, by name, with its parameters, in a worker with the display limits."""
    limits = Limits.from_settings(timeout, max_rows)
    job = Job(str(sandbox.published_path(path)), query=name, params=dict(params),
              queries_dir=None if queries_dir is None else str(queries_dir), timeout=limits.timeout,
              max_rows=limits.max_rows, max_bytes=limits.max_bytes)
    return pool().run(job, limits.timeout + GRACE_S)


def export(sql: str, output: str, path: Path | str | None = None, *, params: dict | None = None,
           name: str = "sql", query: str | None = None, queries_dir: Path | str | None = None) -> bytes:
    """The whole result (within the export caps) of ad-hoc SQL, or of a query file by name, as a CSV or Excel
    file, made in a worker within DASHBOARD_SQL_EXPORT_TIMEOUT; raises SqlProblem."""
    if output not in ("csv", "xlsx"):
        raise ValueError(f"output must be csv or xlsx, not {output!r}")
    limits = Limits.from_settings()
    job = Job(str(sandbox.published_path(path)), sql=sql, query=query, params=dict(params or {}),
              queries_dir=None if queries_dir is None else str(queries_dir), timeout=limits.export_timeout,
              max_rows=limits.export_rows, max_bytes=limits.export_bytes, output=output, name=name)
    return pool().run(job, limits.export_timeout + GRACE_S)


if __name__ == "__main__":  # a worker: python -m dashboard.sqlworker FD BYTES (started by _Worker.start)
    serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
