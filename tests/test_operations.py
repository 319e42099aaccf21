"""The operations page (/data) and its module (dashboard/operations.py): the version history (kept versions, versions
no longer kept, refused loads), what changed between two versions (a real load and a hand-edited copy), freshness
with a late branch, saving an upload, and the page in AppTest: history and changes shown, the upload form loading
a drop end to end and refusing a bad one with the build's messages."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import audit, drops, load, operations, queries, warehouse
from dashboard.build import build
from dashboard.labels import t
from tests.conftest import SAMPLE
from tests.test_views import assert_clean, open_page, plain, table_with

FIRST = dt.date(2022, 9, 1)  # the first export holds 2019-01..2022-09; drops 2022-10, 2022-11, 2022-12 follow


@pytest.fixture(scope="module")
def sample_drops(tmp_path_factory) -> list[Path]:
    return drops.split(SAMPLE, tmp_path_factory.mktemp("ops-drops"), first=FIRST)


@pytest.fixture(scope="module")
def two_versions(sample_drops, tmp_path_factory) -> Path:
    """A data directory: a full build of the first export, then the 2022-10 drop loaded by analyst.hoa."""
    data = tmp_path_factory.mktemp("ops-data")
    build(sample_drops[0], data)
    load.load(sample_drops[1], data, user="analyst.hoa")
    return data


def fresh(tmp_path: Path, sample_drops, loads: int = 0) -> Path:
    data = tmp_path / "data"
    build(sample_drops[0], data)
    for drop in sample_drops[1:loads + 1]:
        load.load(drop, data)
    return data


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict], fields: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def without_branch(drop: Path, to: Path, branch: str) -> Path:
    """The drop with none of a branch's bills (and none of the payments of those bills): its export is late."""
    shutil.copytree(drop, to)
    branch_of = {r["customer_id"]: r["branch_code"] for r in read_rows(SAMPLE / "customers.csv")}
    bills = read_rows(to / "bills.csv")
    kept = [b for b in bills if branch_of[b["customer_id"]] != branch]
    write_rows(to / "bills.csv", kept, list(bills[0]))
    gone = {b["bill_id"] for b in bills} - {b["bill_id"] for b in kept}
    payments = read_rows(to / "payments.csv")
    write_rows(to / "payments.csv", [p for p in payments if p["bill_id"] not in gone], list(payments[0]))
    return to


def versions(data: Path) -> list[str]:
    return [e["version"] for e in reversed(audit.read(data)) if e.get("ok")]


# ---------------------------------------------------------------- version history


def test_history_lists_each_version_with_who_what_and_checks(two_versions, sample_drops):
    built, loaded = versions(two_versions)
    history = operations.history(two_versions)
    assert list(history["version"]) == [loaded, built]  # newest first
    new, old = history.iloc[0], history.iloc[1]
    assert (new["kind"], new["user"], bool(new["current"]), bool(new["kept"])) == ("load", "analyst.hoa", True, True)
    assert (old["kind"], bool(old["current"])) == ("build", False)
    assert new["based_on"] == built and new["periods"] == ["2022-10"]
    files = {f["table"]: f for f in new["files"]}
    assert files["bills"]["sha256"] == hashlib.sha256((sample_drops[1] / "bills.csv").read_bytes()).hexdigest()
    assert new["changes"]["bills"]["added"] == len(read_rows(sample_drops[1] / "bills.csv"))
    assert operations.checks_result(new) in ("passed", "warned")
    assert operations.checks_result(new) == ("warned" if new["checks"] else "passed")
    assert new["warnings"] == len(new["checks"])
    flat = operations.flat(history)
    assert json.loads(flat.loc[0, "changes"])["bills"]["added"] == new["changes"]["bills"]["added"]


def test_history_keeps_versions_no_longer_kept_and_refused_loads(sample_drops, tmp_path, monkeypatch):
    data = fresh(tmp_path, sample_drops)
    monkeypatch.setenv("DASHBOARD_KEEP_VERSIONS", "1")
    load.load(sample_drops[1], data)
    with pytest.raises(load.LoadError):
        load.load(sample_drops[3], data)  # 2022-12 after 2022-10: 2022-11 is missing
    built, loaded = versions(data)
    assert warehouse.kept_versions(data) == [loaded]
    history = operations.history(data)
    assert [(r.version, r.kind, bool(r.ok), bool(r.kept)) for r in history.itertuples()] == [
        (None, "load", False, False), (loaded, "load", True, True), (built, "build", True, False)]
    refused = history.iloc[0]
    assert "11/2022 is missing" in refused["error"] and operations.checks_result(refused) == "failed"
    assert history.iloc[2]["built_at"] is not None and history.iloc[2]["files"]  # from the audit log


def test_an_older_warehouse_without_the_new_columns_is_read(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops)
    path = warehouse.current(data).path
    con = duckdb.connect(str(path))
    con.execute("create or replace table data_version as select version, built_at, source_dir, source_files, "
                "row_counts, first_period, latest_period from data_version")
    con.close()
    history = operations.history(data)
    assert history.iloc[0]["kind"] == "build" and history.iloc[0]["checks"] == []
    assert operations.default_pair(data) == (None, warehouse.current(data).version)


# ---------------------------------------------------------------- what changed


def kpi_columns(path: Path) -> list[str]:
    return list(operations.kpi_list(path)["column_name"])


def test_what_changed_after_a_load_is_the_new_period_and_the_values_it_moved(two_versions):
    built, loaded = versions(two_versions)
    assert operations.default_pair(two_versions) == (built, loaded)
    old, new = warehouse.version_path(built, two_versions), warehouse.version_path(loaded, two_versions)
    found = operations.what_changed(old, new)
    columns = kpi_columns(new)
    added = found[found["change_kind"] == "added"]
    assert set(added["period"]) == {dt.date(2022, 10, 1)}
    assert len(added) == 10 * len(columns)  # nine branches and the company, every KPI
    # every value of the periods both hold that differs, and no other, against a plain comparison
    con = duckdb.connect()
    con.execute("attach $p as a (read_only)", {"p": str(old)})
    con.execute("attach $p as b (read_only)", {"p": str(new)})
    expected = set()
    for scope, table, key in (("branch", "branch_month", "branch_code"), ("company", "company_month", "company_code")):
        for col in columns:
            rows = con.execute(
                f"select {key}, a.period from a.{table} as a join b.{table} as bb using (period, {key}) "  # noqa: S608
                f"where a.{col} is distinct from bb.{col} "
                f"and coalesce(abs(a.{col} - bb.{col}) > 1e-9 * greatest(abs(a.{col}), abs(bb.{col})), true)"
            ).fetchall()
            expected |= {(scope, code, period, col) for code, period in rows}
    moved = found[found["change_kind"] == "changed"]
    got = {(r.scope, None if pd.isna(r.branch_code) else r.branch_code, r.period,
            r.kpi) for r in moved.itertuples()}
    assert got == expected and expected, "a new month closes earlier estimates: their periods move"
    # largest relative move first: appearing values (no relative change) lead, then by size
    moves = moved["relative_change"].abs().fillna(float("inf")).tolist()
    assert moves == sorted(moves, reverse=True)


def test_what_changed_sees_a_hand_edited_correction(two_versions, tmp_path):
    current = warehouse.current(two_versions).path
    edited = tmp_path / "edited.duckdb"
    shutil.copy(current, edited)
    con = duckdb.connect(str(edited))
    con.execute("update branch_month set app_share = app_share * 1.5 where branch_code = 'PC08CC' "
                "and period = date '2022-08-01'")
    con.execute("update branch_month set email_coverage = null where branch_code = 'PC08AA' "
                "and period = date '2021-03-01'")
    con.execute("update company_month set customers = customers + 1 where period = date '2022-10-01'")
    con.execute("update branch_month set phone_coverage = phone_coverage * (1 + 1e-13) "
                "where period = date '2022-01-01'")  # float noise: not a change
    con.close()
    found = operations.what_changed(current, edited)
    rows = [(r.scope, r.branch_code if isinstance(r.branch_code, str) else None, r.period.isoformat()[:7], r.kpi,
             r.change_kind) for r in found.itertuples()]
    assert rows == [
        ("branch", "PC08AA", "2021-03", "email_coverage", "changed"),  # a value gone: the largest move
        ("branch", "PC08CC", "2022-08", "app_share", "changed"),  # +50%
        ("company", "PC08", "2022-10", "customers", "changed"),  # the company, by its code
    ]
    assert found.loc[1, "relative_change"] == pytest.approx(0.5)
    assert found.loc[1, "label_vi"] and found.loc[1, "unit"] == "share"
    assert found.loc[2, "change"] == 1
    assert operations.what_changed(current, current).empty


# ---------------------------------------------------------------- freshness and lateness


def test_usual_day_is_the_median_day_of_the_month_after(tmp_path):
    entries = [
        {"kind": "load", "ok": True, "at": "2022-11-06T09:00:00", "periods": ["2022-10"]},
        {"kind": "load", "ok": True, "at": "2022-10-08T09:00:00", "periods": ["2022-09"]},
        {"kind": "load", "ok": True, "at": "2022-10-20T09:00:00", "periods": ["2022-09"]},  # a correction
        {"kind": "load", "ok": True, "at": "2022-09-12T09:00:00", "periods": ["2022-08"]},
        {"kind": "load", "ok": False, "at": "2022-09-01T09:00:00", "periods": ["2022-08"]},
        {"kind": "build", "ok": True, "at": "2022-01-01T09:00:00"},
    ]
    assert operations.usual_day(entries) == 8  # days 6, 8, 12
    assert operations.usual_day([]) is None
    assert operations.due_date(dt.date(2022, 12, 1), 8) == dt.date(2023, 1, 8)


def test_freshness_marks_a_late_branch_and_its_provisional_figures(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops, loads=1)
    load.load(without_branch(sample_drops[2], tmp_path / "late", "PC08FF"), data)
    path = warehouse.current(data).path
    day = operations.usual_day(audit.read(data))
    due = operations.due_date(dt.date(2022, 11, 1), day)
    found = operations.freshness(path, data, today=due + dt.timedelta(days=3))
    bills = found.table[found.table["source_table"] == "bills"].set_index("branch_code")
    assert bills.loc["PC08FF", "latest_period"] == dt.date(2022, 10, 1)
    assert bool(bills.loc["PC08FF", "missing"]) and bool(bills.loc["PC08FF", "late"])
    assert bills.loc["PC08FF", "days_late"] == 3
    assert {"period": "2022-11", "check": "no_bills", "kpi": None} in bills.loc["PC08FF", "provisional"]
    others = bills.drop(index="PC08FF")
    assert not others["late"].any() and (others["latest_period"] == dt.date(2022, 11, 1)).all()
    assert (others["latest_rows"] > 0).all()
    assert found.company_latest == dt.date(2022, 11, 1) and found.next_period == dt.date(2022, 12, 1)
    on_time = operations.freshness(path, data, today=due)
    row = on_time.table.set_index(["source_table", "branch_code"]).loc[("bills", "PC08FF")]
    assert bool(row["missing"]) and not row["late"]


def test_freshness_one_level_up_sums_a_company_s_branches_at_their_latest_period():
    """Hand-made: company A's branch A2 is late on bills and A3 is missing payments; B is up to date."""
    d = dt.date
    rows = [  # branch, table, latest period, rows, missing, late, days late, marks
        ("A1", "bills", d(2022, 11, 1), 100, False, False, None, []),
        ("A2", "bills", d(2022, 10, 1), 40, True, True, 5, [{"period": "2022-11", "check": "no_bills", "kpi": None}]),
        ("A3", "bills", d(2022, 11, 1), 7, False, False, None, []),
        ("A1", "payments", d(2022, 11, 1), 90, False, False, None, []),
        ("A2", "payments", d(2022, 11, 1), 30, False, False, None, []),
        ("A3", "payments", None, 0, True, False, None, []),
        ("B1", "bills", d(2022, 11, 1), 60, False, False, None, [{"period": "2022-10", "check": "kpi_jump",
                                                                 "kpi": "online_share"}]),
        ("B1", "payments", d(2022, 11, 1), 55, False, False, None, []),
    ]
    marks = {r[0]: r[7] for r in rows if r[7]}
    table = pd.DataFrame([{"branch_code": b, "branch_name": b, "source_table": s, "latest_period": p,
                           "latest_rows": n, "company_latest": d(2022, 11, 1), "rows_before": 1, "missing": m,
                           "late": late, "days_late": days, "provisional": marks.get(b, [])}
                          for b, s, p, n, m, late, days, _ in rows])
    out = operations.freshness_by_company(table, {"A1": "A", "A2": "A", "A3": "A", "B1": "B"})
    got = out.set_index(["company_code", "source_table"])
    assert list(out["company_code"].unique()) == ["A", "B"]
    assert got.loc[("A", "bills"), "latest_period"] == d(2022, 11, 1)
    assert got.loc[("A", "bills"), "latest_rows"] == 107  # A1 and A3; A2's October rows are not November's
    assert got.loc[("A", "payments"), "latest_rows"] == 120
    assert bool(got.loc[("A", "bills"), "late"]) and got.loc[("A", "bills"), "days_late"] == 5
    assert bool(got.loc[("A", "payments"), "missing"]) and not got.loc[("A", "payments"), "late"]
    assert (got.loc["A", "late_branches"] == 1).all() and (got.loc["A", "missing_branches"] == 1).all()
    assert (got.loc["B", "late_branches"] == 0).all() and not got.loc["B", "missing"].any()
    assert got.loc[("A", "bills"), "provisional"] == marks["A2"]
    assert got.loc[("B", "payments"), "provisional"] == marks["B1"]


def test_without_loads_lateness_is_not_judged(sample_data_dir):
    found = operations.freshness(warehouse.current(sample_data_dir).path, sample_data_dir)
    assert found.usual_day is None and not found.table["late"].any() and not found.next_overdue
    assert set(found.table["source_table"]) == {"bills", "payments", "service_requests"}
    assert len(found.table) == 27


# ---------------------------------------------------------------- saving and loading an upload


@pytest.mark.parametrize("name", ["../bills.csv", "a/bills.csv", "bills.txt", ".bills.csv", "", "bills.csv\n",
                                  "bills", "x" * 120 + ".csv"])
def test_an_upload_name_that_is_not_a_table_file_is_refused(tmp_path, name):
    with pytest.raises(operations.UploadError):
        operations.save_upload([(name, b"x")], tmp_path)
    assert not (tmp_path / operations.UPLOADS).exists()


def test_uploads_go_to_a_new_folder_each_time(tmp_path):
    now = dt.datetime(2026, 1, 8, 9, 30, tzinfo=dt.UTC)
    first = operations.save_upload([("bills.csv", b"a"), ("payments.parquet", b"b")], tmp_path, now=now)
    second = operations.save_upload([("bills.csv", b"c")], tmp_path, now=now)
    assert first != second and first.parent == second.parent == tmp_path / operations.UPLOADS
    assert first.name.startswith("20260108T093000Z-")
    assert (first / "bills.csv").read_bytes() == b"a" and (second / "bills.csv").read_bytes() == b"c"
    with pytest.raises(operations.UploadError, match="twice"):
        operations.save_upload([("bills.csv", b"a"), ("bills.csv", b"b")], tmp_path)


def test_a_refused_load_gives_the_build_s_messages_and_publishes_nothing(sample_drops, tmp_path):
    data = fresh(tmp_path, sample_drops)
    before = (data / "CURRENT").read_text()
    bad = tmp_path / "bad"
    shutil.copytree(sample_drops[1], bad)
    bills = read_rows(bad / "bills.csv")
    bills[1]["kwh"] = "abc"
    write_rows(bad / "bills.csv", bills, list(bills[0]))
    folder = operations.save_upload([(p.name, p.read_bytes()) for p in bad.iterdir()], data)
    outcome = operations.run_load(folder, data)
    assert not outcome.ok and (data / "CURRENT").read_text() == before
    [problem] = outcome.problems.to_dict("records")
    assert (problem["file"], problem["row"], problem["column"]) == ("bills.csv", 2, "kwh")
    assert "abc" in problem["message"] and str(folder) not in problem["message"]
    gap = operations.save_upload([(p.name, p.read_bytes()) for p in sample_drops[2].iterdir()], data)
    outcome = operations.run_load(gap, data)
    assert not outcome.ok and "10/2022 is missing" in outcome.problems.loc[0, "message"]
    good = operations.save_upload([(p.name, p.read_bytes()) for p in sample_drops[1].iterdir()], data)
    seen = []
    outcome = operations.run_load(good, data, user="analyst.lan", progress=lambda f, m: seen.append(f))
    assert outcome.ok and outcome.result.version == warehouse.current(data).version
    assert seen[-1] == 1.0 and audit.read(data)[0]["user"] == "analyst.lan"


def test_the_ops_queries_parse_and_stay_out_of_the_page_catalogue():
    names = sorted(p.stem for p in operations.ops_dir().glob("*.sql"))
    assert names == ["freshness", "kpi_changes"]
    for name in names:
        assert queries.load(name, operations.ops_dir()).title_en
    assert not set(names) & set(queries.names())


# ---------------------------------------------------------------- the page (AppTest)


@pytest.fixture()
def ops_env(two_versions, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(two_versions, data)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(data))
    return data


def test_the_page_shows_history_changes_freshness_and_the_audit_log(ops_env):
    built, loaded = versions(ops_env)
    at = open_page("data", {"lang": "en"})
    assert_clean(at)
    history = table_with(at, t("ops.col.checks", "en"))
    assert [v.split(" ")[0] for v in history[t("data.version", "en")]] == [loaded, built]
    assert list(history[t("ops.col.kind", "en")]) == [t("ops.kind.load", "en"), t("ops.kind.build", "en")]
    assert history.loc[0, t("ops.col.user", "en")] == "analyst.hoa"
    assert "bills.csv (" in history.loc[0, t("ops.col.files", "en")]
    changes = table_with(at, t("ops.col.change_kind", "en"))
    assert t("ops.change.added", "en") in set(changes[t("ops.col.change_kind", "en")])
    assert [s.value for s in at.selectbox if s.label == t("ops.old_version", "en")] == [built]
    freshness = table_with(at, t("ops.col.state", "en"))
    assert len(freshness) == 9 and set(freshness[t("ops.col.state", "en")]) == {t("ops.state.ok", "en")}
    audit_log = table_with(at, t("ops.col.result", "en"))
    assert list(audit_log[t("ops.col.detail", "en")]) == [loaded, built]
    assert any(t("ops.load_local", "en") in c.value for c in at.caption)
    assert at.get("file_uploader")


def test_the_compared_versions_come_from_the_link(ops_env):
    built, loaded = versions(ops_env)
    at = open_page("data", {"lang": "en", "old": loaded, "new": built})
    assert_clean(at)
    changes = table_with(at, t("ops.col.change_kind", "en"))
    assert t("ops.change.removed", "en") in set(changes[t("ops.col.change_kind", "en")])
    bad = open_page("data", {"lang": "en", "old": "20990101T000000Z-abcdef"})
    assert not bad.exception
    assert any("old=" in plain(w.value) for w in bad.warning)
    assert [s.value for s in bad.selectbox if s.label == t("ops.old_version", "en")] == [built]


def upload(at, folder: Path):
    [uploader] = at.get("file_uploader")
    uploader.set_value([(p.name, p.read_bytes(), "text/csv") for p in sorted(folder.iterdir())])
    at.run()
    at.button(key="ops_load").click()
    at.run()


def test_the_upload_form_loads_a_drop_end_to_end(ops_env, sample_drops):
    before = warehouse.current(ops_env).version
    at = open_page("data", {"lang": "en"})
    upload(at, sample_drops[2])
    assert_clean(at)
    now = warehouse.current(ops_env).version
    assert now != before
    [success] = at.success
    assert now in plain(success.value) and "Nov 2022" in plain(success.value)
    assert now in at.main.caption[-1].value  # the footer: the page moved to the new version
    saved = sorted((ops_env / operations.UPLOADS).iterdir())
    assert len(saved) == 1 and (saved[0] / "bills.csv").is_file()
    assert audit.read(ops_env)[0]["source"] == str(saved[0])
    history = table_with(at, t("ops.col.checks", "en"))
    assert history[t("data.version", "en")][0].startswith(now)


def test_a_bad_upload_is_refused_with_the_build_s_messages(ops_env, sample_drops, tmp_path):
    before = (ops_env / "CURRENT").read_text()
    bad = tmp_path / "bad"
    shutil.copytree(sample_drops[2], bad)
    bills = read_rows(bad / "bills.csv")
    bills[0]["read_on"] = "31/02/2022"
    write_rows(bad / "bills.csv", bills, list(bills[0]))
    at = open_page("data", {"lang": "en"})
    upload(at, bad)
    assert not at.exception and (ops_env / "CURRENT").read_text() == before
    assert any(t("ops.refused_note", "en", folder="")[:20] in plain(e.value) for e in at.error)
    problems = table_with(at, t("ops.col.hint", "en"))
    assert list(problems[t("ops.col.file", "en")]) == ["bills.csv"]
    assert "31/02/2022" in problems[t("ops.col.message", "en")][0]


def test_a_running_load_is_shown_and_the_form_says_it_will_wait(ops_env):
    (ops_env / load.STATUS_FILE).write_text(json.dumps({
        "pid": os.getpid(), "user": "analyst.minh", "source": "/x", "started": "2026-01-08T02:00:00",
        "fraction": 0.4, "message": "model branch_month"}))
    at = open_page("data", {"lang": "en"})
    assert not at.exception
    assert any("analyst.minh" in plain(i.value) for i in at.info)
    assert at.button(key="ops_load").label == t("ops.load_wait", "en")


def test_viewers_see_no_load_form(ops_env, monkeypatch):
    from dashboard import auth

    monkeypatch.setattr(auth, "current_role", lambda: "viewer")
    at = open_page("data", {"lang": "en"})
    assert_clean(at)
    assert not at.get("file_uploader")
    assert any(t("ops.load_roles", "en") in c.value for c in at.caption)

