-- model: stg_request_counts
-- materialized: staging
-- grain: one row per branch and period
-- unique_key: branch_code, period
-- description: requests by month submitted; completed requests by month completed; open and postponed
--   requests at period end.
with requests as (
    select r.*, ch.is_online from service_requests as r join channels as ch using (channel_code)
),
submitted as (
    select branch_code, date_trunc('month', submitted_on)::date as period,
        count(*) as requests, count(*) filter (where is_online) as online_requests
    from requests group by all
),
completed as (
    select branch_code, date_trunc('month', completed_on)::date as period,
        count(*) as completed_requests,
        quantile_cont(date_diff('day', submitted_on, completed_on), 0.5) as median_days_to_complete
    from requests
    where status = 'completed' and completed_on is not null
    group by all
),
open_at_end as (
    select bp.branch_code, bp.period,
        count(r.request_id) as open_requests,
        count(r.request_id) filter (where r.postponed_on <= bp.period_end) as postponed_requests
    from stg_branch_periods as bp
    join requests as r
      on r.branch_code = bp.branch_code
     and r.submitted_on <= bp.period_end
     and (r.completed_on is null or r.completed_on > bp.period_end)
     and r.status <> 'cancelled'
    group by all
),
final as (
    select bp.branch_code, bp.period,
        coalesce(s.requests, 0) as requests,
        coalesce(s.online_requests, 0) as online_requests,
        coalesce(c.completed_requests, 0) as completed_requests,
        c.median_days_to_complete,
        coalesce(o.open_requests, 0) as open_requests,
        coalesce(o.postponed_requests, 0) as postponed_requests
    from stg_branch_periods as bp
    left join submitted as s using (branch_code, period)
    left join completed as c using (branch_code, period)
    left join open_at_end as o using (branch_code, period)
)
select * from final
