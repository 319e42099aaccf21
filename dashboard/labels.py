"""Every visible string of the app, in Vietnamese and English, in one table; `t()` looks one up.

KPI, channel, branch and annotation names are data (the `kpis`, `channels`, `branches` and
`annotations` tables); `pick()` chooses between their `_vi` and `_en` columns.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

# key -> (vi, en). Placeholders are plain {names}; both languages use the same ones (a test checks).
LABELS: dict[str, tuple[str, str]] = {
    # ---- provisional figures (a load published them with a warning)
    "provisional.badge": ("Tạm tính", "Provisional"),
    "provisional.note": ("**Số liệu tạm tính.** Các số liệu sau được công bố kèm cảnh báo khi nạp dữ liệu và sẽ "
                         "được xác nhận khi kỳ đó được nạp lại đầy đủ:",
                         "**Provisional figures.** These were published with a warning when the data was loaded "
                         "and stand until the period is loaded again in full:"),
    "provisional.more": ("và {count} cảnh báo khác", "and {count} more"),
    "chart.provisional": ("Tạm tính", "Provisional"),
    # ---- a monthly load's progress (dashboard/load.py)
    "load.waiting": ("đang chờ lượt nạp của {user} (bắt đầu lúc {started}) xong", "waiting for the load by {user} started at {started}"),
    "load.copying": ("sao chép phiên bản đang công bố {version}", "copying the published version {version}"),
    "load.checking": ("kiểm tra {file}", "checking {file}"),
    "load.references": ("đối chiếu mã và tham chiếu với dữ liệu đã công bố", "checking ids and references against the published data"),
    "load.applying": ("đưa dữ liệu mới vào bản sao", "applying the drop"),
    "load.model": ("tính lại {model}", "model {model}"),
    "load.testing": ("kiểm thử các mô hình dữ liệu", "testing the models"),
    "load.version": ("ghi thông tin phiên bản", "writing data_version"),
    "load.publishing": ("công bố", "publishing"),
    "load.done": ("xong", "done"),
    # ---- checks of a loaded month (dashboard/monthcheck.py), stored with the provisional marks
    "check.no_bills": ("{branch} chưa có hóa đơn {period} (số liệu chưa về hoặc chưa đủ)",
                       "{branch} has no bills for {period} (its export is late or incomplete)"),
    "check.few_bills": ("{branch} chỉ có {bills} hóa đơn {period} cho {customers} khách hàng đang hoạt động",
                        "{branch} has only {bills} bills for {period} for {customers} active customers"),
    "check.kpi_jump": ("{branch} {period}: {value} so với {before} kỳ trước (thường chỉ thay đổi {usual} mỗi kỳ)",
                       "{branch} {period}: {value} against {before} the period before (it usually moves {usual} a period)"),
    # ---- app and pages
    "app.title": ("Chuyển đổi số dịch vụ khách hàng – PC Phú Yên",
                  "Digital customer services – PC Phú Yên"),
    "app.company": ("Công ty Điện lực Phú Yên", "Phu Yen Power Company"),
    "app.title_corporation": ("Chuyển đổi số dịch vụ khách hàng – EVNCPC", "Digital customer services – EVNCPC"),
    "app.corporation": ("Tổng công ty Điện lực miền Trung (EVNCPC)", "Central Power Corporation (EVNCPC)"),
    "page.overview": ("Tổng quan", "Overview"),
    "page.branch": ("Điện lực", "Branch"),
    "page.adoption": ("Số hóa khách hàng", "Digital adoption"),
    "page.metering": ("Ghi chỉ số từ xa và hóa đơn tạm tính", "Remote reading and estimated bills"),
    "page.payments": ("Thanh toán trực tuyến", "Online payment"),
    "page.services": ("Dịch vụ trực tuyến", "Online service requests"),
    "page.sql": ("SQL", "SQL"),
    "page.data": ("Dữ liệu", "Data"),
    "nav.section_kpis": ("Chỉ tiêu", "Indicators"),
    "nav.section_tools": ("Công cụ", "Tools"),

    # ---- controls
    "control.company": ("Công ty điện lực", "Power company"),
    "control.company_help": ("Để trống (Toàn Tổng công ty) để xem và xếp hạng các công ty; chọn một công ty để xem các điện lực của công ty đó.",
                             "Leave it at the whole corporation to see and rank the companies; choose one to see its branches."),
    "control.branches": ("Điện lực", "Branches"),
    "control.branch": ("Chọn điện lực", "Choose a branch"),
    "control.branches_help": ("Để trống để xem toàn công ty", "Leave empty for the whole company"),
    "control.period_from": ("Từ kỳ", "From period"),
    "control.period_to": ("Đến kỳ", "To period"),
    "control.period": ("Kỳ", "Period"),
    "control.comparison": ("So sánh với", "Compare with"),
    "control.language": ("Ngôn ngữ", "Language"),
    "control.kpi": ("Chỉ tiêu", "Indicator"),
    "control.basis": ("Cơ sở tính", "Basis"),
    "control.copy_link": ("Sao chép liên kết", "Copy link"),
    "control.copy_link_help": (
        "Liên kết giữ nguyên trang, bộ lọc, ngôn ngữ và phiên bản dữ liệu: người mở sẽ thấy đúng số liệu này.",
        "The link keeps the page, filters, language and data version: whoever opens it sees these exact numbers."),
    "control.reset": ("Đặt lại bộ lọc", "Reset filters"),
    "present.start": ("Trình chiếu", "Present"),
    "present.start_help": ("Chế độ trình chiếu cho máy chiếu: chữ lớn, mỗi màn hình một nhóm chỉ tiêu, chuyển bằng phím ← →.",
                           "Presentation mode for a projector: large type, one group of indicators per screen, ← → to move."),
    "present.next": ("Tiếp", "Next"),
    "present.prev": ("Trước", "Previous"),
    "present.exit": ("Thoát trình chiếu", "Leave presentation"),
    "present.counter": ("{index}/{count}", "{index}/{count}"),
    "present.bars_title": ("{kpi} theo điện lực", "{kpi} by branch"),
    "present.keys": ("Phím ← → để chuyển màn hình", "← → keys move between screens"),
    "lang.vi": ("Tiếng Việt", "Tiếng Việt"),
    "lang.en": ("English", "English"),

    # ---- comparisons, payment bases, statuses
    "cmp.prev_month": ("Kỳ trước", "Previous period"),
    "cmp.prev_year": ("Cùng kỳ năm trước", "Same period last year"),
    "cmp.target": ("Kế hoạch", "Target"),
    "basis.payments": ("Theo số giao dịch", "By number of payments"),
    "basis.amount": ("Theo số tiền", "By amount"),
    "basis.customers": ("Theo số khách hàng", "By paying customers"),
    "status.on_target": ("Đạt kế hoạch", "On target"),
    "status.near": ("Gần đạt", "Near target"),
    "status.behind": ("Chưa đạt", "Behind target"),
    "status.no_target": ("Chưa có kế hoạch", "No target"),
    "direction.higher": ("Càng cao càng tốt", "Higher is better"),
    "direction.lower": ("Càng thấp càng tốt", "Lower is better"),

    # ---- notices about link parameters (values arrive clipped and sanitised by links.py)
    "notice.heading": ("Một số tham số trong liên kết không hợp lệ và đã bị bỏ qua:",
                       "Some link parameters were not valid and were ignored:"),
    "notice.company_unknown": ("Bỏ qua mã công ty không có “{value}” (tham số {param}).",
                               "Ignored unknown company code “{value}” (parameter {param})."),
    "notice.branch_other_company": ("Bỏ qua điện lực {value}: không thuộc công ty {company} (tham số {param}).",
                                    "Ignored branch {value}: it is not in company {company} (parameter {param})."),
    "notice.branch_unknown": ("Bỏ qua mã điện lực không có “{value}” (tham số {param}).",
                              "Ignored unknown branch code “{value}” (parameter {param})."),
    "notice.period_malformed": ("Tham số {param} = “{value}” không đúng dạng YYYY-MM (ví dụ 2020-08); dùng kỳ mặc định.",
                                "Parameter {param} = “{value}” is not a YYYY-MM period (e.g. 2020-08); using the default."),
    "notice.period_unavailable": ("Không có dữ liệu kỳ “{value}” (tham số {param}); dữ liệu có từ {first} đến {last}. Dùng kỳ mặc định.",
                                  "No data for period “{value}” (parameter {param}); data covers {first} to {last}. Using the default."),
    "notice.period_swapped": ("Kỳ bắt đầu {start} sau kỳ kết thúc {end}; đã đổi chỗ hai kỳ.",
                              "The start period {start} was after the end period {end}; the two were swapped."),
    "notice.cmp_unknown": ("Bỏ qua cách so sánh không hợp lệ “{value}” (tham số cmp nhận prev_month, prev_year hoặc target).",
                           "Ignored unknown comparison “{value}” (parameter cmp takes prev_month, prev_year or target)."),
    "notice.lang_unknown": ("Bỏ qua ngôn ngữ không hỗ trợ “{value}” (tham số lang nhận vi hoặc en).",
                            "Ignored unsupported language “{value}” (parameter lang takes vi or en)."),
    "notice.version_malformed": ("Bỏ qua phiên bản dữ liệu không hợp lệ “{value}” (tham số v); đang dùng dữ liệu hiện tại.",
                                 "Ignored malformed data version “{value}” (parameter v); showing the current data."),
    "notice.repeated": ("Tham số {param} xuất hiện {count} lần với các giá trị khác nhau; bỏ qua và dùng mặc định.",
                        "Parameter {param} appears {count} times with different values; ignored, using the default."),
    "notice.value_empty": ("Tham số {param} để trống; dùng mặc định.",
                           "Parameter {param} is empty; using the default."),
    "notice.param_invalid": ("Bỏ qua tham số có tên không hợp lệ “{param}”.",
                             "Ignored a parameter with an invalid name “{param}”."),
    "notice.value_invalid": ("Bỏ qua giá trị không hợp lệ của tham số {param}: “{value}”.",
                             "Ignored an invalid value of parameter {param}: “{value}”."),
    "notice.param_unknown": ("Trang này không dùng tham số {param}; đã bỏ qua.",
                             "This page does not use parameter {param}; ignored."),
    "notice.extra_invalid": ("Giá trị “{value}” của tham số {param} không hợp lệ; dùng mặc định.",
                             "Value “{value}” of parameter {param} is not valid; using the default."),
    "notice.present_invalid": ("Bỏ qua giá trị “{value}” của tham số present (nhận 1 để trình chiếu, 0 để tắt).",
                               "Ignored “{value}” for parameter present (it takes 1 to present, 0 for off)."),
    "notice.screen_unknown": ("Không có màn hình trình chiếu “{value}” (tham số screen nhận {screens}); dùng màn hình mặc định.",
                              "No presentation screen “{value}” (parameter screen takes {screens}); showing the default screen."),

    # ---- data-version banners
    "banner.version_not_kept": (
        "Liên kết này ghim phiên bản dữ liệu {version}, phiên bản này không còn được lưu. Đang hiển thị dữ liệu hiện tại ({current}); số liệu có thể khác lúc chia sẻ liên kết.",
        "This link pins data version {version}, which is no longer kept. Showing the current data ({current}); figures may differ from when the link was shared."),
    "banner.version_pinned": ("Đang xem phiên bản dữ liệu {version} được ghim trong liên kết; dữ liệu mới nhất là {current}.",
                              "Showing data version {version}, pinned by the link; the latest data is {current}."),
    "banner.view_current": ("Xem dữ liệu mới nhất", "View the latest data"),
    "banner.new_version": ("Đã có dữ liệu mới (phiên bản {version}).", "New data is available (version {version})."),

    # ---- footer and data page
    "footer.line": ("Phiên bản dữ liệu {version} · tạo lúc {built_at} · kỳ mới nhất {latest}",
                    "Data version {version} · built at {built_at} · latest period {latest}"),
    "footer.data_version": ("Phiên bản dữ liệu: {version}", "Data version: {version}"),
    "footer.built_at": ("Tạo lúc: {built_at}", "Built at: {built_at}"),
    "footer.latest_period": ("Kỳ dữ liệu mới nhất: {period}", "Latest period: {period}"),
    "data.version": ("Phiên bản", "Version"),
    "data.built_at": ("Thời điểm tạo", "Built at"),
    "data.latest_period": ("Kỳ mới nhất", "Latest period"),
    "data.source_files": ("Tệp nguồn", "Source files"),
    "data.checksum": ("Mã kiểm tra", "Checksum"),
    "data.row_counts": ("Số dòng theo bảng", "Rows per table"),
    "data.table": ("Bảng", "Table"),
    "data.rows": ("Số dòng", "Rows"),
    "data.kept_versions": ("Các phiên bản đang lưu", "Kept versions"),
    "data.current": ("hiện tại", "current"),
    "data.kpi_catalogue": ("Danh mục chỉ tiêu", "Indicator catalogue"),
    "data.queries": ("Truy vấn của các trang", "Page queries"),

    # ---- empty states and errors
    "empty.no_rows": ("Không có dữ liệu cho bộ lọc này", "No rows for these filters"),
    "empty.no_warehouse": ("Chưa có dữ liệu được công bố. Chạy lệnh python -m dashboard build để nạp dữ liệu.",
                           "No data has been published yet. Run python -m dashboard build to load data."),
    "empty.no_target": ("Chưa có kế hoạch cho chỉ tiêu này", "No target set for this indicator"),
    "empty.no_comparison": ("Không có số liệu để so sánh", "No value to compare with"),
    "firststart.intro": ("Chưa có dữ liệu: đang tạo dữ liệu mẫu và xây dựng kho dữ liệu lần đầu, việc này chỉ làm một lần.",
                         "No data yet: generating the sample data and building the warehouse for the first time; this happens only once."),
    "firststart.starting": ("Đang bắt đầu…", "Starting…"),
    "firststart.generating": ("Đang tạo dữ liệu mẫu cho toàn công ty", "Generating the sample data for the whole company"),
    "firststart.building": ("Đang kiểm tra và xây dựng kho dữ liệu", "Checking and building the warehouse"),
    "firststart.done": ("Xong. Đang mở bảng điều khiển…", "Done. Opening the dashboard…"),
    "upgrade.intro": ("Kho dữ liệu {version} được xây dựng bởi phiên bản cũ (chưa có cấp công ty, tổng công ty): đang xây dựng lại từ dữ liệu mẫu.",
                      "Warehouse {version} was built by an older release (without the company and corporation levels): rebuilding it from the sample data."),
    "upgrade.rebuild": ("Kho dữ liệu {version} được xây dựng bởi phiên bản cũ (chưa có cấp công ty, tổng công ty). Hãy xây dựng lại: `python -m dashboard build --source <thư mục dữ liệu xuất>`.",
                        "Warehouse {version} was built by an older release (without the company and corporation levels). Rebuild it: `python -m dashboard build --source <export folder>`."),
    "tile.error": ("Truy vấn {file} lỗi: {error}", "Query {file} failed: {error}"),
    "error.unexpected": ("Có lỗi khi hiển thị phần này: {error}", "This section failed to render: {error}"),

    # ---- biggest misses (overview)
    "misses.title": ("Xa kế hoạch nhất", "Biggest misses"),
    "misses.item": ("{branch} – {kpi}: {value} (kế hoạch {target})",
                    "{branch} – {kpi}: {value} (target {target})"),
    "misses.sentence": ("Kỳ {period}: {count} chỉ tiêu của các điện lực chưa đạt kế hoạch; xa nhất là {items}.",
                        "{period}: {count} branch indicators behind target; furthest behind: {items}."),
    "misses.none": ("Kỳ {period}: mọi điện lực đều đạt kế hoạch.", "{period}: every branch is on target."),
    "misses.sentence_companies": ("Kỳ {period}: {count} chỉ tiêu của các công ty chưa đạt kế hoạch; xa nhất là {items}.",
                                  "{period}: {count} company indicators behind target; furthest behind: {items}."),
    "misses.none_companies": ("Kỳ {period}: mọi công ty đều đạt kế hoạch.", "{period}: every company is on target."),
    "misses.no_targets": ("Chưa có kế hoạch nào cho kỳ {period}.", "No targets are set for {period}."),

    # ---- metrics, tables
    "metric.vs": ("{delta} so với {cmp}", "{delta} vs {cmp}"),
    "metric.corporation": ("Toàn Tổng công ty", "Whole corporation"),
    "metric.company": ("Toàn công ty", "Whole company"),
    "metric.target_value": ("Kế hoạch: {target}", "Target: {target}"),
    "overview.scorecard": ("Bảng chỉ tiêu", "Scorecard"),
    "overview.laggards": ("Điện lực chậm nhất", "Lagging branches"),
    "overview.cards_for": ("Chỉ tiêu của {scope}, {period}", "Indicators for {scope}, {period}"),
    "overview.table_help": (
        "Mỗi ô là giá trị kỳ {period} của một điện lực; màu so với kế hoạch: xanh đạt, vàng gần đạt, đỏ chưa đạt.",
        "Each cell is a branch's value for {period}; colour against target: green on target, amber near, red behind."),
    "col.kpi": ("Chỉ tiêu", "Indicator"),
    "col.branch": ("Điện lực", "Branch"),
    "col.branch_code": ("Mã điện lực", "Branch code"),
    "col.company": ("Công ty", "Company"),
    "col.company_code": ("Mã công ty", "Company code"),
    "col.open": ("Xem", "Open"),
    "overview.company_table": ("Xếp hạng các công ty", "The companies ranked"),
    "overview.company_table_help": ("Mỗi công ty một dòng, kỳ {period}; màu theo kế hoạch. Bấm “Xem các điện lực” để mở các điện lực của công ty.",
                                    "One row per company, {period}; colours against the targets. Click “Its branches” to open the company's branches."),
    "overview.company_link": ("Xem các điện lực", "Its branches"),
    "col.period": ("Kỳ", "Period"),
    "col.value": ("Giá trị", "Value"),
    "col.previous": ("Kỳ so sánh", "Comparison value"),
    "col.change": ("Thay đổi", "Change"),
    "col.target": ("Kế hoạch", "Target"),
    "col.status": ("Tình trạng", "Status"),
    "col.unit": ("Đơn vị", "Unit"),
    "col.description": ("Định nghĩa", "Definition"),

    # ---- downloads
    "download.csv": ("Tải CSV", "Download CSV"),
    "download.excel": ("Tải Excel", "Download Excel"),
    "download.image_hint": ("Tải ảnh biểu đồ bằng nút máy ảnh trên biểu đồ.",
                            "Download a chart as an image with the camera button on the chart."),

    # ---- sign-in and mode
    "mode.local": ("Chế độ cục bộ – chưa cấu hình đăng nhập", "Local mode – sign-in not configured"),
    "auth.sign_in": ("Đăng nhập", "Sign in"),
    "auth.sign_out": ("Đăng xuất", "Sign out"),
    "auth.signed_in_as": ("Đã đăng nhập: {email}", "Signed in as {email}"),
    "auth.forbidden": ("Bạn không có quyền xem trang này.", "You do not have access to this page."),

    # ---- SQL page
    "sql.editor": ("Câu lệnh SQL", "SQL query"),
    "sql.run": ("Chạy", "Run"),
    "sql.help": ("Chỉ cho phép câu lệnh đọc (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN).",
                 "Only read statements are allowed (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)."),
    "sql.rows": ("{count} dòng", "{count} rows"),
    "sql.truncated": ("Chỉ hiển thị {shown} dòng đầu; tệp tải xuống chứa tối đa {limit} dòng.",
                      "Showing the first {shown} rows; downloads hold up to {limit} rows."),
    "sql.truncated_bytes": ("Chỉ hiển thị {shown} dòng đầu: kết quả vượt {size} (DASHBOARD_SQL_MAX_BYTES); tệp tải "
                            "xuống chứa tối đa {limit} dòng và {export_size}.",
                            "Showing the first {shown} rows: the result is larger than {size} "
                            "(DASHBOARD_SQL_MAX_BYTES); downloads hold up to {limit} rows and {export_size}."),
    "sql.busy": ("Máy chủ đang bận chạy các truy vấn khác; vui lòng thử lại sau giây lát. ({error})",
                 "The server is busy with other queries; try again in a moment. ({error})"),
    "sql.refused": ("Câu lệnh bị từ chối: {error}", "Statement refused: {error}"),
    "sql.timeout": ("Truy vấn chạy quá {seconds} giây và đã bị dừng.",
                    "The query ran longer than {seconds} seconds and was stopped."),
    "sql.error": ("Truy vấn lỗi: {error}", "Query failed: {error}"),
    "sql.elapsed": ("Thời gian chạy: {seconds} giây", "Ran in {seconds} s"),
    "sql.shortcut": ("Nhấn Ctrl+Enter (hoặc nút Run trong khung) để chạy.",
                     "Press Ctrl+Enter (or the Run button in the editor) to run."),
    "sql.history": ("Các truy vấn gần đây", "Recent queries"),
    "sql.last_run": ("Lần chạy gần nhất", "Last run"),
    "sql.query": ("Truy vấn", "Query"),
    "sql.adhoc": ("SQL tự do", "Ad-hoc SQL"),
    "sql.catalogue": ("Danh mục truy vấn", "Query catalogue"),
    "sql.tables": ("Bảng trong kho dữ liệu", "Warehouse tables"),

    # ---- charts
    "chart.period": ("Kỳ", "Period"),
    "chart.company": ("Toàn công ty", "Whole company"),
    "chart.target": ("Kế hoạch", "Target"),
    "chart.company_avg": ("Toàn công ty, bình quân một điện lực", "Company, average per branch"),
    "chart.scope_avg": ("{scope}, bình quân một điện lực", "{scope}, average per branch"),
    "chart.corporation_avg": ("{scope}, bình quân một công ty", "{scope}, average per company"),
    "chart.target_of": ("Kế hoạch – {name}", "Target – {name}"),
    "chart.value": ("Giá trị", "Value"),
    "chart.share": ("Tỷ lệ", "Share"),
    "chart.customers": ("Số khách hàng", "Customers"),
    "chart.bills": ("Số hóa đơn", "Bills"),
    "chart.requests": ("Số yêu cầu", "Requests"),
    "chart.days": ("Số ngày", "Days"),
    "chart.kwh": ("kWh", "kWh"),
    "chart.money_axis": ("Số tiền ({unit})", "Amount ({unit})"),
    "chart.online": ("Trực tuyến", "Online"),
    "chart.cash": ("Tiền mặt / tại quầy", "Cash / in person"),
    "chart.channel": ("Kênh", "Channel"),
    "chart.share_of_total": ("Tỷ trọng", "Share of total"),
    "chart.funnel_title": ("Khách hàng theo mức độ số hóa", "Customers by digital contact"),
    "funnel.customers": ("Tổng số khách hàng", "Customers"),
    "funnel.phone": ("Có số điện thoại", "Phone on file"),
    "funnel.email": ("Có email", "Email on file"),
    "funnel.app": ("Dùng App CSKH", "App users"),
    "funnel.zalo": ("Nhận thông báo qua Zalo", "Zalo users"),
    "chart.estimate_error_title": ("Phân bố sai lệch của hóa đơn tạm tính", "Distribution of estimate errors"),
    "chart.estimate_error_axis": ("Sai lệch (thực tế − tạm tính) ÷ tạm tính",
                                  "Error (actual − estimated) ÷ estimated"),
    "chart.estimate_bias_title": ("Sai lệch có dấu của tạm tính theo kỳ", "Signed estimate error by period"),
    "chart.estimate_bias_note": ("Dương: tạm tính thấp hơn thực tế", "Positive: estimate below actual"),
    "chart.channel_mix_title": ("Cơ cấu kênh thanh toán", "Payment channel mix"),
    "chart.request_channels_title": ("Kênh tiếp nhận yêu cầu dịch vụ", "Service request channels"),
    "chart.days_to_complete_title": ("Thời gian giải quyết yêu cầu (trung vị, ngày)",
                                     "Days to complete a request (median)"),
    "chart.events": ("Sự kiện", "Events"),

    # ---- branch and KPI-family pages, data page
    "scope.caption": ("Phạm vi: {scope} · {range}", "Scope: {scope} · {range}"),
    "col.rank": ("Xếp hạng", "Rank"),
    "col.family": ("Nhóm chỉ tiêu", "Family"),
    "col.direction": ("Chiều tốt", "Better when"),
    "col.kpi_id": ("Mã chỉ tiêu", "KPI id"),
    "col.column": ("Cột dữ liệu", "Data column"),
    "unit.share": ("Tỷ lệ (%)", "Share (%)"),
    "unit.count": ("Số lượng", "Count"),
    "unit.days": ("Ngày", "Days"),
    "unit.kwh": ("kWh", "kWh"),
    "unit.vnd": ("Đồng", "Đồng (VND)"),
    "family.by_branch": ("Theo điện lực", "By branch"),
    "family.by_company": ("Theo công ty", "By company"),
    "family.trend_title": ("{kpi} theo điện lực", "{kpi} by branch"),
    "family.trend_title_company": ("{kpi} theo công ty", "{kpi} by company"),
    "family.comparison_title": ("{kpi}, {period}", "{kpi}, {period}"),
    "family.table": ("Bảng so sánh các điện lực", "Branch comparison table"),
    "branch.placeholder": ("Chọn một điện lực", "Choose a branch"),
    "branch.choose_prompt": ("Chọn một điện lực ở ô trên để xem xếp hạng và xu hướng các chỉ tiêu của điện lực đó.",
                             "Choose a branch above to see its ranks and the trend of each indicator."),
    "branch.first_of_many": ("Liên kết chọn nhiều điện lực; trang này hiển thị điện lực đầu tiên: {branch}.",
                             "The link chooses several branches; this page shows the first: {branch}."),
    "branch.ranks_title": ("Xếp hạng trong các điện lực", "Rank among the branches"),
    "branch.ranks_caption": (
        "{branch}, {period}: giá trị, xếp hạng trong {count} điện lực (1 là tốt nhất), giá trị toàn công ty và kế hoạch.",
        "{branch}, {period}: value, rank among the {count} branches (1 is best), the company's value and the target."),
    "col.expected": ("Đạt kế hoạch dự kiến", "Expected to reach target"),
    "col.expected_evn": ("Đạt mục tiêu EVN 2025 dự kiến", "Expected to reach EVN's 2025 target"),
    "branch.expected_evn_help": (
        "Mục tiêu năm 2025 của EVN: dịch vụ trực tuyến 100%, thanh toán không dùng tiền mặt 75%; cùng xu hướng như "
        "cột trước. “–” khi EVN không đặt mục tiêu 2025 cho chỉ tiêu này.",
        "EVN's targets for 2025: online services 100%, non-cash payment 75%; the same trend as the column before. "
        "“–” where EVN set no 2025 target for the indicator."),
    "branch.expected_help": ("Theo xu hướng hiện tại: đường thẳng khớp với 24 kỳ gần nhất; trong ngoặc là khoảng tin cậy "
                             "80% của độ dốc. “Không theo kịp” khi xu hướng đi ngang, đi xa kế hoạch hoặc quá 36 tháng.",
                             "At the current trend: a straight line fitted to the last 24 periods; in brackets, the 80% "
                             "band of its slope. “Not on track” when the trend is flat, moves away from the target or "
                             "needs more than 36 months."),
    "chart.at_current_trend": ("Theo xu hướng hiện tại", "At current trend"),
    "reach.reached": ("Đã đạt", "Reached"),
    "reach.not_on_track": ("Không theo kịp ở xu hướng hiện tại", "Not on track at the current trend"),
    "reach.on_track_band": ("{when} ({earliest}–{latest})", "{when} ({earliest}–{latest})"),
    "reach.on_track_open": ("{when} (sớm nhất {earliest})", "{when} (at the earliest {earliest})"),
    "branch.trends_title": ("Xu hướng so với toàn công ty và kế hoạch", "Trends against the company and the target"),
    "branch.trends_caption": ("{branch}, {range}", "{branch}, {range}"),
    "adoption.funnel_title": ("Từ khách hàng đến điện thoại, email, App và Zalo",
                              "From customers to phone, email, app and Zalo"),
    "adoption.funnel_caption": ("{scope}, {period}. Các mức không lồng nhau: khách hàng dùng App không nhất thiết có email.",
                                "{scope}, {period}. The stages are not nested: an app user need not have an email."),
    "metering.errors_title": ("Sai lệch của hóa đơn tạm tính", "Estimate errors"),
    "metering.errors_caption": (
        "{scope}. Chỉ tính hóa đơn tạm tính đã được bù trừ bằng lần ghi chỉ số thực sau đó; sai lệch = thực tế − tạm tính.",
        "{scope}. Only estimates already trued up by a later real reading; error = actual − estimated."),
    "metering.abs_title": ("Sai lệch tuyệt đối của tạm tính theo kỳ (kWh)", "Absolute estimate error by period (kWh)"),
    "metering.pending_title": ("Hóa đơn tạm tính chờ bù trừ", "Estimates awaiting true-up"),
    "metering.pending_caption": (
        "Hóa đơn tạm tính của mỗi kỳ chưa có lần ghi chỉ số thực để bù trừ; các kỳ gần nhất luôn cao hơn vì chưa đến kỳ ghi sau.",
        "Each period's estimates not yet followed by a real reading; the latest periods are always higher as their next reading is still to come."),
    "metering.trueups_table": ("Bảng bù trừ theo kỳ", "True-ups by period"),
    "metering.col_period": ("Kỳ", "Period"),
    "metering.col_estimated_bills": ("Hóa đơn tạm tính", "Estimated bills"),
    "metering.col_trued_up_estimates": ("Đã bù trừ", "Trued up"),
    "metering.col_pending_estimates": ("Chờ bù trừ", "Awaiting true-up"),
    "metering.col_estimated_kwh": ("kWh tạm tính", "Estimated kWh"),
    "metering.col_trued_up_kwh": ("kWh tạm tính đã bù trừ", "Trued-up estimated kWh"),
    "metering.col_offset_kwh": ("Sản lượng bù trừ (có dấu)", "True-up kWh (signed)"),
    "metering.col_abs_offset_kwh": ("Sản lượng bù trừ (tuyệt đối)", "True-up kWh (absolute)"),
    "payments.mix_customers_note": (
        "Một khách hàng có thể dùng nhiều kênh, nên cơ cấu kênh được tính theo số giao dịch.",
        "A customer may use several channels, so the channel mix is by number of payments."),
    "payments.mix_table": ("Bảng cơ cấu kênh", "Channel mix table"),
    "payments.mix_table_caption": ("Cơ cấu kênh {period}; tệp tải xuống gồm mọi kỳ đang xem.",
                                   "Channel mix for {period}; the downloads hold every period in view."),
    "payments.col_payments": ("Số giao dịch", "Payments"),
    "payments.col_payment_share": ("Tỷ trọng giao dịch", "Share of payments"),
    "payments.col_paid": ("Số tiền", "Amount"),
    "payments.col_paid_share": ("Tỷ trọng số tiền", "Share of amount"),
    "services.channels_title": ("Kênh tiếp nhận yêu cầu", "Request channels"),
    "services.completion_title": ("Thời gian giải quyết và tồn đọng", "Time to complete and backlog"),
    "services.days_caption": ("Trung vị số ngày từ khi tiếp nhận đến khi hoàn thành, theo tháng hoàn thành.",
                              "Median days from submission to completion, by month of completion."),
    "services.open_requests": ("Yêu cầu đang mở", "Open requests"),
    "services.postponed_requests": ("Yêu cầu tạm hoãn", "Postponed requests"),
    "services.backlog_title": ("Yêu cầu tồn đọng và tạm hoãn cuối kỳ", "Open and postponed requests at month end"),
    "services.backlog_table": ("Bảng yêu cầu theo kỳ", "Requests by period"),
    "services.col_requests": ("Tiếp nhận", "Submitted"),
    "services.col_completed_requests": ("Hoàn thành", "Completed"),
    "services.col_open_requests": ("Đang mở", "Open"),
    "services.col_postponed_requests": ("Tạm hoãn", "Postponed"),
    "data.first_period": ("Kỳ đầu tiên", "First period"),
    "data.total_rows": ("Tổng số dòng nạp vào", "Rows loaded"),
    "data.source_dir": ("Thư mục nguồn: {path}", "Source folder: {path}"),
    "data.file": ("Tệp", "File"),
    "data.bytes": ("Dung lượng (byte)", "Size (bytes)"),
    "data.kept_caption": (
        "Các liên kết ghim một phiên bản còn lưu sẽ hiển thị đúng số liệu của phiên bản đó.",
        "Links that pin a kept version show exactly that version's figures."),
    "data.shown": ("Đang xem", "Shown"),
    "data.open_version": ("Liên kết", "Link"),
    "data.open_version_text": ("Mở phiên bản này", "Open this version"),
    # ---- operations on the data page (dashboard/views/data.py, dashboard/operations.py)
    "ops.provisional": ("Số liệu tạm tính của phiên bản này", "Provisional figures in this version"),
    "ops.provisional_none": ("Không có số liệu tạm tính: mọi kỳ đã được nạp đầy đủ.",
                             "No provisional figures: every period was loaded in full."),
    "ops.freshness": ("Độ mới dữ liệu theo điện lực", "Data freshness by branch"),
    "ops.freshness_companies": ("Độ mới dữ liệu theo công ty", "Data freshness by company"),
    "ops.freshness_caption": (
        "Mỗi ô: kỳ mới nhất có dữ liệu · số dòng của kỳ đó. Đỏ: trễ hạn; vàng: thiếu kỳ mới nhất của công ty; "
        "tím: có số liệu tạm tính.",
        "Each cell: the latest period with data · its rows. Red: late; yellow: missing the company's latest "
        "period; purple: provisional figures."),
    "ops.freshness_caption_companies": (
        "Mỗi ô: kỳ mới nhất có dữ liệu ở một điện lực của công ty · số dòng của kỳ đó. Đỏ: có điện lực trễ hạn; "
        "vàng: có điện lực thiếu kỳ mới nhất; tím: có số liệu tạm tính. Mở một công ty để xem từng điện lực; "
        "tệp tải về có mọi điện lực.",
        "Each cell: the latest period with data in any of the company's branches · its rows. Red: a branch is "
        "late; yellow: a branch is missing the latest period; purple: provisional figures. Open a company to see "
        "each branch; the download lists every branch."),
    "ops.company_link": ("Xem các điện lực", "Its branches"),
    "ops.state.branches_late": ("{n} điện lực trễ, tới {days} ngày", "{n} branches late, up to {days} days"),
    "ops.state.branches_missing": ("{n} điện lực thiếu {period}", "{n} branches missing {period}"),
    "ops.usual_day": ("Dữ liệu mỗi kỳ thường được công bố vào ngày {day} của tháng sau. Kỳ tiếp theo ({next}) "
                      "dự kiến trước {due}.",
                      "Each period's data is usually published on day {day} of the month after. The next period "
                      "({next}) is due by {due}."),
    "ops.usual_lag": ("Dữ liệu mỗi kỳ thường được công bố {day} ngày sau khi kỳ kết thúc. Kỳ tiếp theo ({next}) "
                      "dự kiến trước {due}.",
                      "Each period's data is usually published {day} days after the period ends. The next period "
                      "({next}) is due by {due}."),
    "ops.usual_day_unknown": ("Chưa có lần nạp tháng nào để biết ngày công bố thường lệ, nên chưa đánh giá trễ hạn.",
                              "No monthly loads yet to learn the usual publishing day from, so lateness is not judged."),
    "ops.next_overdue": ("Kỳ {next} chưa được nạp: đã quá hạn {due} {days} ngày.",
                         "Period {next} has not been loaded: {days} days past its due date {due}."),
    "ops.no_rows": ("chưa có dữ liệu", "no data"),
    "ops.table.bills": ("Hóa đơn", "Bills"),
    "ops.table.payments": ("Thanh toán", "Payments"),
    "ops.table.service_requests": ("Yêu cầu dịch vụ", "Service requests"),
    "ops.col.branch": ("Điện lực", "Branch"),
    "ops.col.period": ("Kỳ", "Period"),
    "ops.col.check": ("Kiểm tra", "Check"),
    "ops.col.message": ("Nội dung", "Message"),
    "ops.col.provisional": ("Tạm tính", "Provisional"),
    "ops.col.state": ("Tình trạng", "State"),
    "ops.state.ok": ("Đủ", "Up to date"),
    "ops.state.late": ("Trễ {days} ngày", "{days} days late"),
    "ops.state.missing": ("Thiếu {period}", "Missing {period}"),
    "ops.check.no_bills": ("chưa có hóa đơn", "no bills"),
    "ops.check.few_bills": ("ít hóa đơn", "few bills"),
    "ops.check.kpi_jump": ("chỉ tiêu biến động bất thường", "unusual KPI move"),
    "ops.check.other": ("cảnh báo", "warning"),
    "ops.load": ("Nạp dữ liệu tháng", "Monthly load"),
    "ops.load_roles": ("Chỉ chuyên viên phân tích và quản trị viên được nạp dữ liệu.",
                       "Only analysts and administrators may load data."),
    "ops.load_local": ("Biểu mẫu này mở cho mọi người vì chưa cấu hình đăng nhập (chế độ cục bộ). Khi có đăng "
                       "nhập, chỉ chuyên viên phân tích và quản trị viên được nạp dữ liệu.",
                       "This form is open to everyone because sign-in is not configured (local mode). With sign-in, "
                       "only analysts and administrators may load data."),
    "ops.upload": ("Các tệp của kỳ mới (CSV hoặc Parquet)", "The new period's files (CSV or Parquet)"),
    "ops.upload_help": ("Mỗi bảng một tệp, đặt tên theo bảng: bills, payments và service_requests của cả kỳ; "
                        "customers gồm khách hàng mới hoặc thay đổi; branches, channels, targets, annotations nếu "
                        "thay thế.",
                        "One file per table, named after it: bills, payments and service_requests for whole "
                        "periods; customers with new or changed rows; branches, channels, targets, annotations to "
                        "replace them."),
    "ops.upload_note": ("Tên tệp: bills.csv, payments.csv, service_requests.csv (hoặc .parquet), customers.csv nếu "
                        "có. Không tải được thư mục Parquet phân vùng (bills/period=2020-08/…) qua trình duyệt: dùng "
                        "lệnh python -m dashboard load --source THƯ_MỤC.",
                        "File names: bills.csv, payments.csv, service_requests.csv (or .parquet), customers.csv if "
                        "any. A folder of partitioned Parquet (bills/period=2020-08/…) cannot be uploaded in the "
                        "browser: use python -m dashboard load --source FOLDER."),
    "ops.load_button": ("Kiểm tra và công bố", "Check and publish"),
    "ops.load_wait": ("Kiểm tra và công bố (chờ lượt nạp đang chạy)", "Check and publish (waits for the running load)"),
    "ops.loading": ("Đang kiểm tra và nạp dữ liệu…", "Checking and loading…"),
    "ops.starting": ("Bắt đầu", "Starting"),
    "ops.loaded": ("Đã công bố phiên bản mới", "New version published"),
    "ops.refused": ("Không công bố: dữ liệu chưa đạt kiểm tra", "Not published: the data failed its checks"),
    "ops.refused_note": ("Lượt nạp bị từ chối, không có gì được công bố (tệp đã lưu ở uploads/{folder}). Sửa các lỗi "
                         "dưới đây rồi tải lên lại:",
                         "The load was refused and nothing was published (files kept in uploads/{folder}). Fix the "
                         "problems below and upload again:"),
    "ops.col.file": ("Tệp", "File"),
    "ops.col.row": ("Dòng", "Row"),
    "ops.col.column": ("Cột", "Column"),
    "ops.col.hint": ("Cách sửa", "How to fix"),
    "ops.published": ("Đã công bố phiên bản {version} với kỳ {periods} ({seconds} giây).",
                      "Published version {version} with {periods} ({seconds} s)."),
    "ops.published_replaced": ("Kỳ đã có trước đó và được thay thế: {periods}.",
                               "Periods loaded before and now replaced: {periods}."),
    "ops.published_provisional": ("**Công bố kèm cảnh báo:** số liệu sau được đánh dấu tạm tính.",
                                  "**Published with warnings:** these figures are marked provisional."),
    "ops.col.added": ("Dòng thêm", "Rows added"),
    "ops.col.replaced": ("Dòng thay thế", "Rows replaced"),
    "ops.col.rows_after": ("Tổng sau khi nạp", "Rows after"),
    "ops.running": ("{user} đang nạp dữ liệu (bắt đầu {started}). Lượt nạp mới sẽ chờ lượt này xong.",
                    "{user} is loading data (started {started}). A new load will wait for it to finish."),
    "ops.history": ("Lịch sử phiên bản", "Version history"),
    "ops.kind.build": ("Xây dựng toàn bộ", "Full build"),
    "ops.kind.load": ("Nạp tháng", "Monthly load"),
    "ops.col.kind": ("Loại", "Kind"),
    "ops.col.user": ("Người thực hiện", "By"),
    "ops.col.periods": ("Kỳ nạp", "Periods loaded"),
    "ops.col.rows": ("Dòng thêm theo bảng", "Rows added per table"),
    "ops.replaced_rows": ("(thay {rows})", "({rows} replaced)"),
    "ops.col.checks": ("Kiểm tra", "Checks"),
    "ops.checks.passed": ("Đạt", "Passed"),
    "ops.checks.warned": ("{count} cảnh báo", "{count} warnings"),
    "ops.checks.failed": ("Không đạt", "Failed"),
    "ops.col.files": ("Tệp nguồn (mã kiểm tra)", "Source files (checksum)"),
    "ops.changes": ("Thay đổi giữa hai phiên bản", "What changed between two versions"),
    "ops.old_version": ("Từ phiên bản", "From version"),
    "ops.new_version": ("Đến phiên bản", "To version"),
    "ops.version_unknown": ("Tham số {param}={value} không phải phiên bản đang lưu: dùng mặc định.",
                            "Parameter {param}={value} is not a kept version: using the default."),
    "ops.changes_one_version": ("Chỉ có một phiên bản được lưu: chưa có gì để so sánh.",
                                "Only one version is kept: nothing to compare yet."),
    "ops.changes_same": ("Hai phiên bản giống nhau: chọn hai phiên bản khác nhau.",
                         "The same version twice: choose two different versions."),
    "ops.changes_summary": ("{changed} giá trị thay đổi ở các kỳ đã có (lớn nhất trước); kỳ thêm mới: {added}; "
                            "kỳ bị bỏ: {removed}.",
                            "{changed} values moved in periods both versions hold (largest first); periods added: "
                            "{added}; removed: {removed}."),
    "ops.changes_none": ("Không có chỉ tiêu nào thay đổi.", "No KPI value changed."),
    "ops.change.changed": ("Thay đổi", "Changed"),
    "ops.change.added": ("Kỳ mới", "New period"),
    "ops.change.removed": ("Kỳ bị bỏ", "Period removed"),
    "ops.col.before": ("Trước", "Before"),
    "ops.col.after": ("Sau", "After"),
    "ops.col.change": ("Thay đổi tương đối", "Relative change"),
    "ops.col.change_kind": ("Loại thay đổi", "Change"),
    "ops.audit": ("Nhật ký xây dựng và nạp dữ liệu", "Audit log of builds and loads"),
    "ops.audit_caption": ("Mới nhất trước; ghi thêm, không bao giờ sửa, trong {file}.",
                          "Newest first; append-only, in {file}."),
    "ops.col.at": ("Thời điểm", "At"),
    "ops.col.result": ("Kết quả", "Result"),
    "ops.result.ok": ("Thành công", "Succeeded"),
    "ops.result.failed": ("Thất bại", "Failed"),
    "ops.col.detail": ("Phiên bản hoặc lỗi", "Version or error"),
    "ops.col.seconds": ("Giây", "Seconds"),

    # ---- the director pack (PDF)
    "pack.download": ("Tải báo cáo PDF", "Download PDF"),
    "pack.download_help": ("Báo cáo một trang A4 cho {scope}, {period}, với đúng số liệu của liên kết này.",
                           "A one-page A4 report for {scope}, {period}, with this link's figures."),
    "pack.download_many": ("Chọn một điện lực, hoặc để trống cho toàn công ty, để tải báo cáo PDF.",
                           "Choose one branch, or none for the whole company, to download the PDF report."),
    "pack.title": ("Báo cáo chuyển đổi số dịch vụ khách hàng", "Digital customer services report"),
    "pack.compared_with": ("Thay đổi so với: {cmp}", "Change against: {cmp}"),
    "pack.rank": ("Hạng {rank}", "Rank {rank}"),
    "pack.trends_title": ("Xu hướng {range}", "Trends, {range}"),
    "pack.provisional": ("tạm tính", "provisional"),
    "pack.provisional_note": ("Số liệu tạm tính:", "Provisional figures:"),
    "pack.more_notes": ("và {count} ghi chú khác.", "and {count} more notes."),
    "pack.scope_branch": ("Hạng: thứ tự trong {count} điện lực, 1 là tốt nhất.",
                          "Rank: among the {count} branches, 1 is best."),
    "pack.scope_company": ("Tỷ lệ toàn công ty tính từ tổng của {count} điện lực.",
                           "Company ratios are computed from the sums of the {count} branches."),

    # ---- generic
    "common.loading": ("Đang tải…", "Loading…"),
    "common.all": ("Tất cả", "All"),
    "common.none": ("Không có", "None"),
    "common.yes": ("Có", "Yes"),
    "common.no": ("Không", "No"),
}


def t(key: str, lang: str, **kwargs: Any) -> str:
    """The label `key` in `lang`, formatted with kwargs. Unknown keys and languages raise (KeyError,
    ValueError) rather than show a wrong string; a missing placeholder value raises KeyError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    vi, en = LABELS[key]
    template = vi if lang == "vi" else en
    return template.format_map(kwargs)


def pick(lang: str, vi: Any, en: Any) -> Any:
    """Choose between a data row's Vietnamese and English columns (kpis.label_vi / label_en, ...)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return vi if lang == "vi" else en


def pick_col(row: Mapping[str, Any], base: str, lang: str) -> Any:
    """row[f'{base}_{lang}'], e.g. pick_col(kpi_row, 'label', 'en') → kpi_row['label_en']."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return row[f"{base}_{lang}"]


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:>&])")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown, Streamlit directive (':red[..]') and LaTeX ('$') characters, for
    showing untrusted text (a URL value, an error message) inside st.warning / st.markdown."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))
