"""``depotsafe risk`` through the installed command (subprocess): every option, exit statuses, bad input.

Also the issue's sanity check: a compliant variant of the sample depot
(violating sites moved or removed) against the UK public limit.  The numbers
rest on the default event probability (FR-2011 P1 upper bound [P], by
analogy), secondary [S] probits and person area, and model assumptions [C]
(data/risk/risk_model.csv); the answer lists each with its confidence.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pyproj
import pytest
import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"
DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
LOCAL = {"type": "name", "properties": {"name": "depotsafe:local-metres"}}
KEYS = {"sites", "expected_fatalities_per_year", "fn_curve", "contributions", "criteria", "provenance",
        "assumptions"}


def run(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([DEPOTSAFE, "risk", *args], capture_output=True, text=True, timeout=timeout, check=False)


def compliant_variant(path: Path) -> Path:
    """The sample depot in its plan's local metres, with the intended violations removed.

    BS2 removed (it aggregates with BS1 and brings the road and H1 violations);
    the road R1 moved 150 m east; the farmhouse H1 moved 250 m north; the
    school SCH moved 150 m north (sample README "Intended violations").
    """
    doc = json.loads(SAMPLE.read_text())
    to_local = pyproj.Transformer.from_crs(
        "OGC:CRS84", pyproj.CRS.from_proj4("+proj=tmerc +lat_0=49.60 +lon_0=15.40 +k=1 +ellps=WGS84"),
        always_xy=True)
    shift = {"R1": (150.0, 0.0), "H1": (0.0, 250.0), "SCH": (0.0, 150.0)}
    feats = []
    for f in doc["features"]:
        sid = f["properties"]["id"]
        if sid == "BS2":
            continue
        g = shapely.transform(shape(f["geometry"]), lambda x, y: to_local.transform(x, y), interleaved=False)
        dx, dy = shift.get(sid, (0.0, 0.0))
        g = shapely.affinity.translate(g, dx, dy)
        feats.append({**f, "geometry": mapping(g)})
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": LOCAL, "features": feats}))
    return path


@pytest.fixture(scope="module")
def variant(tmp_path_factory) -> Path:
    return compliant_variant(tmp_path_factory.mktemp("risk") / "compliant.geojson")


@pytest.fixture(scope="module")
def sample_json() -> dict:
    out = run(str(SAMPLE), "--json")
    assert out.returncode in (0, 1), out.stderr
    return {"rc": out.returncode, "doc": json.loads(out.stdout)}


def test_json_contract(sample_json):
    doc = sample_json["doc"]
    assert set(doc) >= KEYS
    assert sample_json["rc"] == (0 if doc["tolerable"] else 1)
    for s in doc["sites"]:
        assert {"id", "individual_risk_per_year", "band", "criterion"} <= set(s)
    ids = {s["id"] for s in doc["sites"]}
    assert {"H1", "SCH", "R1", "OFF"} <= ids
    assert "A1" not in ids  # storehouses without people are not exposed sites
    assert sum(c["share"] for c in doc["contributions"]) == pytest.approx(1.0, rel=1e-12)
    assert {"BS1", "BS2"} in [set(c["members"]) for c in doc["contributions"]]  # the group explodes as one
    for a in doc["assumptions"]:
        assert a["confidence"] in {"P", "S", "C", "U", "user"}
        assert a["source"]
    pts = doc["fn_curve"]
    assert [p["n"] for p in pts] == sorted(p["n"] for p in pts)
    assert all(a["f_per_year"] > b["f_per_year"] for a, b in itertools.pairwise(pts))
    assert doc["criteria"]["regime"] == "uk-hse"
    assert set(doc["provenance"]) >= {"depotsafe_version", "input_sha256", "risk_data_sha256"}


def test_sanity_compliant_variant_public_risk_below_uk_limit(variant):
    """Issue 10 sanity check: a QD-compliant layout gives public IR below the UK limit of tolerability (1e-4).

    Rests on the default Pe (FR-2011 P1 upper bound 1e-4/yr [P, by analogy]) and [S]/[C] model data.
    """
    from depotsafe.check import check_depot
    from depotsafe.layout import read_layout

    assert not check_depot(read_layout(variant)).violations
    out = run(str(variant), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    public = {s["id"]: s["individual_risk_per_year"] for s in doc["sites"]
              if s["population"] == "public"}
    assert public
    assert max(public.values()) < 1e-4
    print("compliant variant, public IR per year:", {k: f"{v:.3g}" for k, v in public.items()})


@pytest.mark.parametrize("regime", ["fr-2011", "nl"])
def test_other_criteria(regime, variant):
    out = run(str(variant), "--criteria", regime, "--json")
    assert out.returncode in (0, 1), out.stderr
    doc = json.loads(out.stdout)
    assert out.returncode == (0 if doc["tolerable"] else 1)
    assert doc["criteria"]["regime"] == regime
    bands = {s["band"] for s in doc["sites"]}
    if regime == "fr-2011":
        assert "by analogy" in doc["criteria"]["label"]
        assert bands <= {"admissible_by_analogy", "not_admissible_by_analogy"}
    else:
        assert bands <= {"below_1e-6", "exceeds_limit", "exceeds_target_value", "no_criterion"}
        assert doc["criteria"]["fn"]["criterion"] == "nl_gr_orientation"


def test_contours_grid_cell_stock_and_summary(tmp_path):
    """--contours-geojson, --grid-cell, --stock and the readable summary in one run."""
    doc = json.loads(SAMPLE.read_text())
    for f in doc["features"]:
        f["properties"].pop("stock", None)
    layout = tmp_path / "nostock.geojson"
    layout.write_text(json.dumps(doc))
    contours = tmp_path / "contours.geojson"
    out = run(str(layout), "--stock", str(ROOT / "data" / "samples" / "sample_depot_stock.csv"),
              "--grid-cell", "100 m", "--contours-geojson", str(contours))
    assert out.returncode in (0, 1), out.stderr
    assert "Expected fatalities" in out.stdout
    assert "Verdict:" in out.stdout
    fc = json.loads(contours.read_text())
    by_pes: dict[str, dict[str, float]] = {}
    for f in fc["features"]:
        p = f["properties"]
        by_pes.setdefault(p["pes"], {})[p["lethality_percent"]] = p["radius_m"]
        lon, lat = shape(f["geometry"]).centroid.coords[0]
        assert 15.3 < lon < 15.5
        assert 49.5 < lat < 49.7
    assert by_pes["A1"]["100"] < by_pes["A1"]["50"] < by_pes["A1"]["10"] < by_pes["A1"]["1"]
    assert "B4" not in by_pes  # HD 1.4 only: no event, no contour
    # same stock through --stock as inline: same answer
    with_json = run(str(layout), "--stock", str(ROOT / "data" / "samples" / "sample_depot_stock.csv"),
                    "--grid-cell", "100 m", "--json")
    inline = run(str(SAMPLE), "--grid-cell", "100 m", "--json")
    a, b = json.loads(with_json.stdout), json.loads(inline.stdout)
    assert a["location_risk"]["cell_m"] == 100.0
    assert {s["id"]: s["individual_risk_per_year"] for s in a["sites"]} == \
        {s["id"]: s["individual_risk_per_year"] for s in b["sites"]}


def _local(tmp_path: Path, **store_props) -> Path:
    def sq(cx, cy, h):
        return {"type": "Polygon", "coordinates": [[[cx - h, cy - h], [cx + h, cy - h], [cx + h, cy + h],
                                                    [cx - h, cy + h], [cx - h, cy - h]]]}
    doc = {"type": "FeatureCollection", "crs": LOCAL, "features": [
        {"type": "Feature", "geometry": sq(0, 0, 5),
         "properties": {"id": "S1", "kind": "unbarricaded_stack",
                        "stock": [{"hd": "1.1", "cg": "D", "neq_kg": 10000}], **store_props}},
        {"type": "Feature", "geometry": sq(150, 0, 5),
         "properties": {"id": "H", "kind": "inhabited_building", "persons": 4}}]}
    path = tmp_path / "local.geojson"
    path.write_text(json.dumps(doc))
    return path


def test_intolerable_exits_1_and_unverified_class_is_flagged(tmp_path):
    """fr-2005:B is an unverified [U] band (1e-3 < P <= 1e-2): usable only because it is named, and said so."""
    out = run(str(_local(tmp_path, event_probability="fr-2005:B")), "--json")
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert doc["sites"][0]["band"] == "intolerable"
    assert not doc["tolerable"]
    (pe,) = [a for a in doc["assumptions"] if a["item"] == "S1.event_probability"]
    assert pe["value"] == 1e-2
    assert pe["confidence"] == "U"
    assert "UNVERIFIED" in pe["note"]
    text = run(str(_local(tmp_path, event_probability="fr-2005:B")))
    assert text.returncode == 1
    assert "UNVERIFIED: S1.event_probability" in text.stdout
    assert "Verdict: NOT tolerable" in text.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["--criteria", "de"], ["--criteria", "uk-hse"]),
    (["--grid-cell", "5 kg"], ["--grid-cell"]),
    (["--grid-cell", "0.01 m"], ["--grid-cell", "at most"]),
])
def test_bad_options_exit_2(tmp_path, args, words):
    out = run(str(_local(tmp_path)), *args, "--json")
    assert out.returncode == 2
    assert out.stdout == ""
    for w in words:
        assert w in out.stderr


def test_bad_layout_field_exits_2_naming_it(tmp_path):
    contours = tmp_path / "c.geojson"
    out = run(str(_local(tmp_path, event_probability="P9")), "--json", "--contours-geojson", str(contours))
    assert out.returncode == 2
    assert "feature 'S1': event_probability" in out.stderr
    assert "'P9'" in out.stderr
    assert "fr-2011:P1" in out.stderr
    assert not contours.exists()  # nothing half-written
