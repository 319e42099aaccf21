-- model: stg_request_medians
-- materialized: staging
-- grain: one row per period (month completed)
-- unique_key: period
-- description: the company's median days from submission to completion, over all requests completed in
--   the month. Medians do not add up from branches, so the company figure is taken afresh here (stg_counts
--   reads it); kept apart so that stg_counts reads only per-period inputs and can be recomputed by period.
select date_trunc('month', completed_on)::date as period,
    quantile_cont(date_diff('day', submitted_on, completed_on), 0.5) as median_days_to_complete
from service_requests
where status = 'completed' and completed_on is not null
group by all
