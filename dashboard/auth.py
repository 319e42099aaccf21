"""Who may use what. With sign-in configured (st.login, OIDC, an [auth] section in .streamlit/secrets.toml)
a roles file (DASHBOARD_ROLES, TOML) maps emails or whole domains to viewer, analyst or admin; viewers see
the dashboards only. Without sign-in the app runs in a clearly marked local mode."""
from __future__ import annotations

import tomllib
from pathlib import Path

import streamlit as st

from dashboard import config, registry
from dashboard.labels import t

ROLES = registry.ROLES


def load_roles(path: str | Path | None = None) -> dict[str, str]:
    """{email or domain: role} plus an optional 'default'. A bad file raises ValueError naming it."""
    path = path or config.setting("DASHBOARD_ROLES")
    if not path:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"DASHBOARD_ROLES={path}: {exc}") from None
    roles = {str(k).lower(): str(v) for k, v in data.get("roles", {}).items()}
    bad = {k: v for k, v in roles.items() if v not in ROLES}
    if bad:
        raise ValueError(f"DASHBOARD_ROLES={path}: unknown role(s) {bad}; use one of {', '.join(ROLES)}")
    return roles


def role_for(email: str | None, roles: dict[str, str]) -> str:
    """Exact email first, then the email's domain, then 'default', then viewer."""
    if not email:
        return roles.get("default", "viewer")
    email = email.lower()
    domain = email.rsplit("@", 1)[-1]
    return roles.get(email) or roles.get(domain) or roles.get("default", "viewer")


def sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def local_mode() -> bool:
    return not sign_in_configured()


def signed_in() -> bool:
    return bool(getattr(st.user, "is_logged_in", False))


def current_role() -> str:
    if local_mode():
        return "admin"
    if not signed_in():
        return "none"
    return role_for(getattr(st.user, "email", None), load_roles())


def may_open(spec: registry.PageSpec) -> bool:
    """Whether the visitor's role is among the page's roles (the registry says who may open what)."""
    return current_role() in spec.roles


def visible_pages() -> list[registry.PageSpec]:
    """The navigation: the pages the visitor may open."""
    return registry.visible(current_role())


def require_sign_in(lang: str) -> None:
    """With sign-in configured, stop the script for a visitor who has not signed in."""
    if local_mode() or signed_in():
        return
    st.title(t("app.title", lang))
    st.button(t("auth.sign_in", lang), on_click=st.login, icon=":material/login:", type="primary")
    st.stop()


def account_box(lang: str) -> None:
    st.caption(t("auth.signed_in_as", lang, email=getattr(st.user, "email", "")))
    st.button(t("auth.sign_out", lang), on_click=st.logout, key="auth_sign_out")
