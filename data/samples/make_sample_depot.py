"""Regenerate sample_depot.geojson and sample_depot_stock.csv (run from the repo root).

The depot is designed in local metres around (15.40 E, 49.60 N), a rural site
(x east, y north), and written in WGS84 lon/lat.  The intended violations are
listed in README.md.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyproj

from depotsafe.layout import buildings_from_table

LON0, LAT0 = 15.40, 49.60
HERE = Path(__file__).parent
TO_LL = pyproj.Transformer.from_crs(
    pyproj.CRS.from_proj4(f"+proj=tmerc +lat_0={LAT0} +lon_0={LON0} +k=1 +ellps=WGS84"),
    "OGC:CRS84", always_xy=True)

STOCK = {
    "A1": [{"item": "155 mm HE shell", "hd": "1.1", "cg": "D", "neq": "10 t"}],
    "A2": [{"item": "81 mm mortar bomb", "hd": "1.1", "cg": "E", "neq": "10 t"}],
    "A3": [{"item": "40 mm grenade cartridge", "hd": "1.2", "cg": "E", "neq": "4 t",
            "unit_neq_kg": 0.05}],
    "A4": [{"item": "single-base propellant", "hd": "1.3", "cg": "C", "neq": "8 t",
            "form": "substance"}],
    "B1": [{"item": "rocket motor", "hd": "1.1", "cg": "F", "neq": "5 t"},
           {"item": "small arms ammunition", "hd": "1.4", "cg": "S", "neq": "2 t"}],
    "B2": [{"item": "TNT blocks", "hd": "1.1", "cg": "D", "neq": "8 t"}],
    "B3": [{"item": "EIDS bomb", "hd": "1.6", "cg": "N", "neq": "3 t", "unit_neq_kg": 20.0}],
    "B4": [{"item": "smoke grenade", "hd": "1.4", "cg": "G", "neq": "1 t"},
           {"item": "small arms ammunition", "hd": "1.4", "cg": "S", "neq": "5 t"}],
    "BS1": [{"item": "105 mm HE shell", "hd": "1.1", "cg": "D", "neq": "5 t"}],
    "BS2": [{"item": "105 mm HE shell", "hd": "1.1", "cg": "D", "neq": "5 t"}],
    "BS3": [{"item": "illuminating cartridge", "hd": "1.3", "cg": "G", "neq": "3 t"}],
    "US1": [{"item": "demolition charge", "hd": "1.1", "cg": "D", "neq": "2 t"}],
    "WS1": [{"item": "fuze in maintenance", "hd": "1.1", "cg": "D", "neq": "200 kg"}],
}

# id, name, kind, x_m, y_m, length_m, width_m, bearing_deg, extra properties
BUILDINGS = [
    *[(f"A{k + 1}", f"Igloo A{k + 1}", "igloo_7bar", -150.0 + 50 * k, 0.0, 25, 10, 0, {})
      for k in range(4)],
    *[(f"B{k + 1}", f"Igloo B{k + 1}", "igloo_3bar", -150.0 + 50 * k, -120.0, 25, 10, 0, {})
      for k in range(4)],
    ("BS1", "Barricaded stack 1", "barricaded_stack", 260.0, 0.0, 15, 15, 0, {}),
    ("BS2", "Barricaded stack 2", "barricaded_stack", 290.0, 0.0, 15, 15, 0, {}),
    ("BS3", "Barricaded stack 3", "barricaded_stack", 200.0, -150.0, 15, 15, 0, {}),
    ("US1", "Open stack", "unbarricaded_stack", 200.0, -320.0, 12, 12, 0, {}),
    ("WS1", "Maintenance workshop", "workshop", -150.0, -420.0, 20, 12, 90, {"persons": 6}),
    ("OFF", "Admin office", "inhabited_building", -650.0, -450.0, 20, 12, 0, {"persons": 12}),
    ("H1", "Farmhouse north", "inhabited_building", -50.0, 325.0, 12, 10, 0, {"persons": 4}),
    ("H2", "House west 1", "inhabited_building", -800.0, 100.0, 12, 10, 0, {"persons": 3}),
    ("H3", "House west 2", "inhabited_building", -820.0, 140.0, 12, 10, 0, {"persons": 5}),
    ("H4", "Barn house south", "inhabited_building", 0.0, -900.0, 14, 10, 0,
     {"persons": 2, "sparse": True}),
    ("SCH", "Village school", "vulnerable_building", -40.0, 870.0, 40, 25, 0,
     {"persons": 300}),
]

ROAD = [(550.0, -1200.0), (550.0, 300.0), (700.0, 1200.0)]


def main() -> None:
    rows = []
    for sid, name, kind, x, y, ln, wd, b, extra in BUILDINGS:
        lon, lat = TO_LL.transform(x, y)
        row = {"id": sid, "name": name, "kind": kind, "lon": lon, "lat": lat,
               "length_m": ln, "width_m": wd, "bearing_deg": b, **extra}
        if sid in STOCK:
            row["stock"] = STOCK[sid]
        rows.append(row)
    feats = buildings_from_table(rows)
    for f in feats:
        ring = f["geometry"]["coordinates"][0]
        f["geometry"]["coordinates"] = [[[round(c, 8) for c in p] for p in ring]]
    lon, lat = TO_LL.transform([p[0] for p in ROAD], [p[1] for p in ROAD])
    feats.append({
        "type": "Feature",
        "properties": {"id": "R1", "name": "District road", "kind": "public_traffic_route",
                       "traffic": "heavy"},
        "geometry": {"type": "LineString",
                     "coordinates": [[round(a, 8), round(b, 8)] for a, b in zip(lon, lat, strict=True)]},
    })
    fc = {"type": "FeatureCollection", "features": feats}
    (HERE / "sample_depot.geojson").write_text(json.dumps(fc, indent=1) + "\n", encoding="utf-8")
    with (HERE / "sample_depot_stock.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["site_id", "item", "hd", "cg", "quantity", "unit_neq_kg", "form"])
        for sid, lines in STOCK.items():
            for e in lines:
                w.writerow([sid, e["item"], e["hd"], e["cg"], e["neq"],
                            e.get("unit_neq_kg", ""), e.get("form", "")])


if __name__ == "__main__":
    main()
