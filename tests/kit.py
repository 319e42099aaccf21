"""Small hand-made exports for tests: write tables as CSV the way an export would arrive."""
from __future__ import annotations

import csv
from pathlib import Path

from dashboard.contract import TABLES

BRANCHES = [
    {"branch_code": "PC08AA", "branch_name": "Điện lực Tuy Hòa", "district": "TP Tuy Hòa"},
    {"branch_code": "PC08BB", "branch_name": "Điện lực Sông Cầu", "district": "TX Sông Cầu"},
]
CHANNELS = [
    {"channel_code": "pay_banking", "kind": "payment", "name_vi": "Ngân hàng điện tử", "name_en": "Banking", "is_online": "true"},
    {"channel_code": "pay_counter", "kind": "payment", "name_vi": "Quầy", "name_en": "Counter", "is_online": "false"},
    {"channel_code": "req_portal", "kind": "request", "name_vi": "Cổng DVC", "name_en": "Portal", "is_online": "true"},
    {"channel_code": "req_counter", "kind": "request", "name_vi": "Quầy", "name_en": "Counter", "is_online": "false"},
]
C1, C2 = "PC08AA0000001", "PC08BB0000002"


def trueup_case() -> dict[str, list[dict]]:
    """A hand-made case whose KPIs are worked out by hand in the tests."""
    def bill(i, cust, period, method, kwh, offset=0):
        return {"bill_id": i, "customer_id": cust, "period": period, "read_on": period[:8] + "15",
                "read_method": method, "kwh": kwh, "offset_kwh": offset, "amount_vnd": int(kwh * 2000)}
    customers = [
        {"customer_id": C1, "branch_code": "PC08AA", "customer_type": "household", "connected_on": "2019-01-01",
         "phone_registered_on": "2019-06-01", "email_registered_on": "2020-02-10", "app_registered_on": "2020-03-31"},
        {"customer_id": C2, "branch_code": "PC08BB", "customer_type": "business", "connected_on": "2019-01-01",
         "disconnected_on": "2020-04-30", "phone_registered_on": "2020-01-31"},
    ]
    bills = [
        bill(1, C1, "2020-01-01", "manual", 100),
        bill(2, C1, "2020-02-01", "estimated", 120),
        bill(3, C1, "2020-03-01", "estimated", 80),
        bill(4, C1, "2020-04-01", "remote", 150, 40),
        bill(5, C1, "2020-05-01", "estimated", 90),
        bill(6, C2, "2020-01-01", "estimated", 0),
        bill(7, C2, "2020-02-01", "estimated", 0),
        bill(8, C2, "2020-03-01", "manual", 50, -10),
    ]
    payments = [
        {"payment_id": 1, "bill_id": 1, "customer_id": C1, "paid_on": "2020-01-20", "amount_vnd": 200000, "channel_code": "pay_banking"},
        {"payment_id": 2, "bill_id": 2, "customer_id": C1, "paid_on": "2020-02-20", "amount_vnd": 100000, "channel_code": "pay_counter"},
        {"payment_id": 3, "bill_id": 2, "customer_id": C1, "paid_on": "2020-02-25", "amount_vnd": 140000, "channel_code": "pay_banking"},
        {"payment_id": 4, "bill_id": 6, "customer_id": C2, "paid_on": "2020-02-03", "amount_vnd": 0, "channel_code": "pay_counter"},
    ]
    requests = [
        {"request_id": 1, "branch_code": "PC08AA", "customer_id": C1, "request_type": "contract_change", "channel_code": "req_portal",
         "submitted_on": "2020-01-10", "completed_on": "2020-01-14", "status": "completed"},
        {"request_id": 2, "branch_code": "PC08AA", "customer_id": "", "request_type": "new_connection", "channel_code": "req_counter",
         "submitted_on": "2020-01-20", "postponed_on": "2020-02-01", "completed_on": "2020-03-05", "status": "completed"},
        {"request_id": 3, "branch_code": "PC08BB", "customer_id": C2, "request_type": "meter_check", "channel_code": "req_portal",
         "submitted_on": "2020-01-28", "completed_on": "2020-02-02", "status": "completed"},
        {"request_id": 4, "branch_code": "PC08BB", "customer_id": "", "request_type": "other", "channel_code": "req_counter",
         "submitted_on": "2020-02-10", "status": "cancelled"},
    ]
    targets = [{"kpi": "remote_read_rate", "branch_code": "", "valid_from": "2020-01-01", "valid_to": "2020-12-31",
                "target": 0.8, "direction": "higher"},
               {"kpi": "remote_read_rate", "branch_code": "PC08BB", "valid_from": "2020-01-01", "valid_to": "2020-12-31",
                "target": 0.6, "direction": "higher"}]
    annotations = [{"period": "2020-04-01", "branch_code": "", "text_vi": "Giãn cách xã hội", "text_en": "Social distancing"}]
    return {"branches": BRANCHES, "channels": CHANNELS, "customers": customers, "bills": bills,
            "payments": payments, "service_requests": requests, "targets": targets, "annotations": annotations}


def write_exports(folder: Path, tables: dict[str, list[dict]], delim: str = ",",
                  drop: dict[str, list[str]] | None = None) -> Path:
    """Write each table with the contract's columns (less `drop`), plus any extra key found in its rows. A column
    an export may leave out (branches.company_code) is left out when no row has it, as older exports do."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = [c.name for c in TABLES[name].columns if c.name not in (drop or {}).get(name, [])
                   and (c.default is None or any(c.name in r for r in rows))]
        columns += [k for k in dict.fromkeys(k for r in rows for k in r) if k not in TABLES[name].column_names]
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, delimiter=delim)
            writer.writeheader()
            for row in rows:
                writer.writerow({c: row.get(c, "") for c in columns})
    return folder


def tiny_warehouse(path: Path) -> Path:
    """A small warehouse file with the contract's shape, for tests of query files, check and the SQL sandbox:
    branches, branch_month and company_month (nine branches, 2019-01..2020-08, remote reads varying by branch
    and month), kpis, 300,000 bills (enough for a query that runs for minutes) and a view."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute("""
            create table branches as
            select 'PC08' || c || c as branch_code, 'Điện lực ' || c as branch_name, 'Huyện ' || c as district,
                   'PC08' as company_code
            from unnest(['A','B','C','D','E','F','G','H','I']) t(c)
        """)
        con.execute("""
            create table branch_month as
            select b.branch_code, p.period::date as period, 100::bigint as bills,
                   (month(p.period) + 10 * (ascii(b.branch_code[5]) - 65))::bigint as remote_reads,
                   (month(p.period) + 10 * (ascii(b.branch_code[5]) - 65)) / 100 as remote_read_rate
            from branches b,
                 (select unnest(generate_series(date '2019-01-01', date '2020-08-01', interval 1 month)) as period) p
        """)
        con.execute("""
            create table company_month as
            select 'PC08' as company_code, period, sum(bills) as bills, sum(remote_reads) as remote_reads,
                   sum(remote_reads) / sum(bills) as remote_read_rate
            from branch_month group by period
        """)
        con.execute("""
            create table kpis as select * from (values
                ('remote_read_rate', 'remote_read_rate', 'Hóa đơn ghi từ xa ÷ tổng số hóa đơn', 'Remote-read bills ÷ bills'),
                ('bills', 'bills', 'Số hóa đơn', 'Bills issued')
            ) t(kpi, column_name, description_vi, description_en)
        """)
        con.execute("""
            create table bills as
            select i as bill_id, 'PC08AA' || lpad(i::varchar, 7, '0') as customer_id,
                   date '2020-01-01' + to_months((i % 8)::int) as period, (i % 500)::double as kwh
            from range(300000) t(i)
        """)
        con.execute("create view latest_branch_month as select * from branch_month where period = date '2020-08-01'")
    finally:
        con.close()
    return path
