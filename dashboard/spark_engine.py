"""The models on Apache Spark: `python -m dashboard build --engine spark --source DIR [--master URL]`.

The same build as DuckDB's (dashboard/build.py), with one stage swapped:

* validate and load are DuckDB's, unchanged: the same checks and messages; the loaded raw tables stay in the
  warehouse file being built, as in every build. Validate also translates every model, so a model Spark cannot
  run refuses the build before anything is written.
* transform: the loaded raw tables are written as Parquet (DuckDB `COPY`): `bills`, `payments` and
  `service_requests` partitioned by period (`bills/period=2020-08-01/…`; a payment's period is the month of
  `paid_on`, a request's the month of `submitted_on`, as in a monthly drop), the small tables as one file each.
  Spark reads them as views, runs every model of queries/models/ in dependency order and writes each as Parquet
  (staging models too: later models read them back, so each is computed once, like a cached table). DuckDB then
  fills each model's table (staging models as temporary tables) from that Parquet, with the column types
  DuckDB's own run of the model gives (bound on the loaded tables with `LIMIT 0`, nothing computed) and in the
  model's ORDER BY.
* test and publish are DuckDB's, unchanged: the same data tests, data_version, provisional table and CURRENT.
  The dashboard cannot tell which engine built its data.

The models stay one set of SQL files: each is translated from DuckDB's SQL to Spark's with sqlglot (`translate`,
with the rewrites below where sqlglot's Spark writer is not faithful), or, where no faithful translation exists,
read from an engine-specific file queries/models/spark/<name>.sql with the same header (`OVERRIDES_DIR`); a
test proves each such file is needed. Traps, and what this module does with them:

* `ASOF JOIN`, `UNION ALL BY NAME`, DuckDB's statement forms `PIVOT t ON …` / `UNPIVOT t ON …`, `hash()`
  (Spark's hashes differ) and `typeof()` (Spark names types in lower case) are refused: the model needs a
  Spark file.
* `QUALIFY`: sqlglot's spark writer rewrites it into a subquery; Spark 4 runs QUALIFY itself, so it is kept.
* `quantile_cont(x, p)` and `percentile_cont(p) within group (order by x)` become Spark's exact
  `percentile(x, p)` (sqlglot writes an approximate percentile or a call Spark rejects).
* `date - date` is a day count in DuckDB and an interval in Spark: with date literals or casts it becomes
  `datediff`; on anything else that may be a date it is refused (write `date_diff('day', a, b)`).
* `len()` / `length()` of a list becomes `size()`; of anything else it stays a string length.
* `cast(unnest(generate_series(…)) as T)`: Spark cannot cast a generator, so the list is cast (`array<T>`).
* `row_number() over ()` (an arbitrary numbering): Spark requires an order, so it numbers in
  `monotonically_increasing_id()` order: still 1..n in no particular order.
* `arg_min` / `arg_max` become `min_by` / `max_by`, `date_trunc` and `generate_series` are rewritten by
  sqlglot; `count(*) filter (where …)`, `group by all`, `any_value`, `* exclude` (→ `* except`) run as they are.

Text (code) bill ids: estimate_trueups orders two bills of a customer read on the same day by their id, and
DuckDB orders code ids by its `hash()`, which Spark does not have; the Spark file orders them by Spark's
`xxhash64`. Integer ids are ordered by the id in both engines, so their results are equal; for code ids the
results differ only when a customer has two bills of one period read on the same day.

pyspark is imported here only (`pip install -r requirements-dev.txt`); the DuckDB build never needs it.
"""
from __future__ import annotations

import atexit
import os
import shutil
import threading
import warnings
from pathlib import Path

import duckdb

from dashboard import build as build_mod
from dashboard import config, models
from dashboard.contract import LOAD_ORDER, TABLES
from dashboard.exports import ident, sql_str
from dashboard.models import Model, ModelError
from dashboard.problems import Problem

OVERRIDES_DIR = config.MODELS_DIR / "spark"
SHOWN_OVERRIDES = "queries/models/spark"
DEFAULT_MASTER = "local[2]"
FACT_PERIODS = {"bills": "period", "payments": "date_trunc('month', paid_on)::date",
                "service_requests": "date_trunc('month', submitted_on)::date"}
INSTALL_HINT = ("install the optional Spark engine: .venv/bin/pip install -r requirements-dev.txt "
                "(and a Java 17 runtime)")


class Untranslatable(ValueError):
    """DuckDB SQL with no faithful Spark translation; the message says what and what to do."""


# ---------------------------------------------------------------- translation


def _dialect():
    """sqlglot's Spark dialect with QUALIFY kept (Spark 4 runs it; sqlglot's rewrite is not needed)."""
    global _SPARK4
    if _SPARK4 is None:
        from sqlglot import exp, transforms
        from sqlglot.dialects.spark import Spark

        class Spark4Generator(Spark.Generator):
            TRANSFORMS = {**Spark.Generator.TRANSFORMS,
                          exp.Select: transforms.preprocess([transforms.eliminate_distinct_on,
                                                             transforms.unnest_to_explode,
                                                             transforms.any_to_exists])}

        class Spark4(Spark):
            Generator = Spark4Generator

        _SPARK4 = Spark4
    return _SPARK4


_SPARK4 = None
DATE_COLUMNS = {c.name for t in TABLES.values() for c in t.columns if c.type == "DATE"} | {"period_end"}


def translate(sql: str) -> str:
    """DuckDB SQL as Spark SQL; Untranslatable when no faithful translation exists."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise Untranslatable(f"sqlglot cannot parse it: {str(exc).splitlines()[0]}") from None
    _refuse(tree, exp)
    tree = tree.transform(lambda node: _rewrite(node, exp), copy=True)
    return tree.sql(dialect=_dialect(), pretty=True)


def _is_date(node, exp) -> bool:
    if isinstance(node, exp.Cast) and node.to.is_type("date"):
        return True
    if isinstance(node, (exp.DateTrunc, exp.TimestampTrunc, exp.LastDay, exp.CurrentDate)):
        return True
    return isinstance(node, exp.Column) and node.name in DATE_COLUMNS


def _refuse(tree, exp) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Join) and (node.args.get("method") or "").upper() == "ASOF":
            raise Untranslatable("ASOF JOIN has no Spark equal")
        if isinstance(node, exp.Union) and node.args.get("by_name"):
            raise Untranslatable("UNION ALL BY NAME has no Spark SQL equal")
        if isinstance(node, exp.Pivot) and node.args.get("this") is not None:
            raise Untranslatable("DuckDB's statement form of PIVOT/UNPIVOT (`PIVOT t ON …`) is not Spark's")
        if isinstance(node, exp.Anonymous) and node.name.lower() == "hash":
            raise Untranslatable("DuckDB's hash() gives other values than any Spark hash")
        if isinstance(node, exp.Typeof):
            raise Untranslatable("typeof() names types differently in Spark (bigint, not BIGINT)")
        if isinstance(node, exp.Sub):
            left, right = _is_date(node.this, exp), _is_date(node.expression, exp)
            literal = (isinstance(node.this, exp.Cast) and isinstance(node.expression, exp.Cast))
            if left and right and not literal:
                raise Untranslatable(f"`{node.sql('duckdb')}` may be date - date: days in DuckDB, an interval in "
                                     "Spark; write date_diff('day', a, b)")


def _rewrite(node, exp):
    # date - date between casts or literals: a day count, as in DuckDB
    if (isinstance(node, exp.Sub) and isinstance(node.this, exp.Cast) and node.this.to.is_type("date")
            and isinstance(node.expression, exp.Cast) and node.expression.to.is_type("date")):
        return exp.DateDiff(this=node.this, expression=node.expression, unit=exp.var("DAY"))
    # quantile_cont(x, p): Spark's exact percentile
    if isinstance(node, exp.PercentileCont) and node.expression is not None and not isinstance(
            node.parent, exp.WithinGroup):
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        order = node.expression.expressions
        if len(order) != 1 or order[0].args.get("desc"):
            raise Untranslatable("percentile_cont within group needs one ascending ORDER BY column")
        return exp.Anonymous(this="PERCENTILE", expressions=[order[0].this, node.this.this])
    # cast(explode(list) as T): cast the list
    if isinstance(node, exp.Cast) and isinstance(node.this, (exp.Explode, exp.Unnest)):
        inner = node.this.this if isinstance(node.this, exp.Explode) else node.this.expressions[0]
        array_type = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[node.to], nested=True)
        return exp.Explode(this=exp.Cast(this=inner, to=array_type))
    # row_number() over (): Spark needs an order
    if (isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber)
            and not node.args.get("partition_by") and not node.args.get("order")):
        order = exp.Order(expressions=[exp.Ordered(this=exp.Anonymous(this="MONOTONICALLY_INCREASING_ID"))])
        return exp.Window(this=node.this, order=order, over=node.args.get("over"))
    # len/length of a list: its size
    if isinstance(node, exp.Length) and isinstance(node.this, (exp.Array, exp.ArrayAgg, exp.Split, exp.List)):
        return exp.ArraySize(this=node.this)
    return node


def override_path(name: str) -> Path:
    return OVERRIDES_DIR / f"{name}.sql"


def read_override(path: Path):
    """A Spark file: its header (the model grammar of dashboard/queries.py, checked the same way) and its Spark
    SQL, which DuckDB's parser is not asked to read. QueryError for a bad header."""
    from dashboard import queries

    lines = path.read_text(encoding="utf-8").splitlines()
    n = next((i for i, line in enumerate(lines) if not line.lstrip().startswith("--")), len(lines))
    header = queries._parse_model(str(path), "\n".join(lines[:n] + ["select 1"]))
    return header, "\n".join(lines[n:]).strip().rstrip(";")


def spark_sql(model: Model) -> tuple[str, str]:
    """The model's Spark SQL and the file it is named by: the Spark file when there is one, else the
    translation. Untranslatable when neither exists."""
    path = override_path(model.name)
    if path.exists():
        return read_override(path)[1], f"{SHOWN_OVERRIDES}/{path.name}"
    return translate(model.sql), model.shown


def check_overrides(model_list: list[Model]) -> list[Problem]:
    """Each Spark file names a model and has its header; every model without one translates."""
    from dashboard import queries

    problems = []
    names = {m.name: m for m in model_list}
    for path in sorted(OVERRIDES_DIR.glob("*.sql")):
        shown = f"{SHOWN_OVERRIDES}/{path.name}"
        if path.stem not in names:
            problems.append(Problem(shown, f"is not a model of {models.SHOWN_DIR}"))
            continue
        try:
            header, _sql = read_override(path)
        except queries.QueryError as exc:
            problems.append(Problem(shown, exc.message))
            continue
        main = names[path.stem].header
        same = ("materialized", "unique_key", "incremental", "final_when", "tests")
        differ = [k for k in same if _header_value(header, k) != _header_value(main, k)]
        if differ:
            problems.append(Problem(shown, f"header differs from {names[path.stem].shown} in {', '.join(differ)}",
                                    hint="copy the header of the DuckDB model"))
    for model in model_list:
        if override_path(model.name).exists():
            continue
        try:
            translate(model.sql)
        except Untranslatable as exc:
            problems.append(Problem(model.shown, f"cannot run on Spark: {exc}",
                                    hint=f"add {SHOWN_OVERRIDES}/{model.name}.sql with the same header"))
    return problems


def _header_value(header, key: str):
    if key == "materialized":
        return header.is_staging
    return getattr(header, key)


# ---------------------------------------------------------------- the Spark session


_SESSION = None
_LOCK = threading.Lock()


def session(master: str | None = None, driver_memory: str = "1g", shuffle_partitions: int = 4,
            local_dir: Path | None = None):
    """The process's one Spark session (started on first use): local[2] by default, UI off, loopback only,
    UTC, ANSI SQL. Later calls return the same session whatever they ask."""
    global _SESSION
    with _LOCK:
        if _SESSION is not None:
            return _SESSION
        # pyspark 4.3 warns that pandas 3 is not fully supported; the engine never converts to pandas (no
        # toPandas, no pandas UDFs): it runs SQL and writes Parquet, which pandas does not touch
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise build_mod.SettingError(f"--engine spark needs pyspark: {INSTALL_HINT}") from None
        master = master or DEFAULT_MASTER
        scratch = Path(local_dir) if local_dir else Path(os.environ.get("TMPDIR", "/tmp")) / f"spark-{os.getpid()}"
        builder = (SparkSession.builder.master(master).appName("dashboard-build")
                   .config("spark.driver.memory", driver_memory)
                   .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
                   .config("spark.default.parallelism", str(shuffle_partitions))
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.sql.ansi.enabled", "true")
                   .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                   .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
                   .config("spark.local.dir", str(scratch / "local")))
        if master.startswith("local"):
            builder = (builder.config("spark.driver.host", "127.0.0.1")
                       .config("spark.driver.bindAddress", "127.0.0.1"))
        try:
            spark = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 - no Java, a bad master: say so as a setting
            raise build_mod.SettingError(f"Spark did not start ({_first_line(exc)}): {INSTALL_HINT}") from None
        spark.sparkContext.setLogLevel("FATAL")
        atexit.register(shutil.rmtree, scratch, True)
        _SESSION = spark
        return spark


def stop() -> None:
    global _SESSION
    with _LOCK:
        if _SESSION is not None:
            _SESSION.stop()
            _SESSION = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---------------------------------------------------------------- the stages


def export_raw(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, Path]:
    """Every loaded raw table as Parquet: the fact tables partitioned by period, the others one file each."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in LOAD_ORDER:
        if name in FACT_PERIODS:
            path = folder / name
            select = f"select * from {ident(name)}" if name == "bills" else \
                f"select *, {FACT_PERIODS[name]} as period from {ident(name)}"
            con.execute(f"copy ({select}) to {sql_str(str(path))} (format parquet, partition_by (period), "
                        "overwrite_or_ignore)")
        else:
            path = folder / f"{name}.parquet"
            con.execute(f"copy {ident(name)} to {sql_str(str(path))} (format parquet)")
        paths[name] = path
    return paths


def register_raw(spark, paths: dict[str, Path]) -> None:
    """Each raw table as a Spark view with the contract's columns (a fact table's period folder read back as a
    date for bills, dropped for the others)."""
    from pyspark.sql import functions as F

    for name, path in paths.items():
        columns = TABLES[name].column_names
        if name in FACT_PERIODS:
            df = spark.read.option("basePath", str(path)).parquet(str(path))
            if name == "bills":
                df = df.withColumn("period", F.col("period").cast("date"))
            df = df.select(*columns)
        else:
            df = spark.read.parquet(str(path)).select(*columns)
        df.createOrReplaceTempView(name)


def run_models(spark, model_list: list[Model], out: Path, progress=lambda f, m: None,
               start: float = 0.0, span: float = 1.0) -> dict[str, Path]:
    """Every model in order on Spark, each written as Parquet and read back as the view later models read."""
    written = {}
    for i, model in enumerate(model_list):
        progress(start + span * i / max(len(model_list), 1), f"model {model.name} on Spark")
        sql, shown = spark_sql(model)
        path = out / model.name
        try:
            spark.sql(sql).write.mode("overwrite").parquet(str(path))
            spark.read.parquet(str(path)).createOrReplaceTempView(model.name)
        except Exception as exc:  # noqa: BLE001 - Spark's errors come through py4j; name the model
            raise ModelError([Problem(shown, f"failed on Spark: {_first_line(exc)}")]) from exc
        written[model.name] = path
    return written


def outer_order(sql: str) -> str:
    """The model's outermost ORDER BY as DuckDB SQL ('' when it has none)."""
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb")
    order = tree.args.get("order")
    return order.sql("duckdb") if order is not None else ""


def assemble(con: duckdb.DuckDBPyConnection, model_list: list[Model], written: dict[str, Path]) -> None:
    """Each model's table in the DuckDB warehouse (temporary for staging models) from Spark's Parquet, with the
    types DuckDB's own run of the model gives and in the model's order."""
    for model in model_list:
        kind = "temp table" if model.is_staging else "table"
        table = ident(model.name)
        try:
            con.execute(f"create or replace {kind} {table} as select * from ({model.sql}) limit 0")
            files = sorted(written[model.name].glob("*.parquet"))
            if files:
                glob = sql_str(str(written[model.name] / "*.parquet"))
                con.execute(f"insert into {table} by name select * from read_parquet({glob}) "
                            f"{outer_order(model.sql)}")
        except duckdb.Error as exc:
            raise ModelError([Problem(model.shown, f"Spark's result cannot be read back: {_first_line(exc)}")]) \
                from exc


class SparkStages:
    """build.Stages for the Spark engine: validate also translates, transform runs on Spark."""

    def __init__(self, master: str | None = None, driver_memory: str = "1g", shuffle_partitions: int = 4,
                 work_dir: Path | None = None, keep_files: bool = False):
        self.master, self.driver_memory, self.shuffle_partitions = master, driver_memory, shuffle_partitions
        self.work_dir, self.keep_files = work_dir, keep_files  # keep_files: leave the Parquet (tests)
        self.paths: dict[str, Path] = {}  # raw table -> its Parquet, after transform
        self.written: dict[str, Path] = {}  # model -> its Parquet, after transform
        self.timings: dict[str, float] = {}

    def validate(self, source_dir, data_dir, keep, models_dir) -> build_mod.Plan:
        plan = build_mod.validate(source_dir, data_dir, keep, models_dir)
        try:
            import pyspark  # noqa: F401
            import sqlglot  # noqa: F401
        except ImportError:
            raise build_mod.SettingError(f"--engine spark needs pyspark and sqlglot: {INSTALL_HINT}") from None
        problems = check_overrides(plan.models)
        if problems:
            raise ModelError(problems)
        return plan

    def transform(self, work: build_mod.Work) -> None:
        import time

        folder = Path(self.work_dir) if self.work_dir else work.plan.data_dir / "tmp" / str(os.getpid())
        folder = folder / f"spark-{work.version}"
        try:
            t0 = time.perf_counter()
            work.progress(0.55, "writing the raw tables as Parquet for Spark")
            paths = export_raw(work.con, folder / "raw")
            t1 = time.perf_counter()
            work.progress(0.58, "starting Spark")
            spark = session(self.master, self.driver_memory, self.shuffle_partitions)
            register_raw(spark, paths)
            t2 = time.perf_counter()
            written = run_models(spark, work.plan.models, folder / "marts", work.progress, 0.6, 0.28)
            t3 = time.perf_counter()
            work.progress(0.89, "reading Spark's marts into the warehouse")
            assemble(work.con, work.plan.models, written)
            self.timings.update(export=t1 - t0, start=t2 - t1, models=t3 - t2, assemble=time.perf_counter() - t3)
            self.paths, self.written = paths, written
        finally:
            if not self.keep_files:
                shutil.rmtree(folder, ignore_errors=True)

    def stages(self) -> build_mod.Stages:
        return build_mod.Stages(validate=self.validate, transform=self.transform)


def build(source_dir: Path, data_dir: Path | None = None, progress=build_mod.quiet, keep: int | None = None,
          master: str | None = None, **options) -> build_mod.BuildResult:
    """build.build with the models run on Spark; the same errors, the same published warehouse."""
    return build_mod.build(source_dir, data_dir, progress, keep, stages=SparkStages(master, **options).stages())
