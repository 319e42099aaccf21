-- title: Danh mục chỉ tiêu
-- title_en: KPI catalogue
-- grain: one row per KPI
-- params: none
-- columns: kpi, family, sort_order, label_vi, label_en, unit, direction, column_name, description_vi, description_en
select kpi, family, sort_order, label_vi, label_en, unit, direction, column_name, description_vi, description_en
from kpis
order by sort_order
