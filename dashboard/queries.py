"""Page query files (a contract for analysts): parse their comment header, check parameters, run them.

`queries/<name>.sql` holds one SELECT with `$parameters` under a header (`-- title:`, `-- title_en:`,
`-- grain:`, `-- params:`, optional `-- description:` and `-- columns:`). Files are read on every
call and parsed once per content, so an edited file takes effect on the next rerun.

Model files (`queries/models/<name>.sql`) have their own header, parsed here too and described in
dashboard/models.py: `model`, `materialized`, `grain`, optional `description`, `unique_key`, `incremental`,
`final_when` and `tests`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import config
from dashboard.problems import Problem, display_path

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
QUERY_REQUIRED = ("title", "title_en", "grain", "params")
QUERY_FIELDS = QUERY_REQUIRED + ("description", "columns")
MODEL_REQUIRED = ("model", "materialized", "grain")
MODEL_FIELDS = MODEL_REQUIRED + ("description", "unique_key", "incremental", "final_when", "tests")
MATERIALIZED = ("table", "staging")  # staging: a temp table that lives only while the build runs
# incremental: how a monthly load (dashboard/load.py) recomputes the model. full: all of it; period or
# customer_id: only the rows of the periods (customers) the load changed, reading only those of its inputs.
INCREMENTAL = ("full", "period", "customer_id")
TEST_KINDS = ("unique", "not_null", "accepted_range", "relationships")
TEST_SYNTAX = ("unique(col[, col…]), not_null(col[, col…]), accepted_range(col, min, max) "
               "(leave a bound empty for none), relationships(col -> table.col)")

_FIELD_RE = re.compile(r"^--\s?([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*$")
_CONTINUATION_RE = re.compile(r"^--\s{2,}(\S.*?)\s*$")

# Defaults for the parameter names pages use; `check` and the SQL page fill queries with these.
KNOWN_PARAMS = ("branches", "branch", "company", "period_from", "period_to", "period", "lang", "kpi")


class QueryError(Exception):
    """A query file that cannot be loaded or run; str() names the file first."""

    def __init__(self, path: Path | str, message: str):
        self.path = Path(path)
        self.message = message
        super().__init__(f"{display_path(self.path)}: {message}")

    @property
    def problem(self) -> Problem:
        return Problem(self.path, self.message)


@dataclass(frozen=True)
class QueryFile:
    name: str
    path: Path
    title: str
    title_en: str
    grain: str
    params: tuple[str, ...]
    description: str
    columns: tuple[str, ...] | None
    sql: str
    digest: str


@dataclass(frozen=True)
class DataTest:
    """A data test declared in a model header (see dashboard/models.py); str() is its header text."""
    kind: str  # one of TEST_KINDS
    columns: tuple[str, ...]
    low: float | None = None  # accepted_range bounds, None for no bound
    high: float | None = None
    to_table: str | None = None  # relationships target
    to_column: str | None = None

    def __str__(self) -> str:
        if self.kind == "accepted_range":
            low, high = ("" if v is None else f"{v:g}" for v in (self.low, self.high))
            return f"accepted_range({self.columns[0]}, {low}, {high})"
        if self.kind == "relationships":
            return f"relationships({self.columns[0]} -> {self.to_table}.{self.to_column})"
        return f"{self.kind}({', '.join(self.columns)})"


@dataclass(frozen=True)
class ModelFile:
    name: str
    path: Path
    model: str
    grain: str
    description: str
    sql: str
    digest: str
    materialized: str = "table"
    unique_key: tuple[str, ...] = ()
    tests: tuple[DataTest, ...] = ()
    incremental: str = "full"
    final_when: str = ""

    @property
    def is_staging(self) -> bool:
        return self.materialized == "staging"


def _dir(queries_dir: Path | str | None) -> Path:
    return Path(queries_dir) if queries_dir is not None else config.QUERIES_DIR


def query_path(name: str, queries_dir: Path | str | None = None) -> Path:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise QueryError(_dir(queries_dir), f"{name!r} is not a query name (lowercase letters, digits and _, "
                         "starting with a letter; no paths or .sql suffix)")
    return _dir(queries_dir) / f"{name}.sql"


def names(queries_dir: Path | str | None = None) -> list[str]:
    """Names of the page query files in the folder, sorted (models/ is not included)."""
    folder = _dir(queries_dir)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.sql") if p.is_file())


def load(name: str, queries_dir: Path | str | None = None) -> QueryFile:
    """Read and parse `queries/<name>.sql`; raises QueryError naming the file when it is missing or malformed."""
    path = query_path(name, queries_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(names(queries_dir)) or "none"
        raise QueryError(path, f"no such query file (known queries: {known})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(path, f"cannot be read: {exc}") from None
    return _parse_query(name, str(path), text)


def list_queries(queries_dir: Path | str | None = None) -> list[QueryFile]:
    """Every page query, sorted by name; the first malformed file raises its QueryError."""
    return [load(name, queries_dir) for name in names(queries_dir)]


def parse_model(path: Path | str) -> ModelFile:
    """Read and parse a model file of queries/models/ (header: model, materialized, grain, optional
    description, unique_key and tests; see dashboard/models.py)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(path, f"cannot be read: {exc}") from None
    return _parse_model(str(path), text)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _split_header(path: Path, text: str, known: tuple[str, ...], strict: bool,
                  repeatable: tuple[str, ...] = ()) -> tuple[dict[str, str], str]:
    """The leading `-- key: value` lines as a dict, and the SQL after them. A `repeatable` field may appear on
    several lines; its values are joined with a newline."""
    lines = text.splitlines()
    fields: dict[str, str] = {}
    last = None
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines) and lines[i].lstrip().startswith("--"):
        line = lines[i].strip()
        cont = _CONTINUATION_RE.match(line)
        field = _FIELD_RE.match(line)
        if cont and last is not None:
            fields[last] = f"{fields[last]} {cont.group(1)}".strip()
        elif field:
            key = field.group(1).lower()
            if key in fields and key not in repeatable:
                raise QueryError(path, f"line {i + 1}: header field '{key}' appears twice")
            if strict and key not in known:
                raise QueryError(path, f"line {i + 1}: unknown header field '{key}' (fields: {', '.join(known)})")
            fields[key] = f"{fields[key]}\n{field.group(2)}" if key in fields else field.group(2)
            last = key
        elif line.strip("- "):
            raise QueryError(path, f"line {i + 1}: {line!r} is not a header line "
                             f"(expected '-- key: value' with key one of {', '.join(known)})")
        i += 1
    return fields, "\n".join(lines[i:]).strip()


def _require(path: Path, fields: dict[str, str], required: tuple[str, ...], example: str) -> None:
    if not fields:
        raise QueryError(path, f"no comment header (the file must open with {example})")
    for key in required:
        if key not in fields:
            raise QueryError(path, f"header field '{key}' is missing (add a line '-- {key}: …' at the top)")
        if key != "params" and not fields[key]:
            raise QueryError(path, f"header field '{key}' is empty")


def _name_list(path: Path, key: str, raw: str) -> tuple[str, ...]:
    raw = raw.strip()
    if not raw or raw.lower() == "none":
        return ()
    items = tuple(item.strip() for item in raw.split(","))
    for item in items:
        if not NAME_RE.match(item):
            raise QueryError(path, f"header field '{key}': {item!r} is not a name (lowercase letters, digits, _)")
    dupes = sorted({item for item in items if items.count(item) > 1})
    if dupes:
        raise QueryError(path, f"header field '{key}' lists {', '.join(dupes)} twice")
    return items


def _one_select(path: Path, sql: str) -> duckdb.Statement:
    if not sql:
        raise QueryError(path, "the file holds a header but no SQL")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(path, str(exc)) from None
    except ValueError as exc:  # a statement type the Python API cannot name
        raise QueryError(path, f"unsupported statement ({exc})") from None
    if len(statements) != 1:
        raise QueryError(path, f"holds {len(statements)} statements; one query per file")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise QueryError(path, f"is a {statement.type.name} statement; a query file holds one SELECT")
    return statement


@lru_cache(maxsize=512)
def _parse_query(name: str, path_str: str, text: str) -> QueryFile:
    path = Path(path_str)
    fields, sql = _split_header(path, text, QUERY_FIELDS, strict=True)
    _require(path, fields, QUERY_REQUIRED, "'-- title: …', '-- title_en: …', '-- grain: …', '-- params: …'")
    params = _name_list(path, "params", fields["params"])
    columns = _name_list(path, "columns", fields["columns"]) if fields.get("columns") else None
    statement = _one_select(path, sql)
    used = set(statement.named_parameters)
    undeclared = sorted(used - set(params))
    if undeclared:
        raise QueryError(path, f"uses {', '.join('$' + p for p in undeclared)} but the header's params do not "
                         f"declare {'it' if len(undeclared) == 1 else 'them'} (params: {', '.join(params) or 'none'})")
    unused = [p for p in params if p not in used]
    if unused:
        raise QueryError(path, f"header declares param {', '.join(unused)} but the SQL never uses "
                         f"{', '.join('$' + p for p in unused)}")
    return QueryFile(
        name=name, path=path, title=fields["title"], title_en=fields["title_en"], grain=fields["grain"],
        params=params, description=fields.get("description", ""), columns=columns, sql=sql, digest=_digest(text),
    )


@lru_cache(maxsize=256)
def _parse_model(path_str: str, text: str) -> ModelFile:
    path = Path(path_str)
    fields, sql = _split_header(path, text, MODEL_FIELDS, strict=True, repeatable=("tests",))
    _require(path, fields, MODEL_REQUIRED, "'-- model: <name>', '-- materialized: table|staging' and '-- grain: …'")
    if not NAME_RE.match(fields["model"]):
        raise QueryError(path, f"header field 'model': {fields['model']!r} is not a name "
                         "(lowercase letters, digits, _)")
    if fields["model"] != path.stem:
        raise QueryError(path, f"header says model '{fields['model']}' but the file is {path.name} "
                         "(the build names the table after the file)")
    materialized = fields["materialized"].strip().lower()
    if materialized not in MATERIALIZED:
        raise QueryError(path, f"header field 'materialized': {fields['materialized']!r} is not "
                         f"{' or '.join(MATERIALIZED)} (table: kept in the warehouse; staging: a temporary table "
                         "for later models)")
    unique_key = _name_list(path, "unique_key", fields.get("unique_key", ""))
    if "unique_key" in fields and not unique_key:
        raise QueryError(path, "header field 'unique_key' is empty (name the key columns, or leave the line out)")
    incremental = fields.get("incremental", "full").strip().lower()
    if incremental not in INCREMENTAL:
        raise QueryError(path, f"header field 'incremental': {fields['incremental']!r} is not "
                         f"{', '.join(INCREMENTAL)} (full: a monthly load recomputes all of it; period or "
                         "customer_id: only the rows of the periods or customers the load changed)")
    final_when = _name_list(path, "final_when", fields.get("final_when", ""))
    if len(final_when) > 1 or (final_when and (incremental != "customer_id" or len(unique_key) != 1)):
        raise QueryError(path, "header field 'final_when' is one boolean column, for an `incremental: customer_id` "
                         "model with a one-column unique_key (the key of the fact table its rows come from)")
    tests = _parse_tests(path, fields.get("tests", ""))
    _one_select(path, sql)
    return ModelFile(name=path.stem, path=path, model=fields["model"], grain=fields["grain"],
                     description=fields.get("description", ""), sql=sql, digest=_digest(text),
                     materialized=materialized, unique_key=unique_key, tests=tests, incremental=incremental,
                     final_when=final_when[0] if final_when else "")


_TEST_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)")
_SEPARATOR_RE = re.compile(r"[\s,;]*")
_RELATION_RE = re.compile(r"^([a-z][a-z0-9_]*)\s*->\s*([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")


def _parse_tests(path: Path, raw: str) -> tuple[DataTest, ...]:
    """The `-- tests:` lines: calls like `unique(a, b)` separated by spaces, commas or semicolons."""
    tests: list[DataTest] = []
    pos = 0
    raw = raw.strip()
    while pos < len(raw):
        pos = _SEPARATOR_RE.match(raw, pos).end()
        if pos >= len(raw):
            break
        call = _TEST_RE.match(raw, pos)
        if call is None:
            rest = raw[pos:].split("\n")[0]
            raise QueryError(path, f"header field 'tests': {rest!r} is not a test (tests: {TEST_SYNTAX})")
        tests.append(_data_test(path, call.group(0), call.group(1).lower(), call.group(2)))
        pos = call.end()
    seen = [str(t) for t in tests]
    dupes = sorted({t for t in seen if seen.count(t) > 1})
    if dupes:
        raise QueryError(path, f"header field 'tests' lists {', '.join(dupes)} twice")
    return tuple(tests)


def _data_test(path: Path, text: str, kind: str, inside: str) -> DataTest:
    def bad(why: str) -> QueryError:
        return QueryError(path, f"header field 'tests': {text!r} {why} (tests: {TEST_SYNTAX})")

    if kind not in TEST_KINDS:
        raise bad(f"is not a known test ({', '.join(TEST_KINDS)})")
    if kind == "relationships":
        match = _RELATION_RE.match(inside.strip())
        if not match:
            raise bad("needs one column, an arrow and a table.column")
        return DataTest(kind, (match.group(1),), to_table=match.group(2), to_column=match.group(3))
    args = [a.strip() for a in inside.split(",")]
    if kind == "accepted_range":
        if len(args) != 3 or not NAME_RE.match(args[0]):
            raise bad("needs a column, a minimum and a maximum")
        try:
            low, high = (float(a) if a else None for a in args[1:])
        except ValueError:
            raise bad("has a bound that is not a number") from None
        if low is None and high is None:
            raise bad("needs at least one bound")
        if low is not None and high is not None and low > high:
            raise bad("has its minimum above its maximum")
        return DataTest(kind, (args[0],), low=low, high=high)
    if not args or not all(NAME_RE.match(a) for a in args):
        raise bad("needs one or more column names (lowercase letters, digits, _)")
    if len(set(args)) != len(args):
        raise bad("names a column twice")
    return DataTest(kind, tuple(args))


def _bindable(value):
    """Python values DuckDB binds as the intended SQL type: dates as date, sequences as LIST."""
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, (list, tuple)):
        return [_bindable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_bindable(v) for v in value)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy arrays and scalars
        return _bindable(value.tolist())
    return value


def check_params(query: QueryFile, params: dict) -> None:
    """QueryError unless exactly the declared parameters are given."""
    given = set(params)
    missing = [p for p in query.params if p not in given]
    if missing:
        raise QueryError(query.path, f"parameter {', '.join('$' + p for p in missing)} declared but not given "
                         f"(given: {', '.join(sorted(given)) or 'none'})")
    extra = sorted(given - set(query.params))
    if extra:
        raise QueryError(query.path, f"parameter {', '.join(extra)} given but not declared in the header's params "
                         f"(params: {', '.join(query.params) or 'none'})")


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None,
        queries_dir: Path | str | None = None) -> pd.DataFrame:
    """Run a page query on a fresh cursor with bound parameters; any failure is a QueryError naming the file."""
    query = load(name, queries_dir)
    params = dict(params or {})
    check_params(query, params)
    cursor = con.cursor()
    try:
        if query.params:
            cursor.execute(query.sql, {k: _bindable(v) for k, v in params.items()})
        else:
            cursor.execute(query.sql)
        df = cursor.fetch_df()
    except duckdb.Error as exc:
        raise QueryError(query.path, str(exc)) from None
    finally:
        cursor.close()
    if query.columns is not None and tuple(df.columns) != query.columns:
        got = [str(c) for c in df.columns]
        missing = [c for c in query.columns if c not in got]
        extra = [c for c in got if c not in query.columns]
        detail = "; ".join(filter(None, [
            f"missing {', '.join(missing)}" if missing else "",
            f"unexpected {', '.join(extra)}" if extra else "",
            "" if missing or extra else "same names in another order",
        ]))
        raise QueryError(query.path, f"returns columns {', '.join(got)} but the header declares "
                         f"{', '.join(query.columns)} ({detail})")
    return df


def default_params(con: duckdb.DuckDBPyConnection) -> dict:
    """Values for the known parameter names, read from the warehouse: all branches, the latest 13 periods, the
    first company (a query also accepts NULL for `company`: the whole corporation)."""
    cursor = con.cursor()
    try:
        branches = [row[0] for row in cursor.execute(
            "select branch_code from branches order by branch_code").fetchall()]
        latest, first, company = cursor.execute(
            "select max(period)::date, (max(period) - interval 12 month)::date, min(company_code) "
            "from company_month").fetchall()[0]
    finally:
        cursor.close()
    return {
        "branches": branches,
        "branch": branches[0] if branches else None,
        "company": company,
        "period_from": _as_date(first),
        "period_to": _as_date(latest),
        "period": _as_date(latest),
        "lang": "vi",
        "kpi": "remote_read_rate",
    }


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value
