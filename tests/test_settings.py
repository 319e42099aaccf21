"""Every setting is documented in the README (Datasette's habit), and bad values say which setting to fix."""
from pathlib import Path

import pytest

from dashboard import config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(config.SETTINGS))
def test_setting_is_documented(name):
    assert f"`{name}`" in README


def test_bad_number_names_the_setting(monkeypatch):
    monkeypatch.setenv("DASHBOARD_SQL_TIMEOUT", "ten")
    with pytest.raises(ValueError, match="DASHBOARD_SQL_TIMEOUT='ten' is not a number"):
        config.float_setting("DASHBOARD_SQL_TIMEOUT")


def test_readme_starts_with_the_two_commands():
    blocks = README.split("```bash\n")[1:3]
    assert "streamlit run dashboard/app.py" in blocks[0]
    assert "python -m pytest" in blocks[1]
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert blocks[1].split("```")[0].strip() in ci
