"""Streamlit entry: page config and navigation only (presentation mode, `present=1`, is a route: the link's screen
instead of the page). Run with `streamlit run dashboard/app.py`."""
from pathlib import Path

import streamlit as st

from dashboard import auth, present, registry, ui
from dashboard.labels import t

lang = ui.current_lang()
# the icon ships with the app: a Material icon name would make every browser fetch it from Google
ICON = Path(__file__).parent / "assets" / "icon.png"
st.set_page_config(page_title=t("app.title", lang), page_icon=str(ICON), layout="wide")
auth.require_sign_in(lang)
pages = [st.Page(spec.view, title=t(spec.label, lang), icon=spec.icon, url_path=spec.path or None,
                 default=spec.key == registry.DEFAULT_PAGE) for spec in auth.visible_pages()]
current = st.navigation(pages, position="hidden")
spec = registry.by_path(current.url_path)
if ui.presenting() and spec is not None:
    present.run(spec.key)
else:
    current.run()
