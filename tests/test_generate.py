"""The synthetic exports: contract shape, keys, references, true-ups, determinism, calibration, and several
EVNCPC companies (`--companies N`).

The default-size tests generate ~14 million bills once per module (about 15-25 s on 2 cores).
"""
from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from dashboard import cli, config, contract
from dashboard import generate as gen

SMALL = 800
PHONE_RE = r"(^|[^0-9])(\+?84|0)[ .\-]?[1-9][0-9]([ .\-]?[0-9]){6,8}($|[^0-9])"
EMAIL_RE = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
MOUNTAIN = ("PC08DD", "PC08FF", "PC08GG")


def _connect(folder: Path, fmt: str = "parquet") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table, read with the contract's types for CSV."""
    con = duckdb.connect()
    for name, table in contract.TABLES.items():
        path = str(folder / f"{name}.{fmt}")
        if fmt == "parquet":
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        else:
            types = ", ".join(f"'{c.name}': '{c.type}'" for c in table.columns)
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_csv('{path}', header = true, delim = ',', "
                        f"columns = {{{types}}})")
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchall()[0]


def assert_references(con, name: str, table) -> None:
    """Every value of the table's reference columns names a row of the table it refers to."""
    for ref in table.references:
        where = f"WHERE {ref.where}" if ref.where else ""
        missing = _one(con, f"""SELECT count(*) FROM {name} x WHERE x.{ref.column} IS NOT NULL
            AND x.{ref.column} NOT IN (SELECT {ref.target} FROM {ref.table} {where})""")[0]
        assert missing == 0, (name, ref)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    gen.generate(out, customers=SMALL, fmt="parquet")
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple[Path, float, dict[str, int]]:
    out = tmp_path_factory.mktemp("full")
    t0 = time.perf_counter()
    rows = gen.generate(out)
    return out, time.perf_counter() - t0, rows


# ------------------------------------------------------------------ shape


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_table_has_the_contract_columns_and_types(tmp_path, fmt):
    rows = gen.generate(tmp_path, customers=300, fmt=fmt)
    assert list(rows) == contract.LOAD_ORDER
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.{fmt}" for t in contract.TABLES)
    con = duckdb.connect()
    for name, table in contract.TABLES.items():
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "parquet":
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
            assert [(r[0], r[1]) for r in described] == [(c.name, c.type) for c in table.columns], name
        else:
            header = path.read_text(encoding="utf-8").splitlines()[0]
            assert header == ",".join(table.column_names), name
        assert rows[name] > 0
    # CSV reads back with the contract's types and the same rows
    if fmt == "csv":
        typed = _connect(tmp_path, "csv")
        for name in contract.TABLES:
            assert _one(typed, f"SELECT count(*) FROM {name}")[0] == rows[name]


def test_csv_format_details(tmp_path):
    gen.generate(tmp_path, customers=300, fmt="csv")
    bills = (tmp_path / "bills.csv").read_text(encoding="utf-8").splitlines()
    assert not bills[0].startswith("\ufeff")
    first = bills[1].split(",")
    assert re.fullmatch(r"\d{4}-\d{2}-01", first[2]) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", first[3])
    assert re.fullmatch(r"-?\d+(\.\d+)?", first[5])
    customers = (tmp_path / "customers.csv").read_text(encoding="utf-8").splitlines()
    assert any(",," in line for line in customers[1:])  # NULL is an empty field
    channels = (tmp_path / "channels.csv").read_text(encoding="utf-8")
    assert "Trích nợ tự động" in channels and "true" in channels and "false" in channels


def test_switching_format_leaves_one_file_per_table(tmp_path):
    gen.generate(tmp_path, customers=200, fmt="csv")
    gen.generate(tmp_path, customers=200, fmt="parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.parquet" for t in contract.TABLES)


def test_progress_is_reported_from_0_to_1(tmp_path):
    calls = []
    gen.generate(tmp_path, customers=200, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(calls) >= 5
    assert all(isinstance(m, str) and m for _, m in calls)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError):
        gen.generate(tmp_path, customers=200, fmt="xlsx")
    with pytest.raises(ValueError):
        gen.generate(tmp_path, customers=10)


def test_a_few_customers_still_calibrate(tmp_path):
    """100 customers have 0 Zalo users at 2020-08-31 (1,196 x 100 / 290,000 rounds to 0): the ramp still rises."""
    gen.generate(tmp_path, customers=100)
    app, zalo = _one(_connect(tmp_path), """SELECT count(*) FILTER (app_registered_on <= DATE '2020-08-31'),
        count(*) FILTER (zalo_registered_on <= DATE '2020-08-31') FROM customers
        WHERE connected_on <= DATE '2020-08-31' AND coalesce(disconnected_on, DATE '9999-12-31') > DATE '2020-08-31'""")
    assert (app, zalo) == (round(13_766 * 100 / 290_000), 0)


def test_cli_run_writes_and_prints_a_timing_summary(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    cli.generate_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path / "x"), "--customers", "200", "--format", "csv", "--seed", "3"])
    assert cli.run_generate(args) == 0
    captured = capsys.readouterr()
    assert "total" in captured.out and "bills" in captured.out
    assert "%]" in captured.err  # progress on stderr
    assert (tmp_path / "x" / "bills.csv").is_file()
    defaults = parser.parse_args([])
    assert (defaults.customers, defaults.seed, defaults.format, defaults.companies) == (
        290_000, gen.DEFAULT_SEED, "parquet", 1)


# ------------------------------------------------------------------ determinism


def test_same_seed_same_content_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen.generate(a, customers=400, seed=11, fmt="csv")
    gen.generate(b, customers=400, seed=11, fmt="csv")
    gen.generate(c, customers=400, seed=12, fmt="csv")
    for name in contract.TABLES:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name
    for name in ("customers", "bills", "payments", "service_requests"):
        assert (a / f"{name}.csv").read_bytes() != (c / f"{name}.csv").read_bytes(), name


def test_parquet_content_is_deterministic(tmp_path):
    gen.generate(tmp_path / "a", customers=300, seed=5)
    gen.generate(tmp_path / "b", customers=300, seed=5)
    con = duckdb.connect()
    for name in contract.TABLES:
        rows = [con.execute(f"SELECT * FROM read_parquet('{tmp_path / d / name}.parquet')").fetchall() for d in "ab"]
        assert rows[0] == rows[1], name


def test_blocks_of_customers_give_unique_keys_valid_references_and_the_same_content(tmp_path, monkeypatch):
    """Large sizes are drawn in blocks of customers; here 3 blocks of 500 stand in for 10 of 290,000."""
    monkeypatch.setattr(gen, "BLOCK_CUSTOMERS", 500)
    calls = []
    rows = gen.generate(tmp_path / "a", customers=1_500, seed=4, progress=lambda f, m: calls.append((f, m)))
    gen.generate(tmp_path / "b", customers=1_500, seed=4)
    csv_rows = gen.generate(tmp_path / "c", customers=1_500, seed=4, fmt="csv")
    assert rows == csv_rows and rows["customers"] == 1_500
    assert sum("block 3/3" in m for _, m in calls) >= 3
    assert [f for f, _ in calls] == sorted(f for f, _ in calls) and calls[-1][0] == 1.0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(f"{t}.parquet" for t in contract.TABLES)
    assert pq.ParquetFile(tmp_path / "a" / "bills.parquet").metadata.num_row_groups == 3

    con = _connect(tmp_path / "a")
    for name, table in contract.TABLES.items():
        n, = _one(con, f"SELECT count(*) FROM {name}")
        assert n == rows[name], name
        if table.key:
            assert _one(con, f"SELECT count(DISTINCT {table.key}) FROM {name}")[0] == n, name
        assert_references(con, name, table)
    assert _one(con, "SELECT count(*) FROM payments p JOIN bills b USING (bill_id) "
                     "WHERE p.customer_id <> b.customer_id")[0] == 0
    # ids run on from block to block; bill ids rise with (period, read_on) over the whole table
    assert _one(con, "SELECT min(bill_id), max(bill_id) FROM bills") == (
        gen.BILL_ID_BASE + 1, gen.BILL_ID_BASE + rows["bills"])
    assert _one(con, "SELECT min(payment_id), max(payment_id) FROM payments") == (
        gen.PAYMENT_ID_BASE + 1, gen.PAYMENT_ID_BASE + rows["payments"])
    assert _one(con, "SELECT count(*) FROM (SELECT period, read_on, lag(read_on) OVER (ORDER BY bill_id) prev_read, "
                     "lag(period) OVER (ORDER BY bill_id) prev_period FROM bills) "
                     "WHERE period < prev_period OR (period = prev_period AND read_on < prev_read)")[0] == 0
    assert _one(con, "SELECT count(*) FROM customers WHERE NOT regexp_full_match(customer_id, 'PC08[A-I]{2}[0-9]{7}') "
                     "OR left(customer_id, 6) <> branch_code")[0] == 0
    # the blocks differ (their own random streams) and together hit the calibration counts exactly
    assert _one(con, "SELECT count(DISTINCT connected_on) FROM customers")[0] > 1_000
    app, zalo = _one(con, """SELECT count(*) FILTER (app_registered_on <= DATE '2020-08-31'),
        count(*) FILTER (zalo_registered_on <= DATE '2020-08-31') FROM customers
        WHERE connected_on <= DATE '2020-08-31' AND coalesce(disconnected_on, DATE '9999-12-31') > DATE '2020-08-31'""")
    assert (app, zalo) == (round(13_766 * 1_500 / 290_000), round(1_196 * 1_500 / 290_000))

    # deterministic, and the CSV (appended block by block, one header) holds the same rows
    other, typed = _connect(tmp_path / "b"), _connect(tmp_path / "c", "csv")
    for name, table in contract.TABLES.items():
        order = table.key or "ALL"
        want = con.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
        assert other.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall() == want, name
        assert typed.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall() == want, name
    header = (tmp_path / "c" / "bills.csv").read_text(encoding="utf-8").count("bill_id")
    assert header == 1


# ------------------------------------------------------------------ keys, references, values


def test_keys_unique_and_required_columns_filled(small):
    con = _connect(small)
    for name, table in contract.TABLES.items():
        if table.key:
            n, distinct, nulls = _one(con, f"SELECT count(*), count(DISTINCT {table.key}), "
                                           f"count(*) FILTER ({table.key} IS NULL) FROM {name}")
            assert n == distinct and nulls == 0, name
        for col in table.columns:
            if not col.nullable:
                assert _one(con, f"SELECT count(*) FILTER ({col.name} IS NULL) FROM {name}")[0] == 0, (name, col.name)
            if col.accepted:
                values = {r[0] for r in con.execute(f"SELECT DISTINCT {col.name} FROM {name}").fetchall()}
                assert values <= set(col.accepted) | {None}, (name, col.name, values)
            if col.non_negative:
                assert _one(con, f"SELECT count(*) FILTER ({col.name} < 0) FROM {name}")[0] == 0, (name, col.name)
            if col.first_of_month:
                bad = _one(con, f"SELECT count(*) FILTER (day({col.name}) <> 1) FROM {name}")[0]
                assert bad == 0, (name, col.name)


def test_every_reference_is_known(small):
    con = _connect(small)
    for name, table in contract.TABLES.items():
        for ref in table.references:
            where = f"WHERE {ref.where}" if ref.where else ""
            missing = _one(con, f"""
                SELECT count(*) FROM {name} x
                WHERE x.{ref.column} IS NOT NULL
                  AND x.{ref.column} NOT IN (SELECT {ref.target} FROM {ref.table} {where})""")[0]
            assert missing == 0, (name, ref)
    # the customer of a payment is the customer of its bill
    assert _one(con, "SELECT count(*) FROM payments p JOIN bills b USING (bill_id) "
                     "WHERE p.customer_id <> b.customer_id")[0] == 0


def test_codes_and_ids_look_right(small):
    con = _connect(small)
    ids = [r[0] for r in con.execute("SELECT customer_id FROM customers").fetchall()]
    assert all(re.fullmatch(r"PC08[A-I]{2}\d{7}", i) for i in ids)
    assert _one(con, "SELECT count(*) FROM customers WHERE left(customer_id, 6) <> branch_code")[0] == 0
    request_types = {r[0] for r in con.execute("SELECT DISTINCT request_type FROM service_requests").fetchall()}
    assert request_types <= set(gen.REQUEST_TYPES)
    assert _one(con, "SELECT count(*) FROM service_requests WHERE customer_id IS NULL "
                     "AND request_type <> 'new_connection'")[0] == 0


def test_dates_are_consistent(small):
    con = _connect(small)
    assert _one(con, "SELECT min(period), max(period) FROM bills") == (
        __import__("datetime").date(2019, 1, 1), __import__("datetime").date(2022, 12, 1))
    checks = {
        "read_on in days 1-20 of the period": "SELECT count(*) FROM bills WHERE date_trunc('month', read_on) <> period "
                                              "OR day(read_on) > 20",
        "read after connection": "SELECT count(*) FROM bills JOIN customers USING (customer_id) "
                                 "WHERE read_on <= connected_on OR read_on > coalesce(disconnected_on, DATE '9999-12-31')",
        "paid after reading": "SELECT count(*) FROM payments JOIN bills USING (bill_id) "
                              "WHERE paid_on <= read_on OR paid_on > DATE '2022-12-31'",
        "paid no more than billed": "SELECT count(*) FROM (SELECT bill_id, sum(p.amount_vnd) paid, any_value(b.amount_vnd) "
                                    "billed FROM payments p JOIN bills b USING (bill_id) GROUP BY ALL) WHERE paid > billed",
        "registered after connection": "SELECT count(*) FROM customers WHERE least(phone_registered_on, "
                                       "email_registered_on, app_registered_on, zalo_registered_on, remote_meter_since) "
                                       "< connected_on",
        "nothing after the export": "SELECT count(*) FROM customers WHERE greatest(connected_on, disconnected_on, "
                                    "phone_registered_on, email_registered_on, app_registered_on, zalo_registered_on, "
                                    "remote_meter_since) > DATE '2022-12-31'",
        "completed after submitted": "SELECT count(*) FROM service_requests WHERE completed_on < submitted_on "
                                     "OR postponed_on < submitted_on OR greatest(completed_on, postponed_on) > DATE '2022-12-31'",
        "status matches completion": "SELECT count(*) FROM service_requests WHERE (status = 'completed') "
                                     "<> (completed_on IS NOT NULL)",
        "open postponed have a date": "SELECT count(*) FROM service_requests WHERE status = 'postponed' "
                                      "AND postponed_on IS NULL",
        "several reads in a period on distinct days": "SELECT count(*) FROM (SELECT customer_id, period, read_on "
                                                      "FROM bills GROUP BY ALL HAVING count(*) > 1)",
        "bill ids rise with period and reading day": "SELECT count(*) FROM (SELECT period, read_on, bill_id, "
                                                     "lag(read_on) OVER (ORDER BY bill_id) prev_read, lag(period) "
                                                     "OVER (ORDER BY bill_id) prev_period FROM bills) "
                                                     "WHERE period < prev_period OR (period = prev_period AND read_on < prev_read)",
    }
    for what, sql in checks.items():
        assert _one(con, sql)[0] == 0, what
    assert _one(con, "SELECT count(*) FROM (SELECT customer_id, period FROM bills GROUP BY ALL HAVING count(*) > 1)")[0] > 0


def test_estimates_and_true_up_offsets(small):
    con = _connect(small)
    con.execute("""
        CREATE TEMP TABLE seq AS SELECT *,
            lag(read_method) OVER w AS prev_method,
            lag(kwh) OVER w AS prev_kwh,
            row_number() OVER w AS nth
        FROM bills WINDOW w AS (PARTITION BY customer_id ORDER BY period, read_on, bill_id)""")
    # estimated bills carry no offset and bill the previous billed kWh
    assert _one(con, "SELECT count(*) FROM seq WHERE read_method = 'estimated' AND offset_kwh <> 0")[0] == 0
    assert _one(con, "SELECT count(*) FROM seq WHERE read_method = 'estimated' AND prev_method IS NOT NULL "
                     "AND kwh <> prev_kwh")[0] == 0
    # no offset unless the previous bill was estimated
    assert _one(con, "SELECT count(*) FROM seq WHERE coalesce(prev_method, '') <> 'estimated' AND offset_kwh <> 0")[0] == 0
    # a real reading after an estimate run almost always carries a true-up
    closing, nonzero = _one(con, "SELECT count(*), count(*) FILTER (offset_kwh <> 0) FROM seq "
                                 "WHERE read_method <> 'estimated' AND prev_method = 'estimated'")
    assert closing > 20 and nonzero >= 0.9 * closing
    # whole kWh, never negative; bills of 0 kWh billed after a true-up floor at 0
    assert _one(con, "SELECT count(*) FROM bills WHERE kwh <> round(kwh) OR offset_kwh <> round(offset_kwh) "
                     "OR kwh < 0")[0] == 0
    # a new customer's first bill is never estimated
    assert _one(con, "SELECT count(*) FROM seq JOIN customers USING (customer_id) WHERE nth = 1 "
                     "AND read_method = 'estimated' AND connected_on >= DATE '2019-01-01'")[0] == 0


def test_amounts_follow_the_residential_tariff(small):
    con = _connect(small)
    rows = con.execute("""
        SELECT kwh + offset_kwh, read_on, period, amount_vnd FROM bills JOIN customers USING (customer_id)
        WHERE customer_type = 'household' USING SAMPLE 500 ROWS (reservoir, 1)""").fetchall()
    for q, read_on, period, amount in rows:
        q = max(q, 0)
        old = read_on < __import__("datetime").date(2019, 3, 20)
        rates = gen.RES_OLD if old else gen.RES_NEW
        vat = 1.08 if period.year == 2022 else 1.10
        cost, lo = 0.0, 0.0
        for width, rate in zip(gen.RES_WIDTH, rates):
            cost += min(max(q - lo, 0), width) * rate
            lo += width
        assert amount == round(cost * vat), (q, read_on, amount)


def test_no_text_looks_like_a_phone_number_or_email(small):
    _check_no_personal_data(_connect(small))


def _check_no_personal_data(con):
    for name, table in contract.TABLES.items():
        for col in table.columns:
            if col.type != "VARCHAR":
                continue
            hits = _one(con, f"SELECT count(*) FROM {name} WHERE regexp_matches({col.name}, '{PHONE_RE}') "
                             f"OR regexp_matches({col.name}, '{EMAIL_RE}')")[0]
            assert hits == 0, (name, col.name)
    # the patterns do catch the real thing
    for value in ("0905123456", "+84 905 123 456", "84905123456", "0257.3823.456", "abc@evn.com.vn"):
        assert _one(con, f"SELECT regexp_matches('{value}', '{PHONE_RE}') OR regexp_matches('{value}', '{EMAIL_RE}')")[0]


# ------------------------------------------------------------------ reference tables and the sample


def _kpi_ids() -> set[str]:
    text = (config.MODELS_DIR / "kpis.sql").read_text(encoding="utf-8")
    return set(re.findall(r"\(\s*'([a-z_]+)',\s*'(?:adoption|metering|payments|services)'", text))


def test_reference_tables(small):
    con = _connect(small)
    assert [r[0] for r in con.execute("SELECT branch_code FROM branches ORDER BY 1").fetchall()] == gen.BRANCH_CODES
    assert _one(con, "SELECT branch_name FROM branches WHERE branch_code = 'PC08AA'")[0] == "Điện lực Tuy Hòa"
    channels = {r[0]: (r[1], r[2]) for r in con.execute("SELECT channel_code, kind, is_online FROM channels").fetchall()}
    assert {c for c, (k, _) in channels.items() if k == "payment"} == set(gen.PAY_CHANNELS)
    assert {c for c, (k, _) in channels.items() if k == "request"} == set(gen.REQ_CHANNELS)
    assert {c for c, (_, online) in channels.items() if online} == set(gen.PAY_ONLINE) | set(gen.REQ_ONLINE)
    # targets: one company-wide row per KPI and year, every KPI known to kpis.sql
    kpis = _kpi_ids()
    wanted = {"phone_coverage", "email_coverage", "app_share", "zalo_share", "remote_capable_share",
              "remote_read_rate", "estimated_bill_rate", "estimate_abs_error_rate", "online_payment_share",
              "online_amount_share", "online_customer_share", "online_request_share", "median_days_to_complete"}
    assert wanted <= kpis
    rows = con.execute("SELECT kpi, year(valid_from), count(*) FROM targets WHERE branch_code IS NULL "
                       "GROUP BY ALL").fetchall()
    # and EVN's 2025 targets for the KPIs it set one for (README, "EVN's 2025 targets")
    evn = {"online_request_share", "online_payment_share", "online_customer_share"}
    assert {(k, y) for k, y, _ in rows} == {(k, y) for k in wanted for y in range(2019, 2023)} | {(k, 2025) for k in evn}
    assert all(n == 1 for *_, n in rows)
    assert _one(con, "SELECT count(*) FROM targets WHERE valid_to < valid_from OR year(valid_to) <> year(valid_from)")[0] == 0
    assert {r[0] for r in con.execute("SELECT DISTINCT kpi FROM targets").fetchall()} <= kpis
    lower = {r[0] for r in con.execute("SELECT DISTINCT kpi FROM targets WHERE direction = 'lower'").fetchall()}
    assert lower == {"estimated_bill_rate", "estimate_abs_error_rate", "median_days_to_complete"}
    assert _one(con, "SELECT target FROM targets WHERE kpi = 'online_request_share' AND branch_code IS NULL "
                     "AND year(valid_from) = 2020")[0] == 0.75
    mountain = {r[0] for r in con.execute("SELECT DISTINCT branch_code FROM targets WHERE branch_code IS NOT NULL").fetchall()}
    assert mountain == set(MOUNTAIN)
    assert _one(con, "SELECT count(*) FROM annotations")[0] >= 6
    assert _one(con, "SELECT count(*) FROM annotations WHERE text_vi LIKE '%Molave%'")[0] == 1


SAMPLES = {  # folder: (customers, companies, largest file in bytes)
    "sample": (gen.SAMPLE_CUSTOMERS, 1, 5_000_000),
    "corporation": (gen.CORPORATION_CUSTOMERS, gen.CORPORATION_COMPANIES, 1_500_000),
}


@pytest.mark.parametrize("folder", SAMPLES)
def test_committed_sample_equals_a_fresh_generation(tmp_path, folder):
    customers, companies, largest = SAMPLES[folder]
    sample = config.SAMPLE_DIR / folder
    assert sample in (gen.SAMPLE_DIR, gen.CORPORATION_DIR)
    assert sorted(p.name for p in sample.iterdir()) == sorted(f"{t}.csv" for t in contract.TABLES)
    gen.generate(tmp_path, customers=customers, seed=gen.DEFAULT_SEED, fmt="csv", companies=companies)
    flag = "" if companies == 1 else f" --companies {companies}"
    for name in contract.TABLES:
        committed = (sample / f"{name}.csv").read_bytes()
        assert len(committed) < largest, name
        assert committed == (tmp_path / f"{name}.csv").read_bytes(), (
            f"{name}.csv differs: regenerate with `python -m dashboard generate --out sample_data/{folder} "
            f"--customers {customers}{flag} --format csv`")


@pytest.mark.parametrize("folder", SAMPLES)
def test_committed_sample_has_no_personal_data(folder):
    _check_no_personal_data(_connect(config.SAMPLE_DIR / folder, "csv"))


def test_corporation_sample_has_customers_in_every_branch_of_three_companies():
    con = _connect(gen.CORPORATION_DIR, "csv")
    assert [r[0] for r in con.execute("SELECT company_code FROM companies ORDER BY 1").fetchall()] == ["PC01", "PC02", "PC08"]
    empty = con.execute("SELECT branch_code FROM branches WHERE branch_code NOT IN "
                        "(SELECT branch_code FROM customers)").fetchall()
    assert empty == []


# ------------------------------------------------------------------ default size: calibration and believability


def test_calibration_at_the_default_size(full):
    folder, _, _ = full
    con = duckdb.connect()
    active, phone, email, app, zalo = _one(con, f"""
        SELECT count(*),
               count(*) FILTER (phone_registered_on <= DATE '2020-08-31'),
               count(*) FILTER (email_registered_on <= DATE '2020-08-31'),
               count(*) FILTER (app_registered_on <= DATE '2020-08-31'),
               count(*) FILTER (zalo_registered_on <= DATE '2020-08-31')
        FROM read_parquet('{folder / "customers.parquet"}')
        WHERE connected_on <= DATE '2020-08-31'
          AND (disconnected_on IS NULL OR disconnected_on > DATE '2020-08-31')""")
    assert round(100 * phone / active, 2) == 97.56
    assert round(100 * email / active, 2) == 24.18
    assert app == 13_766
    assert zalo == 1_196


def test_calibration_figures_in_company_month_after_the_build(full, tmp_path):
    """Done-when of the foundation: generate, then build, and company_month at 2020-08 shows the report."""
    from dashboard import warehouse
    from dashboard.build import build

    folder, _, _ = full
    con = warehouse.connect(build(folder, tmp_path / "data").path)
    phone, email, app, zalo = _one(con, """select phone_coverage, email_coverage, app_customers, zalo_customers
                                           from company_month where period = date '2020-08-01'""")
    con.close()
    assert (round(100 * phone, 2), round(100 * email, 2), app, zalo) == (97.56, 24.18, 13_766, 1_196)


def test_default_size_volume(full):
    _, _, rows = full
    assert 13_000_000 <= rows["bills"] <= 15_000_000
    assert abs(rows["payments"] - rows["bills"]) < 0.03 * rows["bills"]
    assert rows["customers"] == 290_000
    assert 20_000 <= rows["service_requests"] <= 100_000
    # speed is measured by bench/bench_build.py, never asserted here


def test_believable_dynamics_at_the_default_size(full):
    folder, _, _ = full
    con = _connect(folder)
    con.execute("""CREATE TEMP TABLE per AS SELECT period, count(*) n,
        avg((read_method = 'estimated')::INT) est, avg((read_method = 'remote')::INT) remote
        FROM bills GROUP BY period""")
    est = dict(con.execute("SELECT strftime(period, '%Y-%m'), est FROM per").fetchall())
    assert est["2020-04"] > est["2020-02"] and est["2021-08"] > est["2021-06"]
    assert 0.05 <= est["2020-04"] <= 0.10 and 0.05 <= est["2021-08"] <= 0.10
    normal = [v for k, v in est.items() if k not in ("2020-04", "2020-08", "2021-07", "2021-08", "2021-09")]
    assert all(0.005 <= v <= 0.035 for v in normal)

    def share_at(day: str, column: str, where: str = "TRUE") -> float:
        return _one(con, f"""SELECT avg(({column} <= DATE '{day}')::INT)
            FROM (SELECT coalesce({column}, DATE '9999-12-31') AS {column}, * EXCLUDE ({column}) FROM customers)
            WHERE connected_on <= DATE '{day}' AND coalesce(disconnected_on, DATE '9999-12-31') > DATE '{day}'
              AND {where}""")[0]

    assert 0.70 <= share_at("2020-06-30", "remote_meter_since") <= 0.90
    assert 0.95 <= share_at("2022-12-31", "remote_meter_since") < 1.0
    assert 0.20 <= share_at("2022-12-31", "app_registered_on") <= 0.30
    assert 0.02 <= share_at("2022-12-31", "zalo_registered_on") <= 0.05
    assert 0.17 <= share_at("2019-06-30", "email_registered_on") <= 0.23
    assert 0.30 <= share_at("2022-12-31", "email_registered_on") <= 0.35
    assert 0.95 <= share_at("2019-01-31", "phone_registered_on") <= share_at("2022-12-31", "phone_registered_on") <= 0.99
    mountain = ", ".join(f"'{b}'" for b in MOUNTAIN)
    assert share_at("2022-12-31", "app_registered_on", f"branch_code IN ({mountain})") < \
        share_at("2022-12-31", "app_registered_on", f"branch_code NOT IN ({mountain})")
    active = [_one(con, f"SELECT count(*) FROM customers WHERE connected_on <= DATE '{y}-12-31' "
                        f"AND coalesce(disconnected_on, DATE '9999-12-31') > DATE '{y}-12-31'")[0] for y in range(2018, 2023)]
    growth = [b / a - 1 for a, b in zip(active, active[1:])]
    assert all(0.012 <= g <= 0.025 for g in growth), growth
    assert 280_000 <= active[-1] <= 300_000

    median_kwh = _one(con, "SELECT median(kwh) FROM bills JOIN customers USING (customer_id) "
                           "WHERE customer_type = 'household' AND year(period) = 2019")[0]
    assert 125 <= median_kwh <= 160

    con.execute("""CREATE TEMP TABLE paying AS SELECT year(paid_on) y, c.branch_code, p.customer_id,
        date_trunc('month', paid_on) m, bool_or(is_online) online, sum(amount_vnd) amt,
        sum(amount_vnd) FILTER (is_online) amt_online
        FROM payments p JOIN channels USING (channel_code) JOIN customers c USING (customer_id)
        WHERE month(paid_on) IN (3, 6, 11)  -- three months a year keep this quick
        GROUP BY ALL""")
    by_year = {y: (cust, amt) for y, cust, amt in con.execute(
        "SELECT y, avg(online::INT), sum(amt_online) / sum(amt) FROM paying GROUP BY y").fetchall()}
    assert by_year[2019][0] < by_year[2020][0] < by_year[2021][0] < by_year[2022][0]
    assert 0.45 <= by_year[2020][0] <= 0.60 and 0.60 <= by_year[2021][0] <= 0.75 and 0.75 <= by_year[2022][0] <= 0.85
    assert 0.80 <= by_year[2020][1] <= 0.95 and all(amt > cust for cust, amt in by_year.values())
    lagging = _one(con, f"SELECT avg(online::INT) FILTER (branch_code IN ({mountain})) < "
                        f"avg(online::INT) FILTER (branch_code NOT IN ({mountain})) FROM paying WHERE y = 2022")[0]
    assert lagging

    requests = dict(con.execute("""SELECT year(submitted_on), avg(is_online::INT) FROM service_requests
        JOIN channels USING (channel_code) GROUP BY ALL""").fetchall())
    assert 0.15 <= requests[2019] <= 0.35 and 0.75 <= requests[2022] <= 0.90
    median_days, cancelled = _one(con, """SELECT median(completed_on - submitted_on),
        avg((status = 'cancelled')::INT) FROM service_requests""")
    assert 2 <= median_days <= 7 and 0.01 <= cancelled <= 0.03
    postponed_in_lockdown = _one(con, """SELECT count(*) FROM service_requests
        WHERE postponed_on BETWEEN DATE '2021-07-19' AND DATE '2021-09-30'""")[0]
    assert postponed_in_lockdown > 200


# ------------------------------------------------------------------ several companies (--companies N)

CORP = 300  # PC08's customers in the small corporation runs (PC01 274, PC02 197)
NOTE_RE = re.compile(r"customers ~([\d,]+) .*pace (\d+\.\d+)")


@pytest.fixture(scope="module")
def corp(tmp_path_factory) -> tuple[Path, Path, list[tuple[float, str]]]:
    """Three companies (PC01, PC02, PC08) and PC08 alone, same seed and size, in CSV; the progress of the first."""
    three, one = tmp_path_factory.mktemp("three"), tmp_path_factory.mktemp("one")
    calls: list[tuple[float, str]] = []
    gen.generate(three, customers=CORP, seed=5, fmt="csv", companies=3, progress=lambda f, m: calls.append((f, m)))
    gen.generate(one, customers=CORP, seed=5, fmt="csv")
    return three, one, calls


def test_companies_generated_are_pc08_and_the_first_others_in_code_order():
    assert gen.company_codes(1) == ["PC08"]
    assert gen.company_codes(3) == ["PC01", "PC02", "PC08"]
    assert gen.company_codes(9) == [f"PC{i:02d}" for i in range(1, 10)]
    assert gen.company_codes(13) == sorted(gen.COMPANIES) == [f"PC{i:02d}" for i in range(1, 14)]
    sizes = gen.company_sizes(gen.DEFAULT_CUSTOMERS, 13)
    assert sizes["PC08"] == 290_000 and 4_000_000 <= sum(sizes.values()) <= 4_200_000  # EVNCPC: ~4.1 M (DOMAIN.md)
    assert gen.company_sizes(1_000, 3) == {"PC01": 914, "PC02": 655, "PC08": 1_000}
    assert min(gen.company_sizes(50, 13).values()) == gen.MIN_COMPANY_CUSTOMERS


def test_companies_csv_notes_agree_with_the_generator():
    """The estimated customers and pace in companies.csv's notes are the generator's COMPANIES."""
    con = duckdb.connect()
    rows = con.execute(f"SELECT company_code, notes FROM read_csv('{gen.REFERENCE_DIR / 'companies.csv'}', "
                       "header = true, all_varchar = true) ORDER BY 1").fetchall()
    assert [code for code, _ in rows] == sorted(gen.COMPANIES)
    for code, notes in rows:
        match = NOTE_RE.search(notes)
        assert match, (code, notes)
        assert (int(match[1].replace(",", "")), float(match[2])) == gen.COMPANIES[code], (
            f"companies.csv, {code}: the notes say {match[0]!r}, generate.COMPANIES says {gen.COMPANIES[code]}")
    assert gen.COMPANIES["PC08"] == (gen.DEFAULT_CUSTOMERS, 1.0)


@pytest.mark.parametrize("code", sorted(gen.COMPANIES))
def test_each_company_has_plausible_branches(code):
    co = gen.company(code)
    assert 5 <= len(co.codes) <= 12 and len(set(co.codes)) == len(co.codes)
    assert co.codes == [f"{code}{c}{c}" for c in "ABCDEFGHIJKL"[:len(co.codes)]]
    assert abs(co.share.sum() - 1) < 1e-12 and (co.share > 0).all()
    # every branch gets customers even at the smallest company size
    assert (gen._apportion(co.share, gen.MIN_COMPANY_CUSTOMERS) >= 1).all()
    assert ((co.kwh > 0.4) & (co.kwh < 1.6)).all() and ((co.digital > 0.3) & (co.digital < 1.6)).all()
    assert co.urban[0] and not (co.urban & co.mountain).any()  # the provincial capital first
    if co.mountain.any():  # mountain branches trail on digital services and use less electricity
        assert co.digital[co.mountain].max() < co.digital[~co.mountain].min()
        assert co.kwh[co.mountain].max() < co.kwh[~co.mountain].min()
    assert 0.7 <= co.pace <= 1.4
    if code == "PC08":
        assert co.codes == gen.BRANCH_CODES and co.share is gen.BRANCH_SHARE and co.pace == 1.0
    else:
        rows = gen.branch_rows(code)
        assert [b for b, _, _ in rows] == co.codes
        assert all(name == "Điện lực " + district.split(" ", 1)[1] for _, name, district in rows)
        assert all(district.startswith(gen.DISTRICT_KINDS) for _, _, district in rows)
        assert len({district for _, _, district in rows}) == len(rows)


@pytest.mark.parametrize("code", sorted(gen.COMPANIES))
def test_paced_shares_stay_between_0_and_1(code):
    pace = gen.COMPANIES[code][1]
    targets = gen._calibration_targets(10_000, 10_000, pace)
    assert all(0 <= v <= 10_000 for v in targets.values())
    curves = gen._curves(targets["app"] / 10_000, targets["zalo"] / 10_000, pace)  # rising, or Curve refuses
    assert all(((c.values >= 0) & (c.values <= 1)).all() for c in curves.values())
    assert curves["remote"].values.tolist() == gen._curves(0.05, 0.004)["remote"].values.tolist()


def test_corporation_reference_tables(corp):
    three, _, _ = corp
    con = _connect(three, "csv")
    reference = {name: [tuple(r.values()) for r in gen._reference(name).to_pylist()] for name in ("companies", "branches")}
    assert con.execute("SELECT * FROM companies ORDER BY 1").fetchall() == [
        r for r in reference["companies"] if r[0] in ("PC01", "PC02", "PC08")]
    per_company = dict(con.execute("SELECT company_code, list(branch_code ORDER BY branch_code) FROM branches "
                                   "GROUP BY ALL").fetchall())
    assert per_company == {code: gen.company(code).codes for code in ("PC01", "PC02", "PC08")}
    assert con.execute("SELECT * FROM branches WHERE company_code = 'PC08' ORDER BY 1").fetchall() == reference["branches"]
    assert _one(con, "SELECT branch_name, district FROM branches WHERE branch_code = 'PC01AA'") == (
        "Điện lực Đồng Hới", "TP Đồng Hới")
    # targets and annotations as kept: company-wide rows for every company, branch rows PC08's
    for name in ("targets", "annotations", "channels"):
        assert (three / f"{name}.csv").read_bytes() == (corp[1] / f"{name}.csv").read_bytes(), name


def test_corporation_keys_references_and_ids_unique_across_companies(corp):
    three, _, _ = corp
    con = _connect(three, "csv")
    for name, table in contract.TABLES.items():
        if table.key:
            n, distinct = _one(con, f"SELECT count(*), count(DISTINCT {table.key}) FROM {name}")
            assert n == distinct and n > 0, name
        assert_references(con, name, table)
    assert _one(con, "SELECT count(*) FROM payments p JOIN bills b USING (bill_id) "
                     "WHERE p.customer_id <> b.customer_id")[0] == 0
    # each company's ids in its own range: PC08's as always, PCxx's from xx * 10^10 on
    for table, key, base in (("bills", "bill_id", gen.BILL_ID_BASE), ("payments", "payment_id", gen.PAYMENT_ID_BASE),
                             ("service_requests", "request_id", gen.REQUEST_ID_BASE)):
        ranges = con.execute(f"SELECT left(customer_id, 4) company, min({key}), max({key}) FROM {table} "
                             "WHERE customer_id IS NOT NULL GROUP BY ALL ORDER BY 1").fetchall()
        for company, low, high in ranges:
            offset = 0 if company == "PC08" else int(company[2:]) * gen.ID_COMPANY_STRIDE
            assert offset + base < low <= high < offset + gen.ID_COMPANY_STRIDE, (table, company)


def test_corporation_customer_ids_match_their_branch_and_company(corp):
    three, _, _ = corp
    con = _connect(three, "csv")
    assert _one(con, "SELECT count(*) FROM customers c JOIN branches b USING (branch_code) "
                     "WHERE NOT regexp_full_match(customer_id, 'PC\\d{2}[A-Z]{2}\\d{7}') "
                     "OR left(customer_id, 6) <> c.branch_code OR left(customer_id, 4) <> b.company_code")[0] == 0
    assert _one(con, "SELECT count(*) FROM service_requests WHERE left(customer_id, 6) <> branch_code")[0] == 0
    counts = dict(con.execute("SELECT left(branch_code, 4), count(*) FROM customers GROUP BY 1").fetchall())
    assert counts == {"PC01": 274, "PC02": 197, "PC08": CORP}
    assert _one(con, "SELECT count(*) FROM branches WHERE branch_code NOT IN (SELECT branch_code FROM customers)")[0] == 0


def test_pc08_rows_are_those_of_a_single_company_run(corp):
    """PC08 keeps its streams and ids: its rows in a corporation are byte for byte a single-company run's."""
    three, one, _ = corp
    columns = {"customers": 0, "bills": 1, "payments": 2, "service_requests": 1}  # customer or branch code
    for name, col in columns.items():
        alone = (one / f"{name}.csv").read_text(encoding="utf-8").splitlines()[1:]
        within = [line for line in (three / f"{name}.csv").read_text(encoding="utf-8").splitlines()[1:]
                  if line.split(",")[col].startswith("PC08")]
        assert within == alone, name


def test_other_companies_are_calibrated_to_targets_scaled_by_their_pace(corp):
    three, _, _ = corp
    con = _connect(three, "csv")
    rows = con.execute("""SELECT left(branch_code, 4), count(*),
        count(*) FILTER (phone_registered_on <= DATE '2020-08-31'), count(*) FILTER (email_registered_on <= DATE '2020-08-31'),
        count(*) FILTER (app_registered_on <= DATE '2020-08-31'), count(*) FILTER (zalo_registered_on <= DATE '2020-08-31')
        FROM customers WHERE connected_on <= DATE '2020-08-31'
          AND coalesce(disconnected_on, DATE '9999-12-31') > DATE '2020-08-31' GROUP BY 1 ORDER BY 1""").fetchall()
    sizes = gen.company_sizes(CORP, 3)
    for code, active, phone, email, app, zalo in rows:
        want = gen._calibration_targets(active, sizes[code], gen.COMPANIES[code][1])
        assert (phone, email, app, zalo) == (want["phone"], want["email"], want["app"], want["zalo"]), code
    email = {code: e / a for code, a, _, e, _, _ in rows}
    assert email["PC02"] < email["PC01"] < email["PC08"]  # paces 0.90, 0.95, 1.00


def test_corporation_progress_names_each_company(corp):
    _, _, calls = corp
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    for i, code in enumerate(["PC01", "PC02", "PC08"], start=1):
        assert any(m.startswith(f"{code} ({i}/3): customers") for _, m in calls), code


def test_companies_in_several_blocks(tmp_path, monkeypatch):
    """Every company goes through the same blocks: here blocks of 200 stand in for 300,000."""
    monkeypatch.setattr(gen, "BLOCK_CUSTOMERS", 200)
    calls = []
    rows = gen.generate(tmp_path, customers=CORP, seed=5, companies=2, progress=lambda f, m: calls.append((f, m)))
    assert rows["customers"] == CORP + 274
    assert any(m.startswith("PC01 (1/2), block 2/2: customers") for _, m in calls)
    assert [f for f, _ in calls] == sorted(f for f, _ in calls)
    con = _connect(tmp_path)
    for name, table in contract.TABLES.items():
        if table.key:
            assert _one(con, f"SELECT count(*) = count(DISTINCT {table.key}) FROM {name}")[0], name
    # bill ids rise with (period, read_on) within each company, over its blocks
    assert _one(con, """SELECT count(*) FROM (SELECT period, read_on, lag(read_on) OVER w prev_read,
        lag(period) OVER w prev_period FROM bills WINDOW w AS (PARTITION BY left(customer_id, 4) ORDER BY bill_id))
        WHERE period < prev_period OR (period = prev_period AND read_on < prev_read)""")[0] == 0
    app = dict(con.execute("""SELECT left(branch_code, 4), count(*) FILTER (app_registered_on <= DATE '2020-08-31')
        FROM customers GROUP BY 1""").fetchall())
    assert app["PC01"] == round(13_766 * 274 / 290_000 * 0.95) and app["PC08"] == round(13_766 * CORP / 290_000)


def test_company_streams_never_meet_pc08s():
    """Company xx draws from spawn keys (xx, 0, block, i) and (xx, 1, 0); PC08 from one word, or two under a block."""
    def keys(co, n_blocks):
        return {tuple(g.bit_generator.seed_seq.spawn_key) for b in range(n_blocks)
                for g in gen._block_streams(8, b, n_blocks, co)} | {tuple(gen._shared_stream(8, co).bit_generator.seed_seq.spawn_key)}
    pc08 = keys(gen.company("PC08"), 1) | keys(gen.company("PC08"), 40)
    others = [keys(gen.company(code), 40) for code in gen.COMPANIES if code != "PC08"]
    assert all(not (pc08 & k) for k in others)
    assert len(set().union(*others)) == sum(len(k) for k in others)
    assert gen._block_streams(8, 0, 1)[0].random() == gen._block_streams(8, 0, 1, gen.company("PC08"))[0].random()


@pytest.mark.parametrize("value", ["0", "14", "-1", "abc"])
def test_bad_company_counts_are_refused(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["generate", "--companies", value, "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --companies: {value!r} is not a number of companies" in err and "from 1 to 13" in err
    assert not (tmp_path / "x").exists()
    with pytest.raises(ValueError, match="from 1 to 13"):
        gen.generate(tmp_path / "y", customers=200, companies=int(value) if value != "abc" else value)
    assert not (tmp_path / "y").exists()
