-- model: payment_counts
-- materialized: table
-- grain: one row per branch and payment month
-- unique_key: branch_code, period
-- incremental: period
-- description: payments by the month of paid_on and the customer's branch, for the months of the bills
--   (stg_periods). Payments and amounts are summed from payment_channel_month. A paying customer is online
--   when any of its payments that month was online. Counting customers needs each customer's months, which
--   are kept as bits rather than rows: one row per customer and year whose bit m - 1 is set when it paid in
--   month m (online_months: paid online). That is 16 million rows for the corporation's 4 million customers
--   where one row per customer and month would be 170 million, and only those rows meet the join to the
--   customer's branch, not the 194 million payments.
--   Kept in the warehouse (a few hundred rows) so that a monthly load that recomputes earlier months' bill
--   counts (true-ups) reads their payment counts instead of recounting their payments.
with paid_months as (
    select p.customer_id, year(p.paid_on) as year,
        bit_or(1 << (month(p.paid_on) - 1)) as paid_months,
        coalesce(bit_or(1 << (month(p.paid_on) - 1)) filter (where ch.is_online), 0) as online_months
    from payments as p
    join channels as ch using (channel_code)
    group by p.customer_id, year(p.paid_on)
),
customer_counts as (
    select c.branch_code, make_date(m.year, k.month, 1) as period,
        count(*) filter (where (m.paid_months >> (k.month - 1)) & 1 = 1) as paying_customers,
        count(*) filter (where (m.online_months >> (k.month - 1)) & 1 = 1) as online_paying_customers
    from paid_months as m
    join customers as c using (customer_id)
    cross join (values (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) as k(month)
    group by c.branch_code, make_date(m.year, k.month, 1)
),
payment_sums as (
    select branch_code, period,
        sum(payments) as payments,
        coalesce(sum(payments) filter (where is_online), 0) as online_payments,
        sum(paid_vnd) as paid_vnd,
        coalesce(sum(paid_vnd) filter (where is_online), 0) as online_paid_vnd
    from payment_channel_month
    group by branch_code, period
),
final as (
    select s.branch_code, s.period, s.payments, s.online_payments, s.paid_vnd, s.online_paid_vnd,
        c.paying_customers, c.online_paying_customers
    from payment_sums as s
    join customer_counts as c using (branch_code, period)
)
select * from final
