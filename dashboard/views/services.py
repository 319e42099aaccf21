"""services page (being built)."""
from dashboard import ui

ctx = ui.page("services")
ui.footer(ctx)
