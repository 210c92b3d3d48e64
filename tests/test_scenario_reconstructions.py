"""Approximate reconstructions of public accidents in the scenario library (issue 11, item 6).

What is tested here is that the documents cannot drift from their sources or from the model:

- every position in ``recon_<id>_places.csv`` is the quoted coordinate text converted to degrees;
- the layout puts every site at its cited position, and depotsafe's own distance on the layout
  equals the geodesic between the cited points (pyproj.Geod, WGS84) within 1 m;
- every number in the README's reconstruction tables is what the installed ``depotsafe scenario``,
  ``blast`` and ``check`` commands print (the tables are parsed, not copied here);
- every row carries a source address; the layout and the scenario file run without error.

Nothing here asserts a value of our own code written down by hand: the expected values are the
sources' coordinates and the commands' JSON.
"""

from __future__ import annotations

import json
import re

import pytest
from tests.recon_common import (
    GEOD,
    LABEL,
    SCENARIOS,
    layout,
    places,
    run,
    scenario_json,
    section,
    table,
)
from tests.recon_common import URL as _URL
from tests.recon_common import dms_to_degrees as _dms_to_degrees
from tests.recon_common import num as _num
from tests.recon_common import sig as _sig

RECONSTRUCTIONS = ["mari_2011"]
_run, _places, _layout, _scenario_json, _table = run, places, layout, scenario_json, table


def _section(rid: str) -> str:
    return section("## Reconstruction: the Evangelos Florakis") if rid == "mari_2011" else ""


# --- positions ------------------------------------------------------------------------------


@pytest.mark.parametrize("rid", RECONSTRUCTIONS)
def test_decimal_positions_are_the_quoted_coordinates(rid: str) -> None:
    for p in _places(rid):
        lat, lon = _dms_to_degrees(p["coordinates_as_quoted"])
        assert float(p["lat_deg"]) == pytest.approx(lat, abs=5e-7), p["id"]
        assert float(p["lon_deg"]) == pytest.approx(lon, abs=5e-7), p["id"]
        assert _URL.search(p["source_url"]), p["id"]
        assert p["source_title"].strip(), p["id"]


@pytest.mark.parametrize("rid", RECONSTRUCTIONS)
def test_layout_sites_sit_at_their_cited_positions_and_are_labelled(rid: str) -> None:
    layout = _layout(rid)
    assert LABEL in layout["reconstruction"]
    places = {p["id"]: p for p in _places(rid)}
    feats = {f["properties"]["id"]: f for f in layout["features"]}
    assert set(feats) == set(places)
    for sid, f in feats.items():
        props = f["properties"]
        assert props["reconstruction"] == LABEL
        assert props["coordinates_as_quoted"] == places[sid]["coordinates_as_quoted"]
        ring = f["geometry"]["coordinates"][0][:-1]
        lon = sum(x for x, _ in ring) / len(ring)
        lat = sum(y for _, y in ring) / len(ring)
        _, _, off = GEOD.inv(lon, lat, float(places[sid]["lon_deg"]), float(places[sid]["lat_deg"]))
        assert off < 0.01, (sid, off)


@pytest.mark.parametrize("rid", RECONSTRUCTIONS)
def test_cited_distances_equal_the_layout_distances(rid: str) -> None:
    """Geodesic between the cited points (WGS84) = depotsafe's nearest-point distance, within 1 m."""
    places = _places(rid)
    start = _scenario_json(rid)["scenario"]["start"]
    src = next(p for p in places if p["id"] == start)
    got = {b["id"]: b["distance_m"] for b in _scenario_json(rid)["steps"][0]["buildings"]}
    others = [p for p in places if p["id"] != start]
    assert set(got) == {p["id"] for p in others}
    for p in others:
        _, _, d = GEOD.inv(float(src["lon_deg"]), float(src["lat_deg"]), float(p["lon_deg"]), float(p["lat_deg"]))
        assert abs(got[p["id"]] - d) <= 1.0, (p["id"], got[p["id"]], d)


# --- the README tables against the commands --------------------------------------------------


@pytest.mark.parametrize("rid", RECONSTRUCTIONS)
def test_readme_places_table_is_what_depotsafe_scenario_predicts(rid: str) -> None:
    step = _scenario_json(rid)["steps"][0]
    by_id = {b["id"]: b for b in step["buildings"]}
    places = {p["id"]: p for p in _places(rid)}
    start = places[_scenario_json(rid)["scenario"]["start"]]
    rows = _table(rid, "places")
    assert {re.match(r"`(\w+)`", r[0]).group(1) for r in rows} == set(by_id)
    for place, dist, reported, p_kpa, imp, level, collapse, destroyed, agreement in rows:
        sid = re.match(r"`(\w+)`", place).group(1)
        b = by_id[sid]
        _, _, d = GEOD.inv(float(start["lon_deg"]), float(start["lat_deg"]),
                           float(places[sid]["lon_deg"]), float(places[sid]["lat_deg"]))
        assert _num(dist) == round(d), sid
        assert p_kpa.endswith(" kPa"), sid
        assert _num(p_kpa) == _sig(b["incident_overpressure_kpa"], 3), sid
        assert imp.endswith(" kPa·ms"), sid
        assert _num(imp) == _sig(b["incident_impulse_kpa_ms"], 3), sid
        assert level.startswith(f"{b['zone']}:"), (sid, level)
        if b["zone_name"] is not None:  # a level reached: its words, as the data give them
            lv = next(z for z in step["zones"]["blast"] if z["level"] == b["zone"])
            assert level == f"{b['zone']}: {lv['buildings']}", (sid, level)
        assert _num(collapse) == _sig(b["building"]["structural_collapse"], 2), sid
        assert destroyed == ("yes" if b["building"]["destroyed"] else "no"), sid
        assert _URL.search(reported), f"{sid}: the damage reported has no source address"
        assert '"' in reported, f"{sid}: the damage reported is not quoted"
        assert agreement.strip(), sid


def test_readme_below_lowest_level_uses_the_lowest_levels_words() -> None:
    """A place below every protection level is described with the lowest level's own words."""
    step = _scenario_json("mari_2011")["steps"][0]
    lowest = min(step["zones"]["blast"], key=lambda z: z["overpressure_kpa"])
    for row in _table("mari_2011", "places"):
        if row[5].startswith("below"):
            assert row[5] == f"below {lowest['overpressure_kpa']:g} kPa: {lowest['buildings']}"


def test_readme_stated_table_is_what_depotsafe_predicts() -> None:
    rows = _table("mari_2011", "stated")
    assert all(_URL.search(r[0]) and '"' in r[0] for r in rows), "every observation is quoted and sourced"
    windows, crater, debris = rows
    # windows at the stated radius: depotsafe blast at that distance
    r = _run("blast", "--neq", "481 t", "--distance", f"{_num(windows[1]):g} m", "--json")
    assert r.returncode == 0, r.stderr
    b = json.loads(r.stdout)
    kpa, imp, level = re.match(r"([\d.]+) kPa, ([\d.]+) kPa·ms; (.*)", windows[2]).groups()
    assert float(kpa) == _sig(b["incident_overpressure_kpa"], 3)
    assert float(imp) == _sig(b["incident_impulse_kpa_ms"], 3)
    pl = b["protection_level"]
    assert level == f"{pl['level']}: {pl['buildings']}"
    # the crater-to-power-station check: the geodesic between the cited points
    places = {p["id"]: p for p in _places("mari_2011")}
    _, _, d = GEOD.inv(float(places["EXP"]["lon_deg"]), float(places["EXP"]["lat_deg"]),
                       float(places["VPS"]["lon_deg"]), float(places["VPS"]["lat_deg"]))
    assert _num(crater[2]) == round(d)
    # debris: the scenario's HD 1.1 fragment hazard zone and its rule
    frag = next(z for z in _scenario_json("mari_2011")["steps"][0]["zones"]["hazard"] if z["kind"] == "fragment")
    assert _num(debris[2].split("zone ", 1)[1]) == round(frag["radius_m"])
    assert f"({frag['rule']}, {frag['source']})" in debris[2]


def test_readme_zone_radii_quoted_in_the_text_are_the_scenarios() -> None:
    """The level radii the agreement column cites (L70, L16, L3, L2) are the scenario's, to the metre."""
    section = _section("mari_2011")
    zones = {z["level"]: z for z in _scenario_json("mari_2011")["steps"][0]["zones"]["blast"]}
    for level, phrase in (("L70", "within {} m"), ("L16", "only within {} m"), ("L3", "to {} m"),
                          ("L2", "L2 to {} m")):
        assert phrase.format(round(zones[level]["radius_m"])) in section, level


def test_readme_licence_line_is_what_depotsafe_check_finds() -> None:
    layout = SCENARIOS / "recon_mari_2011.geojson"
    r = _run("check", str(layout), "--json")
    assert r.returncode in (0, 1), r.stderr  # 1: violations, which the reconstruction is about; 2 would be an error
    pairs = {p["es"]: p for p in json.loads(r.stdout)["pairs"] if p["pes"] == "EXP"}
    section = _section("mari_2011")
    m = re.search(r"needs (\d+) m to an inhabited building \(Table 1 (D\d+)\)", section)
    assert m, "the licence line is missing"
    for es in ("VPS", "MARI"):
        assert round(pairs[es]["required_distance_m"]) == int(m.group(1))
        assert pairs[es]["rule"] == m.group(2)
        assert pairs[es]["compliant"] is False
    assert "ZYGI" not in pairs or pairs["ZYGI"]["compliant"] is True  # "Zygi's point outside"
    assert r.returncode == 1


def test_scenario_file_is_labelled_and_opens() -> None:
    doc = json.loads((SCENARIOS / "recon_mari_2011.json").read_text(encoding="utf-8"))
    assert "approximate reconstruction for training" in doc["title"].lower()
    assert "APPROXIMATE RECONSTRUCTION FOR TRAINING" in doc["notes"]
    assert doc["layout"] == _layout("mari_2011")
    out = _scenario_json("mari_2011")
    assert out["steps"][0]["site"] == doc["start"]
    assert out["steps"][0]["neq_kg"] == 481000.0  # the quantity as reported: "481 tons TNT equivalent"
    assert "481 tons TNT equivalent" in _section("mari_2011")
