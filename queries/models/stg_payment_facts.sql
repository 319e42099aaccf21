-- model: stg_payment_facts
-- grain: one row per customer and payment month
-- description: each customer's payments in a month (by paid_on), online and not, with the customer's
--   branch; the base of the payment measures (a paying customer is online when any payment that month was).
with payments as (
    select p.customer_id, date_trunc('month', p.paid_on)::date as period, p.amount_vnd, ch.is_online
    from payments as p
    join channels as ch using (channel_code)
),
final as (
    select c.branch_code, p.period, p.customer_id,
        count(*) as payments,
        count(*) filter (where p.is_online) as online_payments,
        sum(p.amount_vnd) as paid_vnd,
        coalesce(sum(p.amount_vnd) filter (where p.is_online), 0) as online_paid_vnd
    from payments as p
    join customers as c using (customer_id)
    group by all
)
select * from final
