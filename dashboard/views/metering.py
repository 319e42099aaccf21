"""metering page (being built)."""
from dashboard import ui

ctx = ui.page("metering")
ui.footer(ctx)
