"""The operations page's thinking (/data): the history of data versions, what changed between two of them, how
fresh each branch's data is and how late, and an uploaded monthly drop saved and loaded. No Streamlit.

Warehouse files are read read-only: two versions are compared by attaching both to one in-memory DuckDB; the
longer queries live in queries/ops/ (the query-file header, but outside the analysts' catalogue of page
queries, which lists only queries/*.sql: these run on attached versions, not on the published warehouse).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import statistics
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import audit, build, config, exports, load, models, queries, warehouse

FACT_TABLES = load.FACTS  # bills, payments, service_requests: the tables whose freshness is shown
TOLERANCE = 1e-9  # relative: two KPI values closer than this are the same (sums added in another order)
UPLOADS = "uploads"
UPLOAD_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
UPLOAD_SUFFIXES = (".csv", ".parquet")
HISTORY_COLUMNS = ["version", "built_at", "kind", "user", "ok", "kept", "current", "based_on", "source_dir",
                   "files", "periods", "replaced", "changes", "checks", "warnings", "error", "seconds"]


def ops_dir() -> Path:
    """The operations queries (read on every call, like the page queries: an edit shows at once)."""
    return config.QUERIES_DIR / "ops"


def _attached(paths: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with each warehouse file attached read-only under its alias."""
    con = duckdb.connect()
    try:
        for alias, path in paths.items():
            if not re.fullmatch(r"[a-z_]+", alias):
                raise ValueError(f"alias {alias!r}")
            con.execute(f"attach $path as {alias} (read_only)", {"path": str(path)})
    except BaseException:
        con.close()
        raise
    return con


def _json(raw, default):
    """A JSON column as Python (DuckDB hands JSON over as text); missing or empty: the default."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return default
    if isinstance(raw, (str, bytes)):
        try:
            return json.loads(raw)
        except ValueError:
            return default
    return raw


def _value(raw):
    """None for a missing value (NULL, NaN), else the value."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    return raw


def timestamp(value) -> dt.datetime | None:
    """UTC without tzinfo, from a warehouse timestamp or the audit log's ISO text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.replace(tzinfo=None) if isinstance(value, dt.datetime) else None


# ---------------------------------------------------------------- version history


def version_info(path: Path) -> dict:
    """The data_version row of a warehouse file as a dict (columns a version from before the monthly loads
    lacks are absent: callers use .get)."""
    with closing(_attached({"v": path})) as con:
        cursor = con.execute("select * from v.data_version")
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return dict(zip(names, rows[0])) if rows else {}


def history(data_dir: Path | None = None) -> pd.DataFrame:
    """Every build and load, newest first: the kept versions' own data_version rows, the audit log's entries
    for versions no longer kept, and the attempts that were refused (ok False, with the error). One row each,
    columns HISTORY_COLUMNS: files, periods, replaced, changes and checks as Python lists and dicts."""
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    published = warehouse.current(data_dir)
    kept = warehouse.kept_versions(data_dir)
    entries = audit.read(data_dir)  # newest first: the order of two attempts within one second
    seq = {e["version"]: i for i, e in enumerate(entries) if e.get("ok") and e.get("version")}
    rows = []
    for version in kept:
        path = warehouse.version_path(version, data_dir)
        try:
            info = version_info(path) if path else {}
        except duckdb.Error:
            info = {}  # a file being pruned or half-written: its audit entry still says what it was
        entry = entries[seq[version]] if version in seq else {}
        rows.append({**_history_row(version, info, entry, kept=True), "_seq": seq.get(version, len(entries))})
    for i, entry in enumerate(entries):
        if entry.get("ok") and entry.get("version") in kept:
            continue
        rows.append({**_history_row(entry.get("version"), {}, entry, kept=False), "_seq": i})
    df = pd.DataFrame(rows, columns=[*HISTORY_COLUMNS, "_seq"])
    if df.empty:
        return df[HISTORY_COLUMNS]
    df["current"] = df["version"].eq(published.version if published else None)
    df["_at"] = pd.to_datetime(df["built_at"])
    df = df.sort_values(["_at", "_seq"], ascending=[False, True], na_position="last", kind="stable")
    for col in ("version", "user", "based_on", "source_dir", "error", "seconds"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df[HISTORY_COLUMNS].reset_index(drop=True)


def _history_row(version: str | None, info: dict, entry: dict, kept: bool) -> dict:
    checks = _json(info.get("checks"), None)
    if checks is None:
        checks = entry.get("checks") or []
    files = _json(info.get("source_files"), None) or entry.get("files") or []
    changes = _json(info.get("changes"), None) or entry.get("changes") or {}
    ok = bool(entry.get("ok", True)) if entry else True
    return {
        "version": version,
        "built_at": timestamp(info.get("built_at")) or timestamp(entry.get("at")),
        "kind": _value(info.get("kind")) or entry.get("kind") or "build",
        "user": _value(info.get("loaded_by")) or entry.get("user"),
        "ok": ok,
        "kept": kept,
        "current": False,
        "based_on": _value(info.get("based_on")),
        "source_dir": _value(info.get("source_dir")) or entry.get("source"),
        "files": files,
        "periods": entry.get("periods") or [],
        "replaced": entry.get("replaced") or [],
        "changes": changes,
        "checks": checks,
        "warnings": sum(1 for c in checks if c.get("level") == "warning"),
        "error": entry.get("error"),
        "seconds": entry.get("seconds"),
    }


def checks_result(row: dict | pd.Series) -> str:
    """failed (the attempt was refused: nothing published), warned (published with provisional marks) or
    passed."""
    if not row["ok"]:
        return "failed"
    return "warned" if row["warnings"] else "passed"


def flat(df: pd.DataFrame) -> pd.DataFrame:
    """A table for CSV and Excel: lists and dicts as JSON text."""
    out = df.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, (list, dict))).any():
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False, default=str)
                                    if isinstance(v, (list, dict)) else v)
    return out


def default_pair(data_dir: Path | None = None) -> tuple[str | None, str | None]:
    """What 'what changed' compares by default: the version before the current one and the current one (the
    version it was loaded on when that is still kept, else the next older kept one)."""
    published = warehouse.current(data_dir)
    kept = warehouse.kept_versions(data_dir)
    if published is None:
        return None, None
    try:
        based_on = _value(version_info(published.path).get("based_on"))
    except duckdb.Error:
        based_on = None
    if based_on and based_on in kept:
        return based_on, published.version
    older = [v for v in kept if v < published.version]
    return (older[0] if older else None), published.version


# ---------------------------------------------------------------- what changed


def kpi_list(path: Path) -> pd.DataFrame:
    """The KPIs of a warehouse file: kpi, column_name, unit, label_vi, label_en, in catalogue order."""
    with closing(_attached({"v": path})) as con:
        return con.execute("select kpi, column_name, unit, label_vi, label_en from v.kpis "
                           "order by sort_order, kpi").fetch_df()


def _columns(con, alias: str, table: str) -> set[str]:
    rows = con.execute("select column_name from information_schema.columns where table_catalog = $db "
                       "and table_name = $table", {"db": alias, "table": table}).fetchall()
    return {r[0] for r in rows}


CHANGE_COLUMNS = ["scope", "branch_code", "branch_name", "period", "kpi", "label_vi", "label_en", "unit",
                  "old_value", "new_value", "change", "relative_change", "change_kind"]


def what_changed(old_path: Path, new_path: Path, tolerance: float = TOLERANCE) -> pd.DataFrame:
    """Every KPI value that differs between two warehouse files, by branch (and the company) and period.

    Largest relative move first: |new − old| ÷ |old|, where a value appearing or disappearing (NULL on one
    side) or moving away from 0 counts as the largest; then the periods only in one version (change_kind
    added or removed), newest first. KPIs are the newer version's catalogue, those present in both."""
    kpis = kpi_list(new_path)
    with closing(_attached({"older": old_path, "newer": new_path})) as con:
        both = (_columns(con, "older", "branch_month") & _columns(con, "newer", "branch_month")
                & _columns(con, "older", "company_month") & _columns(con, "newer", "company_month"))
        kpis = kpis[kpis["column_name"].isin(both)]
        if kpis.empty:
            return pd.DataFrame(columns=CHANGE_COLUMNS)
        found = queries.run(con, "kpi_changes", {"kpi_columns": list(kpis["column_name"]),
                                                 "tolerance": tolerance}, ops_dir())
    found = found.merge(kpis, on="column_name", how="left")
    found["period"] = pd.to_datetime(found["period"]).dt.date
    found["change"] = found["new_value"] - found["old_value"]
    base = found["old_value"].abs()
    found["relative_change"] = (found["change"] / base).where(base > 0)
    move = found["relative_change"].abs().fillna(float("inf"))
    found["_order"] = found["change_kind"].map({"changed": 0, "added": 1, "removed": 2})
    found["_move"] = -move
    found["_period"] = found["period"].map(lambda d: -d.toordinal())
    found["_scope"] = found["scope"].map({"company": 0, "branch": 1})
    found = found.sort_values(["_order", "_move", "_period", "_scope", "branch_code", "kpi"],
                              na_position="first", kind="stable")
    return found[CHANGE_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------- freshness and lateness


def month_after(period: dt.date) -> dt.date:
    return dt.date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def usual_day(entries: Iterable[dict]) -> int | None:
    """The day of the month after a period on which its data is usually published: the median, over the
    periods that loads first published, of (the load's date − the first of the month after the period) + 1.
    Day 8 means the 8th of next month; a day past 31 means loads came more than a month late. None without
    loads."""
    first_published: dict[str, dt.date] = {}
    for entry in entries:
        if entry.get("kind") != "load" or not entry.get("ok"):
            continue
        at = timestamp(entry.get("at"))
        if at is None:
            continue
        for period in entry.get("periods") or []:
            if period not in first_published or at.date() < first_published[period]:
                first_published[period] = at.date()
    days = []
    for period, day in first_published.items():
        try:
            start = month_after(dt.date.fromisoformat(period + "-01"))
        except ValueError:
            continue
        days.append((day - start).days + 1)
    return int(round(statistics.median(days))) if days else None


def due_date(period: dt.date, day: int) -> dt.date:
    """When a period's data is due: `day` days into the month after it (day 1 = the first of that month)."""
    return month_after(period) + dt.timedelta(days=day - 1)


@dataclass(frozen=True)
class Freshness:
    table: pd.DataFrame  # one row per branch and fact table (FRESHNESS_COLUMNS)
    usual_day: int | None  # see usual_day(); None: no loads yet to learn it from
    today: dt.date
    company_latest: dt.date | None  # the latest period with bills
    next_period: dt.date | None  # the period expected next
    next_due: dt.date | None  # when the next period is due (None without a usual day)

    @property
    def next_overdue(self) -> bool:
        return self.next_due is not None and self.today > self.next_due


FRESHNESS_COLUMNS = ["branch_code", "branch_name", "source_table", "latest_period", "latest_rows",
                     "company_latest", "rows_before", "missing", "due", "late", "days_late", "provisional"]


def freshness(path: Path, data_dir: Path | None = None, today: dt.date | None = None) -> Freshness:
    """Per branch and fact table: the latest period with rows and how many; `missing` when that is before the
    company's latest period for the table although the branch had rows in each of the three periods before (a
    small branch without a request in a month is not missing its export); `late` when it is missing and today is
    past the usual day of the month after the company's latest period (`days_late` past it); `provisional`: the
    branch's provisional marks ({period, check, kpi}), newest first."""
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    today = today or dt.date.today()
    day = usual_day(audit.read(data_dir))
    con = warehouse.connect(path)
    try:
        table = queries.run(con, "freshness", {}, ops_dir())
        marks = _marks(con)
    finally:
        con.close()
    for col in ("latest_period", "company_latest"):
        table[col] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in table[col]]
    table["missing"] = [c is not None and (lp is None or lp < c) and before > 0
                        for lp, c, before in zip(table["latest_period"], table["company_latest"],
                                                 table["rows_before"])]
    table["due"] = [due_date(c, day) if (c is not None and day is not None) else None
                    for c in table["company_latest"]]
    table["late"] = [bool(m and d is not None and today > d) for m, d in zip(table["missing"], table["due"])]
    table["days_late"] = [(today - d).days if late else None for late, d in zip(table["late"], table["due"])]
    table["provisional"] = [marks.get(code, []) for code in table["branch_code"]]
    bills = table.loc[table["source_table"] == "bills", "company_latest"]
    latest = bills.iloc[0] if len(bills) else None
    next_period = month_after(latest) if latest else None
    return Freshness(table[FRESHNESS_COLUMNS], day, today, latest, next_period,
                     due_date(next_period, day) if next_period and day is not None else None)


def freshness_by_company(table: pd.DataFrame, branch_companies: dict[str, str]) -> pd.DataFrame:
    """freshness' table one level up (the corporation's view), one row per company and fact table: the latest
    period any of its branches has rows in and the rows then (summed over those branches); `missing` and `late`
    when any branch is, `days_late` the most; `provisional`: every branch's marks, newest first;
    `late_branches` and `missing_branches`: how many of its branches are late, and missing a period without
    being late (the same on each of the company's rows)."""
    t = table.copy()
    t["company_code"] = t["branch_code"].map(branch_companies)
    t["_latest"] = pd.to_datetime(t["latest_period"])
    keys = ["company_code", "source_table"]
    top = t.groupby(keys)["_latest"].transform("max")
    t["_rows"] = t["latest_rows"].where(t["_latest"] == top, 0)
    out = t.groupby(keys, sort=False).agg(
        latest_period=("_latest", "max"), latest_rows=("_rows", "sum"), company_latest=("company_latest", "first"),
        rows_before=("rows_before", "sum"), missing=("missing", "any"), late=("late", "any"),
        days_late=("days_late", "max")).reset_index()
    out["latest_period"] = [None if pd.isna(v) else v.date() for v in out["latest_period"]]
    out["latest_rows"] = out["latest_rows"].astype("int64")
    branch_late = t.groupby("branch_code")["late"].any()
    branch_missing = t.groupby("branch_code")["missing"].any() & ~branch_late
    company_of = pd.Series(branch_companies)
    out["late_branches"] = out["company_code"].map(branch_late.groupby(company_of).sum()).fillna(0).astype(int)
    out["missing_branches"] = out["company_code"].map(branch_missing.groupby(company_of).sum()).fillna(0).astype(int)
    marks = {}
    for company, rows in t.drop_duplicates("branch_code").groupby("company_code"):
        found = [m for ms in rows["provisional"] if isinstance(ms, list) for m in ms]
        marks[company] = sorted(found, key=lambda m: m["period"], reverse=True)
    out["provisional"] = [marks.get(c, []) for c in out["company_code"]]
    return out


def _marks(con) -> dict[str, list[dict]]:
    """branch_code -> its provisional marks ({period 'YYYY-MM', check, kpi}), newest first (none for a warehouse
    from before the marks, which has no such table)."""
    cursor = con.cursor()
    try:
        rows = cursor.execute("select branch_code, strftime(period, '%Y-%m'), check_name, kpi from provisional "
                              "order by period desc, check_name, kpi").fetchall()
    except duckdb.CatalogException:
        return {}
    finally:
        cursor.close()
    out: dict[str, list[dict]] = {}
    for code, period, check, kpi in rows:
        out.setdefault(code, []).append({"period": period, "check": check, "kpi": kpi})
    return out


def load_in_progress(data_dir: Path | None = None) -> dict | None:
    """The load running now (pid, user, source, started, fraction, message), or None: others see it and wait."""
    return load.status(data_dir)


# ---------------------------------------------------------------- an uploaded drop


class UploadError(Exception):
    """Uploaded files that cannot be saved as a drop (a name that is not a table file, the same name twice)."""


def save_upload(files: Iterable[tuple[str, bytes]], data_dir: Path | None = None,
                now: dt.datetime | None = None) -> Path:
    """Save uploaded files (name, content) into a new folder <data dir>/uploads/<UTC time>-<random>/ and return
    it. Names are kept as given (the drop's table files: bills.csv, customers.parquet, ...) but must be plain
    file names ending in .csv or .parquet; nothing is ever overwritten."""
    files = list(files)
    if not files:
        raise UploadError("no files were uploaded")
    names = [name for name, _ in files]
    bad = [n for n in names if not UPLOAD_NAME_RE.match(n) or Path(n).name != n
           or not n.lower().endswith(UPLOAD_SUFFIXES)]
    if bad:
        raise UploadError(f"{', '.join(bad)}: not a table file (expected names like bills.csv or "
                          "customers.parquet)")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UploadError(f"{', '.join(twice)} uploaded twice: keep one")
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder = data_dir / UPLOADS / f"{stamp}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True, exist_ok=False)
    for name, content in files:
        with open(folder / name, "xb") as fh:
            fh.write(content)
    return folder


@dataclass
class Outcome:
    """What a load of an uploaded drop came to: published (result) or refused (problems, nothing published)."""
    folder: Path
    result: load.LoadResult | None = None
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))

    @property
    def ok(self) -> bool:
        return self.result is not None


PROBLEM_COLUMNS = ["file", "row", "column", "message", "hint"]


def run_load(folder: Path, data_dir: Path | None = None, user: str | None = None,
             progress: Callable[[float, str], None] = load.quiet, lang: str = "en") -> Outcome:
    """Load a saved drop on top of the published warehouse (dashboard/load.py: the build's validation, the
    month's checks, publish). A refusal comes back as the build's messages, one row each, file names relative
    to the upload folder; nothing is published then."""
    try:
        result = load.load(folder, data_dir, progress=progress, user=user, lang=lang)
    except (exports.ExportError, models.ModelError) as exc:
        rows = [p.as_row() for p in exc.problems]
    except (load.LoadError, build.SettingError) as exc:
        rows = [{"file": folder.name, "row": None, "column": None, "message": str(exc), "hint": None}]
    else:
        return Outcome(folder, result=result)
    table = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    for col in ("file", "message"):
        table[col] = [_relative(v, folder) for v in table[col]]
    return Outcome(folder, problems=table)


def _relative(text, folder: Path):
    if not isinstance(text, str):
        return text
    return text.replace(str(folder) + "/", "").replace(str(folder), folder.name)
