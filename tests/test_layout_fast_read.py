"""read_layout's fast path (orjson, features checked in bulk, layout._fast_features) must
read every layout exactly as the per-feature path does (layout._FAST_READ = False):
the same Depot site by site and field by field, geometry coordinates bit for bit, or
the same error message.  Checked on the synthetic depots, the sample depot (in
longitude/latitude and in a projected CRS), and random small layouts, valid and not,
written as JSON text with the numbers and strings that the two JSON parsers could
read differently."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotsafe import layout, synthetic
from depotsafe.errors import LayoutError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"
SAMPLE_STOCK = ROOT / "data" / "samples" / "sample_depot_stock.csv"

_SITE_FIELDS = ("id", "name", "kind", "front_bearing_deg", "door_barricade", "traffic", "persons",
                "sparse", "evacuable", "stock_entries", "very_sensitive")


def _read(source, slow: bool, **kw):
    """read_layout with the fast path on or off; the depot, and whether the fast path took it."""
    took = []
    orig_fast, orig_ff = layout._FAST_READ, layout._fast_features

    def spy(doc, allkinds, *rest):
        out = orig_ff(doc, allkinds, *rest)
        took.append(out is not None)
        return out

    layout._FAST_READ, layout._fast_features = not slow, spy
    try:
        depot = layout.read_layout(source, **kw)
    finally:
        layout._FAST_READ, layout._fast_features = orig_fast, orig_ff
    return depot, any(took)


def _outcome(source, slow: bool, **kw):
    try:
        depot, took = _read(source, slow, **kw)
    except LayoutError as exc:
        return ("error", str(exc), getattr(exc, "problems", None)), False
    return ("ok", depot), took


def _same_value(a, b) -> bool:
    """Equal and of the same type all the way down (1 and 1.0, 0.0 and -0.0 differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return math.copysign(1.0, a) == math.copysign(1.0, b) and (a == b or (a != a and b != b))
    return a == b


def assert_same_depot(fast: layout.Depot, slow: layout.Depot) -> None:
    assert fast.crs_name == slow.crs_name
    assert fast.projection == slow.projection
    assert fast.input_sha256 == slow.input_sha256
    assert len(fast.sites) == len(slow.sites)
    assert dict(fast._index) == dict(slow._index)
    for a, b in zip(fast.sites, slow.sites, strict=True):
        for name in _SITE_FIELDS:
            assert _same_value(getattr(a, name), getattr(b, name)), (a.id, name)
        assert _same_value(dict(a.properties), dict(b.properties)), a.id
        assert a.geometry.geom_type == b.geometry.geom_type, a.id
        ca, cb = shapely.get_coordinates(a.geometry), shapely.get_coordinates(b.geometry)
        assert ca.shape == cb.shape, a.id
        assert np.array_equal(ca.view(np.int64), cb.view(np.int64)), a.id  # bit for bit
        assert shapely.to_wkb(a.geometry) == shapely.to_wkb(b.geometry), a.id
    assert (fast._to_wgs84 is None) == (slow._to_wgs84 is None)
    if fast._to_wgs84 is not None:
        x, y = shapely.get_coordinates(fast.sites[0].geometry)[0]
        assert fast.to_lonlat(x, y) == slow.to_lonlat(x, y)


def _both_ways(source, **kw) -> bool:
    fast, took = _outcome(source, slow=False, **kw)
    slow, _ = _outcome(source, slow=True, **kw)
    assert fast[0] == slow[0], (fast[:2], slow[:2])
    if fast[0] == "ok":
        assert_same_depot(fast[1], slow[1])
    else:
        assert fast == slow
    return took


def _write(tmp_path: Path, name: str, doc) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def _projected(doc: dict, epsg: str) -> dict:
    """The document with its coordinates in another CRS (bearings kept as grid bearings)."""
    tr = pyproj.Transformer.from_crs("OGC:CRS84", epsg, always_xy=True)
    out = copy.deepcopy(doc)
    for f in out["features"]:
        g = shapely.geometry.shape(f["geometry"])
        xy = shapely.get_coordinates(g)
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        f["geometry"] = shapely.geometry.mapping(shapely.set_coordinates(g, np.column_stack([x, y])))
        f["geometry"] = json.loads(json.dumps(f["geometry"]))
    out["crs"] = {"type": "name", "properties": {"name": epsg}}
    return out


@pytest.mark.parametrize("spec", ["rows", "yard", "synthetic"])
def test_synthetic_depots_read_alike(tmp_path, spec):
    doc = {"rows": lambda: synthetic.igloo_rows(1200, per_row=100),
           "yard": lambda: synthetic.dense_yard(600, n_houses=300),
           "synthetic": lambda: synthetic.synthetic_depot(2500, seed=1)}[spec]()
    assert _both_ways(doc), "the fast path must take a plain synthetic depot (dict)"
    assert _both_ways(_write(tmp_path, "d.geojson", doc)), "the fast path must take it as a file"


def test_sample_depot_reads_alike_with_and_without_its_stock_file(tmp_path):
    assert _both_ways(SAMPLE)
    bare = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for f in bare["features"]:
        f["properties"].pop("stock", None)
    assert _both_ways(_write(tmp_path, "bare.geojson", bare), stock_csv=SAMPLE_STOCK)
    # stock both inline and in the file: the same message either way
    fast, _ = _outcome(SAMPLE, slow=False, stock_csv=SAMPLE_STOCK)
    assert fast[0] == "error"
    assert "stock given both inline and in the stock file" in fast[1]
    _both_ways(SAMPLE, stock_csv=SAMPLE_STOCK)


@pytest.mark.parametrize("epsg", ["EPSG:32633", "EPSG:3857"])
def test_sample_depot_in_a_projected_crs_reads_alike(tmp_path, epsg):
    doc = _projected(json.loads(SAMPLE.read_text(encoding="utf-8")), epsg)
    assert _both_ways(_write(tmp_path, "p.geojson", doc))
    fast, _ = _read(_write(tmp_path, "p.geojson", doc), slow=False)
    assert any(s.front_bearing_deg is not None for s in fast.sites)


def test_a_geographic_synthetic_depot_reads_alike(tmp_path):
    """Thousands of earth-covered sites in longitude/latitude: bearings carried to the grid at once."""
    doc = synthetic.igloo_rows(800, per_row=40, n_houses=50)
    tr = pyproj.Transformer.from_crs(layout._tm_proj(15.4, 49.6), "OGC:CRS84", always_xy=True)
    for f in doc["features"]:
        ring = np.asarray(f["geometry"]["coordinates"][0], dtype=float)
        lon, lat = tr.transform(ring[:, 0], ring[:, 1])
        f["geometry"]["coordinates"] = [np.column_stack([lon, lat]).tolist()]
        if "front_bearing_deg" in f["properties"]:
            f["properties"]["front_bearing_deg"] = (f["properties"]["front_bearing_deg"] + 7.25) % 360.0
    del doc["crs"]
    assert _both_ways(_write(tmp_path, "g.geojson", doc))


# ------------------------------------------------------------------ random small layouts

_KINDS = ["igloo_7bar", "heavy_walled", "inhabited_building", "public_traffic_route", "workshop"]

_GEOMETRY_CHANGES = ["line", "open", "unclosed", "bowtie", "three_d", "hole", "int", "inf", "far", "multiline", "none",
                     "short_line", "huge_int", "extra_key", "polygon"]
_PROPERTY_CHANGES = [
    ("id", ["S0", "", " ", "a\tb", "\u00e9\u00a0x", 5, None, "x" * 300, "DROP"]),
    ("kind", ["unknown_kind", 7, ["igloo_7bar"], "DROP"]),
    ("front_bearing_deg", [None, 0, 90.5, 360, -1, "90", True, math.nan, "DROP"]),
    ("traffic", [None, "heavy", "light", "busy", 3]),
    ("persons", [None, 0, 3, 2.5, -1, -0.0, "4", math.inf, False]),
    ("door_barricade", [None, True, False, 1, "yes"]),
    ("sparse", [True, 0]),
    ("evacuable", [True, None]),
    ("very_sensitive", [None, True, False]),
    ("stock", [None, [], [{"hd": "1.1", "cg": "D", "neq": "1 t"}], [7], {"hd": "1.1"}]),
    ("name", [None, "Igloo", 12, ["deep", ["er"]]]),
    ("extra", [{"a": {"b": [1, 2.0, {"c": None}]}}, [[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]),
]
_FEATURE_CHANGES = ["props_none_feature_id", "props_list", "type_typo", "not_a_dict", "feature_bbox"]


def _change_geometry(v: str, x: float, y: float, d: float, ring: list) -> object:
    if v == "line":
        return {"type": "LineString", "coordinates": ring[:3]}
    if v == "polygon":
        return {"type": "Polygon", "coordinates": [ring]}
    if v == "open":
        return {"type": "Polygon", "coordinates": [[*ring[:-1], [x + d / 2, y]]]}
    if v == "unclosed":  # a valid ring once closed, but not closed
        return {"type": "Polygon", "coordinates": [ring[:-1]]}
    if v == "bowtie":
        return {"type": "Polygon", "coordinates": [[ring[0], ring[2], ring[1], ring[3], ring[0]]]}
    if v == "three_d":
        return {"type": "Polygon", "coordinates": [[[*p, 1.5] for p in ring]]}
    if v == "hole":
        h = d / 4
        return {"type": "Polygon", "coordinates": [ring, [[x + h, y + h], [x + 2 * h, y + h],
                                                          [x + 2 * h, y + 2 * h], [x + h, y + h]]]}
    if v == "int":
        xi, yi = int(x), int(y)
        return {"type": "Polygon", "coordinates": [[[xi, yi], [xi + 1, yi], [xi + 1, yi + 1], [xi, yi]]]}
    if v == "inf":
        return {"type": "Polygon", "coordinates": [[[math.inf, y], *ring[1:-1], [math.inf, y]]]}
    if v == "far":
        return {"type": "Polygon", "coordinates": [[[p[0] + 200.0, p[1]] for p in ring]]}
    if v == "multiline":
        return {"type": "MultiLineString", "coordinates": [ring[:2], ring[2:4]]}
    if v == "short_line":
        return {"type": "LineString", "coordinates": [ring[0], ring[0]]}
    if v == "huge_int":
        return {"type": "Polygon", "coordinates": [[[2**60, y], *ring[1:-1], [2**60, y]]]}
    if v == "extra_key":
        return {"type": "Polygon", "coordinates": [ring], "bbox": [x, y, x + d, y + 2 * d]}
    return None


_CHANGES = ([("geometry", v) for v in _GEOMETRY_CHANGES]
            + [("property", key, v) for key, values in _PROPERTY_CHANGES for v in values]
            + [("feature", how) for how in _FEATURE_CHANGES])


def _site(i: int, kind: str, x: float, y: float, geographic: bool, extra: int = 0) -> tuple[dict, list]:
    """A valid site of this kind (``extra`` picks among its optional properties)."""
    d = 1e-4 if geographic else 10.0
    ring = [[x, y], [x + d, y], [x + d, y + 2 * d], [x, y + 2 * d], [x, y]]
    geom = ({"type": "LineString", "coordinates": ring[:3]} if kind == "public_traffic_route"
            else {"type": "Polygon", "coordinates": [ring]})
    props: dict = {"id": f"S{i}", "kind": kind}
    if kind == "igloo_7bar":
        props["front_bearing_deg"] = [0, 45.0, 359.5][extra % 3]
    if kind in ("igloo_7bar", "heavy_walled") and extra % 2:
        props["stock"] = [{"hd": "1.1", "cg": "D", "neq": "2 t"}]
    if kind == "inhabited_building" and extra % 2:
        props["persons"] = [4, 2.5][extra % 4 // 2]
    return {"type": "Feature", "properties": props, "geometry": geom}, ring


def _changed(feat: dict, ring: list, change: tuple, geographic: bool) -> object:
    """The feature changed in one way (a new object; ``feat`` is left as it is)."""
    feat = copy.deepcopy(feat)
    x, y = ring[0]
    d = 1e-4 if geographic else 10.0
    if change[0] == "geometry":
        feat["geometry"] = _change_geometry(change[1], x, y, d, ring)
    elif change[0] == "property":
        _, key, v = change
        if v == "DROP":
            feat["properties"].pop(key, None)
        else:
            feat["properties"][key] = v
    else:
        how = change[1]
        if how == "props_none_feature_id":
            return {"type": "Feature", "properties": None, "geometry": feat["geometry"], "id": 3}
        if how == "props_list":
            return {"type": "Feature", "properties": [1], "geometry": feat["geometry"]}
        if how == "type_typo":
            feat["type"] = "Fature"
        elif how == "not_a_dict":
            return [feat]
        else:
            feat["bbox"] = [x, y, x + d, y + d]
    return feat


@st.composite
def _features(draw, geographic: bool):
    """A few valid sites, each changed in one way now and then (most layouts stay valid)."""
    n = draw(st.integers(1, 6))
    feats = []
    for i in range(n):
        kind = draw(st.sampled_from(_KINDS))
        x = draw(st.floats(15.0, 15.01) if geographic else st.floats(-2000, 2000))
        y = draw(st.floats(49.0, 49.01) if geographic else st.floats(-2000, 2000))
        feat, ring = _site(i, kind, x, y, geographic, draw(st.integers(0, 5)))
        if draw(st.integers(0, 2)) == 0:
            feat = _changed(feat, ring, draw(st.sampled_from(_CHANGES)), geographic)
        feats.append(feat)
    return feats


@pytest.mark.parametrize("geographic", [False, True])
def test_every_single_change_reads_alike(geographic):
    """Each change, alone, to each site of a small valid layout: the same depot or message."""
    base = []
    for i, kind in enumerate(_KINDS):
        x, y = (15.0 + 0.001 * i, 49.0) if geographic else (30.0 * i, 0.0)
        base.append(_site(i, kind, x, y, geographic, extra=i))

    def doc(feats):
        d: dict = {"type": "FeatureCollection", "features": feats}
        if not geographic:
            d["crs"] = {"type": "name", "properties": {"name": layout.LOCAL_METRES}}
        return d

    assert _both_ways(doc([f for f, _ in base])), "the fast path must take the valid layout"
    taken = 0
    for k, (feat, ring) in enumerate(base):
        for change in _CHANGES:
            feats = [f for f, _ in base]
            feats[k] = _changed(feat, ring, change, geographic)
            taken += _both_ways(doc(feats))
    assert taken > 0


@st.composite
def _layouts(draw):
    geographic = draw(st.booleans())
    doc: dict = {"type": "FeatureCollection", "features": draw(_features(geographic))}
    if not geographic:
        doc["crs"] = {"type": "name", "properties": {"name": layout.LOCAL_METRES}}
    elif draw(st.integers(0, 5)) == 0:
        doc["crs"] = draw(st.sampled_from([{"type": "name", "properties": {"name": "EPSG:4326"}},
                                           {"type": "name", "properties": {"name": "nowhere"}}, 5]))
    if draw(st.integers(0, 5)) == 0:
        doc["type"] = "Feature"
    return doc


_TEXT_EDITS = [
    None, None, None,
    ('"S0"', '"S\\ud800"'),  # a lone surrogate: orjson refuses it, json reads it
    ('"S0"', '"S\\u00e9\\ud83d\\ude00"'),  # escapes, a surrogate pair
    ("45.0", "45.000000000000000000001"),  # a long digit run: json's integer hook
    ("45.0", "4.5e1"),
    ("45.0", "NaN"),
    ("45.0", "1e400"),
    ('"kind"', '"kind": "x", "kind"'),  # a duplicate key: the last one counts
    ('"type": "FeatureCollection"', '"type": "FeatureCollection", "name": "d", "bbox": [0, 0, 1, 1]'),
    ("BOM", None),
    ("TRAIL", None),
    ("DEEP", None),
]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_layouts(), st.sampled_from(_TEXT_EDITS))
def test_random_layouts_read_alike(tmp_path_factory, doc, edit):
    _both_ways(doc)
    text = json.dumps(doc, allow_nan=True)
    if edit == ("BOM", None):
        data = b"\xef\xbb\xbf" + text.encode()
    elif edit == ("TRAIL", None):
        data = (text + " x").encode()
    elif edit == ("DEEP", None):
        data = text.replace('"features"', '"deep": ' + "[" * 990 + "]" * 990 + ', "features"', 1).encode()
    else:
        if edit is not None:
            text = text.replace(edit[0], edit[1], 1)
        data = text.encode()
    p = tmp_path_factory.mktemp("fast") / "layout.geojson"
    p.write_bytes(data)
    _both_ways(p)


def test_values_no_float_can_hold_read_alike():
    """A dict given by a caller may hold integers beyond any float: the per-feature path's answer."""
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": layout.LOCAL_METRES}},
           "features": [{"type": "Feature", "properties": {"id": "A", "kind": "inhabited_building"},
                         "geometry": {"type": "Polygon", "coordinates": [[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0],
                                                                          [0.0, 0.0]]]}}]}
    for where in ("coordinate", "persons", "bearing"):
        d = copy.deepcopy(doc)
        f = d["features"][0]
        if where == "coordinate":
            f["geometry"]["coordinates"][0][1][0] = 10**400
        elif where == "persons":
            f["properties"]["persons"] = 10**400
        else:
            f["properties"].update(kind="igloo_7bar", front_bearing_deg=10**400)
        results = []
        for slow in (False, True):
            try:
                results.append(_outcome(d, slow)[0][:2])
            except OverflowError as exc:  # what the per-feature path does with such a dict
                results.append(("OverflowError", str(exc)))
        assert results[0] == results[1], where


def test_quick_parse_leaves_to_json_what_it_could_read_otherwise():
    assert layout._quick_parse(b'{"a": 1, "a": [2.5, -0.0, 12345678901234567]}') == {"a": [2.5, -0.0,
                                                                                        12345678901234567]}
    for text in (b'{"a": NaN}', b'{"a": 1e400}', b'{"a": "\\ud800"}', b'{"a": 1234567890123456789}',
                 b"\xff{}", b'{"a": 1} x', b"[" * 2000 + b"]" * 2000):
        assert layout._quick_parse(text) is None, text
    assert layout._quick_parse(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_grid_bearings_match_one_transform_per_site():
    """_grid_bearings gives, bit for bit, what one geodesic step and transform per site gives."""
    rng = np.random.default_rng(3)
    fwd_geo = pyproj.Transformer.from_crs("OGC:CRS84", layout._tm_proj(15.4, 49.6), always_xy=True)
    fwd_utm = pyproj.Transformer.from_crs("EPSG:32633", layout._tm_proj(15.4, 49.6), always_xy=True)
    geod = pyproj.Geod(ellps="WGS84")
    for geographic, fwd, (x0, y0, d) in ((True, fwd_geo, (15.4, 49.6, 0.05)),
                                         (False, fwd_utm, (530_000.0, 5_494_000.0, 5000.0))):
        parsed = []
        for _ in range(300):
            x, y = x0 + rng.uniform(-d, d), y0 + rng.uniform(-d, d)
            g = shapely.box(x, y, x + d / 500, y + d / 300)
            b = None if rng.random() < 0.2 else float(rng.uniform(0, 360))
            parsed.append({"geom": g, "bearing": b})
        got = layout._grid_bearings(parsed, fwd, geographic)
        for p, b in zip(parsed, got, strict=True):
            if p["bearing"] is None:
                assert b is None
                continue
            c = p["geom"].centroid
            if geographic:
                lon1, lat1, _ = geod.fwd(c.x, c.y, p["bearing"], layout._BEARING_STEP_M)
                (xa, xb), (ya, yb) = fwd.transform([c.x, lon1], [c.y, lat1])
            else:
                br = math.radians(p["bearing"])
                (xa, xb), (ya, yb) = fwd.transform(
                    [c.x, c.x + layout._BEARING_STEP_M * math.sin(br)],
                    [c.y, c.y + layout._BEARING_STEP_M * math.cos(br)])
            assert b == layout._bearing_of(xb - xa, yb - ya)


# ------------------------------------------------------------------ Site records and ownership


def test_sites_are_what_the_dataclass_builds(tmp_path):
    """layout._new_sites gives each Site the attributes ``Site(...)`` gives it: same values (the
    same objects), same order, still frozen."""
    doc = synthetic.synthetic_depot(400, seed=5)
    for source in (doc, _write(tmp_path, "d.geojson", doc), SAMPLE):
        for slow in (False, True):
            depot, _ = _read(source, slow)
            for s in depot.sites:
                built = layout.Site(**{name: getattr(s, name) for name in layout._SITE_FIELDS})
                assert built == s
                assert list(vars(s)) == list(vars(built)) == list(layout._SITE_FIELDS)
                assert all(vars(s)[k] is vars(built)[k] for k in vars(s))
                with pytest.raises(dataclasses.FrozenInstanceError):
                    s.kind = "workshop"  # type: ignore[misc]


def test_a_callers_dict_is_copied_and_a_parsed_file_is_not_shared(tmp_path):
    """A layout given as a dict: the depot keeps copies of its properties and stock (the caller may
    change them after); a file's own parse is kept as it is, and two reads share nothing."""
    doc = synthetic.synthetic_depot(60, seed=2)
    k = next(i for i, f in enumerate(doc["features"]) if f["properties"].get("stock"))
    for slow in (False, True):
        depot, took = _read(doc, slow)
        assert took != slow
        props = doc["features"][k]["properties"]
        site = depot.site(props["id"])
        assert site.properties is not props
        assert site.properties == props
        assert site.stock_entries[0] is not props["stock"][0]
        assert site.stock_entries[0] == props["stock"][0]
    path = _write(tmp_path, "d.geojson", doc)
    a, took = _read(path, slow=False)
    b, _ = _read(path, slow=False)
    assert took
    sid = doc["features"][k]["properties"]["id"]
    assert a.site(sid).properties == b.site(sid).properties
    assert a.site(sid).properties is not b.site(sid).properties
    assert a.site(sid).stock_entries[0] is not a.site(sid).properties["stock"][0]
