"""Models declared, not guessed: headers parsed and checked, dependencies from DuckDB's parse, order by graphlib,
data tests generated safely and reported with the model, the test and sample rows."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dashboard import config, models, queries
from dashboard.models import ModelError
from dashboard.queries import DataTest, QueryError


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    path.write_text(text, encoding="utf-8")
    return path


def head(name: str, extra: str = "", materialized: str = "table") -> str:
    return f"-- model: {name}\n-- materialized: {materialized}\n-- grain: one row per thing\n{extra}"


# ---------------------------------------------------------------- what a model reads


@pytest.mark.parametrize("sql,expected", [
    ("select * from bills", {"bills"}),
    ("select '--' as note, * from z_base", {"z_base"}),  # a comment marker inside a string
    ("select 'made for a_reader' as label", set()),  # a model name inside a string
    ("select 1 as x -- from hidden\n", set()),  # a real comment
    ("with bills as (select * from bills) select * from bills", {"bills"}),  # a CTE named after the table it reads
    ("with a as (select * from stg_periods), b as (select * from a) select * from b join customers using (x)",
     {"stg_periods", "customers"}),
    ("select * from payments where bill_id in (select bill_id from bills)", {"payments", "bills"}),
    ("select * from (select * from (from branches))", {"branches"}),
    ("with recursive t(n) as (select 1 union all select n + 1 from t where n < 3) select * from t", set()),
    ("select * from range(3) r(i), unnest([1, 2]) u(j)", set()),
    ("unpivot (select * from stg_counts) on a, b into name k value v", {"stg_counts"}),
    ("select * from bills asof join payments using (customer_id)", {"bills", "payments"}),
])
def test_tables_read_come_from_duckdbs_parse(sql, expected):
    assert models.tables_read(sql) == expected


def test_the_repository_models_read_what_the_old_word_search_found():
    """The parse finds the same dependencies as before on today's models (nothing lost, nothing invented)."""
    by_name = {m.name: m for m in models.load()}
    assert by_name["stg_counts"].depends == ("payment_counts", "stg_bill_counts", "stg_branch_periods",
                                             "stg_customer_counts", "stg_request_counts",
                                             "stg_request_medians")
    assert by_name["branch_month"].depends == ("stg_measures",)
    assert by_name["stg_bill_counts"].reads == ("bills", "customers", "estimate_trueups")
    assert by_name["kpis"].depends == ()


def test_models_run_after_what_they_read(tmp_path):
    folder = tmp_path / "models"
    write(folder, "a_notes", head("a_notes") + "select '--' as marker, n from z_base\n")
    write(folder, "z_base", head("z_base") + "select 1 as n\n")
    write(folder, "m_label", head("m_label") + "select 'a_notes' as mention\n")
    assert [m.name for m in models.load(folder)] == ["m_label", "z_base", "a_notes"]


def test_a_cycle_names_its_models(tmp_path):
    folder = tmp_path / "models"
    write(folder, "a", head("a") + "select * from b\n")
    write(folder, "b", head("b") + "select * from c\n")
    write(folder, "c", head("c") + "select * from a\n")
    write(folder, "d", head("d") + "select 1 as x\n")
    with pytest.raises(ModelError) as info:
        models.load(folder)
    message = str(info.value)
    assert "cycle" in message and "d" not in message.split("cycle:")[1].split(":")[0]
    cycle = message.split("cycle: ")[1].split(":")[0]
    assert set(cycle.split(" -> ")) == {"a", "b", "c"}


def test_a_table_that_is_neither_export_nor_model_is_named_before_anything_runs(tmp_path):
    folder = tmp_path / "models"
    write(folder, "a", head("a") + "select * from bils\n")
    with pytest.raises(ModelError, match="queries/models/a.sql: reads bils, which is neither an export table"):
        models.load(folder)


def test_every_problem_in_the_folder_is_reported_at_once(tmp_path):
    folder = tmp_path / "models"
    write(folder, "a", head("a") + "select * from nowhere\n")
    write(folder, "b", "-- model: b\n-- grain: g\nselect 1 as x\n")
    with pytest.raises(ModelError) as info:
        models.load(folder)
    assert [p.file for p in info.value.problems] == ["queries/models/a.sql", "queries/models/b.sql"]
    assert "'materialized' is missing" in str(info.value)


# ---------------------------------------------------------------- the header


def test_a_full_header_is_read(tmp_path):
    path = write(tmp_path, "share", head("share", "-- unique_key: branch_code, period\n"
                                                  "-- description: a share\n"
                                                  "--   over two lines\n"
                                                  "-- tests: not_null(branch_code, period)\n"
                                                  "--   accepted_range(app_share, 0, 1); accepted_range(days, 0, )\n"
                                                  "-- tests: relationships(branch_code -> branches.branch_code)\n",
                                         materialized="staging") + "select 1 as x\n")
    model = queries.parse_model(path)
    assert (model.materialized, model.is_staging, model.unique_key) == ("staging", True, ("branch_code", "period"))
    assert model.description == "a share over two lines"
    assert model.tests == (
        DataTest("not_null", ("branch_code", "period")),
        DataTest("accepted_range", ("app_share",), low=0, high=1),
        DataTest("accepted_range", ("days",), low=0, high=None),
        DataTest("relationships", ("branch_code",), to_table="branches", to_column="branch_code"),
    )
    assert [str(t) for t in model.tests] == ["not_null(branch_code, period)", "accepted_range(app_share, 0, 1)",
                                             "accepted_range(days, 0, )",
                                             "relationships(branch_code -> branches.branch_code)"]


BAD_MODEL_HEADERS = [
    ("no materialized", "-- model: m\n-- grain: g\n", "header field 'materialized' is missing"),
    ("materialized view", "-- model: m\n-- materialized: view\n-- grain: g\n", "'view' is not table or staging"),
    ("unknown field", head("m", "-- unique_keys: a\n"), "unknown header field 'unique_keys'"),
    ("bad key name", head("m", "-- unique_key: Branch Code\n"), "'Branch Code' is not a name"),
    ("empty key", head("m", "-- unique_key: \n"), "'unique_key' is empty"),
    ("unknown test", head("m", "-- tests: unique(a) accepted_values(a, x)\n"),
     "'accepted_values(a, x)' is not a known"),
    ("not a call", head("m", "-- tests: unique a\n"), "'unique a' is not a test"),
    ("range bound not a number", head("m", "-- tests: accepted_range(a, 0, one)\n"), "not a number"),
    ("range without bounds", head("m", "-- tests: accepted_range(a, , )\n"), "at least one bound"),
    ("range upside down", head("m", "-- tests: accepted_range(a, 1, 0)\n"), "minimum above its maximum"),
    ("range of two columns", head("m", "-- tests: accepted_range(a, b, 0, 1)\n"), "a column, a minimum and a maximum"),
    ("relationship without arrow", head("m", "-- tests: relationships(a, b.c)\n"), "an arrow and a table.column"),
    ("sql in a column", head("m", "-- tests: not_null(a; drop table x)\n"), "column names"),
    ("column twice", head("m", "-- tests: unique(a, a)\n"), "names a column twice"),
    ("test twice", head("m", "-- tests: unique(a)\n-- tests: unique(a)\n"), "lists unique(a) twice"),
    ("unknown incremental", head("m", "-- incremental: monthly\n"), "'monthly' is not full, period, customer_id"),
    ("final_when on a period model", head("m", "-- unique_key: a\n-- incremental: period\n-- final_when: done\n"),
     "for an `incremental: customer_id` model"),
    ("final_when without a key", head("m", "-- incremental: customer_id\n-- final_when: done\n"),
     "one-column unique_key"),
    ("final_when of two columns", head("m", "-- unique_key: a\n-- incremental: customer_id\n-- final_when: x, y\n"),
     "one boolean column"),
    ("final_when not a name", head("m", "-- unique_key: a\n-- incremental: customer_id\n-- final_when: not x\n"),
     "'not x' is not a name"),
]


@pytest.mark.parametrize("header,expected", [c[1:] for c in BAD_MODEL_HEADERS], ids=[c[0] for c in BAD_MODEL_HEADERS])
def test_a_bad_model_header_names_the_file_and_the_field(tmp_path, header, expected):
    path = write(tmp_path, "m", header + "select 1 as a\n")
    with pytest.raises(QueryError) as info:
        queries.parse_model(path)
    assert expected in info.value.message
    assert str(info.value).startswith(str(path))


def test_every_repository_model_declares_what_it_is():
    for path in sorted(config.MODELS_DIR.glob("*.sql")):
        model = queries.parse_model(path)
        assert model.materialized == ("staging" if model.name.startswith("stg_") else "table"), path.name
        assert model.unique_key, f"{path.name} declares no unique_key"


# ---------------------------------------------------------------- data tests on a built table


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("create table branches as select * from (values ('PC08AA'), ('PC08BB')) t(branch_code)")
    c.execute("""create table shares as select * from (values
        ('PC08AA', date '2020-01-01', 0.5::double, 1),
        ('PC08AA', date '2020-02-01', 1.5, 2),
        ('PC08ZZ', date '2020-02-01', null, null),
        ('PC08ZZ', date '2020-02-01', -0.25, 3)
    ) t(branch_code, period, app_share, n)""")
    yield c
    c.close()


def model_of(tmp_path, extra: str) -> models.Model:
    """A model over the table `shares`; without a unique_key a sample row shows the first three columns."""
    header = queries.parse_model(write(tmp_path, "shares", head("shares", extra) + "select 1 as x\n"))
    return models.Model(header, ("branches",), ())


@pytest.mark.parametrize("extra,expected", [
    ("-- unique_key: branch_code, period\n",
     "test unique(branch_code, period) failed on 1 value repeated, e.g. (branch_code='PC08ZZ', "
     "period=2020-02-01, row_count=2)"),
    ("-- tests: not_null(app_share, n)\n",
     "test not_null(app_share, n) failed on 1 row, e.g. (branch_code='PC08ZZ', period=2020-02-01, app_share=NULL, "
     "n=NULL)"),
    ("-- tests: accepted_range(app_share, 0, 1)\n",
     "test accepted_range(app_share, 0, 1) failed on 2 rows, e.g. (branch_code='PC08AA', period=2020-02-01, "
     "app_share=1.5); (branch_code='PC08ZZ', period=2020-02-01, app_share=-0.25)"),
    ("-- tests: accepted_range(n, , 2)\n", "test accepted_range(n, , 2) failed on 1 row"),
    ("-- tests: relationships(branch_code -> branches.branch_code)\n",
     "test relationships(branch_code -> branches.branch_code) failed on 2 rows without a match, "
     "e.g. (branch_code='PC08ZZ', period=2020-02-01, app_share=-0.25); (branch_code='PC08ZZ', period=2020-02-01, "
     "app_share=NULL)"),
])
def test_a_failing_test_names_the_model_the_test_and_rows(con, tmp_path, extra, expected):
    problems = models.run_tests(con, [model_of(tmp_path, extra)])
    assert len(problems) == 1
    text = str(problems[0])
    assert text.startswith("queries/models/shares.sql: " + expected), text
    assert "\n" not in text and text.endswith(models.TEST_HINT)


def test_passing_tests_report_nothing(con, tmp_path):
    model = model_of(tmp_path, "-- unique_key: n\n-- tests: not_null(branch_code, period)\n"
                               "--   accepted_range(app_share, -1, 2) relationships(period -> shares.period)\n")
    assert models.run_tests(con, [model]) == []


def test_a_test_on_a_missing_column_says_it_cannot_run_and_the_others_still_run(con, tmp_path):
    problems = models.run_tests(con, [model_of(tmp_path, "-- tests: not_null(no_such_column) not_null(n)\n")])
    assert len(problems) == 2
    assert problems[0].message.startswith("test not_null(no_such_column) cannot run: Binder Error")
    assert problems[1].message == ("test not_null(n) failed on 1 row, e.g. (branch_code='PC08ZZ', period=2020-02-01, "
                                   "app_share=NULL, n=NULL)")


def test_test_sql_quotes_names_and_binds_bounds(con, tmp_path):
    """Names come from the header grammar (no quotes, no spaces) and are quoted anyway; bounds are parameters."""
    con.execute('create table "odd" as select 5 as "select"')
    header = queries.parse_model(write(tmp_path, "odd", head("odd", "-- tests: accepted_range(select, 0, 1)\n")
                                       + "select 1 as x\n"))
    problems = models.run_tests(con, [models.Model(header, (), ())])
    assert len(problems) == 1 and "select=5" in problems[0].message
