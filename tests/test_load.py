"""The monthly load (dashboard/load.py): equal to a full build at every step, corrections, gaps, checks and
provisional marks, a killed load, two loads at once, the audit log, Hive-partitioned drops, the CLI."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from dashboard import audit, drops, load, warehouse
from dashboard.build import build
from dashboard.exports import ExportError
from tests.conftest import REPO, SAMPLE


@pytest.fixture(scope="session")
def sample_drops(tmp_path_factory) -> list[Path]:
    """The committed sample cut into a first export (2019-01) and one drop per later month."""
    return drops.split(SAMPLE, tmp_path_factory.mktemp("drops"))


def fresh(tmp_path: Path, sample_drops, upto: int) -> Path:
    """A data directory holding a full build of the sample's first `upto` + 1 steps."""
    data = tmp_path / "data"
    build(drops.snapshot(sample_drops[: upto + 1], tmp_path / "first"), data)
    return data


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict], fields: list[str] | None = None) -> None:
    fields = fields or list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def copy_drop(drop: Path, to: Path) -> Path:
    shutil.copytree(drop, to)
    return to


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- equal to a full build, every month


def test_loading_month_by_month_equals_a_full_build_at_every_step(sample_drops, tmp_path):
    """The issue's proof: 47 loads on the sample; after each, every table equals a full build of the export
    as it stood then (floating-point sums within drops.TOLERANCE, everything else exactly)."""
    data = tmp_path / "data"
    build(sample_drops[0], data)
    history = drops.History()
    history.add(sample_drops[0])
    differences = {}
    for i, drop in enumerate(sample_drops[1:], start=1):
        result = load.load(drop, data)
        assert result.periods == [dt.date.fromisoformat(drop.name + "-01")]
        history.add(drop)
        full = build(history.write(tmp_path / f"export{i}"), tmp_path / f"full{i}")
        found = drops.compare(warehouse.current(data).path, full.path)
        if found:
            differences[drop.name] = found
        shutil.rmtree(tmp_path / f"full{i}")
        shutil.rmtree(tmp_path / f"export{i}")
    assert not differences


def test_compare_sees_a_changed_value(sample_drops, tmp_path):
    """The comparison the proof rests on finds one changed count and one changed share."""
    built = build(sample_drops[0], tmp_path / "a")
    copy = tmp_path / "b.duckdb"
    shutil.copyfile(built.path, copy)
    assert drops.compare(built.path, copy) == []
    con = duckdb.connect(str(copy))
    con.execute("update branch_month set bills = bills + 1 where branch_code = 'PC08AA'")
    con.close()
    found = drops.compare(built.path, copy)
    assert len(found) == 1 and found[0].startswith("branch_month: 1 rows differ")
    con = duckdb.connect(str(copy))
    con.execute("update branch_month set bills = bills - 1, phone_coverage = phone_coverage * (1 + 1e-6) "
                "where branch_code = 'PC08AA'")
    con.close()
    assert drops.compare(built.path, copy)[0].startswith("branch_month: 1 rows differ")


def test_compare_by_checksum_sees_a_changed_raw_value(sample_drops, tmp_path, monkeypatch):
    """Tables above CHECKSUM_ROWS (a corporation's raw facts) are compared by checksums: one changed kWh and
    one swapped pair of values are seen; the same rows in another order are equal."""
    monkeypatch.setattr(drops, "CHECKSUM_ROWS", 0)
    built = build(sample_drops[0], tmp_path / "a")
    copy = tmp_path / "b.duckdb"
    shutil.copyfile(built.path, copy)
    con = duckdb.connect(str(copy))
    con.execute("create or replace table bills as select * from bills order by random()")
    con.close()
    assert drops.compare(built.path, copy) == []
    con = duckdb.connect(str(copy))
    con.execute("update bills set kwh = kwh + 1 where bill_id = (select min(bill_id) from bills)")
    con.close()
    assert drops.compare(built.path, copy)[0].startswith("bills: rows differ (checksums")
    shutil.copyfile(built.path, copy)
    con = duckdb.connect(str(copy))
    ids = con.execute("select min(bill_id), max(bill_id) from bills").fetchall()[0]
    con.execute("update bills set read_on = case bill_id when $1 then (select read_on from bills where bill_id = $2) "
                "else (select read_on from bills where bill_id = $1) end where bill_id in ($1, $2)", list(ids))
    con.close()
    assert any(f.startswith("bills: rows differ") for f in drops.compare(built.path, copy))


def test_a_parquet_snapshot_writes_whole_number_ids_as_integers_and_codes_as_text(sample_drops, tmp_path):
    """The benchmark's full build reads a snapshot: its ids must have the exports' types (text ids take the
    slow path), whole numbers as BIGINT, codes as written."""
    coded = copy_drop(sample_drops[2], tmp_path / "coded")
    rows = read_rows(coded / "service_requests.csv")
    for row in rows:
        row["request_id"] = "YC" + row["request_id"]
    write_rows(coded / "service_requests.csv", rows)
    out = drops.snapshot([*sample_drops[:2], coded], tmp_path / "snap", fmt="parquet")
    con = duckdb.connect()
    kinds = {(t, c): k for t in ("bills", "payments", "service_requests")
             for c, k, *_ in con.execute(f"describe from read_parquet('{out / t}.parquet')").fetchall()}
    assert kinds["bills", "bill_id"] == kinds["payments", "payment_id"] == kinds["payments", "bill_id"] == "BIGINT"
    assert kinds["service_requests", "request_id"] == "VARCHAR"
    assert con.execute(f"select count(*) from read_parquet('{out / 'service_requests'}.parquet') "
                       "where request_id like 'YC%'").fetchall()[0][0] == len(rows)


# ---------------------------------------------------------------- corrections and gaps


def test_a_loaded_period_is_replaced_as_a_whole(sample_drops, tmp_path):
    """A corrected month: some estimates become actual readings. The true-ups of earlier months move; the
    result equals a full build of the corrected export."""
    data = fresh(tmp_path, sample_drops, 5)
    load.load(sample_drops[6], data)
    fixed = copy_drop(sample_drops[5], tmp_path / "fix")
    bills = read_rows(fixed / "bills.csv")
    changed = 0
    for row in bills:
        if row["read_method"] == "estimated" and changed < 5:
            row["read_method"], row["kwh"] = "manual", str(float(row["kwh"]) + 40)
            changed += 1
    assert changed == 5
    dropped = bills.pop()  # and a bill the first export had by mistake goes
    write_rows(fixed / "bills.csv", bills)
    payments = [p for p in read_rows(fixed / "payments.csv") if p["bill_id"] != dropped["bill_id"]]
    write_rows(fixed / "payments.csv", payments, list(read_rows(sample_drops[5] / "payments.csv")[0]))
    result = load.load(fixed, data)
    assert result.replaced == result.periods == [dt.date.fromisoformat(sample_drops[5].name + "-01")]
    assert result.changes["bills"]["replaced"] == len(bills) + 1 and result.changes["bills"]["added"] == len(bills)
    history = drops.History()
    for drop in [*sample_drops[:7], fixed]:
        history.add(drop)
    full = build(history.write(tmp_path / "export"), tmp_path / "full")
    assert drops.compare(warehouse.current(data).path, full.path) == []
    entry = audit.read(data, limit=1)[0]
    assert entry["ok"] and entry["replaced"] == [sample_drops[5].name]


def test_a_new_month_redoes_open_true_ups_from_their_own_bills_and_moved_customers_whole(sample_drops, tmp_path,
                                                                                          monkeypatch):
    """A month that only appends: estimate_trueups (final_when: is_trued_up) is redone for its customers from
    their open estimates' bills and the new month's, not their whole history; customers that moved branch in
    the same drop are redone whole. Both equal a full build."""
    data = fresh(tmp_path, sample_drops, 10)
    con = duckdb.connect(str(warehouse.current(data).path), read_only=True)
    open_ids = [r[0] for r in con.execute("select distinct customer_id from estimate_trueups where not is_trued_up "
                                          "order by 1 limit 3").fetchall()]
    closed_ids = [r[0] for r in con.execute("select customer_id from estimate_trueups group by 1 "
                                            "having bool_and(is_trued_up) order by 1 limit 3").fetchall()]
    movers = con.execute("select * from customers where customer_id in (select unnest($1)) order by 1",
                         [open_ids + closed_ids]).fetchall()
    fields = [d[0] for d in con.description]
    branches = [r[0] for r in con.execute("select branch_code from branches order by 1").fetchall()]
    con.close()
    assert len(open_ids) == 3 and len(closed_ids) == 3
    drop = copy_drop(sample_drops[11], tmp_path / "moves")
    rows = [r for r in read_rows(drop / "customers.csv") if r["customer_id"] not in open_ids + closed_ids]
    for values in movers:
        row = {k: "" if v is None else str(v) for k, v in zip(fields, values)}
        row["branch_code"] = next(b for b in branches if b != row["branch_code"])
        rows.append(row)
    write_rows(drop / "customers.csv", rows, list(read_rows(sample_drops[11] / "customers.csv")[0]))

    calls = []
    original = load.Step._open_facts

    def spy(step, model, fact):
        calls.append((model.name, fact, step.con.execute("select count(*) from load_full").fetchall()[0][0]))
        return original(step, model, fact)

    monkeypatch.setattr(load.Step, "_open_facts", spy)
    load.load(drop, data)
    assert calls == [("estimate_trueups", "bills", len(open_ids) + len(closed_ids))]
    history = drops.History()
    for step in [*sample_drops[:11], drop]:
        history.add(step)
    full = build(history.write(tmp_path / "export"), tmp_path / "full")
    assert drops.compare(warehouse.current(data).path, full.path) == []


def test_the_cli_says_a_period_was_replaced(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 3)
    proc = subprocess.run([sys.executable, "-m", "dashboard", "load", "--source", str(sample_drops[3]),
                           "--data-dir", str(data)], capture_output=True, encoding="utf-8", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert f"period {sample_drops[3].name}  replaced (a correction)" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "dashboard", "load", "--source", str(sample_drops[4]),
                           "--data-dir", str(data)], capture_output=True, encoding="utf-8", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert f"period {sample_drops[4].name}  added" in proc.stdout
    assert "version" in proc.stdout and "[100%] done" in proc.stderr


def test_a_gap_is_refused_naming_the_missing_period(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 1)
    before = (data / "CURRENT").read_text(encoding="utf-8")
    with pytest.raises(load.LoadError) as info:
        load.load(sample_drops[3], data)
    assert f"{sample_drops[2].name[5:]}/{sample_drops[2].name[:4]} is missing" in str(info.value)
    assert (data / "CURRENT").read_text(encoding="utf-8") == before
    proc = subprocess.run([sys.executable, "-m", "dashboard", "load", "--source", str(sample_drops[3]),
                           "--data-dir", str(data)], capture_output=True, encoding="utf-8", cwd=REPO)
    assert proc.returncode == 1 and "is missing" in proc.stderr and "unchanged" in proc.stderr
    failed = audit.read(data, limit=1)[0]
    assert failed["kind"] == "load" and failed["ok"] is False and "is missing" in failed["error"]


def test_nothing_published_is_refused(sample_drops, tmp_path):
    with pytest.raises(load.LoadError, match="nothing is published"):
        load.load(sample_drops[1], tmp_path / "empty")


# ---------------------------------------------------------------- bad drops: the build's messages


def _drop_case(case: str, drop: Path) -> str:
    """Spoil a copy of a drop; returns a fragment of the expected message."""
    if case == "payment_outside":
        rows = read_rows(drop / "payments.csv")
        rows[0]["paid_on"] = "2031-05-04"
        write_rows(drop / "payments.csv", rows)
        return "a period with no bills in this drop"
    if case == "request_outside":
        rows = read_rows(drop / "service_requests.csv")
        rows[0]["submitted_on"] = "2018-01-02"
        write_rows(drop / "service_requests.csv", rows)
        return "a period with no bills in this drop"
    if case == "unknown_customer":
        rows = read_rows(drop / "bills.csv")
        rows[0]["customer_id"] = "PC08AA9999999"
        write_rows(drop / "bills.csv", rows)
        return "'PC08AA9999999' is not a known customer_id in customers.csv or the published customers"
    if case == "id_already_loaded":
        rows = read_rows(drop / "bills.csv")
        old = read_rows(SAMPLE / "bills.csv")[0]
        rows.append({**rows[-1], "bill_id": old["bill_id"]})  # one more bill, with an id loaded before
        write_rows(drop / "bills.csv", rows)
        return f"bill_id {int(old['bill_id'])!r} is already loaded for period {old['period'][5:7]}/{old['period'][:4]}"
    if case == "bad_method":
        rows = read_rows(drop / "bills.csv")
        rows[0]["read_method"] = "guessed"
        write_rows(drop / "bills.csv", rows)
        return "'guessed' is not one of remote, manual, estimated"
    if case == "missing_payments":
        (drop / "payments.csv").unlink()
        return "but not payments"
    if case == "stray_file":
        (drop / "notes.txt").write_text("hello")
        return "notes.txt, which is not an export table"
    if case == "unknown_bill_in_payment":
        rows = read_rows(drop / "payments.csv")
        rows[0]["bill_id"] = "987654321"
        write_rows(drop / "payments.csv", rows)
        return "987654321 is not a known bill_id in bills.csv or the published bills"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["payment_outside", "request_outside", "unknown_customer", "id_already_loaded",
                                  "bad_method", "missing_payments", "stray_file", "unknown_bill_in_payment"])
def test_a_bad_drop_is_refused_with_the_build_s_message(case, sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 1)
    drop = copy_drop(sample_drops[2], tmp_path / "drop")
    expected = _drop_case(case, drop)
    before = (data / "CURRENT").read_text(encoding="utf-8")
    with pytest.raises(ExportError) as info:
        load.load(drop, data)
    assert expected in str(info.value)
    assert (data / "CURRENT").read_text(encoding="utf-8") == before
    assert not list((data / "warehouse").glob("*.building-*"))


# ---------------------------------------------------------------- checks and provisional marks


def provisional(data: Path) -> list[tuple]:
    con = warehouse.connect(warehouse.current(data).path)
    try:
        return con.execute("select branch_code, strftime(period, '%Y-%m'), check_name, kpi from provisional "
                           "order by all").fetchall()
    finally:
        con.close()


def test_a_late_branch_is_published_provisional_and_a_later_load_clears_it(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 10)
    late = copy_drop(sample_drops[11], tmp_path / "late")
    customers = {r["customer_id"]: r["branch_code"] for r in read_rows(SAMPLE / "customers.csv")}
    bills = read_rows(late / "bills.csv")
    kept = [b for b in bills if customers[b["customer_id"]] != "PC08FF"]
    write_rows(late / "bills.csv", kept)
    gone = {b["bill_id"] for b in bills} - {b["bill_id"] for b in kept}
    fields = list(read_rows(late / "payments.csv")[0])
    write_rows(late / "payments.csv", [p for p in read_rows(late / "payments.csv") if p["bill_id"] not in gone],
               fields)
    result = load.load(late, data)
    period = sample_drops[11].name
    assert [(c.name, c.branch_code) for c in result.warnings if c.name == "no_bills"] == [("no_bills", "PC08FF")]
    assert ("PC08FF", period, "no_bills", None) in provisional(data)
    name = {r["branch_code"]: r["branch_name"] for r in read_rows(SAMPLE / "branches.csv")}["PC08FF"]
    late_check = next(c for c in result.warnings if c.name == "no_bills")
    assert late_check.message_vi.startswith(f"{name} chưa có hóa đơn") and "12/2019" in late_check.message_vi
    assert late_check.message_en.startswith(f"{name} has no bills for December 2019")
    load.load(sample_drops[11], data)  # the whole month arrives: the mark goes
    assert not [m for m in provisional(data) if m[:3] == ("PC08FF", period, "no_bills")]


def test_few_bills_and_a_halved_share_are_warnings(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 20)
    drop = copy_drop(sample_drops[21], tmp_path / "odd")
    customers = {r["customer_id"]: r["branch_code"] for r in read_rows(SAMPLE / "customers.csv")}
    bills = read_rows(drop / "bills.csv")
    aa = [b for b in bills if customers[b["customer_id"]] == "PC08AA"]
    gone = {b["bill_id"] for b in aa[: len(aa) // 2]}
    bills = [b for b in bills if b["bill_id"] not in gone]
    for b in bills:  # Tuy An reads nothing remotely this month
        if customers[b["customer_id"]] == "PC08BB" and b["read_method"] == "remote":
            b["read_method"] = "manual"
    write_rows(drop / "bills.csv", bills)
    fields = list(read_rows(drop / "payments.csv")[0])
    write_rows(drop / "payments.csv", [p for p in read_rows(drop / "payments.csv") if p["bill_id"] not in gone],
               fields)
    result = load.load(drop, data)
    found = {(c.name, c.branch_code, c.kpi) for c in result.warnings}
    assert ("few_bills", "PC08AA", None) in found
    assert ("kpi_jump", "PC08BB", "remote_read_rate") in found
    marks = provisional(data)
    assert ("PC08BB", sample_drops[21].name, "kpi_jump", "remote_read_rate") in marks
    jump = next(c for c in result.warnings if c.kpi == "remote_read_rate")
    assert "0,0%" in jump.message_vi and "0.0%" in jump.message_en


def test_a_full_build_marks_nothing_provisional(sample_data_dir):
    assert provisional(sample_data_dir) == []


# ---------------------------------------------------------------- safety: killed, concurrent, audited


def test_a_killed_load_changes_nothing(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 2)
    before = (data / "CURRENT").read_text(encoding="utf-8")
    published = digest(warehouse.current(data).path)
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "load", "--source", str(sample_drops[3]),
                             "--data-dir", str(data)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, encoding="utf-8")
    for line in proc.stderr:  # kill it hard while it recomputes
        if "model " in line:
            break
    assert list((data / "warehouse").glob("*.building-*")), "the load writes its own copy"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert (data / "CURRENT").read_text(encoding="utf-8") == before
    assert digest(warehouse.current(data).path) == published
    result = load.load(sample_drops[3], data)  # the next load cleans up and publishes
    assert warehouse.current(data).version == result.version
    assert not list((data / "warehouse").glob("*.building-*"))


def test_two_loads_at_once_run_one_after_the_other(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 2)
    results, seen, errors = [], [], []

    def run(drop):
        try:
            results.append(load.load(drop, data, progress=lambda f, m: seen.append(m)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    first = threading.Thread(target=run, args=(sample_drops[3],))
    first.start()
    deadline = time.time() + 30
    while load.status(data) is None and time.time() < deadline:
        time.sleep(0.01)
    running = load.status(data)
    assert running and running["pid"] == os.getpid() and running["source"] == str(sample_drops[3])
    second = threading.Thread(target=run, args=(sample_drops[3],))
    second.start()
    first.join()
    second.join()
    assert not errors
    assert len(results) == 2 and results[0].version != results[1].version
    assert results[1].replaced == results[1].periods  # the second saw the first's month and replaced it
    assert any(m.startswith("waiting for the load by") for m in seen)
    assert load.status(data) is None


def test_the_audit_log_keeps_every_build_and_load(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 1)
    load.load(sample_drops[2], data, user="analyst.hoa")
    with pytest.raises(load.LoadError):
        load.load(sample_drops[4], data, user="analyst.hoa")
    entries = audit.read(data)
    assert [(e["kind"], e["ok"]) for e in entries] == [("load", False), ("load", True), ("build", True)]
    ok = entries[1]
    assert ok["user"] == "analyst.hoa" and ok["version"] == warehouse.current(data).version
    files = {f["table"]: f for f in ok["files"]}
    assert files["bills"]["sha256"] == digest(sample_drops[2] / "bills.csv")
    assert ok["changes"]["bills"]["added"] > 0 and ok["periods"] == [sample_drops[2].name]
    lines = (data / audit.FILE).read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line) for line in lines) and len(lines) == 3
    con = warehouse.connect(warehouse.current(data).path)
    version = con.execute("select kind, loaded_by, based_on, changes->>'$.bills.added' from data_version").fetchall()
    con.close()
    assert version[0][:2] == ("load", "analyst.hoa") and version[0][2] == entries[2]["version"]


def test_a_torn_audit_line_is_skipped(tmp_path):
    audit.write(tmp_path, kind="build", ok=True)
    with open(tmp_path / audit.FILE, "a") as fh:
        fh.write('{"kind": "lo')
    assert [e["kind"] for e in audit.read(tmp_path)] == ["build"]


# ---------------------------------------------------------------- formats: Hive-partitioned Parquet


def test_a_hive_partitioned_drop_loads_like_csv(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 1)
    hive = tmp_path / "hive"
    con = duckdb.connect()
    period = sample_drops[2].name
    for table in ("bills", "payments", "service_requests"):
        folder = hive / table / f"period={period}"
        folder.mkdir(parents=True)
        drop_cols = "exclude (period)" if table == "bills" else ""  # as Spark's partitionBy writes it
        con.execute(f"copy (select * {drop_cols} from read_csv('{sample_drops[2] / (table + '.csv')}')) "
                    f"to '{folder / 'part-0.parquet'}' (format parquet)")
    shutil.copyfile(sample_drops[2] / "customers.csv", hive / "customers.csv")
    result = load.load(hive, data)
    assert result.periods == [dt.date.fromisoformat(period + "-01")]
    reference = fresh(tmp_path / "ref", sample_drops, 1)
    load.load(sample_drops[2], reference)
    assert drops.compare(warehouse.current(data).path, warehouse.current(reference).path) == []


def test_a_hive_folder_with_rows_of_another_period_is_refused(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 1)
    hive = tmp_path / "hive"
    con = duckdb.connect()
    for table in ("bills", "payments", "service_requests"):
        folder = hive / table / "period=2019-02"  # the rows are 2019-03's
        folder.mkdir(parents=True)
        con.execute(f"copy (select * from read_csv('{sample_drops[2] / (table + '.csv')}')) "
                    f"to '{folder / 'part-0.parquet'}' (format parquet)")
    with pytest.raises(ExportError, match="belong to another period than its folder period=2019-02"):
        load.load(hive, data)


# ---------------------------------------------------------------- ids that are codes


def test_a_drop_with_code_ids_loads_onto_integer_ids(sample_drops, tmp_path):
    """Bills, payments and requests of a later month come with codes ('HD…'): the id columns become text in
    the warehouse and every table equals a full build of the same exports."""
    data = fresh(tmp_path, sample_drops, 2)
    coded = copy_drop(sample_drops[3], tmp_path / "coded")
    this_month = {b["bill_id"] for b in read_rows(coded / "bills.csv")}
    for table, prefixes in (("bills", {"bill_id": "HD"}), ("payments", {"payment_id": "TT", "bill_id": "HD"}),
                            ("service_requests", {"request_id": "YC"})):
        rows = read_rows(coded / f"{table}.csv")
        fields = list(read_rows(sample_drops[3] / f"{table}.csv")[0]) if not rows else list(rows[0])
        for row in rows:
            for column, prefix in prefixes.items():
                if column != "bill_id" or table == "bills" or row["bill_id"] in this_month:
                    row[column] = prefix + row[column]  # (a payment of an earlier month's bill keeps its id)
        write_rows(coded / f"{table}.csv", rows, fields)
    load.load(coded, data)
    after = copy_drop(sample_drops[4], tmp_path / "after")  # integers again, paying some coded bills
    payments = read_rows(after / "payments.csv")
    for row in payments:
        if row["bill_id"] in this_month:
            row["bill_id"] = "HD" + row["bill_id"]
    write_rows(after / "payments.csv", payments)
    load.load(after, data)
    history = drops.History()
    for drop in [*sample_drops[:3], coded, after]:
        history.add(drop)
    full = build(history.write(tmp_path / "export"), tmp_path / "full")
    assert drops.compare(warehouse.current(data).path, full.path) == []
    con = warehouse.connect(warehouse.current(data).path)
    types = dict(con.execute("select column_name, data_type from information_schema.columns "
                             "where table_name = 'estimate_trueups'").fetchall())
    con.close()
    assert types["bill_id"] == types["closed_by_bill_id"] == "VARCHAR"


def test_the_cli_lists_every_problem_of_a_bad_drop_and_exits_1(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 1)
    drop = copy_drop(sample_drops[2], tmp_path / "drop")
    expected = _drop_case("bad_method", drop)
    proc = subprocess.run([sys.executable, "-m", "dashboard", "load", "--source", str(drop), "--data-dir", str(data)],
                          capture_output=True, encoding="utf-8", cwd=REPO)
    assert proc.returncode == 1
    assert "The drop in" in proc.stderr and "was not loaded; the published data is unchanged" in proc.stderr
    assert expected in proc.stderr


def test_a_bad_setting_stops_the_load_before_it_writes(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, 1)
    before = sorted(p.name for p in data.rglob("*"))
    proc = subprocess.run([sys.executable, "-m", "dashboard", "load", "--source", str(sample_drops[2]),
                           "--data-dir", str(data)], capture_output=True, encoding="utf-8", cwd=REPO,
                          env={**os.environ, "DASHBOARD_BUILD_MEMORY": "lots"})
    assert proc.returncode == 2 and "did not start" in proc.stderr
    assert sorted(p.name for p in data.rglob("*")) == before


@pytest.mark.parametrize("lang, expected", [("vi", ["kiểm tra bills.csv", "tính lại branch_month", "xong"]),
                                            ("en", ["checking bills.csv", "model branch_month", "done"])])
def test_progress_speaks_the_page_s_language(sample_drops, tmp_path, lang, expected):
    data = fresh(tmp_path, sample_drops, 1)
    said = []
    load.load(sample_drops[2], data, progress=lambda f, m: said.append((f, m)), lang=lang)
    messages = [m for _, m in said]
    assert all(e in messages for e in expected), messages
    fractions = [f for f, _ in said]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
