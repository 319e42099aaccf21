"""Streamlit entry: page config and navigation only. Run with `streamlit run dashboard/app.py`."""
import streamlit as st

from dashboard import auth, registry, ui
from dashboard.labels import t

lang = ui.current_lang()
st.set_page_config(page_title=t("app.title", lang), page_icon=":material/bolt:", layout="wide")
auth.require_sign_in(lang)
pages = [st.Page(spec.view, title=t(spec.label, lang), icon=spec.icon, url_path=spec.path or None,
                 default=spec.key == registry.DEFAULT_PAGE) for spec in auth.visible_pages()]
st.navigation(pages, position="hidden").run()
