-- model: stg_periods
-- materialized: staging
-- grain: one row per billing period (first of month), from the first to the last period in bills
-- unique_key: period
-- tests: not_null(period, period_end)
with bounds as (
    select min(period) as first_period, max(period) as last_period from bills
),
final as (
    select cast(unnest(generate_series(first_period, last_period, interval 1 month)) as date) as period
    from bounds
)
select period, last_day(period) as period_end from final
