"""QD arcs written back into a DXF plan's coordinates: ``depotsafe check plan.dxf --mapping m --arcs-dxf F``.

The sample depot is drawn as tests/test_dxf.py draws it (millimetres, the drawing's origin far
away, its axes turned 23.5 degrees against UTM 33N).  The arcs DXF must lie over the plan: each arc
ring, taken back to UTM through the mapping's georeference as the reader takes the plan, is the
ring of ``--arcs-geojson`` (the reference: GeoJSON's lon/lat through pyproj) to 1 mm; and, in the
drawing's own coordinates, with no transformation of ours in between, every all-round arc of a
storehouse contains that storehouse's footprint as the plan draws it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import ezdxf
import numpy as np
import shapely
import shapely.geometry

from test_dxf import CRS, E0, N0, LAYER_OF, ROT, TO_UTM, X0, Y0, draw, mapping, write_mapping
from test_gisio import SAMPLE, SAMPLE_STOCK, run


def _to_utm_from_drawing(pts: np.ndarray) -> np.ndarray:
    """Drawing millimetres to UTM 33N metres, as docs/layout.md states the georeference."""
    r, s = math.radians(ROT), 0.001
    x, y = pts[:, 0] - X0, pts[:, 1] - Y0
    return np.column_stack([E0 + s * (x * math.cos(r) - y * math.sin(r)), N0 + s * (x * math.sin(r) + y * math.cos(r))])


_KEYS = ("pes", "pes_sector", "es_kind", "es_face", "traffic", "sparse", "evacuable", "es_door_barricade")


def _key(props: dict) -> tuple[str, ...]:
    return tuple(str(props.get(k)) for k in _KEYS)


def _xdata(e: ezdxf.entities.DXFGraphic) -> tuple[dict[str, str], float, int]:
    items = list(e.get_xdata("DEPOTSAFE"))
    texts = [v for code, v in items if code == 1000]
    keyed = {}
    for t in texts[1:]:
        if "=" in t:
            k, v = t.split("=", 1)
            keyed.setdefault(k, v)
    required = next(v for code, v in items if code == 1040)
    violated = next(v for code, v in items if code == 1070)
    return keyed, float(required), int(violated)


def test_arcs_dxf_lies_over_the_plan(tmp_path: Path) -> None:
    plan, mp = tmp_path / "plan.dxf", write_mapping(tmp_path / "map.json", mapping())
    draw(plan)
    out, ref = tmp_path / "arcs.dxf", tmp_path / "arcs.geojson"
    run("check", plan, "--mapping", mp, "--stock", SAMPLE_STOCK, "--arcs-dxf", out, "--arcs-geojson", ref,
        status=1)
    doc = ezdxf.readfile(out)
    assert doc.header["$INSUNITS"] == 4  # the mapping's units: mm
    feats = json.loads(ref.read_text())["features"]
    assert feats
    # the GeoJSON's rings, in UTM metres (pyproj from lon/lat), keyed by what identifies an arc
    want: dict[tuple[str, ...], list[shapely.Polygon]] = {}
    for f in feats:
        p = f["properties"]
        g = shapely.transform(shapely.geometry.shape(f["geometry"]),
                              lambda xy: np.column_stack(TO_UTM.transform(xy[:, 0], xy[:, 1])))
        want.setdefault(_key(p), []).extend(shapely.get_parts(g))
    by_key = {_key(f["properties"]): f["properties"] for f in feats}
    assert len(by_key) == len(feats)  # the properties written to the DXF tell the arcs apart
    got: dict[tuple[str, ...], list[np.ndarray]] = {}
    entities = list(doc.modelspace())
    assert all(e.dxftype() == "LWPOLYLINE" and e.closed for e in entities)
    for e in entities:
        keyed, required, violated = _xdata(e)
        assert e.dxf.layer == f"DEPOTSAFE-QD-{keyed['es_kind']}"
        assert e.dxf.color == (1 if violated else 3)
        key = tuple(keyed.get(k, "None") for k in _KEYS)
        assert required == by_key[key]["required_distance_m"]
        assert violated == int(by_key[key]["violated"])
        assert (keyed["hd"], keyed.get("rule_code", "None")) == (str(by_key[key]["hd"]), str(by_key[key]["rule_code"]))
        got.setdefault(key, []).append(_to_utm_from_drawing(np.array([(x, y) for x, y, *_ in e.get_points()])))
    assert got.keys() == want.keys()
    for key, rings in got.items():
        polys = want[key]
        n_rings = sum(1 + len(p.interiors) for p in polys)
        assert len(rings) == n_rings, key
        refs = [np.asarray(r.coords)[:-1] for p in polys for r in [p.exterior, *p.interiors]]
        for ring in rings:  # each ring is one of the GeoJSON's rings, vertex for vertex, to 1 mm
            match = [r for r in refs if r.shape == ring.shape and np.max(np.abs(r - ring)) < 1e-3]
            assert len(match) == 1, key


def test_arcs_dxf_surround_the_plans_storehouses(tmp_path: Path) -> None:
    plan, mp = tmp_path / "plan.dxf", write_mapping(tmp_path / "map.json", mapping())
    draw(plan)
    out = tmp_path / "arcs.dxf"
    run("check", plan, "--mapping", mp, "--stock", SAMPLE_STOCK, "--arcs-dxf", out, status=1)
    # footprints as the plan draws them, by their id text
    pm = ezdxf.readfile(plan).modelspace()
    ids = [(shapely.Point(t.dxf.insert[0], t.dxf.insert[1]), t.dxf.text) for t in pm if t.dxf.layer == "BLDG-NO"]
    footprint: dict[str, shapely.Polygon] = {}
    for e in pm:
        if e.dxftype() == "LWPOLYLINE" and e.closed and e.dxf.layer in LAYER_OF.values():
            poly = shapely.Polygon([(x, y) for x, y, *_ in e.get_points()])
            sid = next(t for pt, t in ids if poly.covers(pt))
            footprint[sid] = poly
    checked = 0
    for e in ezdxf.readfile(out).modelspace():
        keyed, required, _v = _xdata(e)
        if "pes_sector" in keyed or "+" in keyed["pes"]:
            continue  # sectors of igloos and group unions: not all round a single footprint
        ring = shapely.Polygon([(x, y) for x, y, *_ in e.get_points()])
        fp = footprint[keyed["pes"]]
        # the arc is the footprint grown by the required distance (in mm), drawn inside its true curve
        assert ring.contains(fp), keyed
        gap_mm = shapely.hausdorff_distance(ring.exterior, fp.exterior)
        assert required * 1000.0 * 0.99 < gap_mm <= required * 1000.0 + 1.0, (keyed, gap_mm)
        checked += 1
    assert checked > 0


def test_arcs_dxf_needs_a_dxf_plan(tmp_path: Path) -> None:
    out, other = tmp_path / "arcs.dxf", tmp_path / "out.json"
    r = run("check", SAMPLE, "--arcs-dxf", out, "--out-json", other, status=2)
    assert "--arcs-dxf" in r.stderr and "only a DXF layout read with --mapping" in r.stderr, r.stderr
    assert not out.exists() and not other.exists()
    plan = tmp_path / "plan.dxf"
    draw(plan)
    r = run("check", plan, "--stock", SAMPLE_STOCK, "--arcs-dxf", out, status=2)
    assert "--arcs-dxf" in r.stderr, r.stderr
    assert not out.exists()


def test_insunits_codes() -> None:
    from depotsafe.dxfio import insunits
    from depotsafe.units import DRAWING_UNITS, drawing_unit_m

    # AutoCAD DXF Reference, $INSUNITS: 1 in, 2 ft, 4 mm, 5 cm, 6 m, 7 km, 10 yd, 14 dm, 21 US survey ft
    want = {"in": 1, "ft": 2, "mm": 4, "cm": 5, "m": 6, "km": 7, "yd": 10, "dm": 14, "us_survey_ft": 21}
    assert set(DRAWING_UNITS) <= set(want), set(DRAWING_UNITS) - set(want)
    for name in DRAWING_UNITS:
        assert insunits(drawing_unit_m(name, "units")) == want[name], name
    assert insunits(0.5) == 0
    assert CRS == "EPSG:32633"
