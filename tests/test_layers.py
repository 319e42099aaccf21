"""The arrows point one way (DESIGN.md, "Layout"): only the UI layer imports Streamlit; the data and SQL layers
import neither Streamlit nor the UI; no page imports another page; the link and label core needs no database.
Read from the source with ast, imports inside functions included."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"
# The UI layer: the entry script, the Streamlit glue and the views. Everything else is the data, SQL and report
# layers, which the command line, the pages and later the PDF pack call alike.
UI = {"dashboard.app", "dashboard.ui", "dashboard.family", "dashboard.present", "dashboard.auth"}
# No I/O and no database: what a link, a label or a number format needs.
CORE = {"dashboard.registry", "dashboard.links", "dashboard.labels", "dashboard.formats", "dashboard.contract",
        "dashboard.config", "dashboard.scorecard", "dashboard.charts"}
# The report layer: scorecards, figures, forecasts and the director pack, which the pages (through family.py) and
# the command line call alike. It may read the published warehouse (the pack, without Streamlit) but never writes
# data, runs ad-hoc SQL, serves or parses a command line.
REPORT = {"dashboard.scorecard", "dashboard.charts", "dashboard.forecast", "dashboard.pack"}
NOT_FROM_REPORT = ("dashboard.build", "dashboard.load", "dashboard.generate", "dashboard.firststart",
                   "dashboard.sandbox", "dashboard.sqlworker", "dashboard.serve", "dashboard.cli",
                   "dashboard.spark_engine")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> set[str]:
    """Every module the file imports (`from dashboard import ui` counts as dashboard.ui)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def is_ui(name: str) -> bool:
    return name in UI or name.startswith("dashboard.views")


def touches(found: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in found)


ALL = modules()


def test_the_layers_are_declared_for_modules_that_exist():
    assert (UI | CORE | REPORT) <= set(ALL), sorted((UI | CORE | REPORT) - set(ALL))
    assert any(n.startswith("dashboard.views.") for n in ALL)


@pytest.mark.parametrize("name", sorted(n for n in ALL if not is_ui(n)))
def test_only_the_ui_layer_imports_streamlit(name):
    found = imports(ALL[name])
    assert not touches(found, "streamlit"), f"{name} imports streamlit: move the Streamlit part to ui/family/views"
    assert not touches(found, "code_editor")
    ui = sorted(m for m in found if m in ALL and is_ui(m))
    assert not ui, f"{name} imports the UI layer ({', '.join(ui)}): the arrows point from the UI to the rest"


@pytest.mark.parametrize("name", sorted(n for n in ALL if n.startswith("dashboard.views.")))
def test_no_page_imports_another_page(name):
    assert not [m for m in imports(ALL[name]) if m.startswith("dashboard.views")]


@pytest.mark.parametrize("name", sorted(CORE))
def test_the_core_needs_no_database_or_ui(name):
    found = imports(ALL[name])
    assert not touches(found, "duckdb"), f"{name} imports duckdb"
    for heavy in ("dashboard.warehouse", "dashboard.sandbox", "dashboard.build", "dashboard.queries"):
        assert not touches(found, heavy), f"{name} imports {heavy}"


@pytest.mark.parametrize("name", sorted(REPORT))
def test_the_report_layer_reads_and_draws_only(name):
    found = imports(ALL[name])
    wrong = [m for m in NOT_FROM_REPORT if touches(found, m)]
    assert not wrong, f"{name} imports {', '.join(wrong)}: reports read the published data and draw, nothing else"


def test_the_pages_reach_the_pack_through_family_only():
    """One download button for the overview and branch pages (family.pack_download), not a copy per view."""
    users = sorted(n for n, path in ALL.items() if n != "dashboard.pack" and touches(imports(path), "dashboard.pack"))
    assert [n for n in users if is_ui(n)] == ["dashboard.family"], users


def test_no_module_imports_in_a_cycle():
    graph = {name: {m for m in imports(path) if m in ALL and m != name} for name, path in ALL.items()}
    # `from dashboard import x` also names the package itself: only module-to-module edges count
    graph = {name: {m for m in deps if m != "dashboard"} for name, deps in graph.items()}
    from graphlib import CycleError, TopologicalSorter

    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"modules import each other in a cycle: {' -> '.join(exc.args[1])}")


def test_the_pages_load_data_through_the_operations_page_only():
    """A load writes a new published version: of the UI layer only the operations page (/data) may start one, and
    it goes through dashboard.operations (which saves the upload and calls dashboard.load), never load.py itself."""
    loaders = sorted(n for n, path in ALL.items() if is_ui(n) and touches(imports(path), "dashboard.operations"))
    assert loaders == ["dashboard.views.data"], loaders
    direct = sorted(n for n, path in ALL.items() if is_ui(n) and touches(imports(path), "dashboard.load"))
    assert not direct, f"{direct} import dashboard.load: go through dashboard.operations"
    assert not touches(imports(ALL["dashboard.operations"]), "dashboard.pack"), "operations does not draw reports"


def test_only_the_spark_engine_imports_pyspark_and_only_the_command_line_starts_it():
    """PySpark and sqlglot are optional (requirements-dev.txt): the app and the DuckDB build never import them, and
    the engine is reached only by `build --engine spark` (dashboard/cli.py, inside the command)."""
    users = sorted(n for n, path in ALL.items() if touches(imports(path), "pyspark") or touches(imports(path), "sqlglot"))
    assert users == ["dashboard.spark_engine"], users
    starters = sorted(n for n, path in ALL.items() if touches(imports(path), "dashboard.spark_engine"))
    assert starters == ["dashboard.cli"], starters
    top = ast.parse(ALL["dashboard.cli"].read_text(encoding="utf-8")).body
    assert not [n for n in top if isinstance(n, ast.ImportFrom) and any(a.name == "spark_engine" for a in n.names)]
