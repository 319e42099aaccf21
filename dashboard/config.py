"""Settings read from the environment, each with a default; the README lists them all."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = REPO_ROOT / "queries"
MODELS_DIR = QUERIES_DIR / "models"
SAMPLE_DIR = REPO_ROOT / "sample_data"

# name -> (default, description); the README's settings table must list every one (a test checks).
SETTINGS: dict[str, tuple[str, str]] = {
    "DASHBOARD_DATA_DIR": ("data", "where warehouses, the CURRENT pointer and generated exports live"),
    "DASHBOARD_KEEP_VERSIONS": ("5", "how many published warehouse versions the build keeps"),
    "DASHBOARD_BUILD_MEMORY": ("16GB", "DuckDB memory_limit for the build (it spills to disk past it)"),
    "DASHBOARD_BUILD_THREADS": ("0", "DuckDB threads for the build; 0 means all cores"),
    "DASHBOARD_SQL_TIMEOUT": ("10", "seconds an ad-hoc query may run before it is interrupted"),
    "DASHBOARD_SQL_MAX_ROWS": ("10000", "rows an ad-hoc query shows before it is marked truncated"),
    "DASHBOARD_SQL_EXPORT_ROWS": ("1000000", "rows an ad-hoc query's CSV/Excel download may hold"),
    "DASHBOARD_SQL_MEMORY": ("2GB", "DuckDB memory_limit for ad-hoc SQL"),
    "DASHBOARD_SQL_THREADS": ("2", "DuckDB threads for ad-hoc SQL"),
    "DASHBOARD_SQL_WORKERS": ("2", "worker processes that run ad-hoc SQL (per app process); more queries at once wait"),
    "DASHBOARD_SQL_WORKER_MEMORY": ("4GB", "address-space limit of an SQL worker process; past it the query fails "
                                           "and the worker is replaced"),
    "DASHBOARD_SQL_MAX_BYTES": ("32MB", "bytes of an ad-hoc result shown on the page before it is marked truncated"),
    "DASHBOARD_SQL_EXPORT_BYTES": ("256MB", "bytes an ad-hoc query's CSV/Excel download may hold"),
    "DASHBOARD_SQL_EXPORT_TIMEOUT": ("60", "seconds a CSV/Excel download of an ad-hoc query may take"),
    "DASHBOARD_SQL_WAIT": ("3", "seconds a query waits for a free SQL worker before 'busy, try again'"),
    "DASHBOARD_ROLES": ("", "path of a TOML file mapping emails or domains to viewer/analyst/admin (with sign-in)"),
}


class SettingError(ValueError):
    """A setting (or the argument standing for it) with a value that cannot be used; the message names it."""


def setting(name: str) -> str:
    default, _ = SETTINGS[name]
    return os.environ.get(name, default)


def int_setting(name: str) -> int:
    raw = setting(name)
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a whole number (default {SETTINGS[name][0]})") from None


def float_setting(name: str) -> float:
    raw = setting(name)
    try:
        return float(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a number (default {SETTINGS[name][0]})") from None


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def bytes_setting(name: str) -> int:
    """A size like 4GB, 512MB, 1.5GiB or a plain number of bytes."""
    raw = setting(name)
    text = raw.strip().upper().replace(" ", "")
    number = text.rstrip("KMGTIB")
    unit = text[len(number):]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        value = -1
    if not value > 0:
        raise SettingError(f"{name}={raw!r} is not a size such as 512MB or 4GB (default {SETTINGS[name][0]})")
    return int(value)


def data_dir() -> Path:
    path = Path(setting("DASHBOARD_DATA_DIR"))
    return path if path.is_absolute() else Path.cwd() / path
