"""Page query files: header contract, parameter checks before running, bound values, hot reload, clear errors."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboard import queries
from dashboard.queries import QueryError
from tests.kit import tiny_warehouse

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "queries" / "remote_read_by_branch.sql"


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:
    return tiny_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


@pytest.fixture()
def con(wh):
    con = duckdb.connect(str(wh), read_only=True)
    yield con
    con.close()


@pytest.fixture()
def qdir(tmp_path) -> Path:
    """A private copy of a queries folder holding the DESIGN.md example."""
    folder = tmp_path / "queries"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    return folder


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.sql"
    path.write_text(text, encoding="utf-8")
    return path


PARAMS = {"branches": ["PC08AA", "PC08BB"], "period_from": dt.date(2020, 1, 1), "period_to": dt.date(2020, 3, 1)}


# ---------------------------------------------------------------- header


def test_the_example_header_parses(qdir):
    q = queries.load("remote_read_by_branch", qdir)
    assert q.name == "remote_read_by_branch"
    assert q.path == qdir / "remote_read_by_branch.sql"
    assert q.title == "Tỷ lệ ghi chỉ số từ xa theo điện lực"
    assert q.title_en == "Remote-read rate by branch"
    assert q.grain == "one row per branch and period"
    assert q.params == ("branches", "period_from", "period_to")
    assert q.columns == ("branch_code", "period", "remote_read_rate")
    assert q.sql.startswith("select branch_code, period, remote_read_rate")
    assert len(q.digest) == 64


def test_optional_fields_continuations_and_no_params(qdir):
    write(qdir, "branch_list", "\n-- title: Điện lực\n-- title_en: Branches\n-- grain: one row per branch\n"
                               "-- params: none\n-- description: every branch,\n--   sorted by code.\n"
                               "select branch_code from branches order by 1\n")
    write(qdir, "empty_params", "-- title: a\n-- title_en: b\n-- grain: c\n-- params:\nselect 1 as one\n")
    q = queries.load("branch_list", qdir)
    assert q.params == () and q.columns is None
    assert q.description == "every branch, sorted by code."
    assert queries.load("empty_params", qdir).params == ()


def test_list_queries_and_names(qdir):
    write(qdir, "a_first", "-- title: a\n-- title_en: a\n-- grain: one row\n-- params: none\nselect 1 as one\n")
    assert queries.names(qdir) == ["a_first", "remote_read_by_branch"]
    assert [q.name for q in queries.list_queries(qdir)] == ["a_first", "remote_read_by_branch"]


HEAD = "-- title: Tiêu đề\n-- title_en: Title\n-- grain: one row per branch\n-- params: branches\n"
BODY = "select branch_code from branches where list_contains($branches, branch_code)\n"

BAD_HEADERS = [
    ("no header", BODY, "no comment header"),
    ("missing title", HEAD.replace("-- title: Tiêu đề\n", "") + BODY, "'title' is missing"),
    ("missing title_en", HEAD.replace("-- title_en: Title\n", "") + BODY, "'title_en' is missing"),
    ("missing grain", HEAD.replace("-- grain: one row per branch\n", "") + BODY, "'grain' is missing"),
    ("missing params", HEAD.replace("-- params: branches\n", "") + "select 1 as x\n", "'params' is missing"),
    ("empty title", HEAD.replace("Tiêu đề", "") + BODY, "'title' is empty"),
    ("unknown field", HEAD + "-- titel: typo\n" + BODY, "unknown header field 'titel'"),
    ("twice", HEAD + "-- grain: again\n" + BODY, "'grain' appears twice"),
    ("not a field", HEAD + "-- this query lists branches\n" + BODY, "is not a header line"),
    ("bad param name", HEAD.replace("params: branches", "params: branches, Period-From") + BODY, "'Period-From'"),
    ("param listed twice", HEAD.replace("params: branches", "params: branches, branches") + BODY, "twice"),
    ("undeclared param", HEAD + BODY.replace("\n", " and branch_code = $branch\n"), "$branch"),
    ("declared but unused", HEAD.replace("params: branches", "params: branches, kpi") + BODY, "never uses $kpi"),
    ("header only", HEAD, "no SQL"),
    ("two statements", HEAD + BODY.rstrip() + ";\nselect 2;\n", "2 statements"),
    ("not a select", HEAD.replace("branches\n", "none\n") + "create table x (i integer)\n", "CREATE"),
    ("syntax error", HEAD + "selec branch_code from branches where $branches is not null\n", "syntax error"),
    ("bad columns", HEAD + "-- columns: branch_code, 2nd\n" + BODY, "'2nd'"),
]


@pytest.mark.parametrize("text,expected", [(t, e) for _, t, e in BAD_HEADERS], ids=[b[0] for b in BAD_HEADERS])
def test_bad_files_raise_query_error_naming_the_file(qdir, text, expected):
    path = write(qdir, "bad_query", text)
    with pytest.raises(QueryError) as caught:
        queries.load("bad_query", qdir)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


@pytest.mark.parametrize("name", ["../etc/passwd", "Remote", "a/b", "remote_read_by_branch.sql", "", "1st", "a-b",
                                  None])
def test_query_names_are_validated(qdir, name):
    with pytest.raises(QueryError, match="not a query name"):
        queries.load(name, qdir)


def test_a_missing_file_lists_the_known_queries(qdir):
    with pytest.raises(QueryError, match="no such query file.*remote_read_by_branch"):
        queries.load("remote_reads", qdir)


def test_repository_errors_show_the_repository_path():
    err = QueryError(EXAMPLE, "Binder Error: x")
    assert str(err) == "queries/remote_read_by_branch.sql: Binder Error: x"


# ---------------------------------------------------------------- running


class NoConnection:
    """Fails the test if a query reaches the database."""

    def cursor(self):
        raise AssertionError("the query ran")


def test_the_example_runs_with_bound_parameters(con, qdir):
    df = queries.run(con, "remote_read_by_branch", PARAMS, qdir)
    assert list(df.columns) == ["branch_code", "period", "remote_read_rate"]
    assert len(df) == 6
    assert set(df["branch_code"]) == {"PC08AA", "PC08BB"}
    assert df["period"].min().date() == dt.date(2020, 1, 1)


@pytest.mark.parametrize("params,expected", [
    ({"branches": ["PC08AA"], "period_from": dt.date(2020, 1, 1)}, r"\$period_to declared but not given"),
    ({}, r"\$branches, \$period_from, \$period_to declared but not given"),
    (dict(PARAMS, kpi="remote_read_rate"), "kpi given but not declared"),
], ids=["missing one", "missing all", "extra"])
def test_param_mismatch_is_an_error_before_running(qdir, params, expected):
    with pytest.raises(QueryError, match=expected) as caught:
        queries.run(NoConnection(), "remote_read_by_branch", params, qdir)
    assert str(caught.value).startswith(str(qdir / "remote_read_by_branch.sql"))


def test_values_are_bound_never_spliced(tmp_path, qdir):
    # writable, so a successful injection would show
    con = duckdb.connect(str(tiny_warehouse(tmp_path / "writable.duckdb")))
    try:
        evil = "'; drop table branches; --"
        df = queries.run(con, "remote_read_by_branch", dict(PARAMS, branches=[evil, "PC08AA') or true --"]), qdir)
        assert df.empty
        write(qdir, "one_branch", "-- title: a\n-- title_en: a\n-- grain: one row\n-- params: branch\n"
                                  "select branch_code from branches where branch_code = $branch\n")
        assert queries.run(con, "one_branch", {"branch": evil}, qdir).empty
        assert con.execute("select count(*) from branches").fetchone()[0] == 9
    finally:
        con.close()


def test_sequences_and_timestamps_are_converted(con, qdir):
    import pandas as pd

    params = {"branches": ("PC08AA",), "period_from": pd.Timestamp("2020-01-01"), "period_to": dt.date(2020, 1, 1)}
    assert len(queries.run(con, "remote_read_by_branch", params, qdir)) == 1


def test_an_edited_file_takes_effect_on_the_next_run(con, qdir):
    first = queries.run(con, "remote_read_by_branch", PARAMS, qdir)
    path = qdir / "remote_read_by_branch.sql"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("select branch_code, period, remote_read_rate",
                                 "select branch_code, period, remote_read_rate * 100 as remote_read_rate"),
                    encoding="utf-8")
    second = queries.run(con, "remote_read_by_branch", PARAMS, qdir)
    assert second["remote_read_rate"].tolist() == pytest.approx([v * 100 for v in first["remote_read_rate"]])
    path.write_text(path.read_text(encoding="utf-8").replace("select branch_code,", "select branch_code as code,"),
                    encoding="utf-8")
    with pytest.raises(QueryError, match="unexpected code"):
        queries.run(con, "remote_read_by_branch", PARAMS, qdir)


def test_a_broken_query_raises_query_error_naming_the_file(con, qdir):
    path = write(qdir, "broken", "-- title: a\n-- title_en: a\n-- grain: one row\n-- params: none\n"
                                 "select no_such_column from branch_month\n")
    with pytest.raises(QueryError) as caught:
        queries.run(con, "broken", {}, qdir)
    assert str(caught.value).startswith(f"{path}: Binder Error")
    assert "no_such_column" in str(caught.value)


def test_declared_columns_must_match(con, qdir):
    write(qdir, "wrong_columns", "-- title: a\n-- title_en: a\n-- grain: one row\n-- params: none\n"
                                 "-- columns: branch_code, branch_name\nselect branch_code from branches\n")
    with pytest.raises(QueryError, match="declares branch_code, branch_name.*missing branch_name"):
        queries.run(con, "wrong_columns", {}, qdir)


def test_run_leaves_the_connection_usable(con, qdir):
    queries.run(con, "remote_read_by_branch", PARAMS, qdir)
    assert con.execute("select count(*) from branches").fetchall() == [(9,)]


def test_default_params_come_from_the_warehouse(con):
    params = queries.default_params(con)
    assert params["branches"] == [f"PC08{c}{c}" for c in "ABCDEFGHI"]
    assert params["branch"] == "PC08AA"
    assert params["period"] == params["period_to"] == dt.date(2020, 8, 1)
    assert params["period_from"] == dt.date(2019, 8, 1)
    assert type(params["period_from"]) is dt.date
    assert (params["lang"], params["kpi"]) == ("vi", "remote_read_rate")
    assert set(params) == set(queries.KNOWN_PARAMS)


def test_the_example_runs_with_the_default_params(con):
    defaults = queries.default_params(con)
    q = queries.load("remote_read_by_branch")
    df = queries.run(con, q.name, {p: defaults[p] for p in q.params})
    assert len(df) == 9 * 13
