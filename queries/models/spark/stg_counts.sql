-- model: stg_counts
-- materialized: staging
-- grain: one row per scope and period: each branch; each company (branch_code null); the corporation
--   (company_code and branch_code null)
-- unique_key: company_code, branch_code, period
-- incremental: period
-- description: every count behind the KPIs. A company's rows sum its branches' counts and the corporation's
--   sum every branch's, in one GROUPING SETS; only the median days to complete is taken afresh over all the
--   scope's requests (stg_request_medians): medians do not add up.
-- tests: not_null(period)

-- Spark: DuckDB's `union all by name` has no Spark SQL equal; both branches list the same columns in the same
-- order, so a plain UNION ALL is the same, and `is not distinct from` is Spark's `<=>`. Keep the column lists
-- in step with ../stg_counts.sql.
WITH branch_counts AS (
  SELECT
    bp.company_code,
    bp.branch_code,
    bp.period,
    cc.customers,
    cc.phone_customers,
    cc.email_customers,
    cc.app_customers,
    cc.zalo_customers,
    cc.remote_capable_customers,
    COALESCE(b.bills, 0) AS bills,
    COALESCE(b.remote_reads, 0) AS remote_reads,
    COALESCE(b.manual_reads, 0) AS manual_reads,
    COALESCE(b.estimated_bills, 0) AS estimated_bills,
    COALESCE(b.estimated_kwh, 0) AS estimated_kwh,
    COALESCE(b.trued_up_estimates, 0) AS trued_up_estimates,
    COALESCE(b.pending_estimates, 0) AS pending_estimates,
    COALESCE(b.trued_up_kwh, 0) AS trued_up_kwh,
    COALESCE(b.offset_kwh, 0) AS offset_kwh,
    COALESCE(b.abs_offset_kwh, 0) AS abs_offset_kwh,
    COALESCE(p.payments, 0) AS payments,
    COALESCE(p.online_payments, 0) AS online_payments,
    COALESCE(p.paid_vnd, 0) AS paid_vnd,
    COALESCE(p.online_paid_vnd, 0) AS online_paid_vnd,
    COALESCE(p.paying_customers, 0) AS paying_customers,
    COALESCE(p.online_paying_customers, 0) AS online_paying_customers,
    r.requests,
    r.online_requests,
    r.completed_requests,
    r.median_days_to_complete,
    r.open_requests,
    r.postponed_requests
  FROM stg_branch_periods AS bp
  JOIN stg_customer_counts AS cc
    USING (branch_code, period)
  JOIN stg_request_counts AS r
    USING (branch_code, period)
  LEFT JOIN stg_bill_counts AS b
    USING (branch_code, period)
  LEFT JOIN payment_counts AS p
    USING (branch_code, period)
), scope_counts AS (
  SELECT
    company_code,
    CAST(NULL AS STRING) AS branch_code,
    period,
    SUM(customers) AS customers,
    SUM(phone_customers) AS phone_customers,
    SUM(email_customers) AS email_customers,
    SUM(app_customers) AS app_customers,
    SUM(zalo_customers) AS zalo_customers,
    SUM(remote_capable_customers) AS remote_capable_customers,
    SUM(bills) AS bills,
    SUM(remote_reads) AS remote_reads,
    SUM(manual_reads) AS manual_reads,
    SUM(estimated_bills) AS estimated_bills,
    SUM(estimated_kwh) AS estimated_kwh,
    SUM(trued_up_estimates) AS trued_up_estimates,
    SUM(pending_estimates) AS pending_estimates,
    SUM(trued_up_kwh) AS trued_up_kwh,
    SUM(offset_kwh) AS offset_kwh,
    SUM(abs_offset_kwh) AS abs_offset_kwh,
    SUM(payments) AS payments,
    SUM(online_payments) AS online_payments,
    SUM(paid_vnd) AS paid_vnd,
    SUM(online_paid_vnd) AS online_paid_vnd,
    SUM(paying_customers) AS paying_customers,
    SUM(online_paying_customers) AS online_paying_customers,
    SUM(requests) AS requests,
    SUM(online_requests) AS online_requests,
    SUM(completed_requests) AS completed_requests,
    SUM(open_requests) AS open_requests,
    SUM(postponed_requests) AS postponed_requests
  FROM branch_counts
  GROUP BY GROUPING SETS ((company_code, period), (period))
), final AS (
  SELECT
    *
  FROM branch_counts
  UNION ALL
  SELECT
    s.company_code,
    s.branch_code,
    s.period,
    s.customers,
    s.phone_customers,
    s.email_customers,
    s.app_customers,
    s.zalo_customers,
    s.remote_capable_customers,
    s.bills,
    s.remote_reads,
    s.manual_reads,
    s.estimated_bills,
    s.estimated_kwh,
    s.trued_up_estimates,
    s.pending_estimates,
    s.trued_up_kwh,
    s.offset_kwh,
    s.abs_offset_kwh,
    s.payments,
    s.online_payments,
    s.paid_vnd,
    s.online_paid_vnd,
    s.paying_customers,
    s.online_paying_customers,
    s.requests,
    s.online_requests,
    s.completed_requests,
    m.median_days_to_complete,
    s.open_requests,
    s.postponed_requests
  FROM scope_counts AS s
  LEFT JOIN stg_request_medians AS m
    ON m.period = s.period AND m.company_code <=> s.company_code
)
SELECT
  *
FROM final
