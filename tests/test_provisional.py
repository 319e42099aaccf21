"""Provisional marks (a load published a branch's month with a warning) drawn where the figures are: the note
above every page, the card badge and its help, the ring on trend charts; and the rule that decides which."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dashboard import charts, drops, load, scorecard
from dashboard.build import build
from tests.conftest import SAMPLE
from tests.test_views import assert_clean, open_page, plain

LATE = "PC08FF"


@pytest.fixture(scope="module")
def late_data(tmp_path_factory) -> tuple[Path, str]:
    """The sample through 2019-11, then 2019-12 loaded without Sông Hinh's bills: published, PC08FF provisional."""
    tmp = tmp_path_factory.mktemp("provisional")
    parts = drops.split(SAMPLE, tmp / "drops")
    data = tmp / "data"
    build(drops.snapshot(parts[:11], tmp / "first"), data)
    late = tmp / "late"
    shutil.copytree(parts[11], late)
    branch_of = {r["customer_id"]: r["branch_code"] for r in csv.DictReader(open(SAMPLE / "customers.csv"))}
    bills = list(csv.DictReader(open(late / "bills.csv")))
    kept = [b for b in bills if branch_of[b["customer_id"]] != LATE]
    gone = {b["bill_id"] for b in bills} - {b["bill_id"] for b in kept}
    payments = list(csv.DictReader(open(late / "payments.csv")))
    for name, rows, fields in (("bills", kept, bills[0].keys()),
                               ("payments", [p for p in payments if p["bill_id"] not in gone], payments[0].keys())):
        with open(late / f"{name}.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(fields))
            writer.writeheader()
            writer.writerows(rows)
    result = load.load(late, data)
    assert any(c.branch_code == LATE and c.name == "no_bills" for c in result.warnings)
    return data, parts[11].name


# ---------------------------------------------------------------- the rule


def marks(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["branch_code", "period", "kpi", "message_vi", "message_en"])


@pytest.mark.parametrize("branch, kpi, expected", [
    ("PC08FF", "phone_coverage", ("late", "jump")),  # a branch-wide mark marks every KPI; a KPI mark its own
    ("PC08FF", "app_share", ("late",)),
    ("PC08AA", "phone_coverage", ()),  # another branch
    (None, "phone_coverage", ("late", "jump")),  # the company is a sum of the branches
    (None, None, ("late", "jump")),
])
def test_which_figures_are_provisional(branch, kpi, expected):
    found = marks(("PC08FF", "2020-08-01", None, "muộn", "late"),
                  ("PC08FF", "2020-08-01", "phone_coverage", "nhảy", "jump"),
                  ("PC08FF", "2020-07-01", None, "cũ", "old"))
    assert scorecard.provisional_notes(found, "2020-08-01", branch, kpi, "en") == expected


def test_no_marks_no_notes():
    assert scorecard.provisional_notes(None, "2020-08-01") == ()
    assert scorecard.provisional_notes(marks(), "2020-08-01", "PC08AA", "app_share", "vi") == ()


def test_the_trend_rings_provisional_points():
    df = pd.DataFrame({"branch_code": ["A", "A", "B", "B"], "period": ["2020-07-01", "2020-08-01"] * 2,
                       "v": [0.5, 0.6, 0.7, 0.8]})
    company = pd.DataFrame({"period": ["2020-07-01", "2020-08-01"], "v": [0.6, 0.7]})
    points = pd.DataFrame({"branch_code": ["B", None, "C"], "period": ["2020-08-01", "2020-08-01", "2020-08-01"]})
    fig = charts.trend(df, y="v", lang="vi", unit="share", company=company, provisional=points)
    ring = [tr for tr in fig.data if tr.name == "Tạm tính"]
    assert len(ring) == 1 and sorted(ring[0].y) == [0.7, 0.8]  # C is not drawn: no ring for it
    assert ring[0].marker.symbol == "circle-open"
    assert not [tr for tr in charts.trend(df, y="v", lang="vi", unit="share").data if tr.name == "Tạm tính"]


# ---------------------------------------------------------------- on the pages


@pytest.fixture()
def late_env(late_data, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(late_data[0]))
    return late_data


@pytest.mark.parametrize("lang, note, badge", [("vi", "Số liệu tạm tính", "Tạm tính"),
                                               ("en", "Provisional figures", "Provisional")])
def test_the_overview_says_which_figures_are_provisional(late_env, lang, note, badge):
    _, period = late_env
    at = open_page("overview", {"to": period, "lang": lang})
    assert_clean(at)
    warnings = [plain(w.value) for w in at.warning]
    assert any(note in w and "Sông Hinh" in w for w in warnings), warnings
    badges = [m.value for m in at.main.markdown if ":violet-badge[" in m.value]
    assert badges and all(badge in b for b in badges)
    # every card is provisional: a branch's bills are missing, so the company's sums are provisional too
    assert len(badges) == len(at.metric)
    helps = [m.help for m in at.metric]
    assert all(help_ and ("Sông Hinh" in help_) for help_ in helps)


def test_a_branch_without_marks_shows_no_note(late_env):
    _, period = late_env
    at = open_page("overview", {"to": period, "branch": "PC08AA"})
    assert_clean(at)
    assert not [w for w in at.warning if "tạm tính" in w.value.lower()]


def test_an_earlier_period_is_not_provisional(late_env):
    at = open_page("overview", {"to": "2019-11", "from": "2019-01"})
    assert_clean(at)
    assert not [w for w in at.warning if "tạm tính" in w.value.lower()]


@pytest.mark.parametrize("page", ["adoption", "metering", "payments", "services", "branch"])
def test_every_kpi_page_shows_the_note(late_env, page):
    _, period = late_env
    params = {"to": period, "branch": LATE} if page == "branch" else {"to": period}
    at = open_page(page, params)
    assert_clean(at)
    assert any("Số liệu tạm tính" in plain(w.value) for w in at.warning)
