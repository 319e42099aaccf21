"""Benchmark (prints, never asserts): server time of each page's script, measured with AppTest.

    .venv/bin/python bench/bench_pages.py --data-dir data            # a published data directory
    .venv/bin/python bench/bench_pages.py --data-dir A --data-dir B  # compare two sizes in one run
    .venv/bin/python bench/bench_pages.py --data-dir A --data-dir B --top  # no branch: the company, or the
                                                                            # corporation of a corporation's data

For each page: one warm-up run (fills the query cache, as a page someone already opened), then the median of
--runs timed reruns, the data directories taking turns run by run (a noisy machine slows both alike). Pages read
only small marts, so the figures should not grow with the number of customers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PARAMS = {"branch": "PC08AA", "from": "2020-01", "to": "2020-08", "lang": "vi"}


def page_times(data_dirs: list[Path], runs: int, params: dict[str, str]) -> list[dict[str, float]]:
    """Median warm run of each page, per data directory. The directories take turns run by run (A, B, A, B, ...),
    so that a machine slowing down for a while slows every directory alike and the ratios stay fair."""
    from streamlit.testing.v1 import AppTest

    from dashboard import registry, warehouse

    out: list[dict[str, float]] = []
    for data_dir in data_dirs:
        con = warehouse.connect(warehouse.current(data_dir).path)
        out.append({"_customers": con.execute("select count(*) from customers").fetchall()[0][0]})
        con.close()
    for spec in registry.PAGES:
        name = spec.key
        apps = []
        for data_dir in data_dirs:
            os.environ["DASHBOARD_DATA_DIR"] = str(data_dir)
            at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=120)
            for key, value in params.items():
                at.query_params[key] = value
            if name != "overview":
                at.switch_page(spec.view)
            at.run()  # warm-up: fills the query cache, as a page someone already opened
            if at.exception:
                raise SystemExit(f"{name} ({data_dir}): {at.exception[0].value}")
            apps.append(at)
        timings: list[list[float]] = [[] for _ in data_dirs]
        for _ in range(runs):
            for i, (data_dir, at) in enumerate(zip(data_dirs, apps)):
                os.environ["DASHBOARD_DATA_DIR"] = str(data_dir)
                started = time.perf_counter()
                at.run()
                timings[i].append(time.perf_counter() - started)
        for i, t in enumerate(timings):
            out[i][name] = statistics.median(t) * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, action="append", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--top", action="store_true", help="no branch in the link: the top level of each warehouse")
    args = parser.parse_args()
    params = {k: v for k, v in PARAMS.items() if not (args.top and k == "branch")}
    results = page_times(args.data_dir, args.runs, params)
    header = "page".ljust(12) + "".join(f"{r['_customers']:>14,} cust." for r in results)
    if len(results) == 2:
        header += "     ratio"
    print(header)
    for name in results[0]:
        if name.startswith("_"):
            continue
        line = name.ljust(12) + "".join(f"{r[name]:>17.0f} ms" for r in results)
        if len(results) == 2:
            line += f"{results[1][name] / results[0][name]:>10.2f}"
        print(line)


if __name__ == "__main__":
    main()
