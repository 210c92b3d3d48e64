"""The Scenarios page (issue 11 item 5), headless: steps through the chain, questions before a step,
scenario files saved and opened again."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"
LIBRARY = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "sample_depot_bs1.json"


def _page(at: AppTest) -> AppTest:
    at.sidebar.radio(key="k_page").set_value("scenarios").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_sample_depot_group_then_follow_and_step_through() -> None:
    at = _page(AppTest.from_file(str(APP), default_timeout=240).run())
    at.selectbox(key="k_scn_start").set_value("BS1").run()
    assert not at.exception, [e.message for e in at.exception]
    # BS1 and BS2 are closer than their inter-magazine distance: one event (decision 14)
    assert any("Step 1" in h.value and "BS1+BS2" in h.value for h in at.subheader)
    result = at.session_state["scn_result"][1]
    possible = [j["id"] for j in result["steps"][0]["escalation"] if j["outcome"] == "possible"]
    assert possible  # the sample's other storehouses are at a high degree from the barricaded stacks
    at.multiselect(key="k_scn_follow").set_value([possible[0]]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.session_state["scn_result"][1]["steps"]) >= 2
    at.button(key="scn_next").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["scn_step"] == 2
    assert any("Step 2" in h.value for h in at.subheader)
    assert any("Follows step 1" in w.value for w in at.warning)
    at.button(key="scn_prev").click().run()
    assert at.session_state["scn_step"] == 1


def test_question_hides_the_step_until_revealed() -> None:
    at = _page(AppTest.from_file(str(APP), default_timeout=240).run())
    at.text_area(key="scn_q_1").set_value("Who must leave first?").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Who must leave first?" in m.value for m in at.markdown)
    assert not any(h.value.startswith("Step 1") for h in at.subheader)
    at.button(key="scn_reveal_1").click().run()
    assert any(h.value.startswith("Step 1") for h in at.subheader)


def test_library_scenario_file_opens() -> None:
    from depotsafe.scenario import read_scenario

    doc = read_scenario(LIBRARY.read_bytes())
    doc["_sha"] = "test"
    at = AppTest.from_file(str(APP), default_timeout=240).run()
    at.session_state["scenario_file"] = doc
    at.session_state["k_scn_start"] = doc["start"]
    _page(at)
    assert any("Scenario file" in i.value for i in at.info)
    assert json.loads(json.dumps(at.session_state["scn_result"][1]["scenario"]))["start"] == "BS1"


def test_a_file_s_explosive_and_sparse_setting_hold_on_the_page() -> None:
    """The page answers a loaded file as `depotsafe scenario --load` does, explosive and sparse included."""
    from depotsafe.layout import read_layout
    from depotsafe.scenario import read_scenario, run_scenario

    doc = read_scenario(LIBRARY.read_bytes())
    doc.update(explosive="Comp C4", sparse=True, notes="bring the site plan")
    doc["_sha"] = "test-c4"
    at = AppTest.from_file(str(APP), default_timeout=240).run()
    at.session_state["scenario_file"] = doc
    at.session_state["k_scn_start"] = doc["start"]
    _page(at)
    shown = at.session_state["scn_result"][1]
    want = run_scenario(read_layout(doc["layout"]), doc["start"], doc["event"], doc["follow"], doc["quantity"],
                        explosive="Comp C4", sparse=True)
    assert shown["scenario"]["explosive"] == "Comp C4" and shown["scenario"]["sparse"] is True
    first, ref = shown["steps"][0], want["steps"][0]
    assert [b["incident_overpressure_kpa"] for b in first["buildings"]] == \
           [b["incident_overpressure_kpa"] for b in ref["buildings"]]
