"""GIS layouts read column by column (issue 15): ``gisio.read_gis_columns`` and
``layout._column_features`` against the per-feature reference (``gisio.read_gis``, a GeoJSON-like
document feature by feature, then the layout reader's per-feature path: ``layout._FAST_READ = False``).

Either way the same Depot, site by site and field by field, coordinates bit for bit, and the same
check; or, for a bad file, the same message word for word.  Checked on the sample depot's round trips
through GeoPackage, Shapefile, FlatGeobuf and KML (in longitude/latitude and in UTM), on the benchmark's
synthetic depot, on every kind of bad file the per-feature path words, and on random attribute tables
(hypothesis), written to files and given to the layout reader's columns directly.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotsafe import gisio, layout
from depotsafe.check import check_depot
from depotsafe.errors import LayoutError
from depotsafe.kinds import kinds
from depotsafe.report import write_json
from depotsafe.synthetic import synthetic_depot
from test_gisio import POLYS, ROUTES, SAMPLE_STOCK, make, write
from test_layout_fast_read import _same_value, assert_same_depot

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_formats.py"
GIS = ["gpkg", "shp", "fgb", "kml"]


def _read(path: Any, slow: bool, **kw: Any) -> tuple[tuple[str, Any], bool]:
    """read_layout with the bulk paths on (slow False) or off: its outcome, and whether the
    columns were taken (layout._column_features gave the features)."""
    took: list[bool] = []
    orig_fast, orig_cf = layout._FAST_READ, layout._column_features

    def spy(*args: Any) -> Any:
        out = orig_cf(*args)
        took.append(out is not None)
        return out

    layout._FAST_READ, layout._column_features = not slow, spy
    try:
        try:
            depot = layout.read_layout(path, **kw)
        except LayoutError as exc:
            return ("error", str(exc)), any(took)
    finally:
        layout._FAST_READ, layout._column_features = orig_fast, orig_cf
    return ("ok", depot), any(took)


def both_ways(path: Any, **kw: Any) -> tuple[tuple[str, Any], bool]:
    """Read both ways and require the same outcome; returns the bulk outcome and whether it took the columns."""
    fast, took = _read(path, False, **kw)
    slow, took_slow = _read(path, True, **kw)
    assert not took_slow
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "ok":
        assert_same_depot(fast[1], slow[1])
    else:
        assert fast == slow
    return fast, took


def _layers(args: list[Any]) -> list[str]:
    return [str(x) for x in args[2::2]]


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", GIS)
@pytest.mark.parametrize("to_crs", [None, "EPSG:32633"])
def test_round_trips_read_alike(fmt: str, to_crs: str | None, tmp_path: Path) -> None:
    if fmt == "kml" and to_crs:
        pytest.skip("KML holds longitude/latitude only")
    args = make(fmt, tmp_path, **({"to_crs": to_crs} if to_crs else {}))
    out, took = both_ways(args[0], stock_csv=SAMPLE_STOCK, layers=_layers(args))
    assert out[0] == "ok"
    assert took, "the columns of a plain GIS layout must be taken"
    assert out[1].crs_name == (to_crs or "OGC:CRS84")


def _check_json(depot: layout.Depot) -> dict[str, Any]:
    buf = io.StringIO()
    write_json(check_depot(depot), buf)
    return json.loads(buf.getvalue())


@pytest.mark.parametrize("fmt", GIS)
def test_round_trips_check_alike(fmt: str, tmp_path: Path) -> None:
    """The whole check's JSON, the input hash included, is the same either way."""
    args = make(fmt, tmp_path)
    (_s1, fast), took = _read(args[0], False, stock_csv=SAMPLE_STOCK, layers=_layers(args))
    (_s2, slow), _ = _read(args[0], True, stock_csv=SAMPLE_STOCK, layers=_layers(args))
    assert took
    a, b = _check_json(fast), _check_json(slow)
    assert a["pairs"]
    assert a == b


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_formats_for_tests", BENCH)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("fmt", GIS)
def test_the_benchmark_depot_reads_alike(fmt: str, tmp_path: Path) -> None:
    """The benchmark's synthetic depot in UTM 33N (KML: longitude/latitude), stock as the stock CSV."""
    bench = _bench()
    args = bench.make(fmt, bench._utm(synthetic_depot(1500, seed=1)), tmp_path)
    out, took = both_ways(str(args["path"]), stock_csv=str(args["stock"]), layers=list(args["layers"]))
    assert out[0] == "ok"
    assert took
    assert len(out[1].sites) == 1500


# --------------------------------------------------------------------------- bad files: the same words


def _copy(feats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return json.loads(json.dumps(feats))


def _file(fmt: str, folder: Path, feats: list[dict[str, Any]], **kw: Any) -> Path:
    p = folder / f"bad.{fmt}"
    write(p, feats, {"gpkg": "GPKG", "fgb": "FlatGeobuf", "kml": "KML", "shp": "ESRI Shapefile"}[fmt], **kw)
    return p


def refused(path: Any, *needles: str, **kw: Any) -> str:
    out, _took = both_ways(path, **kw)
    assert out[0] == "error"
    for n in needles:
        assert n in out[1], out[1]
    return out[1]


@pytest.mark.parametrize("fmt", GIS)
def test_missing_attributes_are_worded_alike(fmt: str, tmp_path: Path) -> None:
    feats = _copy(POLYS)
    feats[1]["properties"]["kind"] = None
    feats[2]["properties"].pop("front_bearing_deg")
    feats[3]["properties"]["id"] = feats[4]["properties"]["id"]
    refused(_file(fmt, tmp_path, feats), "feature 'A2': kind: got None; allowed: igloo_7bar",
            "feature 'A3': front_bearing_deg: missing; required for igloo_7bar", "id: duplicate")


@pytest.mark.parametrize("fmt", GIS)
def test_wrong_geometry_types_are_worded_alike(fmt: str, tmp_path: Path) -> None:
    feats = _copy(POLYS)
    feats[0]["geometry"] = {"type": "Point", "coordinates": [15.398, 49.6]}
    if fmt == "shp":  # one geometry type a Shapefile
        feats = feats[:1]
    refused(_file(fmt, tmp_path, feats), "feature 'A1': geometry type: got 'Point'; allowed for this kind: Polygon")


def test_multi_part_geometries(tmp_path: Path) -> None:
    """A multi-part geometry of one part is that part (the columns are taken); of two parts, refused alike."""
    feats = _copy(POLYS)
    feats[0]["geometry"] = {"type": "MultiPolygon", "coordinates": [feats[0]["geometry"]["coordinates"]]}
    out, took = both_ways(_file("gpkg", tmp_path, feats + _copy(ROUTES)))
    assert out[0] == "ok"
    assert took
    assert out[1].site("A1").geometry.geom_type == "Polygon"
    second = [[[x + 0.01, y] for x, y in feats[1]["geometry"]["coordinates"][0]]]
    feats[0]["geometry"]["coordinates"].append(second)
    (tmp_path / "two").mkdir()
    refused(_file("gpkg", tmp_path / "two", feats), "feature 'A1': geometry type: got 'MultiPolygon'")


def test_polygons_with_holes_are_taken(tmp_path: Path) -> None:
    feats = _copy(POLYS)
    ring = feats[0]["geometry"]["coordinates"][0]
    g = shapely.Polygon(ring)
    hole = shapely.get_coordinates(shapely.buffer(g.centroid, 1e-5, quad_segs=2)).tolist()
    feats[0]["geometry"]["coordinates"].append(hole[::-1])
    out, took = both_ways(_file("fgb", tmp_path, feats + _copy(ROUTES)))
    assert out[0] == "ok"
    assert took
    assert len(out[1].site("A1").geometry.interiors) == 1


def test_shapefile_texts_are_worded_alike(tmp_path: Path) -> None:
    stock = json.dumps([{"item": f"item number {i} of a long stock list", "hd": "1.1", "cg": "D", "neq": "1 t"}
                        for i in range(6)])
    feats = _copy(POLYS[:2])
    refused(_file("shp", tmp_path, feats, extra={"stock": [stock, None]}),
            "feature 'A1': stock (field 'stock'): got a text of 253 bytes; a Shapefile cannot hold a stock list")
    (tmp_path / "cut").mkdir()
    refused(_file("shp", tmp_path / "cut", feats, extra={"note": ["x" * 300, None]}),
            "feature 'A1': note (field 'note'): a text of 254 bytes, as wide as the Shapefile field (254 bytes")
    # GDAL makes a text field 80 bytes wide, or as wide as its longest text: a text of 79 bytes
    # (2 a character but one) is not cut, read, and the columns taken; one of 80 is refused
    (tmp_path / "ok").mkdir()
    out, took = both_ways(_file("shp", tmp_path / "ok", feats, extra={"note": ["é" * 39 + "x", None]}))
    assert out[0] == "ok"
    assert took
    assert out[1].site("A1").properties["note"] == "é" * 39 + "x"
    (tmp_path / "wide").mkdir()
    refused(_file("shp", tmp_path / "wide", feats, extra={"note": ["é" * 40, None]}),
            "feature 'A1': note (field 'note'): a text of 80 bytes, as wide as the Shapefile field (80 bytes")


def test_field_names_are_worded_alike(tmp_path: Path) -> None:
    feats = _copy(POLYS)
    refused(_file("fgb", tmp_path, feats, extra={"front_bear": [None] * len(feats)}),
            "fields 'front_bearing_deg' and 'front_bear' both name 'front_bearing_deg'; keep one")


def _mapping(folder: Path, doc: dict[str, Any]) -> Path:
    p = folder / "mapping.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def test_mappings_read_alike(tmp_path: Path) -> None:
    """Other field names and values through a mapping file: taken when plain, refused alike when not."""
    feats = _copy(POLYS)
    for f in feats:
        pr = f["properties"]
        pr["TYP"] = pr.pop("kind").upper()
        pr["NR"] = pr.pop("id")
    path = _file("gpkg", tmp_path, feats)
    upper = {k.upper(): k for k in kinds()}
    m = _mapping(tmp_path, {"fields": {"TYP": "kind", "NR": "id"}, "values": {"kind": upper}})
    out, took = both_ways(path, mapping=m)
    assert out[0] == "ok"
    assert took
    assert {s.kind for s in out[1].sites} == {f["properties"]["kind"] for f in POLYS}
    missing = _mapping(tmp_path, {"fields": {"TYP": "kind", "NR": "id", "NAME": "name"}})
    refused(path, "mapping fields.NAME (-> name): not a field of layer", "as the file spells them", mapping=missing)
    to_null = _mapping(tmp_path, {"fields": {"TYP": "kind", "NR": "id"},
                                  "values": {"kind": {**upper, "IGLOO_7BAR": None}}})
    refused(path, "kind: got None; allowed", mapping=to_null)


def test_crs_problems_are_worded_alike(tmp_path: Path) -> None:
    nocrs = tmp_path / "nocrs"
    nocrs.mkdir()
    refused(_file("shp", nocrs, POLYS, crs=None), "declares no CRS")  # type: ignore[arg-type]
    p = tmp_path / "two.gpkg"
    write(p, POLYS, "GPKG", layer="sites")
    write(p, ROUTES, "GPKG", layer="routes", append=True, to_crs="EPSG:32633")
    refused(p, "the layers read are in different CRSs (EPSG:32633, OGC:CRS84)", layers=["sites", "routes"])
    # a position with no place on the earth in UTM: found after the columns are taken, worded alike
    feats = _copy(POLYS)
    far = tmp_path / "far"
    far.mkdir()
    path = far / "far.gpkg"
    write(path, feats, "GPKG", to_crs="EPSG:32633")
    meta, _f, wkb, data = pyogrio.raw.read(path)
    geoms = shapely.from_wkb(wkb)
    geoms[0] = shapely.transform(geoms[0], lambda xy: xy + np.array([5e7, 0.0]))
    path.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.raw.write(path, shapely.to_wkb(geoms), data, meta["fields"], driver="GPKG", crs="EPSG:32633",
                          geometry_type="Unknown")
    _out, took = both_ways(path)
    assert took
    refused(path, "feature 'A1': geometry: position [", "is outside the area where EPSG:32633 is defined")


def test_stock_file_problems_are_worded_alike(tmp_path: Path) -> None:
    stock = tmp_path / "stock.csv"
    stock.write_text("site_id,item,hd,cg,quantity\nA1,x,1.1,D,5 t\nZZ,x,1.1,D,5 t\nA2,x,1.1,D,5\n", encoding="utf-8")
    path = _file("fgb", tmp_path, _copy(POLYS))
    _out, took = both_ways(path, stock_csv=stock)
    assert took
    refused(path, "row 3: site_id 'ZZ' is not a site of the layout", "quantity: got '5', a mass without a unit",
            stock_csv=stock)


def test_null_and_empty_geometries_are_worded_alike(tmp_path: Path) -> None:
    feats = _copy(POLYS)
    feats[0]["geometry"] = None
    feats[1]["geometry"] = {"type": "Polygon", "coordinates": []}
    refused(_file("gpkg", tmp_path, feats), "feature 'A1': geometry: got None",
            "feature 'A2': geometry: ring 0 has 0 positions; at least 4 are required")


# --------------------------------------------------------------------------- random attribute tables


_TEXTS = ["true", "false", "1", "0", "TRUE", " true ", "5.5", "4", "-1", "nan", "inf", "x", "", "A1", "heavy",
          "light", "igloo_7bar", "é" * 3, "[1]", '[{"hd": "1.1", "cg": "D", "neq": "5 t"}]']


def _table_column(draw: Any, n: int) -> tuple[str, np.ndarray]:
    """A field of a random attribute table, as GDAL gives it: text (None for null), integers, reals
    (NaN for null) or booleans."""
    name = draw(st.sampled_from(["persons", "door_barricade", "sparse", "very_sensitive", "traffic", "name",
                                 "population", "event_probability", "note", "indoors", "evacuable"]))
    kind = draw(st.sampled_from(["text", "int", "real", "bool"]))
    if kind == "text":
        vals = draw(st.lists(st.one_of(st.none(), st.sampled_from(_TEXTS)), min_size=n, max_size=n))
        return name, np.array(vals, dtype=object)
    if kind == "int":
        vals = draw(st.lists(st.integers(-2, 3), min_size=n, max_size=n))
        return name, np.array(vals, dtype=np.int32)
    if kind == "real":
        vals = draw(st.lists(st.one_of(st.just(math.nan), st.sampled_from([0.0, -0.0, 1.0, 2.5, 4.0, 1e300])),
                             min_size=n, max_size=n))
        return name, np.array(vals, dtype=np.float64)
    vals = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return name, np.array(vals, dtype=bool)


_KINDS = ["igloo_7bar", "barricaded_stack", "workshop", "inhabited_building", "public_traffic_route"]


@st.composite
def _tables(draw: Any) -> tuple[list[str], list[np.ndarray], np.ndarray]:
    n = draw(st.integers(1, 6))
    kinds_ = draw(st.lists(st.sampled_from(_KINDS), min_size=n, max_size=n))
    ids = [f"S{i}" for i in range(n)]
    if draw(st.booleans()):
        ids[draw(st.integers(0, n - 1))] = draw(st.sampled_from(["S0", "", " ", "a\tb", "x" * 300]))
    bearing = [draw(st.floats(0, 359.5)) if k == "igloo_7bar" else math.nan for k in kinds_]
    if draw(st.booleans()):
        bearing[draw(st.integers(0, n - 1))] = draw(st.sampled_from([math.nan, 360.0, -1.0, 12.0]))
    names = ["id", "kind", "front_bearing_deg"]
    data = [np.array(ids, dtype=object), np.array(kinds_, dtype=object), np.array(bearing, dtype=np.float64)]
    for _ in range(draw(st.integers(0, 4))):
        name, col = _table_column(draw, n)
        if name not in names:
            names.append(name)
            data.append(col)
    geoms = []
    for i, k in enumerate(kinds_):
        x0, y0 = 15.0 + 0.002 * i, 49.6
        if k == "public_traffic_route" and draw(st.booleans()):
            geoms.append(shapely.LineString([(x0, y0), (x0 + 0.001, y0 + 0.0005)]))
        else:
            geoms.append(shapely.box(x0, y0, x0 + 0.0004, y0 + 0.0003))
    return names, data, np.array(geoms, dtype=object)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(table=_tables(), fmt=st.sampled_from(["gpkg", "shp", "kml"]))
def test_random_attribute_tables_read_alike(tmp_path_factory: Any, table: Any, fmt: str) -> None:
    names, data, geoms = table
    folder = tmp_path_factory.mktemp("table")
    if fmt == "shp":  # one geometry type a Shapefile
        keep = shapely.get_type_id(geoms) == shapely.get_type_id(geoms[0])
        data, geoms = [c[keep] for c in data], geoms[keep]
    path = folder / f"t.{fmt}"
    driver = {"gpkg": "GPKG", "shp": "ESRI Shapefile", "kml": "KML"}[fmt]
    gtype = shapely.get_type_id(geoms[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.raw.write(path, shapely.to_wkb(geoms), data, names, driver=driver, crs="EPSG:4326",
                          geometry_type=("Polygon" if gtype == 3 else "LineString") if fmt == "shp" else "Unknown")
    both_ways(path)


def _ordinary_tables() -> Any:
    return _tables().filter(lambda t: len(set(t[1][0].tolist())) == len(t[1][0]))


def _doc_of(columns: dict[str, list[Any]], geoms: np.ndarray, crs_doc: dict[str, Any]) -> dict[str, Any]:
    """The document read_gis would build of these columns: absent properties left out, GeoJSON geometries."""
    n = len(geoms)
    feats = []
    for i in range(n):
        props = {k: v[i] for k, v in columns.items() if v[i] is not None}
        feats.append({"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geoms[i]))})
    return {"type": "FeatureCollection", "features": feats, **crs_doc}


_VALUES = {
    "front_bearing_deg": st.one_of(st.floats(0, 359.99), st.integers(0, 359), st.sampled_from([360, -1.0, "5", True])),
    "persons": st.one_of(st.none(), st.integers(0, 9), st.floats(0, 50), st.sampled_from([-1, math.inf, "4", False])),
    "door_barricade": st.one_of(st.none(), st.booleans(), st.sampled_from([0, 1, "true"])),
    "very_sensitive": st.one_of(st.none(), st.booleans()),
    "traffic": st.one_of(st.none(), st.sampled_from(["heavy", "light", "HEAVY", 1])),
    "stock": st.one_of(st.none(), st.sampled_from([[], "x", [1], [{"hd": "1.1", "cg": "D", "neq_kg": 100.0}]])),
    "name": st.one_of(st.none(), st.text(max_size=4), st.integers(0, 9)),
    "note": st.one_of(st.none(), st.text(max_size=4), st.floats(allow_nan=False)),
}


def _shape(draw: Any, i: int, kind: str, crs: str) -> Any:
    scale, x0, y0 = {"lonlat": (1e-5, 15.0, 49.6), "utm": (1.0, 500_000.0, 5_500_000.0),
                     "local": (1.0, 0.0, 0.0)}[crs]
    x, y = x0 + 100 * scale * i, y0
    box = shapely.box(x, y, x + 20 * scale, y + 10 * scale)
    choice = draw(st.sampled_from(["plain", "plain", "line", "hole", "multi", "bowtie", "point", "emptypart",
                                   "far"]))
    if choice == "line" or (choice == "plain" and kind == "public_traffic_route" and draw(st.booleans())):
        return shapely.LineString([(x, y), (x + 50 * scale, y + 5 * scale)])
    if choice == "hole":
        return shapely.Polygon(box.exterior.coords, [shapely.box(x + 5 * scale, y + 2 * scale, x + 8 * scale,
                                                                 y + 4 * scale).exterior.coords])
    if choice == "multi":
        return shapely.MultiPolygon([box, shapely.box(x, y + 20 * scale, x + 5 * scale, y + 25 * scale)])
    if choice == "bowtie":
        return shapely.Polygon([(x, y), (x + 10 * scale, y + 10 * scale), (x + 10 * scale, y), (x, y + 10 * scale)])
    if choice == "point":
        return shapely.Point(x, y)
    if choice == "emptypart":
        return shapely.from_wkt("MULTILINESTRING (EMPTY, (0 0, 1 1))") if kind == "public_traffic_route" else box
    if choice == "far":
        return shapely.box(x + 400 * scale, y, x + 420 * scale, y + 10 * scale)
    return box


@st.composite
def _column_tables(draw: Any) -> tuple[dict[str, list[Any]], np.ndarray, dict[str, Any]]:
    n = draw(st.integers(1, 6))
    crs = draw(st.sampled_from(["lonlat", "utm", "local"]))
    kinds_ = draw(st.lists(st.sampled_from([*_KINDS, "nonsense"]), min_size=n, max_size=n))
    columns: dict[str, list[Any]] = {"id": [f"S{i}" for i in range(n)], "kind": kinds_}
    if draw(st.booleans()):
        columns["id"][draw(st.integers(0, n - 1))] = draw(st.sampled_from(["S0", "", 7, "a\u200bb"]))
    columns["front_bearing_deg"] = [draw(_VALUES["front_bearing_deg"]) if k == "igloo_7bar" else None
                                    for k in kinds_]
    for prop in draw(st.lists(st.sampled_from(sorted(_VALUES)), max_size=4, unique=True)):
        if prop != "front_bearing_deg":
            columns[prop] = [draw(_VALUES[prop]) for _ in range(n)]
    geoms = np.array([_shape(draw, i, k, crs) for i, k in enumerate(kinds_)], dtype=object)
    crs_doc = {"lonlat": {}, "utm": {"crs": {"type": "name", "properties": {"name": "EPSG:32633"}}},
               "local": {"crs": {"type": "name", "properties": {"name": layout.LOCAL_METRES}}}}[crs]
    return columns, geoms, crs_doc


def _props(columns: dict[str, list[Any]], n: int) -> list[dict[str, Any]]:
    return [{k: v[i] for k, v in columns.items() if v[i] is not None} for i in range(n)]


def _assert_same_parsed(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    assert len(a) == len(b)
    for p, q in zip(a, b, strict=True):
        assert p.keys() == q.keys()
        for key in p:
            if key == "geom":
                assert shapely.to_wkb(p[key]) == shapely.to_wkb(q[key])  # bit for bit
            elif key == "flags":
                assert dict(p[key]) == dict(q[key])
            else:
                assert _same_value(p[key], q[key]), key


@settings(max_examples=400, deadline=None)
@given(_column_tables())
def test_columns_give_what_the_per_feature_path_gives(table: Any) -> None:
    """``_column_features`` on random columns: where it takes them, the per-feature path reads the same
    document (as read_gis builds it) without a problem and to the same features, field by field."""
    columns, geoms, crs_doc = table
    n = len(geoms)
    got = layout._column_features(columns, _props(columns, n), geoms, crs_doc, kinds())
    doc = _doc_of(columns, geoms, crs_doc)
    problems = layout._Problems("t")
    try:
        crs_name, _crs, _g, _c, ref = layout._slow_features(doc, "t", kinds(), problems)
    except LayoutError:
        assert got is None
        return
    if got is None:
        return  # left to the per-feature path: nothing to compare
    assert not problems.items, problems.items
    assert got[0] == crs_name
    _assert_same_parsed(got[2], ref)
    fast = layout._try_fast(_doc_of(columns, geoms, crs_doc), kinds())
    assert fast is not None
    _assert_same_parsed(got[2], fast[2])


@st.composite
def _plain_tables(draw: Any) -> tuple[dict[str, list[Any]], np.ndarray, dict[str, Any]]:
    """Tables with nothing wrong: every value of the type and range its property takes."""
    n = draw(st.integers(1, 8))
    kinds_ = draw(st.lists(st.sampled_from(_KINDS), min_size=n, max_size=n))
    columns: dict[str, list[Any]] = {
        "id": [f"S{i}" for i in range(n)], "kind": kinds_,
        "front_bearing_deg": [draw(st.floats(0, 359.99)) if k == "igloo_7bar" else None for k in kinds_],
        "persons": [draw(st.one_of(st.none(), st.integers(0, 9), st.floats(0, 50))) for _ in kinds_],
        "door_barricade": [draw(st.one_of(st.none(), st.booleans())) for _ in kinds_],
        "traffic": [draw(st.sampled_from([None, "heavy", "light"])) if k == "public_traffic_route" else None
                    for k in kinds_],
        "stock": [[{"hd": "1.1", "cg": "D", "neq_kg": 100.0}] if k in ("igloo_7bar", "workshop") else None
                  for k in kinds_],
        "name": [draw(st.one_of(st.none(), st.text(max_size=4))) for _ in kinds_],
    }
    geoms = np.array([shapely.box(500_000.0 + 100 * i, 5_500_000.0, 500_020.0 + 100 * i, 5_500_010.0)
                      for i in range(n)], dtype=object)
    return columns, geoms, {"crs": {"type": "name", "properties": {"name": "EPSG:32633"}}}


@settings(max_examples=100, deadline=None)
@given(_plain_tables())
def test_plain_columns_are_taken(table: Any) -> None:
    """Not a vacuous comparison: plain tables are taken, and read as the per-feature path reads them."""
    columns, geoms, crs_doc = table
    n = len(geoms)
    got = layout._column_features(columns, _props(columns, n), geoms, crs_doc, kinds())
    assert got is not None
    problems = layout._Problems("t")
    _name, _crs, _g, _c, ref = layout._slow_features(_doc_of(columns, geoms, crs_doc), "t", kinds(), problems)
    assert not problems.items
    _assert_same_parsed(got[2], ref)


def test_gis_columns_hold_what_read_gis_gives(tmp_path: Path) -> None:
    """read_gis_columns against read_gis on the sample's GeoPackage: each feature's properties
    (values and their types) and the same GeoJSON of each geometry; the same hashed bytes."""
    args = make("gpkg", tmp_path)
    cols = gisio.read_gis_columns(args[0], _layers(args))
    doc, raw = gisio.read_gis(args[0], _layers(args))
    assert cols is not None
    assert cols.raw == raw
    assert cols.crs == {k: v for k, v in doc.items() if k == "crs"}
    assert len(cols.props) == len(doc["features"])
    for p, g, f in zip(cols.props, cols.geoms, doc["features"], strict=True):
        assert _same_value(p, f["properties"])
        assert json.loads(shapely.to_geojson(g)) == f["geometry"]
    for k, vals in cols.columns.items():
        assert vals == [f["properties"].get(k) for f in doc["features"]]


# --------------------------------------------------------------------------- the projection beside the stock file


def _utm_file(folder: Path, shift_first: float = 0.0) -> Path:
    """The sample's footprints in UTM 33N as a GeoPackage; the first moved east by ``shift_first`` metres."""
    path = folder / "utm.gpkg"
    write(path, _copy(POLYS), "GPKG", to_crs="EPSG:32633")
    if shift_first:
        meta, _f, wkb, data = pyogrio.raw.read(path)
        geoms = shapely.from_wkb(wkb)
        geoms[0] = shapely.transform(geoms[0], lambda xy: xy + np.array([shift_first, 0.0]))
        path.unlink()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.raw.write(path, shapely.to_wkb(geoms), data, meta["fields"], driver="GPKG", crs="EPSG:32633",
                              geometry_type="Unknown")
    return path


def _bad_stock(folder: Path) -> Path:
    p = folder / "stock.csv"
    p.write_text("site_id,item,hd,cg,quantity\nZZ,x,1.1,D,5 t\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("shift", [5e7, 5e5])
def test_the_stock_file_is_worded_before_the_crs_area_and_extent(tmp_path: Path, shift: float) -> None:
    """The projection runs beside the stock file; its problems come after the stock file's, as when
    one came after the other: with both, only the stock file's are given; without a stock file
    problem, the projection's (a position outside the CRS's area; a site too far from the depot)."""
    path = _utm_file(tmp_path, shift_first=shift)
    projection_says = "outside the area where EPSG:32633" if shift > 1e6 else "from the depot's central meridian"
    text = refused(path, "site_id 'ZZ' is not a site of the layout", stock_csv=_bad_stock(tmp_path))
    assert projection_says not in text
    assert "1 problem in the layout" in text
    refused(path, "feature 'A1'", projection_says, stock_csv=SAMPLE_STOCK)


def test_what_the_projection_raises_is_raised_after_the_stock_file(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _utm_file(tmp_path)

    def broken(*_args: Any) -> Any:
        raise RuntimeError("PROJ failed")

    monkeypatch.setattr(layout, "_project", broken)
    with pytest.raises(LayoutError, match="site_id 'ZZ' is not a site"):
        layout.read_layout(path, stock_csv=_bad_stock(tmp_path))
    with pytest.raises(RuntimeError, match="PROJ failed"):
        layout.read_layout(path, stock_csv=SAMPLE_STOCK)
    with pytest.raises(RuntimeError, match="PROJ failed"):
        layout.read_layout(path)


def test_kml_layers_read_alike(tmp_path: Path) -> None:
    """A KML file's layers are listed beside its read: a named layer, an unknown one, a file GDAL
    cannot read and one over the size limit are read or refused as one after the other does."""
    path = tmp_path / "depot.kml"
    write(path, _copy(POLYS), "KML")
    name = str(pyogrio.list_layers(path)[0, 0])
    out, took = both_ways(path, layers=[name])
    assert out[0] == "ok"
    assert took
    assert out[1].input_sha256 == both_ways(path, layers=[name])[0][1].input_sha256
    refused(path, "--layer: got 'nope'; not a layer of", layers=["nope"])
    bad = tmp_path / "bad.kml"
    bad.write_text("<kml><Document><Placemark>", encoding="utf-8")
    refused(bad, "cannot be read")
    refused(path, "more than the limit of 0.001 MB", max_mb=0.001)
