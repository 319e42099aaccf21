-- title: Danh sách công ty điện lực
-- title_en: Power companies
-- grain: one row per company that has branches
-- params: none
-- columns: company_code, company_name_vi, company_name_en, province
select c.company_code, c.company_name_vi, c.company_name_en, c.province
from companies as c
where c.company_code in (select company_code from branches)
order by c.company_code
