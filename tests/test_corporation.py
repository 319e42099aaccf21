"""The corporation level in the data: branches belong to companies, company_month is keyed by company and
corporation_month sums them all; single-company exports without companies stay exactly as they were.

The corporation here is the committed sample with its nine branches shared out between two companies (PC08
keeps five, PC01 takes four), so the figures are checked against an independent pandas computation from
branch_month and the raw requests, not against the generator."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dashboard import build, config, drops, exports, warehouse
from dashboard.exports import Problems

SAMPLE = config.SAMPLE_DIR / "sample"
MOVED = ("PC08AA", "PC08CC", "PC08FF", "PC08HH")  # to PC01 in the two-company export
SUMMED = ["customers", "phone_customers", "email_customers", "app_customers", "zalo_customers",
          "remote_capable_customers", "bills", "remote_reads", "estimated_bills", "payments", "online_payments",
          "paid_vnd", "online_paid_vnd", "paying_customers", "online_paying_customers", "requests",
          "online_requests", "completed_requests", "open_requests", "postponed_requests", "trued_up_kwh",
          "abs_offset_kwh", "pending_estimates"]
RATIOS = {"phone_coverage": ("phone_customers", "customers"), "app_share": ("app_customers", "customers"),
          "remote_read_rate": ("remote_reads", "bills"), "online_payment_share": ("online_payments", "payments"),
          "online_amount_share": ("online_paid_vnd", "paid_vnd"),
          "online_request_share": ("online_requests", "requests"),
          "estimate_abs_error_rate": ("abs_offset_kwh", "trued_up_kwh")}


def _copy_sample(folder: Path, company_of=None, companies: bool = True) -> Path:
    """The sample as an export; `company_of(branch_code)` sets branches.company_code (None: the column left out,
    as in exports from before the corporation level); `companies=False` leaves companies.csv out."""
    shutil.copytree(SAMPLE, folder)
    if not companies:
        (folder / "companies.csv").unlink(missing_ok=True)
    path = folder / "branches.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = ["branch_code", "branch_name", "district"] + (["company_code"] if company_of else [])
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "company_code": company_of(row["branch_code"]) if company_of else None})
    return folder


def _frame(con, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


@pytest.fixture(scope="module")
def corporation(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corporation")
    src = _copy_sample(tmp / "src", lambda b: "PC01" if b in MOVED else "PC08", companies=False)
    con = warehouse.connect(build.build(src, tmp / "data").path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def old_export(tmp_path_factory):
    """The sample as exported before the corporation level: no company_code, no companies.csv."""
    tmp = tmp_path_factory.mktemp("old")
    con = warehouse.connect(build.build(_copy_sample(tmp / "src", None, companies=False), tmp / "data").path)
    yield con
    con.close()


def test_branches_carry_their_company(corporation):
    got = dict(corporation.execute("select branch_code, company_code from branches").fetchall())
    assert got == {b: "PC01" if b in MOVED else "PC08" for b in got} and len(got) == 9
    bm = dict(corporation.execute("select distinct branch_code, company_code from branch_month").fetchall())
    assert bm == got


def test_company_month_sums_its_branches(corporation):
    branch = _frame(corporation, "select * from branch_month")
    company = _frame(corporation, "select * from company_month").set_index(["company_code", "period"]).sort_index()
    expected = branch.groupby(["company_code", "period"])[SUMMED].sum().sort_index()
    assert list(company.index) == list(expected.index)
    pd.testing.assert_frame_equal(company[SUMMED], expected, check_dtype=False)
    for ratio, (num, den) in RATIOS.items():
        want = (expected[num] / expected[den].where(expected[den] != 0)).astype(float)
        pd.testing.assert_series_equal(company[ratio].astype(float), want, check_names=False, rtol=1e-12)


def test_corporation_month_sums_every_company(corporation):
    company = _frame(corporation, "select * from company_month")
    corp = _frame(corporation, "select * from corporation_month").set_index("period").sort_index()
    expected = company.groupby("period")[SUMMED].sum().sort_index()
    pd.testing.assert_frame_equal(corp[SUMMED], expected, check_dtype=False)
    for ratio, (num, den) in RATIOS.items():
        want = (expected[num] / expected[den].where(expected[den] != 0)).astype(float)
        pd.testing.assert_series_equal(corp[ratio].astype(float), want, check_names=False, rtol=1e-12)


def test_medians_are_taken_afresh_at_each_level(corporation):
    """Medians do not add up: each company's and the corporation's come from the requests themselves."""
    req = _frame(corporation, "select r.*, b.company_code from service_requests r join branches b using (branch_code) "
                              "where status = 'completed' and completed_on is not null")
    req["period"] = pd.to_datetime(req["completed_on"]).dt.to_period("M").dt.to_timestamp()
    req["days"] = (pd.to_datetime(req["completed_on"]) - pd.to_datetime(req["submitted_on"])).dt.days
    company = _frame(corporation, "select company_code, period, median_days_to_complete from company_month "
                                  "where median_days_to_complete is not null")
    want = req.groupby(["company_code", "period"])["days"].median()
    got = company.set_index(["company_code", pd.to_datetime(company["period"])])["median_days_to_complete"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index().astype(float), check_names=False)
    corp = _frame(corporation, "select period, median_days_to_complete from corporation_month "
                               "where median_days_to_complete is not null")
    want = req.groupby("period")["days"].median()
    got = corp.set_index(pd.to_datetime(corp["period"]))["median_days_to_complete"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index().astype(float), check_names=False)


def test_companies_ranked_share_the_corporation(corporation):
    """Two companies of different sizes: their customers add up to the corporation's in every period."""
    rows = corporation.execute("select period, count(*), sum(customers) from company_month group by period").fetchall()
    corp = dict(corporation.execute("select period, customers from corporation_month").fetchall())
    assert rows and all(n == 2 and total == corp[p] for p, n, total in rows)


def test_an_export_from_before_the_corporation_builds_the_same_warehouse(old_export, sample_warehouse):
    """No company_code, no companies.csv: every branch is PC08's, and every table but `companies` (the built-in
    one names all thirteen) equals the committed sample's warehouse (floating-point sums within drops.TOLERANCE)."""
    path = Path(old_export.execute("select path from duckdb_databases() where database_name = current_database()")
                .fetchall()[0][0])
    differences = [d for d in drops.compare(path, sample_warehouse.path) if not d.startswith("companies")]
    assert differences == []


def test_one_company_corporation_equals_its_company(old_export):
    company = old_export.execute("select * exclude (company_code) from company_month order by period").fetchall()
    assert old_export.execute("select distinct company_code from company_month").fetchall() == [("PC08",)]
    assert company == old_export.execute("select * from corporation_month order by period").fetchall()


def test_the_built_in_companies_table_is_used_when_an_export_has_none(old_export):
    names = dict(old_export.execute("select company_code, company_name_vi from companies").fetchall())
    assert names["PC08"] == "Công ty Điện lực Phú Yên" and len(names) == 13


BAD = [
    # (what, branches rows' company_code, companies.csv rows or None to leave it out, fragment of the message)
    ("unknown company", "PC99", None, "PC99"),
    ("empty company", "", None, "company_code"),
    ("company missing from the export's own table", "PC02",
     [{"company_code": "PC08", "company_name_vi": "Công ty Điện lực Phú Yên", "company_name_en": "Phu Yen",
       "province": "Phú Yên", "notes": ""}], "PC02"),
    ("duplicate company", "PC08",
     [{"company_code": "PC08", "company_name_vi": "a", "company_name_en": "a", "province": "a", "notes": ""}] * 2,
     "duplicate company_code"),
]


@pytest.mark.parametrize("what,code,companies,fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_companies_are_refused_with_a_clear_message(tmp_path, what, code, companies, fragment):
    src = _copy_sample(tmp_path / "src", lambda b: code if b == "PC08BB" else "PC08", companies=False)
    if companies is not None:
        with open(src / "companies.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, list(companies[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(companies)
    with pytest.raises(exports.ExportError) as err:
        build.build(src, tmp_path / "data")
    text = "\n".join(str(p) for p in err.value.problems)
    assert fragment in text
    assert not (tmp_path / "data" / "CURRENT").exists()


def test_find_sources_reads_the_built_in_companies_only_when_the_export_has_none(tmp_path):
    src = _copy_sample(tmp_path / "src", None, companies=False)
    found = exports.find_sources(src, Problems())
    assert found["companies"] == config.SAMPLE_DIR / "reference" / "companies.csv"
    shutil.copy(found["companies"], src / "companies.csv")
    assert exports.find_sources(src, Problems())["companies"] == src / "companies.csv"
