-- model: payment_counts
-- materialized: table
-- grain: one row per branch and payment month
-- unique_key: branch_code, period
-- incremental: period
-- description: payments by the month of paid_on and the customer's branch. A paying customer is online
--   when any of its payments that month was online, so payments are first grouped per customer and month
--   (kept in a CTE: materializing 12 million customer-months costs more than it saves). Customers are
--   grouped by a small integer key rather than their 13-character id: less state, less spilling at scale.
--   Kept in the warehouse (a few hundred rows) so that a monthly load that recomputes earlier months' bill
--   counts (true-ups) reads their payment counts instead of recounting their payments.
with customers as (
    select customer_id, branch_code, row_number() over () as customer_key from customers
),
payments as (
    select p.customer_id, date_trunc('month', p.paid_on)::date as period, p.amount_vnd, ch.is_online
    from payments as p
    join channels as ch using (channel_code)
),
customer_months as (
    select c.branch_code, p.period, c.customer_key,
        count(*) as payments,
        count(*) filter (where p.is_online) as online_payments,
        sum(p.amount_vnd) as paid_vnd,
        coalesce(sum(p.amount_vnd) filter (where p.is_online), 0) as online_paid_vnd
    from payments as p
    join customers as c using (customer_id)
    group by all
),
final as (
    select branch_code, period,
        sum(payments) as payments,
        sum(online_payments) as online_payments,
        sum(paid_vnd) as paid_vnd,
        sum(online_paid_vnd) as online_paid_vnd,
        count(*) as paying_customers,
        count(*) filter (where online_payments > 0) as online_paying_customers
    from customer_months
    group by all
)
select * from final
