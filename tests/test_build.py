"""The build: bad exports refused clearly with nothing published changed; atomic publish; marts on a hand-made case."""
from __future__ import annotations

import copy
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dashboard import warehouse
from dashboard.build import ModelError, build
from dashboard.exports import ExportError
from tests.kit import C1, trueup_case, write_exports

REPO = Path(__file__).resolve().parent.parent


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture()
def published(tmp_path):
    """A data dir with a good version published; returns (data_dir, pointer text, warehouse digest)."""
    data = tmp_path / "data"
    result = build(write_exports(tmp_path / "good", trueup_case()), data)
    return data, (data / "CURRENT").read_text(), digest(result.path)


def assert_untouched(published_state):
    data, pointer, wh_digest = published_state
    assert (data / "CURRENT").read_text() == pointer
    pub = warehouse.current(data)
    assert digest(pub.path) == wh_digest
    assert not list((data / "warehouse").glob("*.building-*"))


# ---------------------------------------------------------------- bad exports


def mutate(table, fn):
    def apply(tables):
        fn(tables[table])
        return tables
    return apply


def set_value(table, index, column, value):
    return mutate(table, lambda rows: rows[index].__setitem__(column, value))


def drop_column(table, column):
    def apply(tables):
        tables["_drop"] = {table: [column]}
        return tables
    return apply


BAD_TABLES = [
    # (id, change to the tables, file named, fragment of the message)
    ("wrong type", set_value("bills", 1, "kwh", "abc"), "bills.csv", "row 2 (line 3), column kwh: 'abc' is not a number"),
    ("bad date", set_value("customers", 0, "connected_on", "31/02/2020"), "customers.csv",
     "column connected_on: '31/02/2020' is not a date"),
    ("us date", set_value("customers", 0, "connected_on", "2020/13/01"), "customers.csv", "is not a date"),
    ("duplicate id", set_value("bills", 2, "bill_id", 2), "bills.csv", "duplicate bill_id 2 at row 2 (line 3) and row 3"),
    ("unknown branch", set_value("customers", 1, "branch_code", "PC08ZZ"), "customers.csv",
     "row 2 (line 3), column branch_code: 'PC08ZZ' is not a known branch_code"),
    ("unknown customer", set_value("bills", 0, "customer_id", "PC08AA9999999"), "bills.csv",
     "'PC08AA9999999' is not a known customer_id"),
    ("negative kwh", set_value("bills", 0, "kwh", -5), "bills.csv", "column kwh: -5.0 is negative"),
    ("negative amount", set_value("payments", 0, "amount_vnd", -1), "payments.csv", "column amount_vnd: -1 is negative"),
    ("period not first", set_value("bills", 0, "period", "2020-01-15"), "bills.csv",
     "column period: '2020-01-15' is not the first day of a month"),
    ("payment for unknown bill", set_value("payments", 0, "bill_id", 999), "payments.csv",
     "column bill_id: 999 is not a known bill_id"),
    ("payment for a gap in sparse bill ids", lambda t: (t["bills"][7].__setitem__("bill_id", 20),
                                                         t["payments"][0].__setitem__("bill_id", 8), t)[2],
     "payments.csv", "column bill_id: 8 is not a known bill_id"),
    ("payment channel of request kind", set_value("payments", 0, "channel_code", "req_portal"), "payments.csv",
     "'req_portal' is not a known channel_code"),
    ("unknown read method", set_value("bills", 0, "read_method", "guess"), "bills.csv",
     "'guess' is not one of remote, manual, estimated"),
    ("required value empty", set_value("bills", 0, "read_on", ""), "bills.csv", "column read_on: is empty"),
    ("phone in a known column", set_value("branches", 0, "district", "0905 123 456"), "branches.csv",
     "column district looks like personal data"),
    ("email in a known column", set_value("channels", 0, "name_en", "cskh@pcphuyen.vn"), "channels.csv",
     "column name_en looks like personal data"),
    ("phone in an unknown column", mutate("customers", lambda rows: [r.__setitem__("mobile", "+84905123456") for r in rows]),
     "customers.csv", "column mobile looks like personal data"),
    ("email in an unknown column", mutate("customers", lambda rows: [r.__setitem__("contact", "an@gmail.com") for r in rows]),
     "customers.csv", "column contact looks like personal data"),
    ("unknown column", mutate("bills", lambda rows: [r.__setitem__("note", "x") for r in rows]), "bills.csv",
     "unknown column(s) note"),
    ("missing column", drop_column("bills", "kwh"), "bills.csv", "missing column(s) kwh"),
    ("target for unknown kpi", set_value("targets", 0, "kpi", "happiness"), "targets.csv",
     "'happiness' is not a KPI in queries/models/kpis.sql"),
    ("bad customer code", set_value("customers", 0, "customer_id", "X1"), "customers.csv", "is not a customer code"),
    ("completed before submitted", set_value("service_requests", 0, "completed_on", "2019-01-01"),
     "service_requests.csv", "column completed_on: '2019-01-01' is before submitted_on"),
    ("decimal comma in a comma file", set_value("bills", 0, "kwh", "2,5"), "bills.csv",
     "'2,5' is not a number with a decimal point"),
]


def write_bad(tmp_path, change):
    tables = change(copy.deepcopy(trueup_case()))
    return write_exports(tmp_path / "bad", tables, drop=tables.pop("_drop", None))


@pytest.mark.parametrize("case,change,file,fragment", BAD_TABLES, ids=[c[0] for c in BAD_TABLES])
def test_bad_export_is_refused_and_nothing_changes(tmp_path, published, case, change, file, fragment):
    folder = write_bad(tmp_path, change)
    with pytest.raises(ExportError) as info:
        build(folder, published[0])
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith(file) and fragment in m for m in messages), messages
    assert_untouched(published)


def raw_file_case(name):
    """Cases that break the file itself rather than a value."""
    def apply(folder: Path):
        if name == "not utf-8":
            (folder / "branches.csv").write_bytes("branch_code,branch_name,district\nPC08AA,Tuy Hòa,x\n"
                                                  .encode("latin-1"))
        elif name == "utf-16":
            (folder / "branches.csv").write_bytes("branch_code,branch_name,district\nPC08AA,a,b\n".encode("utf-16"))
        elif name == "empty file":
            (folder / "bills.csv").write_bytes(b"")
        elif name == "header only":
            text = (folder / "bills.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"
            (folder / "bills.csv").write_text(text, encoding="utf-8")
        elif name == "truncated":
            data = (folder / "bills.csv").read_bytes()
            (folder / "bills.csv").write_bytes(data[: len(data) - 25])
        elif name == "missing file":
            (folder / "payments.csv").unlink()
        elif name == "both csv and parquet":
            duckdb.sql(f"copy (select * from read_csv('{folder / 'payments.csv'}')) to '{folder / 'payments.parquet'}'")
        elif name == "truncated parquet":
            duckdb.sql(f"copy (select * from read_csv('{folder / 'bills.csv'}')) to '{folder / 'bills.parquet'}'")
            (folder / "bills.csv").unlink()
            data = (folder / "bills.parquet").read_bytes()
            (folder / "bills.parquet").write_bytes(data[: len(data) // 2])
        elif name == "repeated header column":
            lines = (folder / "branches.csv").read_text(encoding="utf-8").splitlines()
            lines[0] = "branch_code,branch_name,branch_name"
            (folder / "branches.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return apply


BAD_FILES = [
    ("not utf-8", "branches.csv", "line 2 is not UTF-8"),
    ("utf-16", "branches.csv", "is UTF-16, not UTF-8"),
    ("empty file", "bills.csv", "is empty (0 bytes)"),
    ("header only", "bills.csv", "has a header but no data rows"),
    ("truncated", "bills.csv", "the file looks truncated"),
    ("missing file", "payments.csv", "missing file: expected payments.csv or payments.parquet"),
    ("both csv and parquet", "payments.*", "both payments.csv and payments.parquet"),
    ("truncated parquet", "bills.parquet", "cannot be read as Parquet"),
    ("repeated header column", "branches.csv", "same column name twice"),
]


@pytest.mark.parametrize("case,file,fragment", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_broken_file_is_refused_and_nothing_changes(tmp_path, published, case, file, fragment):
    folder = write_exports(tmp_path / "bad", trueup_case())
    raw_file_case(case)(folder)
    with pytest.raises(ExportError) as info:
        build(folder, published[0])
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith(file) and fragment in m for m in messages), messages
    assert_untouched(published)


def test_cli_lists_problems_and_exits_nonzero(tmp_path, published):
    folder = write_bad(tmp_path, set_value("bills", 0, "kwh", -5))
    proc = subprocess.run([sys.executable, "-m", "dashboard", "build", "--source", str(folder),
                           "--data-dir", str(published[0])], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 1
    assert "published data is unchanged" in proc.stderr
    assert "bills.csv row 1 (line 2), column kwh: -5.0 is negative" in proc.stderr
    assert_untouched(published)


# ---------------------------------------------------------------- office-tool exports


def vietnamese_office_export(folder: Path) -> Path:
    """The same tables as an export saved by a Vietnamese office tool: BOM, ';', dd/mm/yyyy, decimal commas."""
    tables = copy.deepcopy(trueup_case())
    for rows in tables.values():
        for row in rows:
            for key, value in list(row.items()):
                if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
                    row[key] = f"{value[8:]}/{value[5:7]}/{value[:4]}"
                elif isinstance(value, float):
                    row[key] = str(value).replace(".", ",")
    tables["bills"][1]["kwh"] = "120,0"
    tables["payments"][0]["amount_vnd"] = "200.000"
    write_exports(folder, tables, delim=";")
    for path in folder.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return folder


def test_vietnamese_office_export_loads_the_same(tmp_path):
    plain = build(write_exports(tmp_path / "iso", trueup_case()), tmp_path / "d1")
    office = build(vietnamese_office_export(tmp_path / "vn"), tmp_path / "d2")
    for table in ("bills", "payments", "customers", "targets", "branch_month", "company_month"):
        a = duckdb.connect(str(plain.path), read_only=True).sql(f"select * from {table} order by all").fetchall()
        b = duckdb.connect(str(office.path), read_only=True).sql(f"select * from {table} order by all").fetchall()
        assert a == b, table


def test_ambiguous_number_in_comma_file_is_refused(tmp_path, published):
    folder = write_bad(tmp_path, set_value("payments", 0, "amount_vnd", "200.000"))
    with pytest.raises(ExportError) as info:
        build(folder, published[0])
    assert "payments.csv row 1 (line 2), column amount_vnd: '200.000' is not a whole number" in str(info.value)
    assert_untouched(published)


# ---------------------------------------------------------------- publishing


def test_reader_holding_old_version_is_not_blocked_or_broken(tmp_path):
    data = tmp_path / "data"
    source = write_exports(tmp_path / "src", trueup_case())
    first = build(source, data)
    reader = warehouse.connect(first.path)
    before = reader.execute("select sum(bills) from company_month").fetchall()
    second = build(source, data, keep=1)
    assert warehouse.current(data).version == second.version != first.version
    assert reader.execute("select sum(bills) from company_month").fetchall() == before
    reader.close()
    assert not first.path.exists()  # pruned with keep=1, after the reader was done with it or not


def test_keeps_the_last_versions(tmp_path):
    data = tmp_path / "data"
    source = write_exports(tmp_path / "src", trueup_case())
    versions = [build(source, data, keep=2).version for _ in range(3)]
    assert warehouse.kept_versions(data) == sorted(versions[1:], reverse=True)
    assert warehouse.version_path(versions[0], data) is None
    assert warehouse.current(data).version == versions[2]
    assert (data / "CURRENT").read_text().strip() == f"warehouse/{versions[2]}.duckdb"


def test_failing_model_leaves_published_untouched(tmp_path, published):
    models = tmp_path / "models"
    shutil.copytree(REPO / "queries" / "models", models)
    (models / "branch_month.sql").write_text("-- model: branch_month\nselect no_such_column from stg_measures\n")
    with pytest.raises(ModelError, match="queries/models/branch_month.sql"):
        build(write_exports(tmp_path / "src", trueup_case()), published[0], models_dir=models)
    assert_untouched(published)


def test_killed_build_leaves_published_untouched(tmp_path, published):
    data = published[0]
    # big enough that the build is still running well after it starts loading bills (a few seconds)
    from dashboard.generate import generate
    source = tmp_path / "big"
    generate(source, customers=40_000)
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "build", "--source", str(source), "--data-dir", str(data)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # kill it hard in the middle of loading
        if "loading payments" in line:
            break
    assert list((data / "warehouse").glob("*.building-*")), "the build is writing its own file"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "killed mid-build, not finished"
    _, pointer, wh_digest = published
    assert (data / "CURRENT").read_text() == pointer
    assert digest(warehouse.current(data).path) == wh_digest
    # the next build cleans up the leftover and publishes
    result = build(write_exports(tmp_path / "src2", trueup_case()), data)
    assert warehouse.current(data).version == result.version
    assert not list((data / "warehouse").glob("*.building-*"))


# ---------------------------------------------------------------- marts on a hand-made case


@pytest.fixture(scope="module")
def handmade(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handmade")
    result = build(write_exports(tmp / "src", trueup_case()), tmp / "data")
    con = warehouse.connect(result.path)
    yield con
    con.close()


def row(con, table, where, params):
    cur = con.execute(f"select * from {table} where {where}", params)
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(cols, rows[0]))


def bm(con, branch, period):
    return row(con, "branch_month", "branch_code = $1 and period = $2::date", [branch, period])


def test_trueup_split_in_proportion_to_kwh(handmade):
    # C1: estimates of 120 and 80 kWh closed by a remote read carrying +40 kWh: 24 and 16 kWh.
    feb, mar = bm(handmade, "PC08AA", "2020-02-01"), bm(handmade, "PC08AA", "2020-03-01")
    assert (feb["estimated_bills"], feb["trued_up_estimates"], feb["pending_estimates"]) == (1, 1, 0)
    assert feb["trued_up_kwh"] == 120 and feb["offset_kwh"] == pytest.approx(24)
    assert feb["estimate_abs_error_rate"] == pytest.approx(24 / 120)
    assert mar["offset_kwh"] == pytest.approx(16) and mar["abs_offset_kwh"] == pytest.approx(16)


def test_trueup_split_equally_when_estimates_are_zero_and_pending_counted(handmade):
    # C2: two 0-kWh estimates closed by a manual read carrying -10 kWh: -5 each; error rate has no base.
    jan = bm(handmade, "PC08BB", "2020-01-01")
    assert jan["offset_kwh"] == pytest.approx(-5) and jan["abs_offset_kwh"] == pytest.approx(5)
    assert jan["estimate_abs_error_rate"] is None
    may = bm(handmade, "PC08AA", "2020-05-01")
    assert (may["pending_estimates"], may["trued_up_estimates"]) == (1, 0)


def test_customer_measures_count_at_period_end(handmade):
    assert [bm(handmade, "PC08AA", p)["email_customers"] for p in ("2020-01-01", "2020-02-01")] == [0, 1]
    assert [bm(handmade, "PC08AA", p)["app_customers"] for p in ("2020-02-01", "2020-03-01")] == [0, 1]
    assert bm(handmade, "PC08BB", "2020-01-01")["phone_customers"] == 1  # registered on the last day
    assert bm(handmade, "PC08BB", "2020-04-01")["customers"] == 0  # disconnected on the last day
    assert bm(handmade, "PC08BB", "2020-04-01")["phone_coverage"] is None  # 0 customers: NULL, not 0
    # never registered means never counted
    assert bm(handmade, "PC08BB", "2020-03-01")["email_customers"] == 0
    assert handmade.execute("select max(zalo_customers), max(remote_capable_customers) from branch_month").fetchall() == [(0, 0)]


def test_payment_measures(handmade):
    feb = bm(handmade, "PC08AA", "2020-02-01")
    assert (feb["payments"], feb["online_payments"], feb["paid_vnd"], feb["online_paid_vnd"]) == (2, 1, 240000, 140000)
    assert (feb["paying_customers"], feb["online_paying_customers"]) == (1, 1)
    assert feb["online_payment_share"] == pytest.approx(0.5)
    assert feb["online_customer_share"] == pytest.approx(1.0)
    assert bm(handmade, "PC08BB", "2020-02-01")["online_amount_share"] is None  # paid 0 đ


def test_request_measures(handmade):
    jan = bm(handmade, "PC08AA", "2020-01-01")
    assert (jan["requests"], jan["online_requests"], jan["completed_requests"]) == (2, 1, 1)
    assert jan["median_days_to_complete"] == 4
    assert (jan["open_requests"], jan["postponed_requests"]) == (1, 0)
    feb = bm(handmade, "PC08AA", "2020-02-01")
    assert (feb["open_requests"], feb["postponed_requests"]) == (1, 1)
    assert bm(handmade, "PC08BB", "2020-02-01")["open_requests"] == 0  # cancelled is never open
    company_mar = row(handmade, "company_month", "period = $1::date", ["2020-03-01"])
    assert company_mar["median_days_to_complete"] == 45  # 2020-01-20 -> 2020-03-05


def test_rows_for_every_branch_and_period(handmade):
    assert handmade.execute("select count(*), count(distinct branch_code), count(distinct period) "
                            "from branch_month").fetchall() == [(10, 2, 5)]


def test_branch_target_overrides_company_target(handmade):
    targets = dict(handmade.execute("select coalesce(branch_code, 'company'), target from target_month "
                                    "where kpi = 'remote_read_rate' and period = date '2020-03-01'").fetchall())
    assert targets == {"PC08AA": 0.8, "PC08BB": 0.6, "company": 0.8}


def test_data_version_records_sources(handmade):
    version = row(handmade, "data_version", "true", [])
    assert version["latest_period"].isoformat() == "2020-05-01"
    assert warehouse.VERSION_RE.match(version["version"])
    assert '"bills.csv"' in version["source_files"] and '"sha256"' in version["source_files"]


def test_long_estimate_run_and_same_month_closing(tmp_path):
    """A run longer than the near-month search (found by the far pass) and a run closed within its month."""
    tables = copy.deepcopy(trueup_case())

    def bill(i, period, method, kwh, offset=0, day="05"):
        return {"bill_id": i, "customer_id": C1, "period": period, "read_on": period[:8] + day, "read_method": method,
                "kwh": kwh, "offset_kwh": offset, "amount_vnd": 1000}
    tables["bills"] = [bill(1, "2020-01-01", "manual", 50)] + [
        bill(2 + i, f"2020-0{2 + i}-01", "estimated", kwh) for i, kwh in enumerate([10, 20, 30, 40])] + [
        bill(6, "2020-06-01", "remote", 60, 100),
        bill(7, "2020-07-01", "estimated", 25, day="03"), bill(8, "2020-07-01", "manual", 30, -6, day="20")]
    tables["payments"] = tables["payments"][:1]
    con = warehouse.connect(build(write_exports(tmp_path / "src", tables), tmp_path / "data").path)
    shares = dict(con.execute("select bill_id, offset_kwh from estimate_trueups order by 1").fetchall())
    assert shares == pytest.approx({2: 10.0, 3: 20.0, 4: 30.0, 5: 40.0, 7: -6.0})
    closers = dict(con.execute("select bill_id, closed_by_bill_id from estimate_trueups").fetchall())
    assert closers == {2: 6, 3: 6, 4: 6, 5: 6, 7: 8}
    con.close()


# ---------------------------------------------------------------- models read from DuckDB's parse


def models_with(tmp_path, **files: str) -> Path:
    """A copy of the repository's models plus the given extra model files (name -> SQL with its header)."""
    models = tmp_path / "models"
    shutil.copytree(REPO / "queries" / "models", models)
    for name, text in files.items():
        (models / f"{name}.sql").write_text(text, encoding="utf-8")
    return models


def header(name: str, materialized: str = "table", extra: str = "") -> str:
    return f"-- model: {name}\n-- materialized: {materialized}\n-- grain: one row per test\n{extra}"


def test_a_dash_dash_inside_a_string_does_not_hide_a_dependency(tmp_path):
    # a_notes sorts before z_base and reads it after a '--' in a string: the old word search lost z_base
    models = models_with(tmp_path,
                         a_notes=header("a_notes") + "select '--' as marker, n from z_base\n",
                         z_base=header("z_base") + "select 1 as n\n")
    result = build(write_exports(tmp_path / "src", trueup_case()), tmp_path / "data", models_dir=models)
    con = warehouse.connect(result.path)
    assert con.execute("select marker, n from a_notes").fetchall() == [("--", 1)]
    con.close()


def test_a_model_name_inside_a_string_is_not_a_dependency(tmp_path):
    # z_label only mentions a_reader in a string: the old word search saw a cycle a_reader <-> z_label
    models = models_with(tmp_path,
                         a_reader=header("a_reader") + "select label from z_label\n",
                         z_label=header("z_label") + "select 'made for a_reader' as label\n")
    result = build(write_exports(tmp_path / "src", trueup_case()), tmp_path / "data", models_dir=models)
    con = warehouse.connect(result.path)
    assert con.execute("select label from a_reader").fetchall() == [("made for a_reader",)]
    con.close()


def test_a_real_cycle_names_the_models(tmp_path, published):
    models = models_with(tmp_path,
                         cyc_a=header("cyc_a") + "select * from cyc_b\n",
                         cyc_b=header("cyc_b") + "select * from cyc_a\n")
    with pytest.raises(ModelError, match="cycle.*cyc_a -> cyc_b -> cyc_a|cycle.*cyc_b -> cyc_a -> cyc_b"):
        build(write_exports(tmp_path / "src", trueup_case()), published[0], models_dir=models)
    assert_untouched(published)


# ---------------------------------------------------------------- data tests declared in model headers


def test_a_failing_data_test_publishes_nothing_and_names_model_test_and_rows(tmp_path, published):
    models = models_with(tmp_path, share_check=header(
        "share_check", extra="-- unique_key: branch_code, period\n"
                             "-- tests: accepted_range(remote_read_rate, 0, 0.5)\n") +
        "select branch_code, period, remote_read_rate from branch_month\n")
    with pytest.raises(ModelError) as info:
        build(write_exports(tmp_path / "src", trueup_case()), published[0], models_dir=models)
    message = str(info.value)
    assert "queries/models/share_check.sql" in message
    assert "accepted_range(remote_read_rate, 0, 0.5)" in message
    # the hand-made case: PC08AA is read remotely once in five months (April), PC08BB never
    assert "branch_code='PC08AA', period=2020-04-01, remote_read_rate=1.0" in message
    assert_untouched(published)


def test_data_test_failures_show_at_most_five_rows(tmp_path, published):
    models = models_with(tmp_path, all_null=header(
        "all_null", extra="-- tests: not_null(nothing)\n") +
        "select i, null::integer as nothing from range(12) t(i)\n")
    with pytest.raises(ModelError) as info:
        build(write_exports(tmp_path / "src", trueup_case()), published[0], models_dir=models)
    message = str(info.value)
    assert "not_null(nothing)" in message and "12 rows" in message
    assert message.count("nothing=NULL") == 5
    assert_untouched(published)


# ---------------------------------------------------------------- settings checked before anything is written


BAD_SETTINGS = [
    ("DASHBOARD_KEEP_VERSIONS", "abc", "is not a whole number"),
    ("DASHBOARD_KEEP_VERSIONS", "-1", "1 or more"),
    ("DASHBOARD_BUILD_THREADS", "many", "is not a whole number"),
    ("DASHBOARD_BUILD_THREADS", "-2", "0 or more"),
    ("DASHBOARD_BUILD_MEMORY", "lots", "DASHBOARD_BUILD_MEMORY"),
]


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("name,value,fragment", BAD_SETTINGS, ids=[f"{n}={v}" for n, v, _ in BAD_SETTINGS])
def test_a_bad_setting_stops_the_build_before_anything_is_written(tmp_path, published, monkeypatch, name, value,
                                                                  fragment):
    source = write_exports(tmp_path / "src", trueup_case())
    before = listing(published[0])
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name) as info:
        build(source, published[0])
    assert fragment in str(info.value)
    assert listing(published[0]) == before
    assert_untouched(published)


def test_a_bad_keep_argument_is_refused_too(tmp_path, published):
    with pytest.raises(ValueError, match="1 or more"):
        build(write_exports(tmp_path / "src", trueup_case()), published[0], keep=-3)
    assert_untouched(published)


def test_cli_bad_setting_exits_nonzero_with_a_message_and_writes_nothing(tmp_path, published):
    source = write_exports(tmp_path / "src", trueup_case())
    before = listing(published[0])
    env = dict(os.environ, DASHBOARD_KEEP_VERSIONS="abc")
    proc = subprocess.run([sys.executable, "-m", "dashboard", "build", "--source", str(source),
                           "--data-dir", str(published[0])], capture_output=True, text=True, cwd=REPO, env=env)
    assert proc.returncode == 2
    assert "DASHBOARD_KEEP_VERSIONS='abc' is not a whole number" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert listing(published[0]) == before
    assert_untouched(published)
