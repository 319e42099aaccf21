"""Bill, payment and request ids that are codes (HD000123), not whole numbers: loaded as text exactly as written,
checked like integer ids, and a build of codes gives the integer build's marts. Integer ids stay BIGINT."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboard import exports, warehouse
from dashboard.build import build
from dashboard.contract import TABLES
from dashboard.exports import ExportError, Problems
from tests.conftest import SAMPLE
from tests.kit import trueup_case, write_exports

# id column -> the code prefix the coded exports write before the sample's integer id
CODES = {"bills": {"bill_id": "HD"}, "payments": {"payment_id": "TT", "bill_id": "HD"},
         "service_requests": {"request_id": "YC"}}
MARTS = ["branch_month", "company_month", "estimate_trueups", "estimate_error_month", "payment_channel_month",
         "request_channel_month"]


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def assert_same_rows(got: list[tuple], expected: list[tuple]) -> None:
    """Equal row for row; doubles to 12 significant digits, since a parallel sum adds in no fixed order (two
    builds of the same integer export differ in the last bits)."""
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert len(g) == len(e)
        for a, b in zip(g, e):
            if isinstance(b, float):
                assert a == pytest.approx(b, rel=1e-12, abs=1e-9), (g, e)
            else:
                assert a == b, (g, e)


def column_type(con, table: str, column: str) -> str:
    return dict(rows(con, f"select column_name, column_type from (describe {table})"))[column]


# ---------------------------------------------------------------- which ids are whole numbers


ID_VALUES = [
    # (values in one export column, type it loads as)
    (["1", "2", "100000001"], "BIGINT"),
    (["-5", "0", "9223372036854775807"], "BIGINT"),
    ([" 7 ", "8"], "BIGINT"),  # spaces around a number are trimmed, as for any number
    (["1", None, ""], "BIGINT"),  # empty values do not decide (they are refused later: ids are required)
    ([None], "BIGINT"),
    (["HD1", "HD2"], "VARCHAR"),
    (["1", "HD2"], "VARCHAR"),  # one code makes the column text
    (["00123", "2"], "VARCHAR"),  # a leading zero is part of the code, not a number to change
    (["+5"], "VARCHAR"),
    (["-0"], "VARCHAR"),
    (["9223372036854775808"], "VARCHAR"),  # beyond BIGINT
    (["1.0"], "VARCHAR"),
    (["100.000.001"], "VARCHAR"),  # grouped thousands are a code, even in a ;-separated file
    (["1e3"], "VARCHAR"),
    (["1_000"], "VARCHAR"),
]


@pytest.mark.parametrize("values,expected", ID_VALUES, ids=[repr(v) for v, _ in ID_VALUES])
def test_id_type_of_text_values(values, expected):
    con = duckdb.connect()
    con.execute("create table src (id varchar)")
    con.executemany("insert into src values ($1)", [[v] for v in values])
    assert exports.id_type(con, "src", "id") == expected
    assert exports.id_types(con, "src", {"id": "VARCHAR"}) == {"id": expected}


@pytest.mark.parametrize("sql_type", ["TINYINT", "INTEGER", "BIGINT", "UINTEGER", "DOUBLE", "DECIMAL(18,0)"])
def test_a_numeric_column_is_an_integer_id_without_reading_it(sql_type):
    con = duckdb.connect()
    con.execute(f"create table src (id {sql_type})")
    assert exports.id_type(con, "src", "id") == "BIGINT"


# ---------------------------------------------------------------- the sample, with codes for ids


def coded_sample(folder: Path, fmt: str) -> Path:
    """The committed sample with every bill, payment and request id written as a code ('HD' || id, ...), so that
    payments.bill_id still names its bill; fmt 'parquet' writes those three tables as typed Parquet."""
    shutil.copytree(SAMPLE, folder)
    con = duckdb.connect()
    for table, codes in CODES.items():
        path = folder / f"{table}.csv"
        replace = ", ".join(f"{exports.sql_str(prefix)} || {exports.ident(c)} as {exports.ident(c)}"
                            for c, prefix in codes.items())
        # all_varchar for CSV keeps every other value exactly as the sample writes it
        source = f"read_csv({exports.sql_str(path)}, all_varchar={'true' if fmt == 'csv' else 'false'})"
        target = folder / f"{table}.{fmt}"
        con.execute(f"create table t as select * replace ({replace}) from {source}")
        path.unlink()
        con.execute(f"copy t to {exports.sql_str(target)} (format {fmt})")
        con.execute("drop table t")
    con.close()
    return folder


@pytest.fixture(scope="module", params=["csv", "parquet"])
def coded(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"coded-{request.param}")
    result = build(coded_sample(tmp / "src", request.param), tmp / "data")
    con = warehouse.connect(result.path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def integer(sample_warehouse):
    con = warehouse.connect(sample_warehouse.path)
    yield con
    con.close()


def test_the_sample_has_no_bill_order_ties():
    """Code ids order bills of one customer, period and reading day by a hash, not by number: the marts can only
    equal the integer build's when no such ties exist, so say so rather than rely on luck."""
    n = duckdb.sql(f"select count(*) from (select customer_id, period, read_on from "
                   f"read_csv({exports.sql_str(SAMPLE / 'bills.csv')}) group by all having count(*) > 1)").fetchall()
    assert n == [(0,)]


def test_code_ids_load_as_text_exactly_as_written(coded):
    for table, codes in CODES.items():
        for column, prefix in codes.items():
            assert column_type(coded, table, column) == "VARCHAR", (table, column)
            assert rows(coded, f"select count(*) from {table} where not starts_with({column}, '{prefix}')") == [(0,)]
    assert column_type(coded, "estimate_trueups", "bill_id") == "VARCHAR"
    assert column_type(coded, "estimate_trueups", "closed_by_bill_id") == "VARCHAR"


@pytest.mark.parametrize("mart", MARTS)
def test_code_ids_give_the_integer_builds_marts(coded, integer, mart):
    expected_sql = f"select * from {mart} order by all"
    if mart == "estimate_trueups":  # the same bills, named by their codes
        expected_sql = ("select * replace ('HD' || bill_id as bill_id, 'HD' || closed_by_bill_id as closed_by_bill_id) "
                        "from estimate_trueups order by all")
    assert_same_rows(rows(coded, f"select * from {mart} order by all"), rows(integer, expected_sql))


def test_integer_ids_stay_bigint(integer):
    for table, codes in CODES.items():
        for column in codes:
            assert column_type(integer, table, column) == "BIGINT", (table, column)
    assert column_type(integer, "estimate_trueups", "closed_by_bill_id") == "BIGINT"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_integer_ids_keep_the_fast_checks_and_codes_take_the_general_ones(tmp_path, fmt):
    """keys_unique_fast's proof and the dense range for payments.bill_id need integer ids; codes are checked by
    grouping and an anti join instead."""
    folder = tmp_path / "src"
    folder.mkdir()
    con = duckdb.connect()
    path = folder / f"bills.{fmt}"
    con.execute(f"copy (select * from read_csv({exports.sql_str(SAMPLE / 'bills.csv')})) to {exports.sql_str(path)} "
                f"(format {fmt})")
    src = exports.open_source(con, TABLES["bills"], path, Problems())
    assert src.types["bill_id"] == "BIGINT"
    assert exports.load(con, src, Problems())
    exports.check_table(con, src, Problems())
    assert src.dense_ranges is not None

    coded_path = coded_sample(tmp_path / "coded", fmt) / f"bills.{fmt}"
    src = exports.open_source(con, TABLES["bills"], coded_path, Problems())
    assert src.types["bill_id"] == "VARCHAR"
    assert exports.load(con, src, Problems())
    exports.check_table(con, src, Problems())
    assert src.dense_ranges is None


# One dense range per company, 10^10 apart (the generator's corporation), and what must still be refused
COMPANY_RANGES = [(100_000_001, 100_000_500), (10_100_000_001, 10_100_000_300), (20_100_000_001, 20_100_000_200)]


def bills_with_ids(folder: Path, ids: list[int]) -> Path:
    """The sample's first bill, once per id, as Parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bills.parquet"
    con = duckdb.connect()
    first = f"(select * exclude (bill_id) from read_csv({exports.sql_str(SAMPLE / 'bills.csv')}) limit 1)"
    con.execute("create table ids as select unnest($ids::bigint[]) as bill_id", {"ids": ids})
    con.execute(f"copy (select i.bill_id, f.* from ids i, {first} f) to {exports.sql_str(path)} (format parquet)")
    return path


def checked(path: Path) -> tuple[exports.Source, Problems]:
    con, problems = duckdb.connect(), Problems()
    src = exports.open_source(con, TABLES["bills"], path, problems)
    assert exports.load(con, src, problems)
    exports.check_table(con, src, problems)
    return src, problems


def test_a_corporation_s_id_ranges_are_proven_unique_and_kept_for_the_reference_test(tmp_path):
    ids = [i for lo, hi in COMPANY_RANGES for i in range(lo, hi + 1)]
    src, problems = checked(bills_with_ids(tmp_path / "ok", ids))
    assert not problems and src.dense_ranges == COMPANY_RANGES
    # a range crossing a 2^26 block boundary stays one range
    lo = (3 << exports.BLOCK_BITS) - 5
    src, problems = checked(bills_with_ids(tmp_path / "cross", list(range(lo, lo + 10)) + [50_000_000_000]))
    assert not problems and src.dense_ranges == [(lo, lo + 9), (50_000_000_000, 50_000_000_000)]
    # negative ids: blocks -1 and 0 join up into one range
    src, problems = checked(bills_with_ids(tmp_path / "negative", list(range(-5, 6)) + [1 << 40]))
    assert not problems and src.dense_ranges == [(-5, 5), (1 << 40, 1 << 40)]


@pytest.mark.parametrize("case, ids, message", [
    ("a repeat in the second company", [*range(100_000_001, 100_000_101), *range(10_100_000_001, 10_100_000_051),
                                        10_100_000_007],
     "duplicate bill_id 10100000007"),
    ("a repeat in a sparse spread", [1, 2, 3, 1 << 40, 1 << 40], "duplicate bill_id 1099511627776"),
    ("a repeat across many blocks", [i << 27 for i in range(exports.MAX_BLOCKS + 5)] + [5 << 27],
     "duplicate bill_id 671088640"),
])
def test_repeated_ids_in_wide_ranges_are_refused(tmp_path, case, ids, message):
    src, problems = checked(bills_with_ids(tmp_path / "dup", ids))
    assert any(message in p.message for p in problems), [p.message for p in problems]


def payments_of(folder: Path, bill_ids: list[int]) -> Path:
    """The sample's first payment, once per bill id (payment ids 1, 2, ...), as Parquet."""
    path = folder / "payments.parquet"
    con = duckdb.connect()
    first = f"(select * exclude (payment_id, bill_id) from read_csv({exports.sql_str(SAMPLE / 'payments.csv')}) limit 1)"
    con.execute("create table ids as select unnest($ids::bigint[]) as bill_id", {"ids": bill_ids})
    con.execute(f"copy (select row_number() over () as payment_id, i.bill_id, f.* from ids i, {first} f) "
                f"to {exports.sql_str(path)} (format parquet)")
    return path


@pytest.mark.parametrize("gap", [False, True])
def test_a_bill_id_outside_the_companies_ranges_is_not_a_known_bill(tmp_path, gap):
    """With every range whole, payments.bill_id is checked by a range test; with a gap, by the anti join. Both
    refuse an id between two companies' ranges and an id in the gap."""
    ids = [i for lo, hi in COMPANY_RANGES for i in range(lo, hi + 1)]
    if gap:
        ids.remove(10_100_000_150)
    con, problems = duckdb.connect(), Problems()
    loaded = {}
    for name, path in (("bills", bills_with_ids(tmp_path, ids)),
                       ("payments", payments_of(tmp_path, [100_000_007, 5_000_000_000, 10_100_000_150,
                                                           20_100_000_200]))):
        src = exports.open_source(con, TABLES[name], path, problems)
        assert exports.load(con, src, problems)
        exports.check_table(con, src, problems)
        loaded[name] = src
    assert (loaded["bills"].dense_ranges is None) == gap
    exports.check_references(con, loaded, problems)
    [problem] = [p for p in problems if p.column == "bill_id"]
    assert "5000000000 is not a known bill_id" in problem.message
    assert ("(2 rows like this)" in problem.message) == gap


# ---------------------------------------------------------------- hand-made cases, CSV and Parquet


def with_codes(tables: dict, bills=lambda i: f"HD{i}", payments=lambda i: f"TT{i}", requests=lambda i: f"YC{i}"):
    """The hand-made case with each id rewritten by the given function of the integer id."""
    tables = copy.deepcopy(tables)
    for b in tables["bills"]:
        b["bill_id"] = bills(b["bill_id"])
    for p in tables["payments"]:
        p["payment_id"], p["bill_id"] = payments(p["payment_id"]), bills(p["bill_id"])
    for r in tables["service_requests"]:
        r["request_id"] = requests(r["request_id"])
    return tables


def write(folder: Path, tables: dict, fmt: str) -> Path:
    """The tables as an export; for Parquet, bills, payments and requests become Parquet files of text columns
    (the build parses them as it parses CSV, and decides each id's type from its values)."""
    write_exports(folder, tables)
    if fmt == "parquet":
        for table in CODES:
            path = folder / f"{table}.csv"
            duckdb.sql(f"copy (select * from read_csv({exports.sql_str(path)}, all_varchar=true)) "
                       f"to {exports.sql_str(folder / f'{table}.parquet')} (format parquet)")
            path.unlink()
    return folder


def ext(fmt: str) -> str:
    return "csv" if fmt == "csv" else "parquet"


FORMATS = pytest.mark.parametrize("fmt", ["csv", "parquet"])


SPAN_CASES = [
    ("three companies", [5, 6, 7, 10**10 + 1, 10**10 + 9, 2 * 10**10], 3),
    ("one block", list(range(100, 200)), 1),
    ("negative ids", [-(2**40), -5, 3], 3),
    ("a block boundary", [2**26 - 1, 2**26], 2),
]


@pytest.mark.parametrize("ids,blocks", [c[1:] for c in SPAN_CASES], ids=[c[0] for c in SPAN_CASES])
def test_id_spans_keep_every_id_and_narrow_a_join_without_changing_it(ids, blocks):
    """The monthly load narrows the published side of a join to the drop's id spans: every id of the relation
    meets the condition, and a join of a large table through it finds exactly what the plain join finds."""
    con = duckdb.connect()
    con.execute("create table small as select unnest($1::bigint[]) as id", [ids])
    con.execute("create table big as select id from small union all select range * 7919 - 1000000000 as id "
                "from range(300000)")
    spans = exports.id_spans(con, "small", "id")
    assert spans is not None and spans.count("between") == blocks
    assert rows(con, f"select count(*) from small where not {spans}") == [(0,)]
    assert rows(con, f"select id from (from big where {spans}) semi join small using (id) order by id") == \
        rows(con, "select id from big semi join small using (id) order by id")
    assert exports.id_spans(con, "(select id from small where false)", "id") is None


def test_id_spans_give_up_on_text_and_on_too_many_blocks():
    con = duckdb.connect()
    assert exports.id_spans(con, "(select 'HD' || range as id from range(5))", "id") is None
    too_many = exports.id_spans(con, f"(select range << {exports.BLOCK_BITS} as id "
                                f"from range({exports.MAX_BLOCKS + 1}))", "id")
    assert too_many is None
    assert exports.id_spans(con, f"(select range << {exports.BLOCK_BITS} as id from range({exports.MAX_BLOCKS}))",
                            "id", on="b.x").startswith("(b.x between 0 and 0 or ")


@FORMATS
def test_mixed_integer_and_code_ids_load_as_text(tmp_path, fmt):
    """Some bills numbered, some coded: the column is text and every value is kept as written; payments naming
    only numbered bills (an integer column) still find them; the marts are the integer build's."""
    numbered = {1, 2, 6}  # the bills the payments name
    tables = with_codes(trueup_case(), bills=lambda i: i if i in numbered else f"HD{i}", payments=lambda i: i)
    con = warehouse.connect(build(write(tmp_path / "src", tables, fmt), tmp_path / "data").path)
    assert column_type(con, "bills", "bill_id") == "VARCHAR"
    assert column_type(con, "payments", "bill_id") == "BIGINT"
    assert rows(con, "select bill_id from bills order by all") == [
        (v,) for v in sorted(["1", "2", "HD3", "HD4", "HD5", "6", "HD7", "HD8"])]
    closers = dict(rows(con, "select bill_id, closed_by_bill_id from estimate_trueups"))
    assert closers == {"2": "HD4", "HD3": "HD4", "HD5": None, "6": "HD8", "HD7": "HD8"}
    integer = warehouse.connect(build(write_exports(tmp_path / "int", trueup_case()), tmp_path / "d2").path)
    for mart in ("branch_month", "company_month", "estimate_error_month", "payment_channel_month"):
        assert_same_rows(rows(con, f"select * from {mart} order by all"),
                         rows(integer, f"select * from {mart} order by all"))
    con.close()
    integer.close()


LEADING = [
    # (bill 1's id as written, as it is loaded)
    ("00001", "00001"),
    ("+1", "+1"),
    ("-0", "-0"),
    ("  HD1 ", "HD1"),
    ("9223372036854775808", "9223372036854775808"),
]


@FORMATS
@pytest.mark.parametrize("written,loaded", LEADING, ids=[w for w, _ in LEADING])
def test_an_id_that_is_not_a_canonical_number_stays_text_as_written(tmp_path, fmt, written, loaded):
    tables = with_codes(trueup_case(), bills=lambda i: written if i == 1 else i, payments=lambda i: i)
    con = warehouse.connect(build(write(tmp_path / "src", tables, fmt), tmp_path / "data").path)
    assert rows(con, "select bill_id from bills where customer_id = 'PC08AA0000001' and period = '2020-01-01'") \
        == [(loaded,)]
    assert rows(con, "select bill_id from payments where payment_id = 1") == [(loaded,)]
    con.close()


def duplicate(table: str, column: str):
    def apply(tables):
        tables[table][1][column] = tables[table][2][column]
    return apply


def unknown_bill(value):
    def apply(tables):
        tables["payments"][0]["bill_id"] = value
    return apply


def blank_bill(tables):
    tables["bills"][0]["bill_id"] = "  "


BAD = [
    # (id, the coding of ids, change, file, fragment of the message after the file name and row)
    ("duplicate bill code", {}, duplicate("bills", "bill_id"), "bills", "duplicate bill_id 'HD3' at row 2"),
    ("duplicate payment code", {}, duplicate("payments", "payment_id"), "payments",
     "duplicate payment_id 'TT3' at row 2"),
    ("duplicate request code", {}, duplicate("service_requests", "request_id"), "service_requests",
     "duplicate request_id 'YC3' at row 2"),
    ("payment for an unknown code", {}, unknown_bill("HD999"), "payments",
     "column bill_id: 'HD999' is not a known bill_id"),
    ("code payment, integer bills", {"bills": lambda i: i}, unknown_bill("HD1"), "payments",
     "column bill_id: 'HD1' is not a known bill_id"),
    ("integer payment, code bills", {"payments": lambda i: i}, lambda t: [p.__setitem__("bill_id", 9)
                                                                          for p in t["payments"]],
     "payments", "column bill_id: 9 is not a known bill_id"),
    ("leading zero is not the bill", {"bills": lambda i: i}, unknown_bill("01"), "payments",
     "column bill_id: '01' is not a known bill_id"),
    ("blank code", {}, blank_bill, "bills", "column bill_id: is empty (a value is required)"),
]


@FORMATS
@pytest.mark.parametrize("case,coding,change,table,fragment", BAD, ids=[c[0] for c in BAD])
def test_bad_ids_are_refused_with_the_integer_messages(tmp_path, fmt, case, coding, change, table, fragment):
    tables = with_codes(trueup_case(), **coding)
    change(tables)
    with pytest.raises(ExportError) as info:
        build(write(tmp_path / "src", tables, fmt), tmp_path / "data")
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith(f"{table}.{ext(fmt)}") and fragment in m for m in messages), messages
    assert not (tmp_path / "data" / "CURRENT").exists()
