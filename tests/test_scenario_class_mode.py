"""Class mode of the Scenarios page (issue 11 item 5): a map that reads on a projector.

The page is run headless (AppTest) twice, class mode off and on, and the plotly figure it sends to the
browser is read back: in class mode every label, the legend, the scale bar and the markers are larger,
and the labels are still placed apart.  Placement is checked on the figure itself: no two label boxes
share an area, each text is drawn at its box's centre, and each box holds its text as a real font
(Liberation Sans, metric-compatible with Arial, which the browser uses for plotly's font stack on this
machine) sets it at the drawn size.  The hand-out downloads are checked on the same page.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"
FONT = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")


def _figures(projector: bool) -> tuple[AppTest, list[dict]]:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.radio(key="k_page").set_value("scenarios").run()
    assert not at.exception, [e.message for e in at.exception]
    at.selectbox(key="k_scn_start").set_value("BS1").run()
    if projector:
        at.toggle(key="k_scn_projector").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    charts = at.get("plotly_chart")
    assert charts, "the page draws its map"
    return at, [json.loads(c.proto.spec) for c in charts]


@pytest.fixture(scope="module")
def screen() -> list[dict]:
    return _figures(False)[1]


@pytest.fixture(scope="module")
def projector() -> tuple[AppTest, list[dict]]:
    return _figures(True)


def _arr(v: object) -> list:
    """A data array of the figure's JSON: a list, or plotly's typed array ({"dtype", "bdata"} in base64)."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def _label_traces(fig: dict) -> list[dict]:
    return [t for t in fig["data"] if t.get("mode") == "text" and str(t.get("name", "")).endswith("labels")]


def test_class_mode_texts_are_larger(screen: list[dict], projector: tuple[AppTest, list[dict]]) -> None:
    small, large = screen[0], projector[1][0]
    small_sizes = {t["textfont"]["size"] for t in _label_traces(small)}
    large_sizes = {t["textfont"]["size"] for t in _label_traces(large)}
    assert small_sizes
    assert large_sizes
    assert min(large_sizes) >= 18  # px: readable from the back of a room
    assert min(large_sizes) > 1.5 * max(small_sizes)
    assert large["layout"]["legend"]["font"]["size"] > 1.5 * small["layout"]["legend"]["font"]["size"]
    assert large["layout"]["legend"]["entrywidth"] > small["layout"]["legend"]["entrywidth"]
    sb = {fig_id: next(t for t in fig["data"] if t.get("name") == "scale bar text")["textfont"]["size"]
          for fig_id, fig in (("s", small), ("l", large))}
    assert sb["l"] > 1.5 * sb["s"]
    # high contrast: white background, site labels in black on nearly opaque boxes
    assert large["layout"]["plot_bgcolor"] == "#ffffff"
    site = next(t for t in _label_traces(large) if t["name"] == "site labels")
    assert site["textfont"]["color"] == "#000000"
    boxes = next(t for t in large["data"] if t.get("name") == "labels")
    assert boxes["fillcolor"] == "rgba(255,255,255,0.92)"
    # the same labels are asked for; the plan records the size they were placed at
    meta_s, meta_l = small["layout"]["meta"]["depotsafe_map"], large["layout"]["meta"]["depotsafe_map"]
    assert meta_l["label_font_px"] == site["textfont"]["size"]
    asked = lambda m: {x["text"] for x in m["labels"]} | {x["text"] for x in m["dropped"]}  # noqa: E731
    assert asked(meta_s) == asked(meta_l)


def test_class_mode_labels_are_apart_and_hold_their_text(projector: tuple[AppTest, list[dict]]) -> None:
    from PIL import ImageFont

    fig = projector[1][0]
    meta = fig["layout"]["meta"]["depotsafe_map"]
    labels = meta["labels"]
    assert len(labels) >= 5  # the sample depot's storehouses and the rings are labelled
    for a, b in itertools.combinations(labels, 2):
        (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a["box"], b["box"]
        assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, (a["text"], b["text"])
    drawn = {}
    for t in _label_traces(fig):
        size = t["textfont"]["size"]
        for text, x, y in zip(_arr(t["text"]), _arr(t["x"]), _arr(t["y"]), strict=True):
            drawn[(text, round(x, 6), round(y, 6))] = size
    m_per_px = meta["m_per_px"]
    for lab in labels:
        x0, y0, x1, y1 = lab["box"]
        key = (lab["text"], round(0.5 * (x0 + x1), 6), round(0.5 * (y0 + y1), 6))
        assert key in drawn, lab["text"]
        font = ImageFont.truetype(str(FONT), size=round(drawn[key]))
        left, _top, right, _bottom = font.getbbox(lab["text"])
        assert right - left <= (x1 - x0) / m_per_px, lab["text"]
        assert drawn[key] <= (y1 - y0) / m_per_px, lab["text"]


def test_handout_downloads_on_the_page(projector: tuple[AppTest, list[dict]]) -> None:
    at = projector[0]
    cached = at.session_state["scn_handout_doc"]
    result = at.session_state["scn_result"][1]
    for st in result["steps"]:
        assert f'id="step-{st["step"]}"' in cached["html"]
    assert 'class="chain-map"' in cached["html"]
    assert cached["pdf"] is None  # typeset only when asked
    at.button(key="scn_handout_prepare").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["scn_handout_doc"]["pdf"].startswith(b"%PDF-")
