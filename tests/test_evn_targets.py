"""EVN's 2025 targets (issue 10, part 3): rows of targets.csv for 2025 that never become a target in force for the
periods with data, and when each KPI reaches them at the current trend, on the branch page and in the card help."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import forecast, formats, queries, scorecard
from dashboard.labels import t
from tests.test_views import (  # noqa: F401 - fixtures
    BRANCH,
    assert_clean,
    kpi_rows,
    link,
    month,
    open_page,
    periods,
    rows,
    wh,
)

D = dt.date
# DOMAIN.md: level-4 online services 75% (2020) -> 100% (2025); non-cash payment 50% -> 75%; e-transactions 50% ->
# 100%. targets.csv maps them as its 2020 rows already do (README, "EVN's 2025 targets").
EVN = {"online_request_share": 1.0, "online_payment_share": 0.75, "online_customer_share": 0.75}


def test_the_sample_holds_evn_2025_targets_company_wide(wh):  # noqa: F811
    got = rows(wh, "select kpi, branch_code, valid_from, valid_to, target, direction from targets "
                   "where year(valid_from) = 2025 order by kpi")
    assert {r["kpi"]: r["target"] for r in got} == EVN
    assert all(r["branch_code"] is None and r["direction"] == "higher" for r in got)
    assert all((r["valid_from"], r["valid_to"]) == (D(2025, 1, 1), D(2025, 12, 31)) for r in got)


def test_a_2025_target_is_never_in_force_for_the_periods_with_data(wh):  # noqa: F811
    data = rows(wh, "select min(period) as first, max(period) as last from company_month")[0]
    span = rows(wh, "select min(period) as first, max(period) as last, count(*) filter (where year(period) >= 2023) "
                    "as later from target_month")[0]
    assert (span["first"], span["last"], span["later"]) == (data["first"], data["last"], 0)
    # the last period with data keeps the 2022 row (0.85), not EVN's 2025 100%
    [row] = rows(wh, "select target from target_month where kpi = 'online_request_share' and branch_code is null "
                     "and period = ?", data["last"])
    assert row["target"] == 0.85


def test_targets_at_reads_the_future_and_agrees_with_target_month_on_the_past(wh):  # noqa: F811
    evn = queries.run(wh, "targets_at", {"period": scorecard.EVN_PERIOD})
    assert dict(zip(evn["kpi"], evn["target"])) == EVN and evn["branch_code"].isna().all()
    past = queries.run(wh, "targets_at", {"period": D(2020, 8, 1)})
    in_force = queries.run(wh, "targets_in_force", {"period_from": D(2020, 8, 1), "period_to": D(2020, 8, 1)})
    key = ["kpi", "branch_code"]
    company = in_force[in_force["branch_code"].isna()]
    assert (past[past["branch_code"].isna()].set_index("kpi")["target"].sort_index()
            == company.set_index("kpi")["target"].sort_index()).all()
    own = past.dropna(subset=["branch_code"]).sort_values(key).reset_index(drop=True)
    theirs = in_force.merge(own[key], on=key).sort_values(key).reset_index(drop=True)
    assert list(own["target"]) == list(theirs["target"])


# ---------------------------------------------------------------- scorecard

KPIS = pd.DataFrame([
    {"kpi": "online_request_share", "column_name": "online_request_share", "direction": "higher"},
    {"kpi": "remote_read_rate", "column_name": "remote_read_rate", "direction": "higher"},
])
LAST = D(2022, 12, 1)
SERIES = pd.DataFrame({"period": [forecast.month_shift(LAST, -i) for i in range(23, -1, -1)],
                       "online_request_share": [0.66 + 0.01 * i for i in range(24)],  # 0.89 at 2022-12
                       "remote_read_rate": [0.9] * 24})
IN_FORCE = pd.DataFrame([{"kpi": "online_request_share", "branch_code": None, "period": LAST, "target": 0.85},
                         {"kpi": "remote_read_rate", "branch_code": None, "period": LAST, "target": 0.97}])
EVN_ROWS = pd.DataFrame([{"kpi": "online_request_share", "branch_code": None, "period": scorecard.EVN_PERIOD,
                          "target": 1.0, "direction": "higher"}])


def test_expected_reach_against_a_later_target():
    in_force = scorecard.expected_reach(KPIS, SERIES, IN_FORCE, LAST)
    assert in_force["online_request_share"].state == "reached"  # 0.89 against 2022's 0.85
    evn = scorecard.expected_reach(KPIS, SERIES, EVN_ROWS, LAST, target_period=scorecard.EVN_PERIOD)
    # 0.89 rising 0.01 a month reaches 1.00 in 11 months; no 2025 target for remote reading: nothing to say
    assert evn["online_request_share"].state == "on_track" and evn["online_request_share"].period == D(2023, 11, 1)
    assert evn["remote_read_rate"].state == "too_short"
    assert scorecard.reach_text(evn["remote_read_rate"], "vi") == formats.MISSING


@pytest.mark.parametrize("branch", [None, "PC08BB"])
def test_evn_reach_asks_for_the_scope_and_the_2025_targets(branch):
    asked = []

    def query(name, **params):
        asked.append((name, params))
        return EVN_ROWS if name == "targets_at" else SERIES

    got = scorecard.evn_reach(query, KPIS, LAST, D(2019, 1, 1), branch)
    assert got["online_request_share"].period == D(2023, 11, 1)  # a branch falls back to the company's target
    names = [name for name, _ in asked]
    assert names == ["branch_kpis" if branch else "company_kpis", "targets_at"]
    assert asked[1][1] == {"period": scorecard.EVN_PERIOD}
    assert asked[0][1]["period_from"] == forecast.month_shift(LAST, -(forecast.WINDOW - 1))


# ---------------------------------------------------------------- the pages


def evn_target(con, kpi: str) -> float | None:
    got = rows(con, "select target from targets where kpi = ? and branch_code is null and year(valid_from) = 2025",
               kpi)
    return got[0]["target"] if got else None


def test_branch_page_says_when_each_kpi_reaches_evns_2025_target(sample_env, wh, link):  # noqa: F811
    at = open_page("branch", link)
    assert_clean(at)
    table = at.dataframe[0].value
    shown = dict(zip(table[t("col.kpi", "en")], table[t("col.expected_evn", "en")]))
    to = month(link["to"])
    with_target = 0
    for k in kpi_rows(wh):
        history = rows(wh, f"select period, {k['column_name']} as v from branch_month where branch_code = ? "  # noqa: S608
                           "and period between ? and ? order by period", BRANCH, forecast.month_shift(to, -23), to)
        reach = forecast.reach([r["period"] for r in history], [r["v"] for r in history],
                               evn_target(wh, k["kpi"]), k["direction"])
        assert shown[k["label_en"]] == scorecard.reach_text(reach, "en"), k["kpi"]
        if k["kpi"] in EVN:
            assert shown[k["label_en"]] != formats.MISSING
            with_target += 1
        else:
            assert shown[k["label_en"]] == formats.MISSING  # EVN set no 2025 target for it
    assert with_target == len(EVN)


def test_card_help_says_when_the_kpi_reaches_evns_2025_target(sample_env, wh, link):  # noqa: F811
    company = {k: v for k, v in link.items() if k != "branch"}
    at = open_page("payments", company)
    assert_clean(at)
    helps = {m.label: m.proto.help for m in at.metric}
    to = month(link["to"])
    for k in kpi_rows(wh, "payments"):
        label = f"{t('col.expected_evn', 'en')}:**"
        if k["kpi"] not in EVN:
            assert label not in helps[k["label_en"]], k["kpi"]
            continue
        history = rows(wh, f"select period, {k['column_name']} as v from company_month "  # noqa: S608
                           "where period between ? and ? order by period", forecast.month_shift(to, -23), to)
        reach = forecast.reach([r["period"] for r in history], [r["v"] for r in history], EVN[k["kpi"]],
                               k["direction"])
        assert f"{label} {scorecard.reach_text(reach, 'en')}." in helps[k["label_en"]], k["kpi"]
        # after the target in force, in the same help
        assert helps[k["label_en"]].index(t("col.expected", "en")) < helps[k["label_en"]].index(label)
