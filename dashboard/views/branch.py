"""branch page (being built)."""
from dashboard import ui

ctx = ui.page("branch")
ui.footer(ctx)
