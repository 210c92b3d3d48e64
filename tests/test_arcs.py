"""QD arcs per sector agree with the check's verdicts (issue 8 item 6).

Arcs are drawings, never verdicts, but they must not contradict them.  For
every PES (or aggregation group) and every exposed site of the depot:

* a compliant site's footprint never lies inside the arc of its kind and face
  (deeper than the band below);
* a violated site's footprint meets that arc (within the band), unless its
  footprint straddles two sectors of the PES: the check then takes the larger
  distance of the sectors it touches from its nearest point (decision 13), a
  rule no drawn region can show for an extended footprint.  Such sites are
  counted and must be the only exceptions.

The band: a buffer with ``quad_segs`` segments per quarter circle falls inside
its true circle by at most r(1 - cos(pi/(4 quad_segs))) and never outside it;
a site within that band (plus 1e-6 m) of an arc's edge is not counted either way.

The pairs are read from whatever ``check_depot`` returns (violations from
``iter_violations``), so the test holds as the check changes.  Aggregation
groups are checked here only when the check reports them as one PES
(``aggregations``, decision 14 revised); the group semantics themselves are
checked pointwise against a slow reference on a grid (test_group_arc_*).
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import shapely

from depotsafe.check import (
    FRONT_HALF_ANGLE_DEG,
    FRONT_HALF_ANGLE_HD12_DEG,
    REAR_HALF_ANGLE_DEG,
    check_depot,
)
from depotsafe.kinds import kinds
from depotsafe.layout import depot_arrays, face_towards, read_layout, sector_masks
from depotsafe.report import ARC_QUAD_SEGS, _es_class, arc_shortfall_m, arcs
from depotsafe.rules import load_rule_set
from depotsafe.synthetic import synthetic_depot

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample_depot.geojson"
EPS_M = 1e-6
BITS = ((1, "front"), (2, "side"), (4, "rear"))


def _band(r: float) -> float:
    return arc_shortfall_m(r, ARC_QUAD_SEGS) + EPS_M


class _Arc:
    """A drawn arc and its polygonization band [m]."""

    def __init__(self, geom: Any, band: float) -> None:
        self.geom = geom
        self.band = band
        shapely.prepare(geom)

    def deep_inside(self, site: Any) -> bool:
        """The site reaches into the arc deeper than the band."""
        if not shapely.intersects(self.geom, site):
            return False
        return bool(shapely.intersects(self.geom.buffer(-self.band, quad_segs=ARC_QUAD_SEGS), site))

    def near(self, site: Any) -> bool:
        """The site comes within the band of the arc."""
        return bool(shapely.distance(self.geom, site) <= self.band)


def _agreement(depot: Any) -> dict[str, int]:
    """Check every (PES group, exposed site) against the arcs; returns counts."""
    result = check_depot(depot, licences=False)
    grouped_as_one = hasattr(result, "aggregations")
    feats = arcs(result)
    table = kinds()
    fp, bearings = depot_arrays(depot)
    index = {s.id: i for i, s in enumerate(depot.sites)}
    group_of = {m: tuple(g) for g in result.groups for m in g}
    violated = {(group_of.get(v["pes"], (v["pes"],)), v["es"]) for v in result.iter_violations()}
    # per (group, class, face): each arc and its band; the arc shrunk or grown by the band on demand
    by_key: dict[tuple[Any, ...], list[_Arc]] = {}
    for f in feats:
        p = f["properties"]
        cls = (p["es_kind"], p.get("traffic"), bool(p.get("sparse")), bool(p.get("evacuable")),
               bool(p.get("es_door_barricade")))
        by_key.setdefault((tuple(p["group"]), cls, p["es_face"]), []).append(
            _Arc(f["geometry"], _band(p["required_distance_m"])))
    counts = {"compliant": 0, "violated": 0, "straddling": 0, "in_band": 0, "groups_skipped": 0}
    pes_groups = {group_of.get(s["id"], (s["id"],)) for s in result.sites}
    # the faces every earth-covered exposed site turns toward every PES, in one call
    ec_es = [i for i, s in enumerate(depot.sites) if table[s.kind].earth_covered]
    pes_i = [index[s["id"]] for s in result.sites]
    pe = [(e, m) for e in ec_es for m in pes_i if e != m]
    faces = dict(zip(pe, face_towards(fp, [e for e, _m in pe], [m for _e, m in pe], bearings).tolist(),
                     strict=True)) if pe else {}
    for g in sorted(pes_groups):
        if len(g) > 1 and not grouped_as_one:
            counts["groups_skipped"] += 1
            continue
        members = [index[m] for m in g]
        for e_site in depot.sites:
            if e_site.id in g:
                continue
            e = index[e_site.id]
            geom = e_site.geometry
            cls = _es_class(e_site, table)
            if table[e_site.kind].earth_covered:
                masks = [faces[(e, m)] for m in members]
                faces_all = [f for b, f in BITS if all(m & b for m in masks)]
                faces_any = [f for b, f in BITS if any(m & b for m in masks)]
            else:
                faces_all = faces_any = [None]
            if (g, e_site.id) not in violated:
                counts["compliant"] += 1
                for face in faces_all:
                    for arc in by_key.get((g, cls, face), []):
                        assert not arc.deep_inside(geom), f"compliant {e_site.id} ({face}) inside an arc of {g}"
                continue
            counts["violated"] += 1
            arcs_e = [a for face in faces_any for a in by_key.get((g, cls, face), [])]
            if any(shapely.intersects(a.geom, geom) for a in arcs_e):
                continue
            if any(a.near(geom) for a in arcs_e):
                counts["in_band"] += 1
                continue
            # the only other way: the footprint straddles two sectors of an earth-covered member
            straddles = False
            for m in members:
                if not table[depot.sites[m].kind].earth_covered:
                    continue
                for front in (FRONT_HALF_ANGLE_DEG, FRONT_HALF_ANGLE_HD12_DEG):
                    mask = int(sector_masks(fp, [m], [e], bearings, front, REAR_HALF_ANGLE_DEG)[0])
                    straddles |= bin(mask).count("1") > 1
            assert straddles, f"violated {e_site.id} does not meet the arc of {g} ({cls}, {faces_any})"
            counts["straddling"] += 1
    return counts


def test_sample_depot_arcs_agree_with_verdicts() -> None:
    counts = _agreement(read_layout(SAMPLE))
    assert counts["violated"] >= 3
    assert counts["compliant"] >= 100
    assert counts["straddling"] == 0


@pytest.mark.parametrize(("n_sites", "seed"), [(250, 0), (250, 1), (600, 2)])
def test_synthetic_depot_arcs_agree_with_verdicts(n_sites: int, seed: int) -> None:
    counts = _agreement(read_layout(synthetic_depot(n_sites, seed=seed)))
    assert counts["violated"] >= 2
    assert counts["compliant"] >= 1000
    print(counts)


def test_a_site_behind_an_igloo_is_outside_its_arc() -> None:
    """The issue's case: a site at an igloo's rear, compliant, inside the old worst-face arc."""
    result = check_depot(read_layout(SAMPLE), licences=False)
    feats = [f for f in arcs(result, ("unbarricaded_stack",)) if f["properties"]["pes"] == "A1"]
    by_sector = {f["properties"]["pes_sector"]: f for f in feats}
    assert set(by_sector) == {"front", "side", "rear"}
    front = by_sector["front"]["properties"]["required_distance_m"]
    rear = by_sector["rear"]["properties"]["required_distance_m"]
    assert front > rear
    a1 = result.depot.site("A1").geometry
    # a point straight behind the door's opposite face, between the two radii: outside every piece
    b = math.radians(result.depot.site("A1").front_bearing_deg)
    c = a1.centroid
    back = -(np.array([math.sin(b), math.cos(b)]))
    for t in np.linspace(0, 2000, 4001):
        p = shapely.Point(c.x + back[0] * t, c.y + back[1] * t)
        if p.distance(a1) > 0.5 * (front + rear):
            break
    assert rear < p.distance(a1) < front
    assert not any(f["geometry"].contains(p) for f in feats)
    assert by_sector["front"]["properties"]["es_face"] is None


# ------------------------------------------------------------------ groups, against a slow reference


def _rect(cx: float, cy: float, ln: float, wd: float, bearing: float) -> list[list[float]]:
    """Corners of a ln x wd rectangle, its length along the bearing (door at the front)."""
    b = math.radians(bearing)
    ux, uy = math.sin(b), math.cos(b)
    vx, vy = math.cos(b), -math.sin(b)
    pts = [(cx + su * ln / 2 * ux + sv * wd / 2 * vx, cy + su * ln / 2 * uy + sv * wd / 2 * vy)
           for su, sv in ((1, 1), (1, -1), (-1, -1), (-1, 1))]
    return [list(p) for p in [*pts, pts[0]]]


def _group_depot(members: list[tuple[str, str, float, float, float, float]]) -> Any:
    feats = []
    for sid, kind, x, y, bearing, neq in members:
        props: dict[str, Any] = {"id": sid, "kind": kind, "stock": [{"hd": "1.1", "cg": "D", "neq_kg": neq}]}
        if kind.startswith("igloo"):
            props["front_bearing_deg"] = bearing
        ln, wd = (25.0, 10.0) if kind.startswith("igloo") else (12.0, 12.0)
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Polygon", "coordinates": [_rect(x, y, ln, wd, bearing)]}})
    feats.append({"type": "Feature", "properties": {"id": "H", "kind": "inhabited_building"},
                  "geometry": {"type": "Polygon", "coordinates": [_rect(5000, 5000, 10, 10, 0)]}})
    feats.append({"type": "Feature", "properties": {"id": "I", "kind": "igloo_3bar", "front_bearing_deg": 0.0},
                  "geometry": {"type": "Polygon", "coordinates": [_rect(-5000, 5000, 25, 10, 0)]}})
    return read_layout({"type": "FeatureCollection",
                        "crs": {"type": "name", "properties": {"name": "depotsafe:local-metres"}},
                        "features": feats})


def _sector_of(site: Any, x: np.ndarray, y: np.ndarray, front_deg: float, rear_deg: float) -> np.ndarray:
    """Slow reference of AASTP-1 Annex I-A Note 1: the sector of each point, by plain vector algebra.

    In the door frame (u along the door normal, v across), with the footprint's
    extent [umin, umax] x [vmin, vmax]: front if u >= umax and the point's
    offset beyond the face's v range is at most (u - umax) tan(front); rear
    likewise behind umin with the rear angle; side otherwise.
    """
    b = math.radians(site.front_bearing_deg)
    corners = np.asarray(site.geometry.exterior.coords)
    cu = corners[:, 0] * math.sin(b) + corners[:, 1] * math.cos(b)
    cv = corners[:, 0] * math.cos(b) - corners[:, 1] * math.sin(b)
    u = x * math.sin(b) + y * math.cos(b)
    v = x * math.cos(b) - y * math.sin(b)
    off = np.maximum(0.0, np.maximum(cv.min() - v, v - cv.max()))
    front = (u >= cu.max()) & (off <= (u - cu.max()) * math.tan(math.radians(front_deg)))
    rear = (u <= cu.min()) & (off <= (cu.min() - u) * math.tan(math.radians(rear_deg)))
    return np.where(front, "front", np.where(rear, "rear", "side"))


def _reference_fails(depot: Any, members: list[str], es_kind: str, es_face: str | None,
                     x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """min_m dist(m, x) < max_m r_m(sector of m containing x), every member at the group's NEQ."""
    from depotsafe.qd import Relation, required_distance_m, resolve_rule

    rs = load_rule_set("iatg")
    neq = sum(float(e["neq_kg"]) for m in members for e in depot.site(m).stock_entries)
    pts = shapely.points(x, y)
    dmin = np.full(x.shape, np.inf)
    req = np.zeros(x.shape)
    for m in members:
        site = depot.site(m)
        dmin = np.minimum(dmin, shapely.distance(pts, site.geometry))
        ec = kinds()[site.kind].earth_covered
        # Notes 1 as drawn (decision 13: the wider front, the narrower rear): atan 2 = 63.43 deg, 43.7 deg
        sectors = _sector_of(site, x, y, math.degrees(math.atan(2.0)), 43.7) if ec else np.full(x.shape, None)
        for s in ("front", "side", "rear") if ec else (None,):
            rule = resolve_rule(rs, "1.1", Relation(site.kind, es_kind, s, es_face), ())
            r, _t = required_distance_m(rs, rule, neq, 0.0)
            req = np.where(sectors == s, np.maximum(req, r), req) if ec else np.maximum(req, r)
    return dmin < req, req


@pytest.mark.parametrize(("es_kind", "es_face"), [("inhabited_building", None), ("igloo_3bar", "rear"),
                                                  ("igloo_3bar", "front"), ("barricaded_stack", None)])
def test_group_arc_matches_the_min_max_rule_pointwise(es_kind: str, es_face: str | None) -> None:
    members = [("G1", "igloo_7bar", 0.0, 0.0, 90.0, 8000.0), ("G2", "igloo_3bar", 0.0, 40.0, 200.0, 6000.0),
               ("G3", "barricaded_stack", 60.0, -30.0, 0.0, 3000.0), ("G4", "igloo_7bar", -45.0, 5.0, 90.0, 2000.0)]
    depot = _group_depot(members)
    ids = [m[0] for m in members]
    result = SimpleNamespace(depot=depot, rule_set=load_rule_set("iatg"),
                             groups=[ids], sites=[{"id": i} for i in ids], iter_violations=lambda: iter(()))
    feats = [f for f in arcs(result, (es_kind,)) if f["properties"]["es_face"] == es_face]
    assert {f["properties"]["group"] == ids for f in feats} == {True}
    region = shapely.union_all([f["geometry"] for f in feats])
    band = max(_band(f["properties"]["required_distance_m"]) for f in feats)
    x0, y0, x1, y1 = region.bounds
    gx, gy = np.meshgrid(np.linspace(x0 - 50, x1 + 50, 161), np.linspace(y0 - 50, y1 + 50, 161))
    x, y = gx.ravel(), gy.ravel()
    fails, _req = _reference_fails(depot, ids, es_kind, es_face, x, y)
    pts = shapely.points(x, y)
    inside = shapely.contains(region, pts) | shapely.touches(region, pts)
    edge = shapely.distance(pts, region.boundary) <= band
    assert np.count_nonzero(fails & ~edge) > 100
    assert np.count_nonzero(~fails & ~edge) > 100
    bad = (fails != inside) & ~edge
    assert not bad.any(), f"{np.count_nonzero(bad)} points disagree, e.g. {x[bad][:3]}, {y[bad][:3]}"


def test_group_of_thousands_of_stacks_is_one_buffer() -> None:
    """A dense yard of 2,500 identical-kind stacks: one piece per exposed class, bounded time."""
    import time

    n = 50
    members = [(f"S{i}_{j}", "barricaded_stack", 22.0 * i, 22.0 * j, 0.0, 1000.0)
               for i in range(n) for j in range(n)]
    depot = _group_depot(members)
    ids = [m[0] for m in members]
    result = SimpleNamespace(depot=depot, rule_set=load_rule_set("iatg"),
                             groups=[ids], sites=[{"id": i} for i in ids], iter_violations=lambda: iter(()))
    t0 = time.perf_counter()
    feats = arcs(result, ("inhabited_building",))
    elapsed = time.perf_counter() - t0
    assert len(feats) == 1
    f = feats[0]
    assert f["properties"]["pes_sector"] is None
    r = f["properties"]["required_distance_m"]
    # slow reference, pointwise: inside iff the distance to the nearest stack is < r, at points
    # around the outline (a ring 3 m either side of r from the yard) and across it
    rng = np.random.default_rng(7)
    yard = shapely.union_all([depot.site(i).geometry for i in ids])
    cx, cy = 22.0 * (n - 1) / 2, 22.0 * (n - 1) / 2
    ang = rng.uniform(0, 2 * np.pi, 4000)
    rad = rng.uniform(r - 3.0, r + 3.0 + 22.0 * n, 4000)
    x = np.concatenate([cx + rad * np.cos(ang), rng.uniform(-r, 22.0 * n + r, 2000)])
    y = np.concatenate([cy + rad * np.sin(ang), rng.uniform(-r, 22.0 * n + r, 2000)])
    pts = shapely.points(x, y)
    d = shapely.distance(pts, yard)
    fails = d < r
    inside = shapely.intersects(f["geometry"], pts)
    edge = np.abs(d - r) <= _band(r)
    assert np.count_nonzero(fails & ~edge) > 500
    assert np.count_nonzero(~fails & ~edge) > 500
    assert not ((fails != inside) & ~edge).any()
    assert elapsed < 60, elapsed


def test_geojson_and_kml_carry_the_labels() -> None:
    import xml.etree.ElementTree as ET

    from depotsafe.report import arcs_geojson, arcs_kml

    result = check_depot(read_layout(SAMPLE), licences=False)
    doc = arcs_geojson(result)
    feats = doc["features"]
    keys = {"pes", "group", "es_kind", "es_face", "pes_sector", "required_distance_m", "rule", "violated"}
    assert all(keys <= f["properties"].keys() for f in feats)
    sectors = {(f["properties"]["pes"], f["properties"]["pes_sector"]) for f in feats}
    assert {("A1", "front"), ("A1", "side"), ("A1", "rear"), ("BS1+BS2", None)} <= sectors
    lon, lat = feats[0]["geometry"]["coordinates"][0][0]
    assert -180 <= lon <= 180
    assert -90 <= lat <= 90
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ET.fromstring(arcs_kml(result).encode())
    marks = root.findall(".//k:Placemark", ns)
    assert len(marks) == len(feats)
    names = {d.get("name") for d in marks[0].findall(".//k:Data", ns)}
    assert keys <= names
    assert [m.find("k:name", ns).text for m in marks] == [f["properties"]["label"] for f in feats]


def test_a_kind_absent_from_the_depot_gets_arcs_and_a_bad_kind_is_refused() -> None:
    from depotsafe.errors import InputError

    members = [("G1", "igloo_7bar", 0.0, 0.0, 90.0, 8000.0)]
    depot = _group_depot(members)
    result = SimpleNamespace(depot=depot, rule_set=load_rule_set("iatg"), groups=[], sites=[{"id": "G1"}],
                             iter_violations=lambda: iter(()))
    feats = arcs(result, ("public_traffic_route",))
    assert {f["properties"]["traffic"] for f in feats} == {"heavy"}
    assert {f["properties"]["pes_sector"] for f in feats} == {"front", "side", "rear"}
    with pytest.raises(InputError, match="es_kinds: got 'school'"):
        arcs(result, ("school",))
