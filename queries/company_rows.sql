-- title: Chỉ tiêu theo công ty và kỳ
-- title_en: Company KPIs by company and period
-- grain: one row per company and period
-- params: period_from, period_to
-- description: every measure of company_month for every company in the period range, with company names: the
--   corporation-level view ranks the companies with these.
select cm.*, c.company_name_vi, c.company_name_en
from company_month as cm
join companies as c using (company_code)
where cm.period between $period_from and $period_to
order by cm.period, cm.company_code
