-- model: request_channel_month
-- materialized: table
-- grain: one row per branch_code, period (month submitted), channel_code and request_type
-- unique_key: branch_code, period, channel_code, request_type
-- incremental: period
-- description: service requests by channel and type, with completions, for the services page.
-- tests: not_null(branch_code, period, channel_code, request_type)
-- tests: relationships(channel_code -> channels.channel_code)
select r.branch_code, date_trunc('month', r.submitted_on)::date as period, r.channel_code, r.request_type,
    ch.is_online,
    count(*) as requests,
    count(*) filter (where r.status = 'completed') as completed_requests,
    avg(date_diff('day', r.submitted_on, r.completed_on)) filter (where r.status = 'completed') as mean_days_to_complete
from service_requests as r
join channels as ch using (channel_code)
where date_trunc('month', r.submitted_on) between (select min(period) from stg_periods)
                                              and (select max(period) from stg_periods)
group by all
order by period, branch_code, channel_code, request_type
