"""The SQL page: ad-hoc SQL from the URL through the guard, refusals shown in place, roles, hot reload of query files."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, config, warehouse

REPO = Path(__file__).resolve().parent.parent
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret", "client_id": "a",
        "client_secret": "b", "server_metadata_url": "https://login.example/.well-known/openid-configuration"}


def open_page(page: str | None, params: dict | None = None, user: dict | None = None, secrets: bool = False):
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if secrets:
        at.secrets["auth"] = AUTH
    for key, value in (user or {}).items():
        at.user[key] = value
    if page:
        at.switch_page(page)
    at.run()
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_sql_from_the_url_runs_and_shows_the_result(sample_env, sample_warehouse):
    at = open_page("views/sql.py", {"sql": "select branch_code, count(*) as n from branch_month group by 1 order by 1"})
    assert not at.exception and not at.error
    expected = warehouse.connect(sample_warehouse.path).execute("select count(*) from branches").fetchall()[0][0]
    shown = [d.value for d in at.dataframe if list(d.value.columns) == ["branch_code", "n"]]
    assert shown and len(shown[0]) == expected
    assert f"{expected} dòng" in texts(at.caption)
    assert at.query_params["sql"].startswith("select branch_code")


@pytest.mark.parametrize("sql", [
    "drop table branch_month",
    "select 1; delete from bills",
    "copy branch_month to '/tmp/out.csv'",
    "select * from read_csv('/etc/passwd')",
    "attach '/tmp/x.duckdb' as x",
    "pragma version",
])
def test_hostile_sql_in_a_link_is_refused_in_place(sample_env, sample_warehouse, sql):
    before = Path(sample_warehouse.path).read_bytes()
    at = open_page("views/sql.py", {"sql": sql})
    assert not at.exception
    assert at.error, "a refusal is shown"
    assert "SQL" == at.title[0].value  # the page itself still renders
    assert Path(sample_warehouse.path).read_bytes() == before


def test_truncated_result_says_so(sample_env, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SQL_MAX_ROWS", "5")
    at = open_page("views/sql.py", {"sql": "select * from range(100)"})
    assert not at.exception
    assert any("5" in w.value for w in at.warning), texts(at.warning)
    assert any(len(d.value) == 5 for d in at.dataframe)


def test_local_mode_is_marked_and_sql_is_available(sample_env):
    at = open_page(None)
    assert auth.local_mode()
    assert any(p.proto.page.endswith("views/sql.py") or "sql" in str(p.proto) for p in at.get("page_link"))
    assert "Chế độ cục bộ" in str(at.get("badge")) or "Chế độ cục bộ" in texts(at.markdown)


def test_signed_in_viewer_cannot_reach_sql(sample_env, tmp_path, monkeypatch):
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"ana@pcphuyen.vn" = "analyst"\n"pcphuyen.vn" = "viewer"\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_ROLES", str(roles))
    viewer = open_page(None, user={"is_logged_in": True, "email": "giamdoc@pcphuyen.vn"}, secrets=True)
    assert not viewer.exception
    assert all("sql" not in str(p.proto).lower() for p in viewer.get("page_link"))
    blocked = open_page("views/sql.py", {"sql": "select 1"}, user={"is_logged_in": True, "email": "giamdoc@pcphuyen.vn"},
                        secrets=True)
    assert not any(d.value.shape == (1, 1) for d in blocked.dataframe)  # nothing ran
    analyst = open_page("views/sql.py", {"sql": "select 42 as answer"},
                        user={"is_logged_in": True, "email": "ana@pcphuyen.vn"}, secrets=True)
    assert not analyst.exception
    assert any(list(d.value.columns) == ["answer"] for d in analyst.dataframe)


def test_sign_in_required_when_configured(sample_env):
    at = open_page(None, secrets=True, user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["Đăng nhập"]
    assert not at.metric


@pytest.mark.parametrize("email,expected", [
    ("ana@pcphuyen.vn", "analyst"), ("ANA@PCPHUYEN.VN", "analyst"), ("giamdoc@pcphuyen.vn", "viewer"),
    ("boss@evn.com.vn", "admin"), ("stranger@gmail.com", "viewer"), (None, "viewer"),
])
def test_role_for(email, expected):
    roles = {"ana@pcphuyen.vn": "analyst", "pcphuyen.vn": "viewer", "evn.com.vn": "admin"}
    assert auth.role_for(email, roles) == expected


def test_bad_roles_file_names_the_setting(tmp_path):
    bad = tmp_path / "roles.toml"
    bad.write_text('[roles]\n"a@b.vn" = "boss"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="DASHBOARD_ROLES=.*unknown role"):
        auth.load_roles(bad)


def test_edited_query_file_changes_the_page_without_restart(sample_env, tmp_path, monkeypatch):
    queries_dir = tmp_path / "queries"
    shutil.copytree(REPO / "queries", queries_dir)
    monkeypatch.setattr(config, "QUERIES_DIR", queries_dir)
    at = open_page("views/data.py")
    assert not at.exception
    catalogue = queries_dir / "kpi_catalog.sql"
    text = catalogue.read_text(encoding="utf-8")
    # an analyst renames a KPI label in SQL; the next rerun shows it, same AppTest session, no cache cleared
    catalogue.write_text(text.replace("select kpi, family", "select kpi, family", 1).replace(
        "from kpis", "from (select * replace ('Khách hàng (đã sửa)' as label_vi) from kpis)"), encoding="utf-8")
    at.switch_page("views/overview.py")
    at.run()
    assert not at.exception
    assert any(m.label == "Khách hàng (đã sửa)" for m in at.metric)


def test_broken_query_file_fails_only_its_tile(sample_env, tmp_path, monkeypatch):
    queries_dir = tmp_path / "queries"
    shutil.copytree(REPO / "queries", queries_dir)
    monkeypatch.setattr(config, "QUERIES_DIR", queries_dir)
    broken = queries_dir / "branch_kpis.sql"
    broken.write_text(broken.read_text(encoding="utf-8").replace("select bm.*", "select bm.no_such_column"),
                      encoding="utf-8")
    at = open_page(None)
    assert not at.exception
    assert any("queries/branch_kpis.sql" in e.value.replace("\\", "") for e in at.error)  # shown unescaped
    assert at.metric, "the cards, which do not use the broken file, still render"



@pytest.mark.parametrize("sql, shown", [
    ("select '![x](http://host/p)' as a", "select '![x](http://host/p)' as a"),
    ("select '[click](http://evil/)' as a", "select '[click](http://evil/)' as a"),
    ("select ':red[alarm]' as a, '$x^2$' as b", "select ':red[alarm]' as a, '$x^2$' as b"),
    ("select '<img src=x onerror=alert(1)>' as a", "select '<img src=x onerror=alert(1)>' as a"),
    ("select 1 as a,\n       2 as b", "select 1 as a, 2 as b"),
    ("select '" + "x" * 200 + "' as long_one", "select '" + "x" * 111 + "…"),
])
def test_history_shows_past_queries_as_plain_text(sample_env, sql, shown):
    """A history button's label is Markdown to Streamlit: the SQL must read as typed, never become an image, a
    link or colour, and a label cut short says so."""
    from dashboard.labels import escape_markdown

    at = open_page("views/sql.py", {"sql": sql})
    assert not at.exception
    [button] = [b for b in at.button if b.key == "sql_hist_0"]
    assert button.proto.label == escape_markdown(shown)
    assert re.sub(r"\\(.)", r"\1", button.proto.label) == shown
