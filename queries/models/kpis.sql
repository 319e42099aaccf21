-- model: kpis
-- materialized: table
-- grain: one row per KPI
-- unique_key: kpi
-- description: KPI catalogue: labels, unit, direction and the branch_month column each KPI reads.
--   The UI, targets and exports take KPI names from here: adding a KPI is a change to this file.
--   unit: share (0..1), count, days. direction: higher or lower is better; null for context figures.
-- tests: not_null(kpi, family, sort_order, label_vi, label_en, unit, column_name)
-- tests: unique(sort_order)
with final as (
    select * from (values
        ('customers',               'adoption', 1,  'Tổng số khách hàng',                    'Customers',                    'count', null,     'customers',               'Khách hàng đang hoạt động cuối kỳ',                               'Active customers at period end'),
        ('phone_coverage',          'adoption', 2,  'Tỷ lệ KH có số điện thoại',             'Phone coverage',               'share', 'higher', 'phone_coverage',          'KH có số điện thoại ÷ tổng số KH',                                'Customers with a phone on file ÷ customers'),
        ('email_coverage',          'adoption', 3,  'Tỷ lệ KH có email',                     'Email coverage',               'share', 'higher', 'email_coverage',          'KH có email ÷ tổng số KH',                                        'Customers with an email on file ÷ customers'),
        ('app_customers',           'adoption', 4,  'KH sử dụng App CSKH',                   'App users',                    'count', 'higher', 'app_customers',           'KH liên kết trên App CSKH',                                       'Customers linked in the customer-care app'),
        ('app_share',               'adoption', 5,  'Tỷ lệ KH sử dụng App CSKH',             'App users, share',             'share', 'higher', 'app_share',               'KH dùng App ÷ tổng số KH',                                        'App users ÷ customers'),
        ('zalo_customers',          'adoption', 6,  'KH nhận thông báo qua Zalo',            'Zalo users',                   'count', 'higher', 'zalo_customers',          'KH quan tâm Zalo OA của công ty',                                 'Customers following the company''s Zalo account'),
        ('zalo_share',              'adoption', 7,  'Tỷ lệ KH nhận thông báo qua Zalo',      'Zalo users, share',            'share', 'higher', 'zalo_share',              'KH Zalo ÷ tổng số KH',                                            'Zalo users ÷ customers'),
        ('remote_capable_share',    'metering', 8,  'Tỷ lệ KH có công tơ đo xa',             'Remote-capable meters',        'share', 'higher', 'remote_capable_share',    'KH có công tơ đọc từ xa ÷ tổng số KH',                            'Customers with a remote-capable meter ÷ customers'),
        ('remote_read_rate',        'metering', 9,  'Tỷ lệ ghi chỉ số từ xa',                'Remote-read rate',             'share', 'higher', 'remote_read_rate',        'Hóa đơn ghi chỉ số từ xa ÷ tổng số hóa đơn',                      'Bills read through the remote system ÷ bills'),
        ('estimated_bill_rate',     'metering', 10, 'Tỷ lệ hóa đơn tạm tính',                'Estimated-bill rate',          'share', 'lower',  'estimated_bill_rate',     'Hóa đơn tạm tính ÷ tổng số hóa đơn',                              'Estimated bills ÷ bills issued'),
        ('estimate_abs_error_rate', 'metering', 11, 'Sai lệch tuyệt đối của tạm tính',        'Estimate absolute error',      'share', 'lower',  'estimate_abs_error_rate', 'Σ |thực tế − tạm tính| ÷ kWh tạm tính đã bù trừ',                 'Σ |actual − estimated| ÷ kWh of trued-up estimates'),
        ('pending_estimates',       'metering', 12, 'Hóa đơn tạm tính chờ bù trừ',           'Estimates awaiting true-up',   'count', 'lower',  'pending_estimates',       'Hóa đơn tạm tính chưa có kỳ ghi chỉ số thực để bù trừ',           'Estimated bills not yet followed by a real reading'),
        ('online_payment_share',    'payments', 13, 'Tỷ lệ TT không dùng tiền mặt (số giao dịch)', 'Online payment, payments', 'share', 'higher', 'online_payment_share',    'Giao dịch trực tuyến ÷ tổng số giao dịch',                        'Online payments ÷ payments'),
        ('online_amount_share',     'payments', 14, 'Tỷ lệ TT không dùng tiền mặt (số tiền)', 'Online payment, amount',      'share', 'higher', 'online_amount_share',     'Số tiền thanh toán trực tuyến ÷ tổng số tiền',                     'Amount paid online ÷ amount paid'),
        ('online_customer_share',   'payments', 15, 'Tỷ lệ TT không dùng tiền mặt (KH)',     'Online payment, customers',    'share', 'higher', 'online_customer_share',   'KH có thanh toán trực tuyến ÷ KH có thanh toán',                  'Customers who paid online ÷ customers who paid'),
        ('online_request_share',    'services', 16, 'Tỷ lệ yêu cầu dịch vụ trực tuyến',      'Online service requests',      'share', 'higher', 'online_request_share',    'Yêu cầu qua Cổng DVC, website, App, Zalo ÷ tổng số yêu cầu',      'Requests via the national portal, website, app or Zalo ÷ requests'),
        ('median_days_to_complete', 'services', 17, 'Thời gian giải quyết (trung vị, ngày)', 'Days to complete (median)',    'days',  'lower',  'median_days_to_complete', 'Trung vị số ngày từ khi tiếp nhận đến khi hoàn thành',            'Median days from submission to completion'),
        ('postponed_requests',      'services', 18, 'Yêu cầu tạm hoãn',                      'Postponed requests',           'count', 'lower',  'postponed_requests',      'Yêu cầu đang mở đã bị tạm hoãn (ví dụ do giãn cách)',             'Open requests that were put off (e.g. in a lockdown)')
    ) as t(kpi, family, sort_order, label_vi, label_en, unit, direction, column_name, description_vi, description_en)
)
select * from final
