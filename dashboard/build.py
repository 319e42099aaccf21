"""The build (`python -m dashboard build --source DIR`, parsed in dashboard/cli.py): validate the exports, load
the raw tables, run the models in queries/models/ (dashboard/models.py) and their data tests, write a new
warehouse file and publish it atomically.

The published warehouse is never written: the build writes `<version>.building-<pid>` beside it, renames it
when complete and only then replaces the CURRENT pointer. A failed or killed build leaves both untouched.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb

from dashboard import config, models, warehouse
from dashboard.contract import LOAD_ORDER, TABLES
from dashboard.exports import (ExportError, Problems, check_references, check_table, find_sources, ident, load,
                               open_source)
from dashboard.models import DataTestError, ModelError

Progress = Callable[[float, str], None]
__all__ = ["build", "BuildResult", "ExportError", "ModelError", "DataTestError"]


@dataclass
class BuildResult:
    version: str
    path: Path
    row_counts: dict[str, int]
    latest_period: dt.date | None
    seconds: float


# ---------------------------------------------------------------- the build


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def new_version() -> str:
    """Sortable by build time: the suffix is the microsecond in hex, so two builds in one second still order."""
    now = dt.datetime.now(dt.timezone.utc)
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


def quiet(_fraction: float, _message: str) -> None:
    pass


def build(source_dir: Path, data_dir: Path | None = None, progress: Progress = quiet,
          keep: int | None = None, models_dir: Path | None = None) -> BuildResult:
    """Validate, load, model, test and publish. Raises ExportError (with every problem found), ModelError or
    DataTestError; in every case nothing published changes."""
    started = time.perf_counter()
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    clean_stale(data_dir)
    problems = Problems()
    progress(0.0, f"reading {source_dir}")
    sources = find_sources(Path(source_dir), problems)
    if problems:
        raise ExportError(problems)
    ordered = models.load(models_dir)

    version = new_version()
    final_path = warehouse.new_version_path(version, data_dir)
    building = final_path.with_name(f"{final_path.name}.building-{os.getpid()}")
    spill = data_dir / "tmp" / str(os.getpid())
    spill.mkdir(parents=True, exist_ok=True)
    threads = config.int_setting("DASHBOARD_BUILD_THREADS")
    settings = {"memory_limit": config.setting("DASHBOARD_BUILD_MEMORY"), "temp_directory": str(spill)}
    if threads > 0:
        settings["threads"] = threads
    hashing = ThreadPoolExecutor(max_workers=1)
    checksums = {name: hashing.submit(sha256, path) for name, path in sources.items()}
    con = duckdb.connect(str(building), config=settings)
    try:
        loaded = {}
        sizes = {name: max(path.stat().st_size, 1) for name, path in sources.items()}
        total, done = sum(sizes.values()), 0
        for name in LOAD_ORDER:
            path = sources[name]
            progress(0.05 + 0.45 * done / total, f"loading {path.name}")
            done += sizes[name]
            src = open_source(con, TABLES[name], path, problems)
            if src is None or not load(con, src, problems):
                continue
            check_table(con, src, problems)
            loaded[name] = src
        progress(0.5, "checking references between tables")
        check_references(con, loaded, problems)
        if problems:
            raise ExportError(problems)
        models.run(con, ordered, progress, 0.55, 0.37)
        progress(0.92, "testing the models")
        check_targets(con, loaded, problems)
        if problems:
            raise ExportError(problems)
        failed = models.run_tests(con, ordered)
        if failed:
            raise DataTestError(failed)
        progress(0.95, "writing data_version")
        row_counts = {name: con.execute(f"select count(*) from {ident(name)}").fetchall()[0][0] for name in LOAD_ORDER}
        first_period, latest_period = con.execute("select min(period), max(period) from bills").fetchall()[0]
        files = [{"table": n, "file": sources[n].name, "bytes": sources[n].stat().st_size,
                  "sha256": checksums[n].result(), "rows": row_counts[n]} for n in LOAD_ORDER]
        built_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        con.execute(
            "create table data_version as select $version as version, $built_at::timestamp as built_at, "
            "$source_dir as source_dir, $files::json as source_files, $row_counts::json as row_counts, "
            "$first_period::date as first_period, $latest_period::date as latest_period",
            {"version": version, "built_at": built_at, "source_dir": str(Path(source_dir).resolve()),
             "files": json.dumps(files, ensure_ascii=False), "row_counts": json.dumps(row_counts),
             "first_period": first_period, "latest_period": latest_period})
        con.execute("checkpoint")
        con.close()
        os.replace(building, final_path)
        progress(0.99, "publishing")
        warehouse.publish(final_path, data_dir, keep)
    except BaseException:
        con.close()
        building.unlink(missing_ok=True)
        Path(str(building) + ".wal").unlink(missing_ok=True)
        raise
    finally:
        hashing.shutdown(wait=True)
        shutil.rmtree(spill, ignore_errors=True)
    progress(1.0, "done")
    return BuildResult(version, final_path, row_counts, latest_period, time.perf_counter() - started)


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
