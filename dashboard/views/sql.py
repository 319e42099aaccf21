"""sql page (being built)."""
from dashboard import ui

ctx = ui.page("sql")
ui.footer(ctx)
