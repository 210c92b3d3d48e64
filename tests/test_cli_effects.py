"""``depotsafe effects LAYOUT --event ID``: per-site table (JSON/CSV) and zones (GeoJSON)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from depotsafe.cli import main
from depotsafe.effects import blast as b

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
