"""The page registry is the one list of pages: the app's navigation, links, roles and the tests read it."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import labels, registry

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"


def test_keys_paths_and_views_are_unique_and_exist():
    keys = [p.key for p in registry.PAGES]
    assert len(set(keys)) == len(keys)
    assert len(set(registry.PATHS)) == len(registry.PATHS)
    for spec in registry.PAGES:
        assert (PACKAGE / spec.view).is_file(), spec.view
        assert not spec.view.startswith("pages/"), "a pages/ folder breaks AppTest page switching (STACK.md)"
        assert spec.label in labels.LABELS and spec.picker_label in labels.LABELS
        assert set(spec.roles) <= set(registry.ROLES)


def test_the_overview_is_the_default_page_at_the_root():
    assert registry.page(registry.DEFAULT_PAGE).url_path == "/"
    assert registry.by_path("/") is registry.page("overview")
    assert registry.by_path("branch/") is registry.page("branch") and registry.by_path("/nowhere") is None


def test_family_pages_declare_their_kpi_parameter_and_default():
    families = [p for p in registry.PAGES if p.family]
    assert [p.family for p in families] == list(registry.FAMILIES)
    for spec in families:
        assert registry.KPI_PARAM in spec.params and spec.default_kpi


@pytest.mark.parametrize("role, sees_sql", [("viewer", False), ("analyst", True), ("admin", True), ("none", False)])
def test_visible_pages_follow_the_roles(role, sees_sql):
    keys = [p.key for p in registry.visible(role)]
    assert ("sql" in keys) == sees_sql
    assert role == "none" or "overview" in keys


def test_an_unknown_page_names_the_known_ones():
    with pytest.raises(KeyError, match="overview"):
        registry.page("nowhere")
