"""The guarded path for ad-hoc SQL (a security boundary): the SQL page and `python -m dashboard sql` use it.

Every run opens the published warehouse read-only with file access off and the configuration locked
before any user SQL, accepts exactly one read statement, stops it at a time limit and caps the rows fetched.
Layers: the statement check refuses with a clear message; read-only + enable_external_access=false +
lock_configuration stop whatever the check might miss (DuckDB 2.0 types `WITH x AS (DELETE …) SELECT` as SELECT).
"""
from __future__ import annotations

import json
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import config, warehouse

READ_FORMS = "SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN"
ONLY_READS = f"only read statements ({READ_FORMS}) run here"
# DuckDB 2.0 parses `WITH x AS (DELETE|INSERT|UPDATE|TRUNCATE|COPY …) SELECT …` as a SELECT: a read query
# never needs these words as keywords (a column so named can be double-quoted).
WRITE_KEYWORDS = frozenset({"insert", "update", "delete", "copy", "truncate", "merge"})
VECTOR = 2048  # rows in one DuckDB vector; results are fetched a few vectors at a time

# Table functions a read query may call: generators, and DuckDB's read-only views of its own catalogue. Every
# other table function is refused by name before anything runs (an allowlist: file readers, `query()` and
# `query_table()` that run SQL strings, `checkpoint()`, logging and external-resource registration that change
# the instance every session shares). A table function called in the select list (`select checkpoint()`) counts.
TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "repeat", "json_each", "json_tree",
    "duckdb_columns", "duckdb_constraints", "duckdb_databases", "duckdb_functions", "duckdb_indexes",
    "duckdb_keywords", "duckdb_schemas", "duckdb_tables", "duckdb_types", "duckdb_views",
    "pragma_table_info", "pragma_show", "pragma_version", "pragma_database_size", "pragma_storage_info",
    "pg_timezone_names", "icu_calendar_names",
})
# Scalar functions DuckDB marks as having side effects that a read query may still call: they only read a
# clock, a counter or a random source. The rest (setseed, nextval/setval, write_log, sleep_ms, …) are refused.
HARMLESS_VOLATILE = frozenset({
    "random", "uuid", "gen_random_uuid", "uuidv4", "uuidv7", "error", "stats", "vector_type",
    "current_query", "current_query_id", "current_connection_id", "current_transaction_id",
})


class SqlProblem(Exception):
    """Ad-hoc SQL that did not produce a result; the message says why and what to do."""


class SqlRefused(SqlProblem):
    """Refused before running (not a read statement, more than one, empty) or touched files."""


class SqlTimeout(SqlProblem):
    """Interrupted at the time limit."""


class SqlError(SqlProblem):
    """DuckDB reported an error (syntax, unknown table, out of memory…), or no warehouse is published."""


@dataclass(frozen=True)
class SqlResult:
    df: pd.DataFrame
    truncated: bool
    row_count_shown: int
    elapsed_s: float
    columns: list[str]
    limit: str | None = None  # what truncated it: "rows" (the row cap) or "bytes" (the size cap)


connection_config = warehouse.reader_config  # the settings every reader of the warehouse opens with


def open_guarded(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only, locked-down connection (warehouse.connect); a file that cannot be opened is an SqlError."""
    try:
        return warehouse.connect(path)
    except warehouse.ReaderError as exc:
        raise SqlError(str(exc)) from None


def published_path(path: Path | str | None = None) -> Path:
    if path is not None:
        return Path(path)
    pub = warehouse.current()
    if pub is None:
        raise SqlError(f"no warehouse is published in {config.data_dir()}: run `python -m dashboard build` first "
                       "(or set DASHBOARD_DATA_DIR to the data folder)")
    return pub.path


@contextmanager
def guarded(path: Path | str | None = None):
    con = open_guarded(published_path(path))
    try:
        yield con
    finally:
        con.close()


def _tokens(sql: str, kinds: tuple | None = None) -> list[tuple[int, str]]:
    """(offset, text) of each token DuckDB's tokenizer sees (comments left out), or only those of `kinds`."""
    raw = duckdb.tokenize(sql)
    ends = [pos for pos, _ in raw[1:]] + [len(sql)]
    return [(pos, sql[pos:end].strip()) for (pos, kind), end in zip(raw, ends)
            if kind != duckdb.token_type.comment and (kinds is None or kind in kinds)]


def _first_keyword(sql: str) -> str:
    try:
        tokens = _tokens(sql)
    except Exception:  # the tokenizer only serves the message here
        return ""
    return tokens[0][1].split(None, 1)[0].upper() if tokens and tokens[0][1] else ""


def _not_allowed(statement: duckdb.Statement) -> SqlRefused:
    keyword = _first_keyword(statement.query) or statement.type.name
    kind = statement.type.name
    what = keyword if keyword == kind else f"{keyword} (a {kind} statement)"
    hint = ""
    if statement.type == duckdb.StatementType.MULTI:
        what = f"{keyword} (a multi-step statement)"
        hint = "; for PIVOT, list the values: PIVOT t ON col IN ('a', 'b') USING sum(x)"
    elif statement.type == duckdb.StatementType.PRAGMA:
        hint = "; use SHOW TABLES, DESCRIBE t or select * from pragma_table_info('t') instead"
    return SqlRefused(f"{what} is not allowed: {ONLY_READS}{hint}")


def _explained(sql: str) -> list[str]:
    """Candidate texts of the statement an EXPLAIN wraps, found with DuckDB's own tokenizer.
    `EXPLAIN [ANALYZE] [(options)] stmt`: a parenthesis may open the options or the statement, so both
    readings are returned; each one that parses must be a SELECT."""
    tokens = _tokens(sql)
    words = [text.lower() for _, text in tokens]
    if not words or words[0] != "explain":
        return []
    i = 1
    if len(words) > i and words[i] in ("analyze", "analyse"):
        i += 1
    if i >= len(tokens):
        return []
    candidates = [sql[tokens[i][0]:]]
    if words[i].startswith("("):
        depth = 0
        for pos, text in tokens[i:]:
            depth += text.count("(") - text.count(")") if not text.startswith(("'", '"')) else 0
            if depth <= 0:
                candidates.append(sql[pos + len(text):])
                break
    return candidates


def _explain_is_read(statement: duckdb.Statement) -> bool:
    parsed = 0
    for text in _explained(statement.query):
        try:
            inner = duckdb.extract_statements(text)
        except (duckdb.Error, ValueError):
            continue
        if not inner:
            continue
        if len(inner) != 1 or _type(inner[0]) != duckdb.StatementType.SELECT:
            return False
        parsed += 1
    return parsed > 0


def _type(statement: duckdb.Statement) -> duckdb.StatementType | None:
    try:
        return statement.type
    except ValueError:  # a type the Python API has no name for (e.g. UPDATE EXTENSIONS): never a read
        return None


def _refuse_hidden_writes(sql: str) -> None:
    for _, text in _tokens(sql, (duckdb.token_type.keyword,)):
        word = text.lower()
        if word in WRITE_KEYWORDS:
            raise SqlRefused(f"{word.upper()} inside a query is not allowed (a data-modifying WITH): {ONLY_READS}"
                             f"; a column named {word} must be written \"{word}\"")


@lru_cache(maxsize=1)
def _parser() -> duckdb.DuckDBPyConnection:
    """An empty in-memory database that only parses (json_serialize_sql) and lists functions; a cursor per use.
    No user SQL is executed on it: the text is a bound parameter."""
    return duckdb.connect(config={"enable_external_access": False})


@lru_cache(maxsize=1)
def _function_kinds() -> tuple[frozenset[str], frozenset[str]]:
    """(table function names, scalar functions with side effects) of this DuckDB build."""
    cur = _parser().cursor()
    try:
        rows = cur.execute("select distinct lower(function_name), function_type, coalesce(has_side_effects, false) "
                           "from duckdb_functions()").fetchall()
    finally:
        cur.close()
    tables = frozenset(n for n, kind, _ in rows if kind in ("table", "table_macro"))
    effects = frozenset(n for n, kind, side in rows if side and kind not in ("table", "table_macro"))
    return tables, effects


def _functions(node, found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(kind, name) of every function a parse tree calls: 'table' in FROM, 'scalar' anywhere else."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "TABLE_FUNCTION":
            found.add(("table", str(node.get("function", {}).get("function_name", "")).lower()))
        elif node.get("class") == "FUNCTION" and "function_name" in node:
            found.add(("scalar", str(node["function_name"]).lower()))
        for value in node.values():
            _functions(value, found)
    elif isinstance(node, list):
        for value in node:
            _functions(value, found)
    return found


def _parse_tree(text: str) -> dict | None:
    """DuckDB's own parse of a SELECT (json_serialize_sql), or None when it cannot serialize the statement."""
    cur = _parser().cursor()
    try:
        tree = json.loads(cur.execute("select json_serialize_sql($sql)", {"sql": text}).fetchall()[0][0])
    except duckdb.Error:
        return None
    finally:
        cur.close()
    return None if tree.get("error") else tree


def _refuse_functions(statement: duckdb.Statement) -> None:
    """Only functions that read: table functions from TABLE_FUNCTIONS, no scalar with side effects beyond
    HARMLESS_VOLATILE. Checked on DuckDB's parse, so case, quoting, schemas and comments change nothing."""
    texts = _explained(statement.query) if _type(statement) == duckdb.StatementType.EXPLAIN else [statement.query]
    trees = [tree for tree in (_parse_tree(text) for text in texts) if tree is not None]
    if not trees:
        raise SqlRefused(f"this statement cannot be checked for the functions it calls, so it does not run here: "
                         f"{ONLY_READS}; for PIVOT, list the values (PIVOT t ON col IN ('a', 'b') USING sum(x))")
    tables, effects = _function_kinds()
    for tree in trees:
        for kind, name in sorted(_functions(tree, set())):
            if (kind == "table" or name in tables) and name not in TABLE_FUNCTIONS and _reads_files(name):
                raise SqlRefused(f"files are off limits here, only the warehouse's tables can be read ({name}() is "
                                 "not allowed)")
            if (kind == "table" or name in tables) and name not in TABLE_FUNCTIONS:
                raise SqlRefused(f"the function {name}() is not allowed here: only functions that read the "
                                 f"warehouse's tables run (table functions allowed: "
                                 f"{', '.join(sorted(TABLE_FUNCTIONS))})")
            if name in effects and name not in HARMLESS_VOLATILE:
                raise SqlRefused(f"the function {name}() changes state and is not allowed here: {ONLY_READS}")


def _reads_files(name: str) -> bool:
    return name.startswith(("read_", "parquet_")) or name.endswith("_scan") or name in ("glob", "sniff_csv")


def _refuse_bad_text(sql: str) -> None:
    """Text that cannot be SQL: a lone surrogate (from undecodable bytes), a NUL."""
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SqlRefused(f"the SQL holds a character that is not valid text at position {exc.start + 1} "
                         "(bytes that are not UTF-8?): retype or re-save it as UTF-8") from None
    if "\x00" in sql:
        raise SqlRefused(f"the SQL holds a NUL character at position {sql.index(chr(0)) + 1}: remove it")


def check_sql(sql: str) -> duckdb.Statement:
    """The one read statement in `sql`, or SqlRefused (SqlError for a syntax error).

    Allowed: statements DuckDB types SELECT (which covers WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, FROM,
    TABLE, PIVOT with an IN list) and EXPLAIN [ANALYZE] of such a statement (EXPLAIN ANALYZE executes what
    it wraps). Refused: every other type, PRAGMA and CALL included, and any text with more than one statement.
    """
    if not isinstance(sql, str) or not sql.strip():
        raise SqlRefused(f"no SQL given: write one statement; {ONLY_READS}")
    _refuse_bad_text(sql)
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlError(str(exc)) from None
    if not statements:
        raise SqlRefused(f"no SQL given (only comments or semicolons): write one statement; {ONLY_READS}")
    for statement in statements:
        kind = _type(statement)
        if kind == duckdb.StatementType.EXPLAIN and not _explain_is_read(statement):
            raise SqlRefused(f"EXPLAIN is allowed only for a read statement (EXPLAIN [ANALYZE] SELECT …): {ONLY_READS}")
        if kind in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
            _refuse_hidden_writes(statement.query)
            continue
        if kind is None:
            raise SqlRefused(f"{_first_keyword(statement.query) or 'this statement'} is not allowed: {ONLY_READS}")
        raise _not_allowed(statement)
    if len(statements) > 1:
        raise SqlRefused(f"{len(statements)} statements given: run one statement at a time ({ONLY_READS})")
    _refuse_functions(statements[0])
    return statements[0]


class _Deadline:
    """Interrupts the connection after `limit` seconds unless finished first."""

    def __init__(self, con: duckdb.DuckDBPyConnection, limit: float):
        self.con, self.fired, self._done = con, False, False
        self._lock = threading.Lock()
        self._timer = threading.Timer(limit, self._stop)
        self._timer.daemon = True

    def _stop(self) -> None:
        with self._lock:
            if not self._done:
                self.fired = True
                self.con.interrupt()

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


def _limits(timeout: float | None, max_rows: int | None) -> tuple[float, int]:
    limit = float(timeout) if timeout is not None else config.float_setting("DASHBOARD_SQL_TIMEOUT")
    if not (limit > 0 and math.isfinite(limit)):
        raise SqlError(f"time limit {limit!r} must be a positive number of seconds "
                       "(DASHBOARD_SQL_TIMEOUT, or --timeout on the command line)")
    rows = int(max_rows) if max_rows is not None else config.int_setting("DASHBOARD_SQL_MAX_ROWS")
    if rows < 0:
        raise SqlError(f"row cap {rows} must be 0 or more (DASHBOARD_SQL_MAX_ROWS, or --max-rows)")
    return limit, rows


def _error(exc: duckdb.Error) -> SqlProblem:
    message = str(exc)
    if isinstance(exc, duckdb.PermissionException):
        return SqlRefused(f"files are off limits here, only the warehouse's tables can be read ({message})")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return SqlError(f"{message.splitlines()[0]} — the query needs more memory than it may use "
                        f"(DASHBOARD_SQL_MEMORY={config.setting('DASHBOARD_SQL_MEMORY')} for DuckDB, "
                        f"DASHBOARD_SQL_WORKER_MEMORY={config.setting('DASHBOARD_SQL_WORKER_MEMORY')} for its "
                        "process): aggregate or filter more, or raise the setting")
    return SqlError(message)


def _fetch(con, sql: str, params: dict | None, limit: float, max_rows: int,
           max_bytes: int | None = None) -> tuple[pd.DataFrame, str | None]:
    """Execute and fetch at most max_rows + 1 rows (and about max_bytes of them in memory), a few vectors at a
    time, under the deadline. Returns the frame and what truncated it: "rows", "bytes" or None."""
    vectors = max(1, min(64, math.ceil((max_rows + 1) / VECTOR)))
    if max_bytes is not None:
        vectors = 1  # a vector of very wide rows can be large: watch the size vector by vector
    cut = None
    with _Deadline(con, limit) as deadline:
        try:
            if params:
                con.execute(sql, params)
            else:
                con.execute(sql)
            chunks, fetched, size = [], 0, 0
            while fetched <= max_rows:
                chunk = con.fetch_df_chunk(vectors)
                if len(chunk) == 0:
                    chunks = chunks or [chunk]  # keep the (empty) first chunk for its columns and types
                    break
                if max_bytes is not None:
                    chunk_bytes = int(chunk.memory_usage(index=False, deep=True).sum())
                    if size + chunk_bytes > max_bytes:  # keep the rows that fit, by the chunk's average row
                        cut = "bytes"
                        fit = int((max_bytes - size) / max(chunk_bytes / len(chunk), 1))
                        chunks.append(chunk.iloc[:max(fit, 0)])
                        break
                    size += chunk_bytes
                chunks.append(chunk)
                fetched += len(chunk)
        except duckdb.Error as exc:
            if deadline.fired:
                raise SqlTimeout(f"the query was stopped at the {limit:g}-second time limit: narrow it "
                                 "(filter, aggregate, limit), or raise the limit with the DASHBOARD_SQL_TIMEOUT "
                                 "setting (on the command line: --timeout SECONDS)") from None
            raise _error(exc) from None
    df = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    if len(df) > max_rows:
        return df.iloc[:max_rows].reset_index(drop=True), "rows"
    return df, cut


def run_sql(sql: str, path: Path | str | None = None, *, params: dict | None = None,
            timeout: float | None = None, max_rows: int | None = None, max_bytes: int | None = None) -> SqlResult:
    """Run one read statement on the published warehouse (or `path`) under the guard, in this process; raises
    SqlProblem. The app and the command line call it through sqlworker, in an expendable process."""
    statement = check_sql(sql)
    limit, rows = _limits(timeout, max_rows)
    params = dict(params or {})
    missing = sorted(set(statement.named_parameters) - set(params))
    if missing:
        raise SqlError(f"no value for parameter {', '.join('$' + p for p in missing)}")
    unused = sorted(set(params) - set(statement.named_parameters))
    if unused:
        raise SqlError(f"parameter {', '.join(unused)} given but the SQL does not use "
                       f"{', '.join('$' + p for p in unused)}")
    started = time.perf_counter()
    with guarded(path) as con:
        df, cut = _fetch(con, sql, params, limit, rows, max_bytes)
    elapsed = time.perf_counter() - started
    return SqlResult(df=df, truncated=cut is not None, row_count_shown=len(df), elapsed_s=elapsed,
                     columns=[str(c) for c in df.columns], limit=cut)


def export_cap() -> int:
    """Rows a download may hold (DASHBOARD_SQL_EXPORT_ROWS): pass as max_rows to run_sql for an export."""
    return config.int_setting("DASHBOARD_SQL_EXPORT_ROWS")


SCHEMA_SQL = """
select c.table_name,
       case when t.table_type = 'VIEW' then 'view' else 'table' end as table_type,
       c.column_name,
       c.data_type
from information_schema.columns c
join information_schema.tables t
  on t.table_catalog = c.table_catalog and t.table_schema = c.table_schema and t.table_name = c.table_name
where c.table_catalog = current_database() and c.table_schema = 'main'
order by c.table_name, c.ordinal_position
"""

KPI_DESCRIPTIONS_SQL = """
select column_name, description_vi, description_en from kpis
"""


def describe_schema(path: Path | str | None = None, lang: str = "vi") -> pd.DataFrame:
    """Tables and views with their columns and types; `description` is the KPI text (in `lang`) for
    branch_month columns that a `kpis` row reads, else empty."""
    with guarded(path) as con:
        limit, _ = _limits(None, 0)
        schema, _ = _fetch(con, SCHEMA_SQL, None, limit, 1_000_000)
        has_kpis = ((schema["table_name"] == "kpis")
                    & schema["column_name"].isin(["column_name", "description_vi", "description_en"])).sum() == 3
        kpis = _fetch(con, KPI_DESCRIPTIONS_SQL, None, limit, 1_000_000)[0] if has_kpis else None
    schema["description"] = pd.Series([None] * len(schema), dtype="object")
    if kpis is not None and len(kpis):
        text = kpis.drop_duplicates("column_name").set_index("column_name")[
            "description_en" if lang == "en" else "description_vi"]
        on_branch_month = schema["table_name"] == "branch_month"
        schema.loc[on_branch_month, "description"] = schema.loc[on_branch_month, "column_name"].map(text)
    return schema
