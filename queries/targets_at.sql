-- title: Kế hoạch áp dụng tại một kỳ, kể cả kỳ chưa có số liệu
-- title_en: Targets in force at a period, periods without data included
-- grain: one row per KPI and scope (branch, or company when branch_code is null)
-- params: period
-- description: read from the targets table itself, not from target_month (which covers only the periods with
--   data), so that a target set for the future has a row: EVN's 2025 targets are those in force at 2025-12.
-- columns: kpi, branch_code, period, target, direction
select kpi, branch_code, $period::date as period, target, direction
from targets
where $period::date between date_trunc('month', valid_from) and valid_to
qualify row_number() over (partition by kpi, branch_code order by valid_from desc, target) = 1
order by kpi, branch_code
