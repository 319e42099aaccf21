-- title: Sự kiện (giãn cách, bão lũ, giá điện)
-- title_en: Events (lockdowns, storms, tariffs)
-- grain: one row per annotation
-- params: period_from, period_to
-- columns: period, branch_code, text_vi, text_en
select period, branch_code, text_vi, text_en
from annotations
where period between $period_from and $period_to
order by period, branch_code
