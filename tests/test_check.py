"""`python -m dashboard check`: finds broken headers, parameters without defaults, syntax errors and wrong
columns, each on a temp copy of a queries folder; passes on a clean one; the CLI exits non-zero on a problem."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import check, config
from tests.kit import tiny_warehouse

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:
    return tiny_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


@pytest.fixture()
def qdir(tmp_path) -> Path:
    """A clean queries folder: the DESIGN.md example, one more query and the KPI catalogue model."""
    folder = tmp_path / "queries"
    (folder / "models").mkdir(parents=True)
    shutil.copy(REPO / "queries" / "remote_read_by_branch.sql", folder)
    shutil.copy(REPO / "queries" / "models" / "kpis.sql", folder / "models")
    write(folder, "company_remote_read", """\
-- title: Tỷ lệ ghi chỉ số từ xa toàn công ty
-- title_en: Company remote-read rate
-- grain: one row per period
-- params: period_from, period_to
-- columns: period, remote_read_rate
select period, remote_read_rate
from company_month
where period between $period_from and $period_to
order by period
""")
    return folder


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.sql"
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "-- title: a\n-- title_en: a\n-- grain: one row per branch\n"


def test_a_clean_folder_has_no_problems(wh, qdir):
    assert check.check_all(wh, qdir) == []


PROBLEMS = [
    ("broken header", "remote_read_by_branch",
     lambda text: text.replace("-- title_en: Remote-read rate by branch\n", ""), "'title_en' is missing"),
    ("param without default", "by_customer",
     lambda _: HEAD + "-- params: customer_id\nselect * from branches where branch_code = $customer_id\n",
     "$customer_id has no default value"),
    ("undeclared param", "by_branch",
     lambda _: HEAD + "-- params: none\nselect * from branches where branch_code = $branch\n",
     "uses $branch but the header's params do not declare it"),
    ("syntax error", "typo",
     lambda _: HEAD + "-- params: none\nselec branch_code from branches\n", "syntax error"),
    ("wrong declared column", "company_remote_read",
     lambda text: text.replace("-- columns: period, remote_read_rate", "-- columns: period, remote_read_share"),
     "missing remote_read_share; unexpected remote_read_rate"),
    ("unknown table", "gone",
     lambda _: HEAD + "-- params: none\nselect * from no_such_table\n", "no_such_table"),
    ("two statements", "twice",
     lambda _: HEAD + "-- params: none\nselect 1 as a;\nselect 2 as a;\n", "2 statements"),
]


@pytest.mark.parametrize("name,edit,expected", [p[1:] for p in PROBLEMS], ids=[p[0] for p in PROBLEMS])
def test_check_finds_the_problem(wh, qdir, name, edit, expected):
    path = qdir / f"{name}.sql"
    path.write_text(edit(path.read_text(encoding="utf-8") if path.exists() else ""), encoding="utf-8")
    problems = check.check_all(wh, qdir)
    assert len(problems) == 1, problems
    assert problems[0].path == path
    assert expected in problems[0].message
    line = str(problems[0])
    assert line.startswith(f"{path}: {problems[0].message.splitlines()[0]}") and "\n" not in line


@pytest.mark.parametrize("edit,expected", [
    (lambda t: t.replace("-- grain: one row per KPI\n", ""), "'grain' is missing"),
    (lambda t: t.replace("-- model: kpis", "-- model: kpi_list"), "header says model 'kpi_list'"),
    (lambda t: t.replace("select * from final", "select * from final;\ndrop table final"), "2 statements"),
    (lambda t: "-- a model without a header\n" + t, "is not a header line"),
], ids=["no grain", "wrong name", "two statements", "no header first"])
def test_check_parses_models(wh, qdir, edit, expected):
    path = qdir / "models" / "kpis.sql"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    problems = check.check_all(wh, qdir)
    assert [p.path for p in problems] == [path]
    assert expected in problems[0].message


def test_every_file_in_the_repository_has_a_complete_header():
    problems, loaded = check.check_files(config.QUERIES_DIR)
    assert problems == []
    assert "remote_read_by_branch" in [q.name for q in loaded]


def test_nothing_published_is_a_problem(qdir, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path / "empty"))
    problems = check.check_all(None, qdir)
    assert len(problems) == 1 and "python -m dashboard build" in problems[0].message


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DASHBOARD_DATA_DIR=str(data_dir), PYTHONUTF8="1")
    return subprocess.run([sys.executable, "-m", "dashboard", "check", *args], cwd=REPO, env=env,
                          capture_output=True, encoding="utf-8", timeout=60)


@pytest.fixture()
def data_dir(wh, tmp_path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "CURRENT").write_text(os.path.relpath(wh, data) + "\n")
    return data


def test_cli_exits_0_on_a_clean_folder(data_dir, qdir):
    proc = cli(data_dir, "--queries", str(qdir))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "ok" in proc.stderr


def test_cli_prints_one_line_per_problem_and_exits_1(data_dir, qdir):
    write(qdir, "typo", HEAD + "-- params: none\nselec 1\n")
    write(qdir, "by_customer", HEAD + "-- params: customer_id\nselect $customer_id as c\n")
    proc = cli(data_dir, "--queries", str(qdir))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{qdir / 'by_customer.sql'}: parameter $customer_id has no default")
    assert lines[1].startswith(f"{qdir / 'typo.sql'}: Parser Error")
    assert "2 problems" in proc.stderr


def test_every_repository_query_runs_on_the_sample_build(sample_warehouse):
    """The real queries/ folder against the session's build of the committed sample (tests/conftest.py)."""
    assert [str(p) for p in check.check_all(sample_warehouse.path, config.QUERIES_DIR)] == []


@pytest.mark.parametrize("sql,expected", [
    ("select * from kpi_list\n", "reads kpi_list, which is neither an export table"),
    ("select * from kpis\n", "models depend on each other in a cycle: kpis -> kpis"),
], ids=["unknown table", "reads itself"])
def test_check_resolves_what_models_read(wh, qdir, sql, expected):
    path = qdir / "models" / "kpis.sql"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("with final as")] + sql, encoding="utf-8")
    problems = check.check_all(wh, qdir)
    assert [p.path for p in problems] == [path]
    assert expected in problems[0].message
