"""The Compliance page draws the QD arcs per sector (issue 8 item 6), headless."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"


def _arc_hovers(at: AppTest) -> list[str]:
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [t for tr in fig["data"] if tr.get("legendgroup") in ("arc", "arc_bad")
            for t in (tr.get("text") or []) if t]


def test_compliance_map_draws_arcs_per_sector() -> None:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    at.button(key="run_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    violated = set(_arc_hovers(at))
    assert violated, "the violated arcs are drawn"
    at.selectbox(key="k_arcs_of").set_value("A1").run()
    assert not at.exception, [e.message for e in at.exception]
    hovers = set(_arc_hovers(at))
    a1 = {h for h in hovers if h.startswith("<b>A1 ")}
    # one arc per sector of the igloo, each labelled with the exposed kind and its distance
    for sector in ("front", "side", "rear"):
        assert any(h.startswith(f"<b>A1 {sector} to unbarricaded_stack: ") for h in a1), sector
    assert any("igloo_3bar (rear)" in h for h in a1)
    assert violated <= hovers
