"""Models: the SQL files of queries/models/, declared, ordered by what they read, run and tested.

One model per file, one SELECT under a header that says what the model is (in the manner of dbt):

    -- model: branch_month                 the table it builds; the file's name
    -- materialized: table                 table: kept in the warehouse; staging: a temporary table that
    --                                     later models read and that is gone when the build ends
    -- grain: one row per branch_code and period
    -- unique_key: branch_code, period     optional: the columns that identify a row (tested as unique)
    -- incremental: period                 optional: how a monthly load recomputes it (below); default full
    -- final_when: is_trued_up             optional, customer_id models: rows a later month cannot change (below)
    -- description: what it holds; a long text goes on over lines
    --   indented with at least two spaces after the dashes
    -- tests: not_null(branch_code, period)
    -- tests: accepted_range(phone_coverage, 0, 1) accepted_range(email_coverage, 0, 1)
    -- tests: relationships(branch_code -> branches.branch_code)

Data tests, each on a line of its own or several on one `-- tests:` line (separated by spaces):

* `unique(col[, col…])`: no two rows share the same values in these columns (NULLs count as equal, as in
  GROUP BY). `unique_key` adds this test for its columns.
* `not_null(col[, col…])`: none of these columns is NULL.
* `accepted_range(col, min, max)`: col is within min..max, bounds included; NULL passes. Leave a bound
  empty for none: `accepted_range(median_days_to_complete, 0, )`.
* `relationships(col -> table.col)`: every non-NULL value of col is found in table.col (an export table or
  a model).

Incremental (used by `python -m dashboard load`, dashboard/load.py): `full` recomputes the whole model;
`period` says the model's rows for a period depend only on its inputs' rows of that period (and on tables
without a period, read whole), so a load recomputes only the periods it changed; `customer_id` says the same
per customer. The claim is the model author's; tests/test_load.py proves it by loading the sample month by
month and comparing with a full build at every step.

`final_when` (a boolean column of a `customer_id` model whose unique_key is its fact table's key, as
estimate_trueups' bill_id) claims more: a row where it is true stays as it is when later months are appended,
and a row where it is false depends only on its own fact row and the facts of later months. A load that only
appends months then recomputes a customer from its open rows' facts and the new months' facts, not from its
whole history (a few row groups of the bills, not a scan of every customer id); customers whose history
changed (a replaced month, a branch move) are still recomputed whole.

Dependencies are not guessed from the text: DuckDB parses each model (`json_serialize_sql`) and every table
the SELECT reads, CTE names aside, is either an export table or another model, which then runs first
(graphlib). After the transform the build runs every data test; a failing test stops the build before it
publishes, and the problem names the model, the test and up to five offending rows. Test SQL is generated
here from names checked against the header grammar, quoted with `ident`; range bounds are bound parameters.
"""
from __future__ import annotations

import datetime as dt
import graphlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dashboard import config, queries
from dashboard.contract import TABLES
from dashboard.exports import ident
from dashboard.problems import Problem, one_line
from dashboard.queries import DataTest

SHOWN_DIR = "queries/models"  # models are named by their place in the project, whichever folder the build read
SAMPLE_ROWS = 5
TEST_HINT = "fix the model's SQL or the exports, or the test in the model's header"


class ModelError(Exception):
    """Model files that cannot be read, ordered or run; `problems` says which file and what to fix."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataTestError(ModelError):
    """Data tests declared in model headers failed on the built tables."""


@dataclass(frozen=True)
class Model:
    header: queries.ModelFile
    reads: tuple[str, ...]  # every table the SELECT reads (CTEs aside), from DuckDB's parse
    depends: tuple[str, ...]  # the models among them: they run first

    @property
    def name(self) -> str:
        return self.header.name

    @property
    def path(self) -> Path:
        return self.header.path

    @property
    def sql(self) -> str:
        return self.header.sql.strip().rstrip(";")

    @property
    def is_staging(self) -> bool:
        return self.header.is_staging

    @property
    def unique_key(self) -> tuple[str, ...]:
        return self.header.unique_key

    @property
    def incremental(self) -> str:
        return self.header.incremental

    @property
    def final_when(self) -> str:
        return self.header.final_when

    @property
    def shown(self) -> str:
        return f"{SHOWN_DIR}/{self.path.name}"

    @property
    def data_tests(self) -> tuple[DataTest, ...]:
        """The header's tests, with `unique(<unique_key>)` first when the key is declared."""
        tests = self.header.tests
        if self.unique_key:
            key_test = DataTest("unique", self.unique_key)
            tests = (key_test,) + tuple(t for t in tests if t != key_test)
        return tests


# ---------------------------------------------------------------- reading and ordering


def tables_read(sql: str, con: duckdb.DuckDBPyConnection | None = None) -> set[str]:
    """Names of the tables a SELECT reads, from DuckDB's parse tree; CTE names are not tables. Raises
    ValueError with DuckDB's message when the SQL cannot be serialized (not one SELECT)."""
    own = con is None
    con = con or duckdb.connect()
    try:
        tree = json.loads(con.execute("select json_serialize_sql($sql)", {"sql": sql}).fetchall()[0][0])
    finally:
        if own:
            con.close()
    if tree.get("error"):
        raise ValueError(tree.get("error_message", "cannot be parsed"))
    found: set[str] = set()
    _walk(tree["statements"], frozenset(), found)
    return found


def _walk(node, ctes: frozenset[str], found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, ctes, found)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "BASE_TABLE":
        name = node.get("table_name", "")
        if node.get("schema_name") or node.get("catalog_name"):
            found.add(".".join(p for p in (node.get("catalog_name"), node.get("schema_name"), name) if p))
        elif name not in ctes:
            found.add(name)
        return
    if node.get("cte_name"):  # a recursive CTE reads itself
        ctes = ctes | {node["cte_name"]}
    cte_map = node.get("cte_map")
    if isinstance(cte_map, dict) and cte_map.get("map"):
        # each CTE sees the ones defined before it (a CTE named like a table reads the table); the body sees all
        visible = set(ctes)
        for entry in cte_map["map"]:
            _walk(entry["value"], frozenset(visible), found)
            visible.add(entry["key"])
        ctes = frozenset(visible)
    for key, value in node.items():
        if key != "cte_map":
            _walk(value, ctes, found)


def load(models_dir: Path | str | None = None) -> list[Model]:
    """Every model file of the folder, parsed and in dependency order; ModelError lists every problem found."""
    folder = Path(models_dir) if models_dir is not None else config.MODELS_DIR
    problems: list[Problem] = []
    headers: dict[str, queries.ModelFile] = {}
    for path in sorted(folder.glob("*.sql")):
        try:
            headers[path.stem] = queries.parse_model(path)
        except queries.QueryError as exc:
            problems.append(Problem(f"{SHOWN_DIR}/{path.name}", exc.message))
    if not headers and not problems:
        raise ModelError([Problem(str(folder), "holds no model files (queries/models/*.sql)")])
    known = set(TABLES) | set(headers)
    models: dict[str, Model] = {}
    con = duckdb.connect()
    try:
        for name, header in headers.items():
            shown = f"{SHOWN_DIR}/{header.path.name}"
            try:
                reads = tables_read(header.sql, con)
            except ValueError as exc:
                problems.append(Problem(shown, f"cannot be parsed: {exc}"))
                continue
            unknown = sorted(reads - known)
            if unknown:
                problems.append(Problem(shown, f"reads {', '.join(unknown)}, which is neither an export table "
                                               f"({', '.join(TABLES)}) nor a model in {SHOWN_DIR}"))
                continue
            models[name] = Model(header, tuple(sorted(reads)), tuple(sorted(reads & set(headers))))
    finally:
        con.close()
    if problems:
        raise ModelError(sorted(problems, key=lambda p: str(p.file)))
    return [models[name] for name in order({name: m.depends for name, m in models.items()})]


def order(depends: dict[str, tuple[str, ...]]) -> list[str]:
    """Names so that each comes after those it depends on; ties by name. ModelError names a cycle's models."""
    sorter = graphlib.TopologicalSorter()
    for name in sorted(depends):
        sorter.add(name, *depends[name])
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = list(exc.args[1])
        files = ", ".join(f"{SHOWN_DIR}/{n}.sql" for n in sorted(set(cycle)))
        raise ModelError([Problem(f"{SHOWN_DIR}/{cycle[0]}.sql",
                                  f"models depend on each other in a cycle: {' -> '.join(cycle)}",
                                  hint=f"one of {files} must stop reading the other")]) from None
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(ready)
        sorter.done(*ready)
    return ordered


# ---------------------------------------------------------------- running


def run(con: duckdb.DuckDBPyConnection, models: list[Model],
        progress: Callable[[float, str], None] = lambda f, m: None, start: float = 0.0, span: float = 1.0) -> None:
    """Materialize every model in order: a table, or a temp table for staging models."""
    for i, model in enumerate(models):
        progress(start + span * i / max(len(models), 1), f"model {model.name}")
        kind = "temp table" if model.is_staging else "table"
        try:
            con.execute(f"create or replace {kind} {ident(model.name)} as {model.sql}")
        except duckdb.Error as exc:
            raise ModelError([Problem(model.shown, str(exc).strip().splitlines()[0])]) from exc


# ---------------------------------------------------------------- data tests


def run_tests(con: duckdb.DuckDBPyConnection, models: list[Model]) -> list[Problem]:
    """Every data test of every model on the built tables; one Problem per failing test."""
    problems: list[Problem] = []
    for model in models:
        if model.data_tests:
            problems.extend(_test_model(con, model))
    return problems


def _test_model(con, model: Model) -> list[Problem]:
    table = ident(model.name)
    try:
        columns = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
    except duckdb.Error as exc:
        return [Problem(model.shown, f"cannot be tested: {one_line(exc)}")]
    context = list(model.unique_key) or columns[:3]
    problems = []
    row_tests = [t for t in model.data_tests if t.kind in ("not_null", "accepted_range")]
    counts: dict[DataTest, int] = {}
    if row_tests:  # one scan of the table for every row-by-row test
        params: dict = {}
        conditions = [_condition(t, i, params) for i, t in enumerate(row_tests)]
        select = ", ".join(f"count(*) filter (where {c})" for c in conditions)
        try:
            counts = dict(zip(row_tests, con.execute(f"select {select} from {table}", params).fetchall()[0]))
        except duckdb.Error:
            counts = {}  # a test that cannot run: run each alone below, to say which
    for test in model.data_tests:
        shown_test = f"test {test}"
        try:
            if test.kind in ("not_null", "accepted_range"):
                params = {}
                condition = _condition(test, 0, params)
                n = counts.get(test)
                if n is None:
                    n = con.execute(f"select count(*) from {table} where {condition}", params).fetchall()[0][0]
                if not n:
                    continue
                shown = _unique(context + list(test.columns))
                cur = con.execute(f"select {_cols(shown)} from {table} where {condition} order by all "
                                  f"limit {SAMPLE_ROWS}", params)
                what = f"{n:,} row{'s' if n != 1 else ''}"
            elif test.kind == "unique":
                dupes = (f"select {_cols(test.columns)}, count(*) as row_count from {table} "
                         "group by all having count(*) > 1")
                n = con.execute(f"select count(*) from ({dupes})").fetchall()[0][0]
                if not n:
                    continue
                cur = con.execute(f"{dupes} order by all limit {SAMPLE_ROWS}")
                what = f"{n:,} value{'s' if n != 1 else ''} repeated"
            else:  # relationships
                column = ident(test.columns[0])
                missing = (f"from {table} as m anti join {ident(test.to_table)} as r "
                           f"on r.{ident(test.to_column)} = m.{column} where m.{column} is not null")
                n = con.execute(f"select count(*) {missing}").fetchall()[0][0]
                if not n:
                    continue
                shown = _unique(context + list(test.columns))
                cur = con.execute(f"select {', '.join('m.' + ident(c) for c in shown)} {missing} "
                                  f"order by all limit {SAMPLE_ROWS}")
                what = f"{n:,} row{'s' if n != 1 else ''} without a match"
        except duckdb.Error as exc:
            problems.append(Problem(model.shown, f"{shown_test} cannot run: {one_line(exc)}",
                                    hint="check the column names in the model's header"))
            continue
        names = [d[0] for d in cur.description]
        sample = "; ".join("(" + ", ".join(f"{k}={_shown(v)}" for k, v in zip(names, row)) + ")"
                           for row in cur.fetchall())
        problems.append(Problem(model.shown, f"{shown_test} failed on {what}, e.g. {sample}", hint=TEST_HINT))
    return problems


def _condition(test: DataTest, i: int, params: dict) -> str:
    """SQL that is true on a row failing a row-by-row test; bounds become bound parameters."""
    if test.kind == "not_null":
        return " or ".join(f"{ident(c)} is null" for c in test.columns)
    column, parts = ident(test.columns[0]), []
    if test.low is not None:
        params[f"low_{i}"] = test.low
        parts.append(f"{column} < $low_{i}")
    if test.high is not None:
        params[f"high_{i}"] = test.high
        parts.append(f"{column} > $high_{i}")
    return " or ".join(parts)


def _cols(names) -> str:
    return ", ".join(ident(n) for n in names)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _shown(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)
