"""Reading depot layouts: CRS handling, validation messages, stock, round trips."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from importlib import resources

import numpy as np
import pyproj
import pytest
import shapely

from depotsafe.errors import InputError, LayoutError
from depotsafe.layout import (
    LOCAL_METRES,
    buildings_from_table,
    depot_arrays,
    layout_to_geojson,
    read_layout,
    sector_masks,
)

SAMPLES = resources.files("depotsafe.data").joinpath("samples")
SAMPLE = SAMPLES.joinpath("sample_depot.geojson")
SAMPLE_STOCK = SAMPLES.joinpath("sample_depot_stock.csv")
CM = 0.01  # CRS round trips agree to a centimetre (brief)


def sample_fc():
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def all_distances(depot):
    g = np.array([s.geometry for s in depot.sites], dtype=object)
    return np.asarray(shapely.distance(g[:, None], g[None, :]))


def local_fc(features):
    return {"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
            "features": features}


def feat(fid, kind, coords, gtype="Polygon", **props):
    p = {"id": fid, "kind": kind, **props}
    return {"type": "Feature", "properties": p, "geometry": {"type": gtype, "coordinates": coords}}


SQUARE = [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]


# ---------------------------------------------------------------- the sample depot


def test_sample_depot_reads_and_matches_its_readme():
    d = read_layout(SAMPLE)
    assert len(d.sites) == 20
    assert d.crs_name == "OGC:CRS84"
    assert d.projection.startswith("+proj=tmerc")
    assert "+k=1" in d.projection
    kinds = [s.kind for s in d.sites]
    assert kinds.count("igloo_7bar") + kinds.count("igloo_3bar") == 8
    # doors face north; on the depot grid that is within the convergence
    # (~0.002 deg at 150 m from the central meridian at 49.6 N)
    for s in d.sites:
        if s.front_bearing_deg is not None:
            assert min(s.front_bearing_deg, 360 - s.front_bearing_deg) < 0.01
    # the intended violations listed in data/samples/README.md
    def dist(a, b):
        return d.site(a).geometry.distance(d.site(b).geometry)

    assert dist("A2", "H1") == pytest.approx(309.1, abs=0.05)
    assert dist("BS1", "BS2") == pytest.approx(15.0, abs=0.05)
    assert dist("BS2", "R1") == pytest.approx(252.5, abs=0.05)
    assert dist("A2", "SCH") == pytest.approx(838.6, abs=0.05)
    assert d.site("R1").traffic == "heavy"
    assert d.site("H4").sparse is True
    assert d.site("A3").stock_entries[0]["unit_neq_kg"] == 0.05
    assert d.site("H1").traffic is None
    assert d.site("A1").persons == 0.0


def test_sample_stock_csv_equals_inline_stock():
    fc = sample_fc()
    inline = read_layout(fc)
    for f in fc["features"]:
        f["properties"].pop("stock", None)
    from_csv = read_layout(fc, stock_csv=SAMPLE_STOCK)
    for a, b in zip(inline.sites, from_csv.sites, strict=True):
        assert [dict(e) for e in a.stock_entries] == [dict(e) for e in b.stock_entries]


def test_input_sha256_covers_layout_and_stock(tmp_path):
    lay = tmp_path / "d.geojson"
    fc = sample_fc()
    for f in fc["features"]:
        f["properties"].pop("stock", None)
    lay.write_text(json.dumps(fc))
    a = read_layout(lay)
    assert a.input_sha256 == hashlib.sha256(lay.read_bytes()).hexdigest()
    b = read_layout(lay, stock_csv=SAMPLE_STOCK)
    assert b.input_sha256 == hashlib.sha256(
        lay.read_bytes() + SAMPLE_STOCK.read_bytes()).hexdigest()
    assert a.input_sha256 != b.input_sha256


# ---------------------------------------------------------------- CRS


def _reproject(fc, crs):
    """The layout in another CRS, front bearings on that CRS's grid.

    Grid bearing = true bearing - meridian convergence (pyproj Factors),
    an independent route from the reader's transformed segment.
    """
    out = copy.deepcopy(fc)
    tr = pyproj.Transformer.from_crs("OGC:CRS84", crs, always_xy=True)
    proj = pyproj.Proj(crs)
    for f in out["features"]:
        g = f["geometry"]
        if g["type"] == "Polygon":
            g["coordinates"] = [[list(tr.transform(*p)) for p in r] for r in g["coordinates"]]
            c = shapely.geometry.shape({"type": "Polygon",
                                        "coordinates": f0_coords(fc, f)}).centroid
            b = f["properties"].get("front_bearing_deg")
            if b is not None:
                conv = proj.get_factors(c.x, c.y).meridian_convergence
                f["properties"]["front_bearing_deg"] = (b - conv) % 360.0
        else:
            g["coordinates"] = [list(tr.transform(*p)) for p in g["coordinates"]]
    out["crs"] = {"type": "name", "properties": {"name": crs}}
    return out


def f0_coords(fc, f):
    fid = f["properties"]["id"]
    return next(x for x in fc["features"] if x["properties"]["id"] == fid)["geometry"][
        "coordinates"]


@pytest.mark.parametrize("crs", ["EPSG:32633", "urn:ogc:def:crs:EPSG::32633", "EPSG:3857"])
def test_same_depot_in_any_crs_gives_same_distances_and_sectors(crs):
    fc = sample_fc()
    base = read_layout(fc)
    other = read_layout(_reproject(fc, crs))
    assert other.crs_name == crs
    np.testing.assert_allclose(all_distances(other), all_distances(base), rtol=0, atol=CM)
    for a, b in zip(base.sites, other.sites, strict=True):
        if a.front_bearing_deg is not None:
            diff = (a.front_bearing_deg - b.front_bearing_deg + 180) % 360 - 180
            assert abs(diff) < 1e-3
    fa, ba = depot_arrays(base)
    fb, bb = depot_arrays(other)
    n = len(base.sites)
    pes = np.repeat(np.flatnonzero(~np.isnan(ba)), n)
    es = np.tile(np.arange(n), int(np.sum(~np.isnan(ba))))
    keep = pes != es
    np.testing.assert_array_equal(sector_masks(fa, pes[keep], es[keep], ba),
                                  sector_masks(fb, pes[keep], es[keep], bb))


def test_web_mercator_is_never_taken_as_metres():
    fc = _reproject(sample_fc(), "EPSG:3857")
    a = next(f for f in fc["features"] if f["properties"]["id"] == "BS1")
    b = next(f for f in fc["features"] if f["properties"]["id"] == "BS2")
    raw = shapely.geometry.shape(a["geometry"]).distance(shapely.geometry.shape(b["geometry"]))
    d = read_layout(fc)
    true = d.site("BS1").geometry.distance(d.site("BS2").geometry)
    # Web Mercator spreads a degree of longitude over a cos(lat) (sphere of the
    # equatorial radius a); on the ground it is N cos(lat), N the prime-vertical
    # radius of curvature of WGS84: the ratio is a / (N cos lat) = 1.540 here
    lat = math.radians(49.6)
    e2 = 0.00669437999014  # WGS84 first eccentricity squared
    assert raw / true == pytest.approx(
        math.sqrt(1 - e2 * math.sin(lat) ** 2) / math.cos(lat), rel=1e-4)


def test_local_metres_are_used_as_they_are():
    fc = local_fc([feat("a", "igloo_7bar", SQUARE, front_bearing_deg=90.0),
                   feat("b", "inhabited_building",
                        [[[110, 0], [120, 0], [120, 10], [110, 10], [110, 0]]])])
    d = read_layout(fc)
    assert d.is_local
    assert d.projection == ""
    assert d.site("a").geometry.equals(shapely.geometry.shape(fc["features"][0]["geometry"]))
    assert d.site("a").front_bearing_deg == 90.0
    assert d.site("a").geometry.distance(d.site("b").geometry) == 100.0
    with pytest.raises(InputError, match="a local-metres layout has no longitude/latitude"):
        d.to_lonlat(0.0, 0.0)
    assert layout_to_geojson(d)["crs"]["properties"]["name"] == LOCAL_METRES


def test_metres_without_crs_are_refused():
    fc = local_fc([feat("a", "workshop", [[[0, 0], [500, 0], [500, 300], [0, 300], [0, 0]]])])
    del fc["crs"]
    with pytest.raises(LayoutError, match=r"position \[500, 0\] out of range; longitude"):
        read_layout(fc)


def test_to_lonlat_and_round_trip():
    d = read_layout(SAMPLE)
    c = d.site("A1").geometry.centroid
    lon, lat = d.to_lonlat(c.x, c.y)
    assert lon == pytest.approx(15.40 - 0.00208, abs=1e-4)  # 150 m west of 15.40 E
    assert lat == pytest.approx(49.60, abs=1e-5)
    again = read_layout(layout_to_geojson(d))
    np.testing.assert_allclose(all_distances(again), all_distances(d), rtol=0, atol=1e-6)
    for a, b in zip(d.sites, again.sites, strict=True):
        assert a.id == b.id
        if a.front_bearing_deg is not None:
            assert abs((a.front_bearing_deg - b.front_bearing_deg + 180) % 360 - 180) < 1e-6


def test_reordering_features_changes_nothing():
    fc = sample_fc()
    d = read_layout(fc)
    fc["features"] = fc["features"][::-1]
    r = read_layout(fc)
    for s in d.sites:
        t = r.site(s.id)
        assert t.geometry.equals_exact(s.geometry, 1e-9)
        assert t.front_bearing_deg == s.front_bearing_deg


# ---------------------------------------------------------------- site plans


def test_buildings_from_table_door_along_bearing():
    (f,) = buildings_from_table([{"id": "i", "kind": "igloo_7bar", "x_m": 100.0, "y_m": 50.0,
                                      "length_m": 25.0, "width_m": 10.0, "bearing_deg": 90.0}])
    assert f["properties"]["front_bearing_deg"] == 90.0
    g = shapely.geometry.shape(f["geometry"])
    assert g.bounds == pytest.approx((87.5, 45.0, 112.5, 55.0))  # length runs east
    # the first ring edge is the front face: the short side at x = 112.5
    ring = f["geometry"]["coordinates"][0]
    assert ring[0][0] == pytest.approx(112.5)
    assert ring[-2][0] == pytest.approx(112.5)
    (h,) = buildings_from_table([{"id": "h", "kind": "inhabited_building", "lon": 15.4,
                                      "lat": 49.6, "length_m": 10, "width_m": 8, "bearing_deg": 0}])
    assert "front_bearing_deg" not in h["properties"]
    d = read_layout({"type": "FeatureCollection", "features": [h]})
    assert d.site("h").geometry.area == pytest.approx(80.0, rel=1e-6)


@pytest.mark.parametrize(("row", "msg"), [
    ({"id": "x", "kind": "iglo", "x_m": 0, "y_m": 0, "length_m": 1, "width_m": 1, "bearing_deg": 0},
     r"row 0 \('x'\) kind: got 'iglo'; allowed: igloo_7bar"),
    ({"id": "x", "kind": "workshop", "x_m": 0, "y_m": 0, "length_m": -1, "width_m": 1, "bearing_deg": 0},
     r"length_m/width_m: got \(-1.0, 1.0\); both must be > 0 m"),
    ({"id": "x", "kind": "workshop", "x_m": 0, "y_m": 0, "length_m": 1, "width_m": 1},
     r"bearing_deg: got None; a finite number is required"),
    ({"id": "x", "kind": "workshop", "length_m": 1, "width_m": 1, "bearing_deg": 0},
     r"centre: got \(None, None\); x_m and y_m"),
    ({"id": "x", "kind": "workshop", "lon": 200.0, "lat": 0.0, "length_m": 1, "width_m": 1, "bearing_deg": 0},
     r"lon/lat: got \(200.0, 0.0\); longitude in \[-180, 180\]"),
])
def test_buildings_from_table_errors(row, msg):
    with pytest.raises(InputError, match=msg):
        buildings_from_table([row])


def test_buildings_from_table_refuses_mixed_centres():
    rows = [{"id": "a", "kind": "workshop", "x_m": 0.0, "y_m": 0.0, "length_m": 1, "width_m": 1,
                 "bearing_deg": 0},
            {"id": "b", "kind": "workshop", "lon": 1.0, "lat": 1.0, "length_m": 1, "width_m": 1,
                 "bearing_deg": 0}]
    with pytest.raises(InputError, match="all rows must give x_m/y_m, or all lon/lat"):
        buildings_from_table(rows)


# ---------------------------------------------------------------- validation


def _good():
    return [
        feat("ig", "igloo_7bar", SQUARE, front_bearing_deg=10.0,
             stock=[{"hd": "1.1", "cg": "D", "neq": "5 t"}]),
        feat("rd", "public_traffic_route", [[0, 50], [100, 50]], gtype="LineString"),
        feat("hs", "inhabited_building", [[[0, 100], [10, 100], [10, 110], [0, 110],
                                           [0, 100]]], persons=3, sparse=True),
    ]


def _mutate(index, **changes):
    feats = _good()
    for k, v in changes.items():
        if k == "geometry":
            feats[index]["geometry"] = v
        elif v is _DELETE:
            feats[index]["properties"].pop(k)
        else:
            feats[index]["properties"][k] = v
    return local_fc(feats)


_DELETE = object()
BOWTIE = [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]

VALIDATION_CASES = [
    (_mutate(0, id=_DELETE), r"feature 0: id: missing; every feature needs a unique string id"),
    (_mutate(2, id="ig"), r"feature 'ig': id: duplicate \(features 0 and 2\)"),
    (_mutate(0, id=7), r"feature 0: id: got 7; a string is required"),
    (_mutate(1, kind="road"), r"feature 'rd': kind: got 'road'; allowed: igloo_7bar, igloo_3bar"),
    (_mutate(2, geometry={"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
     r"feature 'hs': geometry type: got 'LineString'; allowed for this kind: Polygon"),
    (_mutate(1, geometry={"type": "Point", "coordinates": [0, 0]}),
     r"geometry type: got 'Point'; allowed for this kind: LineString, Polygon, MultiLineString"),
    (_mutate(2, geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
     r"feature 'hs': geometry: ring 0 is not closed \(first position \[0, 0\], last \[0, 1\]\)"),
    (_mutate(2, geometry={"type": "Polygon", "coordinates": BOWTIE}),
     r"feature 'hs': geometry: invalid \(Self-intersection\[5 5\]\)"),
    (_mutate(2, geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}),
     r"ring 0 has 3 positions; at least 4 are required"),
    (_mutate(1, geometry={"type": "LineString", "coordinates": [[0, 0], [float("nan"), 1]]}),
     r"feature 'rd': geometry: position \[nan, 1\] is not finite"),
    (_mutate(0, front_bearing_deg=_DELETE),
     r"feature 'ig': front_bearing_deg: missing; required for igloo_7bar"),
    (_mutate(0, front_bearing_deg=360.0),
     r"front_bearing_deg: got 360.0; a finite number in \[0, 360\) is required"),
    (_mutate(0, front_bearing_deg="north"),
     r"front_bearing_deg: got 'north'; a finite number in \[0, 360\) is required"),
    (_mutate(2, front_bearing_deg=10.0),
     r"feature 'hs': front_bearing_deg: given for inhabited_building; only earth-covered"),
    (_mutate(1, traffic="busy"), r"feature 'rd': traffic: got 'busy'; allowed: heavy, light"),
    (_mutate(2, traffic="light"),
     r"feature 'hs': traffic: given for inhabited_building; only public_traffic_route"),
    (_mutate(2, sparse="yes"), r"feature 'hs': sparse: got 'yes'; true or false is required"),
    (_mutate(2, evacuable=1), r"feature 'hs': evacuable: got 1; true or false is required"),
    (_mutate(0, door_barricade=None),
     r"feature 'ig': door_barricade: got None; true or false is required"),
    (_mutate(2, persons=-1), r"feature 'hs': persons: got -1; a finite number >= 0"),
    (_mutate(2, stock=[{"hd": "1.1", "cg": "D", "neq": "1 t"}]),
     r"feature 'hs': stock: given for inhabited_building, which holds no explosives"),
    (_mutate(0, stock={"hd": "1.1"}), r"feature 'ig': stock: must be a list of objects"),
]


@pytest.mark.parametrize(("fc", "msg"), VALIDATION_CASES)
def test_each_validation_message(fc, msg):
    with pytest.raises(LayoutError, match=msg):
        read_layout(fc)


def test_lon_lat_out_of_range():
    fc = {"type": "FeatureCollection", "features": [
        feat("a", "workshop", [[[10, 95], [11, 95], [11, 96], [10, 96], [10, 95]]])]}
    with pytest.raises(LayoutError, match=r"feature 'a': geometry: position \[10, 95\] out of "
                                          r"range; longitude must be in \[-180, 180\]"):
        read_layout(fc)


def test_all_problems_reported_together():
    feats = _good()
    feats[0]["properties"]["front_bearing_deg"] = -5
    feats[1]["properties"]["traffic"] = "busy"
    feats[2]["properties"]["kind"] = "house"
    with pytest.raises(LayoutError) as exc:
        read_layout(local_fc(feats))
    msg = str(exc.value)
    assert msg.startswith("layout: got '<dict>'; 3 problems in the layout:")
    assert exc.value.problems == (
        "feature 'ig': front_bearing_deg: got -5; a finite number in [0, 360) is required",
        "feature 'rd': traffic: got 'busy'; allowed: heavy, light",
        "feature 'hs': kind: got 'house'; allowed: " + ", ".join(
            __import__("depotsafe.kinds", fromlist=["kinds"]).kinds()),
    )


@pytest.mark.parametrize(("content", "msg"), [
    (b"", r"the file is empty; a GeoJSON FeatureCollection is required"),
    (b"   \n", r"the file is empty"),
    (b"{not json", r"not JSON \(Expecting property name"),
    (b'{"type": "Feature"}', r"type is 'Feature'; a GeoJSON FeatureCollection is required"),
    (b"[1, 2]", r"type is 'list'; a GeoJSON FeatureCollection is required"),
    (b'{"type": "FeatureCollection", "features": []}', r"the FeatureCollection has no features"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
     b'{"id": "a", "kind": "workshop"}, "geometry": {"type": "Polygon", "coordinates": '
     b'[[[0,0],[1,0],[1,1],[0,0]]]}}], "crs": {"type": "name", "properties": '
     b'{"name": "EPSG:999999"}}}', r"crs: got 'EPSG:999999'; not a CRS pyproj knows"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
     b'{"id": "a", "kind": "workshop"}, "geometry": {"type": "Polygon", "coordinates": '
     b'[[[0,0],[1,0],[1,1],[0,0]]]}}], "crs": "metres"}',
     r"crs: got 'metres'; expected .* or the name \"depotsafe:local-metres\""),
])
def test_file_level_errors(tmp_path, content, msg):
    p = tmp_path / "x.geojson"
    p.write_bytes(content)
    with pytest.raises(LayoutError, match=msg):
        read_layout(p)


def test_missing_file():
    with pytest.raises(LayoutError, match=r"layout: got '/nonexistent/x.geojson'; cannot be read"):
        read_layout("/nonexistent/x.geojson")


# ---------------------------------------------------------------- stock CSV


def _csv(tmp_path, text):
    p = tmp_path / "stock.csv"
    p.write_text(text)
    return p


def _no_stock():
    feats = _good()
    feats[0]["properties"].pop("stock")
    feats.append(feat("ws", "workshop", [[[50, 0], [60, 0], [60, 10], [50, 10], [50, 0]]]))
    return local_fc(feats)


def test_stock_csv_units_and_kg_column(tmp_path):
    d = read_layout(_no_stock(), _csv(tmp_path, "site_id,item,hd,cg,quantity,unit_neq_kg,form\n"
                                                "ig,shell,1.1,D,5 t,,\nws,fuze,1.2,E,800 kg,0.5,article\n"))
    assert d.site("ig").stock_entries == (
        {"hd": "1.1", "cg": "D", "item": "shell", "neq": "5 t"},)
    assert d.site("ws").stock_entries[0]["unit_neq_kg"] == 0.5
    assert d.site("ws").stock_entries[0]["form"] == "article"
    d2 = read_layout(_no_stock(), _csv(tmp_path, "site_id,item,hd,cg,quantity_kg,unit_neq_kg\n"
                                                 "ig,shell,1.1,D,5000,\n"))
    assert d2.site("ig").stock_entries[0]["neq_kg"] == 5000.0


@pytest.mark.parametrize(("text", "msg"), [
    ("site_id,item,hd,cg,quantity,unit_neq_kg\nnope,x,1.1,D,5 t,\n",
     r"stock file stock.csv row 2: site_id 'nope' is not a site of the layout"),
    ("site_id,item,hd,cg,quantity,unit_neq_kg\nhs,x,1.1,D,5 t,\n",
     r"stock file stock.csv row 2: site 'hs' is a inhabited_building, which holds no explosives"),
    ("site_id,item,hd,cg,quantity,unit_neq_kg\nig,x,1.1,D,5000,\n",
     r"row 2: quantity: got '5000', a mass without a unit; write e.g. '5000 kg'"),
    ("site_id,item,hd,cg,quantity,unit_neq_kg\nig,x,1.1,D,5 tons,\n",
     r"row 2: quantity: got '5 tons'; .*ambiguous"),
    ("site_id,item,hd,cg,quantity,unit_neq_kg\nig,x,1.1,D,5 m,\n",
     r"row 2: quantity: got '5 m'"),
    ("site_id,item,hd,cg,quantity_kg,unit_neq_kg\nig,x,1.1,D,five,\n",
     r"row 2: quantity_kg: got 'five'; a number of kilograms is required"),
    ("site_id,item,hd,cg,quantity,unit_neq_kg\nig,x,1.1,D,5 t,big\n",
     r"row 2: unit_neq_kg: got 'big'; a number of kilograms is required"),
    ("site_id,item,hd,cg\nig,x,1.1,D\n", r"lacks quantity \(or quantity_kg\)"),
    ("", r"stock file stock.csv: empty; expected a header line"),
])
def test_stock_csv_errors(tmp_path, text, msg):
    with pytest.raises(LayoutError, match=msg):
        read_layout(_no_stock(), _csv(tmp_path, text))


@pytest.mark.parametrize(("cell", "msg"), [
    ("9**9**9 kg", r"row 2: quantity: got '9\*\*9\*\*9 kg'; expressions are not accepted"),
    ("1,500 t", r"row 2: quantity: got '1,500 t'; group separators are not accepted.*'1500 t'"),
    ("\uff15 t", r"row 2: quantity: got .*only the ASCII digits"),
])
def test_stock_csv_quantity_grammar(tmp_path, cell, msg):
    text = f'site_id,item,hd,cg,quantity,unit_neq_kg\nig,x,1.1,D,"{cell}",\n'
    with pytest.raises(LayoutError, match=msg):
        read_layout(_no_stock(), _csv(tmp_path, text))


@pytest.mark.parametrize(("text", "msg"), [
    ("site_id,item,hd,cg,quantity,unit_neq_kg\nig,x,1.1,Q,5 t,\n", r"row 2: cg: got 'Q'; allowed: A, B"),
    ("site_id,item,hd,cg,quantity,unit_neq_kg\nig,x,1.1,D,5 t,6000\n",
     r"row 2: unit_neq_kg: got 6000.0; the NEQ of one round cannot exceed"),
    ("site_id,item,hd,cg,quantity_kg,unit_neq_kg\nig,x,1.1,D,1e9999,\n", r"row 2: quantity_kg: .*finite"),
    ("site_id,item,hd,cg,quantity_kg,unit_neq_kg\nig,x,1.1,D,\uff11\uff10,\n", r"row 2: quantity_kg: .*ASCII digits"),
])
def test_stock_csv_rows_checked_when_read(tmp_path, text, msg):
    with pytest.raises(LayoutError, match=msg):
        read_layout(_no_stock(), _csv(tmp_path, text))


def test_sample_stock_csv_gives_the_inline_result():
    """Issue 16 item 1: the CSV rows are stock lines the checker accepts."""
    from depotsafe.check import check_depot

    fc = sample_fc()
    for f in fc["features"]:
        f["properties"].pop("stock", None)
    from_csv = check_depot(read_layout(fc, SAMPLE_STOCK))
    inline = check_depot(read_layout(sample_fc()))
    assert from_csv.summary() == inline.summary()
    assert list(from_csv.iter_violations()) == list(inline.iter_violations())


def test_stock_given_twice(tmp_path):
    fc = _no_stock()
    fc["features"][0]["properties"]["stock"] = [{"hd": "1.1", "cg": "D", "neq": "1 t"}]
    with pytest.raises(LayoutError, match=re.escape(
            "feature 'ig': stock given both inline and in the stock file")):
        read_layout(fc, _csv(tmp_path, "site_id,item,hd,cg,quantity,unit_neq_kg\nig,x,1.1,D,5 t,\n"))


def test_site_lookup_error():
    d = read_layout(SAMPLE)
    with pytest.raises(InputError, match=r"site: got 'ZZ'; not in the layout \(ids include A1"):
        d.site("ZZ")
