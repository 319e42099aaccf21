-- title: Phân bố sai lệch hóa đơn tạm tính
-- title_en: Distribution of estimate errors
-- grain: one row per error bin (5-point bins of (actual - estimated) / estimated, in %)
-- params: branches, period_from, period_to
-- columns: error_bin, estimates, estimated_kwh, offset_kwh
select error_bin, sum(estimates) as estimates, sum(estimated_kwh) as estimated_kwh, sum(offset_kwh) as offset_kwh
from estimate_error_month
where list_contains($branches, branch_code)
  and period between $period_from and $period_to
group by error_bin
order by error_bin
