-- model: branch_month
-- materialized: table
-- grain: one row per branch_code and period
-- unique_key: branch_code, period
-- incremental: period
-- description: every KPI's numerator, denominator and ratio per branch and billing period (DESIGN.md,
--   "Warehouse"), with the branch's company. Ratios in 0..1, NULL when the denominator is 0.
-- tests: not_null(branch_code, company_code, period) relationships(branch_code -> branches.branch_code)
-- tests: accepted_range(phone_coverage, 0, 1) accepted_range(email_coverage, 0, 1)
-- tests: accepted_range(app_share, 0, 1) accepted_range(zalo_share, 0, 1)
-- tests: accepted_range(remote_capable_share, 0, 1) accepted_range(remote_read_rate, 0, 1)
-- tests: accepted_range(estimated_bill_rate, 0, 1) accepted_range(online_payment_share, 0, 1)
-- tests: accepted_range(online_amount_share, 0, 1) accepted_range(online_customer_share, 0, 1)
-- tests: accepted_range(online_request_share, 0, 1)
-- tests: accepted_range(estimate_abs_error_rate, 0, ) accepted_range(median_days_to_complete, 0, )
select branch_code, company_code, period, * exclude (branch_code, company_code, period) from stg_measures
where branch_code is not null
order by period, branch_code
