"""Streamlit entry: page config and navigation only. Run with `streamlit run dashboard/app.py`."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` puts only dashboard/ on the path

import streamlit as st  # noqa: E402

from dashboard import auth, registry, ui  # noqa: E402
from dashboard.labels import t  # noqa: E402

lang = ui.current_lang()
st.set_page_config(page_title=t("app.title", lang), page_icon=":material/bolt:", layout="wide")
auth.require_sign_in(lang)
pages = [st.Page(spec.view, title=t(spec.label, lang), icon=spec.icon, url_path=spec.path or None,
                 default=spec.key == registry.DEFAULT_PAGE) for spec in auth.visible_pages()]
st.navigation(pages, position="hidden").run()
