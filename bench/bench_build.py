"""Benchmark (prints, never asserts): generate + build at a size, against the floor measured in the same run:
DuckDB loading the same Parquet files with a plain `create table … as select * from read_parquet(…)`.

    .venv/bin/python bench/bench_build.py                    # default size (~290,000 customers)
    .venv/bin/python bench/bench_build.py --scale 10         # ten times that
    .venv/bin/python bench/bench_build.py --companies 13     # all of EVNCPC: ~4.1 million customers
    .venv/bin/python bench/bench_build.py --workdir /big/disk --keep
    .venv/bin/python bench/bench_build.py --source EXPORTS   # exports already written: no generate step

Each step runs in its own process, so its peak memory (max RSS) is its own. The exports are read once before
timing; the floor is measured before and after the build and the faster kept (this machine's speed drifts).
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
import json, sys, time
sys.path.insert(0, {repo!r})
from bench.steps import peak_mb
step, args = sys.argv[1], json.loads(sys.argv[2])
t = time.perf_counter()
if step == "generate":
    from dashboard.generate import generate
    rows = generate(args["out"], customers=args["customers"], fmt="parquet", companies=args["companies"])
elif step == "build":
    from dashboard.build import build
    rows = build(args["source"], args["data"]).row_counts
elif step == "floor":
    import duckdb, pathlib
    con = duckdb.connect(args["db"], config={{"memory_limit": args["memory"], "temp_directory": args["tmp"]}})
    rows = {{}}
    for path in sorted(pathlib.Path(args["source"]).glob("*.parquet")):
        con.execute(f"create table {{path.stem}} as select * from read_parquet('{{path}}')")
        rows[path.stem] = con.execute(f"select count(*) from {{path.stem}}").fetchall()[0][0]
    con.execute("checkpoint")
    con.close()
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": rows,
                  "peak_mb": peak_mb()}}))
"""


def step(name: str, **args) -> dict:
    proc = subprocess.run([sys.executable, "-c", STEP.format(repo=str(REPO)), name, json.dumps(args)],
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--source", type=Path, help="existing exports to build (skips generating)")
    parser.add_argument("--companies", type=int, default=1,
                        help="EVNCPC companies to generate (PC08 at --scale, the others in proportion; 13: all)")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    customers = int(DEFAULT_CUSTOMERS * args.scale)
    source, data = args.source or work / "exports", work / "data"
    from dashboard import config  # noqa: F401 - settings are read by the steps from the environment

    gen = None if args.source else step("generate", out=str(source), customers=customers, companies=args.companies)
    for path in sorted(source.glob("*.parquet")):  # read once, so neither timed step pays for a cold disk
        with open(path, "rb") as fh:
            while fh.read(1 << 24):
                pass

    def plain_load(n: int) -> dict:
        out = step("floor", source=str(source), db=str(work / f"floor{n}.duckdb"),
                   memory=config.setting("DASHBOARD_BUILD_MEMORY"), tmp=str(work / "floor-tmp"))
        (work / f"floor{n}.duckdb").unlink()
        return out

    # the floor before and after the build, the faster one kept: this machine's speed drifts by up to 1.6x
    # over minutes, and a floor measured in a slow minute flattered the build (1.67x and 2.97x in two runs)
    floors = [plain_load(1)]
    built = step("build", source=str(source), data=str(data))
    floors.append(plain_load(2))
    floor = min(floors, key=lambda r: r["seconds"])
    bills = built["rows"]["bills"]
    total = sum(built["rows"].values())
    print(f"companies {args.companies}  customers {built['rows']['customers']:,}  bills {bills:,}  "
          f"payments {built['rows']['payments']:,}  all rows {total:,}")
    print(f"{'step':<10}{'seconds':>10}{'rows/s':>14}{'peak MB':>10}")
    for name, r in (("generate", gen), ("floor", floor), ("build", built)):
        if r is not None:
            print(f"{name:<10}{r['seconds']:>10.1f}{total / r['seconds']:>14,.0f}{r['peak_mb']:>10,.0f}")
    print(f"floor before the build {floors[0]['seconds']:.1f} s, after it {floors[1]['seconds']:.1f} s")
    print(f"build / floor = {built['seconds'] / floor['seconds']:.2f}x" + (
        f"   first start (generate + build) = {gen['seconds'] + built['seconds']:.1f} s" if gen else ""))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
