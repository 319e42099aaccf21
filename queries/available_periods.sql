-- title: Các kỳ có dữ liệu
-- title_en: Periods with data
-- grain: one row per period
-- params: none
-- columns: period
select period from corporation_month order by period
