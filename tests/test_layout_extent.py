"""Issue 16 item 2: a far-away site must not silently change every distance.

The depot's transverse Mercator projection (scale factor 1 on its central
meridian) measures a distance x away from that meridian too long by about
x^2 / (2 R^2): 0.1 % at some 285 km.  Sites beyond are refused and named; a
long public traffic route is measured near the depot and does not trip it.
Distances are checked against pyproj.Geod (the geodesic on WGS84), not
against depotsafe's own output.
"""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pyproj
import pytest
import shapely

from depotsafe.check import check_depot
from depotsafe.errors import LayoutError
from depotsafe.layout import MAX_SCALE_ERROR, read_layout

SAMPLE = resources.files("depotsafe.data").joinpath("samples", "sample_depot.geojson")
GEOD = pyproj.Geod(ellps="WGS84")
R = 6_371_008.8  # mean earth radius [m]


def sample_fc():
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def house(fid, lon, lat, d=0.0002):
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Feature", "properties": {"id": fid, "kind": "inhabited_building"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def road(fid, coords):
    return {"type": "Feature", "properties": {"id": fid, "kind": "public_traffic_route"},
            "geometry": {"type": "LineString", "coordinates": coords}}


def lon_east(lon, lat, metres):
    lon2, _lat2, _ = GEOD.fwd(lon, lat, 90.0, metres)
    return lon2


def pair_distances(depot, ids):
    g = [depot.site(i).geometry for i in ids]
    return np.array([[shapely.distance(a, b) for b in g] for a in g])


STORES = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "BS1", "BS2", "BS3", "US1", "WS1"]


def test_bound_is_0_1_percent_at_about_285_km():
    assert MAX_SCALE_ERROR == 1e-3
    # spherical transverse Mercator: k = cosh(x / R) on the equator, 1 + x^2/2R^2 to first order
    assert math.cosh(285e3 / R) - 1 == pytest.approx(1e-3, rel=0.01)


def test_issue_example_house_at_154_east_is_refused_and_named():
    fc = sample_fc()
    fc["features"].append(house("FAR", 154.0, 49.6))
    with pytest.raises(LayoutError) as info:
        read_layout(fc)
    msg = str(info.value)
    assert "feature 'FAR'" in msg
    assert "0.1 %" in msg
    assert "285 km" in msg
    # only the far house is named, not the depot
    assert "feature 'A1'" not in msg


def test_far_site_does_not_move_the_centre_of_the_rest():
    """One house 200 km east is allowed and changes no distance inside the depot."""
    base = read_layout(sample_fc())
    fc = sample_fc()
    fc["features"].append(house("H200", lon_east(15.4, 49.6, 200e3), 49.6))
    with_far = read_layout(fc)
    a = pair_distances(base, STORES)
    b = pair_distances(with_far, STORES)
    np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-6)
    assert check_depot(with_far).summary()["violations"] == check_depot(base).summary()["violations"]


def test_inside_depot_distances_are_geodesic():
    """Storehouse-to-storehouse corner distances agree with the WGS84 geodesic to 1e-6."""
    fc = sample_fc()
    depot = read_layout(fc)
    by_id = {f["properties"]["id"]: f for f in fc["features"]}
    for a, b in (("A1", "A4"), ("A1", "US1"), ("B1", "BS2")):
        pa = by_id[a]["geometry"]["coordinates"][0][0]
        pb = by_id[b]["geometry"]["coordinates"][0][0]
        _, _, true_m = GEOD.inv(pa[0], pa[1], pb[0], pb[1])
        ia = depot.site(a).geometry.exterior.coords[0]
        ib = depot.site(b).geometry.exterior.coords[0]
        assert math.dist(ia, ib) == pytest.approx(true_m, rel=1e-6)


@pytest.mark.parametrize(("km", "refused"), [(250.0, False), (330.0, True)])
def test_the_bound_in_kilometres(km, refused):
    fc = sample_fc()
    fc["features"].append(house("HX", lon_east(15.4, 49.6, km * 1e3), 49.6))
    if refused:
        with pytest.raises(LayoutError, match=r"feature 'HX'.*lies about 3[0-9]{2} km"):
            read_layout(fc)
    else:
        read_layout(fc)


def test_long_road_out_of_the_depot_is_measured_near_the_depot():
    fc = sample_fc()
    # a road from the depot's east edge running 1,000 km east
    start = (15.4100, 49.5990)
    far = [lon_east(start[0], start[1], k * 100e3) for k in range(1, 11)]
    fc["features"].append(road("LONG", [list(start)] + [[lo, 49.599] for lo in far]))
    depot = read_layout(fc)
    base = read_layout(sample_fc())
    np.testing.assert_allclose(pair_distances(depot, STORES), pair_distances(base, STORES),
                               rtol=1e-9, atol=1e-6)
    # the distance from a storehouse corner to the road's first point is the geodesic one
    a1 = fc["features"][0]["geometry"]["coordinates"][0][0]
    _, _, true_m = GEOD.inv(a1[0], a1[1], start[0], start[1])
    got = shapely.distance(shapely.Point(depot.site("A1").geometry.exterior.coords[0]),
                           shapely.Point(depot.site("LONG").geometry.coords[0]))
    assert got == pytest.approx(true_m, rel=1e-6)


def test_straight_road_crossing_the_depot_with_far_ends_is_accepted():
    fc = sample_fc()
    fc["features"].append(road("X", [[9.0, 49.60], [22.0, 49.60]]))
    read_layout(fc)


def test_road_entirely_far_away_is_refused():
    fc = sample_fc()
    fc["features"].append(road("FARROAD", [[150.0, 49.6], [151.0, 49.7]]))
    with pytest.raises(LayoutError, match=r"feature 'FARROAD'"):
        read_layout(fc)


def test_projected_input_far_site_refused_too():
    """The same check whatever CRS the file is in (here UTM 33N)."""
    fc = sample_fc()
    fc["features"].append(house("FAR", lon_east(15.4, 49.6, 400e3), 49.6))
    to_utm = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32633", always_xy=True)
    for f in fc["features"]:
        g = f["geometry"]
        if g["type"] == "Polygon":
            g["coordinates"] = [[list(to_utm.transform(x, y)) for x, y in ring] for ring in g["coordinates"]]
        else:
            g["coordinates"] = [list(to_utm.transform(x, y)) for x, y in g["coordinates"]]
    fc["crs"] = {"type": "name", "properties": {"name": "EPSG:32633"}}
    with pytest.raises(LayoutError, match=r"feature 'FAR'"):
        read_layout(fc)
