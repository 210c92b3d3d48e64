"""The approximate reconstruction of the Gërdec explosions (Albania, 15 March 2008), issue 11 item 6.

Written like tests/test_scenario_reconstructions.py (Mari 2011): the documents cannot drift from
their sources or from the model.

- every position in ``recon_gerdec_2008_places.csv`` is the quoted coordinate text converted;
- the layout puts every site at its cited position, and depotsafe's distance on the layout equals
  the geodesic between the cited points (pyproj.Geod, WGS84) within 1 m;
- every number in the README's Gërdec tables and text is what the installed ``depotsafe scenario``,
  ``blast`` and ``check`` commands print, or the geodesic between cited points (parsed, not copied);
- every row carries a quoted observation and a source address.

The expected values are the sources' coordinates and the commands' JSON, never our own output
written down by hand. The one fixed number, 400 t, is the source's "more than 400 tons".
"""

from __future__ import annotations

import csv
import json
import re

import pytest
from tests.recon_common import (
    LABEL,
    SCENARIOS,
    geodesic,
    layout,
    places,
    scenario_json,
    section,
    table,
)
from tests.recon_common import URL as _URL
from tests.recon_common import dms_to_degrees as _dms_to_degrees
from tests.recon_common import num as _num
from tests.recon_common import run as _run
from tests.recon_common import sig as _sig

RID = "gerdec_2008"
HEADING = "## Reconstruction: the Gërdec explosions"
_geodesic = geodesic


def _places() -> list[dict[str, str]]:
    return places(RID)


def _place(sid: str) -> dict[str, str]:
    return next(p for p in _places() if p["id"] == sid)


def _latlon(p: dict[str, str]) -> tuple[float, float]:
    return float(p["lat_deg"]), float(p["lon_deg"])


def _layout() -> dict:
    return layout(RID)


def _scenario_json() -> dict:
    return scenario_json(RID)


def _step() -> dict:
    return _scenario_json()["steps"][0]


def _section() -> str:
    """The README's Gërdec section, its whitespace collapsed (line breaks fall anywhere in prose)."""
    return section(HEADING, collapse=True)


def _table(name: str) -> list[list[str]]:
    return table(RID, name)


# --- positions ------------------------------------------------------------------------------


def test_decimal_positions_are_the_quoted_coordinates() -> None:
    places = _places()
    assert {p["id"] for p in places} == {"EXP", "GERDEC", "VORE", "TIA"}
    for p in places:
        lat, lon = _dms_to_degrees(p["coordinates_as_quoted"])
        assert float(p["lat_deg"]) == pytest.approx(lat, abs=5e-7), p["id"]
        assert float(p["lon_deg"]) == pytest.approx(lon, abs=5e-7), p["id"]
        assert _URL.search(p["source_url"]), p["id"]
        assert p["source_title"].strip(), p["id"]


def test_explosion_point_is_quoted_as_latitude_to_prints_it() -> None:
    """The source prints 'Latitude: 41° 25' 4.08" N Longitude: 19° 37' 51.96" E': the title keeps its words."""
    exp = _place("EXP")
    assert "41° 25' 4.08\" N" in exp["source_title"]
    assert "19° 37' 51.96\" E" in exp["source_title"]
    assert _dms_to_degrees(exp["coordinates_as_quoted"]) == pytest.approx(
        _dms_to_degrees(exp["source_title"].split("'Latitude:", 1)[1]), abs=1e-12)


def test_layout_sites_sit_at_their_cited_positions_and_are_labelled() -> None:
    layout = _layout()
    assert LABEL in layout["reconstruction"]
    places = {p["id"]: p for p in _places()}
    feats = {f["properties"]["id"]: f for f in layout["features"]}
    assert set(feats) == set(places)
    for sid, f in feats.items():
        props = f["properties"]
        assert props["reconstruction"] == LABEL
        assert props["coordinates_as_quoted"] == places[sid]["coordinates_as_quoted"]
        assert props["coordinates_source"] == places[sid]["source_url"]
        ring = f["geometry"]["coordinates"][0][:-1]
        lon = sum(x for x, _ in ring) / len(ring)
        lat = sum(y for _, y in ring) / len(ring)
        _, off = _geodesic((lat, lon), _latlon(places[sid]))
        assert off < 0.01, (sid, off)
        # a 0.5 m marker: each side 0.5 m within a centimetre
        for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True):
            assert _geodesic((y0, x0), (y1, x1))[1] == pytest.approx(0.5, abs=0.01), sid


def test_cited_distances_equal_the_layout_distances() -> None:
    """Geodesic between the cited points (WGS84) = depotsafe's nearest-point distance, within 1 m."""
    start = _scenario_json()["scenario"]["start"]
    assert start == "EXP"
    got = {b["id"]: b["distance_m"] for b in _step()["buildings"]}
    others = [p for p in _places() if p["id"] != start]
    assert set(got) == {p["id"] for p in others}
    for p in others:
        _, d = _geodesic(_latlon(_place(start)), _latlon(p))
        assert abs(got[p["id"]] - d) <= 1.0, (p["id"], got[p["id"]], d)


def test_readme_wikimapia_point_distance_is_the_geodesic() -> None:
    """The conflicting site point quoted in the README: its distance and bearing from the article's point."""
    section = _section()
    m = re.search(r'"(41°24\'21"N 19°37\'55"E)" \(http\S+wikimapia\S+, user-drawn\), lies (\d+) m from it \[C\] '
                  r"\(bearing (\d+)°", section)
    assert m, "the Wikimapia sentence is missing"
    az, d = _geodesic(_latlon(_place("EXP")), _dms_to_degrees(m.group(1)))
    assert int(m.group(2)) == round(d)
    assert int(m.group(3)) == round(az)
    _, d_village = _geodesic(_latlon(_place("EXP")), _latlon(_place("GERDEC")))
    assert f"it lies {round(d_village)} m from the village's point" in section


# --- the README tables against the commands --------------------------------------------------


def test_readme_places_table_is_what_depotsafe_scenario_predicts() -> None:
    step = _step()
    by_id = {b["id"]: b for b in step["buildings"]}
    start = _latlon(_place("EXP"))
    lowest = min(step["zones"]["blast"], key=lambda z: z["overpressure_kpa"])
    rows = _table("places")
    assert {re.match(r"`(\w+)`", r[0]).group(1) for r in rows} == set(by_id)
    for place, dist, reported, p_kpa, imp, level, collapse, destroyed, agreement in rows:
        sid = re.match(r"`(\w+)`", place).group(1)
        b = by_id[sid]
        _, d = _geodesic(start, _latlon(_place(sid)))
        assert _num(dist) == round(d), sid
        assert p_kpa.endswith(" kPa"), sid
        assert _num(p_kpa) == _sig(b["incident_overpressure_kpa"], 3), sid
        assert imp.endswith(" kPa·ms"), sid
        assert _num(imp) == _sig(b["incident_impulse_kpa_ms"], 3), sid
        if b["zone_name"] is not None:  # a level reached: its words, as the data give them
            lv = next(z for z in step["zones"]["blast"] if z["level"] == b["zone"])
            assert level == f"{b['zone']}: {lv['buildings']}", (sid, level)
        else:  # below every level: the lowest level's own words
            assert level == f"below {lowest['overpressure_kpa']:g} kPa: {lowest['buildings']}", (sid, level)
        assert _num(collapse) == _sig(b["building"]["structural_collapse"], 2), sid
        assert destroyed == ("yes" if b["building"]["destroyed"] else "no"), sid
        assert _URL.search(reported), f"{sid}: the damage reported has no source address"
        assert '"' in reported, f"{sid}: the damage reported is not quoted"
        assert agreement.startswith("**"), f"{sid}: no verdict"


def test_readme_zone_radii_quoted_in_the_text_are_the_scenarios() -> None:
    """Every level radius the agreement column cites is the scenario's, to the metre."""
    section = _section()
    zones = {z["level"]: z for z in _step()["zones"]["blast"]}
    for level, phrase in (("L70", "(L70) to {} m"), ("L16", "(L16) only within {} m"),
                          ("L2", "to {} m)"), ("L5", "reaches only {} m"), ("L5", "(L5) to {} m"),
                          ("L1.5", "L1.5 level reaching only {} m")):
        assert phrase.format(round(zones[level]["radius_m"])) in section, (level, phrase)


def test_readme_stated_table_is_what_depotsafe_predicts() -> None:
    rows = _table("stated")
    assert all(_URL.search(r[0]) and '"' in r[0] for r in rows), "every observation is quoted and sourced"
    houses, shell = rows
    r = _run("blast", "--neq", "400 t", "--distance", f"{_num(houses[1]):g} m", "--json")
    assert r.returncode == 0, r.stderr
    b = json.loads(r.stdout)
    kpa, imp, level = re.match(r"([\d.]+) kPa, ([\d.]+) kPa·ms; (.*)", houses[2]).groups()
    assert float(kpa) == _sig(b["incident_overpressure_kpa"], 3)
    assert float(imp) == _sig(b["incident_impulse_kpa_ms"], 3)
    assert level == f"{b['protection_level']['level']}: {b['protection_level']['buildings']}"
    # the shell in Vorë: Vorë's distance, and the scenario's HD 1.1 fragment hazard zone with its rule
    _, d = _geodesic(_latlon(_place("EXP")), _latlon(_place("VORE")))
    assert _num(shell[1]) == round(d)
    frag = next(z for z in _step()["zones"]["hazard"] if z["kind"] == "fragment")
    assert _num(shell[2].split("zone ", 1)[1]) == round(frag["radius_m"])
    assert f"({frag['rule']}, {frag['source']})" in shell[2]


def test_readme_cube_root_remark_is_arithmetic() -> None:
    """'half the NEQ moves every distance to 0.79 of itself': 0.5^(1/3), and the model scales so."""
    assert "half the NEQ moves every distance to 0.79 of itself" in _section()
    assert round(0.5 ** (1 / 3), 2) == 0.79
    full = json.loads(_run("blast", "--neq", "400 t", "--overpressure", "5 kPa", "--json").stdout)
    half = json.loads(_run("blast", "--neq", "200 t", "--overpressure", "5 kPa", "--json").stdout)
    assert half["distance_m"] / full["distance_m"] == pytest.approx(0.5 ** (1 / 3), rel=1e-6)


def test_readme_licence_line_is_what_depotsafe_check_finds() -> None:
    r = _run("check", str(SCENARIOS / f"recon_{RID}.geojson"), "--json")
    assert r.returncode == 1, r.stderr  # 1: violations, which the reconstruction is about; 2 would be an error
    pairs = {p["es"]: p for p in json.loads(r.stdout)["pairs"] if p["pes"] == "EXP"}
    m = re.search(r"needs (\d+) m to an inhabited building \(Table 1 (D\d+)\)", _section())
    assert m, "the licence line is missing"
    assert round(pairs["GERDEC"]["required_distance_m"]) == int(m.group(1))
    assert pairs["GERDEC"]["rule"] == m.group(2)
    assert pairs["GERDEC"]["compliant"] is False  # "Gërdec's point at 225 m was inside it"
    for es in ("VORE", "TIA"):  # "Vorë's and the airport's points outside"
        assert es not in pairs or pairs[es]["compliant"] is True


def test_scenario_file_is_labelled_and_carries_the_reported_quantity() -> None:
    doc = json.loads((SCENARIOS / f"recon_{RID}.json").read_text(encoding="utf-8"))
    assert LABEL in doc["title"].lower()
    assert "APPROXIMATE RECONSTRUCTION FOR TRAINING" in doc["notes"]
    assert "trainer's choice" in doc["notes"]
    assert "trainer's choice" in doc["title"]
    assert doc["layout"] == _layout()
    assert _step()["site"] == doc["start"] == "EXP"
    # the quantity as reported: "more than 400 tons of propellant in containers", read as TNT by choice
    assert _step()["neq_kg"] == 400000.0
    assert _step()["explosive"] == "TNT"
    section = _section()
    assert "involving more than 400 tons of propellant in containers" in section
    assert "**The NEQ of the layout, 400 t of TNT, is the trainer's choice**" in section


# --- the accident tables' rows for this event ------------------------------------------------


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (SCENARIOS / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def test_accidents_row_carries_the_cited_explosion_point() -> None:
    (row,) = [r for r in _csv_rows("accidents.csv") if r["id"] == "gerdec_2008"]
    exp = _place("EXP")
    assert (float(row["latitude"]), float(row["longitude"])) == (float(exp["lat_deg"]), float(exp["lon_deg"]))
    assert "recon_gerdec_2008.json" in row["reconstruction_notes"]
    assert row["quantity_kind"] == "propellant_mass"
    assert float(row["quantity_t"]) * 1000.0 == _step()["neq_kg"]  # the reported figure, read as TNT by choice


@pytest.mark.parametrize(("label", "sid"), [("Gerdec village", "GERDEC"), ("Vore town", "VORE"),
                                            ("Vore", "VORE"), ("Tirana (Rinas) airport", "TIA")])
def test_observation_distances_are_the_geodesics_between_cited_points(label: str, sid: str) -> None:
    """Every 'PLACE: N m [C]' in the observations' notes is the geodesic from the explosion's point."""
    _, d = _geodesic(_latlon(_place("EXP")), _latlon(_place(sid)))
    pat = re.compile(rf"(?:^|; ){re.escape(label)}: (\d+) m \[C\]")
    found = [int(m.group(1)) for r in _csv_rows("accident_observations.csv")
             if r["accident_id"] == "gerdec_2008" for m in [pat.search(r["notes"])] if m]
    assert found, label
    assert all(n == round(d) for n in found), (label, found, d)


def test_observations_at_places_are_quoted_and_sourced() -> None:
    rows = [r for r in _csv_rows("accident_observations.csv") if r["accident_id"] == "gerdec_2008"]
    assert len(rows) >= 7
    for r in rows:
        assert "'" in r["reported"], r
        assert _URL.match(r["source"]), r
