"""data page (being built)."""
from dashboard import ui

ctx = ui.page("data")
ui.footer(ctx)
