-- title: Chỉ tiêu thay đổi giữa hai phiên bản dữ liệu
-- title_en: KPI values that moved between two data versions
-- grain: one row per KPI, branch (scope company: branch_code holds the company's code, empty in a version built
--   before the corporation level) and period whose value differs
-- params: kpi_columns, tolerance
-- description: runs on an in-memory DuckDB with two warehouse files attached read-only as `older` and
--   `newer` (dashboard/operations.py, what_changed), not on the published warehouse, so it is kept out of
--   the page-query catalogue. kpi_columns: the branch_month columns of the KPIs present in both versions.
--   A value differs when one side is NULL and the other not, or when they differ by more than `tolerance`
--   relative to the larger (floating-point sums may be added in another order). change_kind: changed, or
--   added / removed for a period present in only one version.
-- columns: scope, branch_code, branch_name, period, column_name, old_value, new_value, change_kind
with older_wide as (
    select 'branch' as scope, branch_code, period, columns(lambda c: list_contains($kpi_columns, c))::double
    from older.branch_month
    union all by name
    select 'company' as scope, json_extract_string(to_json(cm), '$.company_code') as branch_code, period,
        columns(lambda c: list_contains($kpi_columns, c))::double
    from older.company_month as cm
),

newer_wide as (
    select 'branch' as scope, branch_code, period, columns(lambda c: list_contains($kpi_columns, c))::double
    from newer.branch_month
    union all by name
    select 'company' as scope, json_extract_string(to_json(cm), '$.company_code') as branch_code, period,
        columns(lambda c: list_contains($kpi_columns, c))::double
    from newer.company_month as cm
),

older_long as (
    from older_wide
    unpivot include nulls (old_value for column_name in (columns(* exclude (scope, branch_code, period))))
),

newer_long as (
    from newer_wide
    unpivot include nulls (new_value for column_name in (columns(* exclude (scope, branch_code, period))))
),

older_periods as (select distinct period from older.company_month),

newer_periods as (select distinct period from newer.company_month),

joined as (
    select
        coalesce(n.scope, o.scope) as scope,
        coalesce(n.branch_code, o.branch_code) as branch_code,
        coalesce(n.period, o.period)::date as period,
        coalesce(n.column_name, o.column_name) as column_name,
        o.old_value,
        n.new_value,
        case
            when coalesce(n.period, o.period) not in (select period from older_periods) then 'added'
            when coalesce(n.period, o.period) not in (select period from newer_periods) then 'removed'
            else 'changed'
        end as change_kind
    from older_long as o
    full join newer_long as n
        on o.scope = n.scope
        and o.branch_code is not distinct from n.branch_code
        and o.period = n.period
        and o.column_name = n.column_name
),

final as (
    select j.scope, j.branch_code, b.branch_name, j.period, j.column_name, j.old_value, j.new_value, j.change_kind
    from joined as j
    left join newer.branches as b on b.branch_code = j.branch_code
    where (j.old_value is null) <> (j.new_value is null)
        or abs(j.new_value - j.old_value) > $tolerance * greatest(abs(j.old_value), abs(j.new_value))
        or j.change_kind <> 'changed'
)

select * from final
