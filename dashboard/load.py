"""A monthly load: a drop of exports on top of the published warehouse, checked, then published as a new version.

    python -m dashboard load --source DIR

A drop holds `bills`, `payments` and `service_requests` for one or more whole periods (a period's payments
are those paid in its month, its requests those submitted in its month), `customers` as new or changed rows
(upserted by customer_id), and optionally the reference tables (`branches`, `channels`, `targets`,
`annotations`), which replace the published ones. Each table is `<table>.csv`, `<table>.parquet` or a folder
of Hive-partitioned Parquet (`bills/period=2020-08/part-0.parquet`). Validation is the build's
(dashboard/exports.py), with the same messages.

How (copy and swap, as the build): the published file is copied to `<version>.duckdb.building-<pid>`, the drop
is loaded beside it and checked, applied to the raw tables, and only what it can change is recomputed; the
copy is then tested, checkpointed, renamed and published by replacing CURRENT. A failed or killed load
changes nothing published. Loads take a lock in the data directory: a second load waits for the first.

What a drop can change (the models say it in their `-- incremental:` header, dashboard/models.py):

* `customer_id` models (estimate_trueups) are recomputed for the customers whose bill history changed in a
  way that can move them: any customer whose bills of a replaced period differ; for a new period, customers
  with a new estimated bill or with an estimate still open (a new bill may close it: a true-up); customers
  that moved branch. Appending bills after all of a customer's bills cannot change an estimate already closed
  (it is closed by the first actual reading after it), which is why open estimates are enough. The model says
  so in its header (`final_when: is_trued_up`): when the load only appends months, such a customer is
  recomputed from its open estimates' bills and the new months' bills (found by their ids and periods: a few
  row groups), not from its whole history (a scan of every bill's customer id: 5 of a 27 s load at the
  corporation's size); customers whose history changed are recomputed whole.
* `period` models are recomputed for the affected periods: every drop period and the periods after it (the
  running counts of customers, requests open at period end and completions are forward in time), the
  periods of every true-up that moved (a correction closes earlier estimates differently), and, for changed
  customers, the periods from the earliest date that changed (registrations move coverage from that month).
  A new month therefore recomputes that month and the periods of the true-ups it closes.
* `full` models (small: periods, targets, customer counts, request counts) are recomputed whole.

tests/test_load.py loads the sample month by month and compares every mart with a full build of the same
exports at every step; bench/bench_load.py does the same at the default size and times it.

The published tables are large and the drop small: checks against them are narrowed to the drop's ids
(`exports.id_spans`: per-block min and max, so DuckDB's zone maps skip the rest), not joined whole.

Checks before publishing: the model data tests and the contract (errors: nothing is published), and checks
of the month itself (dashboard/monthcheck.py): a branch without bills, or with far fewer bills than active
customers, or a KPI that moves far beyond its own history, is a warning; the load publishes and the branch's
figures for that period are marked provisional (table `provisional`) until a later load of that period
passes.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from dashboard import audit, build, config, exports, labels, models, monthcheck, warehouse
from dashboard.contract import LOAD_ORDER, TABLES
from dashboard.exports import ExportError, Problems, ident, sql_str
from dashboard.models import DataTestError, Model, ModelError

__all__ = ["load", "LoadError", "LoadResult", "find_drop", "FACTS", "PERIOD_OF"]

Progress = Callable[[float, str], None]

FACTS = ("bills", "payments", "service_requests")  # loaded by whole periods
REFERENCE = ("companies", "branches", "channels", "targets", "annotations")  # replaced when present
# The period a fact row belongs to: a drop replaces whole periods of each table by this expression.
PERIOD_OF = {
    "bills": "period",
    "payments": "date_trunc('month', paid_on)::date",
    "service_requests": "date_trunc('month', submitted_on)::date",
}
CUSTOMER_DATES = ("connected_on", "disconnected_on", "phone_registered_on", "email_registered_on",
                  "app_registered_on", "zalo_registered_on", "remote_meter_since")
HIVE_RE = re.compile(r"^period=(\d{4})-(\d{2})(?:-01)?$")
LOCK_FILE = "load.lock"
STATUS_FILE = "load.status.json"


class LoadError(Exception):
    """A drop that cannot be loaded for a reason other than its rows (no published warehouse, a gap, an
    incomplete period); the message says what to do."""


@dataclass
class LoadResult:
    version: str
    path: Path
    periods: list[dt.date]  # the drop's periods
    replaced: list[dt.date]  # of those, periods that were loaded before (corrections)
    changes: dict[str, dict[str, int]]  # table -> {"added": n, "replaced": n, "rows": n after}
    affected_periods: list[dt.date]
    affected_customers: int
    checks: list[monthcheck.Check]
    latest_period: dt.date | None
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    model_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def warnings(self) -> list[monthcheck.Check]:
        return [c for c in self.checks if c.level == "warning"]


def quiet(_fraction: float, _message: str) -> None:
    pass


# ---------------------------------------------------------------- finding the drop


def find_drop(source_dir: Path, problems: Problems) -> dict[str, Path]:
    """The drop's files: table -> a .csv or .parquet file, or a folder of Hive-partitioned Parquet."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        problems.add(str(source_dir), "is not a folder (expected a folder with one file or folder per table)")
        return {}
    found: dict[str, Path] = {}
    for name in TABLES:
        candidates = [p for p in (source_dir / f"{name}.csv", source_dir / f"{name}.parquet") if p.is_file()]
        folder = source_dir / name
        if folder.is_dir():
            candidates.append(folder)
        if len(candidates) > 1:
            problems.add(f"{name}.*", f"{' and '.join(p.name for p in candidates)} are all present: keep one")
        elif candidates:
            found[name] = candidates[0]
    unknown = sorted(p.name for p in source_dir.iterdir()
                     if not p.name.startswith(".") and p.stem not in TABLES and p.name not in TABLES)
    if unknown:
        problems.add(str(source_dir), f"holds {', '.join(unknown)}, which is not an export table: expected "
                                      f"{', '.join(TABLES)} (.csv, .parquet or a folder of period=YYYY-MM)")
    if not found and not problems:
        problems.add(str(source_dir), f"holds no export table: expected some of {', '.join(TABLES)}")
    facts = [t for t in FACTS if t in found]
    if facts and len(facts) < len(FACTS):
        missing = [t for t in FACTS if t not in found]
        problems.add(str(source_dir), f"holds {', '.join(facts)} but not {', '.join(missing)}: a drop holds whole "
                                      "periods, so bills, payments and service_requests come together (a file "
                                      "with a header and no rows says a table had none)")
    return found


def flatten_hive(con, table: str, folder: Path, out: Path, problems: Problems) -> Path | None:
    """A folder of period=YYYY-MM/*.parquet as one Parquet file for the build's reader; the folder's period
    must be the rows' period (it is added when the files leave it out, as Spark's partitionBy does)."""
    parts = sorted(p for p in folder.iterdir() if p.is_dir())
    bad = [p.name for p in parts if not HIVE_RE.match(p.name)]
    if bad or not parts:
        problems.add(f"{table}/", f"folders {', '.join(bad) or '(none)'} are not period=YYYY-MM: a partitioned "
                                  "table is a folder of period=YYYY-MM folders of Parquet files")
        return None
    selects = []
    for part in parts:
        files = sorted(part.glob("*.parquet"))
        if not files:
            continue
        y, m = HIVE_RE.match(part.name).groups()
        period = dt.date(int(y), int(m), 1)
        listed = ", ".join(sql_str(f) for f in files)
        relation = f"read_parquet([{listed}], union_by_name=true, hive_partitioning=false)"
        try:
            cols = [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]
        except duckdb.Error as exc:
            problems.add(f"{table}/{part.name}", f"cannot be read as Parquet: {exports.first_line(exc)}")
            return None
        if table == "bills" and "period" not in cols:
            selects.append(f"select *, date '{period.isoformat()}' as period from {relation}")
            continue
        expr = PERIOD_OF[table] if table in PERIOD_OF else None
        if expr and all(c in cols for c in re.findall(r"[a-z_]+_on|period", expr)):
            wrong = con.execute(f"select count(*) from {relation} where {expr} <> date '{period.isoformat()}'"
                                ).fetchall()[0][0]
            if wrong:
                problems.add(f"{table}/{part.name}", f"{wrong:,} rows belong to another period than its folder "
                                                     f"{part.name}")
        selects.append(f"select * from {relation}")
    if problems:
        return None
    con.execute(f"copy ({' union all by name '.join(selects)}) to {sql_str(out)} (format parquet)")
    return out


# ---------------------------------------------------------------- the lock and the status others see


@contextmanager
def exclusive(data_dir: Path, progress: Progress, who: str, source: str, lang: str = "en"):
    """Hold the data directory's load lock; a second load waits, saying whose load it waits for."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_FILE, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = status(data_dir) or {}
            progress(0.0, labels.t("load.waiting", lang, user=running.get("user", "?"),
                                   started=running.get("started", "?")))
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            write_status(data_dir, {"pid": os.getpid(), "user": who, "source": source,
                                    "started": now().isoformat(), "fraction": 0.0, "message": "starting"})
            yield
        finally:
            (data_dir / STATUS_FILE).unlink(missing_ok=True)
            fcntl.flock(fh, fcntl.LOCK_UN)


def status(data_dir: Path | None = None) -> dict | None:
    """The load in progress (pid, user, source, started, fraction, message), or None."""
    path = (Path(data_dir) if data_dir else config.data_dir()) / STATUS_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return found if build._alive(int(found.get("pid", 0))) else None


def write_status(data_dir: Path, values: dict) -> None:
    tmp = data_dir / f".{STATUS_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, data_dir / STATUS_FILE)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


# ---------------------------------------------------------------- the load


def load(source_dir: Path, data_dir: Path | None = None, progress: Progress = quiet, keep: int | None = None,
         models_dir: Path | None = None, user: str | None = None, lang: str = "en") -> LoadResult:
    """Load a monthly drop on top of the published warehouse and publish the result. Raises SettingError,
    ExportError (every problem in the drop), LoadError, ModelError or DataTestError; in every case nothing
    published changes. Every attempt is written to the audit log. Progress messages are in `lang`."""
    source_dir = Path(source_dir)
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    who = user or audit.user()
    started = time.perf_counter()
    files: list[dict] = []
    try:
        settings = build.read_settings(keep)
        problems = Problems()
        sources = find_drop(source_dir, problems)
        if problems:
            raise ExportError(problems)
        files = [{"table": t, "file": p.name, "bytes": _size(p), "sha256": _checksum(p)} for t, p in sources.items()]
        plan_models = models.load(models_dir)

        def report(fraction: float, message: str) -> None:
            progress(fraction, message)
            if (data_dir / STATUS_FILE).exists():
                running = status(data_dir) or {}
                if running.get("pid") == os.getpid():
                    write_status(data_dir, {**running, "fraction": round(fraction, 3), "message": message})

        with exclusive(data_dir, progress, who, str(source_dir), lang):
            published = warehouse.current(data_dir)
            if published is None:
                raise LoadError(f"nothing is published in {data_dir}: a load adds to a published warehouse; run "
                                "`python -m dashboard build --source DIR` first")
            result = _load(source_dir, sources, files, plan_models, published, data_dir, settings, report, who,
                           lang)
    except build.SettingError:
        raise  # the load did not start: nothing is written, not even to the audit log
    except BaseException as exc:
        audit.write(data_dir, kind="load", user=who, source=str(source_dir), files=files, ok=False,
                    seconds=time.perf_counter() - started, error=_describe(exc))
        raise
    result.seconds = time.perf_counter() - started
    audit.write(data_dir, kind="load", user=who, source=str(source_dir), files=files, ok=True,
                seconds=result.seconds, version=result.version,
                periods=[p.isoformat()[:7] for p in result.periods],
                replaced=[p.isoformat()[:7] for p in result.replaced], changes=result.changes,
                checks=[asdict(c) for c in result.checks])
    progress(1.0, labels.t("load.done", lang))
    return result


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return str(exc) or type(exc).__name__


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*.parquet")) if path.is_dir() else path.stat().st_size


def _checksum(path: Path) -> str:
    if not path.is_dir():
        return build.sha256(path)
    import hashlib
    digest = hashlib.sha256()
    for part in sorted(path.rglob("*.parquet")):
        digest.update(str(part.relative_to(path)).encode())
        digest.update(build.sha256(part).encode())
    return digest.hexdigest()


def _load(source_dir: Path, sources: dict[str, Path], files: list[dict], plan_models: list[Model],
          published: warehouse.Published, data_dir: Path, settings: build.BuildSettings, progress: Progress,
          who: str, lang: str) -> LoadResult:
    def say(fraction: float, key: str, **values) -> None:
        progress(fraction, labels.t(f"load.{key}", lang, **values))

    build.clean_stale(data_dir)
    version = build.new_version()
    final_path = warehouse.new_version_path(version, data_dir)
    building = final_path.with_name(f"{final_path.name}.building-{os.getpid()}")
    spill = data_dir / "tmp" / str(os.getpid())
    spill.mkdir(parents=True, exist_ok=True)
    duckdb_settings = {"memory_limit": settings.memory_limit, "temp_directory": str(spill)}
    if settings.threads > 0:
        duckdb_settings["threads"] = settings.threads
    timings: dict[str, float] = {}
    con = None
    try:
        tick = time.perf_counter()
        say(0.02, "copying", version=published.version)
        shutil.copyfile(published.path, building)
        timings["copy"] = time.perf_counter() - tick
        con = duckdb.connect(str(building), config=duckdb_settings)
        step = Step(con, con.execute("select current_database()").fetchall()[0][0], say)

        tick = time.perf_counter()
        step.read_drop(sources, spill)
        timings["validate"] = time.perf_counter() - tick

        tick = time.perf_counter()
        step.plan_periods()
        step.check_keys_and_references()
        step.apply()
        timings["apply"] = time.perf_counter() - tick

        tick = time.perf_counter()
        step.transform(plan_models)
        timings["transform"] = time.perf_counter() - tick

        tick = time.perf_counter()
        say(0.85, "testing")
        step.test(plan_models)
        checks = monthcheck.run(con, step.periods)
        monthcheck.mark_provisional(con, step.periods, checks)
        timings["checks"] = time.perf_counter() - tick

        tick = time.perf_counter()
        say(0.93, "version")
        changes = step.changes()
        latest = step.write_version(version, source_dir, files, changes, checks, who)
        con.execute("checkpoint")
        con.close()
        con = None
        os.replace(building, final_path)
        say(0.98, "publishing")
        warehouse.publish(final_path, data_dir, settings.keep)
        timings["publish"] = time.perf_counter() - tick
    except BaseException:
        if con is not None:
            con.close()
        building.unlink(missing_ok=True)
        Path(str(building) + ".wal").unlink(missing_ok=True)
        now_published = warehouse.current(data_dir)
        if final_path.exists() and (now_published is None or now_published.path.resolve() != final_path.resolve()):
            final_path.unlink()
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return LoadResult(version, final_path, step.periods, step.replaced, changes, sorted(step.affected),
                      step.customer_count, checks, latest, 0.0, timings, step.model_seconds)


def _dates(values) -> str:
    """A SQL list of date literals (dates we computed, never user text)."""
    return "(" + ", ".join(f"date '{d.isoformat()}'" for d in values) + ")" if values else "(null::date)"


class Step:
    """The load's state on one connection: the copy (catalog `db`) and the drop (catalog `incoming`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db: str, say: Callable[..., None]):
        self.con, self.db, self.say = con, db, say
        self.loaded: dict[str, exports.Source] = {}
        self.periods: list[dt.date] = []
        self.replaced: list[dt.date] = []
        self.new_periods: list[dt.date] = []
        self.appended: list[dt.date] = []  # the drop's periods after every published one
        self.changed: dict[str, set[dt.date]] = {}  # table -> periods whose rows (or effects) the load changed
        self.computed: dict[str, set[dt.date]] = {}  # staging period model -> periods its temp table holds
        self.customer_count = 0
        self.counts_before: dict[str, int] = {}
        self.replaced_rows: dict[str, int] = {}
        self.model_seconds: dict[str, float] = {}

    def main(self, table: str) -> str:
        return f"{ident(self.db)}.main.{ident(table)}"

    # -------------------------------------------------------- validate the drop (the build's checks)

    def read_drop(self, sources: dict[str, Path], spill: Path) -> None:
        con, problems = self.con, Problems()
        con.execute("attach ':memory:' as incoming")
        con.execute("use incoming")
        try:
            order = [t for t in LOAD_ORDER if t in sources]
            for i, name in enumerate(order):
                path = sources[name]
                self.say(0.05 + 0.25 * i / len(order), "checking", file=path.name)
                if path.is_dir():
                    path = flatten_hive(con, name, path, spill / f"{name}.parquet", problems)
                    if path is None:
                        continue
                src = exports.open_source(con, TABLES[name], path, problems)
                if src is None or not exports.load(con, src, problems, allow_empty=True):
                    continue
                exports.check_table(con, src, problems)
                self.loaded[name] = src
        finally:
            con.execute(f"use {ident(self.db)}")
        if problems:
            raise ExportError(problems)

    # -------------------------------------------------------- periods: replaced, new, no gaps

    def plan_periods(self) -> None:
        con = self.con
        existing = [r[0] for r in con.execute(f"select distinct period from {self.main('bills')} order by 1"
                                              ).fetchall()]
        drop = [r[0] for r in con.execute("select distinct period from incoming.bills order by 1").fetchall()] \
            if "bills" in self.loaded else []
        problems = Problems()
        for table in ("payments", "service_requests"):
            if table not in self.loaded:
                continue
            outside = con.execute(f"select {PERIOD_OF[table]} as p, count(*) from incoming.{ident(table)} "
                                  f"where p not in {_dates(drop)} group by p order by p").fetchall()
            if outside:
                src = self.loaded[table]
                p, n = outside[0]
                column = "paid_on" if table == "payments" else "submitted_on"
                row, value = exports.locate(con, src, f"date_trunc('month', {column}) = $1", column, [p])
                problems.add(src.path.name, f"{value} is in {p:%m/%Y}, a period with no bills in this drop "
                                            f"({n:,} rows of {p:%m/%Y}" + (f" and {len(outside) - 1} more periods"
                                                                           if len(outside) > 1 else "")
                             + "): a drop holds whole periods, each with its bills", column=column, **src.at(row))
        if problems:
            raise ExportError(problems)
        self.periods = drop
        self.replaced = [p for p in drop if p in set(existing)]
        self.new_periods = [p for p in drop if p not in set(existing)]
        every = sorted(set(existing) | set(drop))
        if every:
            expected = _month_range(every[0], every[-1])
            missing = [p for p in expected if p not in set(every)]
            if missing:
                have = f"{existing[0]:%m/%Y}–{existing[-1]:%m/%Y}" if existing else "nothing"
                raise LoadError(f"the drop's periods ({', '.join(f'{p:%m/%Y}' for p in drop)}) leave a gap: "
                                f"{', '.join(f'{p:%m/%Y}' for p in missing)} is missing (the warehouse holds "
                                f"{have}); load {missing[0]:%m/%Y} first, or together with this drop")

    # -------------------------------------------------------- keys unique and references kept, after the merge

    def check_keys_and_references(self) -> None:
        con, problems = self.con, Problems()
        self.say(0.32, "references")
        # ids must not repeat ids already loaded outside the replaced periods
        for table in FACTS:
            if table not in self.loaded:
                continue
            src, key = self.loaded[table], TABLES[table].key
            # the published ids read only where the drop's ids are (a month's new ids: a few row groups)
            spans = exports.id_spans(con, f"incoming.{ident(table)}", key) if self.same_type(table, key) else None
            clash = con.execute(
                f"select d.{ident(key)}, m.p from incoming.{ident(table)} as d join "
                f"(select {ident(key)}, {PERIOD_OF[table]} as p from {self.main(table)} "
                f" where not {period_filter(table, self.replaced)}{f' and {spans}' if spans else ''}) as m "
                f"on {self.same(table, key, 'm', 'd')} limit 1").fetchall()
            if clash:
                value, period = clash[0]
                row, _ = exports.locate(con, src, f"{ident(key)}::varchar = $1::varchar", key, [value])
                problems.add(src.path.name, f"{key} {value!r} is already loaded for period {period:%m/%Y}: ids must "
                                            "be unique (a drop replaces whole periods; to correct a row, send its "
                                            "whole period again)", column=key, **src.at(row))
        for table, src in self.loaded.items():
            for ref in TABLES[table].references:
                self._reference(src, f"incoming.{ident(table)}", ref, problems)
        # rows already loaded that point at something the drop takes away
        for table in TABLES:
            for ref in TABLES[table].references:
                lost = self.lost(ref.table)
                if lost is None:
                    continue
                found = con.execute(
                    f"select t.{ident(ref.column)}, count(*) over () from {self.kept(table)} as t "
                    f"semi join ({lost}) as l on l.k::varchar = t.{ident(ref.column)}::varchar limit 1").fetchall()
                if found:
                    value, n = found[0]
                    problems.add(table, f"{n:,} rows already loaded refer to {ref.column} {value!r}, which the drop "
                                        f"removes from {ref.table}: send those rows again, or keep {value!r}",
                                 column=ref.column)
        if problems:
            raise ExportError(problems)

    def same_type(self, table: str, column: str) -> bool:
        """The published table's column and the drop's have one type."""
        types = {r[0] for r in self.con.execute(
            "select data_type from information_schema.columns where table_catalog in ($1, 'incoming') "
            "and table_schema = 'main' and table_name = $2 and column_name = $3", [self.db, table, column]).fetchall()}
        return len(types) <= 1

    def same(self, table: str, column: str, a: str, b: str) -> str:
        """a.column = b.column between the published table and the drop's; compared as text only when one side
        holds text ids and the other integers."""
        c = ident(column)
        return f"{a}.{c} = {b}.{c}" if self.same_type(table, column) else f"{a}.{c}::varchar = {b}.{c}::varchar"

    def kept(self, table: str) -> str:
        """Rows of the published table that the drop keeps."""
        if table in FACTS and table in self.loaded:
            return f"(select * from {self.main(table)} where not {period_filter(table, self.periods)})"
        if table == "customers" and table in self.loaded:
            return f"(select * from {self.main(table)} anti join incoming.customers using (customer_id))"
        if table in self.loaded:
            return "(select * from (select 1) where false)"
        return self.main(table)

    def lost(self, table: str) -> str | None:
        """SQL of the keys the drop removes from a table (as column k), or None when it removes none."""
        t = TABLES[table]
        if table not in self.loaded or table == "customers" or not t.key:
            return None
        if table in FACTS and not self.replaced:
            return None
        return (f"select {ident(t.key)} as k from {self.main(table)} "
                + (f"where {period_filter(table, self.replaced)} " if table in FACTS else "")
                + f"except select {ident(t.key)} from incoming.{ident(table)}")

    def _reference(self, src: exports.Source, relation: str, ref, problems: Problems) -> None:
        """Every value of the drop's column is found in the referenced table as it will be: first among the
        drop's own rows of that table, then among the published rows the drop keeps."""
        con = self.con
        c, target = ident(ref.column), ident(ref.target)
        where = f" where {ref.where}" if ref.where else ""
        types = {r[0] for r in con.execute(
            "select data_type from information_schema.columns where table_schema = 'main' and "
            "((table_catalog = 'incoming' and table_name = $1 and column_name = $2) or "
            "(table_catalog in ($3, 'incoming') and table_name = $4 and column_name = $5))",
            [src.table.name, ref.column, self.db, ref.table, ref.target]).fetchall()}
        eq = f"r.{target} = m.v" if len(types) <= 1 else f"r.{target}::varchar = m.v::varchar"
        missing = f"select t.{c} as v from {relation} t where t.{c} is not null"
        if ref.table in self.loaded:
            missing = (f"select m.v from ({missing}) m anti join (select {target} from incoming.{ident(ref.table)}"
                       f"{where}) r on {eq}")
        # the published rows read only where the values still missing are (zone maps skip the rest)
        spans = exports.id_spans(con, f"({missing})", "v", on=target) if len(types) <= 1 else None
        if spans:
            where = f" where ({ref.where}) and {spans}" if ref.where else f" where {spans}"
        missing = (f"select m.v from ({missing}) m anti join (select {target} from {self.kept(ref.table)} as k"
                   f"{where}) r on {eq}")
        first = con.execute(f"{missing} limit 1").fetchall()
        if not first:
            return
        n, example = con.execute(f"select count(*), min(v) from ({missing})").fetchall()[0]
        con.execute("use incoming")
        try:
            row, _ = exports.locate(con, src, f"{c} = $1", ref.column, [example])
        finally:
            con.execute(f"use {ident(self.db)}")
        where_from = (f"{self.loaded[ref.table].path.name} or the published {ref.table}" if ref.table in self.loaded
                      else f"the published {ref.table}")
        what = f"a known {ref.target} in {where_from}"
        if ref.where:
            what += f" ({ref.where})"
        problems.add(src.path.name, f"{exports._plain(example)!r} is not {what}{exports.more(n)}",
                     column=ref.column, **src.at(row))

    # -------------------------------------------------------- apply the drop to the raw tables

    def apply(self) -> None:
        con = self.con
        self.say(0.4, "applying")
        self.counts_before = {t: con.execute(f"select count(*) from {self.main(t)}").fetchall()[0][0] for t in TABLES}
        self._customers_changed()
        self._open_estimate_customers()
        for table in LOAD_ORDER:
            if table not in self.loaded:
                continue
            if table in FACTS:
                n = con.execute(f"delete from {self.main(table)} where "
                                f"{period_filter(table, self.periods)}").fetchall()[0][0]
                self._align_types(table)
                con.execute(f"insert into {self.main(table)} by name select * from incoming.{ident(table)}")
            elif table == "customers":
                n = con.execute(f"delete from {self.main(table)} where customer_id in "
                                "(select customer_id from incoming.customers)").fetchall()[0][0]
                con.execute(f"insert into {self.main(table)} by name select * from incoming.customers")
            else:
                n = self.counts_before[table]
                con.execute(f"create or replace table {self.main(table)} as select * from incoming.{ident(table)}")
            self.replaced_rows[table] = n

    def _align_types(self, table: str) -> None:
        """An id column loaded as integers before and as text now (codes) becomes text in the warehouse."""
        con = self.con
        for col in TABLES[table].columns:
            new = con.execute("select data_type from information_schema.columns where table_catalog = 'incoming' "
                              "and table_name = $1 and column_name = $2", [table, col.name]).fetchall()
            old = con.execute("select data_type from information_schema.columns where table_catalog = $1 "
                              "and table_name = $2 and column_name = $3", [self.db, table, col.name]).fetchall()
            if new and old and new[0][0] == "VARCHAR" and old[0][0] != "VARCHAR":
                con.execute(f"alter table {self.main(table)} alter {ident(col.name)} type varchar")

    def _customers_changed(self) -> None:
        """Customers new or changed by the drop: those whose trueups may move (a branch move), and the periods
        their changed dates reach (their counts from that month on)."""
        con = self.con
        con.execute("create or replace temp table load_customers (customer_id varchar primary key)")
        # of those, the ones recomputed from their whole history (see models.py, final_when)
        con.execute("create or replace temp table load_full (customer_id varchar primary key)")
        if "customers" not in self.loaded:
            return
        first_change = ", ".join(f"if(o.{d} is distinct from n.{d}, least(o.{d}, n.{d}), null)" for d in CUSTOMER_DATES)
        old_row = ", ".join(f"o.{d}" for d in CUSTOMER_DATES)
        new_row = ", ".join(f"n.{d}" for d in CUSTOMER_DATES)
        changed = con.execute(
            "select n.customer_id, o.customer_id is null as is_new, o.branch_code is distinct from n.branch_code, "
            f"least({first_change}), least(o.connected_on, n.connected_on), "
            "o.customer_type is distinct from n.customer_type "
            f"from incoming.customers as n left join {self.main('customers')} as o using (customer_id) "
            f"where o.customer_id is null or (o.branch_code, o.customer_type, {old_row}) "
            f"is distinct from (n.branch_code, n.customer_type, {new_row})"
        ).fetchall()
        moved, starts = [], []
        for customer_id, is_new, branch_moved, first_date, connected, other in changed:
            if is_new:
                starts.append(first_date)  # counted from its first date on
            else:
                starts.append(connected if branch_moved or other else first_date)
                if branch_moved:
                    moved.append(customer_id)
        starts = [d for d in starts if d is not None]
        last = self.last_period()
        if starts and last is not None:  # each change moves its customer's counts from that month on
            self.changed["customers"] = set(_month_range(max(_month(min(starts)), self.first_period()), last))
        if moved:
            con.executemany("insert or ignore into load_customers values (?)", [(c,) for c in moved])
            con.execute("insert or ignore into load_full from load_customers")

    def first_period(self) -> dt.date:
        return min([self.con.execute(f"select min(period) from {self.main('bills')}").fetchall()[0][0]]
                   + self.periods)

    def last_period(self) -> dt.date | None:
        found = self.con.execute(f"select max(period) from {self.main('bills')}").fetchall()[0][0]
        return max([p for p in [found, *self.periods] if p is not None], default=None)

    def _open_estimate_customers(self) -> None:
        """Customers whose true-ups the drop can move (see the module's docstring)."""
        con = self.con
        if "bills" not in self.loaded:
            return
        published_last = self.con.execute(f"select max(period) from {self.main('bills')}").fetchall()[0][0]
        appended = [p for p in self.periods if published_last is None or p > published_last]
        self.appended = appended
        rewritten = _dates([p for p in self.periods if p not in appended])
        if rewritten != _dates([]):
            # a replaced (or earlier) period: the customers whose bills there differ
            con.execute(
                "insert or ignore into load_full select distinct customer_id from ("
                f"(select * from {self.main('bills')} where period in {rewritten} "
                f" except all select * from incoming.bills where period in {rewritten}) union all "
                f"(select * from incoming.bills where period in {rewritten} "
                f" except all select * from {self.main('bills')} where period in {rewritten}))")
            con.execute("insert or ignore into load_customers from load_full")
        if appended:
            # bills after all of a customer's bills: only new estimates and estimates still open can move
            new = _dates(appended)
            con.execute(
                "insert or ignore into load_customers "
                f"select distinct customer_id from incoming.bills where period in {new} and read_method = 'estimated' "
                "union select customer_id from ("
                f" select distinct customer_id from {self.main('estimate_trueups')} where not is_trued_up) "
                f" semi join (select customer_id from incoming.bills where period in {new}) using (customer_id)")
        # the raw tables changed in the drop's periods
        for table in FACTS:
            if table in self.loaded:
                self.changed[table] = set(self.periods)

    # -------------------------------------------------------- recompute what the drop can change

    @property
    def affected(self) -> set[dt.date]:
        return set().union(*self.changed.values()) if self.changed else set()

    def transform(self, plan_models: list[Model]) -> None:
        """Each model in order, recomputed for what its inputs changed (see the module's docstring)."""
        con = self.con
        self.customer_count = con.execute("select count(*) from load_customers").fetchall()[0][0]
        first, last = self.first_period(), self.last_period()
        for table in REFERENCE:
            if table in self.loaded:  # a branch, a channel's online flag, a target: every period
                self.changed[table] = set(_month_range(first, last))
        self.by_name = {m.name: m for m in plan_models}
        self.period_tables = self._period_columns()
        for i, model in enumerate(plan_models):
            self.say(0.45 + 0.38 * i / len(plan_models), "model", model=model.name)
            inputs = set().union(*(self.changed.get(t, set()) for t in model.reads))
            tick = time.perf_counter()
            try:
                if model.incremental == "full":
                    self._full(model, inputs, first, last)
                elif model.incremental == "customer_id":
                    self._by_customer(model)
                elif model.is_staging:
                    self._ensure(model, inputs)
                    self.changed[model.name] = inputs
                elif inputs:
                    self._run_period(model, inputs)
                    self.changed[model.name] = inputs
            except duckdb.Error as exc:
                raise ModelError([models.Problem(model.shown, str(exc).strip().splitlines()[0])]) from exc
            self.model_seconds[model.name] = time.perf_counter() - tick

    def _full(self, model: Model, inputs: set[dt.date], first: dt.date, last: dt.date) -> None:
        """Recompute all of it; its rows may change from the first changed period on (forward in time)."""
        if not model.is_staging and not inputs:
            return  # nothing it reads changed
        kind = "temp table" if model.is_staging else "table"
        target = ident(model.name) if model.is_staging else self.main(model.name)
        self.con.execute(f"create or replace {kind} {target} as {model.sql}")
        if inputs:
            self.changed[model.name] = set(_month_range(max(min(inputs), first), last))

    def _period_columns(self) -> set[str]:
        """Tables of the warehouse with a period column (models), besides the facts' PERIOD_OF."""
        rows = self.con.execute("select table_name from information_schema.columns where table_catalog = $1 "
                                "and table_schema = 'main' and column_name = 'period'", [self.db]).fetchall()
        return {r[0] for r in rows}

    @contextmanager
    def _shadowed(self, inputs: dict[str, str], kind: str = "view"):
        """Temp views named like the inputs (`inputs`: table -> the SELECT of the rows chosen; the model's SQL is
        unchanged); temp tables (`kind="table"`) when the model reads an input several times and the rows are
        few among many (a few customers' bills: one scan of the bills, not one per read)."""
        try:
            for table, select in inputs.items():
                self.con.execute(f"create or replace temp {kind} {ident(table)} as {select}")
            yield
        finally:
            for table in inputs:
                self.con.execute(f"drop {kind} if exists temp.main.{ident(table)}")

    def _by_customer(self, model: Model) -> None:
        con = self.con
        if self.customer_count == 0:
            return
        chosen = "customer_id in (select customer_id from load_customers)"
        # a semi join reads 192 M bills' customer ids 1.3x faster than `in (select ...)`
        inputs = {t: f"select * from {self.main(t)} semi join load_customers using (customer_id)"
                  for t in model.reads if t in TABLES and "customer_id" in TABLES[t].column_names}
        redone = chosen  # the model's rows recomputed
        fact = self._fact_of(model)
        if fact is not None:
            # only appended months: a customer's final rows stay; its open rows are redone from their own facts
            # and the new months' (models.py, final_when)
            redone = (f"{chosen} and (not {ident(model.final_when)} or "
                      "customer_id in (select customer_id from load_full))")
            inputs[fact] = self._open_facts(model, fact)
        with self._shadowed(inputs, kind="table"):
            con.execute(f"create or replace temp table load_new as select * from ({model.sql}) where {chosen}")
        con.execute(f"create or replace temp table load_old as select * from {self.main(model.name)} where {redone}")
        if "period" in [r[0] for r in con.execute("describe load_new").fetchall()]:
            moved = con.execute("select distinct period from ((from load_old except all from load_new) "
                                "union all (from load_new except all from load_old))").fetchall()
            self.changed[model.name] = {r[0] for r in moved if r[0] is not None}
        con.execute(f"delete from {self.main(model.name)} where {redone}")
        self._widen(model.name)
        con.execute(f"insert into {self.main(model.name)} by name from load_new")
        con.execute("drop table load_new")
        con.execute("drop table load_old")

    def _fact_of(self, model: Model) -> str | None:
        """The fact table a `final_when` model's rows are keyed by, when this load can use the claim (it only
        appends months); else None."""
        if not model.final_when or not self.appended or set(self.periods) != set(self.appended):
            return None
        facts = [t for t in model.reads if t in FACTS and TABLES[t].key == model.unique_key[0]]
        return facts[0] if len(facts) == 1 else None

    def _open_facts(self, model: Model, fact: str) -> str:
        """The facts a `final_when` model needs for the chosen customers: the new months' facts, the facts of
        their open rows, and every fact of the customers recomputed whole. Each part reads few row groups (the
        open rows' keys as ranges: zone maps skip the rest), and no part repeats another's rows."""
        con, key = self.con, ident(model.unique_key[0])
        partly = "customer_id in (select customer_id from load_customers except select customer_id from load_full)"
        kind = con.execute(f"describe select {key} from {self.main(fact)}").fetchall()[0][1]  # ids may now be text
        con.execute(f"create or replace temp table load_open as select {key}::{kind} as {key} "
                    f"from {self.main(model.name)} where not {ident(model.final_when)} and {partly}")
        new = period_filter(fact, self.appended)
        parts = [f"select * from {self.main(fact)} where {new} and {partly}"]
        if con.execute("select count(*) from load_open").fetchall()[0][0]:
            spans = exports.id_spans(con, "load_open", model.unique_key[0])
            parts.append(f"select * from {self.main(fact)} where {spans or 'true'} and not {new} and "
                         f"{key} in (select {key} from load_open)")
        if con.execute("select count(*) from load_full").fetchall()[0][0]:
            parts.append(f"select * from {self.main(fact)} semi join load_full using (customer_id)")
        return " union all ".join(parts)

    def _staging_period(self, name: str) -> bool:
        model = self.by_name.get(name)
        return model is not None and model.is_staging and model.incremental == "period"

    def _ensure(self, model: Model, periods: set[dt.date]) -> None:
        """A staging period model's temp table holds at least these periods (it exists, maybe empty)."""
        missing = set(periods) - self.computed.get(model.name, set())
        if missing or model.name not in self.computed:
            self._run_period(model, missing)

    def _run_period(self, model: Model, periods: set[dt.date]) -> None:
        con = self.con
        for table in model.reads:
            if self._staging_period(table):
                self._ensure(self.by_name[table], periods)
        chosen = f"period in {_dates(sorted(periods))}"
        inputs = {}
        for table in model.reads:
            if table in PERIOD_OF:
                inputs[table] = f"select * from {self.main(table)} where {period_filter(table, periods)}"
            elif table in self.period_tables and not self._staging_period(table):
                inputs[table] = f"select * from {self.main(table)} where {chosen}"
        select = f"select * from ({model.sql}) where {chosen}"
        with self._shadowed(inputs):
            if model.is_staging:
                if model.name in self.computed:
                    con.execute(f"insert into {ident(model.name)} by name {select}")
                else:
                    con.execute(f"create or replace temp table {ident(model.name)} as {select}")
                self.computed.setdefault(model.name, set()).update(periods)
                return
            con.execute(f"create or replace temp table load_new as {select}")
        con.execute(f"delete from {self.main(model.name)} where {chosen}")
        self._widen(model.name)
        con.execute(f"insert into {self.main(model.name)} by name from load_new")
        con.execute("drop table load_new")

    def _widen(self, table: str) -> None:
        """A model column that now comes out as text (ids that became codes) becomes text in the table."""
        new = dict(self.con.execute("select column_name, column_type from (describe load_new)").fetchall())
        old = dict(self.con.execute("select column_name, data_type from information_schema.columns where "
                                    "table_catalog = $1 and table_schema = 'main' and table_name = $2",
                                    [self.db, table]).fetchall())
        for column, kind in new.items():
            if kind == "VARCHAR" and old.get(column) not in (None, "VARCHAR"):
                self.con.execute(f"alter table {self.main(table)} alter {ident(column)} type varchar")

    # -------------------------------------------------------- test, record, publish

    def test(self, plan_models: list[Model]) -> None:
        problems = Problems()
        build.check_targets(self.con, self.loaded, problems)
        if problems:
            raise ExportError(problems)
        failed = models.run_tests(self.con, plan_models)
        if failed:
            raise DataTestError(failed)

    def changes(self) -> dict[str, dict[str, int]]:
        out = {}
        for table in TABLES:
            rows = self.con.execute(f"select count(*) from {self.main(table)}").fetchall()[0][0]
            if table in self.loaded:
                new = self.con.execute(f"select count(*) from incoming.{ident(table)}").fetchall()[0][0]
                replaced = self.replaced_rows.get(table, 0)
                out[table] = {"added": new, "replaced": replaced, "rows": rows}
        return out

    def write_version(self, version: str, source_dir: Path, files: list[dict], changes: dict, checks, who: str):
        con = self.con
        row_counts = {name: con.execute(f"select count(*) from {self.main(name)}").fetchall()[0][0]
                      for name in LOAD_ORDER}
        first_period, latest = con.execute(f"select min(period), max(period) from {self.main('bills')}"
                                           ).fetchall()[0]
        previous = con.execute(f"select version from {self.main('data_version')}").fetchall()
        con.execute(f"drop table {self.main('data_version')}")
        build.write_data_version(
            con, version=version, source_dir=source_dir, files=files, row_counts=row_counts,
            first_period=first_period, latest_period=latest, kind="load", loaded_by=who,
            based_on=previous[0][0] if previous else None, changes=changes,
            checks=[asdict(c) for c in checks], table=self.main("data_version"))
        return latest


def period_filter(table: str, periods) -> str:
    """SQL choosing a fact table's rows of these periods. Payments and requests by a range of their date (one
    range per run of consecutive months), which DuckDB answers from its min/max index without computing the
    month of every row."""
    periods = sorted(periods)
    if not periods:
        return "false"
    if table == "bills":
        return f"period in {_dates(periods)}"
    column = {"payments": "paid_on", "service_requests": "submitted_on"}[table]
    runs, start, prev = [], periods[0], periods[0]
    for p in periods[1:] + [None]:
        if p is not None and p == _next(prev):
            prev = p
            continue
        runs.append(f"({column} >= date '{start.isoformat()}' and {column} < date '{_next(prev).isoformat()}')")
        if p is not None:
            start = prev = p
    return "(" + " or ".join(runs) + ")"


def _next(month: dt.date) -> dt.date:
    return dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_range(first: dt.date, last: dt.date | None) -> list[dt.date]:
    if last is None:
        return []
    out, p = [], _month(first)
    while p <= last:
        out.append(p)
        p = dt.date(p.year + (p.month == 12), p.month % 12 + 1, 1)
    return out
