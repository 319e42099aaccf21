-- model: stg_bill_counts
-- materialized: staging
-- grain: one row per branch and period (periods with bills only)
-- unique_key: branch_code, period
-- incremental: period
-- description: bills by read method, by the bill's period and the customer's branch, with the
--   true-up of the period's estimated bills.
with bills as (
    select b.period, c.branch_code, b.read_method, b.kwh
    from bills as b
    join customers as c using (customer_id)
),
bill_counts as (
    select branch_code, period,
        count(*) as bills,
        count(*) filter (where read_method = 'remote') as remote_reads,
        count(*) filter (where read_method = 'manual') as manual_reads,
        count(*) filter (where read_method = 'estimated') as estimated_bills,
        coalesce(sum(kwh) filter (where read_method = 'estimated'), 0) as estimated_kwh
    from bills
    group by all
),
trueups as (
    select branch_code, period,
        count(*) filter (where is_trued_up) as trued_up_estimates,
        count(*) filter (where not is_trued_up) as pending_estimates,
        coalesce(sum(kwh) filter (where is_trued_up), 0) as trued_up_kwh,
        coalesce(sum(offset_kwh), 0) as offset_kwh,
        coalesce(sum(abs(offset_kwh)), 0) as abs_offset_kwh
    from estimate_trueups
    group by all
),
final as (
    select bc.*,
        coalesce(t.trued_up_estimates, 0) as trued_up_estimates,
        coalesce(t.pending_estimates, 0) as pending_estimates,
        coalesce(t.trued_up_kwh, 0) as trued_up_kwh,
        coalesce(t.offset_kwh, 0) as offset_kwh,
        coalesce(t.abs_offset_kwh, 0) as abs_offset_kwh
    from bill_counts as bc
    left join trueups as t using (branch_code, period)
)
select * from final
