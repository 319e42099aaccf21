-- title: Danh sách điện lực
-- title_en: Branches
-- grain: one row per branch
-- params: none
-- columns: branch_code, branch_name, district, company_code
select branch_code, branch_name, district, company_code from branches order by branch_code
