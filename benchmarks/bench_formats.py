"""Reading a depot layout, format by format: depotsafe against a bare read of the same file.

Run: ``python benchmarks/bench_formats.py [--sizes 1000 10000 100000] [--repeat 3]``

One synthetic depot per size (``depotsafe.synthetic.synthetic_depot``, seed 1),
moved into UTM zone 33N (EPSG:32633) and written, beforehand and untimed, as
GeoJSON (stock inline, as docs/layout.md allows), and as GeoJSON, GeoPackage,
Shapefile, FlatGeobuf and KML with its stock as the stock CSV (a Shapefile's
text fields cannot hold a stock list; KML in longitude/latitude). Each read runs
in its own subprocess after the imports (not timed) and takes the median of
``--repeat`` runs:

* **depotsafe**: ``depotsafe.layout.read_layout`` in full, as ``depotsafe check``
  reads: attribute names, every property validated, geometry checks, the CRS and
  its area of use, projection to the depot's metres, the stock parsed and joined;
* **bare read**: what a script would otherwise do to get geometries and
  attributes, without any checking: ``json.loads`` and ``shapely.from_geojson``
  for GeoJSON, ``pyogrio.raw.read`` and ``shapely.from_wkb`` for the others,
  ``csv.DictReader`` for the stock.

Both read the same file; the ratio says what validation and projection cost
beyond getting the bytes into shapely.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

FORMATS = ("geojson-inline", "geojson", "gpkg", "shp", "fgb", "kml")
E0, N0 = 500_000.0, 5_000_000.0  # the synthetic depot's origin in EPSG:32633


def _utm(fc: dict) -> dict:
    out = copy.deepcopy(fc)
    out["crs"] = {"type": "name", "properties": {"name": "EPSG:32633"}}

    def move(c):
        if c and isinstance(c[0], int | float):
            return [c[0] + E0, c[1] + N0]
        return [move(x) for x in c]

    for f in out["features"]:
        f["geometry"]["coordinates"] = move(f["geometry"]["coordinates"])
    return out


def _stock_csv(fc: dict, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["site_id", "item", "hd", "cg", "quantity_kg"])
        for f in fc["features"]:
            for k, e in enumerate(f["properties"].get("stock") or []):
                w.writerow([f["properties"]["id"], f"lot{k}", e["hd"], e["cg"], repr(e["neq_kg"])])


def _write_gis(fc: dict, path: Path, driver: str, layer: str | None = None, append: bool = False,
               geom_types: tuple[str, ...] = ("Polygon", "LineString"), lonlat: bool = False) -> None:
    import pyogrio.raw
    import pyproj
    import shapely

    feats = [f for f in fc["features"] if f["geometry"]["type"] in geom_types]
    keys = sorted({k for f in feats for k in f["properties"] if k != "stock"})
    data = []
    for k in keys:
        vals = [f["properties"].get(k) for f in feats]
        if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in vals):
            data.append(np.array([np.nan if v is None else float(v) for v in vals]))
        else:
            data.append(np.array([None if v is None else str(v) for v in vals], dtype=object))
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in feats])
    crs = "EPSG:32633"
    if lonlat:
        tr = pyproj.Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
        crs = "EPSG:4326"
    gtype = geom_types[0] if driver == "ESRI Shapefile" else "Unknown"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.raw.write(str(path), shapely.to_wkb(geoms), data, keys, driver=driver, layer=layer, crs=crs,
                          append=append, geometry_type=gtype)


def make(fmt: str, fc: dict, folder: Path) -> dict:
    """The depot in one format: {"path", "layers", "stock"} (read arguments)."""
    stock = folder / "stock.csv"
    if not stock.exists():
        _stock_csv(fc, stock)
    if fmt == "geojson-inline":
        p = folder / "inline.geojson"
        p.write_text(json.dumps(fc), encoding="utf-8")
        return {"path": p, "layers": [], "stock": None}
    if fmt == "geojson":
        p = folder / "depot.geojson"
        bare = copy.deepcopy(fc)
        for f in bare["features"]:
            f["properties"].pop("stock", None)
        p.write_text(json.dumps(bare), encoding="utf-8")
        return {"path": p, "layers": [], "stock": stock}
    if fmt == "gpkg":
        p = folder / "depot.gpkg"
        _write_gis(fc, p, "GPKG", layer="sites", geom_types=("Polygon",))
        _write_gis(fc, p, "GPKG", layer="routes", append=True, geom_types=("LineString",))
        return {"path": p, "layers": ["sites", "routes"], "stock": stock}
    if fmt == "shp":
        _write_gis(fc, folder / "sites.shp", "ESRI Shapefile", geom_types=("Polygon",))
        _write_gis(fc, folder / "routes.shp", "ESRI Shapefile", geom_types=("LineString",))
        return {"path": folder / "sites.shp", "layers": ["sites", "routes"], "stock": stock}
    if fmt == "fgb":
        p = folder / "depot.fgb"
        _write_gis(fc, p, "FlatGeobuf")
        return {"path": p, "layers": [], "stock": stock}
    if fmt == "kml":
        p = folder / "depot.kml"
        _write_gis(fc, p, "KML", lonlat=True)
        return {"path": p, "layers": [], "stock": stock}
    raise ValueError(fmt)


def read_depotsafe(args: dict) -> dict:
    from depotsafe.layout import read_layout

    t = time.perf_counter()
    depot = read_layout(str(args["path"]), stock_csv=args["stock"] and str(args["stock"]),
                        layers=tuple(args["layers"]))
    return {"seconds": time.perf_counter() - t, "sites": len(depot.sites)}


def read_bare(args: dict) -> dict:
    import pyogrio.raw
    import shapely

    t = time.perf_counter()
    path = Path(args["path"])
    n = 0
    if path.suffix == ".geojson":
        doc = json.loads(path.read_bytes())
        geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in doc["features"]])
        props = [f["properties"] for f in doc["features"]]
        n = len(geoms) + 0 * len(props)
    else:
        layers = args["layers"] or [None]
        for layer in layers:
            src = path.with_name(f"{layer}.shp") if path.suffix == ".shp" else path
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _meta, _fids, wkb, _data = pyogrio.raw.read(str(src), layer=None if path.suffix == ".shp" else layer)
            n += len(shapely.from_wkb(wkb))
    if args["stock"]:
        with open(args["stock"], newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        _ = len(rows)
    return {"seconds": time.perf_counter() - t, "sites": n}


def _one(method: str, args_json: str) -> None:
    args = json.loads(args_json)
    # imports outside the timed read
    import pyogrio.raw  # noqa: F401
    import shapely  # noqa: F401

    import depotsafe.layout  # noqa: F401

    res = (read_depotsafe if method == "depotsafe" else read_bare)(args)
    print(json.dumps(res))


def _run(method: str, args: dict) -> dict:
    payload = json.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in args.items()})
    out = subprocess.run([sys.executable, __file__, "--one", method, payload], capture_output=True, text=True,
                         env=os.environ.copy())
    if out.returncode != 0:
        raise SystemExit(f"{method} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    ap.add_argument("--formats", nargs="*", default=list(FORMATS), choices=FORMATS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "ARGS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        _one(*a.one)
        return
    from depotsafe.synthetic import synthetic_depot

    print(f"Reading a layout, per format; depotsafe read_layout against a bare read; median of {a.repeat}; "
          f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}.\n")
    print("| sites | format | file [MB] | depotsafe [s] | bare read [s] | depotsafe / bare | sites read |")
    print("|---|---|---|---|---|---|---|")
    for n in a.sizes:
        fc = _utm(synthetic_depot(n, seed=1))
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in a.formats:
                folder = Path(tmp) / fmt
                folder.mkdir()
                args = make(fmt, fc, folder)
                size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
                ds = [_run("depotsafe", args) for _ in range(a.repeat)]
                bare = [_run("bare", args) for _ in range(a.repeat)]
                td = statistics.median(r["seconds"] for r in ds)
                tb = statistics.median(r["seconds"] for r in bare)
                print(f"| {n:,} | {fmt} | {size:.1f} | {td:.3f} | {tb:.3f} | {td / tb:.1f}x | {ds[0]['sites']:,} |",
                      flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
