"""The page registry: every page of the app, once. Navigation, links, the role check, the tests and the
benchmarks read this table; a new page is one row here and one file in views/. No Streamlit, no I/O.

URL paths are a contract (DESIGN.md, "Shareable links"): `/` for the overview, `/<path>` for the others.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "analyst", "admin")
KPI_PARAM = "kpi"  # the KPI a family page shows in detail (a kpis.kpi of the page's family)


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str  # URL path without the leading slash; "" is the overview at /
    view: str  # the view file, relative to dashboard/
    label: str  # label key (labels.py) of the title and the navigation entry
    icon: str
    family: str | None = None  # the KPI family (kpis.family) the page details, for family pages
    default_kpi: str | None = None  # the family's KPI shown when the link names none
    picker_label: str = "control.kpi"  # label key of the family page's KPI picker
    params: tuple[str, ...] = ()  # page-specific URL parameters, beside the shared ones
    roles: tuple[str, ...] = ROLES  # who may open the page (with sign-in configured)

    @property
    def url_path(self) -> str:
        return "/" + self.path


def _family(key: str, icon: str, default_kpi: str, picker_label: str = "control.kpi") -> PageSpec:
    return PageSpec(key, key, f"views/{key}.py", f"page.{key}", icon, family=key, default_kpi=default_kpi,
                    picker_label=picker_label, params=(KPI_PARAM,))


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "", "views/overview.py", "page.overview", ":material/dashboard:"),
    PageSpec("branch", "branch", "views/branch.py", "page.branch", ":material/location_city:"),
    _family("adoption", ":material/smartphone:", "app_share"),
    _family("metering", ":material/speed:", "remote_read_rate"),
    _family("payments", ":material/payments:", "online_customer_share", picker_label="control.basis"),
    _family("services", ":material/support_agent:", "online_request_share"),
    PageSpec("sql", "sql", "views/sql.py", "page.sql", ":material/terminal:", params=("sql", "q"),
             roles=("analyst", "admin")),
    PageSpec("data", "data", "views/data.py", "page.data", ":material/database:", params=("old", "new")),
)
BY_KEY = {p.key: p for p in PAGES}
PATHS = tuple(p.url_path for p in PAGES)
# The KPI families in the order the overview and the branch page group them.
FAMILIES = tuple(p.family for p in PAGES if p.family)
DEFAULT_PAGE = PAGES[0].key


def page(key: str) -> PageSpec:
    """The registry row of a page; KeyError names the known keys."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown page {key!r}: known pages are {', '.join(BY_KEY)}") from None


def by_path(url_path: str) -> PageSpec | None:
    """The page at a URL path ('/', '/branch', 'branch/'), or None."""
    wanted = url_path.strip("/")
    return next((p for p in PAGES if p.path == wanted), None)


def visible(role: str) -> list[PageSpec]:
    """The pages a role may open, in navigation order."""
    return [p for p in PAGES if role in p.roles]
