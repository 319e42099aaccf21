-- model: corporation_month
-- materialized: table
-- grain: one row per period
-- unique_key: period
-- incremental: period
-- description: the same measures for the corporation, every company together: counts summed over all
--   branches, ratios recomputed from the sums, the median over all requests. With one company it equals
--   company_month.
-- tests: not_null(period)
-- tests: accepted_range(phone_coverage, 0, 1) accepted_range(email_coverage, 0, 1)
-- tests: accepted_range(app_share, 0, 1) accepted_range(zalo_share, 0, 1)
-- tests: accepted_range(remote_capable_share, 0, 1) accepted_range(remote_read_rate, 0, 1)
-- tests: accepted_range(estimated_bill_rate, 0, 1) accepted_range(online_payment_share, 0, 1)
-- tests: accepted_range(online_amount_share, 0, 1) accepted_range(online_customer_share, 0, 1)
-- tests: accepted_range(online_request_share, 0, 1)
-- tests: accepted_range(estimate_abs_error_rate, 0, ) accepted_range(median_days_to_complete, 0, )
select * exclude (company_code, branch_code) from stg_measures
where company_code is null
order by period
