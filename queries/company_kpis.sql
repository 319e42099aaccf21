-- title: Chỉ tiêu toàn công ty theo kỳ
-- title_en: Company KPIs by period
-- grain: one row per period
-- params: period_from, period_to
-- description: every measure of company_month in the period range.
select *
from company_month
where period between $period_from and $period_to
order by period
