-- model: stg_measures
-- materialized: staging
-- grain: one row per scope (branch; company with branch_code null; corporation with company_code null too)
--   and period
-- unique_key: company_code, branch_code, period
-- incremental: period
-- description: the one place where every KPI ratio is defined: numerator over denominator, NULL when the
--   denominator is 0. branch_month, company_month and corporation_month all read it, so their ratios cannot
--   drift apart.
with counts as (
    select * from stg_counts
),
final as (
    select
        company_code, branch_code, period,
        cast(customers as bigint) as customers,
        cast(phone_customers as bigint) as phone_customers,
        phone_customers / nullif(customers, 0) as phone_coverage,
        cast(email_customers as bigint) as email_customers,
        email_customers / nullif(customers, 0) as email_coverage,
        cast(app_customers as bigint) as app_customers,
        app_customers / nullif(customers, 0) as app_share,
        cast(zalo_customers as bigint) as zalo_customers,
        zalo_customers / nullif(customers, 0) as zalo_share,
        cast(remote_capable_customers as bigint) as remote_capable_customers,
        remote_capable_customers / nullif(customers, 0) as remote_capable_share,
        cast(bills as bigint) as bills,
        cast(remote_reads as bigint) as remote_reads,
        cast(manual_reads as bigint) as manual_reads,
        cast(estimated_bills as bigint) as estimated_bills,
        remote_reads / nullif(bills, 0) as remote_read_rate,
        estimated_bills / nullif(bills, 0) as estimated_bill_rate,
        cast(estimated_kwh as double) as estimated_kwh,
        cast(trued_up_estimates as bigint) as trued_up_estimates,
        cast(pending_estimates as bigint) as pending_estimates,
        cast(trued_up_kwh as double) as trued_up_kwh,
        cast(offset_kwh as double) as offset_kwh,
        cast(abs_offset_kwh as double) as abs_offset_kwh,
        abs_offset_kwh / nullif(trued_up_kwh, 0) as estimate_abs_error_rate,
        cast(payments as bigint) as payments,
        cast(online_payments as bigint) as online_payments,
        online_payments / nullif(payments, 0) as online_payment_share,
        cast(paid_vnd as bigint) as paid_vnd,
        cast(online_paid_vnd as bigint) as online_paid_vnd,
        online_paid_vnd / nullif(paid_vnd, 0) as online_amount_share,
        cast(paying_customers as bigint) as paying_customers,
        cast(online_paying_customers as bigint) as online_paying_customers,
        online_paying_customers / nullif(paying_customers, 0) as online_customer_share,
        cast(requests as bigint) as requests,
        cast(online_requests as bigint) as online_requests,
        online_requests / nullif(requests, 0) as online_request_share,
        cast(completed_requests as bigint) as completed_requests,
        cast(median_days_to_complete as double) as median_days_to_complete,
        cast(open_requests as bigint) as open_requests,
        cast(postponed_requests as bigint) as postponed_requests
    from counts
)
select * from final
