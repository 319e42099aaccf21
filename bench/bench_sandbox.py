"""What the guarded SQL path costs over plain DuckDB: run by hand, `python bench/bench_sandbox.py [warehouse]`.

For a small query and a full scan of `bills`, prints the median of several runs for: a plain read-only
connection kept open, a plain connection opened per query, and sandbox.run_sql (open + lock down + check +
time limit + capped fetch + close), cold and with the app's guarded connection held open (DuckDB then
reuses the open database instance), with the ratio of run_sql to each plain connection.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import sandbox  # noqa: E402

RUNS = 15
CASES = {
    "small query": "select branch_code, count(*) as n from branches group by branch_code order by 1",
    "full scan of bills": "select read_method, count(*) as bills, sum(kwh) as kwh from bills group by read_method",
}


def median_seconds(fn, runs: int = RUNS) -> float:
    fn()  # warm the OS cache and DuckDB's code paths
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else sandbox.published_path()
    print(f"warehouse: {path}  ({path.stat().st_size / 1e6:.1f} MB), median of {RUNS} runs")
    probe = duckdb.connect(str(path), read_only=True)
    tables = {row[0] for row in probe.execute("select table_name from duckdb_tables()").fetchall()}
    rows = dict(probe.execute("select table_name, estimated_size from duckdb_tables()").fetchall())
    probe.close()
    print(f"{'case':<22}{'plain open':>12}{'plain new':>12}{'guarded':>12}{'÷ open':>9}{'÷ new':>8}"
          f"{'guarded, held':>15}{'÷ open':>9}")
    for name, sql in CASES.items():
        if not all(t in tables for t in ("branches", "bills")):
            print(f"{name:<22} skipped: the warehouse lacks branches/bills")
            continue

        kept = duckdb.connect(str(path), read_only=True)
        plain_open = median_seconds(lambda kept=kept, sql=sql: kept.execute(sql).fetch_df())
        kept.close()

        def plain_new(sql=sql):
            con = duckdb.connect(str(path), read_only=True)
            try:
                con.execute(sql).fetch_df()
            finally:
                con.close()

        plain_per_query = median_seconds(plain_new)
        guarded = median_seconds(lambda sql=sql: sandbox.run_sql(sql, path))
        held = sandbox.open_guarded(path)
        try:
            guarded_held = median_seconds(lambda sql=sql: sandbox.run_sql(sql, path))
        finally:
            held.close()
        print(f"{name:<22}{plain_open * 1e3:>10.1f}ms{plain_per_query * 1e3:>10.1f}ms{guarded * 1e3:>10.1f}ms"
              f"{guarded / plain_open:>8.2f}x{guarded / plain_per_query:>7.2f}x"
              f"{guarded_held * 1e3:>13.1f}ms{guarded_held / plain_open:>8.2f}x")
    print(f"(bills: ~{rows.get('bills', 0):,} rows; threads={sandbox.connection_config()['threads']}, "
          f"memory_limit={sandbox.connection_config()['memory_limit']} for the guarded path)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
