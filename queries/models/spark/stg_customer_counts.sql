-- model: stg_customer_counts
-- materialized: staging
-- grain: one row per branch and period
-- unique_key: branch_code, period
-- description: active customers at period end and, of those, the ones with each contact or service on file.
--   A customer counts from the month of greatest(connected_on, registered_on) until the month of
--   disconnected_on, so each measure is a running sum of +1/-1 events: linear in customers, not
--   customers x periods. greatest() skips NULLs in DuckDB, hence the explicit if(): never registered
--   means never counted (UNPIVOT then drops the NULL starts).

-- Spark: the same model in Spark SQL. DuckDB's statement forms `unpivot (…) on … into name … value …` and
-- `pivot … on … using … group by …` are written in Spark's form (`from … unpivot (value for name in (…))`,
-- `from … pivot (sum(delta) for measure in (…))`); both drop the NULL starts. Keep in step with
-- ../stg_customer_counts.sql.
with customers as (
    select branch_code, connected_on, disconnected_on,
           phone_registered_on, email_registered_on, app_registered_on,
           zalo_registered_on, remote_meter_since
    from customers
),
starts as (
    select branch_code, disconnected_on, measure, counts_from
    from (
        select branch_code, disconnected_on,
               connected_on as customers,
               if(phone_registered_on is null, null, greatest(connected_on, phone_registered_on)) as phone_customers,
               if(email_registered_on is null, null, greatest(connected_on, email_registered_on)) as email_customers,
               if(app_registered_on is null, null, greatest(connected_on, app_registered_on)) as app_customers,
               if(zalo_registered_on is null, null, greatest(connected_on, zalo_registered_on)) as zalo_customers,
               if(remote_meter_since is null, null, greatest(connected_on, remote_meter_since)) as remote_capable_customers
        from customers
    )
    unpivot exclude nulls (counts_from for measure in (customers, phone_customers, email_customers, app_customers,
                                                       zalo_customers, remote_capable_customers))
),
events as (
    select branch_code, measure, counts_from as on_day, 1 as delta from starts
    union all
    select branch_code, measure, greatest(counts_from, disconnected_on), -1
    from starts where disconnected_on is not null
),
bounds as (
    select min(period) as first_period, max(period) as last_period from stg_periods
),
monthly as (
    select e.branch_code, e.measure,
           greatest(cast(date_trunc('MONTH', e.on_day) as date), bounds.first_period) as period,
           sum(e.delta) as delta
    from events as e, bounds
    where cast(date_trunc('MONTH', e.on_day) as date) <= bounds.last_period
    group by all
),
wide as (
    select * from monthly
    pivot (sum(delta) for measure in ('customers' as customers, 'phone_customers' as phone_customers,
                                      'email_customers' as email_customers, 'app_customers' as app_customers,
                                      'zalo_customers' as zalo_customers,
                                      'remote_capable_customers' as remote_capable_customers))
),
final as (
    select bp.branch_code, bp.period,
        cast(sum(coalesce(w.customers, 0)) over running as bigint) as customers,
        cast(sum(coalesce(w.phone_customers, 0)) over running as bigint) as phone_customers,
        cast(sum(coalesce(w.email_customers, 0)) over running as bigint) as email_customers,
        cast(sum(coalesce(w.app_customers, 0)) over running as bigint) as app_customers,
        cast(sum(coalesce(w.zalo_customers, 0)) over running as bigint) as zalo_customers,
        cast(sum(coalesce(w.remote_capable_customers, 0)) over running as bigint) as remote_capable_customers
    from stg_branch_periods as bp
    left join wide as w using (branch_code, period)
    window running as (partition by bp.branch_code order by bp.period rows between unbounded preceding and current row)
)
select * from final
