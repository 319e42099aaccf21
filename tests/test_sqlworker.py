"""Ad-hoc SQL in expendable worker processes: every hostile case of the meeting issue is refused or bounded, the
process that asked keeps its memory, the next query is answered, a killed worker is replaced, a full pool says
'busy'. The warehouse is the committed sample."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from dashboard import sandbox, sqlworker
from dashboard.sandbox import SqlError, SqlRefused, SqlTimeout

TIMEOUT = 2.0
JOINS = "with a as (select 1 as x) select count(*) from a a0 " + " ".join(f"join a a{i} using (x)" for i in range(1, 261))
UNIONS = " union all ".join(["select 1 as x"] * 20000)

# (id, SQL, what must happen): "bytes" = shown truncated by size; an exception class = refused/stopped with it;
# a tuple = any of them (memory may fail in DuckDB or stop the process, whichever comes first)
HOSTILE = [
    ("1-GB-of-text", "select repeat('x', 100000) || i::varchar as s from range(10001) t(i)", ("bytes", SqlError)),
    ("levenshtein-20k", "select damerau_levenshtein(repeat('a', 20000), repeat('b', 20000))", (SqlError, SqlTimeout)),
    ("len-range-300M", "select len(range(300000000))", (SqlError, SqlTimeout)),
    ("cte-joined-260-times", JOINS, (SqlTimeout, SqlError)),
    ("union-all-20000", UNIONS, (SqlTimeout, SqlError, "rows")),
    ("register-resource-type", "select register_external_resource_type('x', 'y')", SqlRefused),
    ("register-resource", "select * from register_external_resource('x', 'y')", SqlRefused),
    ("checkpoint", "select checkpoint()", SqlRefused),
    ("checkpoint-from", "from checkpoint()", SqlRefused),
    ("truncate-logs", "select truncate_duckdb_logs()", SqlRefused),
    ("query", "select * from query('select 1')", SqlRefused),
    ("query-quoted-upper", 'SELECT * FROM "QUERY"(\'select 1\')', SqlRefused),
    ("query-table", "select * from query_table('branch_month')", SqlRefused),
    ("query-table-scalar", "select query_table('branch_month')", SqlRefused),
    ("json-execute", "select * from json_execute_serialized_sql(json_serialize_sql('select 1'))", SqlRefused),
    ("explain-checkpoint", "explain select checkpoint()", SqlRefused),
    ("setseed", "select setseed(0.5)", SqlRefused),
    ("write-log", "select write_log('x')", SqlRefused),
    ("read-csv", "select * from read_csv('/etc/passwd')", SqlRefused),
    ("glob", "select * from glob('/*')", SqlRefused),
    ("lone-surrogate", "select 'a\ud800' as s", SqlRefused),
    ("nul", "select 1\x00", SqlRefused),
    ("endless-recursion", "with recursive t(n) as (select 1 union all select n + 1 from t) select count(*) from t",
     SqlTimeout),
]


def rss_mb() -> float:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


@pytest.fixture(scope="module")
def pool(sample_data_dir):
    made = sqlworker.Pool(size=2, memory_bytes=3 * 2**30, wait_s=30)
    yield made
    made.close()


@pytest.fixture()
def env(sample_env, pool, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SQL_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("DASHBOARD_SQL_MAX_BYTES", "8MB")
    monkeypatch.setenv("DASHBOARD_SQL_WORKER_MEMORY", "3GiB")  # as the pool was made
    monkeypatch.setattr(sqlworker, "pool", lambda: pool)
    return pool


def answers(pool) -> None:
    result = sqlworker.run_sql("select 41 + 1 as answer")
    assert list(result.df["answer"]) == [42]


@pytest.mark.parametrize("sql, expected", [pytest.param(s, e, id=i) for i, s, e in HOSTILE])
def test_hostile_sql_is_refused_or_bounded_and_the_app_carries_on(env, sql, expected):
    before = rss_mb()
    outcome = None
    try:
        result = sqlworker.run_sql(sql)
        outcome = result.limit
    except sandbox.SqlProblem as exc:
        outcome = exc
    allowed = expected if isinstance(expected, tuple) else (expected,)
    assert any(outcome == a if isinstance(a, str) else isinstance(outcome, a) for a in allowed), outcome
    if isinstance(outcome, sandbox.SqlProblem):
        assert str(outcome)  # says what happened
    assert rss_mb() - before < 150, "the asking process stays within its memory budget"
    answers(env)  # and the next query is answered


def test_a_bounded_result_says_which_limit(env):
    result = sqlworker.run_sql("select repeat('x', 100000) as s from range(1000)")
    assert result.truncated and result.limit == "bytes"
    assert 0 < result.row_count_shown < 1000 and result.df.memory_usage(deep=True).sum() <= 8_000_000 * 1.1


def test_a_query_past_its_deadline_kills_and_replaces_the_worker(env):
    answers(env)
    before = set(env.pids())
    with pytest.raises(SqlTimeout, match="DASHBOARD_SQL_TIMEOUT"):
        sqlworker.run_sql(JOINS)  # planning: an interrupt is not checked there, so the worker is killed
    answers(env)
    assert set(env.pids()) != before, "a worker was replaced"
    assert len(env.pids()) == 2


def test_a_dead_worker_is_replaced(env):
    answers(env)
    for worker in env._workers:
        if worker.alive():
            worker.proc.kill()
            worker.proc.wait()
    answers(env)


def test_a_full_pool_says_busy(sample_env, monkeypatch):
    small = sqlworker.Pool(size=1, memory_bytes=3 * 2**30, wait_s=0.2)
    monkeypatch.setattr(sqlworker, "pool", lambda: small)
    monkeypatch.setenv("DASHBOARD_SQL_TIMEOUT", "5")
    try:
        answers(small)  # started and warm
        outcome = []

        def hold_the_worker():  # a long scan in little memory, stopped at the time limit
            try:
                sqlworker.run_sql("select sum(i) from range(100000000000) t(i)")
            except sandbox.SqlProblem as exc:
                outcome.append(exc)

        slow = threading.Thread(target=hold_the_worker, daemon=True)
        slow.start()
        time.sleep(0.5)  # (the slow query has taken the only worker)
        with pytest.raises(sqlworker.SqlBusy, match="DASHBOARD_SQL_WORKERS"):
            sqlworker.run_sql("select 1")
        slow.join(30)
        assert outcome and isinstance(outcome[0], SqlTimeout), outcome
        answers(small)
    finally:
        small.close()


@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_downloads_are_made_in_the_worker_within_their_caps(env, monkeypatch, output):
    data = sqlworker.export("select branch_code, '=1+1' as f from branches order by 1", output)
    assert data[:2] == (b"PK" if output == "xlsx" else b"\xef\xbb")
    monkeypatch.setenv("DASHBOARD_SQL_EXPORT_ROWS", "3")
    with pytest.raises(SqlError, match="DASHBOARD_SQL_EXPORT_ROWS"):
        sqlworker.export("select * from branch_month", output)
    monkeypatch.setenv("DASHBOARD_SQL_EXPORT_ROWS", "1000000")
    monkeypatch.setenv("DASHBOARD_SQL_EXPORT_BYTES", "20KB")
    with pytest.raises(SqlError, match="DASHBOARD_SQL_EXPORT_BYTES"):
        sqlworker.export("select * from branch_month", output)


def test_a_catalogue_query_runs_in_the_worker_with_its_parameters(env, sample_warehouse):
    from dashboard import queries, warehouse

    con = warehouse.connect(sample_warehouse.path)
    try:
        params = {p: v for p, v in queries.default_params(con).items() if p in queries.load("branch_kpis").params}
        expected = queries.run(con, "branch_kpis", params)
    finally:
        con.close()
    result = sqlworker.run_query("branch_kpis", params)
    assert result.df.equals(expected)


@pytest.mark.parametrize("name, value", [("DASHBOARD_SQL_WORKER_MEMORY", "lots"), ("DASHBOARD_SQL_MAX_BYTES", "-1MB"),
                                         ("DASHBOARD_SQL_EXPORT_TIMEOUT", "0")])
def test_bad_settings_are_named(sample_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        sqlworker.Limits.from_settings() if name != "DASHBOARD_SQL_WORKER_MEMORY" else sqlworker.pool()
