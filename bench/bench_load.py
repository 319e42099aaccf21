"""Benchmark (prints, never asserts): a monthly load against a full rebuild of the same history, side by side
in one run, and the month-by-month equality at this size.

    .venv/bin/python bench/bench_load.py                      # default size, the last 2 months loaded
    .venv/bin/python bench/bench_load.py --months 4           # more steps (each is also built in full)
    .venv/bin/python bench/bench_load.py --scale 10           # ten times the default size
    .venv/bin/python bench/bench_load.py --source DIR         # an existing Parquet export instead of generating

The export is cut with dashboard/drops.py into a first export (all but the last N months, built once) and N
monthly drops. Each drop is loaded (`dashboard.load.load`), then the export as it stood after that month is
built in full (`dashboard.build.build`) and the two warehouses are compared table by table
(`drops.compare`). Each load and build runs in its own process, so its peak memory (max RSS) is its own.
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
DEFAULT_CUSTOMERS = 290_000

STEP = r"""
import json, sys, time
from bench.steps import peak_mb  # the step runs in the repo folder
step, args = sys.argv[1], json.loads(sys.argv[2])
t = time.perf_counter()
out = {}
if step == "generate":
    from dashboard.generate import generate
    generate(args["out"], customers=args["customers"], fmt="parquet")
elif step == "build":
    from dashboard.build import build
    out["version"] = build(args["source"], args["data"]).version
elif step == "load":
    from dashboard.load import load
    r = load(args["source"], args["data"])
    out = {"version": r.version, "stages": r.stage_seconds, "models": r.model_seconds,
           "affected_periods": len(r.affected_periods), "affected_customers": r.affected_customers,
           "warnings": len(r.warnings)}
elif step == "compare":
    from dashboard import drops, warehouse
    from pathlib import Path
    out["differences"] = drops.compare(warehouse.current(Path(args["a"])).path, warehouse.current(Path(args["b"])).path)
elif step == "snapshot":
    from dashboard import drops
    from pathlib import Path
    drops.snapshot([Path(p) for p in args["drops"]], Path(args["out"]), fmt="parquet")
print(json.dumps({"seconds": time.perf_counter() - t, **out,
                  "peak_mb": peak_mb()}))
"""


def step(name: str, **args) -> dict:
    proc = subprocess.run([sys.executable, "-c", STEP, name, json.dumps(args, default=str)],
                          capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=2, help="monthly drops to load (default 2)")
    parser.add_argument("--source", type=Path, help="an existing Parquet export (default: generate one)")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the table-by-table comparison (at the corporation's size it needs more disk "
                             "than this machine has for its spilled joins)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from dashboard import drops

    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-load-", dir=args.workdir))
    try:
        source = args.source
        if source is None:
            source = work / "exports"
            customers = int(DEFAULT_CUSTOMERS * args.scale)
            got = step("generate", out=str(source), customers=customers)
            print(f"generate {customers:,} customers: {got['seconds']:.1f} s", flush=True)
        periods = drops.periods(source)
        first = periods[-args.months - 1]
        folders = drops.split(source, work / "drops", fmt="parquet", first=first)
        data = work / "data"
        got = step("build", source=str(folders[0]), data=str(data))
        print(f"first build (to {first:%Y-%m}): {got['seconds']:.1f} s, peak {got['peak_mb']:,.0f} MB", flush=True)
        print(f"\n{'month':<8} {'load s':>7} {'full s':>7} {'ratio':>6} {'load MB':>8} {'full MB':>8}  equal  "
              "affected periods/customers, slowest stages")
        ratios = []
        for i, drop in enumerate(folders[1:], start=1):
            loaded = step("load", source=str(drop), data=str(data))
            step("snapshot", drops=[str(f) for f in folders[: i + 1]], out=str(work / f"export{i}"))
            full = step("build", source=str(work / f"export{i}"), data=str(work / f"full{i}"))
            diff = None if args.no_compare else step("compare", a=str(data), b=str(work / f"full{i}"))["differences"]
            ratio = loaded["seconds"] / full["seconds"]
            ratios.append(ratio)
            slow = sorted({**loaded["stages"], **{f"model {k}": v for k, v in loaded["models"].items()}}.items(),
                          key=lambda kv: -kv[1])[:4]
            print(f"{drop.name:<8} {loaded['seconds']:>7.2f} {full['seconds']:>7.1f} {ratio:>6.3f} "
                  f"{loaded['peak_mb']:>8,.0f} {full['peak_mb']:>8,.0f}  "
                  f"{'n/a' if diff is None else 'yes' if not diff else 'NO '}    "
                  f"{loaded['affected_periods']}/{loaded['affected_customers']:,}  "
                  + ", ".join(f"{k} {v:.2f}" for k, v in slow), flush=True)
            for line in (diff or [])[:5]:
                print(f"    {line}")
            shutil.rmtree(work / f"full{i}")
            shutil.rmtree(work / f"export{i}")
        print(f"\nload / full rebuild of the same history: {min(ratios):.3f} .. {max(ratios):.3f} "
              f"(aim: at most 0.100)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
