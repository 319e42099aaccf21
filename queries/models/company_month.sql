-- model: company_month
-- grain: one row per period
-- description: the same measures for the whole company: counts summed over branches, ratios recomputed
--   from the summed numerators and denominators (never averaged), the median over all requests.
select * exclude (branch_code) from stg_measures
where branch_code is null
order by period
