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
--   `keyed` is NOT MATERIALIZED: read three times, it would otherwise be written out whole (every bill: 192
--   million rows for the corporation, 13 GB spilled) where each reader needs only its own filtered rows.
--   The near join reads every bill and leaves the estimated ones out in its aggregates, and the three months
--   are an unnest in the select list: DuckDB then estimates the candidates (a third of the bills, by
--   read_method's three values) below the bills and builds its hash table on them. Filtered in the join,
--   the bills looked fewer than three times the estimates and the table was built on 188 million bills
--   (16 GB, spilling; 75-105 s against 26 s on the corporation).
-- tests: not_null(bill_id, customer_id, branch_code, period)
with keyed as not materialized (
    -- (period, read_on, bill_id) packed into one HUGEINT that sorts the same way; code (text) bill ids
    -- tie-break by their 64-bit hash instead: deterministic, and folded away for integer ids
    select bill_id, customer_id, period, read_method, kwh, offset_kwh,
        (date_diff('day', date '1970-01-01', period)::hugeint << 80)
        + (date_diff('day', date '1970-01-01', read_on)::hugeint << 64)
        + (case when typeof(bill_id) = 'BIGINT' then try_cast(bill_id as bigint)::hugeint + 9223372036854775808
                else hash(bill_id)::hugeint end) as bill_order
    from bills
),
estimates as (
    select * from keyed where read_method = 'estimated'
),
candidate_months as (
    -- where a closing bill usually is: the estimate's own month and the next two
    select e.bill_id, e.customer_id, e.bill_order, (e.period + to_months(unnest([0, 1, 2])))::date as period
    from estimates as e
),
near_closers as (
    select c.bill_id,
        arg_min(k.bill_id, k.bill_order) filter (where k.read_method <> 'estimated') as closed_by_bill_id,
        arg_min(k.offset_kwh, k.bill_order) filter (where k.read_method <> 'estimated') as run_offset_kwh
    from candidate_months as c
    join keyed as k
      on k.customer_id = c.customer_id and k.period = c.period and k.bill_order > c.bill_order
    group by c.bill_id
    having bool_or(k.read_method <> 'estimated')
),
unmatched as (
    select e.* from estimates as e anti join near_closers as n using (bill_id)
),
far_reads as (
    select k.customer_id, k.bill_order, k.bill_id, k.offset_kwh
    from keyed as k
    semi join (select distinct customer_id from unmatched) as u using (customer_id)
    where k.read_method <> 'estimated'
),
far_closers as (
    select u.bill_id, r.bill_id as closed_by_bill_id, r.offset_kwh as run_offset_kwh
    from unmatched as u
    asof left join far_reads as r
      on u.customer_id = r.customer_id and u.bill_order < r.bill_order
),
closed as (
    select e.bill_id, e.customer_id, e.period, e.kwh, c.closed_by_bill_id, c.run_offset_kwh
    from estimates as e
    join (select * from near_closers union all select * from far_closers) as c using (bill_id)
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
