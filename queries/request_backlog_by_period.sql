-- title: Yêu cầu dịch vụ tồn đọng và tạm hoãn theo kỳ
-- title_en: Open and postponed service requests by period
-- grain: one row per period, the chosen branches summed
-- params: branches, period_from, period_to
-- description: requests submitted and completed in the month, and the backlog at its last day: open requests
--   (not completed, not cancelled) and, of those, the ones put off (postponed).
-- columns: period, requests, completed_requests, open_requests, postponed_requests
select period,
    sum(requests)::bigint as requests,
    sum(completed_requests)::bigint as completed_requests,
    sum(open_requests)::bigint as open_requests,
    sum(postponed_requests)::bigint as postponed_requests
from branch_month
where list_contains($branches, branch_code)
  and period between $period_from and $period_to
group by period
order by period
