"""One problem type for everything a user can fix in a file: exports, query files, models and their data tests.

A Problem says "this file, row, column: what is wrong, what to do", on one line, so the command line, CI logs
and (later) a table in the app show them all the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard import config


def display_path(path: Path | str) -> str:
    """`queries/x.sql` for files in the repository, the full path otherwise."""
    path = Path(path)
    try:
        return path.resolve().relative_to(config.REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def one_line(text: str) -> str:
    """DuckDB's multi-line messages joined on one line, its ^^^ marker lines dropped."""
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip(" ^"))


@dataclass(frozen=True)
class Problem:
    """`file` is a Path (shown relative to the repository when inside it) or the text to show (`bills.csv`).
    `row` is the 1-based data row, `line` its line in a text file; `hint` says what to do."""

    file: Path | str
    message: str
    row: int | None = None
    column: str | None = None
    hint: str | None = None
    line: int | None = None

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def where(self) -> str:
        """The file, then row (and line) or line, then column: `bills.csv row 2 (line 3), column kwh`."""
        text = display_path(self.file) if isinstance(self.file, Path) else str(self.file)
        located = self.row is not None or self.line is not None
        if self.row is not None:
            text += f" row {self.row}" + (f" (line {self.line})" if self.line is not None else "")
        elif self.line is not None:
            text += f" line {self.line}"
        if self.column is not None:
            text += f", column {self.column}" if located else f": column {self.column}"
        return text

    def __str__(self) -> str:
        """One line: `bills.csv row 2 (line 3), column kwh: 'abc' is not a number`;
        `branches.csv line 2 is not UTF-8 (…): save the file as 'CSV UTF-8'` (a row or line without a column
        reads on without a colon); `queries/x.sql: holds 2 statements; one query per file`."""
        text = one_line(self.message) + (f": {self.hint}" if self.hint else "")
        bare_location = (self.row is not None or self.line is not None) and self.column is None
        return f"{self.where}{' ' if bare_location else ': '}{text}"

    def as_row(self) -> dict:
        """The fields in table order (file, row, column, message, hint), the file as shown."""
        file = display_path(self.file) if isinstance(self.file, Path) else str(self.file)
        return {"file": file, "row": self.row, "column": self.column, "message": one_line(self.message),
                "hint": self.hint}
