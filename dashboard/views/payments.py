"""payments page (being built)."""
from dashboard import ui

ctx = ui.page("payments")
ui.footer(ctx)
