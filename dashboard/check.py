"""`python -m dashboard check`: every query and model file parses, every table a model reads is an export table
or another model (and none reads itself in a cycle), and every page query runs on the warehouse.

Problems (dashboard.problems.Problem) print one per line as `path: message`, so an editor or CI log points at
the file.
"""
from __future__ import annotations

from pathlib import Path

from dashboard import config, models, queries, warehouse
from dashboard.problems import Problem


def _queries_dir(queries_dir: Path | str | None) -> Path:
    return Path(queries_dir) if queries_dir is not None else config.QUERIES_DIR


def check_files(queries_dir: Path | str | None = None) -> tuple[list[Problem], list[queries.QueryFile]]:
    """Parse every page query and model (header complete, one statement, parameters declared);
    returns the problems and the page queries that parsed."""
    folder = _queries_dir(queries_dir)
    problems: list[Problem] = []
    loaded: list[queries.QueryFile] = []
    if not folder.is_dir():
        return [Problem(folder, "no such queries folder")], []
    for path in sorted(folder.glob("*.sql")):
        if not queries.NAME_RE.match(path.stem):
            problems.append(Problem(path, "file name is not a query name (lowercase letters, digits and _, "
                                          "starting with a letter)"))
            continue
        try:
            loaded.append(queries.load(path.stem, folder))
        except queries.QueryError as exc:
            problems.append(exc.problem)
    models_dir = folder / "models"
    headers_ok = True
    for path in sorted(models_dir.glob("*.sql")):
        try:
            queries.parse_model(path)
        except queries.QueryError as exc:
            problems.append(exc.problem)
            headers_ok = False
    if headers_ok and any(models_dir.glob("*.sql")):
        try:
            models.load(models_dir)  # what each model reads, from DuckDB's parse: unknown tables, cycles
        except models.ModelError as exc:
            problems.extend(Problem(models_dir / Path(str(p.file)).name, p.message, hint=p.hint)
                            for p in exc.problems)
    return problems, loaded


def check_all(warehouse_path: Path | str | None = None, queries_dir: Path | str | None = None) -> list[Problem]:
    """check_files, then run each page query on the published warehouse (read-only, through the SQL
    reader connection) with default_params; problems sorted by file."""
    folder = _queries_dir(queries_dir)
    problems, loaded = check_files(folder)
    if warehouse_path is None:
        pub = warehouse.current()
        if pub is None:
            pointer = config.data_dir() / warehouse.POINTER
            return problems + [Problem(pointer, "no warehouse is published, so no query could run: "
                                                "run `python -m dashboard build` first")]
        warehouse_path = pub.path
    try:
        con = warehouse.connect(warehouse_path)
    except warehouse.ReaderError as exc:
        return problems + [Problem(Path(warehouse_path), str(exc))]
    try:
        try:
            defaults = queries.default_params(con)
        except Exception as exc:  # a warehouse without branches/company_month: report it, still check the rest
            problems.append(Problem(Path(warehouse_path), f"cannot read default parameter values: {exc}"))
            defaults = {}
        for query in loaded:
            missing = [p for p in query.params if defaults.get(p) is None]
            if missing:
                known = ", ".join(queries.KNOWN_PARAMS)
                problems.append(Problem(query.path, f"parameter {', '.join('$' + p for p in missing)} has no "
                                                    f"default value to check with (known parameters: {known})"))
                continue
            try:
                queries.run(con, query.name, {p: defaults[p] for p in query.params}, folder)
            except queries.QueryError as exc:
                problems.append(exc.problem)
    finally:
        con.close()
    return sorted(problems, key=lambda p: str(p.path))


def count_files(queries_dir: Path | str | None = None) -> int:
    """How many query and model files check_all looks at."""
    folder = _queries_dir(queries_dir)
    return len(list(folder.glob("*.sql"))) + len(list((folder / "models").glob("*.sql")))
