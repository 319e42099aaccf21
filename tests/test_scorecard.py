"""Scorecards: comparison values, red/amber/green states, biggest misses and ranks on hand-made frames."""
import datetime as dt

import pandas as pd
import pytest

from dashboard import scorecard

D = dt.date
KPIS = pd.DataFrame([
    {"kpi": "remote_read_rate", "label_vi": "Tỷ lệ ghi chỉ số từ xa", "label_en": "Remote-read rate", "unit": "share",
     "direction": "higher", "column_name": "remote_read_rate"},
    {"kpi": "estimated_bill_rate", "label_vi": "Tỷ lệ hóa đơn tạm tính", "label_en": "Estimated-bill rate",
     "unit": "share", "direction": "lower", "column_name": "estimated_bill_rate"},
    {"kpi": "customers", "label_vi": "Tổng số khách hàng", "label_en": "Customers", "unit": "count",
     "direction": None, "column_name": "customers"},
])


@pytest.mark.parametrize("value,target,direction,expected", [
    (0.90, 0.80, "higher", "on_target"), (0.80, 0.80, "higher", "on_target"), (0.77, 0.80, "higher", "near"),
    (0.75, 0.80, "higher", "behind"), (0.01, 0.02, "lower", "on_target"), (0.0205, 0.02, "lower", "near"),
    (0.03, 0.02, "lower", "behind"), (0.72, 0.75, "higher", "near"), (None, 0.8, "higher", None), (0.5, None, "higher", None),
    (float("nan"), 0.8, "higher", None), (0.5, 0.8, None, None),
])
def test_status(value, target, direction, expected):
    assert scorecard.status(value, target, direction) == expected


def company():
    periods = [D(2019, m, 1) for m in range(1, 13)] + [D(2020, m, 1) for m in range(1, 9)]
    return pd.DataFrame({"period": periods,
                         "remote_read_rate": [0.5 + i / 100 for i in range(len(periods))],
                         "estimated_bill_rate": [0.02] * len(periods),
                         "customers": [1000 + i for i in range(len(periods))]})


TARGETS = pd.DataFrame([
    {"kpi": "remote_read_rate", "branch_code": None, "period": D(2020, 8, 1), "target": 0.8, "direction": "higher"},
    {"kpi": "estimated_bill_rate", "branch_code": None, "period": D(2020, 8, 1), "target": 0.025, "direction": "lower"},
    {"kpi": "remote_read_rate", "branch_code": "PC08BB", "period": D(2020, 8, 1), "target": 0.5, "direction": "higher"},
])


def test_cards_compare_with_previous_period_last_year_and_target():
    by = {c: {card.kpi: card for card in scorecard.cards(KPIS, company(), TARGETS, D(2020, 8, 1), c, "vi")}
          for c in scorecard.COMPARISONS}
    rr = by["prev_month"]["remote_read_rate"]
    assert rr.value == pytest.approx(0.69) and rr.reference == pytest.approx(0.68) and rr.delta == pytest.approx(0.01)
    assert by["prev_year"]["remote_read_rate"].reference == pytest.approx(0.57)  # 2019-08
    assert by["target"]["remote_read_rate"].reference == 0.8
    assert rr.status == "behind" and by["prev_month"]["estimated_bill_rate"].status == "on_target"
    assert by["prev_month"]["customers"].status is None
    assert len(rr.spark) == 12 and rr.spark[-1] == pytest.approx(0.69)
    assert rr.label == "Tỷ lệ ghi chỉ số từ xa"


def branches():
    return pd.DataFrame([
        {"branch_code": "PC08AA", "branch_name": "Điện lực Tuy Hòa", "period": D(2020, 8, 1), "remote_read_rate": 0.70,
         "estimated_bill_rate": 0.05, "customers": 10},
        {"branch_code": "PC08BB", "branch_name": "Điện lực Sông Cầu", "period": D(2020, 8, 1), "remote_read_rate": 0.55,
         "estimated_bill_rate": 0.01, "customers": 20},
        {"branch_code": "PC08CC", "branch_name": "Điện lực Đông Hòa", "period": D(2020, 8, 1), "remote_read_rate": 0.79,
         "estimated_bill_rate": 0.026, "customers": 30},
    ])


def test_biggest_misses_use_branch_targets_and_relative_gaps():
    misses = scorecard.biggest_misses(KPIS, branches(), TARGETS, D(2020, 8, 1), "en")
    # AA estimated 0.05 vs 0.025: gap 1.0; AA remote 0.70 vs 0.8: 0.125; CC estimated 0.026 vs 0.025: 0.04;
    # CC remote 0.79 vs 0.8: 0.0125; BB remote 0.55 vs its own 0.5: met.
    assert [(m.branch_code, m.kpi) for m in misses] == [
        ("PC08AA", "estimated_bill_rate"), ("PC08AA", "remote_read_rate"), ("PC08CC", "estimated_bill_rate")]
    assert misses[0].gap == pytest.approx(1.0)


def test_branch_matrix_states():
    values, states = scorecard.branch_matrix(KPIS, branches(), TARGETS, D(2020, 8, 1), "en")
    assert list(values.index) == ["PC08AA", "PC08BB", "PC08CC"]
    assert list(states["Remote-read rate"]) == ["behind", "on_target", "near"]
    assert values.loc["PC08BB", "Customers"] == 20


def test_rank_best_first_by_direction():
    assert scorecard.rank(branches(), "remote_read_rate", "higher", D(2020, 8, 1)) == {"PC08CC": 1, "PC08AA": 2, "PC08BB": 3}
    assert scorecard.rank(branches(), "estimated_bill_rate", "lower", D(2020, 8, 1))["PC08BB"] == 1


def test_month_shift():
    assert scorecard.month_shift(D(2020, 1, 1), -1) == D(2019, 12, 1)
    assert scorecard.month_shift(D(2020, 8, 1), -12) == D(2019, 8, 1)


# ---------------------------------------------------------------- a scope's rows and target lines

NAMES = {"PC08AA": "Điện lực Tuy Hòa", "PC08BB": "Điện lực Sông Cầu", "PC08CC": "Điện lực Đông Hòa"}
REMOTE = KPIS.iloc[0].to_dict()


def test_comparison_rows_rank_target_and_state_per_branch():
    data = scorecard.comparison_rows(branches(), REMOTE, TARGETS, D(2020, 8, 1), NAMES)
    assert list(data["branch_code"]) == ["PC08CC", "PC08AA", "PC08BB"]  # best first
    assert list(data["rank"]) == [1, 2, 3] and set(data["ranked"]) == {3}
    assert list(data["target"]) == [0.8, 0.8, 0.5]  # BB has its own target
    assert list(data["status"]) == ["near", "behind", "on_target"]
    assert list(data["branch_name"]) == [NAMES["PC08CC"], NAMES["PC08AA"], NAMES["PC08BB"]]


def test_comparison_rows_put_branches_without_a_value_last():
    rows = branches()
    rows.loc[rows["branch_code"] == "PC08CC", "remote_read_rate"] = None
    data = scorecard.comparison_rows(rows, REMOTE, TARGETS, D(2020, 8, 1), NAMES)
    assert list(data["branch_code"]) == ["PC08AA", "PC08BB", "PC08CC"]
    assert data["rank"].iloc[-1] is None or pd.isna(data["rank"].iloc[-1])
    assert set(data["ranked"]) == {2} and pd.isna(data["status"].iloc[-1])


def test_rank_rows_for_one_branch_against_the_company():
    company_now = pd.DataFrame([{"period": D(2020, 8, 1), "remote_read_rate": 0.66, "estimated_bill_rate": 0.03,
                                 "customers": 60}])
    kpis = KPIS.assign(family=["metering", "metering", "adoption"])
    data = scorecard.rank_rows(kpis, branches(), company_now, TARGETS, "PC08BB", D(2020, 8, 1), "en")
    by = data.set_index("kpi")
    assert by.loc["remote_read_rate", "value"] == 0.55 and by.loc["remote_read_rate", "company"] == 0.66
    assert by.loc["remote_read_rate", "rank"] == 3 and by.loc["remote_read_rate", "target"] == 0.5
    assert by.loc["remote_read_rate", "status"] == "on_target"
    assert by.loc["estimated_bill_rate", "rank"] == 1 and by.loc["estimated_bill_rate", "status"] == "on_target"
    assert pd.isna(by.loc["customers", "rank"]) and by.loc["customers", "ranked"] == 0  # no direction: no rank
    assert by.loc["remote_read_rate", "label"] == "Remote-read rate"


def test_rank_rows_of_a_branch_without_rows_have_no_values():
    data = scorecard.rank_rows(KPIS.assign(family="x"), branches(), company().iloc[0:0], TARGETS, "PC08ZZ",
                               D(2020, 8, 1), "vi")
    assert data["value"].isna().all() and data["company"].isna().all()


SCOPE_TARGETS = pd.DataFrame([
    {"kpi": "app_share", "branch_code": None, "period": D(2020, 8, 1), "target": 0.10},
    {"kpi": "app_share", "branch_code": "PC08AA", "period": D(2020, 8, 1), "target": 0.10},
    {"kpi": "app_share", "branch_code": "PC08BB", "period": D(2020, 8, 1), "target": 0.10},
    {"kpi": "app_share", "branch_code": "PC08CC", "period": D(2020, 8, 1), "target": 0.05},
    {"kpi": "zalo_share", "branch_code": None, "period": D(2020, 8, 1), "target": 0.02},
])


@pytest.mark.parametrize("branches_, expected", [
    ((), [(D(2020, 8, 1), 0.10)]),  # the company's line
    (("PC08AA", "PC08BB"), [(D(2020, 8, 1), 0.10)]),  # shared by the chosen branches: one line
])
def test_trend_targets_one_line(branches_, expected):
    line = scorecard.trend_targets(SCOPE_TARGETS, "app_share", branches_)
    assert list(line.columns) == ["period", "target"]
    assert list(zip(line["period"], line["target"])) == expected


def test_trend_targets_one_line_per_branch_when_they_differ():
    line = scorecard.trend_targets(SCOPE_TARGETS, "app_share", ("PC08AA", "PC08CC"))
    assert list(line.columns) == ["branch_code", "period", "target"]
    assert dict(zip(line["branch_code"], line["target"])) == {"PC08AA": 0.10, "PC08CC": 0.05}


@pytest.mark.parametrize("branches_, expected", [
    ((), [0.10]), (("PC08CC",), [0.05]), (("PC08AA", "PC08CC"), []),  # several branches summed: no target
])
def test_scope_target(branches_, expected):
    line = scorecard.scope_target(SCOPE_TARGETS, "app_share", branches_)
    assert list(line.columns) == ["period", "target"] and list(line["target"]) == expected


@pytest.mark.parametrize("state, target, lang, expected", [
    ("on_target", 0.8, "en", "On target"), ("behind", 0.8, "vi", "Chưa đạt"), ("near", 0.8, "en", "Near target"),
    (None, None, "en", "No target"), (None, float("nan"), "vi", "Chưa có kế hoạch"),
    (None, 0.8, "en", "–"),  # a target but no value
])
def test_status_text(state, target, lang, expected):
    assert scorecard.status_text(state, target, lang) == expected


def test_expected_reach_uses_the_scope_target_in_force_and_reads_in_both_languages():
    from dashboard import forecast

    periods = [scorecard.month_shift(D(2020, 8, 1), -i) for i in range(23, -1, -1)]
    series = pd.DataFrame({"period": periods, "remote_read_rate": [0.27 + 0.01 * i for i in range(24)],
                           "estimated_bill_rate": [0.02] * 24, "customers": [100] * 24})
    got = scorecard.expected_reach(KPIS, series, TARGETS, D(2020, 8, 1), "PC08BB")
    assert set(got) == {"remote_read_rate", "estimated_bill_rate"}  # customers has no direction
    assert got["remote_read_rate"].state == "reached"  # 0.50 against PC08BB's own 0.5
    company = scorecard.expected_reach(KPIS, series, TARGETS, D(2020, 8, 1))
    assert company["remote_read_rate"].period == D(2023, 2, 1)  # from 0.50, 0.01 a month, to the company's 0.80
    assert scorecard.reach_text(company["remote_read_rate"], "vi") == "T2/2023"  # a straight line: no band
    on_track = forecast.Reach("on_track", D(2023, 10, 1), D(2023, 8, 1), D(2024, 1, 1), 0.01, 0.009, 0.011, 0.5)
    assert scorecard.reach_text(on_track, "vi") == "T10/2023 (T8/2023–T1/2024)"
    assert scorecard.reach_text(on_track, "en").startswith("Oct 2023 (")
    assert scorecard.reach_text(forecast.Reach("reached", D(2020, 8, 1), None, None, 0, 0, 0, 0.9), "vi") == "Đã đạt"
    assert scorecard.reach_text(None, "en") == "–"
