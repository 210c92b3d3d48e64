"""Issue 10 item 5, "where risk changes the answer": each quantity-distance violation with the risk at its
exposed site, ranked, and the risk after moving the PES's stock or scaling it to its licence.

Hand-worked against an independent route (the same depot rebuilt with the stock moved or scaled, assessed
from scratch), the licence against the published D13 formula, properties with hypothesis, and the command
through the installed ``depotsafe`` (subprocess).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depotsafe import risk
from depotsafe.check import check_depot
from depotsafe.layout import read_layout

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"
DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
LOCAL = {"type": "name", "properties": {"name": "depotsafe:local-metres"}}


def square(cx: float, cy: float, half: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[cx - half, cy - half], [cx + half, cy - half],
                                                [cx + half, cy + half], [cx - half, cy + half],
                                                [cx - half, cy - half]]]}


def store(sid: str, x: float, neq_kg: float, pe: object = "amrisk:steel_container") -> dict:
    return {"type": "Feature", "geometry": square(x, 0, 5),
            "properties": {"id": sid, "kind": "unbarricaded_stack", "event_probability": pe,
                           "stock": [{"hd": "1.1", "cg": "D", "neq_kg": neq_kg}]}}


def house(x: float, **props) -> dict:
    return {"type": "Feature", "geometry": square(x, 0, 5),
            "properties": {"id": "H", "kind": "inhabited_building", "persons": 4, **props}}


def layout(*features: dict) -> dict:
    return {"type": "FeatureCollection", "crs": LOCAL, "features": list(features)}


def site_ir(result: dict, sid: str = "H") -> float:
    (s,) = [s for s in result["sites"] if s["id"] == sid]
    return s["individual_risk_per_year"]


def test_one_violation_by_hand_and_by_the_rebuilt_depot():
    """S1 (10 t HD 1.1, unbarricaded) 440 m from a house: D13 = 22.2 Q^(1/3) = 478.3 m fails.

    Licence at 440 m: Q = (440 / 22.2)^3 = 7,785.7 kg (AASTP-1 Annex I-A D13, above its 400 m floor).
    After the licence: the same depot with 7,785.7 kg in S1, assessed from scratch (Pe of the AMRISK
    steel container grows with NEQ [S], so it is recomputed too).  After the move: nothing left, IR 0.
    """
    doc = layout(store("S1", 0, 10000), house(450))
    result = risk.assess(read_layout(doc), grid_cell_m=None)
    (v,) = result["violations"]
    assert (v["pes"], v["es"], v["hd"], v["rank"]) == ("S1", "H", "1.1", 1)
    assert v["required_distance_m"] == pytest.approx(22.2 * 10000 ** (1 / 3), rel=1e-12)
    assert v["distance_m"] == pytest.approx(440.0, rel=1e-12)
    assert v["individual_risk_per_year"] == site_ir(result)  # the same figure as the site table
    assert v["from_this_pes_per_year"] == v["individual_risk_per_year"]
    assert v["share_of_site_risk"] == 1.0
    assert v["after_move"]["individual_risk_per_year"] == 0.0
    assert v["after_move"]["reduction_per_year"] == v["individual_risk_per_year"]
    lic = v["after_licence_neq"]
    limit = (440.0 / 22.2) ** 3
    assert lic["cases"][0]["limit_kg"] == pytest.approx(limit, rel=1e-9)
    assert lic["scale"] == pytest.approx(limit / 10000, rel=1e-9)
    assert lic["cases"][0]["neq_after_kg"] == pytest.approx(limit, rel=1e-9)
    rebuilt = risk.assess(read_layout(layout(store("S1", 0, lic["cases"][0]["neq_after_kg"]), house(450))),
                          groups=[], grid_cell_m=None)
    assert lic["individual_risk_per_year"] == pytest.approx(site_ir(rebuilt), rel=1e-12)
    assert lic["event_probability_per_year"] == pytest.approx(1.5e-4 + 1.5e-10 * limit, rel=1e-12)
    assert 0 < lic["individual_risk_per_year"] < v["individual_risk_per_year"]
    # IR = Pe x Pf|e x presence (presence 1): the event's probability times the site's P(f|e)
    (by_event,) = next(s for s in result["sites"] if s["id"] == "H")["by_event"]
    pe = 1.5e-4 + 1.5e-10 * 10000
    assert v["individual_risk_per_year"] == pytest.approx(pe * by_event["p_fatality_given_event"], rel=1e-12)


def test_nil_licence_is_the_move_and_other_storehouses_stay():
    """S1 290 m from the house: inside D13's 400 m floor, its licence is nil (0 kg); S2 complies far away.

    After the move and after the licence: the risk from S2 alone (the depot without S1, from scratch).
    """
    far = store("S2", -2000, 2000, pe=3e-5)
    result = risk.assess(read_layout(layout(store("S1", 0, 10000), far, house(300))), grid_cell_m=None)
    (v,) = result["violations"]
    assert v["pes"] == "S1"
    assert v["after_licence_neq"]["scale"] == 0.0
    assert v["after_licence_neq"]["cases"][0]["limit_kg"] == 0.0
    alone = risk.assess(read_layout(layout(far, house(300))), groups=[], grid_cell_m=None)
    assert site_ir(alone) > 0
    for after in (v["after_move"], v["after_licence_neq"]):
        assert after["individual_risk_per_year"] == pytest.approx(site_ir(alone), rel=1e-12)
    assert 0 < v["share_of_site_risk"] < 1
    assert v["from_this_pes_per_year"] + v["after_move"]["individual_risk_per_year"] == pytest.approx(
        v["individual_risk_per_year"], rel=1e-12)


def test_explicit_groups_without_a_check_do_not_claim_no_violations():
    result = risk.assess(read_layout(layout(store("S1", 0, 10000), house(300))), groups=[], grid_cell_m=None)
    assert result["violations"] is None


def test_licence_scale_takes_the_tightest_case():
    rec = {"mixed_stock": {"cases": [
        {"hd": "1.1", "neq_kg": 1000.0, "max_neq_kg": 800.0, "max_neq_at_least": False},
        {"hd": "1.3", "neq_kg": 2000.0, "max_neq_kg": 1000.0, "max_neq_at_least": True},
        {"hd": "1.4", "neq_kg": 50.0, "max_neq_kg": None}]}}
    scale, cases = risk.licence_scale(rec)
    assert scale == 0.5
    assert [c["neq_after_kg"] for c in cases] == [500.0, 1000.0, 25.0]
    assert risk.licence_scale({"mixed_stock": {"cases": []}})[0] == 1.0


@settings(max_examples=40, deadline=None)
@given(neq=st.floats(50, 50_000), distance=st.floats(20, 1500), scale=st.floats(0, 1),
       pe=st.sampled_from(["amrisk:steel_container", "fr-2011:P1", 2e-5]),
       indoors=st.booleans())
def test_a_smaller_stock_never_raises_the_risk(neq, distance, scale, pe, indoors):
    """Property: the event of a scaled stock (scale <= 1) gives Pe x P(f|e) no larger than the stock held."""
    depot = read_layout(layout(store("S1", 0, neq, pe), house(distance + 10, indoors=indoors)))
    ex = risk.site_exposure(depot.site("H"))
    ev, _ = risk._event_of(depot, ["S1"])
    ev_s, _ = risk._event_of(depot, ["S1"], scale)
    now = ev.pe * risk._pf_pair(ev, ex)[0]
    after = 0.0 if ev_s is None else ev_s.pe * risk._pf_pair(ev_s, ex)[0]
    assert after <= now


@settings(max_examples=15, deadline=None)
# The house stays inside D13 of S1 at every NEQ drawn: D13 = 5.5 Q^(1/2) = 301 m at 3,000 kg (AASTP-1 Annex I-A
# Table 1), growing with Q; the house is at most 290 m away. (Drawn up to 470 m before, it could stand beyond.)
@given(neq=st.floats(3000, 30_000), x=st.floats(200, 290), x2=st.floats(-1500, -700))
def test_after_never_exceeds_now_and_ranked(neq, x, x2):
    """Property over whole assessments: both remedies never raise the risk; ranks follow the risk now."""
    doc = layout(store("S1", 0, neq), store("S2", x2, 2 * neq, pe=1e-4), house(x))
    result = risk.assess(read_layout(doc), grid_cell_m=None)
    rows = result["violations"]
    assert rows, "the house is inside D13 of S1 (>= 301 m at 3,000 kg)"
    irs = [r["individual_risk_per_year"] for r in rows]
    assert irs == sorted(irs, reverse=True)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    for r in rows:
        assert 0 <= r["after_licence_neq"]["scale"] <= 1
        for after in (r["after_move"], r["after_licence_neq"]):
            assert after["individual_risk_per_year"] <= r["individual_risk_per_year"]
            assert after["reduction_per_year"] >= 0


# ---------------------------------------------------------------- the command


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([DEPOTSAFE, "risk", *args], capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def sample_json() -> dict:
    out = run(str(SAMPLE), "--grid-cell", "100 m", "--json")
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_sample_violations_are_the_checks_ranked(sample_json):
    """The sample's 8 violations (data/samples/README.md), each once, ranked by IR at the exposed site."""
    chk = check_depot(read_layout(SAMPLE))
    want = sorted((p["pes"], p["es"]) for p in chk.violations)
    rows = sample_json["violations"]
    assert len(want) == 8
    assert sorted((r["pes"], r["es"]) for r in rows) == want
    site = {s["id"]: s["individual_risk_per_year"] for s in sample_json["sites"]}
    for r in rows:
        assert r["individual_risk_per_year"] == site[r["es"]]
        assert r["after_move"]["individual_risk_per_year"] <= r["individual_risk_per_year"]
        assert r["after_licence_neq"]["individual_risk_per_year"] <= r["individual_risk_per_year"]
    (road,) = [r for r in rows if r["es"] == "R1"]
    assert road["group"] == ["BS1", "BS2"]
    assert road["members"] == ["BS1", "BS2"]  # the group's event is the one removed or scaled
    (b2,) = [r for r in rows if r["pes"] == "B2"]
    b2_site = next(s for s in chk.sites if s["id"] == "B2")
    assert b2["after_licence_neq"]["scale"] == pytest.approx(
        b2_site["licence_limit_kg"]["1.1"] / 8000.0, rel=1e-12)  # only HD 1.1 in B2


def test_text_lists_the_violations_ranked():
    out = run(str(SAMPLE), "--grid-cell", "100 m")
    assert out.returncode in (0, 1), out.stderr
    text = out.stdout
    assert "Quantity-distance violations (8), ranked by the individual risk at the exposed site" in text
    ranked = [ln for ln in text.splitlines() if ln.strip()[:2] in {f"{n}." for n in range(1, 9)}]
    assert len(ranked) == 8
    assert "BS1+BS2 -> R1" in text
    assert math.isfinite(float(ranked[0].split("): ")[1].split()[0]))


def _compliant_variant(path: Path) -> Path:
    """The compliant variant of the sample depot that tests/test_cli_risk.py builds (one definition)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_cli_risk", ROOT / "tests" / "test_cli_risk.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.compliant_variant(path)


def test_compliant_variant_no_violations_and_the_worker_exception(tmp_path):
    """Issue 10 sanity item, as docs/cli.md reports it: no violation; public IR < 1e-4 (UK limit [S]).

    The exception: WS1's workers sit in a building holding explosives, so they bear its own Pe
    (default 1e-4/yr, FR-2011 P1 upper bound [P, by analogy]) at P(f|e) = 1: at least 1e-4, still
    below the UK worker limit 1e-3 [S].
    """
    variant = _compliant_variant(tmp_path / "compliant.geojson")
    out = run(str(variant), "--grid-cell", "100 m", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["violations"] == []
    public = [s["individual_risk_per_year"] for s in doc["sites"] if s["population"] == "public"]
    assert max(public) < 1e-4
    print("compliant variant: largest public IR", f"{max(public):.3g}")
    (ws1,) = [s for s in doc["sites"] if s["id"] == "WS1"]
    (pe,) = [a["value"] for a in doc["assumptions"] if a["item"] == "WS1.event_probability"]
    assert pe == 1e-4
    assert ws1["population"] == "worker"
    assert pe <= ws1["individual_risk_per_year"] < 1e-3
    assert ws1["band"] == "tolerable_if_alarp"
    text = run(str(variant), "--grid-cell", "100 m")
    assert "Quantity-distance violations: none" in text.stdout


def test_figures_quoted_in_the_docs(sample_json):
    """docs/cli.md quotes the sample's figures: they are the command's, to the digits printed."""
    text = (ROOT / "docs" / "cli.md").read_text()
    rows = {(r["pes"], r["es"]): r for r in sample_json["violations"]}
    h1 = next(s for s in sample_json["sites"] if s["id"] == "H1")["individual_risk_per_year"]
    moved = rows[("A2", "H1")]["after_move"]["individual_risk_per_year"]
    b2 = rows[("B2", "H1")]["after_licence_neq"]
    assert sample_json["violations"][0]["es"] == "H1"
    for value, printed in ((h1, "9.55 × 10⁻⁶"), (moved, "6.98 × 10⁻⁶"), (b2["individual_risk_per_year"], "9.54 × 10⁻⁶")):
        assert printed in text
        assert f"{value:.2e}" == printed.replace(" × 10⁻⁶", "e-06")
    assert f"× {b2['scale']:.3f}" in text
    case = sample_json["sensitivity"]["escalation_bounding"]
    bound_h1 = next(s for s in case["sites"] if s["id"] == "H1")["individual_risk_per_year"]
    assert f"{bound_h1:.2e}" == "1.52e-04"
    assert "1.52 × 10⁻⁴" in text
    assert f"{case['escalated_events']} of its {len(case['events'])} events" in text.replace("\n", " ")
    assert f"from {sample_json['expected_fatalities_per_year']:.4f} to {case['expected_fatalities_per_year']:.4f}" \
        in text.replace("\n", " ")
