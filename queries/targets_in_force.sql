-- title: Kế hoạch áp dụng theo kỳ
-- title_en: Targets in force by period
-- grain: one row per KPI, scope (branch, or company when branch_code is null) and period
-- params: period_from, period_to
-- columns: kpi, branch_code, period, target, direction
select kpi, branch_code, period, target, direction
from target_month
where period between $period_from and $period_to
order by kpi, period, branch_code
