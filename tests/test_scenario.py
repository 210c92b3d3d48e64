"""Training scenarios (issue 11): the withdrawal ring against AASTP-1 Table T.2, hand-worked chains on
small layouts built here, consistency with ``depotsafe effects`` and with the check's
virtually-complete reading, and scenario files.

Expected values are the printed values of AASTP-1 (2006) Ch. 7 Table T.2 (p. I-7-18) and the Annex I-A
Table 1 functions (D3 = 0.5, D5 = 1.1, D6 = 1.8, D7 = 2.4 x Q^(1/3)) with the footnote letters of the
cells (p. I-A-10/11), worked by hand in the comments.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotsafe.errors import InputError
from depotsafe.layout import LOCAL_METRES, read_layout
from depotsafe.scenario import (
    read_scenario,
    run_scenario,
    scenario_document,
    withdrawal_distance,
)


def cbrt(q: float) -> float:
    return q ** (1.0 / 3.0)


# ----------------------------------------------------------------------------- Table T.2


@pytest.mark.parametrize(("hd", "neq", "context", "expected"), [
    # "For facilities, <=7000kg -> 850m; 7000 <NEM<= 25000kg -> 1300m" (band edges)
    ("1.1", 1.0, "facility", 850.0),
    ("1.1", 7000.0, "facility", 850.0),
    ("1.1", 7000.001, "facility", 1300.0),
    ("1.1", 25000.0, "facility", 1300.0),
    # ">25000kg -> 1300m - 44,4 Q1/3": 44.4 x 25001^(1/3) = 1298.3 m, the 1300 m holds
    ("1.1", 25001.0, "facility", 1300.0),
    # "For transportation, <= 7500kg -> 870m; 7500<NEM<=16000 kg -> 1120m"
    ("1.1", 7500.0, "truck", 870.0),
    ("1.1", 7500.001, "truck", 1120.0),
    ("1.1", 16000.0, "railcar", 1120.0),
    # above 16,000 kg in transport nothing is printed: "same as unknown ... truck ... or railcar"
    ("1.1", 16000.001, "truck", 1250.0),
    ("1.1", 16000.001, "railcar", 1500.0),
    ("1.5", 3000.0, "truck", 1100.0),  # "1.5 -> 1100m"
    ("1.5", 3000.0, "facility", 850.0),  # the 1.1 and 1.5 cell, facilities
    ("1.2", 50.0, "facility", 560.0),
    ("1.2.1", 50.0, "facility", 560.0),
    ("1.6", 50.0, "facility", 560.0),
    # "6,4 Q1/3 with a 120m minimum": 6.4 x 1000^(1/3) = 64 m -> 120 m; 6.4 x 8000^(1/3) = 128 m
    ("1.3", 1000.0, "facility", 120.0),
    ("1.3", 8000.0, "facility", 128.0),
    ("1.4", 5000.0, "facility", 100.0),
    ("unknown", 5000.0, "facility", 1250.0),
    ("unknown", 5000.0, "railcar", 1500.0),
])
def test_withdrawal_known_quantity_as_printed(hd: str, neq: float, context: str, expected: float) -> None:
    assert withdrawal_distance(hd, neq, context)["radius_m"] == pytest.approx(expected, rel=1e-12)


def test_withdrawal_hd11_above_25_t_grows_as_44_4_q_cube_root() -> None:
    # 44.4 x 100000^(1/3) = 44.4 x 46.416 = 2060.9 m > 1300 m: the larger reading of the en dash
    assert withdrawal_distance("1.1", 100000.0)["radius_m"] == pytest.approx(44.4 * cbrt(100000.0), rel=1e-12)
    # where the two cross: 44.4 Q^(1/3) = 1300 m at Q = (1300/44.4)^3 = 25,100 kg
    q = (1300.0 / 44.4) ** 3
    assert withdrawal_distance("1.1", q * 0.999)["radius_m"] == 1300.0
    assert withdrawal_distance("1.1", q * 1.001)["radius_m"] > 1300.0


def test_withdrawal_hd13_minimum_against_formula() -> None:
    # 6.4 Q^(1/3) = 120 m at Q = (120/6.4)^3 = 6,591.8 kg
    q = (120.0 / 6.4) ** 3
    assert withdrawal_distance("1.3", q * 0.99)["radius_m"] == 120.0
    assert withdrawal_distance("1.3", q * 1.01)["radius_m"] == pytest.approx(6.4 * cbrt(q * 1.01), rel=1e-12)


@pytest.mark.parametrize(("hd", "context", "expected"), [
    ("1.1", "facility", 1250.0), ("1.1", "railcar", 1500.0), ("1.5", "facility", 1250.0),
    ("1.2", "facility", 560.0), ("1.6", "facility", 560.0), ("1.3", "facility", 405.0),
    ("1.4", "facility", 100.0), ("unknown", "facility", 1250.0), ("unknown", "railcar", 1500.0),
])
def test_withdrawal_unknown_quantity_as_printed(hd: str, context: str, expected: float) -> None:
    w = withdrawal_distance(hd, None, context)
    assert w["radius_m"] == expected
    assert w["quantity"] == "unknown"
    assert "Table T.2" in w["source"]


@pytest.mark.parametrize(("hd", "neq", "context"), [
    ("1.7", 10.0, "facility"), ("1.1", 0.0, "facility"), ("1.1", math.nan, "facility"), ("1.1", 10.0, "ship"),
])
def test_withdrawal_bad_input_names_the_field(hd: str, neq: float, context: str) -> None:
    with pytest.raises(InputError) as exc:
        withdrawal_distance(hd, neq, context)
    assert exc.value.field in ("hd", "neq", "context")
    assert "got" in str(exc.value)


# ----------------------------------------------------------------------------- layouts


def _rect(fid: str, kind: str, x: float, y: float, w: float, h: float, stock: list | None = None,
          **props: object) -> dict:
    ring = [[x - w / 2, y - h / 2], [x + w / 2, y - h / 2], [x + w / 2, y + h / 2], [x - w / 2, y + h / 2],
            [x - w / 2, y - h / 2]]
    p = {"id": fid, "kind": kind, **props}
    if stock:
        p["stock"] = stock
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": p}


def _hd(kg: float, hd: str = "1.1", cg: str = "D") -> list:
    return [{"hd": hd, "cg": cg, "neq_kg": kg}]


def _doc(features: list) -> dict:
    return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
            "features": features}


def _depot(features: list):
    return read_layout(_doc(features))


def _judgement(step: dict, sid: str) -> dict:
    return next(j for j in step["escalation"] if j["id"] == sid or sid in j["members"])


# ----------------------------------------------------------------------------- hand-worked chains


def test_two_stacks_inside_their_inter_magazine_distance_go_as_one_event() -> None:
    # Two barricaded stacks of 1,000 kg HD 1.1, 5 m apart: Table 1 row 14 column d is D7 = 2.4 x 10 = 24 m
    # (the largest alternative, decision 15) > 5 m: one site (AASTP-1 §1.3.2.3 b)), one blast of 2,000 kg.
    depot = _depot([_rect("S1", "barricaded_stack", 0, 0, 10, 10, _hd(1000.0)),
                    _rect("S2", "barricaded_stack", 15, 0, 10, 10, _hd(1000.0)),
                    _rect("H", "inhabited_building", 0, 600, 10, 10, persons=3)])
    r = run_scenario(depot, "S1")
    assert len(r["steps"]) == 1
    s1 = r["steps"][0]
    assert sorted(s1["members"]) == ["S1", "S2"]
    assert s1["blast_neq_kg"] == 2000.0
    assert s1["event"] == "mass-explosion"
    # Table T.2: 2,000 kg HD 1.1 in a facility <= 7,000 kg -> 850 m; the house at 595 m is inside
    assert s1["withdrawal"]["radius_m"] == 850.0
    assert s1["withdrawal"]["inside"]["buildings"] == ["H"]
    assert s1["withdrawal"]["inside"]["persons"] == 3.0
    assert [s["id"] for s in s1["buildings"]] == ["H"]


def _chain_layout() -> list:
    # A heavy-walled building (PES column c), 1,000 kg HD 1.1: Q^(1/3) = 10.
    # B an earth-covered building, door north, 30 m east of A (edge to edge): A lies in B's side sector,
    #   so Table 1 row 6 (earth-covered, side), column c: D6 = 18 m, letters "ce": moderate (limited) degree,
    #   §1.3.1.9 b) 3) "There are likely to be fires or subsequent explosions": B follows.
    # C an igloo (7 bar), door north, north of both: A and B see its rear (row 1).
    #   A -> C: row 1 column c, D5 = 11 m, letter "a": virtually complete; B (door north, C in its front
    #   sector, column f) -> C: row 1 column f, D4 = 8 m, "ag": virtually complete. C survives both steps.
    return [
        _rect("A", "heavy_walled", 0, 0, 10, 10, _hd(1000.0)),
        _rect("B", "earth_covered", 40, 0, 10, 20, _hd(1000.0), front_bearing_deg=0.0),
        _rect("C", "igloo_7bar", 20, 80, 10, 25, _hd(1000.0), front_bearing_deg=0.0),
        _rect("W", "workshop", -60, 0, 10, 10, persons=5),
    ]


def test_chain_follows_a_limited_degree_and_stops_where_distances_hold() -> None:
    r = run_scenario(_depot(_chain_layout()), "A")
    steps = r["steps"]
    assert [s["site"] for s in steps] == ["A", "B"]
    jb = _judgement(steps[0], "B")
    assert jb["outcome"] == "likely"
    assert jb["cell"] == "Table 1 column c row 6"
    assert jb["degree"] == "moderate"
    assert jb["distance_m"] == pytest.approx(30.0, abs=1e-9)
    assert "1.3.1.9 b) 3)" in jb["source"]
    assert steps[1]["trigger"]["from_step"] == 1
    assert steps[1]["trigger"]["outcome"] == "likely"
    jc = _judgement(steps[0], "C")
    assert jc["outcome"] == "survives"
    assert jc["degree"] == "virtually_complete"
    assert jc["cell"] == "Table 1 column c row 1"
    jc2 = _judgement(steps[1], "C")
    assert jc2["outcome"] == "survives"
    assert jc2["cell"] == "Table 1 column f row 1"
    assert _judgement(steps[1], "A")["outcome"] == "already involved"
    assert r["totals"]["storehouses_involved"] == ["A", "B"]
    assert r["totals"]["neq_involved_kg"] == 2000.0


def test_igloo_at_virtually_complete_protection_does_not_follow_and_gets_no_collapse_probit() -> None:
    # Two 7-bar igloos side by side, 10 t each, 20 m apart: row 4 (igloo side) column b (side): D3 =
    # 0.5 x 21.54 = 10.8 m, letters "ag": virtually complete (§1.3.1.9 b) 1)). The Effects page's
    # conventional-building collapse probit must not be given to it.
    depot = _depot([_rect("I1", "igloo_7bar", 0, 0, 10, 25, _hd(10000.0), front_bearing_deg=0.0),
                    _rect("I2", "igloo_7bar", 30, 0, 10, 25, _hd(10000.0), front_bearing_deg=0.0),
                    _rect("H", "inhabited_building", 300, 0, 10, 10, persons=2)])
    r = run_scenario(depot, "I1")
    assert len(r["steps"]) == 1
    j = _judgement(r["steps"][0], "I2")
    assert j["outcome"] == "survives"
    assert j["cell"] == "Table 1 column b row 4"
    assert j["alternative"] == "D3"
    rows = {s["id"]: s for s in r["steps"][0]["buildings"]}
    assert rows["I2"]["building"]["structural_collapse"] is None
    assert "virtually complete" in rows["I2"]["building"]["basis"]
    assert rows["H"]["building"]["type"] == "conventional"
    assert rows["H"]["building"]["structural_collapse"] is not None


def test_possible_follows_only_when_the_trainer_says_so() -> None:
    # Two barricaded stacks 1,000 kg, 40 m apart (> D7 = 24 m): row 14 column d, D7 "be": high degree,
    # §1.3.1.9 b) 2) "occasional fires or subsequent explosions": possible, the trainer chooses.
    feats = [_rect("S1", "barricaded_stack", 0, 0, 10, 10, _hd(1000.0)),
             _rect("S2", "barricaded_stack", 50, 0, 10, 10, _hd(1000.0))]
    r = run_scenario(_depot(feats), "S1")
    assert len(r["steps"]) == 1
    j = _judgement(r["steps"][0], "S2")
    assert (j["outcome"], j["degree"], j["followed"]) == ("possible", "high", False)
    r2 = run_scenario(_depot(feats), "S1", follow=["S2"])
    assert [s["site"] for s in r2["steps"]] == ["S1", "S2"]
    assert r2["steps"][1]["trigger"]["chosen_by_trainer"] is True


def test_follow_of_a_surviving_storehouse_is_refused() -> None:
    depot = _depot([_rect("I1", "igloo_7bar", 0, 0, 10, 25, _hd(10000.0), front_bearing_deg=0.0),
                    _rect("I2", "igloo_7bar", 30, 0, 10, 25, _hd(10000.0), front_bearing_deg=0.0)])
    with pytest.raises(InputError) as exc:
        run_scenario(depot, "I1", follow=["I2"])
    assert exc.value.field == "--follow"
    assert exc.value.value == "I2"


def test_fire_of_hd13_ring_and_thermal_zone_and_event_checks() -> None:
    # 8,000 kg HD 1.3 (CG C): Table T.2 known quantity 6.4 x 20 = 128 m.
    depot = _depot([_rect("P", "heavy_walled", 0, 0, 10, 10, _hd(8000.0, "1.3", "C")),
                    _rect("R", "public_traffic_route", 0, 100, 100, 4)])
    r = run_scenario(depot, "P")
    s1 = r["steps"][0]
    assert s1["event"] == "fire"
    assert s1["withdrawal"]["radius_m"] == pytest.approx(128.0, rel=1e-12)
    assert s1["withdrawal"]["inside"]["roads"] == ["R"]
    assert s1["totals"]["roads_to_close"] == ["R"]
    assert s1["blast_neq_kg"] == 0.0
    assert s1["zones"]["blast"] == []
    assert r["steps"][0]["buildings"][0]["incident_overpressure_kpa"] is None
    r_unknown = run_scenario(depot, "P", quantity="unknown")
    assert r_unknown["steps"][0]["withdrawal"]["radius_m"] == 405.0
    with pytest.raises(InputError) as exc:
        run_scenario(depot, "P", event="mass-explosion")
    assert exc.value.field == "--event"
    assert "fire" in exc.value.allowed


@pytest.mark.parametrize(("start", "field"), [("NOPE", "--start"), ("R", "--start")])
def test_bad_start(start: str, field: str) -> None:
    depot = _depot([_rect("P", "heavy_walled", 0, 0, 10, 10, _hd(800.0)),
                    _rect("R", "public_traffic_route", 0, 100, 100, 4)])
    with pytest.raises(InputError) as exc:
        run_scenario(depot, start)
    assert exc.value.field == field
    assert exc.value.value == start


# ----------------------------------------------------------------------------- consistency


def test_first_step_blast_equals_depotsafe_effects(tmp_path) -> None:
    from depotsafe.commands.effects import compute

    path = tmp_path / "chain.geojson"
    path.write_text(json.dumps(_doc(_chain_layout())))
    eff, _ = compute(argparse.Namespace(layout=str(path), stock=None, event="A", alone=False, neq=None,
                                        explosive="TNT", sparse=False, max_layout_mb=100.0))
    r = run_scenario(read_layout(str(path)), "A")
    s1 = r["steps"][0]
    assert s1["blast_neq_kg"] == eff["event"]["neq_kg"]
    assert s1["zones"] == eff["zones"]
    mine = {s["id"]: s for s in s1["buildings"]}
    assert set(mine) == {row["id"] for row in eff["sites"]}
    for row in eff["sites"]:
        m = mine[row["id"]]
        for key in ("distance_m", "incident_overpressure_kpa", "incident_impulse_kpa_ms",
                    "reflected_overpressure_kpa", "zone", "in_hazard_zones"):
            assert m[key] == row[key], key
        if row["injury_probability"] is not None:
            for model, p in m["injury_probability"].items():
                assert p == row["injury_probability"][model]
            if m["building"]["type"] == "conventional":
                assert m["building"]["structural_collapse"] == row["injury_probability"]["structural_collapse"]


_STORE_KINDS = ("igloo_7bar", "igloo_3bar", "earth_covered", "heavy_walled", "heavy_walled_roof",
                "barricaded_stack", "unbarricaded_stack")
_EC = {"igloo_7bar", "igloo_3bar", "earth_covered"}


@st.composite
def _small_layouts(draw):
    n = draw(st.integers(2, 3))
    feats = []
    for i in range(n):
        kind = draw(st.sampled_from(_STORE_KINDS))
        x = draw(st.sampled_from([-90.0, -45.0, -20.0, 0.0, 20.0, 45.0, 90.0]))
        y = draw(st.sampled_from([-90.0, -45.0, -20.0, 0.0, 20.0, 45.0, 90.0]))
        q = draw(st.sampled_from([500.0, 2000.0, 10000.0]))
        props = {"front_bearing_deg": draw(st.sampled_from([0.0, 90.0, 180.0, 270.0, 45.0]))} if kind in _EC else {}
        feats.append(_rect(f"S{i}", kind, x, y, 8.0, 8.0, _hd(q), **props))
    return feats


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_small_layouts())
def test_chain_never_includes_a_storehouse_the_check_finds_virtually_complete(feats) -> None:
    import shapely

    from depotsafe.check import check_depot

    depot = _depot(feats)
    geoms = [s.geometry for s in depot.sites]
    if any(shapely.intersects(a, b) for i, a in enumerate(geoms) for b in geoms[i + 1:]):
        return  # overlapping footprints: not a layout
    first = run_scenario(depot, "S0")
    possible = [j["id"] for st_ in first["steps"] for j in st_["escalation"] if j["outcome"] == "possible"]
    r = run_scenario(depot, "S0", follow=possible)  # every "possible" taken: the longest chain
    # the check asked for virtually complete protection (decision 31): the pairs it lists, by (PES, ES)
    vc = check_depot(depot, "iatg", licences=False, protection="virtually-complete")
    listed = {}
    for p in vc.iter_pairs():
        if p["hd"] == "1.1":
            listed.setdefault((p["pes"], p["es"]), []).append(p["compliant"])
    steps = {s["step"]: s for s in r["steps"]}
    for s in r["steps"][1:]:
        trig = steps[s["trigger"]["from_step"]]
        for pes in trig["members"]:
            for es in s["members"]:
                # a storehouse the check finds separated for virtually complete protection never follows
                assert not all(listed.get((pes, es), [False])), (pes, es, s["trigger"])
    for s in r["steps"]:
        for j in s["escalation"]:
            if j["outcome"] == "survives":
                for pes in s["members"]:
                    for es in j["members"]:
                        assert all(listed.get((pes, es), [True])), (pes, es, j)


# ----------------------------------------------------------------------------- scenario files


def test_scenario_document_round_trip() -> None:
    doc = scenario_document(_doc(_chain_layout()), "A", None, [], "unknown", "TNT", False, "Class 1",
                            [{"step": 2, "text": "Why does B go?"}])
    back = read_scenario(json.dumps(doc))
    assert back["start"] == "A"
    assert back["quantity"] == "unknown"
    assert back["title"] == "Class 1"
    assert back["questions"] == [{"step": 2, "text": "Why does B go?"}]
    assert read_layout(back["layout"]).site("B").kind == "earth_covered"


@pytest.mark.parametrize(("patch", "field"), [
    ({"format": "other"}, "--load format"),
    ({"version": 2}, "--load version"),
    ({"start": 3}, "--load start"),
    ({"event": "earthquake"}, "--load event"),
    ({"quantity": "some"}, "--load quantity"),
    ({"questions": [{"step": 0, "text": "x"}]}, "--load questions[0]"),
    ({"colour": "red"}, "--load key"),
])
def test_scenario_file_errors_name_the_key(patch: dict, field: str) -> None:
    doc = scenario_document(_doc(_chain_layout()), "A")
    doc.update(patch)
    with pytest.raises(InputError) as exc:
        read_scenario(json.dumps(doc))
    assert exc.value.field == field


# ----------------------------------------------------------------------------- comparison


def test_compare_an_earth_covered_building_replaced_by_an_igloo() -> None:
    from depotsafe.scenario import compare

    # B an igloo (7 bar) instead of an earth-covered building, same place and door: A sees its side,
    # rows 4 and 5 (decision 16), column c: D5 "b" and D6 "b", both a high degree (§1.3.1.9 b) 2)):
    # B no longer follows for certain, it becomes "possible".
    before_f = _chain_layout()
    after_f = _chain_layout()
    after_f[1]["properties"]["kind"] = "igloo_7bar"
    d1, d2 = _depot(before_f), _depot(after_f)
    r1, r2 = run_scenario(d1, "A"), run_scenario(d2, "A")
    c = compare(r1, r2, d1, d2)
    assert c["layout_changes"] == [{"id": "B", "change": "kind", "before": "earth_covered", "after": "igloo_7bar",
                                    "text": "B: earth_covered -> igloo_7bar"}]
    assert c["storehouses"]["no_longer_involved"] == ["B"]
    jb = next(j for j in c["judgements"] if j["id"] == "B")
    assert jb["before"]["outcome"] == "likely"
    assert jb["after"]["outcome"] == "possible"
    assert jb["after"]["degree"] == "high"
    assert jb["after"]["cell"] in ("Table 1 column c row 4", "Table 1 column c row 5")
    assert "moderate" in jb["why"]
    assert c["totals"]["steps"] == {"before": 2, "after": 1}


def test_hd14_fire_judged_by_its_fire_regulation_distance() -> None:
    # HD 1.4: no table carries a degree; §1.3.1.7 "Separation distances prescribed by fire regulations apply"
    # (decision 23: 25 m). A store 10 m away is inside it: one site with F (decision 14); one 45 m away
    # survives.
    depot = _depot([_rect("F", "heavy_walled", 0, 0, 10, 10, _hd(500.0, "1.4", "S")),
                    _rect("N", "heavy_walled", 20, 0, 10, 10, _hd(500.0, "1.4", "S")),
                    _rect("M", "heavy_walled", 0, 55, 10, 10, _hd(500.0, "1.4", "S"))])
    r = run_scenario(depot, "F")
    s1 = r["steps"][0]
    assert s1["event"] == "fire"
    assert s1["withdrawal"]["radius_m"] == 100.0  # Table T.2 HD 1.4: 100 m
    assert s1["members"] == ["F", "N"]
    far = _judgement(s1, "M")
    assert far["outcome"] == "survives"
    assert far["distance_m"] == pytest.approx(45.0, abs=1e-9)
    assert "1.3.1.7" in far["source"]


_LIBRARY = sorted(p.name for p in (Path(__file__).resolve().parents[1] / "data" / "scenarios").glob("*.json"))


def test_the_library_holds_the_training_chain_and_a_reconstruction() -> None:
    assert {"sample_depot_bs1.json", "training_chain.json", "recon_mari_2011.json"} <= set(_LIBRARY)


@pytest.mark.parametrize("name", _LIBRARY)
def test_library_scenarios_open_and_run(name: str) -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "scenarios" / name
    doc = read_scenario(path.read_bytes())
    r = run_scenario(read_layout(doc["layout"]), doc["start"], doc["event"], doc["follow"], doc["quantity"],
                     doc["explosive"], doc["sparse"])
    assert r["steps"][0]["site"] == doc["start"]
    assert all(1 <= q["step"] <= len(r["steps"]) for q in doc["questions"])
    if name == "training_chain.json":  # the hand-worked chain above, with a road and a farmhouse
        assert [s["site"] for s in r["steps"]] == ["A", "B"]
        assert r["steps"][0]["withdrawal"]["inside"]["roads"] == ["R"]


def test_json_contract_keys_of_design() -> None:
    """The keys the command-line contract names: steps[].sites (ids that react together), reason, source,
    delay (instant | later | possible), buildings with overpressure and persons at risk, and the first
    response's withdrawal ring with the ids inside it."""
    stacks = [_rect("S1", "barricaded_stack", 0, 0, 10, 10, _hd(1000.0)),
              _rect("S2", "barricaded_stack", 15, 0, 10, 10, _hd(1000.0)),
              _rect("H", "inhabited_building", 0, 600, 10, 10, persons=3)]
    r = run_scenario(_depot(stacks), "S1")
    s1 = r["steps"][0]
    assert sorted(s1["sites"]) == ["S1", "S2"] and s1["delay"] == "instant"
    assert "§1.3.2.3 b)" in s1["source"] and "one site with S2" in s1["reason"]
    (h,) = s1["buildings"]
    assert h["overpressure_kpa"] == h["incident_overpressure_kpa"]
    # the house (595 m from a 2,000 kg blast) is outside the 5 kPa zone: nobody counted at risk there
    assert h["incident_overpressure_kpa"] < 5.0 and h["persons_at_risk"] == 0.0
    assert r["withdrawal"] == {"distance_m": 850.0, "rule": s1["withdrawal"]["printed"],
                               "source": s1["withdrawal"]["source"], "inside": ["H"], "persons": 3.0}
    chain = run_scenario(_depot(_chain_layout()), "A")["steps"]
    assert (chain[1]["delay"], chain[1]["sites"]) == ("later", ["B"])
    assert chain[1]["reason"] == chain[1]["trigger"]["rule"] and chain[1]["source"] == chain[1]["trigger"]["source"]
    apart = [_rect("S1", "barricaded_stack", 0, 0, 10, 10, _hd(1000.0)),
             _rect("S2", "barricaded_stack", 50, 0, 10, 10, _hd(1000.0))]
    assert run_scenario(_depot(apart), "S1", follow=["S2"])["steps"][1]["delay"] == "possible"
