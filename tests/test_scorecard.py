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
    (0.90, 0.80, "higher", "green"), (0.80, 0.80, "higher", "green"), (0.77, 0.80, "higher", "amber"),
    (0.75, 0.80, "higher", "red"), (0.01, 0.02, "lower", "green"), (0.0205, 0.02, "lower", "amber"),
    (0.03, 0.02, "lower", "red"), (None, 0.8, "higher", None), (0.5, None, "higher", None),
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
    assert rr.status == "red" and by["prev_month"]["estimated_bill_rate"].status == "green"
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
    assert list(states["Remote-read rate"]) == ["red", "green", "amber"]
    assert values.loc["PC08BB", "Customers"] == 20


def test_rank_best_first_by_direction():
    assert scorecard.rank(branches(), "remote_read_rate", "higher", D(2020, 8, 1)) == {"PC08CC": 1, "PC08AA": 2, "PC08BB": 3}
    assert scorecard.rank(branches(), "estimated_bill_rate", "lower", D(2020, 8, 1))["PC08BB"] == 1


def test_month_shift():
    assert scorecard.month_shift(D(2020, 1, 1), -1) == D(2019, 12, 1)
    assert scorecard.month_shift(D(2020, 8, 1), -12) == D(2019, 8, 1)
