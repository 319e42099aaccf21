-- model: company_month
-- materialized: table
-- grain: one row per company and period
-- unique_key: company_code, period
-- incremental: period
-- description: the same measures for each company: counts summed over its branches, ratios recomputed
--   from the summed numerators and denominators (never averaged), the median over all its requests. A
--   single-company export has one company (PC08), so one row per period as before.
-- tests: not_null(company_code, period) relationships(company_code -> companies.company_code)
-- tests: accepted_range(phone_coverage, 0, 1) accepted_range(email_coverage, 0, 1)
-- tests: accepted_range(app_share, 0, 1) accepted_range(zalo_share, 0, 1)
-- tests: accepted_range(remote_capable_share, 0, 1) accepted_range(remote_read_rate, 0, 1)
-- tests: accepted_range(estimated_bill_rate, 0, 1) accepted_range(online_payment_share, 0, 1)
-- tests: accepted_range(online_amount_share, 0, 1) accepted_range(online_customer_share, 0, 1)
-- tests: accepted_range(online_request_share, 0, 1)
-- tests: accepted_range(estimate_abs_error_rate, 0, ) accepted_range(median_days_to_complete, 0, )
select * exclude (branch_code) from stg_measures
where branch_code is null and company_code is not null
order by period, company_code
