"""Backtest (prints, never asserts): fit each branch's and the company's KPIs on the first 24 months of the
history, ask when each reaches the target then in force, and compare with the month it really did.

    .venv/bin/python bench/bench_forecast.py --data-dir data

Error in months over the pairs predicted "on track" that did reach the target within the data; plus how often
"on track" and "not on track" came true.
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from dashboard import forecast, warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--fit-months", type=int, default=24)
    args = parser.parse_args()
    published = warehouse.current(args.data_dir)
    if published is None:
        raise SystemExit(f"no warehouse published in {args.data_dir}")
    con = warehouse.connect(published.path)
    kpis = con.execute("select kpi, column_name, direction from kpis where direction is not null").fetchall()
    periods = [r[0] for r in con.execute("select period from company_month order by 1").fetchall()]
    fit, later = periods[:args.fit_months], periods[args.fit_months:]
    cutoff = fit[-1]
    errors, outcomes = [], {"on_track": [0, 0], "not_on_track": [0, 0], "reached": [0, 0]}
    for kpi, column, direction in kpis:
        rows = con.execute(
            f"select coalesce(b.branch_code, '') as scope, b.period, b.{column} as v "  # noqa: S608 (catalogue column)
            f"from (select branch_code, period, {column} from branch_month union all "
            f"      select null, period, {column} from company_month) b order by 1, 2").fetchall()
        targets = dict(((s or ""), t) for s, t in con.execute(
            "select branch_code, target from target_month where kpi = $k and period = $p",
            {"k": kpi, "p": cutoff}).fetchall())
        by_scope: dict[str, list] = {}
        for scope, period, value in rows:
            by_scope.setdefault(scope, []).append((period, value))
        for scope, series in by_scope.items():
            target = targets.get(scope, targets.get(""))
            history = [(p, v) for p, v in series if p <= cutoff]
            future = [(p, v) for p, v in series if p > cutoff and v is not None]
            got = forecast.reach([p for p, _ in history], [v for _, v in history], target, direction)
            if got.state == "too_short":
                continue
            sign = 1 if direction == "higher" else -1
            actual = next((p for p, v in future if sign * (v - target) >= 0), None)
            came_true = actual is not None if got.state != "not_on_track" else actual is None
            outcomes[got.state][0] += 1
            outcomes[got.state][1] += bool(came_true)
            if got.state == "on_track" and actual is not None:
                errors.append(abs((got.period.year - actual.year) * 12 + got.period.month - actual.month))
    print(f"warehouse {published.version}; fit {fit[0]:%Y-%m}..{cutoff:%Y-%m}, compared with {later[0]:%Y-%m}.."
          f"{later[-1]:%Y-%m}; {len(kpis)} KPIs with a direction, each branch and the company")
    for state, (n, true) in outcomes.items():
        print(f"  predicted {state:<13} {n:4d}   came true {true:4d} ({true / n:.0%})" if n else
              f"  predicted {state:<13}    0")
    if errors:
        print(f"  months off, 'on track' that reached it: median {statistics.median(errors):.1f}, "
              f"mean {statistics.mean(errors):.1f}, max {max(errors)} (n={len(errors)})")


if __name__ == "__main__":
    main()
