"""The whole-depot check: the sample depot worked by hand, aggregation chains,
invariance under translation/rotation/reordering, the command line and bad input."""

from __future__ import annotations

import copy
import json
import math
import random
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from depotsafe.check import check_depot
from depotsafe.cli import main
from depotsafe.layout import LOCAL_METRES, read_layout
from depotsafe.synthetic import synthetic_depot

SAMPLE = Path(str(resources.files("depotsafe.data").joinpath("samples/sample_depot.geojson")))


def cbrt(q):
    return q ** (1.0 / 3.0)


@pytest.fixture(scope="module")
def sample():
    return check_depot(read_layout(SAMPLE))


def pair(result, pes, es):
    found = [p for p in result.iter_pairs() if p["pes"] == pes and p["es"] == es]
    assert len(found) == 1, (pes, es, found)
    return found[0]


def test_sample_violations_worked_by_hand(sample):
    # A2 (10 t HD 1.1) front -> farmhouse H1: Table 1 column f row 20, D13 (>= 400 m):
    # 22.2 x 10000^(1/3) = 478.3 m against 309.1 m.
    p = pair(sample, "A2", "H1")
    assert p["required_distance_m"] == pytest.approx(22.2 * cbrt(10000), rel=1e-12)
    assert p["relation"]["pes_face"] == "front"
    assert not p["compliant"]
    # B2 (8 t) front -> H1: 22.2 x 8000^(1/3) = 444.0 m against 428.4 m.
    p = pair(sample, "B2", "H1")
    assert p["required_distance_m"] == pytest.approx(22.2 * 20.0, rel=1e-12)
    assert not p["compliant"]
    # BS1 and BS2 (5 t each) 15 m apart: closer than their inter-magazine distance, column d
    # row 14, the larger alternative D7 = 2.4 x 5000^(1/3) = 41.0 m, so one site of 10 t
    # (decision 14): listed once in the aggregations, not as violations.
    assert [sorted(a["members"]) for a in sample.aggregations] == [["BS1", "BS2"]]
    (join,) = sample.aggregations[0]["joins"]
    assert {join["a"], join["b"]} == {"BS1", "BS2"}
    assert join["distance_m"] == pytest.approx(15.0, abs=0.01)
    assert join["imd_m"] == pytest.approx(2.4 * cbrt(5000), rel=1e-12)
    assert join["rule"] == "D7"
    assert not [p for p in sample.iter_pairs() if {p["pes"], p["es"]} == {"BS1", "BS2"}]
    # The district road R1 (heavy traffic) from the group (10 t), measured from its nearest member
    # BS2 (252.5 m): column d row 19, D13 = 22.2 x 10000^(1/3) = 478.3 m (with the 270 m
    # projection minimum of §1.3.7.3d below it).  One pair for the group, not one per member.
    p = pair(sample, "BS2", "R1")
    assert sorted(p["group"]) == ["BS1", "BS2"]
    assert p["required_distance_m"] == pytest.approx(22.2 * cbrt(10000), rel=1e-12)
    assert p["distance_m"] == pytest.approx(252.5, abs=0.1)
    assert not p["compliant"]
    assert not [q for q in sample.iter_pairs() if q["pes"] == "BS1" and q["es"] == "R1"]
    # The school SCH (vulnerable building): 2 x 478.3 = 956.6 m (decision 21) against 838.6 m.
    p = pair(sample, "A2", "SCH")
    assert p["required_distance_m"] == pytest.approx(2 * 22.2 * cbrt(10000), rel=1e-12)
    assert not p["compliant"]
    bad = {(v["pes"], v["es"]) for v in sample.violations}
    assert {("A1", "H1"), ("A2", "H1"), ("B2", "H1"), ("BS2", "R1"), ("A1", "SCH")} <= bad
    assert not [v for v in sample.violations if v["pes"] in ("BS1", "BS2") and v["es"] in ("BS1", "BS2")]


def test_sample_compliant_pairs_worked_by_hand(sample):
    # The pair list holds the violations and the near misses: the pairs that would fail at twice
    # their PES's NEQ (DESIGN.md).
    # B1 (5 t HD 1.1) front -> farmhouse H1, 435.9 m: column f row 20, D13 = 22.2 x 5000^(1/3)
    # = 379.6 m, so its 400 m floor: complies; at 10 t D13 = 478.3 m would fail: a near miss.
    p = pair(sample, "B1", "H1")
    assert p["relation"]["pes_face"] == "front"
    assert p["required_distance_m"] == pytest.approx(400.0)
    assert p["distance_m"] == pytest.approx(435.9, abs=0.1)
    assert p["compliant"]
    assert p["near_miss"]
    # Igloo rows side by side, 30 m gaps: D3 = 0.5 x 20000^(1/3) = 13.6 m even at twice the
    # 10 t of A1 (rows 4/5, column b): not a near miss, so not listed.
    assert not [p for p in sample.iter_pairs() if p["pes"] == "A1" and p["es"] == "A2"]
    # B1 rear -> workshop WS1, 281.5 m: column a row 18, D10 (>= 270 m); at twice 5 t
    # D10 = 8.0 x 10000^(1/3) = 172.3 m, still under the 270 m floor: not listed.
    assert not [p for p in sample.iter_pairs() if p["pes"] == "B1" and p["es"] == "WS1"]
    # Workshop WS1 (200 kg) -> office OFF, 484 m: at 400 kg an inhabited building needs at most
    # 400 m (the D13 floor and the built-up area minimum): not listed.
    assert not [p for p in sample.iter_pairs() if p["pes"] == "WS1" and p["es"] == "OFF"]


def test_sample_licences_worked_by_hand(sample):
    sites = {s["id"]: s for s in sample.sites}
    # A1: H1 is 319.4 m away in front; D13 needs at least 400 m: nil for HD 1.1.
    assert sites["A1"]["licence_limit_kg"]["1.1"] == 0.0
    assert sites["A1"]["limiting_es"]["1.1"] == "H1"
    # B1: the licence is limited by H1 in front of it: (d / 22.2)^3 if that is above 4,591 kg.
    depot = sample.depot
    d = float(depot.site("B1").geometry.distance(depot.site("H1").geometry))
    assert sites["B1"]["limiting_es"]["1.1"] == "H1"
    assert sites["B1"]["licence_limit_kg"]["1.1"] == pytest.approx((d / 22.2) ** 3, rel=1e-9)
    # HD 1.4 is limited only by its 25 m: unlimited where every ES is farther.
    assert sites["B1"]["licence_limit_kg"]["1.4"] is None
    assert sites["B1"]["licence_unlimited"]["1.4"] is True
    # The mixed-stock verdict follows the pairs.
    assert sites["A2"]["mixed_stock"]["compliant"] is False
    assert sites["B1"]["mixed_stock"]["compliant"] is True
    case = next(c for c in sites["B1"]["mixed_stock"]["cases"] if c["hd"] == "1.1")
    assert case["headroom_kg"] == pytest.approx(case["max_neq_kg"] - case["neq_kg"])


def _local(fc):
    fc = copy.deepcopy(fc)
    fc["crs"] = {"type": "name", "properties": {"name": LOCAL_METRES}}
    return fc


def _stack(fid, x, y, neq_kg, size=10.0):
    h = size / 2
    ring = [[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h], [x - h, y - h]]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"id": fid, "kind": "barricaded_stack",
                           "stock": [{"hd": "1.1", "cg": "D", "neq_kg": neq_kg}]}}


def test_aggregation_chain():
    # Five 5 t barricaded stacks, 10 m footprints, 30 m gaps: each is closer to the next than
    # D7 = 2.4 x 5000^(1/3) = 41.0 m, so the chain is one site of 25 t (decision 14).  A sixth
    # stack 90 m beyond the last stays on its own: the group's 25 t needs D7 = 2.4 x 25000^(1/3)
    # = 70.2 m of it, and FAR's own 5 t 41.0 m.
    feats = [_stack(f"S{k}", 40.0 * k, 0.0, 5000.0) for k in range(5)] + [_stack("FAR", 260.0, 0.0, 5000.0)]
    depot = read_layout(_local({"type": "FeatureCollection", "features": feats}))
    result = check_depot(depot)
    assert [sorted(g) for g in result.groups] == [["S0", "S1", "S2", "S3", "S4"]]
    assert len(result.aggregations[0]["joins"]) == 4
    # Not even a near miss: at twice the group's NEQ (50 t) D7 = 2.4 x 50000^(1/3) = 88.4 m < 90 m.
    assert list(result.iter_pairs()) == []
    assert result.compliant
    # The group's licence is the group's: FAR, 90 m from the nearest member, allows
    # (90 / 2.4)^3 = 52,734 kg for the whole group (D7), and S0 carries it too.
    sites = {s["id"]: s for s in result.sites}
    for sid in ("S0", "S4"):
        assert sites[sid]["licence_applies_to"] == "group"
        assert sites[sid]["licence_limit_kg"]["1.1"] == pytest.approx((90.0 / 2.4) ** 3, rel=1e-9)
        assert sites[sid]["limiting_es"]["1.1"] == "FAR"
    assert sites["FAR"]["licence_limit_kg"]["1.1"] == pytest.approx((90.0 / 2.4) ** 3, rel=1e-9)
    assert sites["FAR"]["limiting_es"]["1.1"] == "S4"


def _transform(fc, angle_deg, dx, dy, seed):
    fc = copy.deepcopy(fc)
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)

    def tr(pt):
        x, y = pt
        # rotate clockwise by angle (bearings grow by angle), then translate
        return [c * x + s * y + dx, -s * x + c * y + dy]

    def walk(coords):
        if coords and isinstance(coords[0], (int, float)):
            return tr(coords)
        return [walk(c2) for c2 in coords]

    for f in fc["features"]:
        f["geometry"]["coordinates"] = walk(f["geometry"]["coordinates"])
        if "front_bearing_deg" in f["properties"]:
            f["properties"]["front_bearing_deg"] = (f["properties"]["front_bearing_deg"] + angle_deg) % 360.0
    random.Random(seed).shuffle(fc["features"])
    return fc


def _summary(result):
    pairs = {(p["pes"], p["es"]): (round(p["required_distance_m"], 6), round(p["distance_m"], 4), p["compliant"])
             for p in result.iter_pairs()}
    lic = {s["id"]: {k: (None if v is None else round(v, 3)) for k, v in s["licence_limit_kg"].items()}
           for s in result.sites}
    return pairs, lic, sorted(sorted(g) for g in result.groups)


@pytest.mark.parametrize(("angle", "dx", "dy", "seed"), [(0.0, 1000.0, -2500.0, 1), (37.0, 0.0, 0.0, 2),
                                                        (90.0, -300.0, 50.0, 3), (211.5, 12345.0, 678.0, 4)])
def test_invariant_under_translation_rotation_and_reordering(angle, dx, dy, seed):
    base = synthetic_depot(160, seed=7)
    ref = _summary(check_depot(read_layout(base)))
    moved = _summary(check_depot(read_layout(_transform(base, angle, dx, dy, seed))))
    assert moved[2] == ref[2]
    assert moved[0].keys() == ref[0].keys()
    for k, (req, dist, ok) in ref[0].items():
        req2, dist2, ok2 = moved[0][k]
        assert req2 == pytest.approx(req, rel=1e-9)
        assert dist2 == pytest.approx(dist, abs=1e-6)
        assert ok2 == ok or abs(dist - req) < 1e-6
    for sid, lic in ref[1].items():
        for div, v in lic.items():
            v2 = moved[1][sid][div]
            assert (v is None and v2 is None) or v2 == pytest.approx(v, rel=1e-6)


def test_check_equals_brute_force_on_a_synthetic_depot():
    # Every pair within the search radius is found: compare with all PES x ES pairs, exact
    # distances by shapely, required distances by the scalar engine.
    import shapely

    from depotsafe.check import _cases_of, search_radius_m  # noqa: F401
    depot = read_layout(synthetic_depot(150, seed=3))
    result = check_depot(depot)
    found = {(p["pes"], p["es"]) for p in result.iter_pairs()}
    failing = {(v["pes"], v["es"]) for v in result.iter_violations()}
    geoms = [s.geometry for s in depot.sites]
    pes = {s["id"] for s in result.sites}
    # every pair that fails must be in the pair list, and pairs not listed must be far
    radius = {s.id: 0.0 for s in depot.sites}
    for p in result.iter_pairs():
        radius[p["pes"]] = max(radius[p["pes"]], p["required_distance_m"])
    for i, a in enumerate(depot.sites):
        if a.id not in pes:
            continue
        d = shapely.distance(geoms[i], np.array(geoms, dtype=object))
        for j, b in enumerate(depot.sites):
            if i == j or (a.id, b.id) in found:
                continue
            # an unlisted pair is farther than anything the PES could require of it
            assert d[j] > radius[a.id] or (a.id, b.id) not in failing
    assert failing  # the synthetic depot holds deliberate violations


def test_cli_check_exit_codes_and_outputs(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["check", str(SAMPLE), "--json", "--out-json", str(out), "--pairs-csv", str(tmp_path / "p.csv"),
                 "--arcs-geojson", str(tmp_path / "a.geojson"), "--arcs-kml", str(tmp_path / "a.kml")]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) >= {"pairs", "sites", "violations", "provenance"}
    assert set(printed["provenance"]) >= {"rule_set", "rule_data_sha256", "depotsafe_version", "input_sha256"}
    assert set(printed["pairs"][0]) >= {"pes", "es", "hd", "relation", "rule", "required_distance_m",
                                        "distance_m", "compliant"}
    assert set(printed["sites"][0]) >= {"id", "neq_kg", "licence_limit_kg", "limiting_es"}
    assert json.loads(out.read_text()) == printed
    arcs = json.loads((tmp_path / "a.geojson").read_text())
    assert arcs["type"] == "FeatureCollection"
    assert any(f["properties"]["violated"] for f in arcs["features"])
    lon, lat = arcs["features"][0]["geometry"]["coordinates"][0][0]
    assert 15.0 < lon < 16.0
    assert 49.0 < lat < 50.0
    assert "<kml" in (tmp_path / "a.kml").read_text()
    assert (tmp_path / "p.csv").read_text().startswith("pes,es,hd,")


def test_cli_check_compliant_depot_exits_0(tmp_path, capsys):
    feats = [_stack("S0", 0.0, 0.0, 1000.0), _stack("S1", 200.0, 0.0, 1000.0)]
    f = tmp_path / "ok.geojson"
    f.write_text(json.dumps(_local({"type": "FeatureCollection", "features": feats})))
    assert main(["check", str(f)]) == 0
    assert "0 violation(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda fc: fc["features"][0]["properties"].update(kind="bunker"), r"kind"),
        (lambda fc: fc["features"][1]["properties"].update(id="S0"), r"duplicate"),
        (lambda fc: fc["features"][0]["properties"]["stock"][0].update(hd="1.2.3"), r"1.2.3 does not exist"),
        (lambda fc: fc["features"][0]["properties"]["stock"][0].update(cg="H"), r"not a legal classification code"),
        (lambda fc: fc["features"][0]["properties"]["stock"][0].update(neq_kg=-5), r"S0.stock\[0\]"),
        (lambda fc: fc["features"][0]["geometry"].update(
            coordinates=[[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]), r"S0"),
    ],
)
def test_cli_check_bad_input_exit_2_and_no_partial_file(tmp_path, capsys, mutate, message):
    import re

    fc = _local({"type": "FeatureCollection", "features": [_stack("S0", 0.0, 0.0, 1000.0),
                                                           _stack("S1", 200.0, 0.0, 1000.0)]})
    mutate(fc)
    f = tmp_path / "bad.geojson"
    f.write_text(json.dumps(fc))
    out = tmp_path / "out.json"
    assert main(["check", str(f), "--out-json", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [f]


def test_check_from_several_threads_gives_the_same_answer():
    from concurrent.futures import ThreadPoolExecutor

    depot = read_layout(SAMPLE)
    ref = _summary(check_depot(depot))
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: _summary(check_depot(depot)), range(6)))
    for r in results:
        assert r == ref
