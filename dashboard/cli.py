"""The command line: `python -m dashboard generate | build | load | sql | check | serve`, and `--version`.

Argument parsing and printing live here and nowhere else; each command calls plain library functions
(generate.generate, build.build, sandbox.run_sql, check.check_all), which the app can call too. Heavy modules
are imported only by the command that needs them.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dashboard

PROG = "python -m dashboard"


def version() -> str:
    """The installed package's version, or dashboard.__version__ when running from a checkout."""
    from importlib import metadata

    try:
        for dist in metadata.packages_distributions().get("dashboard", []):
            return metadata.version(dist)
    except Exception:  # noqa: BLE001 - metadata is a nicety; the source knows its version
        pass
    return dashboard.__version__


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- generate


def generate_arguments(parser: argparse.ArgumentParser) -> None:
    from dashboard import generate

    parser.add_argument("--out", type=Path, default=None,
                        help="directory to write the exports to (default: <DASHBOARD_DATA_DIR>/exports)")
    parser.add_argument("--customers", type=int, default=generate.DEFAULT_CUSTOMERS,
                        help=f"customers of PC08 (default {generate.DEFAULT_CUSTOMERS:,}, about 14 million bills); "
                             "other companies in proportion")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED,
                        help=f"random seed (default {generate.DEFAULT_SEED})")
    parser.add_argument("--format", choices=generate.FORMATS, default="parquet", dest="format",
                        help="file format (default parquet)")
    parser.add_argument("--companies", type=_companies, default=1, metavar="N",
                        help=f"EVNCPC companies, 1 to {len(generate.COMPANIES)}: PC08 (--customers) and the first "
                             f"N - 1 others in code order, sized in proportion (default 1; "
                             f"{len(generate.COMPANIES)}: all of EVNCPC, about 4.1 million customers at the default "
                             f"size)")


def _companies(text: str) -> int:
    """--companies N (argparse type): a whole number from 1 to 13."""
    from dashboard import generate

    try:
        return generate.check_companies(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of companies: give a whole number from 1 to {len(generate.COMPANIES)} "
            f"(PC08 and the first N - 1 other EVNCPC companies; {len(generate.COMPANIES)} is all of EVNCPC)"
        ) from None


def run_generate(args: argparse.Namespace) -> int:
    import duckdb

    from dashboard import config, generate

    out = args.out if args.out is not None else config.data_dir() / "exports"
    steps: list[tuple[float, str]] = []
    t0 = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        steps.append((time.perf_counter(), message))
        _progress(fraction, message)

    try:
        rows = generate.generate(out, customers=args.customers, seed=args.seed, fmt=args.format, progress=progress,
                                 companies=args.companies)
    except (ValueError, OSError, duckdb.Error) as exc:
        print(f"generate failed: {exc}", file=sys.stderr)
        return 1
    total = time.perf_counter() - t0
    companies = "" if args.companies == 1 else f", companies={args.companies}: {rows['customers']:,} customers in all"
    print(f"wrote {args.format} exports to {out} (customers={args.customers:,}, seed={args.seed}{companies})")
    for name, count in rows.items():
        print(f"  {name:<17} {count:>12,} rows")
    print("timings:")
    for (t_start, message), (t_end, _) in zip(steps, steps[1:]):
        print(f"  {t_end - t_start:6.2f} s  {message}")
    print(f"  {total:6.2f} s  total")
    return 0


# ---------------------------------------------------------------- build


def build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, type=Path, help="folder with one export file per table")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: $DASHBOARD_DATA_DIR or ./data)")
    parser.add_argument("--keep", type=int, help="versions to keep (default: $DASHBOARD_KEEP_VERSIONS)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="where the models run (default duckdb); spark needs requirements-dev.txt and Java 17")
    parser.add_argument("--master", help="Spark master URL with --engine spark (default local[2])")


def run_build(args: argparse.Namespace) -> int:
    from dashboard import build

    if args.master and args.engine != "spark":
        print("--master needs --engine spark", file=sys.stderr)
        return 2
    try:
        if args.engine == "spark":
            from dashboard import spark_engine

            result = spark_engine.build(args.source, args.data_dir, _progress, args.keep, master=args.master)
        else:
            result = build.build(args.source, args.data_dir, _progress, args.keep)
    except (build.SettingError, build.ExportError, build.ModelError) as exc:
        return _refused(exc, "build", f"The exports in {args.source}")
    width = max(len(n) for n in result.row_counts)
    for name, rows in result.row_counts.items():
        print(f"{name:<{width}}  {rows:>12,}")
    print(f"latest period   {result.latest_period:%Y-%m}")
    print(f"version         {result.version}")
    print(f"published       {result.path}")
    print(f"seconds         {result.seconds:.1f}")
    return 0


def _refused(exc: Exception, command: str, what: str) -> int:
    """Say why a build or load refused (every problem, one per line) and return its exit code: 2 for a
    setting (nothing written), 1 otherwise (the published data unchanged)."""
    from dashboard import build

    if isinstance(exc, build.SettingError):
        print(f"The {command} did not start: {exc}\n  Nothing was written; fix the setting and run again.",
              file=sys.stderr)
        return 2
    if isinstance(exc, build.ExportError):
        print(f"{what} were not loaded; the published data is unchanged. Fix these:" if command == "build" else
              f"{what} was not loaded; the published data is unchanged. Fix these:", file=sys.stderr)
    else:
        kind = "A data test failed" if isinstance(exc, build.DataTestError) else "A model failed"
        print(f"{kind}; the published data is unchanged.", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


# ---------------------------------------------------------------- load


def load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, type=Path,
                        help="folder with the month's drop: bills, payments, service_requests for whole periods, "
                             "customers as new or changed rows, reference tables to replace (each .csv, "
                             ".parquet or a folder of period=YYYY-MM Parquet)")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: $DASHBOARD_DATA_DIR or ./data)")
    parser.add_argument("--keep", type=int, help="versions to keep (default: $DASHBOARD_KEEP_VERSIONS)")
    parser.add_argument("--user", help="who loads, for the audit log (default: the login name)")


def run_load(args: argparse.Namespace) -> int:
    from dashboard import build, load

    try:
        result = load.load(args.source, args.data_dir, _progress, args.keep, user=args.user)
    except load.LoadError as exc:
        print(f"The drop in {args.source} was not loaded; the published data is unchanged: {exc}", file=sys.stderr)
        return 1
    except (build.SettingError, build.ExportError, build.ModelError) as exc:
        return _refused(exc, "load", f"The drop in {args.source}")
    for period in result.periods:
        said = "replaced (a correction)" if period in result.replaced else "added"
        print(f"period {period:%Y-%m}  {said}")
    width = max((len(n) for n in result.changes), default=5)
    for name, change in result.changes.items():
        print(f"{name:<{width}}  +{change['added']:>10,}  replaced {change['replaced']:>10,}  "
              f"rows {change['rows']:>12,}")
    for check in result.warnings:
        print(f"provisional  {check.period} {check.branch_code}: {check.message_en}")
    print(f"latest period   {result.latest_period:%Y-%m}" if result.latest_period else "latest period   none")
    print(f"version         {result.version}")
    print(f"published       {result.path}")
    print(f"seconds         {result.seconds:.1f}")
    return 0


# ---------------------------------------------------------------- sql


def sql_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help="one read statement; '-' reads it from standard input")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="how the result is written to standard output (default: table)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="seconds before the query is stopped (default: DASHBOARD_SQL_TIMEOUT)")
    parser.add_argument("--max-rows", type=int, default=None, metavar="N",
                        help="rows written before the result is marked truncated (default: DASHBOARD_SQL_MAX_ROWS)")


def _read_sql(arg: str) -> str:
    """The statement from the argument, or from standard input for '-', as text; bytes that are not UTF-8 are
    refused by the sandbox's text check (argv arrives with them escaped) or here (standard input)."""
    if arg != "-":
        return arg
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from dashboard.sandbox import SqlRefused

        raise SqlRefused(f"standard input is not UTF-8 text (byte {exc.start + 1}): re-save the file as UTF-8"
                         ) from None


def run_sql(args: argparse.Namespace) -> int:
    from dashboard import sandbox, sqlworker

    try:
        sql = _read_sql(args.sql)
        result = sqlworker.run_sql(sql, timeout=args.timeout, max_rows=args.max_rows)
    except sandbox.SqlRefused as exc:
        print(f"refused: {printable(str(exc))}", file=sys.stderr)
        return 2
    except sandbox.SqlTimeout as exc:
        print(f"timeout: {printable(str(exc))}", file=sys.stderr)
        return 3
    except (sandbox.SqlProblem, ValueError) as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 1
    write_result(result.df, args.format, sys.stdout)
    rows = f"{result.row_count_shown} row{'s' if result.row_count_shown != 1 else ''}"
    note = ""
    if result.limit == "bytes":
        note = "; truncated: the result is larger than DASHBOARD_SQL_MAX_BYTES (filter or aggregate, or raise it)"
    elif result.truncated:
        note = "; truncated: more rows exist (raise --max-rows or DASHBOARD_SQL_MAX_ROWS)"
    print(f"{rows} in {result.elapsed_s:.3f} s{note}", file=sys.stderr)
    return 0


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r"})


def printable(text: str) -> str:
    """Text safe for a terminal: control characters (ESC sequences that recolour or retitle it, bells, CRs that
    overwrite a line) written as escapes."""
    return str(text).translate(_CONTROL)


def _printable_value(value):
    return printable(value) if isinstance(value, str) else value


def _plain_value(value):
    """Nested values (LIST, STRUCT, MAP come back as numpy arrays and dicts) as plain Python; BLOBs as hex."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {k: _plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0):
        return [_plain_value(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalars
        return value.item()
    return value


def _plain(df):
    """The result ready for text: date-only timestamps as YYYY-MM-DD, nested values as Python lists/dicts."""
    import pandas as pd

    out = df.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_datetime64_any_dtype(col) and getattr(col.dt, "tz", None) is None:
            valid = col.dropna()
            if (valid == valid.dt.normalize()).all():
                out[name] = col.dt.strftime("%Y-%m-%d").astype("object").where(col.notna(), None)
        elif col.dtype == object:
            out[name] = col.map(_plain_value, na_action="ignore")
    return out


def _json_value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def write_result(df, fmt: str, out) -> None:
    """csv: header then rows; json: a list of records; table: aligned columns (EXPLAIN plans as drawn)."""
    df = _plain(df)
    if fmt == "csv":
        nested = [c for c in df.columns if df[c].dtype == object]
        for name in nested:  # LIST/STRUCT/MAP cells as JSON text
            df[name] = df[name].map(lambda v: json.dumps(v, ensure_ascii=False, default=_json_value)
                                    if isinstance(v, (list, dict)) else v)
        df.to_csv(out, index=False, lineterminator="\n")
    elif fmt == "json":
        records = df.astype(object).where(df.notna(), None).to_dict(orient="records")
        # valid JSON: NaN and infinities (which json writes as bare NaN/Infinity) become null
        json.dump(_finite(records), out, ensure_ascii=False, default=_json_value, allow_nan=False)
        out.write("\n")
    elif list(df.columns) == ["explain_key", "explain_value"]:
        out.write("\n".join(str(v) for v in df["explain_value"]) + "\n")
    else:  # a table for a terminal: no control character reaches it raw
        import pandas as pd

        df = df.rename(columns=lambda c: printable(str(c)))
        for name in df.columns:  # (text may be object or pandas' str dtype)
            if df[name].dtype == object or pd.api.types.is_string_dtype(df[name]):
                df[name] = df[name].astype(object).map(_printable_value, na_action="ignore")
        if df.empty:
            out.write("  ".join(str(c) for c in df.columns) + "\n")
        else:
            out.write(df.to_string(index=False) + "\n")


def _finite(value):
    """NaN and ±inf as None, inside lists and dicts too."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# ---------------------------------------------------------------- check


def check_arguments(parser: argparse.ArgumentParser) -> None:
    from dashboard import config
    from dashboard.problems import display_path

    parser.add_argument("--queries", type=Path, default=None, metavar="DIR",
                        help=f"the queries folder to check (default: {display_path(config.QUERIES_DIR)})")
    parser.add_argument("--warehouse", type=Path, default=None, metavar="FILE",
                        help="a warehouse file to run the queries on (default: the published one)")


def run_check(args: argparse.Namespace) -> int:
    from dashboard import check

    problems = check.check_all(args.warehouse, args.queries)
    for problem in problems:
        print(problem)
    count = check.count_files(args.queries)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {count} files", file=sys.stderr)
        return 1
    print(f"{count} query and model files ok", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- pack


def _period(text: str):
    """A period YYYY-MM as the first day of its month (argparse type)."""
    import datetime as dt

    try:
        if len(text) == 7 and text[4] == "-":
            return dt.date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a period YYYY-MM (e.g. 2020-08)")


def pack_arguments(parser: argparse.ArgumentParser) -> None:
    from dashboard.labels import LANGS
    from dashboard.links import CMPS

    parser.add_argument("--to", required=True, type=_period, metavar="YYYY-MM", help="the period the pack reports")
    parser.add_argument("--branch", action="extend", nargs="+", metavar="CODE",
                        help="branch code(s), e.g. PC08FF, or PC08 for the whole company (default: every branch "
                             "and the company)")
    parser.add_argument("--lang", choices=LANGS, default="vi", help="language (default vi)")
    parser.add_argument("--cmp", choices=CMPS, default="prev_month",
                        help="what each KPI's change is against (default prev_month)")
    parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                        help="folder the PDF files are written to (default: the current folder)")
    parser.add_argument("--data-version", metavar="V",
                        help="a kept data version, as a link's v= (default: the published one)")


def run_pack(args: argparse.Namespace) -> int:
    from dashboard import pack

    t0 = time.perf_counter()
    try:
        source = pack.open_warehouse(args.data_version)
    except pack.PackError as exc:
        print(f"pack: {exc}", file=sys.stderr)
        return 2
    with source:
        names, companies = pack.hierarchy(source)
        several = len(set(companies.values())) > 1
        # the top pack's code (PC08, the company's own, as in the file names; EVNCPC for a corporation) stands
        # for the whole company or corporation, a company's code for that company's pack
        top = pack.CORPORATION_CODE if several else pack.COMPANY_CODE

        def spec(code: str | None) -> pack.PackSpec:
            if code is None or code == top:
                return pack.PackSpec(args.to, None, args.cmp, args.lang, top=top)
            if code in companies.values():
                return pack.PackSpec(args.to, None, args.cmp, args.lang, company=code if several else None,
                                     top=code)
            return pack.PackSpec(args.to, code, args.cmp, args.lang, top=top)

        codes = ([code.strip().upper() for code in args.branch] if args.branch
                 else [None, *(sorted(set(companies.values())) if several else []), *names])
        specs = [spec(code) for code in dict.fromkeys(codes)]
        try:
            for s in specs:
                pack.check(s, names, pack.periods(source), set(companies.values()))
        except pack.PackError as exc:
            print(f"pack: {exc}; nothing written", file=sys.stderr)
            return 2
        try:
            for s in specs:
                print(pack.write_pack(source, s, args.out), flush=True)
        except (pack.PackError, OSError) as exc:
            print(f"pack: {exc}", file=sys.stderr)
            return 1
    print(f"{len(specs)} pack{'s' if len(specs) != 1 else ''} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- the commands


# ---------------------------------------------------------------- serve


def serve_arguments(parser: argparse.ArgumentParser) -> None:
    import os

    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="Streamlit processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8501, help="port nginx listens on (default 8501)")
    parser.add_argument("--address", default="0.0.0.0",
                        help="address nginx listens on (default 0.0.0.0; the Streamlit processes use loopback)")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: $DASHBOARD_DATA_DIR or ./data)")
    parser.add_argument("--runtime-dir", type=Path,
                        help="where the nginx config, pid and logs go, kept afterwards (default: a temporary "
                             "directory removed at exit)")
    parser.add_argument("--nginx", help="nginx binary (default: nginx on PATH, or /usr/sbin/nginx)")


class _Stop(Exception):
    """Raised by the SIGINT/SIGTERM handler, wherever the main thread is waiting."""


def _raise_stop(signum, _frame):
    import signal

    raise _Stop(signal.Signals(signum).name)


def run_serve(args: argparse.Namespace) -> int:
    import signal

    from dashboard.serve import ServeError, Server

    if args.workers < 1:
        print("serve: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        server = Server(args.workers, args.port, args.address, args.data_dir, args.runtime_dir, args.nginx)
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        server.start()
        workers = ", ".join(f"127.0.0.1:{p}" for p in server.ports)
        print(f"serving {server.url} ({args.workers} Streamlit processes: {workers}; nginx pid {server.nginx.pid})\n"
              f"runtime directory {server.runtime_dir} (nginx.conf, access.log, worker-N.log)", flush=True)
        while True:
            dead = server.dead()
            if dead:
                names = ", ".join(f"{' '.join(map(str, p.args[:5]))} (exit {p.returncode})" for p in dead)
                print(f"serve: stopping, a process died: {names}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except _Stop as stop:
        print(f"serve: {stop}, stopping", file=sys.stderr)
        return 0
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    finally:
        # stopping is bounded (10 s a process, then kill): a second signal must not cut it short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.stop()


@dataclass(frozen=True)
class Command:
    help: str
    example: str
    exit_codes: tuple[tuple[int, str], ...]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]

    def epilog(self) -> str:
        codes = "\n".join(f"  {code}  {meaning}" for code, meaning in self.exit_codes)
        return f"example:\n  {self.example}\n\nexit codes:\n{codes}"


COMMANDS: dict[str, Command] = {
    "generate": Command(
        "write synthetic exports: PC Phú Yên, or with --companies up to all thirteen EVNCPC companies",
        f"{PROG} generate --out data/exports/synthetic --customers 290000 --format parquet",
        ((0, "exports written"), (1, "generation failed (message on stderr)"), (2, "bad arguments")),
        generate_arguments, run_generate),
    "build": Command(
        "validate exports, build and publish a new warehouse",
        f"{PROG} build --source sample_data/sample",
        ((0, "a new version is published"),
         (1, "exports, a model or a data test refused: every problem on stderr, the published data unchanged"),
         (2, "bad arguments or settings: nothing written")),
        build_arguments, run_build),
    "load": Command(
        "load a monthly drop on top of the published warehouse, check it and publish a new version",
        f"{PROG} load --source exports/2020-09",
        ((0, "a new version is published (warnings mark branches provisional, listed on stdout)"),
         (1, "the drop, a check, a model or a data test refused: every problem on stderr, the published "
             "data unchanged"),
         (2, "bad arguments or settings: nothing written")),
        load_arguments, run_load),
    "sql": Command(
        "run read-only SQL against the published warehouse",
        f"{PROG} sql \"select branch_code, remote_read_rate from branch_month limit 5\" --format csv",
        ((0, "result on stdout"), (1, "SQL error, bad setting or no published warehouse"),
         (2, "refused: not one read statement (or bad arguments)"), (3, "stopped at the time limit")),
        sql_arguments, run_sql),
    "check": Command(
        "check every query and model file against the published warehouse",
        f"{PROG} check --queries queries",
        ((0, "every file is fine"), (1, "problems found, one line each on stdout"), (2, "bad arguments")),
        check_arguments, run_check),
    "serve": Command(
        "serve the dashboard from several Streamlit processes behind nginx (sticky sessions)",
        f"{PROG} serve --workers 2 --port 8501",
        ((0, "stopped by SIGINT/SIGTERM"), (1, "a process failed to start or died"), (2, "bad arguments")),
        serve_arguments, run_serve),
    "pack": Command(
        "write the one-page PDF director pack of a period, per branch and for the company",
        f"{PROG} pack --to 2020-08 --branch PC08FF --lang vi --out packs",
        ((0, "the packs are written, one path a line on stdout"),
         (1, "a pack could not be made (chart renderer or PDF; message on stderr)"),
         (2, "bad arguments: an unknown branch, a period not YYYY-MM or without data, no published data")),
        pack_arguments, run_pack),
}


class _Version(argparse.Action):
    """--version, looked up only when asked (reading package metadata takes a moment)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"dashboard {version()}")
        parser.exit()


def parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's arguments are added (generate's defaults import numpy)."""
    top = argparse.ArgumentParser(prog=PROG, description="The digital-services dashboard's commands: generate "
                                  "exports, build and publish the warehouse, run read-only SQL, check query files.",
                                  epilog=f"example:\n  {COMMANDS['build'].example}\n\n"
                                         f"'{PROG} COMMAND --help' shows each command's example and exit codes.",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action=_Version, help="print the version and exit")
    sub = top.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for name, command in COMMANDS.items():
        child = sub.add_parser(name, help=command.help, description=command.help, epilog=command.epilog(),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        if name == chosen:
            command.add_arguments(child)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = argv[0] if argv and argv[0] in COMMANDS else None
    args = parser(chosen).parse_args(argv)
    return COMMANDS[args.command].run(args)
