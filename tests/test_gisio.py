"""GIS layouts in and out (issue 15 item 1): GeoPackage, Shapefile, FlatGeobuf, KML through pyogrio.

Every file here is written by pyogrio (GDAL) from the sample depot's GeoJSON, as a GIS tool would
write it, then checked through the installed ``depotsafe`` command and compared with the check of
the GeoJSON itself: the same pairs, licences and violations (the GeoJSON run is the reference, not
a hard-coded output).  Bad files give the layout reader's per-feature messages, exit 2, and no file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import pyproj
import pytest
import shapely

from depotsafe.gisio import PROPERTIES, field_map
from depotsafe.layout import read_layout

SAMPLES = resources.files("depotsafe.data").joinpath("samples")
SAMPLE = Path(str(SAMPLES.joinpath("sample_depot.geojson")))
SAMPLE_STOCK = Path(str(SAMPLES.joinpath("sample_depot_stock.csv")))
FEATURES = json.loads(SAMPLE.read_text())["features"]


def _exe() -> str:
    here = Path(sys.executable).parent / "depotsafe"
    found = str(here) if here.exists() else shutil.which("depotsafe")
    assert found, "the depotsafe console script is not installed"
    return found


def run(*args: str | Path, status: int | None = None) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([_exe(), *map(str, args)], capture_output=True, text=True, timeout=300,
                         env=os.environ | {"PYTHONUNBUFFERED": "1"})
    assert "Traceback" not in out.stderr, out.stderr
    if status is not None:
        assert out.returncode == status, out.stderr
    return out


def write(path: Path, feats: list[dict[str, Any]], driver: str, *, layer: str | None = None,
          append: bool = False, crs: str = "EPSG:4326", to_crs: str | None = None,
          extra: dict[str, list[Any]] | None = None, drop: tuple[str, ...] = ("stock",)) -> None:
    """Write GeoJSON features with pyogrio: numbers as reals, booleans as 0/1, text as text."""
    keys: list[str] = []
    for f in feats:
        keys += [k for k in f["properties"] if k not in drop and k not in keys]
    data = []
    for k in keys:
        vals = [f["properties"].get(k) for f in feats]
        if all(v is None or isinstance(v, bool) for v in vals):
            data.append(np.array([0 if v is None else int(v) for v in vals], dtype=np.int32))
        elif all(v is None or isinstance(v, int | float) for v in vals):
            data.append(np.array([np.nan if v is None else float(v) for v in vals]))
        else:
            data.append(np.array(vals, dtype=object))
    for k, vals in (extra or {}).items():
        keys.append(k)
        data.append(np.array(vals, dtype=object))
    geoms = [shapely.geometry.shape(f["geometry"]) if f["geometry"] else None for f in feats]
    if to_crs is not None:
        tr = pyproj.Transformer.from_crs("EPSG:4326", to_crs, always_xy=True)
        geoms = [shapely.transform(g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
                 for g in geoms]
        crs = to_crs
    gtype = geoms[0].geom_type if driver == "ESRI Shapefile" else "Unknown"
    with warnings.catch_warnings():  # GDAL's notes on cut names and texts, and on a missing CRS
        warnings.simplefilter("ignore")
        pyogrio.raw.write(str(path), shapely.to_wkb(np.array(geoms, dtype=object)), data, keys, driver=driver,
                          layer=layer, crs=crs, append=append, geometry_type=gtype)


POLYS = [f for f in FEATURES if f["geometry"]["type"] == "Polygon"]
ROUTES = [f for f in FEATURES if f["geometry"]["type"] != "Polygon"]


def make(fmt: str, folder: Path, **kw: Any) -> list[str | Path]:
    """The sample depot in one format; returns the layout arguments (file and --layer options)."""
    if fmt == "gpkg":
        p = folder / "depot.gpkg"
        write(p, POLYS, "GPKG", layer="sites", **kw)
        write(p, ROUTES, "GPKG", layer="routes", append=True, **kw)
        return [p, "--layer", "sites", "--layer", "routes"]
    if fmt == "shp":  # one geometry type per Shapefile: the routes in a second file of the folder
        write(folder / "sites.shp", POLYS, "ESRI Shapefile", **kw)
        assert "front_bear" in list(pyogrio.read_info(folder / "sites.shp")["fields"])  # GDAL cut the name
        write(folder / "routes.shp", ROUTES, "ESRI Shapefile", **kw)
        return [folder / "sites.shp", "--layer", "sites", "--layer", "routes"]
    p = folder / f"depot.{fmt}"
    write(p, FEATURES, {"fgb": "FlatGeobuf", "kml": "KML"}[fmt], **kw)
    return [p]


def _sets(v: Any) -> Any:
    """Group member lists compared as sets (their order follows the file's feature order)."""
    if isinstance(v, dict):
        return {k: sorted(x) if k in ("group", "aggregation_group", "members") and isinstance(x, list)
                else _sets(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_sets(x) for x in v]
    return v


def verdicts(doc: dict[str, Any]) -> dict[str, Any]:
    key = lambda p: (p["pes"], p["es"], p["hd"])  # noqa: E731
    return {"pairs": sorted(_sets(doc["pairs"]), key=key),
            "violations": sorted(_sets(doc["violations"]), key=key),
            "sites": sorted(_sets(doc["sites"]), key=lambda s: s["id"]),
            "summary": doc["summary"]}


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return json.loads(run("check", SAMPLE, "--json", status=1).stdout)


FORMATS = ["gpkg", "shp", "fgb", "kml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_gives_the_same_check(fmt: str, tmp_path: Path, reference: dict[str, Any]) -> None:
    args = make(fmt, tmp_path)
    got = json.loads(run("check", *args, "--stock", SAMPLE_STOCK, "--json", status=1).stdout)
    assert verdicts(got) == verdicts(reference)
    # the same sites: ids, kinds, bearings, attributes and footprints (to 1 mm in the depot's metres)
    a = read_layout(SAMPLE)
    b = read_layout(args[0], SAMPLE_STOCK, layers=[str(x) for x in args[2::2]])
    sa, sb = {s.id: s for s in a.sites}, {s.id: s for s in b.sites}
    assert sa.keys() == sb.keys()
    for sid, s in sa.items():
        t = sb[sid]
        assert (s.name, s.kind, s.traffic, s.persons, s.sparse, s.evacuable, s.door_barricade) == \
               (t.name, t.kind, t.traffic, t.persons, t.sparse, t.evacuable, t.door_barricade)
        assert s.stock_entries == t.stock_entries or [e["neq"] for e in s.stock_entries] == \
               [e["neq"] for e in t.stock_entries]
        assert (s.front_bearing_deg is None) == (t.front_bearing_deg is None)
        if s.front_bearing_deg is not None:
            assert abs(s.front_bearing_deg - t.front_bearing_deg) < 1e-6
        # (a Shapefile stores outer rings clockwise: compared in normal form)
        assert shapely.equals_exact(shapely.normalize(s.geometry), shapely.normalize(t.geometry), tolerance=1e-3)


def test_projected_crs_gives_the_same_distances(tmp_path: Path, reference: dict[str, Any]) -> None:
    """The sample written in UTM zone 33N (metres): every pair's distance within 1 mm of the GeoJSON's."""
    args = make("gpkg", tmp_path, to_crs="EPSG:32633")
    got = json.loads(run("check", *args, "--stock", SAMPLE_STOCK, "--json", status=1).stdout)
    ref = {(p["pes"], p["es"], p["hd"]): p for p in reference["pairs"]}
    new = {(p["pes"], p["es"], p["hd"]): p for p in got["pairs"]}
    assert ref
    assert ref.keys() == new.keys()
    for k, p in ref.items():
        assert abs(p["distance_m"] - new[k]["distance_m"]) < 1e-3, k
        assert p["compliant"] == new[k]["compliant"]
    depot = read_layout(args[0], SAMPLE_STOCK, layers=["sites", "routes"])
    assert depot.crs_name == "EPSG:32633"


def test_ten_character_names() -> None:
    """Shapefile's cuts are understood; a cut that begins two names, or two fields for one name, refused."""
    m, why = field_map(["ID", "Kind", "front_bear", "door_barri", "very_sensi", "event_prob", "other"])
    assert not why
    assert m == {"ID": "id", "Kind": "kind", "front_bear": "front_bearing_deg", "door_barri": "door_barricade",
                 "very_sensi": "very_sensitive", "event_prob": "event_probability", "other": "other"}
    # no two properties of the layout format share a 10-character cut, so the mapping is unambiguous today
    cuts = [p[:10] for p in PROPERTIES if len(p) > 10]
    assert len(cuts) == len(set(cuts))
    # were there two, the cut is refused naming both
    _m, why = field_map(["front_bear"], properties=("front_bearing_deg", "front_bearing_rad"))
    assert len(why) == 1
    assert "'front_bearing_deg'" in why[0]
    assert "'front_bearing_rad'" in why[0]
    _m, why = field_map(["front_bear", "front_bearing_deg"])
    assert why == ["fields 'front_bear' and 'front_bearing_deg' both name 'front_bearing_deg'; keep one"]


def test_two_fields_for_one_property_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "depot.fgb"
    write(p, FEATURES, "FlatGeobuf", extra={"front_bear": [None] * len(FEATURES)})
    out = tmp_path / "out.gpkg"
    r = run("check", p, "--stock", SAMPLE_STOCK, "--gpkg", out, status=2)
    assert "fields 'front_bearing_deg' and 'front_bear' both name 'front_bearing_deg'" in r.stderr
    assert not out.exists()


def _bad(fmt: str, folder: Path, feats: list[dict[str, Any]], **kw: Any) -> Path:
    if fmt == "shp":
        p = folder / "bad.shp"
        write(p, feats, "ESRI Shapefile", **kw)
        return p
    p = folder / f"bad.{fmt}"
    write(p, feats, {"gpkg": "GPKG", "fgb": "FlatGeobuf", "kml": "KML"}[fmt], **kw)
    return p


def _expect_refused(tmp_path: Path, layout_args: list[Any], *needles: str) -> str:
    out = tmp_path / "out.gpkg"
    r = run("check", *layout_args, "--stock", SAMPLE_STOCK, "--gpkg", out, "--json", status=2)
    for n in needles:
        assert n in r.stderr, r.stderr
    assert not out.exists()
    assert r.stdout == ""
    return r.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_attribute(fmt: str, tmp_path: Path) -> None:
    """A storehouse without its kind: the feature, the field, the value and the allowed kinds named."""
    feats = [json.loads(json.dumps(f)) for f in POLYS]
    feats[1]["properties"]["kind"] = None
    feats[2]["properties"].pop("front_bearing_deg")
    _expect_refused(tmp_path, [_bad(fmt, tmp_path, feats)],
                    "feature 'A2': kind: got None; allowed: igloo_7bar, igloo_3bar",
                    "feature 'A3': front_bearing_deg: missing; required for igloo_7bar")


@pytest.mark.parametrize("fmt", FORMATS)
def test_point_where_a_polygon_is_needed(fmt: str, tmp_path: Path) -> None:
    feats = [json.loads(json.dumps(f)) for f in POLYS]
    feats[0]["geometry"] = {"type": "Point", "coordinates": [15.398, 49.6]}
    if fmt == "shp":  # a Shapefile holds one geometry type: a file of points
        feats = feats[:1]
    _expect_refused(tmp_path, [_bad(fmt, tmp_path, feats)],
                    "feature 'A1': geometry type: got 'Point'; allowed for this kind: Polygon")


def test_unknown_and_unnamed_layers(tmp_path: Path) -> None:
    args = make("gpkg", tmp_path)
    _expect_refused(tmp_path, [args[0], "--layer", "sites", "--layer", "roads"],
                    "--layer: got 'roads'", "it holds: sites, routes")
    _expect_refused(tmp_path, [args[0]], "holds 2 layers (sites, routes)", "--layer NAME")
    shp = make("shp", tmp_path / "shp" if (tmp_path / "shp").mkdir() is None else tmp_path)
    _expect_refused(tmp_path, [shp[0], "--layer", "route"], "--layer: got 'route'", "routes", "sites")
    _expect_refused(tmp_path, [SAMPLE, "--layer", "sites"], "--layer: got 'sites'", "a GeoJSON layout is one layer")


def test_shapefile_stock_field_is_refused(tmp_path: Path) -> None:
    """A 300-byte stock list in a Shapefile text field arrives cut (GDAL: 254 bytes, trailing space
    trimmed): refused, never read; a text that fills its field's width is refused as possibly cut."""
    stock = [{"item": f"item number {i} of a long stock list", "hd": "1.1", "cg": "D", "neq": "1 t"}
             for i in range(6)]
    text = json.dumps(stock)
    assert len(text.encode()) > 300
    feats = [json.loads(json.dumps(f)) for f in POLYS[:2]]
    p = tmp_path / "bad.shp"
    write(p, feats, "ESRI Shapefile", extra={"stock": [text, None]})  # GDAL cuts it to the field's width
    stderr = _expect_refused(tmp_path, [p], "feature 'A1': stock (field 'stock'): got a text of 253 bytes; "
                             "a Shapefile cannot hold a stock list", "Give stock in the stock CSV (--stock)")
    assert "1 problem" in stderr
    q = tmp_path / "cut.shp"
    write(q, feats, "ESRI Shapefile", extra={"note": ["x" * 300, None]})
    _expect_refused(tmp_path, [q], "feature 'A1': note (field 'note'): a text of 254 bytes, as wide as the "
                    "Shapefile field (254 bytes")
    # the same list in a GeoPackage field is read whole (and checked as stock lines)
    g = tmp_path / "ok.gpkg"
    write(g, feats, "GPKG", extra={"stock": [text, None]})
    depot = read_layout(g)
    assert depot.site("A1").stock_entries == tuple(stock)


def test_a_file_without_crs_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "nocrs.shp"
    write(p, POLYS, "ESRI Shapefile", crs=None)  # type: ignore[arg-type]
    _expect_refused(tmp_path, [p], "crs: got", "declares no CRS")


def test_check_writes_a_geopackage(tmp_path: Path, reference: dict[str, Any]) -> None:
    out = tmp_path / "result.gpkg"
    arcs = tmp_path / "arcs.geojson"
    r = run("check", SAMPLE, "--gpkg", out, "--arcs-geojson", arcs, "--json", status=1)
    doc = json.loads(r.stdout)
    assert verdicts(doc) == verdicts(reference)
    layers = [str(n) for n in pyogrio.list_layers(out)[:, 0]]
    assert layers == ["sites", "pairs", "arcs"]
    meta, _f, wkb, data = pyogrio.raw.read(out, layer="sites")
    rows = [dict(zip(meta["fields"], vals, strict=True)) for vals in zip(*data, strict=True)]
    failing = {p["pes"] for p in doc["violations"]} | {p["es"] for p in doc["violations"]}
    assert [r["id"] for r in rows] == [s["id"] for s in doc["sites"]]
    for row, site in zip(rows, doc["sites"], strict=True):
        assert row["verdict"] == ("violation" if site["id"] in failing else "compliant")
        for hd, kg in site["licence_limit_kg"].items():
            col = row[f"licence_{hd.replace('.', '_')}_kg"]
            assert (kg is None and (col is None or np.isnan(col))) or col == kg
    # footprints back in WGS84: the same as the input's to 1e-9 degree
    by_id = {f["properties"]["id"]: shapely.geometry.shape(f["geometry"]) for f in FEATURES}
    for row, g in zip(rows, shapely.from_wkb(wkb), strict=True):
        assert shapely.equals_exact(g, by_id[row["id"]], tolerance=1e-9)
    meta, _f, wkb, data = pyogrio.raw.read(out, layer="pairs")
    assert len(wkb) == len(doc["pairs"])
    pairs = [dict(zip(meta["fields"], vals, strict=True)) for vals in zip(*data, strict=True)]
    assert [(p["pes"], p["es"], p["hd"]) for p in pairs] == [(p["pes"], p["es"], p["hd"]) for p in doc["pairs"]]
    # each pair's line joins the nearest points: its length on the ellipsoid is the pair's distance
    geod = pyproj.Geod(ellps="WGS84")
    for p, line in zip(doc["pairs"], shapely.from_wkb(wkb), strict=True):
        assert abs(geod.geometry_length(line) - p["distance_m"]) < 0.01 * p["distance_m"] + 0.01
    meta, _f, wkb, _d = pyogrio.raw.read(out, layer="arcs")
    assert len(wkb) == len(json.loads(arcs.read_text())["features"])


def test_gis_layouts_in_other_commands(tmp_path: Path) -> None:
    """--layer where effects, scenario and risk take a layout: the same answers as from the GeoJSON."""
    args = make("gpkg", tmp_path)
    for cmd in (["effects", "--event", "A1"], ["scenario", "--start", "A1"], ["risk"]):
        a = json.loads(run(*cmd[:1], SAMPLE, *cmd[1:], "--json").stdout)
        b = json.loads(run(*cmd[:1], *args, "--stock", SAMPLE_STOCK, *cmd[1:], "--json").stdout)
        a.pop("provenance", None), b.pop("provenance", None)
        if cmd[0] == "scenario":
            for d in (a, b):
                d["scenario"].pop("layout")
        assert _sets(a) == _sets(b), cmd[0]


def test_gis_layouts_in_siting_report_and_licence(tmp_path: Path) -> None:
    """--layer where siting, report and licence take a layout: the same map and the same documents as
    from the GeoJSON, but for the file's name and the input hash."""
    args = make("gpkg", tmp_path)
    siting = ["siting", "--kind", "igloo_7bar", "--bearing", "0", "--hd", "1.1", "--neq", "5 t", "--cell", "25 m",
              "--json"]
    a = json.loads(run(siting[0], SAMPLE, *siting[1:], status=0).stdout)
    b = json.loads(run(siting[0], *args, "--stock", SAMPLE_STOCK, *siting[1:], status=0).stdout)
    a.pop("provenance", None), b.pop("provenance", None)
    assert a == b
    for cmd in (["report"], ["licence", "--site", "A1"]):
        ref, got = tmp_path / f"{cmd[0]}-ref.html", tmp_path / f"{cmd[0]}-gis.html"
        run(cmd[0], SAMPLE, *cmd[1:], "--html", ref, "--date", "2026-01-01", status=0)
        run(cmd[0], *args, "--stock", SAMPLE_STOCK, *cmd[1:], "--html", got, "--date", "2026-01-01", status=0)
        sha_ref = read_layout(SAMPLE).input_sha256
        sha_gis = read_layout(args[0], SAMPLE_STOCK, layers=["sites", "routes"]).input_sha256
        text = got.read_text().replace("depot.gpkg", SAMPLE.name).replace(sha_gis, sha_ref)
        text = text.replace(sha_gis[:12], sha_ref[:12])
        assert text == ref.read_text(), cmd[0]
