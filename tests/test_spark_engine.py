"""The models on Spark (dashboard/spark_engine.py): `build --engine spark` on the committed sample publishes a
warehouse equal to DuckDB's, every table and value (floats within drops.TOLERANCE, a relative 1e-9, for sums whose
order of addition differs; everything else exactly); each known trap of the translation gives DuckDB's answer on
Spark; every Spark-specific model file is needed. One local Spark session for the whole test session. Not skipped
when pyspark is missing: the README's test command installs it (requirements-dev.txt)."""
from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest

from dashboard import cli, drops, models, spark_engine, warehouse
from tests.conftest import SAMPLE
from tests.kit import C1, C2, trueup_case


@pytest.fixture(scope="session")
def spark():
    session = spark_engine.session(driver_memory="1g", shuffle_partitions=2)
    yield session
    spark_engine.stop()


@pytest.fixture(scope="session")
def spark_build(spark, tmp_path_factory):
    """The sample built by `python -m dashboard build --engine spark`, its Parquet kept for the tests below."""
    data = tmp_path_factory.mktemp("spark-data")
    work = tmp_path_factory.mktemp("spark-work")
    stages: list[spark_engine.SparkStages] = []
    original = spark_engine.SparkStages

    class Kept(original):
        def __init__(self, master=None, **options):
            super().__init__(master, work_dir=work, keep_files=True, **options)
            stages.append(self)

    spark_engine.SparkStages = Kept
    try:
        code = cli.main(["build", "--engine", "spark", "--source", str(SAMPLE), "--data-dir", str(data)])
    finally:
        spark_engine.SparkStages = original
    assert code == 0
    return data, stages[0]


def test_spark_build_publishes_a_warehouse_equal_to_duckdbs(spark_build, sample_warehouse):
    data, stages = spark_build
    published = warehouse.current(data)
    assert published is not None
    assert drops.compare(sample_warehouse.path, published.path) == []
    con = duckdb.connect(str(published.path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        assert {"data_version", "provisional", "branch_month", "company_month", "estimate_trueups"} <= tables
        assert not any(t.startswith("stg_") for t in tables)  # staging models stay out, as in DuckDB's build
        kind, counts = con.execute("select kind, row_counts from data_version").fetchall()[0]
        assert kind == "build" and '"bills"' in counts
        # the model's ORDER BY holds in the warehouse too
        periods = [r[0] for r in con.execute("select period from branch_month").fetchall()]
        assert periods == sorted(periods)
    finally:
        con.close()
    assert set(stages.written) == {m.name for m in models.load()}
    assert (stages.paths["bills"] / "period=2020-08-01").is_dir()  # fact tables partitioned by period


def test_master_needs_the_spark_engine(capsys):
    assert cli.main(["build", "--source", str(SAMPLE), "--master", "local[1]"]) == 2
    assert "--master needs --engine spark" in capsys.readouterr().err


# ---------------------------------------------------------------- the translation, trap by trap


def duck(sql: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def on_spark(spark, sql: str) -> list[tuple]:
    return [tuple(row) for row in spark.sql(spark_engine.translate(sql)).collect()]


def same(a: list[tuple], b: list[tuple]) -> bool:
    def norm(v):
        return round(v, 9) if isinstance(v, float) and not math.isnan(v) else v

    key = repr
    return sorted(([norm(v) for v in r] for r in a), key=key) == sorted(([norm(v) for v in r] for r in b), key=key)


TRAPS = {
    "qualify": ("select g, v from (values (1, 10), (1, 20), (2, 5), (2, 7)) as t(g, v) "
                "qualify row_number() over (partition by g order by v desc) = 1", [(1, 20), (2, 7)]),
    "quantile_cont": ("select quantile_cont(x, 0.5) as m from (values (1), (2), (3), (10)) as t(x)", [(2.5,)]),
    "percentile_cont within group": (
        "select percentile_cont(0.25) within group (order by x) as m from (values (1), (2), (3), (10)) as t(x)",
        [(1.75,)]),
    "median of day counts": ("select quantile_cont(date_diff('day', a, b), 0.5) as m from (values "
                             "(date '2020-01-01', date '2020-01-04'), (date '2020-01-01', date '2020-01-11')) as t(a, b)",
                             [(6.5,)]),
    "date - date": ("select date '2020-03-01' - date '2020-01-01' as d", [(60,)]),
    "date_diff": ("select date_diff('day', a, b) as d from (values (date '2020-01-31', date '2020-03-01')) as t(a, b)",
                  [(30,)]),
    "len of a list": ("select len([1, 2, 3]) as n, len('abcd') as s", [(3, 4)]),
    "generate_series of months": (
        "select cast(unnest(generate_series(date '2020-01-01', date '2020-03-01', interval 1 month)) as date) as p",
        [(dt.date(2020, 1, 1),), (dt.date(2020, 2, 1),), (dt.date(2020, 3, 1),)]),
    "date_trunc": ("select date_trunc('month', date '2020-02-17')::date as p", [(dt.date(2020, 2, 1),)]),
    "filter": ("select count(*) filter (where x > 1) as n from (values (1), (2), (3)) as t(x)", [(2,)]),
    "any_value skips NULL": ("select any_value(x) as v from (values (null), (4)) as t(x)", [(4,)]),
    "arg_min": ("select arg_min(a, b) as v from (values ('x', 2), ('y', 1)) as t(a, b)", [("y",)]),
    "greatest skips NULL": ("select greatest(date '2020-01-01', null::date) as d", [(dt.date(2020, 1, 1),)]),
    "division of integers": ("select 1 / 2 as r, 7 / nullif(0, 0) as z", [(0.5, None)]),
    "row_number() over ()": ("select count(*), count(distinct k), min(k), max(k) from "
                             "(select row_number() over () as k from (values (7), (8), (9)) as t(x))", [(3, 3, 1, 3)]),
    "* exclude": ("select * exclude (a) from (values (1, 2)) as t(a, b)", [(2,)]),
}


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_a_known_trap_gives_duckdbs_answer_on_spark(spark, name):
    sql, expected = TRAPS[name]
    assert same(duck(sql), expected), duck(sql)
    assert same(on_spark(spark, sql), expected), spark_engine.translate(sql)


def test_qualify_is_kept_for_spark_to_run():
    assert "QUALIFY" in spark_engine.translate("select x from t qualify row_number() over (order by x) = 1")


REFUSED = {
    "asof join": "select * from a asof left join b on a.k = b.k and a.t < b.t",
    "union all by name": "select 1 as a union all by name select 2 as a",
    "pivot statement": "pivot t on m in (a, b) using sum(x) group by k",
    "unpivot statement": "select * from (unpivot (select k, a, b from t) on a, b into name m value v)",
    "hash": "select hash(x) from t",
    "typeof": "select typeof(x) from t",
    "date column - date column": "select completed_on - submitted_on from service_requests",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_has_no_faithful_translation_is_refused(name):
    with pytest.raises(spark_engine.Untranslatable):
        spark_engine.translate(REFUSED[name])


# ---------------------------------------------------------------- the Spark files


def test_every_model_runs_on_spark_by_translation_or_its_own_file():
    assert spark_engine.check_overrides(models.load()) == []


@pytest.mark.parametrize("path", sorted(spark_engine.OVERRIDES_DIR.glob("*.sql")), ids=lambda p: p.name)
def test_every_spark_file_exists_for_a_reason(spark, spark_build, path):
    """Its model cannot be translated, or the translation fails on Spark or gives other rows than the file."""
    model = next(m for m in models.load() if m.name == path.stem)
    try:
        translation = spark_engine.translate(model.sql)
    except spark_engine.Untranslatable as exc:
        assert str(exc)
        return
    _, stages = spark_build
    spark_engine.register_raw(spark, stages.paths)
    for name, written in stages.written.items():
        spark.read.parquet(str(written)).createOrReplaceTempView(name)
    try:
        translated = [tuple(r) for r in spark.sql(translation).collect()]
    except Exception:  # noqa: BLE001 - failing on Spark is a reason
        return
    own = [tuple(r) for r in spark.read.parquet(str(stages.written[model.name])).collect()]
    assert not same(translated, own), f"{path.name} gives what the translation gives: delete it"


def test_a_spark_file_with_another_header_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "spark"
    folder.mkdir()
    text = (spark_engine.OVERRIDES_DIR / "stg_counts.sql").read_text(encoding="utf-8")
    (folder / "stg_counts.sql").write_text(text.replace("-- incremental: period", "-- incremental: full"))
    (folder / "no_such_model.sql").write_text(text.replace("stg_counts", "no_such_model"))
    monkeypatch.setattr(spark_engine, "OVERRIDES_DIR", folder)
    problems = [str(p) for p in spark_engine.check_overrides(models.load())]
    assert any("no_such_model.sql: is not a model" in p for p in problems), problems
    assert any("stg_counts.sql: header differs" in p and "incremental" in p for p in problems), problems
    # estimate_trueups and stg_customer_counts have no file here: they cannot be translated, and say so
    assert any("estimate_trueups.sql: cannot run on Spark: ASOF JOIN" in p for p in problems), problems


# ---------------------------------------------------------------- estimate_trueups: integer and code ids


def _trueups_on_both(spark, code_ids: bool) -> tuple[list[tuple], list[tuple]]:
    from pyspark.sql.types import DateType, DoubleType, LongType, StringType, StructField, StructType

    case = trueup_case()
    id_type, as_id = (StringType(), lambda i: f"HD{i:03d}") if code_ids else (LongType(), int)
    bills = [(as_id(b["bill_id"]), b["customer_id"], dt.date.fromisoformat(b["period"]),
              dt.date.fromisoformat(b["read_on"]), b["read_method"], float(b["kwh"]), float(b["offset_kwh"]))
             for b in case["bills"]]
    # a third customer with two bills read the same day: integer ids order them by value in both engines
    bills += [(as_id(20), "PC08AA0000003", dt.date(2020, 1, 1), dt.date(2020, 1, 15), "estimated", 10.0, 0.0),
              (as_id(21), "PC08AA0000003", dt.date(2020, 1, 1), dt.date(2020, 1, 15), "manual", 30.0, 6.0)]
    customers = [(C1, "PC08AA"), (C2, "PC08BB"), ("PC08AA0000003", "PC08AA")]
    schema = StructType([StructField("bill_id", id_type), StructField("customer_id", StringType()),
                         StructField("period", DateType()), StructField("read_on", DateType()),
                         StructField("read_method", StringType()), StructField("kwh", DoubleType()),
                         StructField("offset_kwh", DoubleType())])
    spark.createDataFrame(bills, schema).createOrReplaceTempView("bills")
    spark.createDataFrame(customers, "customer_id string, branch_code string").createOrReplaceTempView("customers")
    model = next(m for m in models.load() if m.name == "estimate_trueups")
    on_spark_rows = [tuple(r) for r in spark.sql(spark_engine.spark_sql(model)[0]).collect()]
    con = duckdb.connect()
    try:
        id_sql = "varchar" if code_ids else "bigint"
        con.execute(f"create table bills (bill_id {id_sql}, customer_id varchar, period date, read_on date, "
                    "read_method varchar, kwh double, offset_kwh double)")
        con.executemany("insert into bills values (?, ?, ?, ?, ?, ?, ?)", bills)
        con.execute("create table customers (customer_id varchar, branch_code varchar)")
        con.executemany("insert into customers values (?, ?)", customers)
        on_duckdb = con.execute(model.sql).fetchall()
    finally:
        con.close()
    return on_duckdb, on_spark_rows


def test_estimate_trueups_on_spark_equals_duckdb_with_integer_ids(spark):
    on_duckdb, on_spark_rows = _trueups_on_both(spark, code_ids=False)
    assert len(on_duckdb) == 6
    assert same(on_duckdb, on_spark_rows)


def test_estimate_trueups_with_code_ids_differs_only_in_same_day_ties(spark):
    on_duckdb, on_spark_rows = _trueups_on_both(spark, code_ids=True)
    tie = {"HD020", "HD021"}
    assert same([r for r in on_duckdb if r[0] not in tie], [r for r in on_spark_rows if r[0] not in tie])
