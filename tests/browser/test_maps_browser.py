"""The maps as a browser draws them, at a projector's size and a laptop's (issue 12 item 5).

Reads the rendered chart: the legend's box lies inside the figure's, the plot
is at least as wide as the map was laid out for, the label texts drawn do not
overlap, and each text fits inside the box reserved for it.  Screenshots go
to test-artifacts/.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from browser.streamlit_page import act, idle
from depotsafe.ui import maps

pytestmark = pytest.mark.browser


#: Read off the first chart: boxes in CSS pixels, and the plan with its axes.
_MEASURE = """
() => {
  const gd = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const fl = gd._fullLayout;
  const texts = [];
  gd.querySelectorAll(".scatterlayer .trace").forEach((tr) => {
    tr.querySelectorAll(".textpoint text").forEach((t) => {
      if (t.textContent) texts.push({text: t.textContent, box: box(t)});
    });
  });
  return {
    figure: box(gd), legend: box(gd.querySelector(".legend")),
    plotarea: box(gd.querySelector(".nsewdrag")), xtitle: box(gd.querySelector(".g-xtitle")),
    plot: [fl.xaxis._length, fl.yaxis._length],
    xrange: fl.xaxis.range, yrange: fl.yaxis.range,
    meta: gd.layout.meta.depotsafe_map, texts: texts,
  };
}
"""


def _disjoint(a, b, tol: float = 0.5) -> bool:
    return a[2] <= b[0] + tol or b[2] <= a[0] + tol or a[3] <= b[1] + tol or b[3] <= a[1] + tol


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1366, 768)])
def test_map_fits_and_labels_do_not_overlap(page, app_url: str, artifacts: Path, width: int, height: int) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": height})
    page.goto(app_url)
    idle(page)
    act(page, page.get_by_test_id("stSidebar").get_by_text("Compliance", exact=True).click)
    page.get_by_role("button", name="Run the compliance check").click()
    expect(page.get_by_test_id("stMetric").filter(has_text="Violations")).to_be_visible(timeout=120_000)
    idle(page)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    expect(chart.locator(".legend")).to_be_visible(timeout=60_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / f"maps-compliance-{width}x{height}.png"), full_page=True)
    m = page.evaluate(_MEASURE)

    fx0, fy0, fx1, fy1 = m["figure"]
    lx0, ly0, lx1, ly1 = m["legend"]
    assert fx0 - 0.5 <= lx0, (m["legend"], m["figure"])
    assert lx1 <= fx1 + 0.5, (m["legend"], m["figure"])
    assert fy0 - 0.5 <= ly0, (m["legend"], m["figure"])
    assert ly1 <= fy1 + 0.5, (m["legend"], m["figure"])
    # under the plot and its x-axis title, not over them
    assert m["plotarea"][3] <= ly0, (m["legend"], m["plotarea"])
    assert m["xtitle"][3] <= ly0 + 0.5, (m["legend"], m["xtitle"])
    plot_w, plot_h = m["plot"]
    assert plot_w >= maps.MIN_PLOT_WIDTH_PX
    assert plot_h == pytest.approx(maps.PLOT_HEIGHT_PX, abs=1)

    # the labels the plan placed are all drawn, and no two drawn texts overlap
    meta = m["meta"]
    drawn = [t["text"] for t in m["texts"]]
    for lab in meta["labels"]:
        assert lab["text"] in drawn, lab["text"]
    for a, b in itertools.combinations(m["texts"], 2):
        assert _disjoint(a["box"], b["box"]), (a, b)
    # each label's text fits its reserved box at the scale the browser drew
    px_per_m = min(plot_w / (m["xrange"][1] - m["xrange"][0]), plot_h / (m["yrange"][1] - m["yrange"][0]))
    assert px_per_m >= 1 / meta["m_per_px"] * (1 - 1e-6)
    widest = {}
    for lab in meta["labels"]:
        widest[lab["text"]] = min(widest.get(lab["text"], 1e9), (lab["box"][2] - lab["box"][0]) * px_per_m)
    for t in m["texts"]:
        if t["text"] in widest:
            assert t["box"][2] - t["box"][0] <= widest[t["text"]] + 0.5, t
