-- title: Chỉ tiêu theo điện lực và kỳ
-- title_en: Branch KPIs by period
-- grain: one row per branch and period
-- params: branches, period_from, period_to
-- description: every measure of branch_month for the chosen branches and period range, with branch names.
select bm.*, b.branch_name
from branch_month as bm
join branches as b using (branch_code)
where list_contains($branches, bm.branch_code)
  and bm.period between $period_from and $period_to
order by bm.period, bm.branch_code
