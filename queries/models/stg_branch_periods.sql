-- model: stg_branch_periods
-- materialized: staging
-- grain: one row per branch and period (every pair, so months with no activity still get a row), with the
--   branch's company
-- unique_key: branch_code, period
select b.branch_code, b.company_code, p.period, p.period_end
from branches as b
cross join stg_periods as p
