-- model: branch_month
-- grain: one row per branch_code and period
-- description: every KPI's numerator, denominator and ratio per branch and billing period (DESIGN.md,
--   "Warehouse"). Ratios in 0..1, NULL when the denominator is 0.
select * from stg_measures
where branch_code is not null
order by period, branch_code
