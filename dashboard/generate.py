"""Synthetic PC Phú Yên exports, or EVNCPC's: every table of the export contract, 2019-01 to 2022-12.

`python -m dashboard generate --out DIR [--customers N] [--seed S] [--format csv|parquet] [--companies N]`

Everything is drawn with vectorized numpy from one seed, so a given seed and size always give
the same content. Customers are drawn in blocks of at most BLOCK_CUSTOMERS (300,000: the default
size is a single block), each with its own random streams spawned from (seed, block), and every
block's rows are appended to the files, so memory stays ~2-2.5 GB at any size. Files hold exactly
the columns and DuckDB types of `dashboard.contract`: Parquet is written by pyarrow (zstd, one or
more row groups per block), CSV by DuckDB `COPY ... TO` (UTF-8, header, comma, ISO dates, '.'
decimals, empty for NULL), each in a background thread while the next table is drawn. The
reference tables (companies, branches, channels, targets, annotations) are kept by hand in
`sample_data/reference/*.csv` and copied into the output (companies: the rows of the companies generated).

Companies (`--companies N`, 1-13): PC08 with --customers customers and exactly what a single-company run
writes, plus the first N - 1 other EVNCPC companies in code order (13: the whole corporation, ~4.1 M
customers at the default size), one after another through the same blocks and files. Each other company
is sized in proportion to its estimated customers, has its own branches (COMPANY_BRANCHES: their rows of
branches.csv are written from there), its own pace (COMPANIES) and its own random streams and id range
(`_block_streams`, ID_COMPANY_STRIDE). targets and annotations are copied as kept: rows without a branch
apply to every company, branch rows are PC08's.

Shape of the data the build can rely on:
* bills: one per active customer and period (industry read 3 times, the largest businesses twice
  a month, on distinct days); read_on on days 1-20 of the period; bill_id rises with
  (period, read_on) over a company's bills (the ids of every block are planned from the customers
  before any bill is drawn; in the file, rows are in id order within a block); kwh and
  offset_kwh are whole numbers stored as DOUBLE. Payment and request ids rise with the payment
  and submission date within a block; every id is unique over the whole table, all companies
  together (company PCxx's ids, but PC08's, are offset by xx * 10^10).
* estimates: an estimated bill bills the customer's previous billed kWh (its offset_kwh is 0);
  the next remote or manual bill carries offset_kwh = Σ over the run (actual − estimated), and
  every bill whose previous bill was not estimated has offset_kwh = 0. A customer's first bill in
  the export may be estimated only if it was connected before 2019 (estimated from a reading of
  12/2018 outside the export); the final bill of a disconnected customer is never estimated.
* amount_vnd = tariff(max(kwh + offset_kwh, 0)) with VAT; payments reference their bill and its
  customer; a bill has 0, 1 or 2 payments; payments dated after 2022-12-31 are left out (unpaid).

Calibration (published report, whole company, period 08/2020): among customers active at
2020-08-31, phone coverage 97.56 %, email coverage 24.18 %, 13,766 app users and 1,196 Zalo users
at the default size (290,000 customers). The dates are drawn from smooth adoption ramps, then
just enough customers nearest the cutoff have their registration date mirrored across
2020-08-31 to hit the figures exactly. At other sizes the app and Zalo counts scale with the
number of customers (13,766 × N / 290,000), the coverages stay 97.56 % and 24.18 %. With
several blocks, each block is calibrated to its share and the last one to what makes the totals
exactly those figures. The other companies are calibrated the same way to targets scaled by their pace
(e.g. pace 1.1: 26.6 % email, 1.1 × 13,766 app users per 290,000 customers; phone: the 2.44 % missing
divided by the pace), so their 2020-08 figures are plausible, not reported.
"""
from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard import config, contract

DEFAULT_CUSTOMERS = 290_000
DEFAULT_SEED = 8
BLOCK_CUSTOMERS = 300_000  # customers drawn at a time (the default size is one block); bounds the memory
SAMPLE_CUSTOMERS = 1_200  # sample_data/sample: CSV, every file under 5 MB (bills.csv ~3.9 MB)
SAMPLE_DIR = config.SAMPLE_DIR / "sample"
# sample_data/corporation: three companies (PC01, PC02, PC08: 385 customers, every branch with some) in CSV,
# every file under 1.5 MB (bills.csv ~1.3 MB)
CORPORATION_CUSTOMERS = 150
CORPORATION_COMPANIES = 3
CORPORATION_DIR = config.SAMPLE_DIR / "corporation"
FORMATS = ("parquet", "csv")
REFERENCE_DIR = config.SAMPLE_DIR / "reference"
REFERENCE_TABLES = [name for name, t in contract.TABLES.items() if t.reference_data]

Progress = Callable[[float, str], None]


def _day(s: str) -> int:
    return int(np.datetime64(s, "D").astype(np.int64))


# ---------------------------------------------------------------- calendar
N_PERIODS = 48  # 2019-01 .. 2022-12
PERIOD_START = (np.datetime64("2019-01", "M") + np.arange(N_PERIODS + 1)).astype("datetime64[D]").astype(np.int64)
START = _day("2019-01-01")
END = _day("2022-12-31")  # the exports were taken at the end of 2022
CUTOFF = _day("2020-08-31")  # calibration date
NEVER = np.int64(2**40)  # sentinel for "no date"; becomes NULL in the output
TARIFF_CHANGE = _day("2019-03-20")
REFERENCE_CUSTOMERS = 290_000
APP_USERS_0820 = 13_766
ZALO_USERS_0820 = 1_196
PHONE_COVERAGE_0820 = 0.9756
EMAIL_COVERAGE_0820 = 0.2418


def _p(year: int, month: int) -> int:
    return (year - 2019) * 12 + month - 1


LOCKDOWN_PERIODS = {_p(2020, 4), _p(2020, 8), _p(2021, 7), _p(2021, 8), _p(2021, 9)}
LOCKDOWN_WINDOWS = [  # (first day, last day) of distancing that stopped field work
    (_day("2020-04-01"), _day("2020-04-22")),
    (_day("2020-08-01"), _day("2020-08-31")),
    (_day("2021-07-19"), _day("2021-09-30")),
]

# ---------------------------------------------------------------- branches
# code, share of customers (DOMAIN.md), household kWh factor, digital factor (app, email, online),
# mountain branch
BRANCHES = [
    ("PC08AA", 0.21, 1.25, 1.35, False),
    ("PC08BB", 0.115, 1.00, 1.00, False),
    ("PC08CC", 0.13, 0.98, 0.95, False),
    ("PC08DD", 0.06, 0.70, 0.55, True),
    ("PC08EE", 0.13, 0.95, 0.90, False),
    ("PC08FF", 0.05, 0.68, 0.50, True),
    ("PC08GG", 0.06, 0.70, 0.55, True),
    ("PC08HH", 0.11, 0.95, 0.95, False),
    ("PC08II", 0.13, 0.92, 0.90, False),
]
BRANCH_CODES = [b[0] for b in BRANCHES]
BRANCH_SHARE = np.array([b[1] for b in BRANCHES]) / sum(b[1] for b in BRANCHES)
_KWH = np.array([b[2] for b in BRANCHES])
_KWH_NORM = np.exp((BRANCH_SHARE * np.log(_KWH)).sum())
BRANCH_KWH = _KWH / _KWH_NORM  # company household median stays 139
BRANCH_DIGITAL = np.array([b[3] for b in BRANCHES])
MOUNTAIN = np.array([b[4] for b in BRANCHES])

# ---------------------------------------------------------------- companies
# EVNCPC's thirteen power companies (`--companies N`: PC08 and the first N - 1 others in code order). Per company:
# estimated customers (PC08's is --customers, the others' in proportion) and pace, which multiplies the digital
# ramps (app, email, Zalo, phone on the share still missing) and the online shares of payments and requests.
# sample_data/reference/companies.csv says the same in its notes (a test keeps them equal).
CALIBRATED = "PC08"  # the company of the published report: today's streams, ids and exact calibration
COMPANIES = {
    "PC01": (265_000, 0.95), "PC02": (190_000, 0.90), "PC03": (330_000, 1.10), "PC04": (370_000, 1.30),
    "PC05": (430_000, 0.95), "PC06": (350_000, 0.95), "PC07": (440_000, 1.05), "PC08": (290_000, 1.00),
    "PC09": (380_000, 1.15), "PC10": (360_000, 0.85), "PC11": (135_000, 0.80), "PC12": (420_000, 0.90),
    "PC13": (150_000, 0.80),
}
MIN_COMPANY_CUSTOMERS = 50  # every branch of every company gets customers (a test checks the shares allow it)
ID_COMPANY_STRIDE = 10**10  # ids of company PCxx (but PC08) run from xx * 10^10 on, so companies never share one

# The other companies' branches, one per district (a branch may stand for a smaller neighbour too), coded
# PCxxAA, PCxxBB, ... in this order and named "Điện lực <district without its TP/TX/huyện/quận>": district as in
# branches.csv, share of the company's customers (by population, estimate), household kWh factor (on the scale of
# PC08's branches), digital factor, mountain branch. A city (TP) or an urban district (quận) is urban, like Tuy
# Hòa in PC08: more business customers, remote meters and online payment first.
COMPANY_BRANCHES: dict[str, list[tuple[str, float, float, float, bool]]] = {
    "PC01": [("TP Đồng Hới", 0.18, 1.25, 1.35, False), ("TX Ba Đồn", 0.115, 1.00, 1.00, False),
             ("huyện Bố Trạch", 0.20, 0.95, 0.90, False), ("huyện Quảng Trạch", 0.105, 0.92, 0.85, False),
             ("huyện Quảng Ninh", 0.10, 0.92, 0.85, False), ("huyện Lệ Thủy", 0.155, 0.92, 0.85, False),
             ("huyện Tuyên Hóa", 0.09, 0.72, 0.60, True), ("huyện Minh Hóa", 0.055, 0.68, 0.50, True)],
    "PC02": [("TP Đông Hà", 0.17, 1.25, 1.35, False), ("TX Quảng Trị", 0.045, 1.05, 1.05, False),
             ("huyện Vĩnh Linh", 0.14, 0.95, 0.90, False), ("huyện Gio Linh", 0.115, 0.92, 0.85, False),
             ("huyện Cam Lộ", 0.075, 0.92, 0.85, False), ("huyện Triệu Phong", 0.15, 0.92, 0.85, False),
             ("huyện Hải Lăng", 0.14, 0.92, 0.85, False), ("huyện Hướng Hóa", 0.115, 0.72, 0.55, True),
             ("huyện Đakrông", 0.05, 0.62, 0.45, True)],
    "PC03": [("TP Huế", 0.355, 1.25, 1.40, False), ("TX Hương Thủy", 0.095, 1.05, 1.05, False),
             ("TX Hương Trà", 0.09, 1.00, 1.00, False), ("huyện Phong Điền", 0.08, 0.92, 0.85, False),
             ("huyện Quảng Điền", 0.07, 0.90, 0.85, False), ("huyện Phú Vang", 0.13, 0.92, 0.90, False),
             ("huyện Phú Lộc", 0.115, 0.92, 0.90, False), ("huyện Nam Đông", 0.025, 0.65, 0.50, True),
             ("huyện A Lưới", 0.04, 0.62, 0.45, True)],
    "PC04": [("quận Hải Châu", 0.19, 1.35, 1.45, False), ("quận Thanh Khê", 0.17, 1.30, 1.40, False),
             ("quận Sơn Trà", 0.14, 1.30, 1.35, False), ("quận Ngũ Hành Sơn", 0.085, 1.30, 1.35, False),
             ("quận Liên Chiểu", 0.15, 1.20, 1.25, False), ("quận Cẩm Lệ", 0.135, 1.20, 1.25, False),
             ("huyện Hòa Vang", 0.13, 0.95, 0.90, False)],
    "PC05": [("TP Tam Kỳ", 0.12, 1.20, 1.30, False), ("TP Hội An", 0.08, 1.30, 1.40, False),
             ("TX Điện Bàn", 0.16, 1.05, 1.05, False), ("huyện Duy Xuyên", 0.085, 0.95, 0.90, False),
             ("huyện Đại Lộc", 0.10, 0.92, 0.85, False), ("huyện Quế Sơn", 0.06, 0.90, 0.85, False),
             ("huyện Thăng Bình", 0.13, 0.92, 0.85, False), ("huyện Núi Thành", 0.095, 0.95, 0.90, False),
             ("huyện Phú Ninh", 0.055, 0.92, 0.85, False), ("huyện Tiên Phước", 0.05, 0.80, 0.70, False),
             ("huyện Bắc Trà My", 0.035, 0.65, 0.50, True), ("huyện Nam Giang", 0.03, 0.62, 0.45, True)],
    "PC06": [("TP Quảng Ngãi", 0.235, 1.20, 1.30, False), ("TX Đức Phổ", 0.11, 0.95, 0.90, False),
             ("huyện Bình Sơn", 0.14, 0.98, 0.95, False), ("huyện Sơn Tịnh", 0.075, 0.92, 0.85, False),
             ("huyện Tư Nghĩa", 0.12, 0.92, 0.85, False), ("huyện Nghĩa Hành", 0.07, 0.90, 0.80, False),
             ("huyện Mộ Đức", 0.10, 0.90, 0.85, False), ("huyện Ba Tơ", 0.045, 0.65, 0.50, True),
             ("huyện Sơn Hà", 0.06, 0.65, 0.50, True), ("huyện Trà Bồng", 0.045, 0.62, 0.45, True)],
    "PC07": [("TP Quy Nhơn", 0.20, 1.25, 1.35, False), ("TX An Nhơn", 0.115, 1.00, 1.00, False),
             ("TX Hoài Nhơn", 0.135, 1.00, 0.95, False), ("huyện Tuy Phước", 0.115, 0.95, 0.90, False),
             ("huyện Phù Cát", 0.12, 0.92, 0.85, False), ("huyện Phù Mỹ", 0.105, 0.90, 0.85, False),
             ("huyện Tây Sơn", 0.08, 0.92, 0.85, False), ("huyện Hoài Ân", 0.055, 0.85, 0.75, False),
             ("huyện An Lão", 0.025, 0.62, 0.45, True), ("huyện Vân Canh", 0.025, 0.62, 0.45, True),
             ("huyện Vĩnh Thạnh", 0.025, 0.62, 0.45, True)],
    "PC09": [("TP Nha Trang", 0.36, 1.30, 1.40, False), ("TP Cam Ranh", 0.10, 1.05, 1.05, False),
             ("TX Ninh Hòa", 0.17, 0.95, 0.90, False), ("huyện Vạn Ninh", 0.095, 0.92, 0.85, False),
             ("huyện Diên Khánh", 0.11, 1.00, 1.00, False), ("huyện Cam Lâm", 0.085, 0.95, 0.90, False),
             ("huyện Khánh Vĩnh", 0.045, 0.65, 0.50, True), ("huyện Khánh Sơn", 0.035, 0.62, 0.45, True)],
    "PC10": [("TP Pleiku", 0.245, 1.20, 1.30, False), ("TX An Khê", 0.055, 0.95, 0.90, False),
             ("TX Ayun Pa", 0.035, 0.90, 0.85, False), ("huyện Chư Păh", 0.07, 0.80, 0.70, False),
             ("huyện Chư Prông", 0.09, 0.75, 0.60, True), ("huyện Chư Sê", 0.10, 0.82, 0.75, False),
             ("huyện Đak Đoa", 0.085, 0.78, 0.65, True), ("huyện Đức Cơ", 0.055, 0.75, 0.60, True),
             ("huyện Ia Grai", 0.09, 0.80, 0.70, False), ("huyện Kbang", 0.055, 0.70, 0.55, True),
             ("huyện Krông Pa", 0.07, 0.68, 0.50, True), ("huyện Mang Yang", 0.05, 0.70, 0.55, True)],
    "PC11": [("TP Kon Tum", 0.375, 1.15, 1.25, False), ("huyện Đăk Hà", 0.14, 0.85, 0.75, False),
             ("huyện Đăk Tô", 0.085, 0.80, 0.70, False), ("huyện Ngọc Hồi", 0.10, 0.85, 0.75, False),
             ("huyện Đăk Glei", 0.09, 0.62, 0.45, True), ("huyện Sa Thầy", 0.10, 0.68, 0.50, True),
             ("huyện Kon Rẫy", 0.055, 0.65, 0.50, True), ("huyện Kon Plông", 0.055, 0.62, 0.45, True)],
    "PC12": [("TP Buôn Ma Thuột", 0.26, 1.20, 1.30, False), ("TX Buôn Hồ", 0.055, 0.95, 0.90, False),
             ("huyện Ea H'leo", 0.065, 0.75, 0.60, True), ("huyện Ea Súp", 0.04, 0.68, 0.50, True),
             ("huyện Krông Năng", 0.075, 0.80, 0.70, False), ("huyện Cư M'gar", 0.105, 0.85, 0.75, False),
             ("huyện Ea Kar", 0.09, 0.85, 0.75, False), ("huyện M'Đrắk", 0.04, 0.68, 0.50, True),
             ("huyện Krông Pắc", 0.125, 0.88, 0.80, False), ("huyện Krông Bông", 0.05, 0.70, 0.55, True),
             ("huyện Krông Ana", 0.06, 0.85, 0.75, False), ("huyện Lắk", 0.035, 0.68, 0.50, True)],
    "PC13": [("TP Gia Nghĩa", 0.12, 1.10, 1.20, False), ("huyện Cư Jút", 0.16, 0.85, 0.75, False),
             ("huyện Đắk Mil", 0.165, 0.88, 0.80, False), ("huyện Krông Nô", 0.115, 0.75, 0.60, True),
             ("huyện Đắk Song", 0.115, 0.78, 0.65, False), ("huyện Đắk R'lấp", 0.145, 0.85, 0.75, False),
             ("huyện Đắk Glong", 0.095, 0.65, 0.50, True), ("huyện Tuy Đức", 0.085, 0.65, 0.50, True)],
}
DISTRICT_KINDS = ("TP ", "TX ", "huyện ", "quận ")  # city, town, rural district, urban district
URBAN_KINDS = ("TP ", "quận ")


@dataclass(frozen=True, eq=False)
class Company:
    """A power company as the generator draws it: its branches (codes, shares and factors) and its pace."""

    code: str
    number: int  # 1..13, the xx of PCxx: its random streams and id range
    pace: float
    codes: list[str]
    share: np.ndarray  # of the company's customers, summing to 1
    kwh: np.ndarray  # household kWh factor
    digital: np.ndarray  # digital factor (app, email, Zalo within the company)
    mountain: np.ndarray
    urban: np.ndarray

    @property
    def id_offset(self) -> int:
        return 0 if self.code == CALIBRATED else self.number * ID_COMPANY_STRIDE


def branch_rows(code: str) -> list[tuple[str, str, str]]:
    """(branch_code, branch_name, district) of a company other than PC08 (whose branches are in branches.csv)."""
    return [(f"{code}{letter}{letter}", "Điện lực " + _district_name(district), district)
            for letter, (district, *_) in zip("ABCDEFGHIJKL", COMPANY_BRANCHES[code])]


def _district_name(district: str) -> str:
    kind = next(k for k in DISTRICT_KINDS if district.startswith(k))
    return district[len(kind):]


@functools.cache
def company(code: str) -> Company:
    """Company `code` (PC01..PC13) as drawn: PC08 from BRANCHES (its first branch, Tuy Hòa, the urban one), the
    others from COMPANY_BRANCHES."""
    if code == CALIBRATED:
        return Company(code, int(code[2:]), COMPANIES[code][1], BRANCH_CODES, BRANCH_SHARE, BRANCH_KWH,
                       BRANCH_DIGITAL, MOUNTAIN, np.arange(len(BRANCHES)) == 0)
    rows = COMPANY_BRANCHES[code]
    shares = np.array([r[1] for r in rows])
    return Company(
        code, int(code[2:]), COMPANIES[code][1], [b for b, _, _ in branch_rows(code)], shares / sum(r[1] for r in rows),
        np.array([r[2] for r in rows]) / _KWH_NORM,  # on PC08's scale: the same factor, the same households
        np.array([r[3] for r in rows]), np.array([r[4] for r in rows]),
        np.array([r[0].startswith(URBAN_KINDS) for r in rows]))


def company_codes(companies: int) -> list[str]:
    """The companies `--companies N` generates, in code order: PC08 and the first N - 1 others."""
    others = [c for c in sorted(COMPANIES) if c != CALIBRATED]
    return sorted([CALIBRATED] + others[:companies - 1])


def company_sizes(customers: int, companies: int) -> dict[str, int]:
    """Customers per company: PC08 `customers`, the others in proportion to their estimated customers."""
    base = COMPANIES[CALIBRATED][0]
    return {code: customers if code == CALIBRATED
            else max(MIN_COMPANY_CUSTOMERS, round(customers * COMPANIES[code][0] / base))
            for code in company_codes(companies)}

CUSTOMER_TYPES = list(contract.CUSTOMER_TYPES)  # household, business, industry, public, other
HOUSEHOLD, BUSINESS, INDUSTRY, PUBLIC, OTHER = range(5)
TYPE_MIX = {"urban": [0.885, 0.080, 0.009, 0.012, 0.014], "plain": [0.930, 0.045, 0.006, 0.011, 0.008],
            "mountain": [0.950, 0.030, 0.003, 0.011, 0.006]}
# median kWh per month and log-sd of the customer level, by customer type
LEVEL_MEDIAN = np.array([139.0, 450.0, 10000.0, 500.0, 150.0])
LEVEL_SIGMA = np.array([0.76, 1.0, 1.4, 0.9, 0.9])
# seasonality of billed kWh by calendar month (March–May peak, March 2020 about +4.5 % on February)
SEASON = np.array([0.92, 0.93, 0.972, 1.10, 1.16, 1.10, 1.05, 1.02, 0.97, 0.94, 0.92, 0.92])

# tariffs, VND/kWh before VAT
RES_WIDTH = np.array([50, 50, 100, 100, 100, np.inf])
RES_NEW = np.array([1678, 1734, 2014, 2536, 2834, 2927], dtype=float)  # from 20/3/2019
RES_OLD = np.array([1549, 1600, 1858, 2340, 2615, 2701], dtype=float)  # from 1/12/2017
FLAT_NEW = np.array([0.0, 2950.0, 1880.0, 1950.0, 2300.0])  # business, industry, public, other
FLAT_OLD = FLAT_NEW / 1.0836

PAY_ONLINE = ["pay_auto_debit", "pay_banking", "pay_ewallet", "pay_qr", "pay_website", "pay_app"]
PAY_CASH = ["pay_counter", "pay_agent", "pay_collector"]
PAY_CHANNELS = PAY_ONLINE + PAY_CASH
REQ_ONLINE = ["req_portal", "req_website", "req_app", "req_zalo"]
REQ_OFFLINE = ["req_counter", "req_hotline"]
REQ_CHANNELS = REQ_ONLINE + REQ_OFFLINE
REQUEST_TYPES = ["new_connection", "contract_change", "ownership_transfer", "tariff_change", "meter_check", "other"]
READ_METHODS = list(contract.READ_METHODS)  # remote, manual, estimated
STATUSES = ["completed", "in_progress", "postponed", "cancelled"]

BILL_ID_BASE = 100_000_000
PAYMENT_ID_BASE = 500_000_000
REQUEST_ID_BASE = 1_000_000


class Curve:
    """A company-wide adoption ramp: share of active customers registered by each date (piecewise linear)."""

    def __init__(self, points: list[tuple[str, float]]):
        self.days = np.array([_day(d) for d, _ in points], dtype=float)
        self.values = np.array([v for _, v in points], dtype=float)
        if np.any(np.diff(self.values) <= 0) or np.any(np.diff(self.days) <= 0):
            raise ValueError("a curve must rise strictly")

    def invert(self, u: np.ndarray) -> np.ndarray:
        """Day on which a customer with threshold u registers: -inf before the curve, nan never."""
        t = np.interp(u, self.values, self.days)
        t[u <= self.values[0]] = -np.inf
        t[u > self.values[-1]] = np.nan
        return t


def _paced(share: float, pace: float) -> float:
    """A digital share at a company's pace: pace times as high (e.g. email coverage)."""
    return share * pace


def _paced_complement(share: float, pace: float) -> float:
    """A share near 1 at a company's pace: the share still missing divided by the pace (phone coverage)."""
    return share if pace == 1.0 else 1.0 - (1.0 - share) / pace


def _curves(app_share: float, zalo_share: float, pace: float = 1.0) -> dict[str, Curve]:
    """The company-wide ramps at a company's pace. The app and Zalo shares at 2020-08-31 come from the
    calibration targets, which carry the pace already; remote-capable meters do not follow the pace."""
    ramps = {
        "phone": [("2008-01-01", 0.55), ("2015-01-01", 0.92), ("2019-01-01", 0.9655),
                  ("2020-08-31", PHONE_COVERAGE_0820), ("2021-12-31", 0.982), ("2022-12-31", 0.9865)],
        "email": [("2010-01-01", 0.02), ("2016-01-01", 0.10), ("2019-01-01", 0.196),
                  ("2020-08-31", EMAIL_COVERAGE_0820), ("2021-12-31", 0.287), ("2022-12-31", 0.328)],
        "app": [("2017-10-01", 0.0), ("2019-01-01", 0.004), ("2020-01-01", 0.026),
                ("2020-08-31", app_share), ("2021-05-31", 0.115), ("2021-12-31", 0.175), ("2022-12-31", 0.262)],
        "zalo": [("2019-06-01", 0.0), ("2020-01-01", 0.0012), ("2020-08-31", zalo_share),
                 ("2021-06-30", 0.011), ("2021-12-31", 0.020), ("2022-12-31", 0.037)],
        "remote": [("2016-01-01", 0.05), ("2018-01-01", 0.30), ("2019-01-01", 0.50), ("2019-12-31", 0.68),
                   ("2020-12-31", 0.86), ("2021-12-31", 0.945), ("2022-12-31", 0.985), ("2023-03-31", 1.0)],
    }
    pacing = {"phone": _paced_complement, "email": _paced, "app": _paced, "zalo": _paced}
    curves = {}
    for name, points in ramps.items():
        values = [v if name not in pacing or (name in ("app", "zalo") and d == "2020-08-31") else pacing[name](v, pace)
                  for d, v in points]
        if name in ("app", "zalo"):
            i = [d for d, _ in points].index("2020-08-31")
            values[i] = _between(values[i], values[i - 1], values[i + 1])
        curves[name] = Curve([(d, v) for (d, _), v in zip(points, values)])
    return curves


def _between(share: float, lo: float, hi: float) -> float:
    """A ramp's calibration share kept strictly between its neighbours lo and hi: a few customers' target
    (0 Zalo users of 100) would stop the ramp rising. The calibration still hits the target."""
    if lo < share < hi:
        return share
    return lo + (hi - lo) * 0.1 if share <= lo else hi - (hi - lo) * 0.1


def _period_of(day: np.ndarray) -> np.ndarray:
    """Index of the billing period (0 = 2019-01) containing each day."""
    return np.searchsorted(PERIOD_START, day, side="right") - 1


def _apportion(shares: np.ndarray, n: int) -> np.ndarray:
    raw = shares * n
    counts = np.floor(raw).astype(np.int64)
    rest = n - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:rest]] += 1
    return counts


def _pick(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Category index per row: u in [0,1) against per-row cumulative probabilities (rows, k)."""
    out = np.zeros(len(u), dtype=np.int8)
    for k in range(cum.shape[1] - 1):
        out += u >= cum[:, k]
    return out


# ---------------------------------------------------------------- customers
def _customers(rng: np.random.Generator, co: Company, n: int, mean_gap: int | None = None,
               num_start: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """n customers of company `co`. `mean_gap` spaces the customer numbers (default: for n customers in all);
    `num_start` (per branch) is the number each branch's numbers count on from (default 1000), so that blocks
    of customers drawn one after another get distinct numbers."""
    counts = _apportion(co.share, n)
    branch = np.repeat(np.arange(len(co.codes), dtype=np.int8), counts)
    group = np.where(co.mountain[branch], 2, np.where(co.urban[branch], 0, 1))
    mix = np.array([TYPE_MIX["urban"], TYPE_MIX["plain"], TYPE_MIX["mountain"]])
    ctype = _pick(rng.random(n), np.cumsum(mix, axis=1)[group])

    # connection dates: 92.5 % before 2019, the rest 2019-2022 (~2 %/yr)
    is_new = rng.random(n) < 0.075
    years = np.arange(1975, 2019)
    growth = 0.02 + 0.13 / (1 + np.exp((years - 2002) / 3.0))  # fast electrification, then ~2 %/yr
    stock = np.exp(-(np.cumsum(growth[::-1])[::-1] - growth))  # customers at the end of each year, 2018 = 1
    w = stock * (1 - np.exp(-growth))  # connections in each year
    year = rng.choice(years, size=n, p=w / w.sum())
    year_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    pre = year_start + np.floor(rng.random(n) * 365).astype(np.int64)
    new = START + np.floor((rng.random(n) ** 0.93) * (END - START + 1)).astype(np.int64)
    connected = np.minimum(np.where(is_new, new, pre), END)

    order = np.lexsort((connected, branch))  # within a branch, in order of connection
    branch, ctype, connected = branch[order], ctype[order], connected[order]

    # 7-digit customer numbers rising with connection date (within a block), unique within a branch
    if mean_gap is None:
        mean_gap = _mean_gap(co, n)
    gaps = rng.integers(1, 2 * mean_gap, size=n)
    num = np.cumsum(gaps)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    base = np.repeat(num[starts] - gaps[starts], counts)
    num = num - base + (1000 if num_start is None else np.repeat(num_start, counts))

    # reading sessions: ~57 % of customers on days 16-20; industry 3 reads, large businesses 2 reads
    z_level = rng.standard_normal(n)
    level = LEVEL_MEDIAN[ctype] * np.exp(LEVEL_SIGMA[ctype] * z_level)
    level = np.where(ctype == HOUSEHOLD, level * co.kwh[branch], level * np.sqrt(co.kwh[branch]))
    reads = np.ones(n, dtype=np.int64)
    reads[ctype == INDUSTRY] = 3
    big_business = (ctype == BUSINESS) & (z_level > 1.04)  # top ~15 % of businesses
    reads[big_business] = 2
    route = np.where(rng.random(n) < 0.57, rng.integers(16, 21, n), rng.integers(1, 16, n))
    slot_days = np.zeros((n, 3), dtype=np.int64)
    slot_days[:, 0] = route
    two = reads == 2
    slot_days[two, 0] = rng.integers(3, 9, two.sum())
    slot_days[two, 1] = rng.integers(16, 21, two.sum())
    three = reads == 3
    slot_days[three, 0] = rng.integers(1, 4, three.sum())
    slot_days[three, 1] = rng.integers(9, 13, three.sum())
    slot_days[three, 2] = rng.integers(18, 21, three.sum())
    last_day = slot_days.max(axis=1)

    # first bill in the month after connection; ~0.3 %/yr disconnected after their last reading
    first_p = np.where(connected < START, 0, _period_of(connected) + 1)
    disc_p = rng.integers(0, N_PERIODS, n)
    disc = (rng.random(n) < 0.012) & (disc_p >= first_p + 3)
    last_p = np.where(disc, disc_p, N_PERIODS - 1)
    disconnected = np.where(disc, PERIOD_START[np.minimum(disc_p, N_PERIODS)] + last_day - 1 + rng.integers(0, 8, n),
                            NEVER)

    # payment habits: richer households pay online more; businesses nearly always online
    z_pay = 0.7 * z_level + np.sqrt(1 - 0.49) * rng.standard_normal(n)
    pay_u = 1.0 - _norm_cdf(z_pay)
    return {
        "branch": branch, "type": ctype, "connected": connected, "disconnected": disconnected,
        "num": num, "level": level, "reads": reads, "slot_days": slot_days, "first_p": first_p,
        "last_p": last_p, "pay_u": pay_u, "pay_u2": rng.random(n), "pay_u3": rng.random(n),
    }


def _mean_gap(co: Company, n: int) -> int:
    """Mean gap between customer numbers so that the largest branch of n customers stays within 7 digits."""
    return max(1, min(20, 9_000_000 // max(1, int(_apportion(co.share, n).max()))))


def _bill_key_counts(cust: dict) -> np.ndarray:
    """How many bills `_bills` draws for these customers per key period * 32 + reading day (the order of the
    bill ids), counted from the customers alone."""
    months = np.maximum(cust["last_p"] - cust["first_p"] + 1, 0)
    diff = np.zeros(32 * (N_PERIODS + 1), dtype=np.int64)  # per reading day: +1 at the first period, -1 after the last
    for s in range(3):
        has = (cust["reads"] > s) & (months > 0)
        day = cust["slot_days"][has, s]
        diff += np.bincount(day * (N_PERIODS + 1) + cust["first_p"][has], minlength=diff.size)
        diff -= np.bincount(day * (N_PERIODS + 1) + cust["last_p"][has] + 1, minlength=diff.size)
    counts = np.cumsum(diff.reshape(32, N_PERIODS + 1), axis=1)[:, :N_PERIODS]  # (day, period)
    return counts.T.ravel()


def _norm_cdf(z: np.ndarray) -> np.ndarray:
    # Abramowitz-Stegun 7.1.26 via erf; accurate to ~1e-7, enough for ranks
    t = 1.0 / (1.0 + 0.3275911 * np.abs(z) / np.sqrt(2))
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t \
        * np.exp(-(z * z) / 2)
    return 0.5 * (1.0 + np.sign(z) * y)


def _active_at(cust: dict, day: int) -> np.ndarray:
    return (cust["connected"] <= day) & (cust["disconnected"] > day)


def _calibrate(day: np.ndarray, target: int, active: np.ndarray, connected: np.ndarray) -> int:
    """Mirror just enough registration dates across CUTOFF so that exactly `target` active customers are
    registered by it. The ones nearest the cutoff move, so the ramp stays smooth. Returns how many moved."""
    registered = active & (day <= CUTOFF)
    k = int(registered.sum())
    if k > target:
        cand = np.flatnonzero(registered)
        pick = cand[np.lexsort((cand, -day[cand]))[: k - target]]
        day[pick] = np.minimum(2 * CUTOFF + 1 - day[pick], END)
        return k - target
    if k < target:
        need = target - k
        cand = np.flatnonzero(active & (day > CUTOFF) & (day != NEVER))
        cand = cand[2 * CUTOFF + 1 - day[cand] >= connected[cand]]
        pick = cand[np.lexsort((cand, day[cand]))[:need]]
        day[pick] = 2 * CUTOFF + 1 - day[pick]
        rest = need - len(pick)
        if rest > 0:  # tiny sizes only: register some who never would have
            never = np.flatnonzero(active & (day == NEVER))[:rest]
            day[never] = np.maximum(connected[never], CUTOFF - np.arange(len(never)) % 60)
        return need
    return 0


def _calibration_targets(n_active: int, n_customers: int, pace: float = 1.0) -> dict[str, int]:
    """Registered customers at 2020-08-31 among n_active active ones (of n_customers in all): the report's
    figures for PC08 (pace 1), scaled by the pace for the other companies."""
    scale = n_customers / REFERENCE_CUSTOMERS
    return {
        "phone": int(round(_paced_complement(PHONE_COVERAGE_0820, pace) * n_active)),
        "email": int(round(_paced(EMAIL_COVERAGE_0820, pace) * n_active)),
        "app": int(round(_paced(APP_USERS_0820 * scale, pace))),
        "zalo": int(round(_paced(ZALO_USERS_0820 * scale, pace))),
    }


def _adoption(rng: np.random.Generator, co: Company, cust: dict, targets: dict[str, int]) -> dict[str, int]:
    """Registration dates for phone, email, app, Zalo and remote-capable meters; calibrated at 2020-08-31 to
    `targets` (see `_calibration_targets`). Returns how many active customers are registered at 2020-08-31."""
    n = len(cust["branch"])
    branch, ctype, connected = cust["branch"], cust["type"], cust["connected"]
    active = _active_at(cust, CUTOFF)
    n_active = int(active.sum())
    curves = _curves(targets["app"] / max(n_active, 1), targets["zalo"] / max(n_active, 1), co.pace)
    non_household = ctype != HOUSEHOLD
    digital = co.digital[branch]
    factors = {
        # (factor per customer, multiplicative or on the complement)
        "phone": (np.where(co.mountain[branch], 1.4, 0.93) * np.where(non_household, 0.5, 1.0), "complement"),
        "email": (digital * np.where(non_household, 2.0, 1.0), "mult"),
        "app": (digital * np.where(non_household, 1.3, 1.0), "mult"),
        "zalo": (np.sqrt(digital), "mult"),
        "remote": (np.where(co.mountain[branch], 1.8, np.where(co.urban[branch], 0.6, 1.0))
                   * np.where(ctype == INDUSTRY, 0.2, 1.0), "complement"),
    }
    registered = {}
    for name, curve in curves.items():
        factor, kind = factors[name]
        u = rng.random(n)
        f_mean = factor[active].mean() if n_active else 1.0
        up = u * f_mean / factor if kind == "mult" else 1.0 - (1.0 - u) * f_mean / factor
        t = curve.invert(up)
        day = np.where(np.isneginf(t), connected, np.maximum(connected, np.floor(np.nan_to_num(t, nan=0.0))))
        day = day.astype(np.int64)
        day[np.isnan(t)] = NEVER
        if name == "remote":  # new connections from 2020 mostly get a remote-capable meter at once
            at_once = (connected >= _day("2020-01-01")) & (rng.random(n) < 0.9)
            day[at_once] = connected[at_once]
        day[day > END] = NEVER
        if name in targets:
            _calibrate(day, targets[name], active, connected)
            registered[name] = int((active & (day <= CUTOFF)).sum())
        cust[name] = day
    return registered


# ---------------------------------------------------------------- bills
def _estimate_targets(rng: np.random.Generator) -> np.ndarray:
    """Company share of estimated bills per period: 2.2 % falling to 0.9 %, 5-10 % in lockdowns."""
    e = np.linspace(0.022, 0.009, N_PERIODS) * np.exp(rng.normal(0, 0.12, N_PERIODS))
    for (y, m), v in {(2020, 4): 0.078, (2020, 5): 0.025, (2020, 8): 0.058, (2021, 7): 0.056, (2021, 8): 0.092,
                      (2021, 9): 0.071, (2020, 11): 0.031, (2021, 11): 0.022, (2021, 12): 0.019}.items():
        e[_p(y, m)] = v
    return e


def _block_cost(q: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Residential block tariff before VAT for q kWh (float array) at the given block rates."""
    out = np.zeros(len(q))
    lo = 0.0
    for width, rate in zip(RES_WIDTH, rates):  # rate: a number or one per row
        out += np.clip(q - lo, 0, width) * rate
        lo += width
    return out


TARIFF_TABLE_MAX = 4096
# tariff regimes: 0 = 2017 tariff with 10 % VAT, 1 = 20/3/2019 tariff with 10 % VAT, 2 = same with 8 % VAT (2022)
REGIME_RATES = [(RES_OLD, 1.10), (RES_NEW, 1.10), (RES_NEW, 1.08)]


def _amounts(q: np.ndarray, regime: np.ndarray, flat_rows: np.ndarray, flat_rate: np.ndarray) -> np.ndarray:
    """Whole-đồng amounts with VAT for whole-kWh quantities q >= 0: residential blocks by a lookup table
    (rows past its end and flat-rate rows computed directly)."""
    qs = np.arange(TARIFF_TABLE_MAX + 1, dtype=float)
    table = np.stack([np.rint(_block_cost(qs, rates) * vat) for rates, vat in REGIME_RATES]).astype(np.int64)
    key = np.minimum(q, TARIFF_TABLE_MAX)
    key += regime * (TARIFF_TABLE_MAX + 1)
    amount = table.ravel()[key]
    del key
    vat = np.array([v for _, v in REGIME_RATES])
    big = np.flatnonzero(q > TARIFF_TABLE_MAX)
    if len(big):
        rates = np.stack([r for r, _ in REGIME_RATES])
        amount[big] = np.rint(_block_cost(q[big].astype(float), rates[regime[big]].T) * vat[regime[big]])
    amount[flat_rows] = np.rint(q[flat_rows] * flat_rate * vat[regime[flat_rows]])
    return amount


def _bills(rng: np.random.Generator, co: Company, cust: dict, est_target: np.ndarray | None = None,
           id_offset: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Bills of these customers, in bill-id order. `est_target`: company share of estimated bills per
    period (default: drawn from rng). Bill ids are BILL_ID_BASE + 1, + 2, ... in the order of the key
    period * 32 + reading day, plus `id_offset[key]` when given (blocks of customers: see `_id_offsets`)."""
    n = len(cust["branch"])
    reads = cust["reads"].astype(np.int32)
    months = np.maximum(cust["last_p"] - cust["first_p"] + 1, 0).astype(np.int32)
    rows_per = months * reads
    total = int(rows_per.sum())
    c = np.repeat(np.arange(n, dtype=np.int32), rows_per)
    start = (np.cumsum(rows_per, dtype=np.int64) - rows_per).astype(np.int32)
    pos = np.arange(total, dtype=np.int32)
    pos -= np.repeat(start, rows_per)  # position of the row among its customer's bills
    p = cust["first_p"].astype(np.int32)[c] + pos  # right for customers read once a month
    read_day = cust["slot_days"][:, 0].astype(np.int32)[c]
    multi = np.flatnonzero(reads > 1)  # the few read 2-3 times a month
    if len(multi):
        counts = rows_per[multi]
        rows = np.repeat(start[multi] - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum(), dtype=np.int32)
        cm, r = c[rows], reads[c[rows]]
        p[rows] = cust["first_p"][cm] + pos[rows] // r
        read_day[rows] = cust["slot_days"].ravel()[cm.astype(np.int64) * 3 + pos[rows] % r]
        del rows, cm, r
    del pos
    read_on = PERIOD_START.astype(np.int32)[p] + read_day - 1
    has = rows_per > 0
    first = np.zeros(total, dtype=bool)
    first[start[has]] = True
    final = np.zeros(total, dtype=bool)
    disc = has & (cust["disconnected"] != NEVER)
    final[(start + rows_per - 1)[disc]] = True

    # true consumption of each bill's interval: customer level x season x trend x events x noise
    ctype = cust["type"]
    group = np.where(ctype == HOUSEHOLD, 0, np.where(ctype == INDUSTRY, 1, 2))
    periods = np.arange(N_PERIODS)
    month = periods % 12
    trend = np.array([1.03, 1.05, 1.02])[:, None] ** (periods[None, :] / 12.0)
    event = np.ones((3, N_PERIODS))
    for (y, m), (h, b) in {(2020, 4): (1.06, 0.85), (2020, 5): (1.04, 0.92), (2020, 8): (1.02, 0.95),
                           (2021, 8): (1.05, 0.85), (2021, 9): (1.04, 0.88), (2020, 11): (0.93, 0.95),
                           (2021, 11): (0.97, 0.97)}.items():
        event[:, _p(y, m)] = [h, b, b]
    factor = (SEASON[month][None, :] * trend * event).astype(np.float32)  # (group, period)
    spring = (month >= 2) & (month <= 4)
    sigma = np.where(spring, 0.22, 0.15).astype(np.float32)
    cust_key = (group * N_PERIODS).astype(np.int32)
    per_read = (cust["level"] / cust["reads"]).astype(np.float32)
    noise = rng.standard_normal(total, dtype=np.float32)
    noise *= sigma[p]
    np.exp(noise, out=noise)
    noise *= factor.ravel()[cust_key[c] + p]
    noise *= per_read[c]
    true_kwh = np.rint(noise).astype(np.int32)
    del noise

    # read method: estimated when neither the remote system nor a reader gets the index
    capable = read_on >= np.minimum(cust["remote"], 2**31 - 1).astype(np.int32)[c]
    by_capable = np.bincount(p + N_PERIODS * capable, minlength=2 * N_PERIODS).reshape(2, N_PERIODS)
    cap_share = by_capable[1] / np.maximum(by_capable.sum(axis=0), 1)
    if est_target is None:
        est_target = _estimate_targets(rng)
    a_remote = est_target / (cap_share + 4 * (1 - cap_share))  # manual meters estimated 4x as often
    branch_est = np.where(co.mountain, 1.4, 0.93)
    lockdown = np.isin(periods, list(LOCKDOWN_PERIODS))
    success = np.clip(0.981 + 0.011 * periods / N_PERIODS - 0.01 * lockdown, 0.97, 0.995)
    # thresholds per (capable, branch, period): u < a -> estimated; a <= u < a + (1 - a) * s -> remote
    a_tab = np.minimum(np.array([4.0, 1.0])[:, None, None] * branch_est[None, :, None] * a_remote[None, None, :], 0.9)
    s_tab = success[None, None, :] - np.where(co.mountain, 0.007, 0.0)[None, :, None]
    r_tab = np.where(np.arange(2)[:, None, None] == 1, a_tab + (1 - a_tab) * s_tab, 0.0)
    key = (capable.astype(np.int32) * len(co.codes) + cust["branch"].astype(np.int32)[c]) * N_PERIODS + p
    del capable
    u = rng.random(total, dtype=np.float32)
    estimated = u < a_tab.ravel().astype(np.float32)[key]
    estimated[first & np.repeat(cust["connected"] >= START, rows_per)] = False  # no history to estimate from
    estimated &= ~final
    remote = u < r_tab.ravel().astype(np.float32)[key]
    del u, key, final
    method = np.ones(total, dtype=np.int8)
    method[remote] = 0
    method[estimated] = 2
    del remote

    # an estimate bills the previous billed kWh (for a run at the start of the export: the reading of
    # 12/2018, not in the export); the next real reading carries the true-up of the whole run
    est_idx = np.flatnonzero(estimated)
    last_real = np.arange(total, dtype=np.int32)
    last_real[est_idx] = 0
    np.maximum.accumulate(last_real, out=last_real)
    kwh = true_kwh.copy()
    source = last_real[est_idx]
    own_start = start[c[est_idx]]
    initial = source < own_start
    kwh[est_idx] = true_kwh[source]
    drift = np.exp(0.15 * rng.standard_normal(n))  # 12/2018 reading relative to the first one in the export
    before_export = np.rint(true_kwh[own_start[initial]] * drift[c[est_idx[initial]]])
    kwh[est_idx[initial]] = before_export.astype(np.int32)
    dev = np.zeros(total + 1, dtype=np.int64)  # dev[i + 1] = actual - billed of bill i, then cumulated
    dev[est_idx + 1] = true_kwh[est_idx].astype(np.int64) - kwh[est_idx]
    np.cumsum(dev, out=dev)
    after = est_idx + 1
    after = after[after < total]
    closes = after[~estimated[after] & ~first[after]]
    anchor = np.maximum(last_real[closes - 1], start[c[closes]] - 1)  # last real bill before the run
    offset = np.zeros(total, dtype=np.int32)
    offset[closes] = dev[closes] - dev[anchor + 1]
    del dev, last_real, true_kwh, est_idx, after, closes, first, estimated, source, own_start, initial, anchor

    # amount: residential blocks or flat rates on kwh + offset (floored at 0); VAT 10 %, 8 % in 2022
    q = kwh.astype(np.int64)
    q += offset
    np.maximum(q, 0, out=q)
    regime = np.where(periods >= _p(2022, 1), 2, 1).astype(np.int64)[p]
    old = np.flatnonzero(read_on < TARIFF_CHANGE)
    regime[old] = 0
    flat_rows = np.flatnonzero((ctype != HOUSEHOLD)[c])
    flat_type = ctype[c[flat_rows]]
    flat_rate = np.where(regime[flat_rows] == 0, FLAT_OLD[flat_type], FLAT_NEW[flat_type])
    amount = _amounts(q, regime, flat_rows, flat_rate)
    del q, regime, old, flat_rows, flat_type, flat_rate

    # bill ids rise with period and reading day; the table is stored in that order
    key = (p * 32 + read_day).astype(np.int16)
    del read_day
    perm = np.argsort(key, kind="stable")
    bill_id = BILL_ID_BASE + 1 + np.arange(total, dtype=np.int64)
    if id_offset is not None:
        key = key[perm]
        if not np.array_equal(np.bincount(key, minlength=len(id_offset)), _bill_key_counts(cust)):
            raise AssertionError("bills per (period, reading day) differ from the count the ids were planned for")
        bill_id += id_offset[key]
    del key
    return {
        "c": c[perm], "p": p[perm].astype(np.int8), "read_on": read_on[perm], "method": method[perm],
        "kwh": kwh[perm], "offset": offset[perm], "amount": amount[perm], "bill_id": bill_id,
    }


# ---------------------------------------------------------------- payments
def _online_share(period: np.ndarray) -> np.ndarray:
    """Company share of households paying online, by period (before branch factors)."""
    knots = [(0, 0.30), (11, 0.38), (17, 0.46), (23, 0.55), (29, 0.62), (35, 0.70), (41, 0.76), (47, 0.80)]
    return np.interp(period, [k for k, _ in knots], [v for _, v in knots])


BINS = 4096


def _bin_table(cum: np.ndarray) -> np.ndarray:
    """Category per (row, bin of a uniform draw) for cumulative probabilities cum (rows, k)."""
    centers = (np.arange(BINS) + 0.5) / BINS
    return (centers[None, :, None] >= cum[:, None, :-1]).sum(axis=2).astype(np.int8)


def _payments(rng: np.random.Generator, co: Company, cust: dict, bills: dict,
              first_id: int = 1) -> dict[str, np.ndarray]:
    """Payments of these bills, ids PAYMENT_ID_BASE + first_id, + first_id + 1, ... in order of payment."""
    b_idx = np.flatnonzero(bills["amount"] > 0).astype(np.int32)
    c = bills["c"][b_idx]
    p = bills["p"][b_idx].astype(np.int32)
    read_on = bills["read_on"][b_idx]
    m = len(b_idx)

    periods = np.arange(N_PERIODS)
    lockdown = np.isin(periods, list(LOCKDOWN_PERIODS))
    company = _online_share(periods) + 0.04 * lockdown
    branch_f = np.where(co.mountain, 0.72, np.where(co.urban, 1.12, 1.0)) * co.pace
    share = np.minimum(company[None, :] * branch_f[:, None], 0.97)  # (branch, period), households
    share = np.stack([share, 1 - (1 - share) * 0.05])  # others: businesses nearly always pay online
    cust_key = ((cust["type"] != HOUSEHOLD) * len(co.codes) + cust["branch"]).astype(np.int32) * N_PERIODS
    v = cust["pay_u"].astype(np.float32)[c]
    fresh = np.flatnonzero(rng.random(m, dtype=np.float32) < 0.06)
    v[fresh] = rng.random(len(fresh), dtype=np.float32)
    online = v < share.ravel().astype(np.float32)[cust_key[c] + p]
    del v, fresh

    # channel within online / cash: sticky per customer (pay_u2), mix drifting over time
    t = periods / (N_PERIODS - 1)
    on_w = np.outer(1 - t, [0.13, 0.56, 0.22, 0.0, 0.06, 0.03]) + np.outer(t, [0.12, 0.44, 0.27, 0.10, 0.03, 0.04])
    on_w[:12, 3] = 0.0  # QR payments from 2020
    cash_w = np.outer(1 - t, [0.10, 0.60, 0.30]) + np.outer(t, [0.16, 0.74, 0.10])
    cash_w[lockdown] = [0.12, 0.86, 0.02]  # collectors stopped in lockdowns
    on_tab = _bin_table(np.cumsum(on_w / on_w.sum(1, keepdims=True), axis=1))
    cash_tab = _bin_table(np.cumsum(cash_w / cash_w.sum(1, keepdims=True), axis=1)) + len(PAY_ONLINE)
    table = np.stack([cash_tab, on_tab]).ravel()  # (online, period, bin)
    u2 = (cust["pay_u2"] * BINS).astype(np.int32)[c]
    fresh = np.flatnonzero(rng.random(m, dtype=np.float32) < 0.08)
    u2[fresh] = rng.integers(0, BINS, len(fresh), dtype=np.int32)
    channel = table[(online.astype(np.int32) * N_PERIODS + p) * BINS + u2]
    del u2, fresh
    app_day = np.where(cust["pay_u3"] < 0.35, np.minimum(cust["app"], 2**31 - 1), 2**31 - 1).astype(np.int32)
    app = online & (app_day[c] <= read_on)
    channel[app] = PAY_ONLINE.index("pay_app")
    del app, online

    # paid a few days to ~3 weeks after the reading: base + geometric delay, by channel
    base = np.array([1, 0, 0, 0, 0, 0, 1, 1, 2], dtype=np.int32)
    prob = np.array([0.5, 0.14, 0.14, 0.14, 0.14, 0.14, 0.10, 0.10, 0.12])
    cap = np.array([12, 24, 24, 24, 24, 24, 24, 24, 20], dtype=np.float32)
    u = rng.random(m, dtype=np.float32)
    geo = np.log1p(-u)
    geo *= (1.0 / np.log1p(-prob)).astype(np.float32)[channel]
    np.ceil(geo, out=geo)
    np.clip(geo, 1, cap[channel], out=geo)
    paid_on = read_on + base[channel] + geo.astype(np.int32)
    del geo, u
    keep = paid_on <= END  # recent bills still open
    keep &= rng.random(m, dtype=np.float32) >= 0.001  # a few never paid

    # about 1 % of bills paid in two parts
    amount = bills["amount"][b_idx]
    split = np.flatnonzero(keep & (rng.random(m, dtype=np.float32) < 0.01) & (amount >= 20_000))
    first_part = amount.copy()
    first_part[split] = np.floor(amount[split] * rng.uniform(0.3, 0.7, len(split)) / 1000).astype(np.int64) * 1000
    second_on = paid_on[split] + 3 + np.minimum(rng.geometric(0.15, len(split)), 25)
    second = split[second_on <= END]
    second_on = second_on[second_on <= END]
    k = np.flatnonzero(keep)
    del keep
    pay_on = np.concatenate([paid_on[k], second_on])
    order = np.argsort((pay_on - START).astype(np.int16), kind="stable")
    rows = np.concatenate([k, second])[order]  # payment row -> paid bill row
    is_second = order >= len(k)
    del k
    pay_amount = first_part[rows]
    pay_amount[is_second] = amount[rows[is_second]] - first_part[rows[is_second]]
    bill_row = b_idx[rows]
    return {
        "payment_id": PAYMENT_ID_BASE + first_id + np.arange(len(rows), dtype=np.int64),
        "bill_id": bills["bill_id"][bill_row],
        "c": bills["c"][bill_row],
        "paid_on": pay_on[order],
        "amount": pay_amount,
        "channel": channel[rows],
    }


# ---------------------------------------------------------------- service requests
def _requests(rng: np.random.Generator, co: Company, cust: dict, first_id: int = 1) -> dict[str, np.ndarray]:
    """Service requests of these customers' branches, ids REQUEST_ID_BASE + first_id, ... in order of submission."""
    days = np.arange(START, END + 1)
    n_days = len(days)
    # active customers per branch and month (requests arrive in proportion)
    nb = len(co.codes)
    active_bp = np.zeros((nb, N_PERIODS))
    for p in range(N_PERIODS):
        act = _active_at(cust, PERIOD_START[p + 1] - 1)
        active_bp[:, p] = np.bincount(cust["branch"][act], minlength=nb)
    day_p = _period_of(days)
    per_year = np.array([0.021, 0.008, 0.004, 0.003, 0.008, 0.005])  # per active customer and year
    weekday = (days + 3) % 7  # 0 = Monday
    week_f = np.select([weekday == 6, weekday == 5], [0.35, 0.7], 1.0)
    in_lockdown = np.zeros(n_days, dtype=bool)
    for lo, hi in LOCKDOWN_WINDOWS:
        in_lockdown |= (days >= lo) & (days <= hi)
    day_f = week_f * np.where(in_lockdown, 0.6, 1.0)
    storm = ((days >= _day("2020-10-28")) & (days <= _day("2020-11-20"))) | \
            ((days >= _day("2021-11-10")) & (days <= _day("2021-12-05")))
    type_f = np.ones((n_days, len(REQUEST_TYPES)))
    type_f[storm, REQUEST_TYPES.index("meter_check")] = 2.5  # after storm Molave and the 2021 floods
    type_f[storm, REQUEST_TYPES.index("other")] = 2.0
    lam = active_bp[None, :, day_p].transpose(2, 1, 0)  # (day, branch, 1)
    lam = lam * per_year[None, None, :] / 365.0 * (day_f[:, None] * type_f)[:, None, :] * 7 / 6.05
    counts = rng.poisson(lam).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    day_i, rest = np.divmod(cell, nb * 6)
    branch, rtype = np.divmod(rest, 6)
    submitted = days[day_i]
    m = len(submitted)

    # the customer: a random active customer of the branch; none for new connections
    counts_b = np.bincount(cust["branch"], minlength=nb)
    first_b = np.concatenate([[0], np.cumsum(counts_b)[:-1]])
    who = np.full(m, -1, dtype=np.int64)
    todo = np.flatnonzero(rtype != 0)
    for _ in range(8):
        cand = first_b[branch[todo]] + np.floor(rng.random(len(todo)) * counts_b[branch[todo]]).astype(np.int64)
        ok = (cust["connected"][cand] <= submitted[todo]) & (cust["disconnected"][cand] > submitted[todo])
        who[todo[ok]] = cand[ok]
        todo = todo[~ok]
        if not len(todo):
            break
    if len(todo):  # fall back on the branch's oldest customer still connected at the end
        for b in np.unique(branch[todo]):
            rows = np.arange(first_b[b], first_b[b] + counts_b[b])
            alive = rows[cust["disconnected"][rows] == NEVER]
            who[todo[branch[todo] == b]] = alive[0]

    # channel: online share ~20-30 % in 2019 to 75-90 % in 2022, mountain branches behind
    knots = [("2019-01-01", 0.17), ("2019-12-31", 0.29), ("2020-06-30", 0.45), ("2020-12-31", 0.56),
             ("2021-06-30", 0.67), ("2021-12-31", 0.77), ("2022-12-31", 0.86)]
    share = np.interp(submitted, [_day(d) for d, _ in knots], [v for _, v in knots])
    share = share * (np.where(co.mountain, 0.85, np.where(co.urban, 1.08, 1.0)) * co.pace)[branch]
    share = np.minimum(share + 0.12 * in_lockdown[day_i], 0.97)
    online = rng.random(m) < share
    t = (submitted - START) / (END - START)
    portal_on = submitted >= _day("2019-12-09")  # national public-service portal opened
    zalo_on = submitted >= _day("2020-03-01")
    w = np.stack([portal_on * (0.25 + 0.35 * t), 0.45 - 0.25 * t, 0.30 - 0.12 * t, zalo_on * (0.02 + 0.06 * t)], axis=1)
    on_ch = _pick(rng.random(m), np.cumsum(w / w.sum(1, keepdims=True), axis=1))
    off_ch = np.where(rng.random(m) < 0.72, 0, 1) + len(REQ_ONLINE)
    channel = np.where(online, on_ch, off_ch).astype(np.int8)

    # time to complete: 2-7 days typical, faster over time
    median = np.array([4.5, 2.0, 3.0, 2.0, 3.0, 2.5])[rtype] * (1 - 0.2 * t)
    duration = np.maximum(np.rint(median * np.exp(0.45 * rng.standard_normal(m))), 0).astype(np.int64)
    completed = submitted + duration
    postponed = np.full(m, NEVER)
    field = np.isin(rtype, [0, 2, 4])
    for lo, hi in LOCKDOWN_WINDOWS:
        hit = (submitted <= hi) & (completed >= lo) & (postponed == NEVER)
        hit &= rng.random(m) < np.where(field, 0.7, 0.15)
        when = np.minimum(np.maximum(submitted, lo) + rng.integers(0, 4, m), hi)
        when = np.maximum(when, submitted)
        postponed = np.where(hit, when, postponed)
        completed = np.where(hit, hi + 3 + np.minimum(rng.geometric(1 / 12, m), 60), completed)
    # a few put off for other reasons (the customer asked for another day, materials)
    when = submitted + rng.integers(1, 4, m)
    other = (postponed == NEVER) & (rng.random(m) < 0.02) & (when <= END)
    postponed = np.where(other, when, postponed)
    completed = np.where(other, postponed + 7 + np.minimum(rng.geometric(1 / 10, m), 60), completed)
    status = np.zeros(m, dtype=np.int8)
    cancelled = rng.random(m) < 0.02
    open_ = ~cancelled & (completed > END)
    status[open_] = np.where(postponed[open_] != NEVER, 2, 1)
    status[cancelled] = 3
    completed = np.where(cancelled | open_, NEVER, completed)

    order = np.lexsort((rtype, branch, submitted))
    return {
        "request_id": REQUEST_ID_BASE + first_id + np.arange(m, dtype=np.int64),
        "branch": branch[order], "c": who[order], "type": rtype[order], "channel": channel[order],
        "submitted": submitted[order], "postponed": postponed[order], "completed": completed[order],
        "status": status[order],
    }


# ---------------------------------------------------------------- writing
ARROW_TYPES = {"VARCHAR": pa.string(), "DATE": pa.date32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
               "BOOLEAN": pa.bool_()}


def _date(a: np.ndarray) -> pa.Array:
    a = np.asarray(a, dtype=np.int64)
    mask = a == NEVER
    return pa.array(np.where(mask, 0, a).astype(np.int32), mask=mask if mask.any() else None).cast(pa.date32())


def _codes(idx: np.ndarray, names: list[str] | pa.Array, null: np.ndarray | None = None) -> pa.Array:
    """A dictionary-encoded string column (written as a plain VARCHAR column)."""
    dictionary = names if isinstance(names, pa.Array) else pa.array(names, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(idx, dtype=np.int32), mask=null), dictionary)


def _table(name: str, columns: dict[str, pa.Array | np.ndarray]) -> pa.Table:
    """The contract's columns, in order, with their types (strings may stay dictionary-encoded)."""
    arrays, fields = [], []
    for col in contract.TABLES[name].columns:
        arr = columns[col.name]
        arr = arr if isinstance(arr, pa.Array) else pa.array(arr)
        target = ARROW_TYPES[col.type]
        if not (pa.types.is_dictionary(arr.type) and arr.type.value_type == target) and arr.type != target:
            arr = arr.cast(target)
        if not col.nullable and arr.null_count:
            raise AssertionError(f"{name}.{col.name}: {arr.null_count} nulls in a non-nullable column")
        arrays.append(arr)
        fields.append(pa.field(col.name, arr.type, nullable=col.nullable))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


class _Sink:
    """One output file `<name>.<fmt>`, written in parts (one per block of customers) to a temporary file
    that replaces it once complete, so a reader never sees half a file. Parquet: one writer, each part
    adds row groups; CSV: DuckDB `COPY ... TO` per part, the header with the first, later parts appended."""

    def __init__(self, name: str, out: Path, fmt: str):
        self.name, self.out, self.fmt = name, out, fmt
        self.path = out / f"{name}.{fmt}"
        self.tmp = out / f".{name}.{fmt}.tmp"
        self.part = out / f".{name}.{fmt}.part.tmp"
        self.parquet: pq.ParquetWriter | None = None
        self.parts = 0

    def append(self, data: pa.Table) -> None:
        if self.fmt == "parquet":
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.tmp, data.schema, compression="zstd")
            self.parquet.write_table(data)
        else:
            columns = contract.TABLES[self.name].columns
            select = ", ".join(f'CAST("{c.name}" AS {c.type}) AS "{c.name}"' for c in columns)
            first = self.parts == 0
            target = self.tmp if first else self.part
            con = duckdb.connect()
            try:
                con.register("_src", data)
                con.execute(f"COPY (SELECT {select} FROM _src) TO '{_sql_path(target)}' "
                            f"(FORMAT csv, HEADER {'true' if first else 'false'}, DELIMITER ',')")
            finally:
                con.close()
            if not first:
                with open(self.part, "rb") as src, open(self.tmp, "ab") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
                self.part.unlink()
        self.parts += 1

    def close(self) -> None:
        """Finish the file and put it in place (removing the table's file in the other format, if any)."""
        if self.parquet is not None:
            self.parquet.close()
            self.parquet = None
        os.replace(self.tmp, self.path)
        other = self.out / f"{self.name}.{'csv' if self.fmt == 'parquet' else 'parquet'}"
        if other.exists():  # never leave two versions of one table side by side
            other.unlink()

    def abort(self) -> None:
        if self.parquet is not None:
            try:
                self.parquet.close()
            except Exception:  # noqa: BLE001 - the temporary file goes anyway
                pass
            self.parquet = None
        self.tmp.unlink(missing_ok=True)
        self.part.unlink(missing_ok=True)


def _reference(name: str) -> pa.Table:
    """A hand-kept reference table from sample_data/reference, read with the contract's types."""
    table = contract.TABLES[name]
    types = ", ".join(f"'{c.name}': '{c.type}'" for c in table.columns)
    src = _sql_path(REFERENCE_DIR / f"{name}.csv")
    con = duckdb.connect()
    try:
        data = con.sql(f"SELECT * FROM read_csv('{src}', header = true, delim = ',', "
                       f"columns = {{{types}}})").to_arrow_table()
    finally:
        con.close()
    return _table(name, {c: data.column(c).combine_chunks() for c in data.column_names})


def _reference_tables(codes: list[str]) -> dict[str, pa.Table]:
    """The reference tables for these companies: their rows of companies.csv, their branches (PC08's from
    branches.csv, the others' from COMPANY_BRANCHES unless branches.csv has them), channels, targets and
    annotations as kept (company-wide rows apply to every company; branch rows are PC08's)."""
    tables = {name: _reference(name) for name in REFERENCE_TABLES}
    wanted = pa.array(codes, pa.string())
    companies = tables["companies"].filter(pc.is_in(tables["companies"]["company_code"], value_set=wanted))
    missing = sorted(set(codes) - set(companies["company_code"].to_pylist()))
    if missing:
        raise ValueError(f"{REFERENCE_DIR / 'companies.csv'} has no row for {', '.join(missing)}")
    branches = tables["branches"].filter(pc.is_in(tables["branches"]["company_code"], value_set=wanted))
    kept = set(branches["company_code"].to_pylist())
    rows = [(*branch, code) for code in codes if code not in kept for branch in branch_rows(code)]
    if rows:
        added = _table("branches", {col: pa.array([r[i] for r in rows], pa.string())
                                    for i, col in enumerate(contract.TABLES["branches"].column_names)})
        branches = pa.concat_tables([branches, added])
    branches = branches.sort_by("branch_code")
    if branches["branch_code"].to_pylist() != sorted(b for code in codes for b in company(code).codes):
        raise ValueError(f"the branches of {', '.join(codes)} in {REFERENCE_DIR / 'branches.csv'} are not the "
                         f"generator's (BRANCHES, COMPANY_BRANCHES in {__file__})")
    tables["companies"], tables["branches"] = companies, branches
    return tables


def _customer_ids(cust: dict, codes: list[str]) -> pa.Array:
    branch = pc.take(pa.array(codes, pa.string()), pa.array(cust["branch"].astype(np.int32)))
    return pc.binary_join_element_wise(branch, pc.utf8_lpad(pc.cast(pa.array(cust["num"]), pa.string()), 7, "0"), "")


def _block_sizes(customers: int) -> list[int]:
    """Customers per block: as few blocks of at most BLOCK_CUSTOMERS as possible, of (nearly) equal size."""
    n_blocks = -(-customers // BLOCK_CUSTOMERS)
    return [customers // n_blocks + (b < customers % n_blocks) for b in range(n_blocks)]


def _block_streams(seed: int, block: int, n_blocks: int, co: Company | None = None) -> list[np.random.Generator]:
    """The random streams (customers, adoption, bills, payments, requests) of one block of a company's customers.
    PC08: a single block uses the first five children of the seed; block b of several the children of the
    seed's child 6 + b (child 5 draws what the blocks share). Company xx: block b the children of the spawn key
    (xx, 0, b), what its blocks share (xx, 1, 0): keys of three words, which none of PC08's (one word, or two
    under a block) can equal. Fresh generators on every call."""
    if co is not None and co.code != CALIBRATED:
        root = np.random.SeedSequence(seed, spawn_key=(co.number, 0, block))
    elif n_blocks == 1:
        root = np.random.SeedSequence(seed)
    else:
        root = np.random.SeedSequence(seed, spawn_key=(6 + block,))
    return [np.random.default_rng(s) for s in root.spawn(5)]


def _shared_stream(seed: int, co: Company) -> np.random.Generator:
    """What the blocks of a company share (its estimate rates): see _block_streams."""
    key = (5,) if co.code == CALIBRATED else (co.number, 1, 0)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _id_offsets(key_counts: list[np.ndarray]) -> list[np.ndarray]:
    """Per block, what to add to the block's own bill ids (1, 2, ... in key order) so that the ids of all
    blocks together rise with the key period * 32 + reading day, blocks in order within a key."""
    counts = np.stack(key_counts)  # (block, key)
    total = counts.sum(axis=0)
    before_key = np.cumsum(total) - total  # all blocks' bills with a smaller key
    earlier_blocks = np.cumsum(counts, axis=0) - counts  # this key in earlier blocks
    own_start = np.cumsum(counts, axis=1) - counts  # the block's own bills with a smaller key
    return list(before_key[None, :] + earlier_blocks - own_start)


def check_companies(companies) -> int:
    """`companies` as a number of companies to generate, or ValueError saying what is allowed."""
    if isinstance(companies, bool) or not isinstance(companies, int) or not 1 <= companies <= len(COMPANIES):
        raise ValueError(f"companies must be a whole number from 1 to {len(COMPANIES)} (PC08 and the first "
                         f"N - 1 other EVNCPC companies in code order; {len(COMPANIES)} is all of EVNCPC), "
                         f"not {companies!r}")
    return companies


class _Pipeline:
    """Tables handed block by block to one background thread that appends them to their files; a block waits
    for the previous block's files, so at most one block's tables wait in memory."""

    def __init__(self, sinks: dict[str, _Sink], writer: ThreadPoolExecutor):
        self.sinks, self.writer = sinks, writer
        self.rows = dict.fromkeys(sinks, 0)
        self.pending: list[list[Future]] = [[]]  # per block of every company (the reference tables first)

    def write(self, name: str, data: pa.Table) -> None:
        self.rows[name] += data.num_rows
        self.pending[-1].append(self.writer.submit(self.sinks[name].append, data))

    def next_block(self) -> None:
        self.pending.append([])

    def wait(self, block: int) -> None:
        """Wait for the writes of pending[block] (raising their errors)."""
        for future in self.pending[block]:
            future.result()
        self.pending[block] = []

    def wait_previous(self) -> None:
        self.wait(len(self.pending) - 2)

    def wait_all(self) -> None:
        for block in range(len(self.pending)):
            self.wait(block)


def generate(out_dir, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED, fmt: str = "parquet",
             progress: Progress | None = None, companies: int = 1) -> dict[str, int]:
    """Write every contract table to `out_dir` as `<table>.<fmt>`; return the row count per table.

    `companies` (1..13): PC08 with `customers` customers, and the first companies - 1 other EVNCPC companies
    in code order, each sized in proportion (see COMPANIES), generated one after another into the same files.
    Each company's customers are drawn in blocks of at most BLOCK_CUSTOMERS (one block at the default size),
    each block's rows appended to the files, so memory does not grow with the size or the number of companies.
    `progress(fraction, message)` is called at the start of every step. Files are written in a background
    thread while the next table is drawn; they appear when all are complete (temp file + rename).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    if customers < 50:
        raise ValueError("generate at least 50 customers")
    check_companies(companies)
    report = progress or (lambda fraction, message: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = company_sizes(customers, companies)
    codes = list(sizes)
    blocks = {code: _block_sizes(n) for code, n in sizes.items()}
    total_customers = sum(sizes.values())
    single = sum(len(b) for b in blocks.values()) == 1

    def at(before: int, code: str, block: int, fraction: float) -> float:
        """Progress at `fraction` of a block (steps from 0.03 to 0.75, as in a single-block run) of company
        `code`, after `before` customers of the companies before it."""
        if single:
            return fraction
        done = before + sizes[code] * (block + fraction / 0.75) / len(blocks[code])
        return 0.02 + 0.96 * done / total_customers

    sinks = {name: _Sink(name, out, fmt) for name in contract.TABLES}
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate-writer") as writer:
            pipe = _Pipeline(sinks, writer)
            report(0.0, "reference tables")
            for name, data in _reference_tables(codes).items():
                pipe.write(name, data)
            before = 0
            for i, code in enumerate(codes):
                name = code if len(codes) == 1 else f"{code} ({i + 1}/{len(codes)})"

                def step(block: int, fraction: float, message: str, before: int = before, code: str = code) -> None:
                    report(at(before, code, block, fraction), message)

                _company(company(code), name, sizes[code], blocks[code], seed, pipe, step)
                before += sizes[code]
            report(at(before - sizes[codes[-1]], codes[-1], len(blocks[codes[-1]]) - 1, 0.75), "writing files")
            pipe.wait_all()
        for sink in sinks.values():
            sink.close()
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    report(1.0, "done")
    return {name: pipe.rows[name] for name in contract.LOAD_ORDER}


def _company(co: Company, name: str, customers: int, sizes: list[int], seed: int, pipe: _Pipeline,
             step: Callable[[int, float, str], None]) -> None:
    """Draw one company's customers block by block (`sizes`) and hand every table to `pipe`; `step(block,
    fraction, message)` reports progress. `name` names the company in the messages."""
    n_blocks = len(sizes)
    mean_gap = _mean_gap(co, customers)
    # estimate rates shared by the blocks (PC08 in a single block draws them from its bills stream, as always)
    est_target = None if co.code == CALIBRATED and n_blocks == 1 else _estimate_targets(_shared_stream(seed, co))
    id_offsets = None
    if n_blocks > 1:  # bill ids planned from the customers, so they rise with the period over every block
        step(0, 0.0, f"{name}: planning {n_blocks} blocks of {sizes[0]:,} customers")
        key_counts = [_bill_key_counts(_customers(_block_streams(seed, b, n_blocks, co)[0], co, n, mean_gap))
                      for b, n in enumerate(sizes)]
        id_offsets = _id_offsets(key_counts)
    num_start = np.full(len(co.codes), 1000, dtype=np.int64)
    active_before, registered_before = 0, dict.fromkeys(("phone", "email", "app", "zalo"), 0)
    n_payments = n_requests = 0
    for b, n in enumerate(sizes):
        pipe.next_block()
        label = f"{name}: " if n_blocks == 1 else f"{name}, block {b + 1}/{n_blocks}: "
        streams = _block_streams(seed, b, n_blocks, co)

        step(b, 0.03, f"{label}customers ({n:,})")
        cust = _customers(streams[0], co, n, mean_gap, num_start)
        np.maximum.at(num_start, cust["branch"], cust["num"])
        if num_start.max() > 9_999_999:
            raise AssertionError("customer numbers past 7 digits")
        # calibration: each block its share, the last one what makes the company's totals exact
        n_active = int(_active_at(cust, CUTOFF).sum())
        if b < n_blocks - 1:
            targets = _calibration_targets(n_active, n, co.pace)
        else:
            total = _calibration_targets(active_before + n_active, customers, co.pace)
            targets = {k: v - registered_before[k] for k, v in total.items()}
        registered = _adoption(streams[1], co, cust, targets)
        active_before += n_active
        for k in registered_before:
            registered_before[k] += registered[k]
        ids = _customer_ids(cust, co.codes)
        pipe.write("customers", _table("customers", {
            "customer_id": ids,
            "branch_code": _codes(cust["branch"], co.codes),
            "customer_type": _codes(cust["type"], CUSTOMER_TYPES),
            "connected_on": _date(cust["connected"]),
            "disconnected_on": _date(cust["disconnected"]),
            "phone_registered_on": _date(cust["phone"]),
            "email_registered_on": _date(cust["email"]),
            "app_registered_on": _date(cust["app"]),
            "zalo_registered_on": _date(cust["zalo"]),
            "remote_meter_since": _date(cust["remote"]),
        }))

        step(b, 0.08, f"{label}bills: readings, estimates and true-ups")
        bills = _bills(streams[2], co, cust, est_target, None if id_offsets is None else id_offsets[b])
        bills["bill_id"] += co.id_offset
        n_bills = len(bills["bill_id"])
        pipe.write("bills", _table("bills", {
            "bill_id": bills["bill_id"],
            "customer_id": _codes(bills["c"], ids),
            "period": _date(PERIOD_START[bills["p"]]),
            "read_on": _date(bills["read_on"]),
            "read_method": _codes(bills["method"], READ_METHODS),
            "kwh": bills["kwh"].astype(np.float64),
            "offset_kwh": bills["offset"].astype(np.float64),
            "amount_vnd": bills["amount"],
        }))
        pipe.wait_previous()  # the previous block's files: at most one block's tables wait in memory

        step(b, 0.40, f"{label}payments (writing {n_bills:,} bills meanwhile)")
        pays = _payments(streams[3], co, cust, bills, first_id=n_payments + 1)
        del bills
        pays["payment_id"] += co.id_offset
        block_payments = len(pays["payment_id"])
        n_payments += block_payments
        pipe.write("payments", _table("payments", {
            "payment_id": pays["payment_id"],
            "bill_id": pays["bill_id"],
            "customer_id": _codes(pays["c"], ids),
            "paid_on": _date(pays["paid_on"]),
            "amount_vnd": pays["amount"],
            "channel_code": _codes(pays["channel"], PAY_CHANNELS),
        }))
        del pays

        step(b, 0.70, f"{label}service requests (writing {block_payments:,} payments meanwhile)")
        req = _requests(streams[4], co, cust, first_id=n_requests + 1)
        req["request_id"] += co.id_offset
        n_requests += len(req["request_id"])
        pipe.write("service_requests", _table("service_requests", {
            "request_id": req["request_id"],
            "branch_code": _codes(req["branch"], co.codes),
            "customer_id": _codes(np.maximum(req["c"], 0), ids, null=req["c"] < 0),
            "request_type": _codes(req["type"], REQUEST_TYPES),
            "channel_code": _codes(req["channel"], REQ_CHANNELS),
            "submitted_on": _date(req["submitted"]),
            "postponed_on": _date(req["postponed"]),
            "completed_on": _date(req["completed"]),
            "status": _codes(req["status"], STATUSES),
        }))
        del req, cust, ids
