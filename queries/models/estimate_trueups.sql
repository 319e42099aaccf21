-- model: estimate_trueups
-- grain: one row per estimated bill
-- description: how each estimated bill was trued up. An estimate run (consecutive estimated bills of
--   one customer, ordered by period, read_on, bill_id) is closed by the customer's next bill read
--   remotely or manually; that bill's offset_kwh (actual - estimated) is split over the run's bills in
--   proportion to their kWh (equally when they sum to 0). A run not yet closed is pending.
with bills as (
    select bill_id, customer_id, period, read_on, read_method, kwh, offset_kwh from bills
),
customers as (
    select customer_id, branch_code from customers
),
estimating_customers as (
    select distinct customer_id from bills where read_method = 'estimated'
),
ordered as (
    -- real bills at or after each bill: an estimate run and the real bill that closes it share a value
    select b.*,
        count(*) filter (where b.read_method <> 'estimated') over (
            partition by b.customer_id order by b.period desc, b.read_on desc, b.bill_id desc
            rows unbounded preceding) as reals_from_here
    from bills as b
    semi join estimating_customers as e using (customer_id)
),
runs as (
    select customer_id, reals_from_here,
        sum(kwh) filter (where read_method = 'estimated') as run_kwh,
        count(*) filter (where read_method = 'estimated') as run_bills,
        any_value(offset_kwh) filter (where read_method <> 'estimated') as run_offset_kwh,
        any_value(bill_id) filter (where read_method <> 'estimated') as closed_by_bill_id
    from ordered
    group by all
),
final as (
    select o.bill_id, o.customer_id, c.branch_code, o.period, o.kwh,
        r.closed_by_bill_id,
        r.closed_by_bill_id is not null as is_trued_up,
        case when r.closed_by_bill_id is null then null
             when r.run_kwh = 0 then r.run_offset_kwh / r.run_bills
             else r.run_offset_kwh * o.kwh / r.run_kwh end as offset_kwh
    from ordered as o
    join runs as r using (customer_id, reals_from_here)
    join customers as c using (customer_id)
    where o.read_method = 'estimated'
)
select * from final
