"""Aggregation groups (standards.md decision 14, AASTP-1 §1.3.2.3 b), a group as one site,
near misses and licences, against hand-worked cases and a slow reference
(tests/reference/check_naive.py) on random small depots."""

from __future__ import annotations

import math
import random

import pytest
import shapely
from tests.reference import check_naive as ref

from depotsafe.check import LICENCE_DIVISIONS, CaseType, check_depot
from depotsafe.layout import LOCAL_METRES, read_layout
from depotsafe.rules import load_rule_set


def cbrt(q):
    return q ** (1.0 / 3.0)


def _rect(fid, kind, x, y, w, h, stock=None, **props):
    ring = [[x - w / 2, y - h / 2], [x + w / 2, y - h / 2], [x + w / 2, y + h / 2], [x - w / 2, y + h / 2],
            [x - w / 2, y - h / 2]]
    p = {"id": fid, "kind": kind, **props}
    if stock:
        p["stock"] = stock
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": p}


def _hd11(kg):
    return [{"hd": "1.1", "cg": "D", "neq_kg": kg}]


def _depot(features):
    return read_layout({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
                        "features": features})


def _pairs(result):
    return {(p["pes"], p["es"]): p for p in result.iter_pairs()}


def test_workshop_in_front_of_an_igloo_is_a_violation_not_a_merge():
    # A 20 t HD 1.1 igloo (door north) and a 100 kg unbarricaded workshop 275 m in front of its door.
    # Igloo -> workshop: Table 1 column f (front), row 18, D13 = 22.2 x 20000^(1/3) = 602.6 m (>= 400 m):
    # not met, and it protects the people in the workshop: a violation, not an aggregation
    # (AASTP-1 §1.3.2.3 b merges PES not separated by inter-magazine distances only).
    ig = _rect("IG", "igloo_7bar", 0.0, 0.0, 10.0, 25.0, _hd11(20000.0), front_bearing_deg=0.0)
    ws = _rect("WS", "workshop", 0.0, 12.5 + 275.0 + 6.0, 20.0, 12.0, _hd11(100.0))
    result = check_depot(_depot([ig, ws]))
    assert result.groups == []
    assert result.aggregations == []
    bad = result.violations
    assert [(v["pes"], v["es"]) for v in bad] == [("IG", "WS")]
    v = bad[0]
    assert v["rule"] == "D13"
    assert v["relation"]["pes_face"] == "front"
    assert v["required_distance_m"] == pytest.approx(22.2 * cbrt(20000.0), rel=1e-12)
    assert v["distance_m"] == pytest.approx(275.0, abs=1e-6)
    assert "group" not in v
    sites = {s["id"]: s for s in result.sites}
    assert sites["IG"]["neq_kg"] == {"1.1": 20000.0}
    assert sites["IG"]["aggregation_group"] == []
    assert sites["IG"]["licence_applies_to"] == "site"
    # its licence (its own, not a group's) is limited by the workshop in front of it
    assert sites["IG"]["limiting_es"]["1.1"] == "WS"
    assert not result.compliant


def test_chain_of_stacks_is_one_group_and_a_workshop_in_it_stays_out():
    # Five 5 t barricaded stacks (10 m squares) 30 m apart: closer than D7 = 2.4 x 5000^(1/3)
    # = 41.0 m (Table 1 column d, row 14), so the chain is one group of 25 t.  A 200 kg
    # workshop sits in the middle of the chain, 15 m beside S2: it never merges; its
    # shortfalls are violations.
    feats = [_rect(f"S{k}", "barricaded_stack", 40.0 * k, 0.0, 10.0, 10.0, _hd11(5000.0)) for k in range(5)]
    feats.append(_rect("WS", "workshop", 80.0, 25.0, 10.0, 10.0, _hd11(200.0)))
    result = check_depot(_depot(feats))
    assert [sorted(g) for g in result.groups] == [["S0", "S1", "S2", "S3", "S4"]]
    agg = result.aggregations[0]
    assert len(agg["joins"]) == 4  # a spanning tree: members - 1
    for j in agg["joins"]:
        assert j["distance_m"] == pytest.approx(30.0, abs=1e-9)
        assert j["imd_m"] == pytest.approx(2.4 * cbrt(5000.0), rel=1e-12)  # at the 5 t of each stack
        assert j["rule"] == "D7"
    pairs = _pairs(result)
    # no pair between members of the group
    assert not [k for k in pairs if k[0].startswith("S") and k[1].startswith("S")]
    # the group -> workshop: one pair, from the nearest member S2 (15 m), against the group's
    # 25 t: Table 1 column d row 18 is D10^o: D10 = 8.0 x 25000^(1/3) = 233.9 m, and footnote o
    # (§1.3.1.13, p. I-3-10) keeps 270 m between HD 1.1 storage and a light-roofed workshop
    g_ws = [p for k, p in pairs.items() if k[1] == "WS"]
    assert len(g_ws) == 1
    assert g_ws[0]["pes"] == "S2"
    assert sorted(g_ws[0]["group"]) == ["S0", "S1", "S2", "S3", "S4"]
    assert g_ws[0]["distance_m"] == pytest.approx(15.0, abs=1e-9)
    assert g_ws[0]["required_distance_m"] == 270.0 > 8.0 * cbrt(25000.0)
    assert g_ws[0]["rule"] == "D10"
    assert not g_ws[0]["compliant"]
    # the workshop (a PES too, 200 kg) -> S2 is a pair of its own (listed: it would fail at 400 kg)
    assert "group" not in pairs[("WS", "S2")]
    sites = {s["id"]: s for s in result.sites}
    assert sites["WS"]["aggregation_group"] == []
    assert sites["S0"]["licence_applies_to"] == "group"
    assert sites["S0"]["group_neq_kg"] == {"1.1": 25000.0}
    assert sites["S0"]["licence_limit_kg"] == sites["S4"]["licence_limit_kg"]


def _random_depot(seed, n_store=7, n_other=6):
    rng = random.Random(seed)
    feats = []
    kinds_store = ["igloo_7bar", "igloo_3bar", "barricaded_stack", "unbarricaded_stack", "heavy_walled_roof"]
    placed = []

    def free(x, y, r):
        return all(math.hypot(x - a, y - b) > r + c for a, b, c in placed)

    k = 0
    while k < n_store:
        x, y = rng.uniform(0, 260), rng.uniform(0, 260)
        if not free(x, y, 16.0):
            continue
        placed.append((x, y, 16.0))
        kind = rng.choice(kinds_store)
        hd = rng.choice(["1.1", "1.1", "1.1", "1.2", "1.3"])
        stock = [{"hd": hd, "cg": "D" if hd != "1.3" else "C", "neq_kg": rng.choice([500.0, 2000.0, 6000.0, 15000.0])}]
        if hd == "1.2":
            stock[0]["unit_neq_kg"] = 0.5
            stock[0]["cg"] = "E"
        props = {"front_bearing_deg": rng.choice([0.0, 90.0, 180.0, 33.0])} if kind.startswith("igloo") else {}
        feats.append(_rect(f"P{k}", kind, x, y, 10.0, 20.0 if kind.startswith("igloo") else 10.0, stock, **props))
        k += 1
    k = 0
    while k < n_other:
        x, y = rng.uniform(-250, 510), rng.uniform(-250, 510)
        if not free(x, y, 12.0):
            continue
        placed.append((x, y, 12.0))
        kind = rng.choice(["inhabited_building", "workshop", "vulnerable_building", "inhabited_building"])
        stock = _hd11(rng.choice([100.0, 400.0])) if kind == "workshop" and rng.random() < 0.5 else None
        feats.append(_rect(f"E{k}", kind, x, y, 12.0, 12.0, stock))
        k += 1
    feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[-300, 600], [600, -280]]},
                  "properties": {"id": "R", "kind": "public_traffic_route", "traffic": "heavy"}})
    return _depot(feats)


@pytest.mark.parametrize("seed", range(12))
def test_groups_pairs_near_misses_against_the_reference(seed):
    rs = load_rule_set("iatg")
    depot = _random_depot(seed)
    result = check_depot(depot, rs)
    ids = [s.id for s in depot.sites]
    grps = ref.groups(depot, rs)
    assert sorted(sorted(g) for g in result.groups) == sorted(sorted(ids[i] for i in g) for g in grps)
    listed = _pairs(result)
    expected = {}
    for members, cases in ref.owners(depot, rs, grps):
        for j in range(len(ids)):
            if j in members:
                continue
            d, req = ref.owner_view(depot, rs, members, cases, j)
            _d2, req2 = ref.owner_view(depot, rs, members, cases, j, factor=2.0)
            if d < req2:  # a violation or a near miss (fails at twice the NEQ)
                expected[(frozenset(ids[m] for m in members), ids[j])] = (d, req)
    got = {}
    for (pes, es), p in listed.items():
        got[(frozenset(p.get("group", [pes])), es)] = (p["distance_m"], p["required_distance_m"])
    assert got.keys() == expected.keys()
    for k, (d, req) in expected.items():
        assert got[k][0] == pytest.approx(d, abs=1e-6)
        assert got[k][1] == pytest.approx(req, rel=1e-12)


def test_group_verdicts_never_less_conservative_than_every_member_alone(capsys):
    rs = load_rule_set("iatg")
    total = stricter = grouped_pairs = 0
    for seed in range(100, 112):
        depot = _random_depot(seed, n_store=9, n_other=5)
        result = check_depot(depot, rs)
        ids = [s.id for s in depot.sites]
        verdict = {(frozenset(p.get("group", [p["pes"]])), p["es"]): p["compliant"] for p in result.iter_pairs()}
        for members, cases in ref.owners(depot, rs, ref.groups(depot, rs)):
            if len(members) < 2:
                continue
            key_g = frozenset(ids[m] for m in members)
            for j in range(len(ids)):
                if j in members:
                    continue
                grouped_pairs += 1
                ours_fails = verdict.get((key_g, ids[j]), True) is False
                ref_fails = ref.worst_member_fails(depot, rs, members, cases, j)
                assert ours_fails or not ref_fails, (seed, key_g, ids[j])
                total += 1
                stricter += ours_fails and not ref_fails
    assert grouped_pairs > 20  # the random depots do hold groups
    with capsys.disabled():
        print(f"\ngroup verdicts: {stricter} of {total} (group, ES) pairs stricter than the worst member alone")


@pytest.mark.parametrize("seed", range(200, 208))
def test_licences_exact_against_every_exposed_site(seed):
    rs = load_rule_set("iatg")
    depot = _random_depot(seed, n_store=6, n_other=7)
    result = check_depot(depot, rs)
    ids = [s.id for s in depot.sites]
    sites = {s["id"]: s for s in result.sites}
    ceiling = rs.licence_ceiling_kg
    for members, _cases in ref.owners(depot, rs, ref.groups(depot, rs)):
        rec = sites[ids[members[0]]]
        for div in LICENCE_DIVISIONS:
            if div not in rec["licence_limit_kg"] or div == "1.6":
                continue
            ct = CaseType(div, ("3A", "3B") if div == "1.3" else ())
            lim, arg = ref.licence(depot, rs, members, ct, 0.0)
            got = rec["licence_limit_kg"][div]
            if rec["licence_at_least"][div]:
                assert lim >= ceiling
                continue
            if got is None:
                assert math.isinf(lim)
                continue
            assert got == pytest.approx(lim, rel=1e-9, abs=1e-9), (ids[members[0]], div)
            if lim > 0 and math.isfinite(lim):
                # the limiting ES named allows exactly that much
                j = ids.index(rec["limiting_es"][div])
                d_min = min(shapely.distance(depot.sites[mm].geometry, depot.sites[j].geometry) for mm in members)
                assert min(ref.limit(rs, depot.sites[m], depot.sites[j], ct, d_min, 0.0)
                           for m in members) == pytest.approx(lim, rel=1e-9)
            del arg


def test_cli_json_lists_the_group_once_and_names_large_groups_by_id(tmp_path):
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from depotsafe.check import GROUP_INLINE_MAX

    n = GROUP_INLINE_MAX + 20
    feats = [_rect(f"S{k}", "barricaded_stack", 40.0 * k, 0.0, 10.0, 10.0, _hd11(5000.0)) for k in range(n)]
    feats.append(_rect("H", "inhabited_building", 0.0, 600.0, 10.0, 10.0))
    layout = tmp_path / "yard.geojson"
    layout.write_text(json.dumps({"type": "FeatureCollection", "crs": {"type": "name",
                                  "properties": {"name": LOCAL_METRES}}, "features": feats}))
    exe = shutil.which("depotsafe") or str(Path(sys.executable).with_name("depotsafe"))
    proc = subprocess.run([exe, "check", str(layout), "--json"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    (agg,) = doc["aggregations"]
    assert agg["id"] == "G1"
    assert sorted(agg["members"]) == sorted(f"S{k}" for k in range(n))
    assert len(agg["joins"]) == n - 1
    # one pair for the group against the house (600 t at 590 m: column d row 20, D13 = 22.2 x 600000^(1/3)
    # = 1,872 m)
    (v,) = doc["violations"]
    assert v["es"] == "H"
    assert v["group"] == "G1"
    assert v["group_id"] == "G1"
    assert v["required_distance_m"] == pytest.approx(22.2 * cbrt(n * 5000.0), rel=1e-12)
    assert v["distance_m"] == pytest.approx(590.0, abs=1e-6)
    assert all(s["aggregation_group"] == "G1" and s["group_id"] == "G1" for s in doc["sites"])
    assert all(s["licence_applies_to"] == "group" for s in doc["sites"])
    # the group's licence is given once, in its aggregation: the house at 590 m limits HD 1.1 to
    # the Q whose D13 = 22.2 Q^(1/3) is 590 m (Table 1 column d row 20)
    assert all(s["licence_limiting"] == "G1" for s in doc["sites"])
    assert agg["licence_limiting"]["1.1"]["es"] == "H"
    assert agg["licence_limiting"]["1.1"]["rule"] == "D13"
    assert agg["licence_limiting"]["1.1"]["distance_m"] == pytest.approx(590.0, abs=1e-6)
    assert agg["licence_limit_kg"]["1.1"] == pytest.approx((590.0 / 22.2) ** 3, rel=1e-6)
    assert all(s["licence_limit_kg"] == agg["licence_limit_kg"] for s in doc["sites"])
    assert len(proc.stdout) < 2000 * n  # bounded: no member repeats the licence's rule texts


@pytest.fixture(scope="module")
def sample_result():
    from importlib import resources

    return check_depot(read_layout(str(resources.files("depotsafe.data").joinpath("samples/sample_depot.geojson"))))


def test_small_group_licence_in_its_aggregation_and_in_every_member(sample_result):
    """A group of at most GROUP_INLINE_MAX members: each member's record keeps the licence, and the
    aggregation gives the same licence once (the JSON of check and the in-process dictionary alike)."""
    import io
    import json

    from depotsafe.report import write_json

    buf = io.StringIO()
    write_json(sample_result, buf)
    for doc in (json.loads(buf.getvalue()), sample_result.as_dict()):
        assert doc["aggregations"], "the sample depot has a group (BS1 + BS2)"
        for agg in doc["aggregations"]:
            members = [s for s in doc["sites"] if s.get("group_id") == agg["id"]]
            assert sorted(s["id"] for s in members) == sorted(agg["members"])
            for s in members:
                assert s["licence_limit_kg"] == agg["licence_limit_kg"]
                assert s["licence_limiting"] == agg["licence_limiting"]
