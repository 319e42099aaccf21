-- model: payment_channel_month
-- materialized: table
-- grain: one row per branch_code, period (month of paid_on) and channel_code
-- unique_key: branch_code, period, channel_code
-- incremental: period
-- description: the payment channel mix, for the channel charts.
-- tests: not_null(branch_code, period, channel_code)
-- tests: relationships(channel_code -> channels.channel_code)
select c.branch_code, date_trunc('month', p.paid_on)::date as period, p.channel_code,
    ch.is_online,
    count(*) as payments,
    sum(p.amount_vnd) as paid_vnd
from payments as p
join customers as c using (customer_id)
join channels as ch using (channel_code)
where date_trunc('month', p.paid_on) between (select min(period) from stg_periods)
                                          and (select max(period) from stg_periods)
group by all
order by period, branch_code, channel_code
