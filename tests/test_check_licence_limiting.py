"""What sets each explosives limit licence (``licence_limiting`` of the check's site records):
the limiting exposed site, the distance to it and the rule (table, row, column, source),
worked by hand from AASTP-1 (2006) Annex I-A Table 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from depotsafe.check import check_depot
from depotsafe.layout import LOCAL_METRES, read_layout


def _square(fid, kind, x, y, size=10.0, **props):
    h = size / 2
    ring = [[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h], [x - h, y - h]]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"id": fid, "kind": kind, **props}}


def _layout(front_gap_m: float) -> dict:
    """An igloo (7 bar, door north) with 1 t of HD 1.1; a house ``front_gap_m`` in front of the
    door (edge to edge) and another 600 m to its east side, which does not limit."""
    igloo = _square("IG", "igloo_7bar", 0.0, 0.0, front_bearing_deg=0.0,
                    stock=[{"hd": "1.1", "cg": "D", "neq_kg": 1000.0}])
    front = _square("HN", "inhabited_building", 0.0, 10.0 + front_gap_m, persons=4)
    side = _square("HE", "inhabited_building", 610.0, 0.0, persons=4)
    return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
            "features": [igloo, front, side]}


def test_licence_limit_rule_and_distance_from_the_printed_table():
    # AASTP-1 (2006) Annex I-A Table 1, p. I-A-13 prints D13 (inhabited building distance)
    # = 480 m at 10,000 kg and 510 m at 12,000 kg.  An igloo whose door faces a house 480 m away
    # (Table 1 column f, row 20: D13, at least 400 m) may hold, read in the printed table
    # (decision 32), 10,000 kg of HD 1.1; the limit is set by that house, at 480 m, by D13.
    result = check_depot(read_layout(_layout(480.0)), "iatg", rounding="table")
    (site,) = result.sites
    assert site["licence_limit_kg"]["1.1"] == 10000.0
    why = site["licence_limiting"]["1.1"]
    assert why["es"] == "HN" == site["limiting_es"]["1.1"]
    assert why["distance_m"] == pytest.approx(480.0, abs=1e-9)
    assert why["rule"] == "D13"
    assert why["table"] == "1"
    assert "Table 1" in why["source"]
    assert "AASTP-1" in why["source"]
    assert any(c.startswith("Table 1 column f row 20") for c in why["cells"])
    assert why["relation"]["pes_face"] == "front"
    assert why["relation"]["es_kind"] == "inhabited_building"
    # By the formula (decision 4): D13 = 22.2 Q^(1/3), so (480 / 22.2)^3 = 10,107.9 kg; the same ES and rule.
    formula = check_depot(read_layout(_layout(480.0)), "iatg").sites[0]
    assert formula["licence_limit_kg"]["1.1"] == pytest.approx((480.0 / 22.2) ** 3, rel=1e-9)
    assert formula["licence_limiting"]["1.1"]["rule"] == "D13"
    assert formula["licence_limiting"]["1.1"]["es"] == "HN"


def test_nil_licence_names_the_minimum_distance_rule():
    # The same house 350 m in front: D13 asks at least 400 m of an igloo front (Table 1 column f,
    # row 20, "D13 (>= 400 m)"), so nothing may be stored: nil, and the rule says why.
    (site,) = check_depot(read_layout(_layout(350.0)), "iatg").sites
    assert site["licence_limit_kg"]["1.1"] == 0.0
    why = site["licence_limiting"]["1.1"]
    assert why["es"] == "HN"
    assert why["distance_m"] == pytest.approx(350.0, abs=1e-9)
    assert why["rule"] == "D13"
    assert "400" in why["rule_label"]


def test_unlimited_division_has_no_limiting_rule():
    # HD 1.4 toward houses 480 m and more away: no distance limits it (unlimited), so nothing sets it.
    (site,) = check_depot(read_layout(_layout(480.0)), "iatg").sites
    assert site["licence_limit_kg"]["1.4"] is None
    assert site["licence_limiting"]["1.4"] is None


def test_group_licence_limit_distance_from_the_nearest_member():
    # Five 5 t barricaded stacks 30 m apart are one site (decision 14); a sixth, FAR, 90 m from the
    # last limits the group's HD 1.1 licence by D7 = 2.4 Q^(1/3) (Table 1), at 90 m from the nearest member.
    def stack(fid, x):
        return _square(fid, "barricaded_stack", x, 0.0, stock=[{"hd": "1.1", "cg": "D", "neq_kg": 5000.0}])

    fc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
          "features": [stack(f"S{k}", 40.0 * k) for k in range(5)] + [stack("FAR", 260.0)]}
    sites = {s["id"]: s for s in check_depot(read_layout(fc)).sites}
    why = sites["S0"]["licence_limiting"]["1.1"]
    assert sites["S0"]["licence_limit_kg"]["1.1"] == pytest.approx((90.0 / 2.4) ** 3, rel=1e-9)
    assert why["es"] == "FAR"
    assert why["distance_m"] == pytest.approx(90.0, abs=1e-9)
    assert why["rule"] == "D7"
    assert why["table"] == "1"


def test_check_json_carries_licence_limiting(tmp_path):
    path = tmp_path / "igloo.geojson"
    path.write_text(json.dumps(_layout(480.0)), encoding="utf-8")
    exe = Path(sys.executable).with_name("depotsafe")
    proc = subprocess.run([str(exe), "check", str(path), "--rounding", "table", "--json"],
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (site,) = json.loads(proc.stdout)["sites"]
    assert site["licence_limiting"]["1.1"]["rule"] == "D13"
    assert site["licence_limiting"]["1.1"]["distance_m"] == pytest.approx(480.0, abs=1e-9)
    assert site["licence_limit_kg"]["1.1"] == 10000.0
