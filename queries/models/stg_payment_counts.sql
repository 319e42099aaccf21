-- model: stg_payment_counts
-- grain: one row per branch and payment month
select branch_code, period,
    sum(payments) as payments,
    sum(online_payments) as online_payments,
    sum(paid_vnd) as paid_vnd,
    sum(online_paid_vnd) as online_paid_vnd,
    count(*) as paying_customers,
    count(*) filter (where online_payments > 0) as online_paying_customers
from stg_payment_facts
group by all
