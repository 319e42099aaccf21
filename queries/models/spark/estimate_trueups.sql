-- model: estimate_trueups
-- materialized: table
-- grain: one row per estimated bill
-- unique_key: bill_id
-- incremental: customer_id
-- final_when: is_trued_up
-- description: how each estimated bill was trued up. An estimate run (consecutive estimated bills of
--   one customer, ordered by period, read_on, bill_id) is closed by the customer's next bill read
--   remotely or manually; that bill's offset_kwh (actual - estimated) is split over the run's bills in
--   proportion to their kWh (equally when they sum to 0). A run not yet closed is pending.
--   Speed: the closing bill is nearly always in the estimate's own or the next two months, found with a hash
--   join on (customer, month); a match there is the first real reading overall, since later months sort
--   after it. Only the few estimates without one are looked up (ASOF join) among all later reads.
-- tests: not_null(bill_id, customer_id, branch_code, period)

-- Spark: no ASOF join, no HUGEINT and no DuckDB hash(); the same rule written as a window: each bill's closer is
-- the first bill after it, in (period, read_on, id) order, that was read remotely or manually. Integer ids order
-- as in ../estimate_trueups.sql (by value), so the results are equal; code (text) ids order by Spark's xxhash64
-- instead of DuckDB's hash(), which differs only for two bills of one customer and period read on the same day
-- (dashboard/spark_engine.py). Keep the runs and final CTEs in step with ../estimate_trueups.sql.
with keyed as (
    select bill_id, customer_id, period, read_on, read_method, kwh, offset_kwh,
        case when typeof(bill_id) = 'bigint' then try_cast(bill_id as bigint)
             else xxhash64(cast(bill_id as string)) end as bill_key
    from bills
),
ordered as (
    select *,
        first(case when read_method <> 'estimated'
                   then named_struct('bill_id', bill_id, 'offset_kwh', offset_kwh) end, true)
            over (partition by customer_id order by period, read_on, bill_key
                  rows between 1 following and unbounded following) as closer
    from keyed
),
closed as (
    select bill_id, customer_id, period, kwh,
        closer.bill_id as closed_by_bill_id, closer.offset_kwh as run_offset_kwh
    from ordered
    where read_method = 'estimated'
),
runs as (
    select *,
        sum(kwh) over run as run_kwh,
        count(*) over run as run_bills
    from closed
    window run as (partition by customer_id, closed_by_bill_id)
),
customers as (
    select customer_id, branch_code from customers
),
final as (
    select r.bill_id, r.customer_id, c.branch_code, r.period, r.kwh,
        r.closed_by_bill_id,
        r.closed_by_bill_id is not null as is_trued_up,
        case when r.closed_by_bill_id is null then null
             when r.run_kwh = 0 then r.run_offset_kwh / r.run_bills
             else r.run_offset_kwh * r.kwh / r.run_kwh end as offset_kwh
    from runs as r
    join customers as c using (customer_id)
)
select * from final
