"""The build, in stages: validate → load → transform → test → publish.

* validate: settings, the export files and the model files are checked; nothing is written yet.
* load: the raw tables are loaded into a new warehouse file and checked against the export contract.
* transform: the models of queries/models/ run in dependency order (dashboard/models.py).
* test: targets name known KPIs, and every data test declared in a model header passes.
* publish: data_version is written, the file renamed into place and the CURRENT pointer replaced.

The published warehouse is never written: the build writes `<version>.building-<pid>` beside it, renames it
when complete and only then replaces the CURRENT pointer. A failed or killed build leaves both untouched.
Each stage is a plain function of a small context object; `Stages` lets a caller swap one (an incremental
transform, another engine) while build() keeps the order and the guarantees.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dashboard import audit, config, exports, models, monthcheck, warehouse
from dashboard.config import SettingError
from dashboard.contract import LOAD_ORDER, TABLES
from dashboard.exports import ExportError, Problems, ident
from dashboard.models import DataTestError, Model, ModelError

__all__ = ["build", "BuildResult", "BuildSettings", "Plan", "Work", "Stages", "ExportError", "ModelError",
           "DataTestError", "SettingError"]

Progress = Callable[[float, str], None]


@dataclass
class BuildResult:
    version: str
    path: Path
    row_counts: dict[str, int]
    latest_period: dt.date | None
    seconds: float
    files: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class BuildSettings:
    """Every setting the build reads, checked before anything is written."""
    keep: int  # versions kept after publishing (DASHBOARD_KEEP_VERSIONS or the keep argument)
    memory_limit: str  # DuckDB memory_limit (DASHBOARD_BUILD_MEMORY)
    threads: int  # DuckDB threads, 0 for all cores (DASHBOARD_BUILD_THREADS)


@dataclass(frozen=True)
class Plan:
    """What validate found; nothing is written until the plan is complete."""
    source_dir: Path
    data_dir: Path
    settings: BuildSettings
    sources: dict[str, Path]  # table -> export file
    models: list[Model]  # in dependency order


@dataclass
class Work:
    """The warehouse file being built, shared by the stages after validate."""
    plan: Plan
    con: duckdb.DuckDBPyConnection
    version: str
    path: Path  # the file being written: <version>.duckdb.building-<pid>
    final_path: Path  # where it goes when complete
    progress: Progress
    checksums: dict[str, Future] = field(default_factory=dict)  # table -> sha256 of its export (computed aside)
    loaded: dict[str, exports.Source] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    latest_period: dt.date | None = None
    files: list[dict] = field(default_factory=list)


def quiet(_fraction: float, _message: str) -> None:
    pass


# ---------------------------------------------------------------- validate


def read_settings(keep: int | None = None) -> BuildSettings:
    """The build's settings, each checked; SettingError names the setting and says what it accepts."""
    if keep is None:
        keep = config.int_setting("DASHBOARD_KEEP_VERSIONS")
        if keep < 1:
            raise SettingError(f"DASHBOARD_KEEP_VERSIONS={config.setting('DASHBOARD_KEEP_VERSIONS')!r} must be 1 "
                               "or more (the published version is always kept; default "
                               f"{config.SETTINGS['DASHBOARD_KEEP_VERSIONS'][0]})")
    elif keep < 1:
        raise SettingError(f"keep={keep} must be 1 or more (versions to keep: --keep or DASHBOARD_KEEP_VERSIONS)")
    threads = config.int_setting("DASHBOARD_BUILD_THREADS")
    if threads < 0:
        raise SettingError(f"DASHBOARD_BUILD_THREADS={config.setting('DASHBOARD_BUILD_THREADS')!r} must be 0 or "
                           "more (0 means all cores)")
    memory = config.setting("DASHBOARD_BUILD_MEMORY")
    try:  # DuckDB itself says whether it understands the size; an in-memory database writes nothing
        duckdb.connect(":memory:", config={"memory_limit": memory}).close()
    except duckdb.Error as exc:
        raise SettingError(f"DASHBOARD_BUILD_MEMORY={memory!r} is not a memory size DuckDB accepts "
                           f"({exports.first_line(exc)}): write e.g. 16GB or 8GiB (default "
                           f"{config.SETTINGS['DASHBOARD_BUILD_MEMORY'][0]})") from None
    return BuildSettings(keep=keep, memory_limit=memory, threads=threads)


def validate(source_dir: Path, data_dir: Path | None = None, keep: int | None = None,
             models_dir: Path | None = None) -> Plan:
    """Check the settings, find the export files and read the models. Raises SettingError, ExportError or
    ModelError; writes nothing."""
    settings = read_settings(keep)
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    problems = Problems()
    sources = exports.find_sources(Path(source_dir), problems)
    if problems:
        raise ExportError(problems)
    return Plan(Path(source_dir), data_dir, settings, sources, models.load(models_dir))


# ---------------------------------------------------------------- load


def load(work: Work) -> None:
    """Load every raw table and check it against the contract; ExportError lists every problem."""
    con, sources, problems = work.con, work.plan.sources, Problems()
    sizes = {name: max(path.stat().st_size, 1) for name, path in sources.items()}
    total, done = sum(sizes.values()), 0
    for name in LOAD_ORDER:
        path = sources[name]
        work.progress(0.05 + 0.45 * done / total, f"loading {path.name}")
        done += sizes[name]
        src = exports.open_source(con, TABLES[name], path, problems)
        if src is None or not exports.load(con, src, problems):
            continue
        exports.check_table(con, src, problems)
        work.loaded[name] = src
    work.progress(0.5, "checking references between tables")
    exports.check_references(con, work.loaded, problems)
    if problems:
        raise ExportError(problems)


# ---------------------------------------------------------------- transform


def transform(work: Work) -> None:
    """Run every model in dependency order; ModelError names the model that failed."""
    models.run(work.con, work.plan.models, work.progress, 0.55, 0.37)


# ---------------------------------------------------------------- test


def test(work: Work) -> None:
    """Targets must name KPIs of the kpis model (ExportError); every declared data test must pass
    (DataTestError, naming the model, the test and offending rows)."""
    work.progress(0.92, "testing the models")
    problems = Problems()
    check_targets(work.con, work.loaded, problems)
    if problems:
        raise ExportError(problems)
    failed = models.run_tests(work.con, work.plan.models)
    if failed:
        raise DataTestError(failed)


def check_targets(con, loaded, problems: Problems) -> None:
    if "targets" not in loaded:
        return
    unknown = con.execute("select distinct t.kpi from targets t anti join kpis k on k.kpi = t.kpi "
                          "order by 1 limit 5").fetchall()
    if unknown:
        names = ", ".join(repr(u[0]) for u in unknown)
        known = ", ".join(r[0] for r in con.execute("select kpi from kpis order by sort_order").fetchall())
        problems.add(loaded["targets"].path.name, f"{names} is not a KPI in queries/models/kpis.sql "
                                                  f"(known: {known})", column="kpi")


# ---------------------------------------------------------------- publish


def publish(work: Work) -> None:
    """Record data_version, close and rename the file, then point CURRENT at it and prune old versions."""
    con, plan = work.con, work.plan
    work.progress(0.95, "writing data_version")
    work.row_counts = {name: con.execute(f"select count(*) from {ident(name)}").fetchall()[0][0]
                       for name in LOAD_ORDER}
    first_period, work.latest_period = con.execute("select min(period), max(period) from bills").fetchall()[0]
    files = [{"table": n, "file": plan.sources[n].name, "bytes": plan.sources[n].stat().st_size,
              "sha256": work.checksums[n].result(), "rows": work.row_counts[n]} for n in LOAD_ORDER]
    work.files = files
    write_data_version(con, version=work.version, source_dir=plan.source_dir, files=files,
                       row_counts=work.row_counts, first_period=first_period, latest_period=work.latest_period)
    monthcheck.create_table(con)  # a full build marks nothing provisional; loads do
    con.execute("checkpoint")
    con.close()
    os.replace(work.path, work.final_path)
    work.progress(0.99, "publishing")
    warehouse.publish(work.final_path, plan.data_dir, plan.settings.keep)


def write_data_version(con, *, version: str, source_dir: Path, files: list[dict], row_counts: dict,
                       first_period, latest_period, kind: str = "build", loaded_by: str | None = None,
                       based_on: str | None = None, changes: dict | None = None, checks: list | None = None,
                       table: str = "data_version") -> None:
    """The one-row data_version table: what this version is, where it came from and what a load changed."""
    built_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    con.execute(
        f"create table {table} as select $version as version, $built_at::timestamp as built_at, "
        "$source_dir as source_dir, $files::json as source_files, $row_counts::json as row_counts, "
        "$first_period::date as first_period, $latest_period::date as latest_period, $kind as kind, "
        "$loaded_by as loaded_by, $based_on as based_on, $changes::json as changes, $checks::json as checks",
        {"version": version, "built_at": built_at, "source_dir": str(Path(source_dir).resolve()),
         "files": json.dumps(files, ensure_ascii=False), "row_counts": json.dumps(row_counts),
         "first_period": first_period, "latest_period": latest_period, "kind": kind,
         "loaded_by": loaded_by or audit.user(), "based_on": based_on,
         "changes": json.dumps(changes or {}, ensure_ascii=False),
         "checks": json.dumps(checks or [], ensure_ascii=False, default=str)})


@dataclass(frozen=True)
class Stages:
    """The stages build() runs, in this order; replace one to change how that step is done."""
    validate: Callable[[Path, Path | None, int | None, Path | None], Plan] = validate
    load: Callable[[Work], None] = load
    transform: Callable[[Work], None] = transform
    test: Callable[[Work], None] = test
    publish: Callable[[Work], None] = publish


# ---------------------------------------------------------------- the build


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def new_version() -> str:
    """Sortable by build time: the suffix is the microsecond in hex, so two builds in one second still order."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + f"-{now.microsecond:06x}"


def clean_stale(data_dir: Path) -> None:
    """Remove leftovers of killed builds (their process is gone)."""
    folder = data_dir / warehouse.WAREHOUSE_SUBDIR
    for path in folder.glob("*.building-*"):
        pid = path.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            Path(str(path) + ".wal").unlink(missing_ok=True)
    tmp = data_dir / "tmp"
    if tmp.is_dir():
        for sub in tmp.iterdir():
            if sub.name.isdigit() and not _alive(int(sub.name)):
                shutil.rmtree(sub, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def build(source_dir: Path, data_dir: Path | None = None, progress: Progress = quiet,
          keep: int | None = None, models_dir: Path | None = None, stages: Stages | None = None) -> BuildResult:
    """Validate, load, transform, test and publish. Raises SettingError (nothing written), ExportError (with
    every problem found), ModelError or DataTestError; in every case nothing published changes."""
    stages = stages or Stages()
    started = time.perf_counter()
    progress(0.0, f"reading {source_dir}")
    audit_dir = Path(data_dir) if data_dir else config.data_dir()
    try:
        result = _build(source_dir, data_dir, progress, keep, models_dir, stages, started)
    except SettingError:
        raise  # the build did not start: nothing is written, not even to the audit log
    except BaseException as exc:
        audit.write(audit_dir, kind="build", source=str(source_dir), ok=False,
                    seconds=time.perf_counter() - started,
                    error="interrupted" if isinstance(exc, KeyboardInterrupt) else (str(exc) or type(exc).__name__))
        raise
    audit.write(audit_dir, kind="build", source=str(source_dir), ok=True, seconds=result.seconds,
                version=result.version, files=result.files, row_counts=result.row_counts)
    return result


def _build(source_dir, data_dir, progress, keep, models_dir, stages, started) -> BuildResult:
    plan = stages.validate(Path(source_dir), data_dir, keep, models_dir)

    plan.data_dir.mkdir(parents=True, exist_ok=True)
    clean_stale(plan.data_dir)
    version = new_version()
    final_path = warehouse.new_version_path(version, plan.data_dir)
    building = final_path.with_name(f"{final_path.name}.building-{os.getpid()}")
    spill = plan.data_dir / "tmp" / str(os.getpid())
    spill.mkdir(parents=True, exist_ok=True)
    duckdb_settings = {"memory_limit": plan.settings.memory_limit, "temp_directory": str(spill)}
    if plan.settings.threads > 0:
        duckdb_settings["threads"] = plan.settings.threads
    hashing = ThreadPoolExecutor(max_workers=1)
    con = None
    try:
        checksums = {name: hashing.submit(sha256, path) for name, path in plan.sources.items()}
        con = duckdb.connect(str(building), config=duckdb_settings)
        work = Work(plan, con, version, building, final_path, progress, checksums)
        stages.load(work)
        stages.transform(work)
        stages.test(work)
        stages.publish(work)
    except BaseException:
        if con is not None:
            con.close()
        building.unlink(missing_ok=True)
        Path(str(building) + ".wal").unlink(missing_ok=True)
        published = warehouse.current(plan.data_dir)
        if final_path.exists() and (published is None or published.path.resolve() != final_path.resolve()):
            final_path.unlink()  # renamed but never published: not a version anyone saw
        raise
    finally:
        hashing.shutdown(wait=True)
        shutil.rmtree(spill, ignore_errors=True)
    progress(1.0, "done")
    return BuildResult(version, final_path, work.row_counts, work.latest_period, time.perf_counter() - started,
                       work.files)
