"""Benchmark (prints, never asserts): the same build on DuckDB and on Spark (local mode), on the same exports.

    .venv/bin/python bench/bench_engines.py                          # default size (~290,000 customers)
    .venv/bin/python bench/bench_engines.py --source /tmp/exports-1x # an existing default-size Parquet export
    .venv/bin/python bench/bench_engines.py --scale 10               # ten times that (generated first)
    .venv/bin/python bench/bench_engines.py --spark-memory 6g --partitions 16 --master local[2]

Each build runs in its own process, one run each: seconds, the Python process's peak RSS and, for Spark, the
JVM's peak RSS (VmHWM of the java child, read before Spark stops), with the Spark build's split into writing
the raw Parquet, starting Spark, the models and reading the marts back. Both builds publish into their own data
directory; the two warehouses are compared with drops.compare at the end (floats within a relative 1e-9).
Needs requirements-dev.txt (pyspark, sqlglot) and Java 17.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_CUSTOMERS = 290_000

STEP = r"""
import json, os, sys, time
sys.path.insert(0, {repo!r})
from bench.steps import peak_mb
step, args = sys.argv[1], json.loads(sys.argv[2])


def java_peak_mb():
    # the JVM is a descendant of this process (py4j starts spark-submit, which execs java)
    me, peak = os.getpid(), 0
    parents = {{}}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()
            parents[int(pid)] = int(fields[1])
        except OSError:
            pass
    for pid in parents:
        p = pid
        while p in parents and p != me and p > 1:
            p = parents[p]
        if p != me:
            continue
        try:
            status = open(f"/proc/{{pid}}/status").read()
            comm = open(f"/proc/{{pid}}/comm").read().strip()
        except OSError:
            continue
        if comm == "java":
            peak = max(peak, int(status.split("VmHWM:")[1].split()[0]) / 1024)
    return peak


t = time.perf_counter()
out = {{}}
if step == "generate":
    from dashboard.generate import generate
    out["rows"] = generate(args["out"], customers=args["customers"], fmt="parquet")
elif step == "duckdb":
    from dashboard.build import build
    result = build(args["source"], args["data"])
    out["rows"], out["path"] = result.row_counts, str(result.path)
elif step == "spark":
    from dashboard import build as build_mod, spark_engine
    stages = spark_engine.SparkStages(args["master"], driver_memory=args["memory"],
                                      shuffle_partitions=args["partitions"])
    result = build_mod.build(args["source"], args["data"], stages=stages.stages())
    out["rows"], out["path"], out["timings"] = result.row_counts, str(result.path), stages.timings
    out["java_peak_mb"] = java_peak_mb()
    spark_engine.stop()
out["seconds"] = time.perf_counter() - t
out["peak_mb"] = peak_mb()
print(json.dumps(out))
"""


def step(name: str, **args) -> dict:
    proc = subprocess.run([sys.executable, "-c", STEP.format(repo=str(REPO)), name, json.dumps(args)],
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size against the default (generated)")
    parser.add_argument("--source", type=Path, help="existing Parquet exports instead of generating")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--spark-memory", default="4g", help="Spark driver memory (local mode: all of Spark's heap)")
    parser.add_argument("--partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        source = args.source
        if source is None:
            source = work / "exports"
            gen = step("generate", out=str(source), customers=int(DEFAULT_CUSTOMERS * args.scale))
            print(f"generated in {gen['seconds']:.1f} s")
        duck = step("duckdb", source=str(source), data=str(work / "data-duckdb"))
        spark = step("spark", source=str(source), data=str(work / "data-spark"), master=args.master,
                     memory=args.spark_memory, partitions=args.partitions)
        rows = duck["rows"]
        facts = rows["bills"] + rows["payments"] + rows["service_requests"]
        print(f"customers {rows['customers']:,}  bills {rows['bills']:,}  payments {rows['payments']:,}  "
              f"requests {rows['service_requests']:,}")
        print(f"{'engine':<8}{'seconds':>10}{'s per M fact rows':>20}{'python peak MB':>16}{'JVM peak MB':>13}")
        for name, r in (("duckdb", duck), ("spark", spark)):
            print(f"{name:<8}{r['seconds']:>10.1f}{r['seconds'] / facts * 1e6:>20.2f}{r['peak_mb']:>16,.0f}"
                  f"{r.get('java_peak_mb', 0):>13,.0f}")
        t = spark["timings"]
        print(f"spark split: raw Parquet {t['export']:.1f} s, start {t['start']:.1f} s, models {t['models']:.1f} s, "
              f"marts back {t['assemble']:.1f} s; the rest (validate, load, tests, publish) "
              f"{spark['seconds'] - sum(t.values()):.1f} s")
        print(f"spark / duckdb = {spark['seconds'] / duck['seconds']:.1f}x")
        from dashboard import drops

        found = drops.compare(Path(duck["path"]), Path(spark["path"]))
        print("warehouses equal" if not found else f"warehouses DIFFER: {found[:5]}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
