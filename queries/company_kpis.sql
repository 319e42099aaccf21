-- title: Chỉ tiêu toàn công ty theo kỳ
-- title_en: Company KPIs by period
-- grain: one row per period
-- params: company, period_from, period_to
-- description: every measure of one company (company_month) in the period range; with company empty (NULL),
--   the whole corporation's (corporation_month), which equals the company's when there is only one.
select * exclude (company_code)
from company_month
where company_code = $company
  and period between $period_from and $period_to
union all by name
select *
from corporation_month
where $company is null
  and period between $period_from and $period_to
order by period
