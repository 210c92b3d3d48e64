"""Issue 10 item 3: escalation beyond a group as a bounding sensitivity case, reported beside the base figures.

The degree of protection comes from the AASTP-1 Annex I-A Table 1 letters as data/rulesets/iatg/protection.csv
transcribes them (barricaded stack to barricaded stack, column d row 14: D4 and D7 give a "high" degree, none
"virtually complete"; igloo side to igloo side, D3: "virtually complete").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from depotsafe import risk
from depotsafe.layout import read_layout

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"
DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
LOCAL = {"type": "name", "properties": {"name": "depotsafe:local-metres"}}


def rect(cx: float, cy: float, hx: float, hy: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[cx - hx, cy - hy], [cx + hx, cy - hy], [cx + hx, cy + hy],
                                                [cx - hx, cy + hy], [cx - hx, cy - hy]]]}


def feat(geom: dict, **props) -> dict:
    return {"type": "Feature", "geometry": geom, "properties": props}


def stack(sid: str, x: float, pe: float) -> dict:
    return feat(rect(x, 0, 7.5, 7.5), id=sid, kind="barricaded_stack", event_probability=pe,
                stock=[{"hd": "1.1", "cg": "D", "neq_kg": 5000}])


HOUSE = feat(rect(0, 900, 5, 5), id="H", kind="inhabited_building", persons=3)


def doc(*features: dict) -> dict:
    return {"type": "FeatureCollection", "crs": LOCAL, "features": list(features)}


def test_two_stacks_high_degree_go_together_in_the_bound():
    """Stacks 100 m apart: beyond D7 = 2.4 x 5000^(1/3) = 41 m (not one site), inside the 400 m HD 1.1
    fragment distance, degree "high": in the bounding case each event takes the other along.

    Bounding IR at H = (Pe1 + Pe2) x P(f | the two as one event); the same P(f|e) as the group
    assessment, whose event probability is 1 - (1 - Pe1)(1 - Pe2).
    """
    pe1, pe2 = 1e-4, 3e-5
    depot = read_layout(doc(stack("S1", 0, pe1), stack("S2", 115, pe2), HOUSE))
    result = risk.assess(depot, grid_cell_m=None)
    assert [e["members"] for e in result["events"]] == [["S1"], ["S2"]]  # not aggregated
    case = result["sensitivity"]["escalation_bounding"]
    assert "BOUNDING SENSITIVITY CASE" in case["label"]
    by = {e["initiator"]: e for e in case["events"]}
    assert by["S1"]["with"] == ["S2"]
    assert by["S2"]["with"] == ["S1"]
    (why,) = by["S1"]["reasons"]
    assert why["degree"] == "high"
    assert why["cells"] == ["Table 1 column d row 14"]
    assert why["distance_m"] == pytest.approx(100.0, rel=1e-12)
    as_group = risk.assess(depot, groups=[["S1", "S2"]], grid_cell_m=None)
    (h_group,) = as_group["sites"]
    (h_bound,) = case["sites"]
    pe_group = 1 - (1 - pe1) * (1 - pe2)
    assert h_bound["individual_risk_per_year"] == pytest.approx(
        h_group["individual_risk_per_year"] * (pe1 + pe2) / pe_group, rel=1e-12)
    (h_base,) = result["sites"]
    assert h_bound["base_individual_risk_per_year"] == h_base["individual_risk_per_year"]
    assert h_bound["individual_risk_per_year"] > h_base["individual_risk_per_year"]
    assert case["expected_fatalities_per_year"] > case["base_expected_fatalities_per_year"]


def test_beyond_the_fragment_reach_nothing_goes():
    depot = read_layout(doc(stack("S1", 0, 1e-4), stack("S2", 615, 1e-4), HOUSE))
    case = risk.assess(depot, grid_cell_m=None)["sensitivity"]["escalation_bounding"]
    assert case["escalated_events"] == 0
    assert [s["individual_risk_per_year"] for s in case["sites"]] == \
        [s["base_individual_risk_per_year"] for s in case["sites"]]


def test_virtually_complete_igloo_sides_stay_apart():
    """Two 7-bar igloos side by side 40 m apart (door north): D3 = 0.5 x 10000^(1/3) = 10.8 m, degree
    "virtually complete" (Table 1 letter a): neither takes the other along."""
    igloos = [feat(rect(x, 0, 12.5, 5), id=i, kind="igloo_7bar", front_bearing_deg=0, event_probability=1e-4,
                   stock=[{"hd": "1.1", "cg": "D", "neq_kg": 10000}]) for i, x in (("A", 0), ("B", 65))]
    case = risk.assess(read_layout(doc(*igloos, HOUSE)), grid_cell_m=None)["sensitivity"]["escalation_bounding"]
    assert case["escalated_events"] == 0


def test_sample_bound_never_below_base_and_labelled_in_the_text():
    out = subprocess.run([DEPOTSAFE, "risk", str(SAMPLE), "--grid-cell", "100 m", "--json"],
                         capture_output=True, text=True, timeout=900, check=False)
    assert out.returncode in (0, 1), out.stderr
    res = json.loads(out.stdout)
    case = res["sensitivity"]["escalation_bounding"]
    base = {s["id"]: s["individual_risk_per_year"] for s in res["sites"]}
    for s in case["sites"]:
        assert s["base_individual_risk_per_year"] == base[s["id"]]
        assert s["individual_risk_per_year"] >= base[s["id"]]
    assert res["tolerable"] == (out.returncode == 0)  # the bound changes no verdict of the base case
    for e in case["events"]:
        for r in e["reasons"]:
            assert r["degree"] != "virtually_complete"
            assert r["distance_m"] <= r["reach_m"]
    text = subprocess.run([DEPOTSAFE, "risk", str(SAMPLE), "--grid-cell", "100 m"], capture_output=True,
                          text=True, timeout=900, check=False).stdout
    assert "BOUNDING SENSITIVITY CASE (not an estimate" in text
    assert "without escalation" in text
