"""``depotsafe effects LAYOUT --event ID``: per-site table (JSON/CSV) and zones (GeoJSON)."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from depotsafe.cli import main
from depotsafe.effects import blast as b
from depotsafe.layout import read_layout

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample_depot.geojson"


def _local_layout(tmp_path: Path) -> Path:
    def rect(x0: float, y0: float, x1: float, y1: float) -> dict:
        return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}

    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "depotsafe:local-metres"}},
        "features": [
            {"type": "Feature", "geometry": rect(0, 0, 20, 10),
             "properties": {"id": "S1", "kind": "unbarricaded_stack",
                            "stock": [{"hd": "1.1", "cg": "D", "neq_kg": 10000}]}},
            {"type": "Feature", "geometry": rect(520, 0, 530, 10),
             "properties": {"id": "H1", "kind": "inhabited_building", "persons": 4}},
            {"type": "Feature", "geometry": rect(0, 100, 20, 110),
             "properties": {"id": "P1", "kind": "barricaded_stack",
                            "stock": [{"hd": "1.3", "cg": "C", "neq_kg": 1000}]}},
        ],
    }
    path = tmp_path / "local.geojson"
    path.write_text(json.dumps(doc))
    return path


def test_local_layout_table_and_zones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout = _local_layout(tmp_path)
    out_csv, out_geo = tmp_path / "sites.csv", tmp_path / "zones.geojson"
    status = main(["effects", str(layout), "--event", "S1", "--csv", str(out_csv),
                   "--geojson", str(out_geo), "--json"])
    assert status == 0
    data = json.loads(capsys.readouterr().out)
    assert data["event"]["neq_kg"] == 10000.0
    house = next(r for r in data["sites"] if r["id"] == "H1")
    assert house["distance_m"] == pytest.approx(500.0)
    # Same figure as the scalar model (and the blast command): 10 t at 500 m.
    assert house["incident_overpressure_kpa"] == pytest.approx(b.incident_overpressure_pa(10_000, 500) / 1e3, rel=1e-12)
    assert house["zone"] == "L5"
    assert house["in_hazard_zones"] == []  # fragment zone 400 m (open stack, built-up)
    stack = next(r for r in data["sites"] if r["id"] == "P1")
    assert stack["in_hazard_zones"] == ["fragment HD 1.1"]
    with out_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["H1", "P1"]
    geo = json.loads(out_geo.read_text())
    assert geo["crs"]["properties"]["name"] == "depotsafe:local-metres"
    blast = [f for f in geo["features"] if f["properties"]["zone"] == "blast"]
    assert next(f["properties"]["level"] for f in blast) == "L1.5"
    ibd = next(shape(f["geometry"]) for f in blast if f["properties"]["level"] == "L5")
    r5 = b.distance_for("incident_overpressure", 10_000, 5000.0)
    assert ibd.contains(Point(20 + 0.99 * r5, 5))
    assert not ibd.contains(Point(20 + 1.01 * r5, 5))


def test_neq_override_and_thermal_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout = _local_layout(tmp_path)
    assert main(["effects", str(layout), "--event", "P1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["event"]["neq_kg"] == 0.0
    assert data["zones"]["blast"] == []
    assert data["zones"]["hazard"][0]["kind"] == "thermal"
    # D4 = 6.4 Q^(1/3) = 64 m at 1 t (Table 3A/3B spot value 64); open stack: no 240 m.
    assert data["zones"]["hazard"][0]["radius_m"] == pytest.approx(64.0)
    assert main(["effects", str(layout), "--event", "P1", "--neq", "2 t", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["event"]["neq_source"] == "--neq"
    assert len(data["zones"]["blast"]) == 10


def test_sample_depot_wgs84(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_geo = tmp_path / "zones.geojson"
    assert main(["effects", str(SAMPLE), "--event", "A1", "--geojson", str(out_geo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["provenance"]["input_sha256"]
    geo = json.loads(out_geo.read_text())
    assert "crs" not in geo
    lon, lat = geo["features"][0]["geometry"]["coordinates"][0][0]
    assert -180 <= lon <= 180
    assert -90 <= lat <= 90


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--event", "NOPE"], r"site: got 'NOPE'; not in the layout"),
        (["--event", "H1"], r"--event: got 'H1'; the site holds no stock"),
        (["--event", "S1", "--neq", "-1 t"], r"--neq: got '-1 t'; a negative value is not accepted"),
        (["--event", "S1", "--neq", "5"], r"--neq: got '5'; a number without a unit"),
        (["--event", "S1", "--explosive", "semtex"], r"--explosive: got 'semtex'"),
    ],
)
def test_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    layout = _local_layout(tmp_path)
    assert main(["effects", str(layout), *argv, "--json"]) == 2
    assert re.search(message, capsys.readouterr().err)


# ------------------------------------------------------------ the event of an aggregation group (issue 8 item 5)

def _installed(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``depotsafe`` command."""
    exe = Path(sys.executable).with_name("depotsafe")
    cmd = [str(exe)] if exe.exists() else [shutil.which("depotsafe") or "depotsafe"]
    return subprocess.run([*cmd, *argv], capture_output=True, text=True, timeout=600)


def _effects_json(*argv: str) -> dict:
    out = _installed("effects", str(SAMPLE), *argv, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _min_distance_m(site_id: str, members: list[str]) -> float:
    """Distance from a site to the nearest of the members (shapely, in the depot's metres)."""
    depot = read_layout(SAMPLE)
    return min(depot.site(site_id).geometry.distance(depot.site(m).geometry) for m in members)


def test_default_event_is_the_aggregation_group(tmp_path: Path) -> None:
    # BS1 and BS2 (5 t HD 1.1 each, 15 m apart) are one aggregation group of 10 t.
    geo_path = tmp_path / "group.geojson"
    data = _effects_json("--event", "BS1", "--geojson", str(geo_path))
    ev = data["event"]
    assert ev["site"] == "BS1"
    assert ev["id"] == "BS1"
    assert ev["mode"] == "group"
    assert sorted(ev["members"]) == ["BS1", "BS2"]
    assert ev["neq_kg"] == pytest.approx(10_000.0, rel=1e-12)
    assert "AASTP-1 §1.3.2.3 b)" in ev["reason"]
    assert "BS2" in ev["reason"]
    rows = {r["id"]: r for r in data["sites"]}
    assert "BS1" not in rows
    assert "BS2" not in rows
    checked = 0
    for sid, row in rows.items():
        d = _min_distance_m(sid, ["BS1", "BS2"])
        assert row["distance_m"] == pytest.approx(d, rel=1e-9, abs=1e-6)
        expected = b.incident_overpressure_pa(10_000.0, d)
        if expected is None or math.isnan(expected):
            continue
        assert row["incident_overpressure_kpa"] == pytest.approx(expected / 1e3, rel=1e-9)
        checked += 1
    assert checked >= 10


def test_alone_explodes_the_named_member_only(tmp_path: Path) -> None:
    data = _effects_json("--event", "BS1", "--alone")
    ev = data["event"]
    assert ev["mode"] == "alone"
    assert ev["members"] == ["BS1"]
    assert sorted(ev["group"]) == ["BS1", "BS2"]
    assert ev["neq_kg"] == pytest.approx(5_000.0, rel=1e-12)
    assert "AASTP-1 §1.3.2.3 b)" in ev["reason"]
    rows = {r["id"]: r for r in data["sites"]}
    assert "BS1" not in rows
    for sid in ("BS2", "H1", "SCH", "A1"):
        d = _min_distance_m(sid, ["BS1"])
        assert rows[sid]["distance_m"] == pytest.approx(d, rel=1e-9, abs=1e-6)
        assert rows[sid]["incident_overpressure_kpa"] == pytest.approx(
            b.incident_overpressure_pa(5_000.0, d) / 1e3, rel=1e-9)
    assert rows["BS2"]["distance_m"] == pytest.approx(15.0, abs=0.05)


def test_group_zones_nest_around_the_member_alone_zones(tmp_path: Path) -> None:
    g_path, a_path = tmp_path / "group.geojson", tmp_path / "alone.geojson"
    group = _effects_json("--event", "BS2", "--geojson", str(g_path))
    alone = _effects_json("--event", "BS2", "--alone", "--geojson", str(a_path))
    g_blast = {z["level"]: z for z in group["zones"]["blast"]}
    a_blast = {z["level"]: z for z in alone["zones"]["blast"]}
    assert g_blast.keys() == a_blast.keys()
    assert len(g_blast) == 10
    for level, z in g_blast.items():
        assert z["radius_m"] == pytest.approx(
            b.distance_for("incident_overpressure", 10_000.0, z["overpressure_kpa"] * 1e3), rel=1e-9)
        assert a_blast[level]["radius_m"] == pytest.approx(
            b.distance_for("incident_overpressure", 5_000.0, z["overpressure_kpa"] * 1e3), rel=1e-9)
    g_geo = json.loads(g_path.read_text())["features"]
    a_geo = json.loads(a_path.read_text())["features"]

    def key(f: dict) -> tuple:
        p = f["properties"]
        return (p["zone"], p.get("level"), p.get("hd"))

    a_by = {key(f): shape(f["geometry"]) for f in a_geo}
    g_by = {key(f): shape(f["geometry"]) for f in g_geo}
    assert a_by.keys() == g_by.keys()
    assert len(a_by) >= 11
    for k, g_zone in g_by.items():
        if k[0] == "blast":  # a larger radius from a larger footprint: strictly around it
            assert g_zone.contains(a_by[k]), k
            assert g_zone.area > a_by[k].area * 1.2, k
        else:  # the 400 m minimum for both: around it up to the buffers' chords
            assert a_by[k].difference(g_zone).area <= 1e-5 * a_by[k].area, k
            assert g_zone.area > a_by[k].area, k


def test_readable_output_says_which(tmp_path: Path) -> None:
    out = _installed("effects", str(SAMPLE), "--event", "BS1")
    assert out.returncode == 0, out.stderr
    first, reason = out.stdout.splitlines()[:2]
    assert "group BS1+BS2" in first
    assert "10,000 kg" in first
    assert "AASTP-1 §1.3.2.3 b)" in reason
    out = _installed("effects", str(SAMPLE), "--event", "BS1", "--alone")
    assert out.returncode == 0, out.stderr
    assert "event BS1 (alone" in out.stdout
    assert "5,000 kg" in out.stdout


def test_site_in_no_group_explodes_alone() -> None:
    data = _effects_json("--event", "A1")
    assert data["event"]["members"] == ["A1"]
    assert data["event"]["mode"] == "group"
    assert "explodes alone" in data["event"]["reason"]


def test_hazard_zones_of_lives_in_the_effects_package() -> None:
    from depotsafe.effects import hazard_zones_of
    from depotsafe.effects.event import hazard_zones_of as from_event

    assert hazard_zones_of is from_event
