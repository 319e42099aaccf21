-- model: estimate_trueups
-- grain: one row per estimated bill
-- description: how each estimated bill was trued up. An estimate run (consecutive estimated bills of
--   one customer, ordered by period, read_on, bill_id) is closed by the customer's next bill read
--   remotely or manually; that bill's offset_kwh (actual - estimated) is split over the run's bills in
--   proportion to their kWh (equally when they sum to 0). A run not yet closed is pending.
--   The next real bill is found with an ASOF join on a sortable key, so only the real bills of customers
--   with estimates are sorted, not every bill.
with keyed as (
    -- (period, read_on, bill_id) packed into one HUGEINT that sorts the same way
    select bill_id, customer_id, period, read_method, kwh, offset_kwh,
        (date_diff('day', date '1970-01-01', period)::hugeint << 80)
        + (date_diff('day', date '1970-01-01', read_on)::hugeint << 64)
        + (bill_id::hugeint + 9223372036854775808) as bill_order
    from bills
),
estimates as (
    select * from keyed where read_method = 'estimated'
),
real_reads as (
    select k.customer_id, k.bill_order, k.bill_id, k.offset_kwh
    from keyed as k
    semi join estimates as e using (customer_id)
    where k.read_method <> 'estimated'
),
closed as (
    -- each estimate with the first real reading after it (none yet: pending)
    select e.bill_id, e.customer_id, e.period, e.kwh,
        r.bill_id as closed_by_bill_id, r.offset_kwh as run_offset_kwh
    from estimates as e
    asof left join real_reads as r
      on e.customer_id = r.customer_id and e.bill_order < r.bill_order
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
