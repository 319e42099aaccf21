-- model: stg_request_medians
-- materialized: staging
-- grain: one row per company and period (month completed), and per period for the corporation (company_code
--   null)
-- unique_key: company_code, period
-- description: the median days from submission to completion over all requests completed in the month, for
--   each company and for the corporation. Medians do not add up from branches, so the figures above a branch
--   are taken afresh here (stg_counts reads them); kept apart so that stg_counts reads only per-period inputs
--   and can be recomputed by period.
with completed as (
    select b.company_code, date_trunc('month', r.completed_on)::date as period,
        date_diff('day', r.submitted_on, r.completed_on) as days
    from service_requests as r
    join branches as b using (branch_code)
    where r.status = 'completed' and r.completed_on is not null
)
select company_code, period, quantile_cont(days, 0.5) as median_days_to_complete
from completed
group by grouping sets ((company_code, period), (period))
