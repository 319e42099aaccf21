-- title: Phiên bản dữ liệu
-- title_en: Data version
-- grain: one row
-- params: none
-- columns: version, built_at, first_period, latest_period, source_dir, source_files, row_counts
select version, built_at, first_period, latest_period, source_dir, source_files, row_counts
from data_version
