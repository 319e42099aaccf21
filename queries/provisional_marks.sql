-- title: Số liệu tạm tính
-- title_en: Provisional figures
-- grain: one row per branch, period and check
-- params: branches, period_from, period_to
-- description: the figures a monthly load published with a warning (dashboard/monthcheck.py): a branch's
--   figures for a period stay provisional until a later load of that period passes its checks. kpi names
--   the one KPI a check is about (a KPI that moved far beyond its history), empty when it is about all of
--   the branch's figures (bills missing or far too few). The company's figures for a period are
--   provisional when any branch's are.
select p.branch_code, b.branch_name, p.period, p.check_name, p.kpi, p.message_vi, p.message_en
from provisional as p
join branches as b using (branch_code)
where list_contains($branches, p.branch_code)
  and p.period between $period_from and $period_to
order by p.period, p.branch_code, p.check_name, p.kpi
