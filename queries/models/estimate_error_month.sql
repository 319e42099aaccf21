-- model: estimate_error_month
-- materialized: table
-- grain: one row per branch_code, period (of the estimated bill) and error_bin
-- unique_key: branch_code, period, error_bin
-- incremental: period
-- description: the distribution of estimate errors: each trued-up estimated bill's share of the true-up
--   as a percent of its estimated kWh, in 5-point bins (-50 means -50 % to -45 %), clamped to ±50 %.
-- tests: not_null(branch_code, period, error_bin) accepted_range(error_bin, -50, 50)
with trued as (
    select branch_code, period, kwh, offset_kwh,
        case when kwh > 0 then 100 * offset_kwh / kwh end as error_pct
    from estimate_trueups
    where is_trued_up
),
final as (
    select branch_code, period,
        cast(least(greatest(floor(error_pct / 5) * 5, -50), 50) as integer) as error_bin,
        count(*) as estimates,
        sum(kwh) as estimated_kwh,
        sum(offset_kwh) as offset_kwh
    from trued
    where error_pct is not null
    group by all
)
select * from final order by period, branch_code, error_bin
