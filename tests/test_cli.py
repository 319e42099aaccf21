"""The command line: one module parses and prints for every command; --help shows an example and the exit codes;
--version; the library modules neither print nor parse arguments."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dashboard
from dashboard import cli, config
from tests.kit import trueup_case, write_exports

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_help_shows_an_example_and_the_exit_codes(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    example = out.split("example:\n", 1)[1].splitlines()[0]
    assert example.strip().startswith(f"python -m dashboard {command} ")
    codes = out.split("exit codes:\n", 1)[1]
    assert "  0  " in codes and "  1  " in codes


def test_top_level_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in cli.COMMANDS) and "--version" in out


def test_version_comes_from_the_package_when_not_installed(monkeypatch, capsys):
    from importlib import metadata

    monkeypatch.setattr(metadata, "packages_distributions", lambda: {})
    assert cli.version() == dashboard.__version__ == "0.5.0"
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == "dashboard 0.5.0\n"


def test_python_m_dashboard_version():
    proc = subprocess.run([sys.executable, "-m", "dashboard", "--version"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"dashboard {cli.version()}\n"


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2
    assert "required" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["generate", "build", "check", "sandbox", "models", "exports", "queries",
                                    "warehouse", "problems", "config"])
def test_library_modules_neither_print_nor_parse_arguments(module):
    text = (REPO / "dashboard" / f"{module}.py").read_text(encoding="utf-8")
    for word in ("argparse", "print(", "sys.argv", "sys.stdout", "sys.stderr", "streamlit"):
        assert word not in text, f"dashboard/{module}.py uses {word}"


def test_build_prints_a_failing_data_test_and_exits_1(tmp_path, monkeypatch, capsys):
    models = tmp_path / "models"
    shutil.copytree(config.MODELS_DIR, models)
    (models / "too_high.sql").write_text("-- model: too_high\n-- materialized: table\n-- grain: one row per branch\n"
                                         "-- tests: accepted_range(n, , 0)\n"
                                         "select branch_code, 1 as n from branches\n", encoding="utf-8")
    monkeypatch.setattr(config, "MODELS_DIR", models)
    source = write_exports(tmp_path / "src", trueup_case())
    assert cli.main(["build", "--source", str(source), "--data-dir", str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    assert "A data test failed; the published data is unchanged." in err
    assert "  queries/models/too_high.sql: test accepted_range(n, , 0) failed on 2 rows" in err
    assert not (tmp_path / "data" / "CURRENT").exists()


def test_build_prints_a_bad_setting_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_BUILD_THREADS", "-1")
    source = write_exports(tmp_path / "src", trueup_case())
    assert cli.main(["build", "--source", str(source), "--data-dir", str(tmp_path / "data")]) == 2
    assert "DASHBOARD_BUILD_THREADS='-1' must be 0 or more" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


# ---------------------------------------------------------------- sql: output that stays data, bad text refused


def sql_cli(data_dir: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DASHBOARD_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "dashboard", "sql", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, timeout=120)


@pytest.mark.parametrize("expression, shown", [
    ("chr(27) || '[31mred'", "\\x1b[31mred"),  # an ESC sequence would recolour the terminal
    ("'a' || chr(13) || 'b'", "a\\rb"),  # a CR would overwrite the line
    ("'bell' || chr(7)", "bell\\x07"),
    ("'x' || chr(10) || 'y'", "x\\ny"),
])
def test_table_output_escapes_control_characters(sample_data_dir, expression, shown):
    done = sql_cli(sample_data_dir, f"select {expression} as s")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert shown in out
    assert not any(ord(c) < 32 and c != "\n" for c in out)


def test_json_output_is_valid_json_with_null_for_nan_and_infinities(sample_data_dir):
    import json

    done = sql_cli(sample_data_dir, "select 'inf'::double as a, '-inf'::double as b, 'nan'::double as c, "
                                    "[1.5, 'inf'::double] as d, 2.5 as e", "--format", "json")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text) == [{"a": None, "b": None, "c": None, "d": [1.5, None], "e": 2.5}]


@pytest.mark.parametrize("how", ["stdin", "argument"])
def test_sql_that_is_not_text_is_refused_with_a_message(sample_data_dir, how):
    raw = b"select '\xff\xfe' as s"
    if how == "stdin":
        done = sql_cli(sample_data_dir, "-", stdin=raw)
    else:
        done = sql_cli(sample_data_dir, raw.decode("utf-8", "surrogateescape"))
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "refused:" in err and "UTF-8" in err and "Traceback" not in err
