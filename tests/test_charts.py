"""Charts are functions: read the figure's data for small hand-made DataFrames."""
from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts
from dashboard.charts import (
    adoption_funnel,
    branch_bars,
    channel_mix,
    days_to_complete,
    estimate_bias,
    estimate_error_hist,
    image_config,
    image_filename,
    request_channels,
    sparkline_values,
    trend,
)
from dashboard.labels import t

MONTHS = [date(2020, m, 1) for m in (6, 7, 8)]


def _ts(values) -> list[pd.Timestamp]:
    return [pd.Timestamp(v) for v in values]


@pytest.fixture
def shares():
    return pd.DataFrame({
        "period": MONTHS * 2,
        "branch_code": ["PC08AA"] * 3 + ["PC08FF"] * 3,
        "app_share": [0.05, 0.06, 0.07, 0.01, 0.015, None],
    })


@pytest.fixture
def company():
    return pd.DataFrame({"period": MONTHS, "app_share": [0.04, 0.045, 0.047]})


@pytest.fixture
def events():
    return pd.DataFrame({
        "period": [date(2020, 7, 1), date(2020, 8, 1), date(2020, 6, 1), date(2021, 10, 1)],
        "text_vi": ["Giãn cách", "Giãn cách", "Bão <Molave>", "Bão ngoài phạm vi"],
        "text_en": ["Distancing", "Distancing", "Storm <Molave>", "Storm out of range"],
    })


def _empty_message(fig: go.Figure) -> str:
    assert len(fig.data) == 0
    return fig.layout.annotations[0].text


# ---------------------------------------------------------------- trend

def test_trend_draws_one_line_per_branch(shares):
    fig = trend(shares, y="app_share", lang="vi", unit="share", title="App")
    assert [tr.name for tr in fig.data] == ["PC08AA", "PC08FF"]
    assert list(fig.data[0].y) == [0.05, 0.06, 0.07]
    assert _ts(fig.data[0].x) == _ts(MONTHS)
    assert pd.isna(fig.data[1].y[2])  # a NULL ratio is a gap, not a zero
    assert fig.layout.title.text == "App"


@pytest.mark.parametrize("lang, separators, ticktext, hover", [
    ("vi", ",.", ("T6/2020", "T7/2020", "T8/2020"), ("5,00%", "6,00%", "7,00%")),
    ("en", ".,", ("Jun 2020", "Jul 2020", "Aug 2020"), ("5.00%", "6.00%", "7.00%")),
])
def test_trend_speaks_the_language(shares, lang, separators, ticktext, hover):
    fig = trend(shares, y="app_share", lang=lang, unit="share", title="x")
    assert fig.layout.separators == separators
    assert fig.layout.yaxis.tickformat == ".1~%"
    assert fig.layout.xaxis.ticktext == ticktext
    assert fig.layout.xaxis.tickvals == ("2020-06-01", "2020-07-01", "2020-08-01")
    assert tuple(fig.data[0].customdata) == hover
    assert fig.layout.xaxis.hoverformat == ("T%-m/%Y" if lang == "vi" else "%b %Y")


def test_trend_legend_sits_below_the_plot(shares):
    fig = trend(shares, y="app_share", lang="vi", unit="share", title="x")
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0


def test_trend_company_line_is_thicker(shares, company):
    fig = trend(shares, y="app_share", lang="en", unit="share", title="x", company=company)
    line = fig.data[-1]
    assert line.name == "Whole company"
    assert line.line.width > fig.data[0].line.width
    assert list(line.y) == [0.04, 0.045, 0.047]


def test_trend_draws_the_target_as_a_dashed_step(shares):
    target = pd.DataFrame({"period": MONTHS + [date(2021, 1, 1)], "target": [0.05, 0.05, 0.08, 0.2]})
    fig = trend(shares, y="app_share", lang="vi", unit="share", title="x", target=target)
    tgt = fig.data[-1]
    assert tgt.name == "Kế hoạch"
    assert tgt.line.dash == "dash" and tgt.line.shape == "hv"
    assert list(tgt.y) == [0.05, 0.05, 0.08]  # targets outside the plotted periods are left out


def test_trend_targets_per_branch(shares):
    target = pd.DataFrame({"period": MONTHS * 2, "branch_code": ["PC08AA"] * 3 + ["PC08FF"] * 3,
                           "target": [0.05] * 3 + [0.02] * 3})
    fig = trend(shares, y="app_share", lang="en", unit="share", title="x", target=target,
                names={"PC08AA": "Tuy Hòa"})
    assert [tr.name for tr in fig.data] == ["Tuy Hòa", "PC08FF", "Target – Tuy Hòa", "Target – PC08FF"]


def test_trend_draws_events(shares, events):
    fig = trend(shares, y="app_share", lang="vi", unit="share", title="x", annotations=events)
    shapes = [(s.type, s.x0, s.x1) for s in fig.layout.shapes]
    assert ("line", "2020-06-01", "2020-06-01") in shapes          # a one-month event: a line
    assert ("rect", "2020-07-01", "2020-08-01") in shapes          # consecutive months: one band
    assert len(shapes) == 2                                         # out-of-range event skipped
    texts = sorted(a.text for a in fig.layout.annotations)
    assert texts == ["Bão &lt;Molave&gt;", "Giãn cách"]             # data text is escaped, labelled once
    en = trend(shares, y="app_share", lang="en", unit="share", title="x", annotations=events)
    assert sorted(a.text for a in en.layout.annotations) == ["Distancing", "Storm &lt;Molave&gt;"]


def test_trend_single_series_without_colour(company):
    fig = trend(company, y="app_share", lang="vi", unit="share", title="Tỷ lệ App", color=None)
    assert len(fig.data) == 1 and fig.data[0].name == "Tỷ lệ App"


def test_trend_money_is_scaled_with_the_unit_in_the_axis_title():
    df = pd.DataFrame({"period": MONTHS, "paid_vnd": [12_000_000_000, 13_500_000_000, 14_000_000_000]})
    fig = trend(df, y="paid_vnd", lang="vi", unit="vnd", title="x", color=None)
    assert list(fig.data[0].y) == [12.0, 13.5, 14.0]
    assert "tỷ đồng" in fig.layout.yaxis.title.text
    assert fig.data[0].customdata[1] == "13,50 tỷ đồng"


@pytest.mark.parametrize("unit, tickformat", [("count", ",~r"), ("days", ",.1~f"), ("kwh", ",~r")])
def test_trend_axis_format_by_unit(company, unit, tickformat):
    fig = trend(company, y="app_share", lang="en", unit=unit, title="x", color=None)
    assert fig.layout.yaxis.tickformat == tickformat


@pytest.mark.parametrize("df", [
    None,
    pd.DataFrame(columns=["period", "branch_code", "app_share"]),
    pd.DataFrame({"period": MONTHS, "branch_code": ["PC08AA"] * 3, "app_share": [None] * 3}),
    pd.DataFrame({"period": MONTHS, "other": [1, 2, 3]}),
])
@pytest.mark.parametrize("lang, message", [("vi", "Không có dữ liệu cho bộ lọc này"), ("en", "No rows for these filters")])
def test_trend_without_rows_says_so(df, lang, message):
    fig = trend(df, y="app_share", lang=lang, unit="share", title="x")
    assert _empty_message(fig) == message
    assert fig.layout.separators == (",." if lang == "vi" else ".,")


# ---------------------------------------------------------------- branch bars

@pytest.fixture
def one_period():
    return pd.DataFrame({
        "branch_code": ["PC08AA", "PC08BB", "PC08FF", "PC08GG"],
        "branch_name": ["Điện lực Tuy Hòa", "Điện lực Sông Cầu", "Điện lực Sông Hinh", "Điện lực Đồng Xuân"],
        "online_customer_share": [0.62, 0.55, 0.40, 0.58],
    })


def test_branch_bars_sorted_best_on_top_and_laggards_highlighted(one_period):
    fig = branch_bars(one_period, value="online_customer_share", lang="vi", unit="share", title="x", target=0.575)
    bars = fig.data[0]
    assert bars.orientation == "h"
    # plotly draws the first category at the bottom
    assert bars.y == ("Điện lực Sông Hinh", "Điện lực Sông Cầu", "Điện lực Đồng Xuân", "Điện lực Tuy Hòa")
    assert bars.marker.color == (charts.STATUS_COLORS["behind"], charts.STATUS_COLORS["near"],
                                 charts.STATUS_COLORS["on_target"], charts.STATUS_COLORS["on_target"])
    assert bars.text == ("40,00%", "55,00%", "58,00%", "62,00%")
    assert [s.x0 for s in fig.layout.shapes] == [0.575]
    assert fig.layout.xaxis.tickformat == ".1~%"


def test_branch_bars_lower_is_better(one_period):
    fig = branch_bars(one_period, value="online_customer_share", lang="en", unit="share", title="x",
                      target=0.5, direction="lower", label="branch_code")
    assert fig.data[0].y == ("PC08AA", "PC08GG", "PC08BB", "PC08FF")
    assert fig.data[0].marker.color[-1] == charts.STATUS_COLORS["on_target"]


@pytest.mark.parametrize("narrow", [False, True])
def test_projected_bars_are_large_with_values_beside_them(one_period, narrow):
    fig = branch_bars(one_period, value="online_customer_share", lang="en", unit="share", title="x",
                      target={"PC08AA": 0.7, "PC08FF": 0.3}, label="branch_code")
    same = charts.projected(fig, font_size=16, height=330, narrow=narrow)
    assert same is fig and fig.layout.height == 330 and fig.layout.font.size == 16
    assert fig.data[0].textposition == "auto" and fig.data[0].textfont.size == 16
    assert fig.data[0].text == ("40.00%", "55.00%", "58.00%", "62.00%")  # the values, written: no value axis
    assert fig.layout.xaxis.showticklabels is False
    assert fig.layout.xaxis.range[1] > 0.7  # past the longest bar and the highest target, room for the text
    assert fig.data[1].marker.size <= (330 - 16 * 2.8) / 4  # a target mark no taller than its bar's row
    assert (fig.layout.legend.y < 0) == narrow  # below a narrow chart, beside the title otherwise


def test_branch_bars_per_branch_targets(one_period):
    fig = branch_bars(one_period, value="online_customer_share", lang="en", unit="share", title="x",
                      target={"PC08AA": 0.7, "PC08FF": 0.3}, label="branch_code")
    marks = fig.data[1]
    assert marks.name == "Target"
    assert dict(zip(marks.y, marks.x)) == {"PC08FF": 0.3, "PC08AA": 0.7}
    colours = dict(zip(fig.data[0].y, fig.data[0].marker.color))
    assert colours["PC08AA"] == charts.STATUS_COLORS["behind"]
    assert colours["PC08BB"] == charts.STATUS_COLORS[None]


def test_branch_bars_without_target_are_neutral(one_period):
    fig = branch_bars(one_period.drop(columns="branch_name"), value="online_customer_share", lang="vi",
                      unit="share", title="x", names={"PC08AA": "Tuy Hòa"})
    assert set(fig.data[0].marker.color) == {charts.STATUS_COLORS[None]}
    assert "Tuy Hòa" in fig.data[0].y and "PC08FF" in fig.data[0].y


def test_branch_bars_empty(one_period):
    assert _empty_message(branch_bars(one_period.iloc[0:0], value="online_customer_share", lang="en",
                                      unit="share", title="x")) == "No rows for these filters"


def test_sparkline_values_in_period_order_without_gaps():
    df = pd.DataFrame({"period": [date(2020, 8, 1), date(2020, 6, 1), date(2020, 7, 1)],
                       "v": [3, 1, None]})
    assert sparkline_values(df, "v") == [1.0, 3.0]
    assert sparkline_values(None, "v") == []
    assert sparkline_values(df, "missing") == []


# ---------------------------------------------------------------- adoption

COUNTS = {"customers": 293_000, "phone_customers": 285_851, "email_customers": 70_847,
          "app_customers": 13_766, "zalo_customers": 1_196}


def test_adoption_funnel_from_counts():
    fig = adoption_funnel(COUNTS, "vi")
    funnel = fig.data[0]
    assert funnel.type == "funnel"
    assert funnel.y == ("Tổng số khách hàng", "Có số điện thoại", "Có email", "Dùng App CSKH", "Nhận thông báo qua Zalo")
    assert funnel.x == (293_000, 285_851, 70_847, 13_766, 1_196)
    assert funnel.text[1] == "285.851 (97,6%)"
    assert funnel.text[3] == "13.766 (4,7%)"
    assert fig.layout.separators == ",."


def test_adoption_funnel_sums_branches_of_the_latest_period():
    df = pd.DataFrame({"period": [date(2020, 7, 1), date(2020, 8, 1), date(2020, 8, 1)],
                       "branch_code": ["PC08AA", "PC08AA", "PC08BB"],
                       "customers": [999, 100, 300], "phone_customers": [999, 90, 210],
                       "email_customers": [0, 10, 30], "app_customers": [0, 5, 3], "zalo_customers": [0, 1, 0]})
    fig = adoption_funnel(df, "en")
    assert fig.data[0].x == (400, 300, 40, 8, 1)
    assert fig.data[0].y[0] == "Customers"
    assert fig.data[0].text[1] == "300 (75.0%)"


@pytest.mark.parametrize("counts", [{}, None, {"customers": 0}, pd.DataFrame(columns=list(COUNTS))])
def test_adoption_funnel_empty(counts):
    assert _empty_message(adoption_funnel(counts, "vi")) == "Không có dữ liệu cho bộ lọc này"


# ---------------------------------------------------------------- metering

def test_estimate_error_hist_from_rows():
    fig = estimate_error_hist(pd.DataFrame({"error_rate": [-0.1, 0.2, 0.05, None]}), "en")
    assert fig.data[0].type == "histogram"
    assert list(fig.data[0].x) == [-0.1, 0.2, 0.05]
    assert fig.layout.xaxis.tickformat == ".0%"
    assert [s.x0 for s in fig.layout.shapes] == [0]
    assert fig.layout.separators == ".,"


def test_estimate_error_hist_from_bins():
    bins = pd.DataFrame({"bin": [-0.2, -0.1, 0.0, 0.1], "bills": [3, 10, 12, 4]})
    fig = estimate_error_hist(bins, "vi", value="bin", count="bills")
    bars = fig.data[0]
    assert bars.type == "bar"
    assert list(bars.y) == [3, 10, 12, 4]
    assert list(bars.x) == pytest.approx([-0.15, -0.05, 0.05, 0.15])
    assert bars.customdata[0] == "-20% – -10%: 3"


def test_estimate_error_hist_empty():
    assert _empty_message(estimate_error_hist(pd.DataFrame({"error_rate": []}), "en")) == "No rows for these filters"


def test_estimate_bias_bars_around_zero(events):
    df = pd.DataFrame({"period": MONTHS, "offset_kwh": [1200.0, -300.0, 50.0]})
    fig = estimate_bias(df, "vi", annotations=events)
    bars = fig.data[0]
    assert list(bars.y) == [1200.0, -300.0, 50.0]
    assert bars.marker.color[0] != bars.marker.color[1]   # over- and under-estimates differ
    assert bars.customdata[0] == "1.200 kWh"
    assert any(s.type == "line" and s.y0 == 0 and s.y1 == 0 for s in fig.layout.shapes)
    assert "Giãn cách" in [a.text for a in fig.layout.annotations]
    assert fig.layout.xaxis.ticktext == ("T6/2020", "T7/2020", "T8/2020")


def test_estimate_bias_by_branch():
    df = pd.DataFrame({"period": MONTHS * 2, "branch_code": ["PC08AA"] * 3 + ["PC08BB"] * 3,
                       "offset_kwh": [1, 2, 3, 4, 5, 6]})
    fig = estimate_bias(df, "en", color="branch_code")
    assert [tr.name for tr in fig.data] == ["PC08AA", "PC08BB"]
    assert fig.layout.barmode == "group"


def test_estimate_bias_empty():
    assert _empty_message(estimate_bias(None, "vi")) == "Không có dữ liệu cho bộ lọc này"


# ---------------------------------------------------------------- channels

@pytest.fixture
def payments():
    return pd.DataFrame({
        "period": [date(2020, 7, 1)] * 3 + [date(2020, 8, 1)] * 3,
        "channel_name": ["Ngân hàng", "Quầy điện lực", "Ví điện tử"] * 2,
        "is_online": [True, False, True] * 2,
        "payments": [60, 30, 10, 130, 50, 20],
    })


def test_channel_mix_stacks_shares_online_first(payments):
    fig = channel_mix(payments, lang="vi", value="payments")
    assert [tr.name for tr in fig.data] == ["Ngân hàng", "Ví điện tử", "Quầy điện lực"]
    assert list(fig.data[0].y) == pytest.approx([0.6, 0.65])
    assert list(fig.data[2].y) == pytest.approx([0.3, 0.25])
    totals = [sum(tr.y[i] for tr in fig.data) for i in range(2)]
    assert totals == pytest.approx([1.0, 1.0])
    assert fig.layout.barmode == "stack"
    assert fig.layout.yaxis.tickformat == ".0%"
    assert [tr.legendgroup for tr in fig.data] == ["Trực tuyến", "Trực tuyến", "Tiền mặt / tại quầy"]
    assert fig.data[0].marker.color in charts.ONLINE_COLORS
    assert fig.data[2].marker.color in charts.OFFLINE_COLORS
    assert fig.data[0].customdata[0] == "60,0%"
    assert fig.layout.xaxis.ticktext == ("T7/2020", "T8/2020")


def test_channel_mix_by_amount_is_its_own_chart(payments):
    df = payments.rename(columns={"payments": "paid_vnd"})
    fig = channel_mix(df, lang="en", value="paid_vnd", title="By amount")
    assert fig.layout.title.text == "By amount"
    assert fig.layout.separators == ".,"


def test_channel_mix_refuses_the_customer_basis(payments):
    with pytest.raises(ValueError, match="customer"):
        channel_mix(payments.rename(columns={"payments": "paying_customers"}), lang="vi", value="paying_customers")


def test_channel_mix_single_period_without_a_period_column(payments):
    fig = channel_mix(payments.drop(columns="period"), lang="en", value="payments")
    assert fig.data[0].orientation == "h"
    assert sum(tr.x[0] for tr in fig.data) == pytest.approx(1.0)


def test_channel_mix_empty(payments):
    assert _empty_message(channel_mix(payments.iloc[0:0], lang="en")) == "No rows for these filters"


def test_request_channels():
    df = pd.DataFrame({"period": [date(2020, 8, 1)] * 3,
                       "channel_name": ["Cổng DVC quốc gia", "App CSKH", "Tại quầy"],
                       "is_online": [True, True, False], "requests": [70, 20, 10]})
    fig = request_channels(df, "vi")
    assert fig.layout.title.text == "Kênh tiếp nhận yêu cầu dịch vụ"
    assert [tr.name for tr in fig.data] == ["Cổng DVC quốc gia", "App CSKH", "Tại quầy"]
    assert [tr.y[0] for tr in fig.data] == pytest.approx([0.7, 0.2, 0.1])


def test_days_to_complete(events):
    df = pd.DataFrame({"period": MONTHS, "median_days_to_complete": [3.5, 4.25, 2.0]})
    fig = days_to_complete(df, "vi", annotations=events)
    assert list(fig.data[0].y) == [3.5, 4.25, 2.0]
    assert fig.data[0].customdata[1] == "4,3 ngày"
    assert fig.layout.yaxis.tickformat == ",.1~f"
    assert fig.layout.title.text == "Thời gian giải quyết yêu cầu (trung vị, ngày)"
    assert fig.layout.shapes


# ---------------------------------------------------------------- image download

@pytest.mark.parametrize("kpi, branch, period, expected", [
    ("online_payment_share", "PC08AA", date(2020, 8, 1), "online_payment_share_PC08AA_2020-08"),
    ("online_payment_share", None, "2020-08", "online_payment_share_all_2020-08"),
    ("app_share", "all", date(2020, 8, 15), "app_share_all_2020-08"),
    ("app_share", (), "2020-08", "app_share_all_2020-08"),
    ("app_share", ["PC08AA", "PC08BB"], (date(2019, 9, 1), date(2020, 8, 1)), "app_share_PC08AA-PC08BB_2019-09_2020-08"),
    ("app_share", [f"PC08{c}{c}" for c in "ABCDE"], ("2020-08", "2020-08"), "app_share_5-branches_2020-08"),
    ("../../etc/passwd", "<script>", None, "etc-passwd_script"),
    ("kênh thanh toán", "PC08AA", "2020-08", "k-nh-thanh-to-n_PC08AA_2020-08"),
])
def test_image_filename(kpi, branch, period, expected):
    assert image_filename(kpi, branch, period) == expected


def test_image_config():
    config = image_config("online_payment_share", "PC08AA", date(2020, 8, 1))
    assert config["displaylogo"] is False
    assert config["toImageButtonOptions"]["filename"] == "online_payment_share_PC08AA_2020-08"
    assert config["toImageButtonOptions"]["format"] == "png"


# ---------------------------------------------------------------- every chart

def _all_charts(lang, shares, company, events, payments, empty):
    pick = (lambda df: df.iloc[0:0]) if empty else (lambda df: df)
    return [
        trend(pick(shares), y="app_share", lang=lang, unit="share", title="t", company=company,
              annotations=events),
        branch_bars(pick(shares[shares.period == MONTHS[-1]]), value="app_share", lang=lang, unit="share", title="t"),
        adoption_funnel({} if empty else COUNTS, lang),
        estimate_error_hist(pick(pd.DataFrame({"error_rate": [0.1, -0.2]})), lang),
        estimate_bias(pick(pd.DataFrame({"period": MONTHS, "offset_kwh": [1, -2, 3]})), lang),
        channel_mix(pick(payments), lang=lang),
        request_channels(pick(payments.rename(columns={"payments": "requests"})), lang),
        days_to_complete(pick(pd.DataFrame({"period": MONTHS, "median_days_to_complete": [1, 2, 3]})), lang),
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("empty", [False, True])
def test_every_chart_is_a_serialisable_figure_with_the_right_separators(lang, empty, shares, company, events, payments):
    for fig in _all_charts(lang, shares, None if empty else company, events, payments, empty):
        assert isinstance(fig, go.Figure)
        assert fig.layout.separators == (",." if lang == "vi" else ".,")
        assert fig.layout.template.layout.paper_bgcolor is not None
        fig.to_json()


# ---------------------------------------------------------------- the pages' touches


def test_company_line_is_an_average_per_branch_for_counts(company):
    counts = pd.DataFrame({"period": MONTHS, "app_customers": [900, 990, 1080]})
    assert list(charts.company_line(counts, "app_customers", "count", 9)["app_customers"]) == [100, 110, 120]
    assert list(charts.company_line(company, "app_share", "share", 9)["app_share"]) == [0.04, 0.045, 0.047]


def test_compact_keeps_the_latest_month_and_clips_event_labels():
    months = [date(2019, m, 1) for m in range(1, 13)] + [date(2020, m, 1) for m in range(1, 13)]
    df = pd.DataFrame({"period": months, "branch_code": "PC08AA", "v": [0.1] * 24})
    notes = pd.DataFrame({"period": [date(2020, 4, 1)], "text": ["Giãn cách xã hội toàn tỉnh theo Chỉ thị 16"]})
    fig = charts.compact(trend(df, y="v", lang="vi", unit="share", annotations=notes), max_ticks=4)
    ticks = list(fig.layout.xaxis.tickvals)
    assert len(ticks) <= 4 and pd.Timestamp(ticks[-1]) == pd.Timestamp(months[-1])
    [note] = [a for a in fig.layout.annotations if a.name == "event"]
    assert len(note.text) <= 24 and note.text.endswith("…") and "Chỉ thị 16" in note.hovertext


def test_build_renames_the_company_average_and_sets_the_height(shares, company):
    fig = charts.build("trend", lang="en", company_is_average=True, height=340, df=shares, y="app_share",
                       unit="share", company=company)
    names = [tr.name for tr in fig.data]
    assert t("chart.company_avg", "en") in names and t("chart.company", "en") not in names
    assert fig.layout.height == 340


def test_build_refuses_an_unknown_chart():
    with pytest.raises(ValueError, match="unknown chart 'pie'"):
        charts.build("pie", lang="vi")


def test_trend_draws_a_projection_at_current_trend_and_holds_the_target_across_it(shares):
    ahead = pd.DataFrame({"period": [date(2020, 9, 1), date(2020, 10, 1)], "value": [0.08, 0.09],
                          "low": [0.075, 0.08], "high": [0.085, 0.10]})
    target = pd.DataFrame({"period": MONTHS, "target": [0.1, 0.1, 0.1]})
    fig = trend(shares[shares["branch_code"] == "PC08AA"], y="app_share", lang="en", unit="share", color=None,
                series_name="Tuy Hòa", target=target, projection=ahead)
    [dashed] = [tr for tr in fig.data if tr.name == t("chart.at_current_trend", "en")]
    assert list(dashed.y) == [0.08, 0.09] and dashed.line.dash == "dot"
    band = [tr for tr in fig.data if tr.fill == "tonexty"]
    assert band and list(band[0].y) == [0.085, 0.10]
    [tgt] = [tr for tr in fig.data if tr.name == t("chart.target", "en")]
    assert pd.Timestamp(list(tgt.x)[-1]) == pd.Timestamp("2020-10-01") and list(tgt.y)[-1] == 0.1


def test_projection_of_a_reach():
    from dashboard import forecast

    reach = forecast.Reach("on_track", date(2021, 6, 1), None, None, 0.01, 0.005, 0.015, 0.5, date(2020, 12, 1))
    rows = forecast.projection(reach, months=3)
    assert [r[0] for r in rows] == [date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)]
    assert rows[2][1:] == pytest.approx((0.53, 0.515, 0.545))
    assert forecast.projection(forecast.Reach("reached", date(2020, 12, 1), None, None, 0, 0, 0, 0.9,
                                              date(2020, 12, 1))) == []
