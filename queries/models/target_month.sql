-- model: target_month
-- materialized: table
-- grain: one row per kpi, scope (branch_code, or null for the company) and period
-- unique_key: kpi, branch_code, period
-- description: the target in force for each KPI, branch and period. A branch-specific target overrides
--   the company-wide one (targets.branch_code empty) for that branch.
-- tests: not_null(kpi, period, target) relationships(kpi -> kpis.kpi)
with scopes as (
    select branch_code from branches
    union all
    select null::varchar
),
candidates as (
    select t.kpi, s.branch_code, p.period, t.target, t.direction,
        t.branch_code is not null as is_specific
    from targets as t
    join stg_periods as p on p.period between date_trunc('month', t.valid_from) and t.valid_to
    join scopes as s on t.branch_code is null or t.branch_code = s.branch_code
),
final as (
    select kpi, branch_code, period, target, direction
    from candidates
    qualify row_number() over (partition by kpi, branch_code, period order by is_specific desc, target) = 1
)
select * from final order by kpi, period, branch_code
