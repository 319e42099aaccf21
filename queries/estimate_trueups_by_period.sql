-- title: Bù trừ hóa đơn tạm tính theo kỳ
-- title_en: Estimate true-ups by period
-- grain: one row per period (of the estimated bills), the chosen branches summed
-- params: branches, period_from, period_to
-- description: estimated bills, how many were trued up by a later real reading and how many still wait, and
--   the true-up in kWh: offset_kwh signed (actual − estimated, positive when estimates were too low) and
--   abs_offset_kwh absolute, for the estimate bias and error charts of the metering page.
-- columns: period, estimated_bills, trued_up_estimates, pending_estimates, estimated_kwh, trued_up_kwh, offset_kwh, abs_offset_kwh
select period,
    sum(estimated_bills)::bigint as estimated_bills,
    sum(trued_up_estimates)::bigint as trued_up_estimates,
    sum(pending_estimates)::bigint as pending_estimates,
    sum(estimated_kwh) as estimated_kwh,
    sum(trued_up_kwh) as trued_up_kwh,
    sum(offset_kwh) as offset_kwh,
    sum(abs_offset_kwh) as abs_offset_kwh
from branch_month
where list_contains($branches, branch_code)
  and period between $period_from and $period_to
group by period
order by period
