-- model: stg_counts
-- materialized: staging
-- grain: one row per scope and period: each branch; each company (branch_code null); the corporation
--   (company_code and branch_code null)
-- unique_key: company_code, branch_code, period
-- incremental: period
-- description: every count behind the KPIs. A company's rows sum its branches' counts and the corporation's
--   sum every branch's, in one GROUPING SETS; only the median days to complete is taken afresh over all the
--   scope's requests (stg_request_medians): medians do not add up.
-- tests: not_null(period)
with branch_counts as (
    select bp.company_code, bp.branch_code, bp.period,
        cc.customers, cc.phone_customers, cc.email_customers, cc.app_customers, cc.zalo_customers,
        cc.remote_capable_customers,
        coalesce(b.bills, 0) as bills,
        coalesce(b.remote_reads, 0) as remote_reads,
        coalesce(b.manual_reads, 0) as manual_reads,
        coalesce(b.estimated_bills, 0) as estimated_bills,
        coalesce(b.estimated_kwh, 0) as estimated_kwh,
        coalesce(b.trued_up_estimates, 0) as trued_up_estimates,
        coalesce(b.pending_estimates, 0) as pending_estimates,
        coalesce(b.trued_up_kwh, 0) as trued_up_kwh,
        coalesce(b.offset_kwh, 0) as offset_kwh,
        coalesce(b.abs_offset_kwh, 0) as abs_offset_kwh,
        coalesce(p.payments, 0) as payments,
        coalesce(p.online_payments, 0) as online_payments,
        coalesce(p.paid_vnd, 0) as paid_vnd,
        coalesce(p.online_paid_vnd, 0) as online_paid_vnd,
        coalesce(p.paying_customers, 0) as paying_customers,
        coalesce(p.online_paying_customers, 0) as online_paying_customers,
        r.requests, r.online_requests, r.completed_requests, r.median_days_to_complete,
        r.open_requests, r.postponed_requests
    from stg_branch_periods as bp
    join stg_customer_counts as cc using (branch_code, period)
    join stg_request_counts as r using (branch_code, period)
    left join stg_bill_counts as b using (branch_code, period)
    left join payment_counts as p using (branch_code, period)
),
scope_counts as (
    select company_code, null::varchar as branch_code, period,
        sum(customers) as customers, sum(phone_customers) as phone_customers,
        sum(email_customers) as email_customers, sum(app_customers) as app_customers,
        sum(zalo_customers) as zalo_customers, sum(remote_capable_customers) as remote_capable_customers,
        sum(bills) as bills, sum(remote_reads) as remote_reads, sum(manual_reads) as manual_reads,
        sum(estimated_bills) as estimated_bills, sum(estimated_kwh) as estimated_kwh,
        sum(trued_up_estimates) as trued_up_estimates, sum(pending_estimates) as pending_estimates,
        sum(trued_up_kwh) as trued_up_kwh, sum(offset_kwh) as offset_kwh, sum(abs_offset_kwh) as abs_offset_kwh,
        sum(payments) as payments, sum(online_payments) as online_payments,
        sum(paid_vnd) as paid_vnd, sum(online_paid_vnd) as online_paid_vnd,
        sum(paying_customers) as paying_customers, sum(online_paying_customers) as online_paying_customers,
        sum(requests) as requests, sum(online_requests) as online_requests,
        sum(completed_requests) as completed_requests,
        sum(open_requests) as open_requests, sum(postponed_requests) as postponed_requests
    from branch_counts
    group by grouping sets ((company_code, period), (period))
),
final as (
    select * from branch_counts
    union all by name
    select s.*, m.median_days_to_complete
    from scope_counts as s
    left join stg_request_medians as m
      on m.period = s.period and m.company_code is not distinct from s.company_code
)
select * from final
