"""adoption page (being built)."""
from dashboard import ui

ctx = ui.page("adoption")
ui.footer(ctx)
