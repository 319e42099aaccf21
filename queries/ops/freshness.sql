-- title: Độ mới của dữ liệu theo điện lực và bảng
-- title_en: Data freshness by branch and table
-- grain: one row per branch and fact table (bills, payments, service_requests)
-- params: none
-- description: for each branch, the latest period in which it has rows of each fact table and how many,
--   beside the company's latest period for that table (the latest in which any branch has rows). Read from
--   branch_month's counts: bills by the customer's branch, payments by the month paid, requests by the month
--   submitted. rows_before: the fewest rows the branch had in one of the three periods before the company's
--   latest (0: a table it does not always have rows in, such as a small branch's requests). Used by the
--   operations page (dashboard/operations.py, freshness); lateness is worked out there from the audit log.
-- columns: branch_code, branch_name, source_table, latest_period, latest_rows, company_latest, rows_before
with counts as (
    select branch_code, period, 'bills' as source_table, bills as row_count from branch_month
    union all
    select branch_code, period, 'payments' as source_table, payments as row_count from branch_month
    union all
    select branch_code, period, 'service_requests' as source_table, requests as row_count from branch_month
),

latest as (
    select branch_code, source_table, max(period) filter (where row_count > 0) as latest_period
    from counts
    group by branch_code, source_table
),

company as (
    select source_table, max(latest_period) as company_latest
    from latest
    group by source_table
),

before as (
    select c.branch_code, c.source_table, min(c.row_count) as rows_before
    from counts as c
    join company as co using (source_table)
    where c.period < co.company_latest and c.period >= co.company_latest - interval 3 month
    group by c.branch_code, c.source_table
),

final as (
    select
        b.branch_code,
        b.branch_name,
        l.source_table,
        l.latest_period::date as latest_period,
        coalesce(c.row_count, 0) as latest_rows,
        co.company_latest::date as company_latest,
        coalesce(bf.rows_before, 0) as rows_before
    from branches as b
    join latest as l using (branch_code)
    join company as co using (source_table)
    left join counts as c
        on c.branch_code = l.branch_code and c.source_table = l.source_table and c.period = l.latest_period
    left join before as bf
        on bf.branch_code = l.branch_code and bf.source_table = l.source_table
)

select * from final
order by source_table, branch_code
