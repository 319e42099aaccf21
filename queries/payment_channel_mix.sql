-- title: Cơ cấu kênh thanh toán
-- title_en: Payment channel mix
-- grain: one row per period and channel
-- params: branches, period_from, period_to
-- columns: period, channel_code, name_vi, name_en, is_online, payments, paid_vnd
select pcm.period, pcm.channel_code, ch.name_vi, ch.name_en, ch.is_online,
    sum(pcm.payments) as payments, sum(pcm.paid_vnd) as paid_vnd
from payment_channel_month as pcm
join channels as ch using (channel_code)
where list_contains($branches, pcm.branch_code)
  and pcm.period between $period_from and $period_to
group by all
order by pcm.period, pcm.channel_code
