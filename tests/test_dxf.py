"""DXF site plans and mapping files (issue 15 item 1): ``depotsafe check plan.dxf --mapping map.json``.

The sample depot is drawn here with ezdxf as a CAD drawing would hold it: in millimetres, the
drawing's origin far from the depot and its axes turned against the grid, footprints as closed
polylines on one layer per kind, the road as an open polyline, ids and other attributes as TEXT and
MTEXT on attribute layers.  Read back through the installed ``depotsafe`` command with its mapping,
it must give the GeoJSON's sites (to 1 mm) and the GeoJSON's check (the GeoJSON run is the
reference, not a hard-coded output).  Bad drawings and mappings are refused per entity, exit 2,
nothing written.  A Shapefile with other field names and values reads with ``--mapping`` as the
original does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import ezdxf
import numpy as np
import pyproj
import pytest
import shapely
import shapely.geometry

from depotsafe.layout import read_layout
from test_gisio import (
    FEATURES,
    POLYS,
    ROUTES,
    SAMPLE,
    SAMPLE_STOCK,
    run,
    verdicts,
    write,
)

CRS = "EPSG:32633"
X0, Y0 = 12345.0, -6789.0  # drawing point [mm] ...
E0, N0 = 528000.0, 5494000.0  # ... at this UTM 33N point [m]
ROT = 23.5  # the drawing's x axis, degrees counter-clockwise from easting
LAYER_OF = {"igloo_7bar": "IGLOO-7", "igloo_3bar": "IGLOO-3", "barricaded_stack": "STACK-B",
            "unbarricaded_stack": "STACK-U", "workshop": "WORKSHOP", "inhabited_building": "HOUSE",
            "vulnerable_building": "SCHOOL", "public_traffic_route": "ROAD"}
TEXT_LAYERS = {"BLDG-NO": "id", "TITLE": "name", "DOOR": "front_bearing_deg", "PEOPLE": "persons",
               "SPARSE": "sparse"}
TO_UTM = pyproj.Transformer.from_crs("OGC:CRS84", CRS, always_xy=True)


def to_drawing(lon: float, lat: float) -> tuple[float, float]:
    """A WGS84 point in drawing millimetres (the inverse of the mapping's georeference)."""
    e, n = TO_UTM.transform(lon, lat)
    r = math.radians(ROT)
    de, dn = e - E0, n - N0
    return X0 + 1000.0 * (de * math.cos(r) + dn * math.sin(r)), Y0 + 1000.0 * (-de * math.sin(r) + dn * math.cos(r))


def grid_bearing(lon: float, lat: float, true_deg: float) -> float:
    """The UTM 33N grid bearing of a true bearing at a point (the drawing's bearings are on the CRS grid)."""
    lon2, lat2, _ = pyproj.Geod(ellps="WGS84").fwd(lon, lat, true_deg, 10.0)
    (e1, e2), (n1, n2) = TO_UTM.transform([lon, lon2], [lat, lat2])
    return math.degrees(math.atan2(e2 - e1, n2 - n1)) % 360.0


def mapping() -> dict[str, Any]:
    layers: dict[str, Any] = {v: k for k, v in LAYER_OF.items()}
    layers["ROAD"] = {"kind": "public_traffic_route", "traffic": "heavy"}
    return {"fields": dict(TEXT_LAYERS), "values": {"sparse": {"yes": True, "no": False}},
            "units": "mm", "crs": CRS,
            "georeference": {"drawing": [X0, Y0], "crs": [E0, N0], "rotation_deg": ROT},
            "layers": layers, "route_label_distance": "5 m"}


def draw(path: Path, feats: list[dict[str, Any]] = FEATURES, stock: bool = False) -> None:
    """The features as a DXF drawing in millimetres (footprints closed, the road open); ``stock``:
    each storehouse's stock list as a JSON TEXT on layer STOCK."""
    doc = ezdxf.new("R2010", units=4)  # $INSUNITS = mm
    for name in [*LAYER_OF.values(), *TEXT_LAYERS, "STOCK"]:
        if name not in doc.layers:
            doc.layers.add(name)
    msp = doc.modelspace()
    for f in feats:
        p = f["properties"]
        g = shapely.geometry.shape(f["geometry"])
        layer = LAYER_OF[p["kind"]]
        if g.geom_type == "Polygon":
            pts = [to_drawing(*c) for c in list(g.exterior.coords)[:-1]]
            msp.add_lwpolyline(pts, close=True, dxfattribs={"layer": layer})
            at = shapely.Polygon(pts).representative_point()
            spot = (at.x, at.y)
        else:
            pts = [to_drawing(*c) for c in g.coords]
            msp.add_lwpolyline(pts, dxfattribs={"layer": layer})
            (ax, ay), (bx, by) = pts[0], pts[1]  # 2 m beside the first segment's middle
            length = math.hypot(bx - ax, by - ay)
            spot = ((ax + bx) / 2 - 2000.0 * (by - ay) / length, (ay + by) / 2 + 2000.0 * (bx - ax) / length)
        if stock and "stock" in p:
            msp.add_text(json.dumps(p["stock"]), dxfattribs={"layer": "STOCK", "insert": spot})
        for tlayer, prop in TEXT_LAYERS.items():
            if prop not in p:
                continue
            v = p[prop]
            if prop == "front_bearing_deg":  # GeoJSON's bearings are true, the drawing's on the UTM grid
                v = grid_bearing(*g.centroid.coords[0], v)
            text = ("yes" if v else "no") if isinstance(v, bool) else repr(v) if isinstance(v, float) else str(v)
            if prop == "name":  # names as MTEXT, the rest as TEXT
                msp.add_mtext(text, dxfattribs={"layer": tlayer, "insert": spot})
            else:
                msp.add_text(text, dxfattribs={"layer": tlayer, "insert": spot})
    doc.saveas(path)


def write_mapping(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return json.loads(run("check", SAMPLE, "--json", status=1).stdout)


def _pairs(doc: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(p["pes"], p["es"], p["hd"]): p for p in doc["pairs"]}


def test_dxf_reads_back_to_the_same_depot_and_check(tmp_path: Path, reference: dict[str, Any]) -> None:
    plan, mp = tmp_path / "plan.dxf", write_mapping(tmp_path / "map.json", mapping())
    draw(plan)
    got = json.loads(run("check", plan, "--mapping", mp, "--stock", SAMPLE_STOCK, "--json", status=1).stdout)
    ref, new = _pairs(reference), _pairs(got)
    assert ref
    assert ref.keys() == new.keys()
    for k, p in ref.items():
        q = new[k]
        assert abs(p["distance_m"] - q["distance_m"]) < 1e-3, k
        assert (p["required_distance_m"], p["compliant"], p["rule"]) == (q["required_distance_m"], q["compliant"],
                                                                        q["rule"]), k
        assert p.keys() == q.keys(), k
        for a in p:  # everything else identical, every other length to the mm
            if isinstance(p[a], float) and a.endswith("_m"):
                assert abs(p[a] - q[a]) < 1e-3, (k, a)
            else:
                assert p[a] == q[a], (k, a)
    assert sorted(_pairs({"pairs": reference["violations"]})) == sorted(_pairs({"pairs": got["violations"]}))
    assert got["summary"] == reference["summary"]
    # licences follow from the distances: the same to 1 part in 10^6 (1 mm in 300 m is 1 in 10^4 of the NEQ)
    lic_ref = {s["id"]: s.get("licence_limit_kg") or {} for s in reference["sites"]}
    lic_got = {s["id"]: s.get("licence_limit_kg") or {} for s in got["sites"]}
    assert lic_ref.keys() == lic_got.keys()
    for sid, lim in lic_ref.items():
        assert lim.keys() == lic_got[sid].keys(), sid
        for hd, kg in lim.items():
            assert (kg is None) == (lic_got[sid][hd] is None), (sid, hd)
            if kg is not None:
                assert math.isclose(kg, lic_got[sid][hd], rel_tol=1e-6, abs_tol=1e-6), (sid, hd)
    # the same sites: attributes, and footprints to 1 mm once georeferenced
    a = read_layout(SAMPLE)
    b = read_layout(plan, SAMPLE_STOCK, mapping=mp)
    assert b.crs_name == CRS
    sa, sb = {s.id: s for s in a.sites}, {s.id: s for s in b.sites}
    assert sa.keys() == sb.keys()
    to_utm_a = pyproj.Transformer.from_crs("OGC:CRS84", CRS, always_xy=True)
    for sid, s in sa.items():
        t = sb[sid]
        assert (s.name, s.kind, s.traffic, s.persons, s.sparse, s.evacuable, s.door_barricade) == \
               (t.name, t.kind, t.traffic, t.persons, t.sparse, t.evacuable, t.door_barricade), sid
        assert (s.front_bearing_deg is None) == (t.front_bearing_deg is None), sid
        if s.front_bearing_deg is not None:  # 1e-5 degree: 0.2 mm across 1 km
            assert abs(s.front_bearing_deg - t.front_bearing_deg) < 1e-5, sid
        assert [e["neq"] for e in s.stock_entries] == [e["neq"] for e in t.stock_entries]
        # both in UTM 33N metres: the GeoJSON's through pyproj, the drawing's through its depot
        ga = shapely.transform(shapely.geometry.shape(next(f["geometry"] for f in FEATURES
                                                           if f["properties"]["id"] == sid)),
                               lambda xy: np.column_stack(to_utm_a.transform(xy[:, 0], xy[:, 1])))
        gb = shapely.transform(t.geometry, lambda xy: np.column_stack(to_utm_a.transform(*b.to_lonlat(xy[:, 0],
                                                                                                        xy[:, 1]))))
        assert shapely.equals_exact(shapely.normalize(ga), shapely.normalize(gb), tolerance=1e-3), sid


def _refused(tmp_path: Path, plan: Path, mp: Path, *needles: str) -> str:
    out = tmp_path / "out.json"
    r = run("check", plan, "--mapping", mp, "--stock", SAMPLE_STOCK, "--out-json", out, "--json", status=2)
    for n in needles:
        assert n in r.stderr, r.stderr
    assert not out.exists()
    assert r.stdout == ""
    return r.stderr


def test_open_polyline_on_a_footprint_layer(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    doc = ezdxf.readfile(plan)
    doc.modelspace().add_lwpolyline([(0, 0), (1000, 0), (1000, 1000)], dxfattribs={"layer": "IGLOO-7"})
    handle = doc.modelspace()[-1].dxf.handle
    doc.saveas(plan)
    _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", mapping()),
             f"layer 'IGLOO-7', entity {handle} (LWPOLYLINE): an open polyline on a footprint layer "
             "(kind igloo_7bar); allowed: a closed polyline")


def test_a_block_on_a_site_layer_is_refused_not_skipped(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    doc = ezdxf.readfile(plan)
    doc.modelspace().add_circle((0, 0), 5000, dxfattribs={"layer": "HOUSE"})
    handle = doc.modelspace()[-1].dxf.handle
    doc.saveas(plan)
    _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", mapping()),
             f"layer 'HOUSE', entity {handle} (CIRCLE): not read on a site layer; allowed: LWPOLYLINE")


def test_a_block_holding_a_site_is_refused(tmp_path: Path) -> None:
    """A storehouse drawn inside a block (inserted on an unmapped layer) would vanish: refused."""
    plan = tmp_path / "plan.dxf"
    draw(plan)
    doc = ezdxf.readfile(plan)
    blk = doc.blocks.new("MAGAZINE")
    blk.add_lwpolyline([(0, 0), (25000, 0), (25000, 10000), (0, 10000)], close=True, dxfattribs={"layer": "IGLOO-7"})
    doc.layers.add("SYMBOLS")
    doc.modelspace().add_blockref("MAGAZINE", (0, 0), dxfattribs={"layer": "SYMBOLS"})
    handle = doc.modelspace()[-1].dxf.handle
    doc.saveas(plan)
    _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", mapping()),
             f"layer 'SYMBOLS', entity {handle} (INSERT): a block reference (block 'MAGAZINE') whose block holds "
             "entities on layers the mapping reads (IGLOO-7); not read: explode it")


def test_unknown_layer_in_mapping(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    m = mapping()
    m["layers"]["BUNKER"] = "igloo_7bar"
    _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", m),
             "mapping layers: layer 'BUNKER' is not a layer of the drawing; it holds: ", "IGLOO-7")


@pytest.mark.parametrize(("units", "needle"), [
    (None, "units: missing; the drawing's length unit (never guessed)"),
    ("millimetre", "units: got 'millimetre'; allowed: m, mm, cm"),
    ("MM", "units: got 'MM'; allowed: m, mm"),
])
def test_missing_or_unknown_units(tmp_path: Path, units: str | None, needle: str) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    m = mapping()
    if units is None:
        m.pop("units")
    else:
        m["units"] = units
    _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", m), needle)


def test_footprint_without_id_and_with_two_ids(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    doc = ezdxf.readfile(plan)
    msp = doc.modelspace()
    ids = [e for e in msp if e.dxftype() == "TEXT" and e.dxf.layer == "BLDG-NO"]
    h1 = next(e for e in ids if e.dxf.text == "H1")
    a2 = next(e for e in ids if e.dxf.text == "A2")
    msp.add_text("A2-bis", dxfattribs={"layer": "BLDG-NO", "insert": a2.dxf.insert})
    extra = msp[-1].dxf.handle
    msp.delete_entity(h1)
    doc.saveas(plan)
    err = _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", mapping()),
                   "(LWPOLYLINE): no id text (a TEXT or MTEXT on layer 'BLDG-NO' inside it); every site needs one",
                   f"(LWPOLYLINE): 2 texts give id: entity {a2.dxf.handle} 'A2', entity {extra} 'A2-bis'; "
                   "one is allowed")
    assert "layer 'HOUSE', entity" in err
    assert "layer 'IGLOO-7', entity" in err


def test_text_in_no_site(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    doc = ezdxf.readfile(plan)
    doc.modelspace().add_text("stray", dxfattribs={"layer": "TITLE", "insert": (-9e6, -9e6)})
    handle = doc.modelspace()[-1].dxf.handle
    doc.saveas(plan)
    _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", mapping()),
             f"layer 'TITLE', entity {handle} (TEXT 'stray'): inside no footprint and not within 5 m of a route line")


def test_mapping_field_that_is_not_a_property(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    m = mapping()
    m["fields"]["PEOPLE"] = "occupants"
    m["fields"].pop("BLDG-NO")
    err = _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", m),
                   "fields.PEOPLE: got 'occupants'; not a depotsafe property; allowed: id, name, kind",
                   "fields: no layer of texts maps to id; every site needs an id text")
    assert "--mapping" in err


def test_dxf_without_mapping_and_geojson_with_mapping(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    out = tmp_path / "out.json"
    r = run("check", plan, "--out-json", out, status=2)
    assert "--mapping: got None; " in r.stderr
    assert "is a DXF drawing: give its mapping file" in r.stderr
    r = run("effects", plan, "--event", "A1", status=2)  # commands without --mapping say which read DXF
    assert "depotsafe check and batch read DXF drawings, with --mapping FILE" in r.stderr
    mp = write_mapping(tmp_path / "m.json", {"fields": {"BLDG_NO": "id"}})
    r = run("check", SAMPLE, "--mapping", mp, "--out-json", out, status=2)
    assert "only for a GIS file or a DXF drawing" in r.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- GIS files with other names

RENAME = {"id": "BLDG_NO", "kind": "TYPE", "front_bearing_deg": "DOOR", "persons": "STAFF"}
KIND_CODES = {"igloo_7bar": "IGL7", "igloo_3bar": "IGL3", "barricaded_stack": "STKB", "unbarricaded_stack": "STKU",
              "workshop": "WKSP", "inhabited_building": "HSE", "vulnerable_building": "SCHL",
              "public_traffic_route": "ROAD"}


def _renamed(feats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for f in feats:
        props = {RENAME.get(k, k): (KIND_CODES[v] if k == "kind" else v) for k, v in f["properties"].items()}
        out.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
    return out


def test_shapefile_with_other_names_and_a_mapping(tmp_path: Path, reference: dict[str, Any]) -> None:
    write(tmp_path / "sites.shp", _renamed(POLYS), "ESRI Shapefile")
    write(tmp_path / "routes.shp", _renamed(ROUTES), "ESRI Shapefile")
    mp = write_mapping(tmp_path / "m.json", {"fields": {v: k for k, v in RENAME.items()},
                                            "values": {"kind": {v: k for k, v in KIND_CODES.items()}}})
    args = [tmp_path / "sites.shp", "--layer", "sites", "--layer", "routes", "--stock", SAMPLE_STOCK]
    got = json.loads(run("check", *args, "--mapping", mp, "--json", status=1).stdout)
    assert verdicts(got) == verdicts(reference)
    # without the mapping the same files are refused (no id, no kind)
    out = tmp_path / "out.json"
    r = run("check", *args, "--out-json", out, status=2)
    assert "feature 0: id: missing; every feature needs a unique string id" in r.stderr
    assert "feature 0: kind: got None; allowed: igloo_7bar" in r.stderr
    # a mapped field the files do not hold, and a mapping of a DXF key, are refused
    bad = write_mapping(tmp_path / "bad.json", {"fields": {"BLDG_NUM": "id", "TYPE": "kind"}, "units": "m"})
    r = run("check", *args, "--mapping", bad, "--out-json", out, status=2)
    assert "units: not a key of a mapping file (only for a DXF drawing); allowed: fields, values" in r.stderr
    bad = write_mapping(tmp_path / "bad.json", {"fields": {"BLDG_NUM": "id", "TYPE": "kind"}})
    r = run("check", *args, "--mapping", bad, "--out-json", out, status=2)
    assert "mapping fields.BLDG_NUM (-> id): not a field of the layers 'sites', 'routes'" in r.stderr
    assert not out.exists()


def test_batch_reads_a_drawing_with_its_mapping(tmp_path: Path, reference: dict[str, Any]) -> None:
    """batch --mapping: the drawing's JSON is what check --mapping prints; a changed mapping is checked again.
    (batch takes no stock CSV: the stock lists stand in the drawing as JSON texts on a layer mapped to stock.)"""
    m = mapping()
    m["fields"]["STOCK"] = "stock"
    plan, mp = tmp_path / "plan.dxf", write_mapping(tmp_path / "map.json", m)
    draw(plan, stock=True)
    out = tmp_path / "out"
    run("batch", plan, "--mapping", mp, "--out", out, "--workers", "1", "--json", status=1)
    single = run("check", plan, "--mapping", mp, "--json", status=1).stdout
    assert (out / "plan.dxf.json").read_text() == single
    assert _pairs(json.loads(single)).keys() == _pairs(reference).keys()
    again = json.loads(run("batch", plan, "--mapping", mp, "--out", out, "--workers", "1", "--json",
                           status=1).stdout)
    assert again["summary"]["reused"] == 1
    m["route_label_distance"] = "6 m"  # the same depot, another mapping file: checked again
    write_mapping(mp, m)
    again = json.loads(run("batch", plan, "--mapping", mp, "--out", out, "--workers", "1", "--json",
                           status=1).stdout)
    assert again["summary"]["checked"] == 1
    # without --mapping the drawing is a failed row with check's message
    r = run("batch", plan, "--out", tmp_path / "out2", "--workers", "1", "--json", status=2)
    assert "is a DXF drawing: give its mapping file" in json.loads(r.stdout)["layouts"][0]["error"]


# --------------------------------------------------------------------------- geometry, units and texts, read directly

FT = 0.3048  # metres in an international foot (pint's, checked here by hand)


def _plan_in_feet(path: Path, extra: Any = None) -> Path:
    """A rectangle (LWPOLYLINE) and a circle of two bulges (POLYLINE 2D) on HOUSE, in feet."""
    doc = ezdxf.new("R2010")
    for name in ("HOUSE", "ROAD", "NO", "Mixed-Case"):
        doc.layers.add(name)
    msp = doc.modelspace()
    msp.add_lwpolyline([(0, 0), (100, 0), (100, 50), (0, 50)], close=True, dxfattribs={"layer": "HOUSE"})
    msp.add_text("R", dxfattribs={"layer": "NO", "insert": (50, 25)})
    circle = msp.add_polyline2d([(200, 0), (300, 0)], close=True, dxfattribs={"layer": "HOUSE"})
    for v in circle.vertices:
        v.dxf.bulge = 1.0  # two half circles: centre (250, 0), radius 50 ft
    msp.add_text("C", dxfattribs={"layer": "NO", "insert": (250, 0)})
    if extra is not None:
        extra(msp)
    doc.saveas(path)
    return path


def _feet_mapping(path: Path, **kw: Any) -> Path:
    m = {"fields": {"NO": "id"}, "units": "ft", "crs": "EPSG:32633",
         "georeference": {"drawing": [0, 0], "crs": [E0, N0], "rotation_deg": 90},
         "layers": {"house": "inhabited_building", "ROAD": "public_traffic_route"}} | kw
    return write_mapping(path, m)


def test_units_rotation_and_arcs(tmp_path: Path) -> None:
    """Feet, a quarter turn and bulges: the georeference formula by hand, arcs within 1 mm; layer names
    match whatever their case ('house' in the mapping is the drawing's HOUSE)."""
    from depotsafe.dxfio import read_dxf
    from depotsafe.mapping import read_mapping

    doc, _raw = read_dxf(_plan_in_feet(tmp_path / "p.dxf"), read_mapping(_feet_mapping(tmp_path / "m.json"), True))
    assert doc["crs"] == {"type": "name", "properties": {"name": "EPSG:32633"}}
    by_id = {f["properties"]["id"]: f for f in doc["features"]}
    assert by_id["R"]["properties"]["kind"] == "inhabited_building"
    # x east in the drawing points north on the grid (turned 90 degrees counter-clockwise): (x, y) ft
    # lands at (E0 - y ft, N0 + x ft)
    want = [(E0, N0), (E0, N0 + 100 * FT), (E0 - 50 * FT, N0 + 100 * FT), (E0 - 50 * FT, N0), (E0, N0)]
    got = by_id["R"]["geometry"]["coordinates"][0]
    assert len(got) == len(want)
    for (e, n), (we, wn) in zip(got, want, strict=True):
        assert abs(e - we) < 1e-6
        assert abs(n - wn) < 1e-6
    ring = by_id["C"]["geometry"]["coordinates"][0]
    ce, cn, r = E0, N0 + 250 * FT, 50 * FT
    assert len(ring) > 100  # flattened, not two chords
    for e, n in ring:
        d = math.hypot(e - ce, n - cn)
        assert r - 1e-3 <= d <= r + 1e-9  # vertices on the arc, chords within 1 mm of it
    assert abs(shapely.Polygon(ring).area - math.pi * r * r) < 2 * math.pi * r * 1e-3


def test_texts_that_belong_to_two_sites_or_repeat_a_layer_property(tmp_path: Path) -> None:
    from depotsafe.dxfio import read_dxf
    from depotsafe.errors import LayoutError
    from depotsafe.mapping import read_mapping

    def more(msp: Any) -> None:  # a footprint around the circle, and a road beside the rectangle
        msp.add_lwpolyline([(190, -60), (310, -60), (310, 60), (190, 60)], close=True, dxfattribs={"layer": "HOUSE"})
        msp.add_lwpolyline([(0, -20), (100, -20)], dxfattribs={"layer": "ROAD"})
        msp.add_text("ROAD-1", dxfattribs={"layer": "NO", "insert": (50, -21)})

    plan = _plan_in_feet(tmp_path / "p.dxf", more)
    m = _feet_mapping(tmp_path / "m.json", route_label_distance="1 m")
    with pytest.raises(LayoutError) as err:
        read_dxf(plan, read_mapping(m, True))
    text = str(err.value)
    assert "(TEXT 'C'): belongs to 2 sites (layer 'HOUSE', entity" in text
    assert "; it must belong to one" in text
    assert "no id text (a TEXT or MTEXT on layer 'NO' inside it)" in text  # the outer footprint lost its id
    assert "ROAD-1" not in text  # 1 ft from the road, within 1 m: its id
    # traffic from the layer and from a text: refused
    m = _feet_mapping(tmp_path / "m.json", fields={"NO": "id", "Mixed-Case": "traffic"},
                      layers={"HOUSE": "inhabited_building",
                              "ROAD": {"kind": "public_traffic_route", "traffic": "heavy"}},
                      route_label_distance="1 m")

    def both(msp: Any) -> None:
        msp.add_lwpolyline([(0, -20), (100, -20)], dxfattribs={"layer": "ROAD"})
        msp.add_text("ROAD-1", dxfattribs={"layer": "NO", "insert": (50, -21)})
        msp.add_text("light", dxfattribs={"layer": "MIXED-CASE", "insert": (50, -19)})

    with pytest.raises(LayoutError) as err:
        read_dxf(_plan_in_feet(tmp_path / "q.dxf", both), read_mapping(m, True))
    assert "(LWPOLYLINE): traffic given by the layer ('heavy', mapping layers) and by text entity" in str(err.value)
    assert "('light'); give it once" in str(err.value)


def test_a_geographic_crs_is_refused(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    draw(plan)
    m = mapping()
    m["crs"] = "EPSG:4326"
    m["georeference"]["rotation_deg"] = "23.5"
    _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", m),
             "crs: got 'EPSG:4326' (WGS 84); a projected CRS in metres is required",
             "georeference.rotation_deg: got '23.5'; a number of degrees")


def test_a_file_that_is_not_dxf(tmp_path: Path) -> None:
    plan = tmp_path / "plan.dxf"
    plan.write_text("0\nSECTION\nnot a drawing\n")
    _refused(tmp_path, plan, write_mapping(tmp_path / "m.json", mapping()), "cannot be read as DXF")
