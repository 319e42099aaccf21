"""The guarded SQL path: hostile SQL refused with the warehouse untouched, reads allowed, time limit, row caps, CLI."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import sandbox
from dashboard.sandbox import SqlError, SqlProblem, SqlRefused, SqlTimeout, run_sql
from tests.kit import tiny_warehouse

REPO = Path(__file__).resolve().parent.parent
BRANCH_CODES = [f"PC08{c}{c}" for c in "ABCDEFGHI"]


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data") / "warehouse"
    folder.mkdir()
    return tiny_warehouse(folder / "20200901T000000Z-abcdef.duckdb")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


# ---------------------------------------------------------------- hostile SQL

SECRET = "{secret}"  # a file outside the warehouse, written by the test
OUT = "{out}"  # a file a write would create

HOSTILE = [
    # file reads
    ("select * from read_csv('/etc/passwd')", "off limits"),
    ("select * from read_csv_auto('/etc/passwd')", "off limits"),
    ("select * from read_text('/etc/passwd')", "off limits"),
    ("select * from read_blob('/etc/passwd')", "off limits"),
    (f"select * from read_text('{SECRET}')", "off limits"),
    (f"select * from read_csv('{SECRET}')", "off limits"),
    (f"select * from read_parquet('{SECRET}')", "off limits"),
    (f"select * from read_json('{SECRET}')", "off limits"),
    (f"select * from '{SECRET}'", "off limits"),
    ("select * from glob('/etc/*')", "off limits"),
    ("with x as (select * from read_csv('/etc/passwd')) select * from x", "off limits"),
    ("select count(*) from (select * from read_csv('/etc/passwd')) s", "off limits"),
    ("select (select count(*) from read_text('/etc/passwd')) as n", "off limits"),
    # writes to files and other databases
    (f"copy branches to '{OUT}'", "COPY is not allowed"),
    (f"copy (select * from branches) to '{OUT}' (format csv)", "COPY is not allowed"),
    (f"with x as (copy branches to '{OUT}') select 1", "COPY inside a query"),
    (f"export database '{OUT}'", "EXPORT is not allowed"),
    (f"attach '{OUT}' as other", "ATTACH is not allowed"),
    ("attach ':memory:' as scratch", "ATTACH is not allowed"),
    ("detach scratch", "DETACH is not allowed"),
    ("install httpfs", "INSTALL"),
    ("load httpfs", "LOAD is not allowed"),
    ("update extensions", "not allowed"),
    # settings
    ("set enable_external_access = true", "SET is not allowed"),
    ("set lock_configuration = false", "SET is not allowed"),
    ("reset memory_limit", "RESET"),
    ("set variable x = 1", "SET is not allowed"),
    ("pragma enable_profiling", "PRAGMA is not allowed"),
    ("pragma version", "PRAGMA is not allowed"),
    ("call pragma_version()", "CALL is not allowed"),
    ("checkpoint", "CHECKPOINT"),
    ("use memory", "USE"),
    ("begin transaction", "BEGIN"),
    # schema and data changes
    ("create table x (i integer)", "CREATE is not allowed"),
    ("create temp table x as select 1 as i", "CREATE is not allowed"),
    ("create view v as select 1 as i", "CREATE is not allowed"),
    ("create macro m(a) as a + 1", "CREATE is not allowed"),
    ("create secret s (type s3, key_id 'k', secret 's')", "CREATE is not allowed"),
    ("insert into branches values ('X', 'x', 'x')", "INSERT is not allowed"),
    ("update branches set branch_name = 'x'", "UPDATE is not allowed"),
    ("delete from branches", "DELETE is not allowed"),
    ("truncate branches", "not allowed"),
    ("drop table branches", "DROP is not allowed"),
    ("alter table branches add column c integer", "ALTER is not allowed"),
    ("merge into branches using branches s on false when not matched then insert values ('x', 'x', 'x')",
     "MERGE"),
    ("vacuum branches", "VACUUM"),
    ("with x as (delete from branches returning *) select * from x", "DELETE inside a query"),
    ("with x as (insert into branches values ('X', 'x', 'x') returning *) select * from x", "INSERT inside a query"),
    ("with x as (update branches set district = 'x' returning *) select 1", "UPDATE inside a query"),
    ("explain analyze create temp table x as select 1 as i", "EXPLAIN is allowed only"),
    (f"explain analyze copy (select 1) to '{OUT}'", "EXPLAIN is allowed only"),
    ("explain (analyze) create table x (i integer)", "EXPLAIN is allowed only"),
    ("prepare p as select 1", "PREPARE is not allowed"),
    ("pivot branch_month on branch_code using sum(bills)", "PIVOT"),
    # hidden after a harmless statement, in comments, in odd case
    ("select 1; drop table branches", "DROP is not allowed"),
    ("select 1;drop table branches;", "DROP is not allowed"),
    ("select 1; select 2", "one statement at a time"),
    ("/* harmless */ drop table branches", "DROP is not allowed"),
    ("/* nested /* comment */ still */ drop table branches", "DROP is not allowed"),
    ("-- x\n drop table branches", "DROP is not allowed"),
    ("select 1 -- ; drop table branches\n; drop table branches", "DROP is not allowed"),
    ("DrOp TaBlE branches", "DROP is not allowed"),
    ("sElEcT 1; CoPy branches To '" + OUT + "'", "COPY is not allowed"),
    # nothing at all
    ("", "no SQL given"),
    ("   \n\t", "no SQL given"),
    ("-- just a comment", "no SQL given"),
    (";", "no SQL given"),
]


@pytest.mark.parametrize("template,expected", HOSTILE, ids=[h[0][:60] for h in HOSTILE])
def test_hostile_sql_is_refused_and_changes_nothing(wh, tmp_path, template, expected):
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("a,b\n1,2\n")
    out = tmp_path / "out.csv"
    sql = template.replace(SECRET, str(secret)).replace(OUT, str(out))
    before_digest = sha256(wh)
    before_tmp, before_data = files_under(tmp_path), files_under(wh.parent.parent)

    with pytest.raises(SqlRefused) as caught:
        run_sql(sql, wh, timeout=10)

    message = str(caught.value)
    assert expected in message
    assert "only read statements" in message or "off limits" in message
    assert sha256(wh) == before_digest
    assert files_under(tmp_path) == before_tmp
    assert files_under(wh.parent.parent) == before_data
    assert not out.exists()


def test_the_warehouse_still_answers_after_the_hostile_list(wh):
    assert run_sql("select count(*) as n from branches", wh).df["n"].tolist() == [9]


def test_python_variables_are_not_visible_to_sql(wh):
    secret_frame = pd.DataFrame({"password": ["hunter2"]})  # noqa: F841  (the replacement scan's target)
    with pytest.raises(SqlError, match="secret_frame"):
        run_sql("select * from secret_frame", wh)


def test_a_syntax_error_is_an_error_with_duckdbs_message(wh):
    with pytest.raises(SqlError, match="syntax error"):
        run_sql("selec 1", wh)


def test_an_unknown_table_is_an_error_not_a_refusal(wh):
    with pytest.raises(SqlError, match="nope"):
        run_sql("select * from nope", wh)


def test_all_problems_share_one_base_class():
    assert all(issubclass(cls, SqlProblem) for cls in (SqlRefused, SqlTimeout, SqlError))


# ---------------------------------------------------------------- reads that must work

GOOD = [
    ("select branch_code from branches order by 1", 9),
    ("SELECT count(*) AS n FROM bills", 1),
    ("with b as (select * from branches) select * from b", 9),
    ("values (1, 'a'), (2, 'b')", 2),
    ("from branches", 9),
    ("table branches", 9),
    ("describe branch_month", 5),
    ("show tables", 6),
    ("show branch_month", 5),
    ("summarize branches", 4),  # one row per column of the tiny branches table
    ("explain select * from branches", None),
    ("explain analyze select count(*) from bills", None),
    ("explain (format json) select 1", None),
    ("select * from (pivot branch_month on branch_code in ('PC08AA', 'PC08BB') using sum(bills) group by period)", 20),
    ("/* a comment first */ select 1 as one;", 1),
    ("-- a line comment\nselect 'drop table branches' as text", 1),
    ("select \"update\" from (select 1 as \"update\")", 1),
    ("select * from latest_branch_month", 9),
    ("select * from duckdb_tables()", 5),
]


@pytest.mark.parametrize("sql,rows", GOOD, ids=[g[0][:60] for g in GOOD])
def test_read_statements_run(wh, sql, rows):
    result = run_sql(sql, wh)
    assert isinstance(result.df, pd.DataFrame)
    assert result.columns == [str(c) for c in result.df.columns]
    assert result.truncated is False
    assert result.row_count_shown == len(result.df)
    assert result.elapsed_s >= 0
    if rows is not None:
        assert len(result.df) == rows
    else:
        assert len(result.df) >= 1


def test_parameters_are_bound_never_spliced(wh):
    df = run_sql("select branch_code from branches where branch_code = $code", wh, params={"code": "PC08AA"}).df
    assert df["branch_code"].tolist() == ["PC08AA"]
    evil = "PC08AA'; drop table branches; --"
    assert run_sql("select * from branches where branch_code = $code", wh, params={"code": evil}).df.empty
    assert run_sql("select count(*) as n from branches", wh).df["n"].tolist() == [9]


def test_a_missing_or_unused_parameter_is_named(wh):
    with pytest.raises(SqlError, match=r"\$code"):
        run_sql("select * from branches where branch_code = $code", wh)
    with pytest.raises(SqlError, match="other"):
        run_sql("select 1", wh, params={"other": 1})


def test_the_connection_is_closed_afterwards(wh):
    run_sql("select 1", wh)
    # DuckDB refuses a second in-process connection with another configuration while one is open.
    plain = duckdb.connect(str(wh), read_only=True)
    plain.close()


def test_runs_share_an_open_guarded_connection_and_time_out_independently(wh):
    held = sandbox.open_guarded(wh)  # e.g. the app's cached connection: same config, so one shared instance
    try:
        outcome = {}

        def slow():
            try:
                run_sql(SLOW, wh, timeout=1)
            except SqlProblem as exc:
                outcome["slow"] = exc

        thread = threading.Thread(target=slow)
        thread.start()
        assert run_sql("select count(*) as n from branches", wh).df["n"].tolist() == [9]
        thread.join(timeout=5)
        assert isinstance(outcome.get("slow"), SqlTimeout)
        assert held.execute("select count(*) from branches").fetchall() == [(9,)]
    finally:
        held.close()


def test_a_plain_connection_held_in_process_is_a_clear_error(wh):
    plain = duckdb.connect(str(wh), read_only=True)
    try:
        with pytest.raises(SqlError, match="open_guarded"):
            run_sql("select 1", wh)
    finally:
        plain.close()


def test_connection_is_locked_down_before_user_sql(wh):
    con = sandbox.open_guarded(wh)
    try:
        settings = dict(con.execute(
            "select name, value from duckdb_settings() where name in "
            "('enable_external_access', 'lock_configuration', 'python_enable_replacements', 'threads')"
        ).fetchall())
        assert settings["enable_external_access"] == "false"
        assert settings["lock_configuration"] == "true"
        assert settings["python_enable_replacements"] == "false"
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("set enable_external_access = true")
        with pytest.raises(duckdb.Error):
            con.execute("create table x (i integer)")
    finally:
        con.close()


# ---------------------------------------------------------------- time limit and row caps

SLOW = "select count(*) from bills a cross join bills b where a.kwh + b.kwh > -1"


def test_a_long_query_stops_at_the_time_limit_and_the_next_one_works(wh):
    started = time.perf_counter()
    with pytest.raises(SqlTimeout) as caught:
        run_sql(SLOW, wh, timeout=1)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.5, f"stopped after {elapsed:.2f} s"
    message = str(caught.value)
    assert "1-second" in message and "DASHBOARD_SQL_TIMEOUT" in message and "--timeout" in message
    assert run_sql("select count(*) as n from bills", wh).df["n"].tolist() == [300_000]


def test_the_time_limit_defaults_to_the_setting(wh, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SQL_TIMEOUT", "0.5")
    started = time.perf_counter()
    with pytest.raises(SqlTimeout, match="0.5-second"):
        run_sql(SLOW, wh)
    assert time.perf_counter() - started < 0.75 + 0.5


def test_a_bad_setting_names_itself(wh, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SQL_MAX_ROWS", "lots")
    with pytest.raises(ValueError, match="DASHBOARD_SQL_MAX_ROWS"):
        run_sql("select 1", wh)


def test_row_cap_truncates_and_flags(wh):
    result = run_sql("select * from bills order by bill_id", wh, max_rows=100)
    assert result.truncated is True
    assert result.row_count_shown == 100 == len(result.df)
    assert result.df["bill_id"].tolist() == list(range(100))
    exact = run_sql("select * from branches", wh, max_rows=9)
    assert exact.truncated is False and exact.row_count_shown == 9
    under = run_sql("select * from branches", wh, max_rows=8)
    assert under.truncated is True and under.row_count_shown == 8


def test_row_cap_default_is_the_setting(wh, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SQL_MAX_ROWS", "5000")
    result = run_sql("select * from bills", wh)
    assert result.truncated and result.row_count_shown == 5000


def test_a_huge_result_is_not_fetched_whole(wh):
    # fetching 10^10 rows whole would hit the time limit and raise; a capped fetch returns at once
    result = run_sql("select * from range(10000000000) t(i)", wh, max_rows=10, timeout=5)
    assert result.truncated and result.df["i"].tolist() == list(range(10))


def test_an_empty_result_keeps_its_columns(wh):
    result = run_sql("select branch_code, period from branch_month where false", wh)
    assert result.df.empty and result.columns == ["branch_code", "period"] and not result.truncated


def test_export_cap_is_the_setting_and_bounds_a_download(wh, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SQL_EXPORT_ROWS", "123456")
    assert sandbox.export_cap() == 123456
    result = run_sql("select * from bills", wh, max_rows=sandbox.export_cap())
    assert result.truncated and result.row_count_shown == 123456
    whole = run_sql("select * from bills where kwh < 10", wh, max_rows=sandbox.export_cap())
    assert not whole.truncated and whole.row_count_shown == 6000


def test_nothing_published_says_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path))
    with pytest.raises(SqlError, match="python -m dashboard build"):
        run_sql("select 1")


def test_the_published_warehouse_is_the_default(wh, monkeypatch):
    data = wh.parent.parent
    (data / "CURRENT").write_text(os.path.relpath(wh, data) + "\n")
    try:
        monkeypatch.setenv("DASHBOARD_DATA_DIR", str(data))
        assert run_sql("select count(*) as n from branches").df["n"].tolist() == [9]
    finally:
        (data / "CURRENT").unlink()


# ---------------------------------------------------------------- schema pane


def test_describe_schema_lists_tables_views_and_kpi_descriptions(wh):
    schema = sandbox.describe_schema(wh)
    assert list(schema.columns) == ["table_name", "table_type", "column_name", "data_type", "description"]
    types = schema.drop_duplicates("table_name").set_index("table_name")["table_type"].to_dict()
    assert types == {"bills": "table", "branch_month": "table", "branches": "table", "company_month": "table",
                     "kpis": "table", "latest_branch_month": "view"}
    rows = schema.set_index(["table_name", "column_name"])
    assert rows.loc[("branch_month", "remote_read_rate"), "description"] == "Hóa đơn ghi từ xa ÷ tổng số hóa đơn"
    assert rows.loc[("branch_month", "period"), "data_type"] == "DATE"
    assert pd.isna(rows.loc[("branch_month", "branch_code"), "description"])
    assert pd.isna(rows.loc[("company_month", "remote_read_rate"), "description"])
    english = sandbox.describe_schema(wh, lang="en").set_index(["table_name", "column_name"])
    assert english.loc[("branch_month", "bills"), "description"] == "Bills issued"


# ---------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def data_dir(wh, tmp_path_factory) -> Path:
    """A data dir whose CURRENT names the fixture file (relative to the data dir)."""
    data = tmp_path_factory.mktemp("cli-data")
    (data / "CURRENT").write_text(os.path.relpath(wh, data) + "\n")
    return data


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DASHBOARD_DATA_DIR=str(data_dir), PYTHONUTF8="1")
    return subprocess.run([sys.executable, "-m", "dashboard", "sql", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, encoding="utf-8", timeout=60)


def test_cli_csv_is_exactly_header_and_rows(data_dir):
    proc = cli(data_dir, "select branch_code, branch_name, 1.5 as x, date '2020-08-01' as period "
                         "from branches order by branch_code limit 3", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ("branch_code,branch_name,x,period\n"
                           "PC08AA,Điện lực A,1.5,2020-08-01\n"
                           "PC08BB,Điện lực B,1.5,2020-08-01\n"
                           "PC08CC,Điện lực C,1.5,2020-08-01\n")
    assert "3 rows" in proc.stderr


def test_cli_json_is_a_list_of_records(data_dir):
    proc = cli(data_dir, "select branch_code, period, remote_read_rate from branch_month "
                         "where period = date '2020-08-01' order by branch_code", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    assert len(records) == 9
    # tiny_warehouse: remote reads = month + 10 x branch index, of 100 bills; PC08AA is index 0
    assert records[0] == {"branch_code": "PC08AA", "period": "2020-08-01", "remote_read_rate": 8 / 100}


def test_cli_table_and_truncation_notice(data_dir):
    proc = cli(data_dir, "select bill_id from bills order by bill_id", "--max-rows", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["bill_id", "0", "1", "2"]
    assert "truncated" in proc.stderr and "--max-rows" in proc.stderr


def test_cli_reads_sql_from_stdin(data_dir):
    proc = cli(data_dir, "-", "--format", "csv", stdin="select count(*) as n from branches\n")
    assert (proc.returncode, proc.stdout) == (0, "n\n9\n"), proc.stderr


def test_cli_refused_exits_2_with_message_on_stderr(data_dir):
    proc = cli(data_dir, "select 1; drop table branches", "--format", "csv")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "DROP is not allowed" in proc.stderr


def test_cli_timeout_exits_3(data_dir):
    proc = cli(data_dir, SLOW, "--timeout", "0.5")
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert "--timeout" in proc.stderr


def test_cli_error_exits_1(data_dir):
    proc = cli(data_dir, "select * from nope")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "nope" in proc.stderr
