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


def data_dir() -> Path:
    path = Path(setting("DASHBOARD_DATA_DIR"))
    return path if path.is_absolute() else Path.cwd() / path
