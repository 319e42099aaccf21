"""Data tests on the marts built from the committed sample: keys, ratio ranges, company = sum of branches."""
from __future__ import annotations

import pytest

from dashboard import models, warehouse

RATIOS = {  # ratio -> (numerator, denominator), as DESIGN.md defines them
    "phone_coverage": ("phone_customers", "customers"),
    "email_coverage": ("email_customers", "customers"),
    "app_share": ("app_customers", "customers"),
    "zalo_share": ("zalo_customers", "customers"),
    "remote_capable_share": ("remote_capable_customers", "customers"),
    "remote_read_rate": ("remote_reads", "bills"),
    "estimated_bill_rate": ("estimated_bills", "bills"),
    "estimate_abs_error_rate": ("abs_offset_kwh", "trued_up_kwh"),
    "online_payment_share": ("online_payments", "payments"),
    "online_amount_share": ("online_paid_vnd", "paid_vnd"),
    "online_customer_share": ("online_paying_customers", "paying_customers"),
    "online_request_share": ("online_requests", "requests"),
}
COUNTS = sorted({c for pair in RATIOS.values() for c in pair} | {
    "manual_reads", "estimated_kwh", "pending_estimates", "trued_up_estimates", "offset_kwh",
    "completed_requests", "open_requests", "postponed_requests"})
SHARE_LIMITED = [r for r in RATIOS if r != "estimate_abs_error_rate"]  # an error rate may exceed 100 %
RAW_KEYS = {  # the export tables' keys (the build enforces them while loading)
    "branches": "branch_code", "customers": "customer_id", "bills": "bill_id", "payments": "payment_id",
    "service_requests": "request_id", "channels": "channel_code",
}
# The marts' keys are declared in their model headers (`-- unique_key:`); staging models are not published.
MART_KEYS = {m.name: ", ".join(m.unique_key) for m in models.load() if m.unique_key and not m.is_staging}
KEYS = {**MART_KEYS, **RAW_KEYS}


@pytest.fixture(scope="module")
def con(sample_warehouse):
    c = warehouse.connect(sample_warehouse.path)
    yield c
    c.close()


def scalar(con, sql):
    return con.execute(sql).fetchall()[0][0]


@pytest.mark.parametrize("table,key", KEYS.items())
def test_keys_unique_and_not_null(con, table, key):
    assert scalar(con, f"select count(*) from (select {key} from {table} group by all having count(*) > 1)") == 0
    first = key.split(",")[0].replace("coalesce(", "")
    assert scalar(con, f"select count(*) from {table} where {first} is null") == 0


@pytest.mark.parametrize("table", ["branch_month", "company_month"])
@pytest.mark.parametrize("ratio", SHARE_LIMITED)
def test_ratios_within_0_and_1(con, table, ratio):
    assert scalar(con, f"select count(*) from {table} where {ratio} < 0 or {ratio} > 1") == 0


@pytest.mark.parametrize("table", ["branch_month", "company_month"])
@pytest.mark.parametrize("ratio,parts", RATIOS.items())
def test_ratio_is_numerator_over_denominator_and_null_on_zero(con, table, ratio, parts):
    num, den = parts
    bad = scalar(con, f"""select count(*) from {table} where
        ({den} = 0 and {ratio} is not null) or ({den} <> 0 and abs({ratio} - {num} / {den}) > 1e-12)""")
    assert bad == 0


@pytest.mark.parametrize("column", COUNTS)
def test_company_equals_sum_of_branches(con, column):
    diff = scalar(con, f"""select count(*) from company_month c
        join (select period, sum({column}) as s from branch_month group by period) b using (period)
        where abs(c.{column} - b.s) > 1e-6""")
    assert diff == 0


def test_company_ratio_is_not_the_mean_of_branch_ratios(con):
    # Guard against averaging: the two differ somewhere in a real-sized sample.
    differs = scalar(con, """select count(*) from company_month c
        join (select period, avg(app_share) as mean_share from branch_month group by period) b using (period)
        where abs(c.app_share - b.mean_share) > 1e-9""")
    assert differs > 0


def test_one_row_per_branch_and_period(con):
    branches = scalar(con, "select count(*) from branches")
    periods = scalar(con, "select count(distinct period) from bills")
    assert scalar(con, "select count(*) from branch_month") == branches * periods
    assert scalar(con, "select count(*) from company_month") == periods


def test_every_kpi_reads_a_branch_month_column(con):
    columns = {r[0] for r in con.execute("select column_name from (describe branch_month)").fetchall()}
    assert {r[0] for r in con.execute("select column_name from kpis").fetchall()} <= columns


def test_counts_are_integers(con):
    types = dict(con.execute("select column_name, column_type from (describe branch_month)").fetchall())
    for column in ("customers", "bills", "payments", "requests", "pending_estimates", "paid_vnd"):
        assert types[column] == "BIGINT", column


def test_the_marts_declare_their_keys_and_share_ranges():
    """The keys and 0..1 ranges live in the model headers, where the build tests them before publishing."""
    assert set(MART_KEYS) >= {"branch_month", "company_month", "kpis", "target_month", "estimate_trueups",
                              "payment_channel_month"}
    declared = {m.name: {str(t) for t in m.data_tests} for m in models.load()}
    for table in ("branch_month", "company_month"):
        assert {f"accepted_range({ratio}, 0, 1)" for ratio in SHARE_LIMITED} <= declared[table], table
