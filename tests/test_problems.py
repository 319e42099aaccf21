"""One problem type: "this file, row, column: what is wrong, what to do", always on one line."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import config
from dashboard.problems import Problem

CASES = [
    (Problem("bills.csv", "'abc' is not a number", row=2, line=3, column="kwh"),
     "bills.csv row 2 (line 3), column kwh: 'abc' is not a number"),
    (Problem("bills.parquet", "-5.0 is negative", row=7, column="kwh"),
     "bills.parquet row 7, column kwh: -5.0 is negative"),
    (Problem("branches.csv", "is not UTF-8 (byte 0xe1)", line=2, hint="save the file as 'CSV UTF-8'"),
     "branches.csv line 2 is not UTF-8 (byte 0xe1): save the file as 'CSV UTF-8'"),
    (Problem("targets.csv", "'happiness' is not a KPI", column="kpi"),
     "targets.csv: column kpi: 'happiness' is not a KPI"),
    (Problem("bills.csv", "duplicate bill_id 2 at row 2 (line 3) and row 3"),
     "bills.csv: duplicate bill_id 2 at row 2 (line 3) and row 3"),
    (Problem(config.QUERIES_DIR / "typo.sql", "Parser Error: syntax error\n\nLINE 1: selec 1\n        ^^^^"),
     "queries/typo.sql: Parser Error: syntax error LINE 1: selec 1"),
    (Problem(Path("/elsewhere/x.sql"), "holds 2 statements"), "/elsewhere/x.sql: holds 2 statements"),
]


@pytest.mark.parametrize("problem,text", CASES, ids=[c[1][:30] for c in CASES])
def test_one_line_names_file_row_column_then_what_and_what_to_do(problem, text):
    assert str(problem) == text


def test_a_row_for_a_table():
    problem = Problem(config.QUERIES_DIR / "models" / "kpis.sql", "test unique(kpi) failed", hint="fix it")
    assert problem.as_row() == {"file": "queries/models/kpis.sql", "row": None, "column": None,
                                "message": "test unique(kpi) failed", "hint": "fix it"}
    assert problem.path == config.QUERIES_DIR / "models" / "kpis.sql"
