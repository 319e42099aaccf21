"""Monthly drops cut from a whole export: what each month's load would have received.

    split(source_dir, out_dir)  ->  out_dir/2019-01 (a full export up to the first period: build it),
                                    out_dir/2019-02, ... (drops: load them in order)

A drop for period P holds the bills of P, the payments paid in P, the requests submitted in P, and the
customers new or changed in P: the customers table as it stood at the end of each period (customers
connected by then, dates after it not yet known), compared with the end of the period before. So loading
the drops in order gives, at each step, the export as it stood then (`snapshot`), which a full build can
read: that is how tests/test_load.py and bench/bench_load.py prove a load equal to a full build.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from dashboard.contract import TABLES
from dashboard.exports import ident, sql_str

DATES = ("disconnected_on", "phone_registered_on", "email_registered_on", "app_registered_on",
         "zalo_registered_on", "remote_meter_since")
PERIOD_OF = {"bills": "period", "payments": "date_trunc('month', paid_on)::date",
             "service_requests": "date_trunc('month', submitted_on)::date"}


def _source(source_dir: Path, table: str, loaded: dict | None = None) -> str:
    if loaded is not None and table in loaded:
        return loaded[table]
    for ext, reader in (("parquet", "read_parquet"), ("csv", "read_csv")):
        path = Path(source_dir) / f"{table}.{ext}"
        if path.is_file():
            return f"{reader}({sql_str(path)})"
    raise FileNotFoundError(f"{table}.csv or {table}.parquet in {source_dir}")


def _present(source_dir: Path, table: str) -> bool:
    return any((Path(source_dir) / f"{table}.{ext}").is_file() for ext in ("parquet", "csv"))


def _customers_at(end: dt.date) -> str:
    """SQL of the customers table as it stood at the end of a period (over a table named all_customers)."""
    cols = [c.name for c in TABLES["customers"].columns]
    shown = [f"if({ident(c)} <= date '{end.isoformat()}', {ident(c)}, null) as {ident(c)}" if c in DATES
             else ident(c) for c in cols]
    return f"select {', '.join(shown)} from all_customers where connected_on <= date '{end.isoformat()}'"


def _write(con, sql: str, path: Path, fmt: str) -> None:
    options = "(format parquet)" if fmt == "parquet" else "(header true)"
    con.execute(f"copy ({sql}) to {sql_str(path.with_suffix('.' + fmt))} {options}")


def periods(source_dir: Path) -> list[dt.date]:
    con = duckdb.connect()
    return [r[0] for r in con.execute(f"select distinct period::date from {_source(source_dir, 'bills')} "
                                      "order by 1").fetchall()]


def split(source_dir: Path, out_dir: Path, fmt: str = "csv", first: dt.date | None = None) -> list[Path]:
    """Cut the export into a first full export (periods up to `first`, default the first period) and one
    drop per later period; returns their folders in load order."""
    con = duckdb.connect()
    loaded = {}
    tables = [t for t in TABLES if not (TABLES[t].optional and not _present(source_dir, t))]
    for table in tables:  # read each file once (an optional table the export leaves out stays out)
        con.execute(f"create table {ident('all_' + table)} as select * from {_source(source_dir, table, loaded)}")
        loaded[table] = ident("all_" + table)
    every = periods(source_dir)
    first = first or every[0]
    folders = []
    for i, period in enumerate([p for p in every if p >= first]):
        end = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        folder = Path(out_dir) / f"{period:%Y-%m}"
        folder.mkdir(parents=True, exist_ok=True)
        if i == 0:
            for table in tables:
                if table in PERIOD_OF:
                    sql = (f"select * from {_source(source_dir, table, loaded)} "
                           f"where {PERIOD_OF[table]} <= date '{period}'")
                elif table == "customers":
                    sql = _customers_at(end)
                else:
                    sql = f"select * from {_source(source_dir, table, loaded)}"
                _write(con, sql, folder / table, fmt)
        else:
            for table in PERIOD_OF:
                _write(con, f"select * from {_source(source_dir, table, loaded)} where {PERIOD_OF[table]} = "
                            f"date '{period}'", folder / table, fmt)
            before = (period - dt.timedelta(days=1))
            changed = f"({_customers_at(end)}) except ({_customers_at(before)})"
            if con.execute(f"select count(*) from ({changed})").fetchall()[0][0]:
                _write(con, changed, folder / "customers", fmt)
        folders.append(folder)
    return folders


class History:
    """The whole export as it stands after each drop, kept in memory: `add(drop)` applies a drop as a load does
    (facts of its periods replaced, customers upserted, reference tables replaced), `write(out_dir)` writes the
    export a full build reads."""

    def __init__(self):
        self.con = duckdb.connect()

    def add(self, drop: Path) -> None:
        con = self.con
        for table in TABLES:
            found = [p for p in (Path(drop) / f"{table}.csv", Path(drop) / f"{table}.parquet") if p.is_file()]
            if not found:
                continue
            source = _source(drop, table)
            exists = con.execute("select count(*) from information_schema.tables where table_name = $1",
                                 [table]).fetchall()[0][0]
            if not exists or table not in PERIOD_OF and table != "customers":
                ids = [c.name for c in TABLES[table].columns if c.id]  # text, so codes and numbers both fit
                replace = f" replace ({', '.join(f'{ident(c)}::varchar as {ident(c)}' for c in ids)})" if ids else ""
                con.execute(f"create or replace table {ident(table)} as select *{replace} from {source}")
            elif table == "customers":
                con.execute(f"delete from customers where customer_id in (select customer_id from {source})")
                con.execute(f"insert into customers by name select * from {source}")
            else:
                con.execute(f"delete from {ident(table)} where {PERIOD_OF[table]} in "
                            f"(select distinct period from {_source(drop, 'bills')})")
                con.execute(f"insert into {ident(table)} by name select * from {source}")

    def write(self, out_dir: Path, fmt: str = "csv") -> Path:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        held = {r[0] for r in self.con.execute("select table_name from information_schema.tables").fetchall()}
        for table in TABLES:
            if table in held or not TABLES[table].optional:  # an optional table never loaded stays out
                _write(self.con, f"select *{self._typed_ids(table, fmt)} from {ident(table)}", out_dir / table, fmt)
        return out_dir

    def _typed_ids(self, table: str, fmt: str) -> str:
        """For Parquet, ids held as text that are all whole numbers written back as BIGINT, as the exports had
        them (a build reads text ids the slow way: a benchmark's full build would not be the export's)."""
        if fmt != "parquet":
            return ""
        whole = []
        for col in (c.name for c in TABLES[table].columns if c.id):
            c = ident(col)
            if self.con.execute(f"select count(*) = 0 from {ident(table)} where {c} is not null and "
                                f"(try_cast({c} as bigint) is null or try_cast({c} as bigint)::varchar <> {c})"
                                ).fetchall()[0][0]:
                whole.append(f"{c}::bigint as {c}")
        return f" replace ({', '.join(whole)})" if whole else ""


def snapshot(drops: list[Path], out_dir: Path, fmt: str = "csv") -> Path:
    """The whole export as it stands after loading `drops` in order (the first is a full export)."""
    history = History()
    for drop in drops:
        history.add(drop)
    return history.write(out_dir, fmt)


SKIP = {"data_version", "provisional"}  # what a version says about itself, not data
CHECKSUM_ROWS = 50_000_000  # larger tables are compared by checksums (see compare)
TOLERANCE = 1e-9  # relative, for floating-point sums only (their order of addition may differ)


def compare(a: Path, b: Path) -> list[str]:
    """Differences between two warehouse files, table by table (every table but data_version and the
    provisional marks): row counts, columns, then rows; floating-point columns equal within TOLERANCE
    (relative), everything else exactly; tables of more than CHECKSUM_ROWS rows (raw facts, copied values) by
    a checksum of every row. An empty list: the same warehouse."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.execute(f"attach {sql_str(a)} as a (read_only)")
    con.execute(f"attach {sql_str(b)} as b (read_only)")
    found = []

    def tables(db):
        return {r[0] for r in con.execute("select table_name from information_schema.tables "
                                          "where table_catalog = $1", [db]).fetchall()} - SKIP

    ta, tb = tables("a"), tables("b")
    if ta != tb:
        found.append(f"tables differ: only in a {sorted(ta - tb)}, only in b {sorted(tb - ta)}")
    for table in sorted(ta & tb):
        cols = con.execute("select column_name, data_type from information_schema.columns where table_catalog = 'a' "
                           "and table_name = $1 order by ordinal_position", [table]).fetchall()
        cols_b = con.execute("select column_name, data_type from information_schema.columns where table_catalog = 'b' "
                             "and table_name = $1 order by ordinal_position", [table]).fetchall()
        if sorted(cols) != sorted(cols_b):
            found.append(f"{table}: columns differ: {cols} vs {cols_b}")
            continue
        floats = [c for c, t in cols if t in ("DOUBLE", "FLOAT")]
        exact = [c for c, t in cols if t not in ("DOUBLE", "FLOAT")]
        na, nb = (con.execute(f"select count(*) from {db}.{ident(table)}").fetchall()[0][0] for db in "ab")
        if na != nb:
            found.append(f"{table}: {na} rows against {nb}")
            continue
        if na > CHECKSUM_ROWS:
            # the raw facts of a corporation: pairing 192 M rows spills more than this disk holds; their values
            # are copied from the exports, never computed, so an order-free checksum of every column is exact
            every = ", ".join(ident(c) for c, _ in sorted(cols))
            sums = [con.execute(f"select sum(hash({every})::hugeint), bit_xor(hash({every})) from {db}.{ident(table)}"
                                ).fetchall()[0] for db in "ab"]
            if sums[0] != sums[1]:
                found.append(f"{table}: rows differ (checksums of {na:,} rows)")
            continue
        order = ", ".join(ident(c) for c, _ in cols)
        numbered = ("select row_number() over (order by {o}) as _n, * from {db}.{t}")
        a_rows = numbered.format(o=order, db="a", t=ident(table))
        b_rows = numbered.format(o=order, db="b", t=ident(table))
        if not exact:
            continue
        mismatch = [
            f"({' or '.join(f'x.{ident(c)} is distinct from y.{ident(c)}' for c in exact)})" if exact else "false",
            *[f"(x.{ident(c)} is distinct from y.{ident(c)} and not (abs(x.{ident(c)} - y.{ident(c)}) <= "
              f"{TOLERANCE} * greatest(abs(x.{ident(c)}), abs(y.{ident(c)}), 1e-300)))" for c in floats]]
        # rows paired by their order over the exact columns first (floats last), so a tiny float difference
        # cannot pair the wrong rows
        order_exact = ", ".join([ident(c) for c in exact] + [ident(c) for c in floats])
        a_rows = numbered.format(o=order_exact, db="a", t=ident(table))
        b_rows = numbered.format(o=order_exact, db="b", t=ident(table))
        bad = con.execute(f"select count(*), any_value(x._n) from ({a_rows}) as x join ({b_rows}) as y using (_n) "
                          f"where {' or '.join(mismatch)}").fetchall()[0]
        if bad[0]:
            example = con.execute(f"select * from ({a_rows}) where _n = $1", [bad[1]]).fetchall()
            found.append(f"{table}: {bad[0]} rows differ, e.g. {example[0][1:]}")
    return found
