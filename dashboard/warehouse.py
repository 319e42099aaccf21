"""Published warehouse versions: the CURRENT pointer (a contract), kept versions, and the one way to open a
reader (read-only, locked down: the pages, `check` and the SQL sandbox all open the warehouse through connect).

`<data dir>/CURRENT` holds one line: the published warehouse file's path relative to the data
directory. The build is the only writer; it publishes by replacing CURRENT atomically.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dashboard import config
from dashboard.contract import VERSION_RE

POINTER = "CURRENT"
WAREHOUSE_SUBDIR = "warehouse"


@dataclass(frozen=True)
class Published:
    version: str
    path: Path


def _dir(data_dir: Path | None) -> Path:
    return Path(data_dir) if data_dir is not None else config.data_dir()


def version_of(path: Path) -> str:
    return Path(path).stem


def current(data_dir: Path | None = None) -> Published | None:
    """The published warehouse, or None when nothing is published (or the pointer is dangling)."""
    root = _dir(data_dir)
    try:
        rel = (root / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = root / rel
    if not rel or not path.is_file():
        return None
    return Published(version_of(path), path)


def kept_versions(data_dir: Path | None = None) -> list[str]:
    """Version ids of the warehouse files kept on disk, newest first."""
    folder = _dir(data_dir) / WAREHOUSE_SUBDIR
    if not folder.is_dir():
        return []
    names = [p.stem for p in folder.glob("*.duckdb") if VERSION_RE.match(p.stem)]
    return sorted(names, reverse=True)


def version_path(version: str, data_dir: Path | None = None) -> Path | None:
    """The file of a kept version; None for an unknown or malformed id (never a path outside the folder)."""
    if not isinstance(version, str) or not VERSION_RE.match(version):
        return None
    path = _dir(data_dir) / WAREHOUSE_SUBDIR / f"{version}.duckdb"
    return path if path.is_file() else None


def new_version_path(version: str, data_dir: Path | None = None) -> Path:
    folder = _dir(data_dir) / WAREHOUSE_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{version}.duckdb"


def publish(path: Path, data_dir: Path | None = None, keep: int | None = None) -> Published:
    """Point CURRENT at `path` atomically (write a temp file, fsync, os.replace), then prune old versions."""
    root = _dir(data_dir)
    rel = os.path.relpath(Path(path).resolve(), root.resolve())
    tmp = root / f".{POINTER}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(rel + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / POINTER)
    prune(root, keep if keep is not None else config.int_setting("DASHBOARD_KEEP_VERSIONS"))
    return Published(version_of(path), Path(path))


def prune(data_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` versions, never the published one. Readers holding a deleted
    file open keep reading it (POSIX unlink semantics)."""
    pub = current(data_dir)
    removed = []
    for version in kept_versions(data_dir)[max(keep, 1):]:
        if pub and version == pub.version:
            continue
        (Path(data_dir) / WAREHOUSE_SUBDIR / f"{version}.duckdb").unlink(missing_ok=True)
        removed.append(version)
    return removed


# Tables every page reads that warehouses built before the corporation level lack: such a version cannot be
# shown (ui: a pinned link to one opens the current version; a current one is rebuilt or must be)
REQUIRED_TABLES = ("companies", "corporation_month")


def compatible(path: Path | str) -> bool:
    """Whether the warehouse file has every table today's pages read (REQUIRED_TABLES)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as w (read_only)")
        found = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_catalog = 'w'").fetchall()}
    except duckdb.Error:
        return False
    finally:
        con.close()
    return set(REQUIRED_TABLES) <= found


class ReaderError(Exception):
    """A warehouse file that cannot be opened, or not locked down, for reading."""


def reader_config() -> dict:
    """Settings applied when a reader opens, before any SQL. Every in-process connection to the same
    warehouse file must use this same config: DuckDB refuses a second connection with a different one."""
    return {
        "enable_external_access": False,  # no file reads/writes besides the database, no ATTACH/INSTALL/LOAD
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "allow_community_extensions": False,
        "allow_persistent_secrets": False,
        "python_enable_replacements": False,  # SQL must not see the app's Python variables (DataFrames)
        "temp_directory": "",  # no spilling next to the warehouse: a query that outgrows memory_limit fails
        "memory_limit": config.setting("DASHBOARD_SQL_MEMORY"),
        "threads": config.int_setting("DASHBOARD_SQL_THREADS"),
    }


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only, locked-down connection to a warehouse file: file access off, limits set, configuration
    locked. Raises ReaderError. The SQL sandbox adds its statement check, time limit and row cap on top."""
    try:
        con = duckdb.connect(str(path), read_only=True, config=reader_config())
    except duckdb.Error as exc:
        hint = ""
        if "different configuration" in str(exc):
            hint = (" (this process already holds the warehouse open with other settings: open every "
                    "connection to it through dashboard.warehouse.connect, as sandbox.open_guarded does)")
        raise ReaderError(f"cannot open {path}: {exc}{hint}") from None
    try:
        try:
            con.execute("SET lock_configuration = true")
        except duckdb.InvalidInputException:
            pass  # the instance is shared with an open reader, which locked it already
        locked, external = con.execute(
            "select current_setting('lock_configuration'), current_setting('enable_external_access')").fetchall()[0]
        if not locked or external:
            raise ReaderError(f"cannot lock down the connection to {path} (lock_configuration={locked}, "
                              f"enable_external_access={external}); refusing to run SQL on it")
    except BaseException:
        con.close()
        raise
    return con
