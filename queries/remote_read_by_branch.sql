-- title: Tỷ lệ ghi chỉ số từ xa theo điện lực
-- title_en: Remote-read rate by branch
-- grain: one row per branch and period
-- params: branches, period_from, period_to
-- description: Share of each branch's bills read through the remote-reading system, per billing period.
-- columns: branch_code, period, remote_read_rate
select branch_code, period, remote_read_rate
from branch_month
where list_contains($branches, branch_code)
  and period between $period_from and $period_to
order by branch_code, period
