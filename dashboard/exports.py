"""Reading and validating source exports: find the files, read CSV dialects safely, load raw tables, and
say exactly what is wrong (file, row, column, value, what was expected).

CSV dialects: UTF-8 (a BOM is fine). A `,`-separated file uses ISO numbers (`.` decimals, no thousands
separators); a `;`-separated file is read the Vietnamese way (`,` decimals, `.` thousands). Dates may be
`YYYY-MM-DD` or `dd/mm/yyyy`. Anything else is refused with a message, never loaded wrong.

Ids (contract Column.id: bill, payment and request ids) load as BIGINT when a source holds only whole numbers
written canonically, else as text kept as written: see id_types.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dashboard import config
from dashboard.contract import TABLES, Column, Table
from dashboard.problems import Problem

EMPTY_ALLOWED = {"targets", "annotations"}
# After stripping spaces, dots, dashes and brackets: a Vietnamese phone number with 0, 84 or +84.
PHONE_RE = r"^(\+?84|0)[1-9][0-9]{7,9}$"
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
MAX_PROBLEMS = 50


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)

    def add(self, file: str, message: str, *, row: int | None = None, line: int | None = None,
            column: str | None = None, hint: str | None = None) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(file, message, row=row, column=column, hint=hint, line=line))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)


class ExportError(Exception):
    """The exports cannot be loaded; `problems` says what to fix."""

    def __init__(self, problems: Problems):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def sql_str(value: str) -> str:
    """Quote a file path as a SQL string literal. Paths are ours (the source folder listing), not user
    values reaching a query's logic; table functions take no bound parameters for their path here."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- finding files


def find_sources(source_dir: Path, problems: Problems) -> dict[str, Path]:
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        problems.add(str(source_dir), "is not a folder (expected a folder with one file per table)")
        return {}
    found: dict[str, Path] = {}
    for name, table in TABLES.items():
        candidates = [p for p in (source_dir / f"{name}.csv", source_dir / f"{name}.parquet") if p.is_file()]
        if not candidates and table.optional:  # e.g. companies: a single-company export names none
            found[name] = default_source(name)
        elif not candidates:
            problems.add(f"{name}.csv", f"missing file: expected {name}.csv or {name}.parquet in {source_dir}")
        elif len(candidates) > 1:
            problems.add(f"{name}.*", f"both {name}.csv and {name}.parquet are present: keep one")
        else:
            found[name] = candidates[0]
    return found


def default_source(name: str) -> Path:
    """The built-in file of an optional table (contract Table.optional) an export leaves out."""
    return config.SAMPLE_DIR / "reference" / f"{name}.csv"


# ---------------------------------------------------------------- CSV dialect


@dataclass(frozen=True)
class Dialect:
    delim: str
    header: list[str]

    @property
    def vietnamese_numbers(self) -> bool:
        return self.delim == ";"


def check_utf8(path: Path, problems: Problems) -> bool:
    """Decode the whole file incrementally; report the line of the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            problems.add(path.name, "is UTF-16, not UTF-8", hint="save it again as 'CSV UTF-8'")
            return False
        fh.seek(0)
        while chunk := fh.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk[: exc.start].count(b"\n")
                problems.add(path.name, f"is not UTF-8 (byte {chunk[exc.start]:#04x})", line=line,
                             hint="save the file as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8)")
                return False
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problems.add(path.name, "ends in the middle of a character: the file is truncated or not UTF-8")
            return False
    return True


def sniff(path: Path, problems: Problems) -> Dialect | None:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        problems.add(path.name, "is empty: expected a header row and data rows")
        return None
    delim = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader(io.StringIO(first), delimiter=delim))
    return Dialect(delim, [h.strip() for h in header])


# ---------------------------------------------------------------- parsing expressions


def parse_expr(col: Column, src_type: str, vietnamese: bool) -> str | None:
    """SQL that turns the source value into the contract type (NULL when it cannot); None: use as is."""
    v = ident(col.name)
    if src_type == col.type:
        return None
    if col.type == "VARCHAR":
        return f"cast({v} as varchar)"
    if src_type != "VARCHAR":
        if col.type == "BIGINT" and (src_type in ("DOUBLE", "FLOAT") or src_type.startswith("DECIMAL")):
            return f"case when {v} = round({v}) then try_cast({v} as bigint) end"
        if col.type == "DATE" and src_type.startswith("TIMESTAMP"):
            return f"case when cast({v} as time) = time '00:00:00' then cast({v} as date) end"
        return f"try_cast({v} as {col.type})"
    t = f"trim({v})"
    if col.type == "DATE":
        return (f"case when regexp_full_match({t}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
                f"then try_strptime({t}, '%Y-%m-%d')::date "
                f"when regexp_full_match({t}, '\\d{{2}}/\\d{{2}}/\\d{{4}}') "
                f"then try_strptime({t}, '%d/%m/%Y')::date end")
    if col.type == "BOOLEAN":
        return (f"case when lower({t}) in ('true', '1', 'yes', 'có', 'x') then true "
                f"when lower({t}) in ('false', '0', 'no', 'không') then false end")
    if col.type == "BIGINT":
        if vietnamese:
            return (f"case when regexp_full_match({t}, '-?\\d+') then try_cast({t} as bigint) "
                    f"when regexp_full_match({t}, '-?\\d{{1,3}}(\\.\\d{{3}})+') "
                    f"then try_cast(replace({t}, '.', '') as bigint) end")
        return f"case when regexp_full_match({t}, '-?\\d+') then try_cast({t} as bigint) end"
    if col.type == "DOUBLE":
        if vietnamese:
            return (f"case when regexp_full_match({t}, '-?(\\d{{1,3}}(\\.\\d{{3}})+|\\d+)(,\\d+)?') "
                    f"then try_cast(replace(replace({t}, '.', ''), ',', '.') as double) end")
        return f"case when regexp_full_match({t}, '-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?') then try_cast({t} as double) end"
    return f"try_cast({v} as {col.type})"


def expected_text(col: Column, vietnamese: bool) -> str:
    if col.type == "DATE":
        return "a date YYYY-MM-DD or dd/mm/yyyy"
    if col.type == "BIGINT":
        return "a whole number" + (" (thousands may be grouped with '.')" if vietnamese else " (digits only)")
    if col.type == "DOUBLE":
        return ("a number with a decimal comma, e.g. 139,5 (this file is ';'-separated)" if vietnamese
                else "a number with a decimal point, e.g. 139.5 (this file is ','-separated)")
    if col.type == "BOOLEAN":
        return "true or false"
    return col.type.lower()


# ---------------------------------------------------------------- ids: whole numbers or codes


def id_types(con: duckdb.DuckDBPyConnection, relation: str, columns: dict[str, str]) -> dict[str, str]:
    """How each id column of `relation` (any SQL relation: read_csv(...), read_parquet(...), a table name)
    loads, given {column: its type in the relation}: "BIGINT" or "VARCHAR".

    A text column is BIGINT only when every non-empty value, trimmed, is a whole number within BIGINT written
    the one way it prints: no leading zero, no '+', no '-0'. Else it is VARCHAR and kept as written (trimmed),
    so '00123' stays '00123' rather than silently becoming 123. Empty values do not count (they are refused
    later: ids are required). A numeric column is BIGINT without reading it (the usual rules then refuse a
    fraction). Text columns cost one scan of the relation together, none when there are none; an integer
    Parquet export keeps the fast integer checks (keys_unique_fast, the dense-range reference test).
    The monthly load calls this on a drop to learn whether an id column must become text."""
    types = {c: "BIGINT" for c in columns}
    text = [c for c, t in columns.items() if t == "VARCHAR"]
    if text:
        codes = ", ".join(f"bool_or(trim({ident(c)}) <> '' and try_cast(trim({ident(c)}) as bigint)::varchar "
                          f"is distinct from trim({ident(c)}))" for c in text)
        found = con.execute(f"select {codes} from {relation}").fetchall()[0]
        types.update({c: "VARCHAR" for c, code in zip(text, found) if code})
    return types


def id_type(con: duckdb.DuckDBPyConnection, relation: str, column: str, src_type: str | None = None) -> str:
    """id_types for one column; its type in `relation` is looked up when not given."""
    if src_type is None:
        src_type = con.execute(f"describe select {ident(column)} from {relation}").fetchall()[0][1]
    return id_types(con, relation, {column: src_type})[column]


# ---------------------------------------------------------------- loading one table


@dataclass
class Source:
    table: Table
    path: Path
    relation: str  # SQL for the source rows, every contract column present
    row_expr: str  # SQL for the 1-based data row number within the file
    exprs: dict[str, str]  # column -> SQL giving the contract-typed value
    src_types: dict[str, str]
    vietnamese: bool = False
    is_csv: bool = False
    scan: str = ""  # SQL for loading: the relation without row numbers (cheaper for Parquet)
    # the key's values are exactly these ranges lo..hi, each whole (set by check_table; one per company)
    dense_ranges: list[tuple[int, int]] | None = None
    types: dict[str, str] = field(default_factory=dict)  # column -> type as loaded (an id: BIGINT or VARCHAR)

    def where(self, row: int) -> str:
        return f"row {row} (line {row + 1})" if self.is_csv else f"row {row}"

    def at(self, row: int) -> dict:
        """Where a data row is, as Problem fields: its row, and its line in a CSV file (after the header)."""
        return {"row": row, "line": row + 1 if self.is_csv else None}


def open_source(con: duckdb.DuckDBPyConnection, table: Table, path: Path, problems: Problems) -> Source | None:
    name = path.name
    if path.stat().st_size == 0:
        problems.add(name, "is empty (0 bytes): the export did not finish or the wrong file was copied")
        return None
    if path.suffix == ".csv":
        if not check_utf8(path, problems):
            return None
        dialect = sniff(path, problems)
        if dialect is None:
            return None
        columns = "{" + ", ".join(f"{sql_str(h)}: 'VARCHAR'" for h in dialect.header) + "}"
        relation = (f"read_csv({sql_str(path)}, auto_detect=false, header=true, delim={sql_str(dialect.delim)}, "
                    f"quote='\"', escape='\"', columns={columns})")
        src_cols = {h: "VARCHAR" for h in dialect.header}
        row_expr = "row_number() over ()"
        vietnamese, is_csv = dialect.vietnamese_numbers, True
    else:
        relation = f"read_parquet({sql_str(path)}, file_row_number=true)"
        try:
            described = con.execute(f"describe select * from read_parquet({sql_str(path)})").fetchall()
        except duckdb.Error as exc:
            problems.add(name, f"cannot be read as Parquet (truncated or not a Parquet file): {first_line(exc)}")
            return None
        src_cols = {r[0]: r[1] for r in described}
        row_expr = "file_row_number + 1"
        vietnamese, is_csv = False, False

    if len(set(src_cols)) != len(src_cols) or (is_csv and len(set(dialect.header)) != len(dialect.header)):
        problems.add(name, "has the same column name twice in its header")
        return None
    unknown = [c for c in src_cols if c not in table.column_names and c != "file_row_number"]
    missing = [c.name for c in table.columns if c.name not in src_cols and c.default is None]
    defaulted = {c.name for c in table.columns if c.name not in src_cols and c.default is not None}
    ok = True
    if unknown:
        personal = [c for c in unknown if src_cols[c] == "VARCHAR" and looks_personal(con, relation, c)]
        for c in personal:
            problems.add(name, f"column {c} looks like personal data (phone numbers or email addresses): "
                               "remove it; no personal data enters the warehouse")
        rest = [c for c in unknown if c not in personal]
        if rest:
            problems.add(name, f"unknown column(s) {', '.join(rest)}: expected exactly {', '.join(table.column_names)}")
        ok = False
    if missing:
        problems.add(name, f"missing column(s) {', '.join(missing)}: expected {', '.join(table.column_names)}")
        ok = False
    if not ok:
        return None
    scan = relation if is_csv else f"read_parquet({sql_str(path)})"
    types = {c.name: c.type for c in table.columns}
    ids = {c.name: src_cols[c.name] for c in table.columns if c.id}
    if ids:
        try:
            types.update(id_types(con, scan, ids))
        except duckdb.Error as exc:  # the file breaks before load() reads it: the same messages
            if is_csv:
                problems.add(name, **csv_error(exc))
            else:
                problems.add(name, f"cannot be read: {first_line(exc)}")
            return None
    exprs = {}
    for col in table.columns:
        if col.name in defaulted:  # left out of the export: the contract's default (branches.company_code)
            expr = f"cast({sql_str(col.default)} as {col.type})"
        elif col.id and types[col.name] == "VARCHAR":
            expr = f"nullif(trim({ident(col.name)}), '')"  # a code, as written; blank is empty (refused)
        else:
            expr = parse_expr(col, src_cols[col.name], vietnamese)
        exprs[col.name] = expr if expr is not None else ident(col.name)
    return Source(table, path, relation, row_expr, exprs, src_cols, vietnamese, is_csv, scan, types=types)


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def csv_error(exc: Exception) -> dict:
    """DuckDB's CSV error as Problems.add arguments: the message and, when DuckDB says it, the line."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if line and found:
        exp, got = found.groups()
        hint = " (the file looks truncated)" if int(got) < int(exp) else " (a value may hold an unquoted separator)"
        return {"message": f"has {got} fields, expected {exp}{hint}", "line": int(line.group(1))}
    if "unicode" in text.lower():
        return {"message": "is not UTF-8", "hint": "save the file as 'CSV UTF-8'"}
    if line:
        return {"message": f"cannot be read: {first_line(exc)}", "line": int(line.group(1))}
    return {"message": first_line(exc)}


def load(con: duckdb.DuckDBPyConnection, src: Source, problems: Problems, allow_empty: bool = False) -> bool:
    """Create the raw table from the source; report values that do not parse. True when loaded. An empty
    table is refused as a truncated export unless it may be empty (targets, annotations; any table of a
    monthly drop: `allow_empty`)."""
    name = src.path.name
    select = ", ".join(f"{expr} as {ident(col)}" for col, expr in src.exprs.items())
    try:
        con.execute(f"create or replace table {ident(src.table.name)} as select {select} from {src.scan}")
    except duckdb.Error as exc:
        if src.is_csv:
            problems.add(name, **csv_error(exc))
        else:
            problems.add(name, f"cannot be read: {first_line(exc)}")
        return False
    # a code id cannot fail to parse: it is kept as written
    parsed_cols = [c for c in src.table.columns
                   if src.exprs[c.name] != ident(c.name) and not (c.id and src.types[c.name] == "VARCHAR")
                   and c.name in src.src_types]
    bad = False
    if parsed_cols:
        checks = ", ".join(
            f"count(*) filter (where {ident(c.name)} is not null and trim(cast({ident(c.name)} as varchar)) <> '' "
            f"and ({src.exprs[c.name]}) is null)" for c in parsed_cols)
        counts = con.execute(f"select {checks} from {src.relation}").fetchall()[0]
        for col, n in zip(parsed_cols, counts):
            if n:
                bad = True
                cond = (f"{ident(col.name)} is not null and trim(cast({ident(col.name)} as varchar)) <> '' "
                        f"and ({src.exprs[col.name]}) is null")
                row, value = locate_raw(con, src, cond, col.name)
                problems.add(name, f"{value!r} is not {expected_text(col, src.vietnamese)}{more(n)}",
                             column=col.name, **src.at(row))
    row_count = con.execute(f"select count(*) from {ident(src.table.name)}").fetchall()[0][0]
    if row_count == 0 and src.table.name not in EMPTY_ALLOWED and not allow_empty:
        problems.add(name, "has a header but no data rows: the export is empty or truncated")
        bad = True
    return not bad


def more(n: int) -> str:
    return f" ({n:,} rows like this)" if n > 1 else ""


def locate_raw(con, src: Source, cond: str, column: str) -> tuple[int, object]:
    """First source row (1-based) where `cond` holds over the source's own values."""
    row = con.execute(f"select * from (select {src.row_expr} as _row, {ident(column)} as _v, * from {src.relation}) "
                      f"where {cond} order by _row limit 1").fetchall()
    return (row[0][0], row[0][1]) if row else (0, None)


def locate(con, src: Source, cond: str, column: str, params: list | None = None) -> tuple[int, object]:
    """First source row where `cond` holds over the contract-typed values."""
    typed = ", ".join(f"{expr} as {ident(col)}" for col, expr in src.exprs.items())
    sql = (f"select _row, {ident(column)} from (select {src.row_expr} as _row, {typed} from {src.relation}) "
           f"where {cond} order by _row limit 1")
    row = con.execute(sql, params or []).fetchall()
    return (row[0][0], row[0][1]) if row else (0, None)


def looks_personal(con, relation: str, column: str) -> bool:
    v = ident(column)
    cleaned = f"regexp_replace(trim({v}), '[\\s.\\-()]', '', 'g')"
    cond = (f"({v}[1] in ('0', '+', '8') and regexp_full_match({cleaned}, '{PHONE_RE[1:-1]}')) "
            f"or (contains({v}, '@') and regexp_full_match(trim({v}), '{EMAIL_RE[1:-1]}'))")
    return bool(con.execute(f"select count(*) from (select {v} from {relation} where {cond} limit 1)").fetchall()[0][0])


# ---------------------------------------------------------------- rules on the loaded tables


def check_table(con, src: Source, problems: Problems) -> None:
    """Rules on one loaded raw table: nulls, accepted values, signs, first-of-month, keys, personal data."""
    t, name = src.table, src.path.name
    tbl = ident(t.name)
    referenced = {r.column for r in t.references}
    rules: list[tuple[str, str, str]] = []  # (column, condition that marks a bad row, message)
    for col in t.columns:
        c = ident(col.name)
        if not col.nullable:
            rules.append((col.name, f"{c} is null", "is empty (a value is required)"))
        if col.accepted:
            allowed = ", ".join("'" + a + "'" for a in col.accepted)
            rules.append((col.name, f"{c} not in ({allowed})", f"is not one of {', '.join(col.accepted)}"))
        if col.non_negative:
            rules.append((col.name, f"{c} < 0", "is negative (expected ≥ 0)"))
        if col.first_of_month:
            rules.append((col.name, f"{c} <> date_trunc('month', {c})",
                          "is not the first day of a month (a billing period is written as its first day)"))
        # Personal data: only free-text columns. Codes that must match a reference table or a list of accepted
        # values cannot hold a phone number or an email address and pass, and skipping them keeps the check
        # off the 14-million-row tables.
        if col.type == "VARCHAR" and not col.accepted and col.name not in referenced and col.name != t.key:
            cleaned = f"regexp_replace(trim({c}), '[\\s.\\-()]', '', 'g')"
            rules.append((col.name,
                          f"({c}[1] in ('0', '+', '8') and regexp_full_match({cleaned}, '{PHONE_RE[1:-1]}')) "
                          f"or (contains({c}, '@') and regexp_full_match(trim({c}), '{EMAIL_RE[1:-1]}'))",
                          "looks like personal data (a phone number or email address): remove it; "
                          "no personal data enters the warehouse"))
    if t.name == "customers":
        rules.append(("customer_id", "not regexp_full_match(customer_id, 'PC\\d{2}[A-Z]{2}\\d{7}')",
                      "is not a customer code (13 characters, e.g. PC08AA0819908)"))
        rules.append(("disconnected_on", "disconnected_on < connected_on", "is before connected_on"))
    if t.name == "service_requests":
        rules.append(("completed_on", "completed_on < submitted_on", "is before submitted_on"))
    if t.name == "targets":
        rules.append(("valid_to", "valid_to < valid_from", "is before valid_from"))
    if not rules:
        return
    counts = con.execute("select " + ", ".join(f"count(*) filter (where {cond})" for _, cond, _ in rules)
                         + f" from {tbl}").fetchall()[0]
    for (column, cond, message), n in zip(rules, counts):
        if n:
            row, value = locate(con, src, cond, column)
            shown = "empty" if value is None else repr(_plain(value))
            text = message if message.startswith("is empty") else f"{shown} {message}"
            if "personal data" in message:
                text = f"column {column} looks like personal data (phone numbers or email addresses), e.g. " \
                       f"{src.where(row)}: remove the column or its values; no personal data enters the warehouse"
                problems.add(name, text + more(n))
                continue
            problems.add(name, f"{text}{more(n)}", column=column, **src.at(row))
    if t.key and keys_unique_fast(con, src, tbl, ident(t.key), src.types[t.key]):
        return
    if t.key:
        dup = con.execute(f"select {ident(t.key)}, count(*) from {tbl} where {ident(t.key)} is not null "
                          f"group by all having count(*) > 1 limit 1").fetchall()
        if dup:
            ndup = con.execute(f"select count(*) from (select {ident(t.key)} from {tbl} group by all "
                               f"having count(*) > 1)").fetchall()[0][0]
            key_value = dup[0][0]
            rows = con.execute(
                f"select _row from (select {src.row_expr} as _row, {src.exprs[t.key]} as k from {src.relation}) "
                f"where k = $1 order by _row limit 2", [key_value]).fetchall()
            where = " and ".join(src.where(r[0]) for r in rows)
            problems.add(name, f"duplicate {t.key} {_plain(key_value)!r} at {where}: ids must be unique"
                               + (f" ({ndup:,} ids repeated)" if ndup > 1 else ""))


BITMAP_LIMIT = 1 << 30  # bits: a 128 MiB bitmap at most
BLOCK_BITS = 26  # ids spread wider than BITMAP_LIMIT are proven in blocks of 2^26 values (8 MiB bitmaps)
MAX_BLOCKS = 64  # ... when they fall in at most this many blocks


def keys_unique_fast(con, src: Source, tbl: str, key: str, key_type: str) -> bool:
    """True when every integer key is distinct, proven with one bit per possible value (bitstring_agg over
    [min, max]): a linear scan, 25x faster than grouping 14M keys. False means "not proven": look closer.

    A corporation's ids are one dense range per company, ten billion apart (PC01's from 10^10, PC02's from
    2 * 10^10, ...): too wide for one bitmap, so the keys are then split into blocks of 2^BLOCK_BITS values and
    each block that holds keys gets its own bitmap, all in one grouped scan (at most MAX_BLOCKS blocks). When the
    keys fill their ranges exactly, the ranges are kept on `src` for check_references (a range test, no join)."""
    if key_type != "BIGINT":
        return False
    lo, hi, n = con.execute(f"select min({key}), max({key}), count({key}) from {tbl}").fetchall()[0]
    if n == 0:
        return True
    lo, hi = int(lo), int(hi)
    if hi - lo < BITMAP_LIMIT:
        # bitstring_agg takes its range only as constants; lo and hi are integers read back from the table
        bits = con.execute(f"select bit_count(bitstring_agg({key}, {lo}, {hi})) from {tbl}").fetchall()[0][0]
        blocks = [(lo, hi, n, bits)]
    else:
        used = con.execute(f"select count(*) from (select distinct {key} >> {BLOCK_BITS} from {tbl} "
                           f"where {key} is not null limit {MAX_BLOCKS + 1})").fetchall()[0][0]
        if used > MAX_BLOCKS:
            return False
        mask = (1 << BLOCK_BITS) - 1  # a key is (its block << BLOCK_BITS) + (key & mask), negative keys too
        blocks = con.execute(f"select min({key}), max({key}), count({key}), "
                             f"bit_count(bitstring_agg({key} & {mask}, 0, {mask})) from {tbl} "
                             f"where {key} is not null group by {key} >> {BLOCK_BITS} order by 1").fetchall()
    if any(bits != count for _, _, count, bits in blocks):
        return False
    if all(b_hi - b_lo + 1 == count for b_lo, b_hi, count, _ in blocks):
        ranges: list[tuple[int, int]] = []
        for b_lo, b_hi, _, _ in blocks:  # blocks in order; a range that crosses a block boundary is joined up
            if ranges and ranges[-1][1] + 1 == b_lo:
                ranges[-1] = (ranges[-1][0], int(b_hi))
            else:
                ranges.append((int(b_lo), int(b_hi)))
        src.dense_ranges = ranges
    return True


def id_spans(con, relation: str, column: str, on: str | None = None) -> str | None:
    """A condition on `column` that every value of `relation`'s integer `column` meets, as ranges (the values'
    min and max in each block of 2^BLOCK_BITS), or None when they are not integers, there are none, or they fall
    in more than MAX_BLOCKS blocks. Added to the other side of an equality join, it lets DuckDB skip the row
    groups of a large table whose zone maps fall outside (a month's new ids against four years of them). The
    condition names `on` (SQL) where given, else the column."""
    kind = con.execute(f"describe select {ident(column)} from {relation}").fetchall()[0][1]
    if kind not in ("BIGINT", "INTEGER"):
        return None
    rows = con.execute(f"select min(v), max(v) from (select {ident(column)} as v from {relation}) "
                       f"where v is not null group by v >> {BLOCK_BITS} order by 1 limit {MAX_BLOCKS + 1}").fetchall()
    if not rows or len(rows) > MAX_BLOCKS:
        return None
    name = on or ident(column)
    return "(" + " or ".join(f"{name} between {int(lo)} and {int(hi)}" for lo, hi in rows) + ")"


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def check_references(con, sources: dict[str, Source], problems: Problems) -> None:
    for table_name, src in sources.items():
        for ref in src.table.references:
            if ref.table not in sources:
                continue
            c, target = ident(ref.column), ident(ref.target)
            ref_rel = f"(select {target} from {ident(ref.table)}" + (f" where {ref.where})" if ref.where else ")")
            dense = sources[ref.table].dense_ranges if ref.target == sources[ref.table].table.key else None
            same_type = src.types[ref.column] == sources[ref.table].types[ref.target]
            if dense and not ref.where and same_type:
                # the referenced ids are exactly these ranges: membership is a range test, no join of 14M x 14M
                within = " or ".join(f"t.{c} between {lo} and {hi}" for lo, hi in dense)
                missing = (f"select t.{c} as v from {ident(table_name)} t "
                           f"where t.{c} is not null and not ({within})")
            else:
                # an anti join, not NOT EXISTS: DuckDB runs it as one hash join (5x faster on 14M payments).
                # Integer ids on one side and codes on the other are compared as written.
                on = (f"r.{target} = t.{c}" if same_type
                      else f"cast(r.{target} as varchar) = cast(t.{c} as varchar)")
                missing = (f"select t.{c} as v from {ident(table_name)} t anti join {ref_rel} r "
                           f"on {on} where t.{c} is not null")
            n, example = 0, None
            first = con.execute(f"{missing} limit 1").fetchall()
            if first:
                n, example = con.execute(f"select count(*), min(v) from ({missing})").fetchall()[0]
            if n:
                row, _ = locate(con, src, f"{c} = $1", ref.column, [example])
                what = f"a known {ref.target} in {sources[ref.table].path.name}"
                if ref.where:
                    what += f" ({ref.where})"
                problems.add(src.path.name, f"{_plain(example)!r} is not {what}{more(n)}", column=ref.column,
                             **src.at(row))
