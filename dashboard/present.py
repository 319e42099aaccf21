"""Presentation mode (`present=1` on any page) for a meeting-room projector at 1366×768: no sidebar and no Streamlit
chrome, large type, one KPI family per screen (`screen=`), moved with buttons or the ← → keys (PageUp/PageDown, as
a presenter's clicker sends). Streamlit glue like family.py; the screens, their order and the URL are links.py's."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import streamlit as st

from dashboard import charts, family, links, registry, scorecard, ui

STYLE = Path(__file__).parent / "assets" / "present.css"
BUTTONS = {"prev": "present_prev", "next": "present_next", "exit": "present_exit"}  # widget keys (st-key-… classes)
FONT_SIZE = 16  # px, the chart's text: Plotly's 13 is too small from the back of the room
# Up to ONE_ROW cards: one row of cards with their sparklines, the nine branches below. More (adoption has seven):
# the cards three to a row without sparklines on the left, the branches beside them; either way inside 768 px.
ONE_ROW = 4
SIDE_PER_ROW = 3
BARS_HEIGHT = {"below": 330, "beside": 590}  # px

# The arrow keys click the buttons, so a key press is a click: the same callback writes the URL. The listener is
# added once per browser tab (st.html runs its script when the element mounts, again after a page reload) and looks
# the button up on every press, so it survives reruns and leaves nothing to do when presentation mode is left.
KEYS_SCRIPT = """<script>
(() => {
  const doc = document;
  if (doc.__dashboardPresentKeys) return;
  doc.__dashboardPresentKeys = true;
  const keys = KEYS;
  doc.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const el = event.target;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    const key = keys[event.key];
    const button = key && doc.querySelector(".st-key-" + key + " button");
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
  });
})();
</script>""".replace("KEYS", json.dumps({"ArrowRight": BUTTONS["next"], "PageDown": BUTTONS["next"],
                                           "ArrowLeft": BUTTONS["prev"], "PageUp": BUTTONS["prev"]}))


def run(key: str) -> None:
    """Draw the link's presentation screen in place of page `key` (app.py routes here on present=1)."""
    ctx = ui.page(key)  # the link read, checked and cleaned as the page would; no sidebar, no page title
    screen = links.present_screen(ctx.state, ctx.key)
    st.html(STYLE)  # only a <style>: Streamlit puts it where it takes no room
    header(ctx, screen)
    kpis = family.family_kpis(ctx, screen)
    if len(kpis) > ONE_ROW:
        left, right = st.columns([0.64, 0.36], gap="medium")
    else:
        left = right = st.container()
    # Both depend only on the link (the screen is in it): one session draws them, the others replay them.
    with left:
        ui.guarded(ctx, lambda: cards(ctx, kpis), shared="present_cards")
    with right:
        ui.guarded(ctx, lambda: bars(ctx, screen, kpis), shared="present_bars")
    st.caption(ui.footer_line(ctx))
    st.html(KEYS_SCRIPT, unsafe_allow_javascript=True)  # last: its (empty) element takes no room between others


def header(ctx: ui.Page, screen: str) -> None:
    """The family's name, where we are (2/4), previous and next, and the way out."""
    index = links.SCREENS.index(screen)
    prev, nxt = links.step_screen(screen, -1), links.step_screen(screen, 1)
    title, counter, back, forward, leave = st.columns([7.2, 0.8, 1.6, 1.6, 2.6], vertical_alignment="center")
    with title:
        st.title(ctx.t(f"page.{screen}"))
    counter.markdown(f"**{ctx.t('present.counter', index=index + 1, count=len(links.SCREENS))}**")
    back.button(ctx.t("present.prev"), key=BUTTONS["prev"], icon=":material/arrow_back:", disabled=prev is None,
                on_click=ui.write_state, args=(ctx,), kwargs={"screen": prev}, width="stretch")
    forward.button(ctx.t("present.next"), key=BUTTONS["next"], icon=":material/arrow_forward:",
                   disabled=nxt is None, on_click=ui.write_state, args=(ctx,), kwargs={"screen": nxt},
                   width="stretch", type="primary")
    with leave:
        st.button(ctx.t("present.exit"), key=BUTTONS["exit"], icon=":material/close:", help=ctx.t("present.keys"),
                  on_click=ui.write_state, args=(ctx,), kwargs={"present": False, "screen": None}, width="stretch")


def cards(ctx: ui.Page, kpis) -> None:
    """The family's cards for the link's scope at its period (one branch's, or the company's), with their states."""
    found = family.scope_cards(ctx, kpis, family.targets(ctx))
    if found is None:
        return
    shown, reach = found
    if len(shown) > ONE_ROW:
        shown = [replace(card, spark=[]) for card in shown]
    ui.card_grid(ctx, shown, family.descriptions(ctx, kpis, reach), len(shown) if len(shown) <= ONE_ROW
                 else SIDE_PER_ROW)


def headline_kpi(ctx: ui.Page, screen: str, kpis) -> dict:
    """The KPI the screen compares branches on: the link's `kpi=` on that family's own page, else the family page's
    default (registry)."""
    options = list(kpis["kpi"])
    spec = registry.page(screen)
    wanted = ctx.state.extra(registry.KPI_PARAM) if ctx.spec.family == screen else None
    chosen = next((k for k in (wanted, spec.default_kpi) if k in options), options[0])
    return kpis[kpis["kpi"] == chosen].iloc[0].to_dict()


def bars(ctx: ui.Page, screen: str, kpis) -> None:
    """All nine branches on the screen's headline KPI at the period, coloured against their targets, the link's
    branches marked."""
    if kpis.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    k = headline_kpi(ctx, screen, kpis)
    period = ctx.state.period_to
    names = ctx.unit_names
    rows = (ui.unit_rows(ctx, period, period) if ctx.by_company
            else ctx.query("branch_kpis", branches=ctx.scope_branches, period_from=period, period_to=period))
    data = scorecard.comparison_rows(rows, k, family.targets(ctx), period, names)
    if data.empty:
        st.info(ctx.t("empty.no_rows"), icon=":material/filter_alt_off:")
        return
    with_target = {c: v for c, v in zip(data["branch_code"], data["target"]) if v is not None}
    # the link's own branches marked, so a branch's screen shows where it stands among the nine
    names = {c: f"▶ {n}" if c in ctx.state.branches else n for c, n in names.items()}
    fig = charts.build("branch_bars", lang=ctx.lang, df=data[["branch_code", "value"]], value="value",
                       unit=k["unit"], direction=k["direction"], names=names,
                       title=ctx.t("present.bars_title", kpi=ui.kpi_label(ctx, k)), target=with_target or None)
    beside = len(kpis) > ONE_ROW
    charts.projected(fig, font_size=FONT_SIZE, height=BARS_HEIGHT["beside" if beside else "below"], narrow=beside)
    # Plotly's own theme: Streamlit's would set its smaller type back
    st.plotly_chart(fig, config=charts.image_config(k["kpi"], "all", period), key="present_bars", width="stretch",
                    theme=None)

