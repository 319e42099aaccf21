"""Checks of a loaded month, before it is published (dashboard/load.py runs them on the new version).

* `no_bills` (warning): a branch with active customers and no bills for the period: its export is late.
* `few_bills` (warning): a branch with far fewer bills than active customers (under FEW_BILLS of them).
* `kpi_jump` (warning): a share KPI of a branch that moves far beyond its own history in one period: by at
  least JUMP_MIN (absolute) and by more than JUMP_FACTOR times its usual monthly change (the median absolute
  change over the HISTORY periods before), e.g. a share that halves.

Errors that refuse a load are found before these run: the contract (dashboard/exports.py), a gap, payments
or requests outside the drop's periods (dashboard/load.py) and the model data tests. Warnings publish the
load and mark the branch's figures for that period provisional in the `provisional` table, which every page
shows beside those figures until a later load of the period passes. The company's
figures for a period are provisional when any branch's are (they are sums of the branches).
Messages are written in both languages through dashboard/labels.py and stored with the mark.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboard import formats, labels

FEW_BILLS = 0.8  # bills under this share of active customers
JUMP_MIN = 0.05  # a share must move at least 5 points ...
JUMP_FACTOR = 6.0  # ... and more than 6x its median monthly change
HISTORY = 24


@dataclass(frozen=True)
class Check:
    name: str  # no_bills | few_bills | kpi_jump
    level: str  # warning (errors refuse the load before the month is checked)
    branch_code: str | None
    period: str  # YYYY-MM
    message_vi: str
    message_en: str
    kpi: str | None = None

    def message(self, lang: str) -> str:
        return self.message_vi if lang == "vi" else self.message_en


def _both(key: str, **values) -> tuple[str, str]:
    """The message in both languages; values may be callables of the language (formatted numbers)."""
    return tuple(labels.t(key, lang, **{k: (v(lang) if callable(v) else v) for k, v in values.items()})
                 for lang in ("vi", "en"))


def run(con, periods: list[dt.date]) -> list[Check]:
    """Every check on the periods of a drop, over the warehouse being loaded (branch_month, kpis, branches)."""
    checks: list[Check] = []
    for period in periods:
        rows = con.execute(
            "select b.branch_code, b.branch_name, m.customers, m.bills from branch_month as m "
            "join branches as b using (branch_code) where m.period = $1 order by b.branch_code", [period]
        ).fetchall()
        def when(lang, p=period):
            return formats.fmt_period(p, lang, "long")

        for code, name, customers, bills in rows:
            if not customers:
                continue
            if not bills:
                checks.append(Check("no_bills", "warning", code, period.isoformat()[:7],
                                    *_both("check.no_bills", branch=name, period=when)))
            elif bills < FEW_BILLS * customers:
                checks.append(Check("few_bills", "warning", code, period.isoformat()[:7],
                                    *_both("check.few_bills", branch=name, period=when,
                                           bills=lambda lang, n=bills: formats.fmt_number(n, lang),
                                           customers=lambda lang, n=customers: formats.fmt_number(n, lang))))
        checks.extend(_jumps(con, period, when))
    return checks


def _jumps(con, period: dt.date, when) -> list[Check]:
    shares = con.execute("select kpi, column_name, label_vi, label_en from kpis "
                         "where unit = 'share' and direction is not null order by sort_order").fetchall()
    found = []
    late = {r[0] for r in con.execute("select branch_code from branch_month where period = $1 and bills = 0",
                                      [period]).fetchall()}
    for kpi, column, label_vi, label_en in shares:
        col = '"' + column.replace('"', '""') + '"'
        rows = con.execute(
            f"""
            with series as (
                select branch_code, period, {col} as value,
                    {col} - lag({col}) over (partition by branch_code order by period) as change
                from branch_month
                where period between $period - to_months({HISTORY + 1}) and $period
            )
            select s.branch_code, b.branch_name, s.value, s.value - s.change as before, s.change,
                (select median(abs(h.change)) from series as h
                 where h.branch_code = s.branch_code and h.period < $period) as usual
            from series as s join branches as b using (branch_code)
            where s.period = $period and s.change is not null
            order by s.branch_code
            """, {"period": period}).fetchall()
        for code, name, value, before, change, usual in rows:
            if code in late or abs(change) < JUMP_MIN or abs(change) <= JUMP_FACTOR * (usual or 0):
                continue
            vi, en = _both("check.kpi_jump", branch=name, period=when,
                           value=lambda lang, v=value: formats.fmt_percent(v, lang, 1),
                           before=lambda lang, v=before: formats.fmt_percent(v, lang, 1),
                           usual=lambda lang, v=usual: formats.fmt_pp(v or 0, lang))
            found.append(Check("kpi_jump", "warning", code, period.isoformat()[:7],
                               f"{label_vi}: {vi}", f"{label_en}: {en}", kpi))
    return found


def create_table(con, table: str = "provisional") -> None:
    """The provisional marks: branch and period (first of month), the check and its message in both languages."""
    con.execute(f"create table if not exists {table} (branch_code varchar not null, period date not null, "
                "check_name varchar not null, kpi varchar, message_vi varchar not null, "
                "message_en varchar not null)")


def mark_provisional(con, periods: list[dt.date], checks: list[Check], table: str = "provisional") -> None:
    """Replace the marks of the loaded periods by this load's warnings (a period that passes is cleared)."""
    create_table(con, table)
    if periods:
        con.execute(f"delete from {table} where period in (select unnest($periods::date[]))",
                    {"periods": list(periods)})
    rows = [(c.branch_code, dt.date.fromisoformat(c.period + "-01"), c.name, c.kpi, c.message_vi, c.message_en)
            for c in checks if c.level == "warning" and c.branch_code]
    if rows:
        con.executemany(f"insert into {table} values (?, ?, ?, ?, ?, ?)", rows)
