-- title: Yêu cầu dịch vụ theo kênh tiếp nhận
-- title_en: Service requests by channel
-- grain: one row per period and channel
-- params: branches, period_from, period_to
-- columns: period, channel_code, name_vi, name_en, is_online, requests, completed_requests
select rcm.period, rcm.channel_code, ch.name_vi, ch.name_en, ch.is_online,
    sum(rcm.requests) as requests, sum(rcm.completed_requests) as completed_requests
from request_channel_month as rcm
join channels as ch using (channel_code)
where list_contains($branches, rcm.branch_code)
  and rcm.period between $period_from and $period_to
group by all
order by rcm.period, rcm.channel_code
