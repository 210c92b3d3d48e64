"""Distances between large footprints (issue 16 item 7).

The pair distance once read every pair of segments: two 20,000-vertex
polygons took 4.5 s and two of 200,000 never finished.  Beyond 4096 segment
pairs it now prunes with a bounding-box tree over each site's segments.
Checked against shapely.distance (tests/reference/geometry_naive.py) on random
footprints of up to ~2,000 vertices, with holes, lines and containment, and
against the brute-force kernel bit for bit; for 200,000 vertices, where
shapely.distance itself takes tens of seconds, against the least distance
between the segments of one boundary and their nearest segment of the other
found by shapely's STRtree (GEOS), with a time bound.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import shapely
from depotsafe.kernels import geometry as kg
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, Polygon

from depotsafe.layout import footprint_arrays, pairs_within_radius

sys.path.insert(0, str(Path(__file__).parent))
from reference import geometry_naive as ref

ATOL_M = 1e-9


def star(rng, n, cx, cy, r, holes=0):
    """A star-shaped polygon of n vertices (radii in [0.8 r, r]), optionally
    with star-shaped holes of n // 2 vertices around its centre."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(0.8 * r, r, n)
    shell = np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)]
    rings = []
    for h in range(holes):
        m = max(3, n // 2)
        a = np.sort(rng.uniform(0, 2 * np.pi, m))[::-1]
        rr = rng.uniform(0.3 * r, 0.4 * r, m) * (1 + h) / holes
        off = (0.0 if holes == 1 else (h - (holes - 1) / 2) * 0.35 * r)
        rings.append(np.c_[cx + off + 0.4 * rr * np.cos(a), cy + 0.4 * rr * np.sin(a)])
    g = Polygon(shell, rings)
    # simple by construction (angles sorted, radii > 0); GEOS's check of
    # 200,000 vertices takes a minute, so it runs on the smaller ones
    assert n > 5000 or g.is_valid
    return g


def wiggly_line(rng, n, x0, y0, length, parts=1):
    xs = np.linspace(x0, x0 + length, n)
    ys = y0 + rng.uniform(-5, 5, n)
    if parts == 1:
        return LineString(np.c_[xs, ys])
    chunks = np.array_split(np.arange(n), parts)
    return MultiLineString([np.c_[xs[c], ys[c]] for c in chunks if len(c) > 1])


def both_paths(fp, i, j):
    brute = kg._pair_distance_brute(i, j, *fp.args())
    tree = kg._pair_distance_tree(i, j, *fp.args())
    return brute, tree


@pytest.mark.parametrize("seed", range(4))
def test_large_random_footprints_match_shapely(seed):
    rng = np.random.default_rng(seed)
    geoms = []
    for k in range(8):
        n = int(rng.integers(100, 2000))
        c = rng.uniform(-300, 300, 2)
        kind = k % 4
        if kind == 0:
            geoms.append(star(rng, n, *c, rng.uniform(50, 200)))
        elif kind == 1:
            geoms.append(star(rng, n, *c, rng.uniform(50, 200), holes=int(rng.integers(1, 3))))
        elif kind == 2:
            geoms.append(wiggly_line(rng, n, *c, rng.uniform(100, 400)))
        else:
            geoms.append(wiggly_line(rng, n, *c, rng.uniform(100, 400), parts=5))
    fp = footprint_arrays(geoms)
    n = len(geoms)
    got = np.array([[kg.pair_distance_m(i, j, *fp.args()) for j in range(n)] for i in range(n)])
    want = np.array([[ref.pair_distance(a, b) for b in geoms] for a in geoms])
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL_M)
    assert (want == 0).sum() > n  # overlaps at this density: the 0 branch runs
    assert (want > 0).sum() > n
    for i in range(n):
        for j in range(n):
            brute, tree = both_paths(fp, i, j)
            assert tree == brute, (i, j)


def test_containment_and_holes_large():
    rng = np.random.default_rng(11)
    outer = star(rng, 3000, 0, 0, 1000)  # radius 800 .. 1000 m
    holed = star(rng, 3000, 0, 0, 1000, holes=1)  # hole within 160 m of the centre
    inner = star(rng, 2000, 0, 0, 50)  # inside both shells, inside the hole
    solid = star(rng, 2000, 500, 0, 50)  # in the solid part of both
    line_in = wiggly_line(rng, 2000, -300, 400, 200)
    multi = wiggly_line(rng, 2000, -3000, 0, 5000, parts=40)  # crosses everything
    geoms = [outer, holed, inner, solid, line_in, multi]
    fp = footprint_arrays(geoms)
    d = np.array([[kg.pair_distance_m(i, j, *fp.args()) for j in range(6)] for i in range(6)])
    want = np.array([[ref.pair_distance(a, b) for b in geoms] for a in geoms])
    np.testing.assert_allclose(d, want, rtol=0, atol=ATOL_M)
    assert d[0, 2] == d[2, 0] == 0.0  # contained
    assert d[1, 2] > 0.0  # inside the hole
    assert d[1, 3] == d[3, 1] == 0.0
    assert d[0, 4] == d[4, 0] == 0.0
    assert d[1, 5] == 0.0


def nearest_segments_distance(a, b):
    """Least distance between the exterior rings of a and b by GEOS: an upper
    bound U from one vertex of a to b's ring; only the segments of a within U
    of b's convex hull can hold the nearest point; for each, the nearest
    segment of b by shapely's STRtree (exact segment distances)."""
    def segments(g):
        xy = shapely.get_coordinates(shapely.get_exterior_ring(g))
        return shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))

    xy_a = shapely.get_coordinates(a.exterior)
    c = np.asarray(b.centroid.coords[0])
    p = xy_a[np.argmin(((xy_a - c) ** 2).sum(axis=1))]
    upper = shapely.distance(shapely.points(p), b.exterior)
    seg_a = segments(a)
    near = seg_a[shapely.distance(seg_a, shapely.convex_hull(b)) <= upper]
    tree = shapely.STRtree(segments(b))
    _, dist = tree.query_nearest(near, return_distance=True, all_matches=False)
    return float(dist.min())


def test_two_200000_vertex_polygons_fast_and_exact():
    rng = np.random.default_rng(2)
    small = footprint_arrays([star(rng, 100, 0, 0, 10), star(rng, 100, 30, 0, 10)])
    kg.pair_distance_m(0, 1, *small.args())  # compiled (or loaded) outside the clock
    a = star(rng, 200_000, 0, 0, 1000)
    b = star(rng, 200_000, 2300, 700, 1000)
    fp = footprint_arrays([a, b])
    t0 = time.perf_counter()
    got = kg.pair_distance_m(0, 1, *fp.args())
    back = kg.pair_distance_m(1, 0, *fp.args())
    elapsed = time.perf_counter() - t0
    assert elapsed < 5.0, elapsed
    want = nearest_segments_distance(a, b)
    assert want > 0
    assert got == pytest.approx(want, abs=ATOL_M)
    assert back == got
    # interlocked: b moved into a's reach, boundaries crossing -> 0
    c = affinity.translate(b, -1000, -300)
    fp2 = footprint_arrays([a, c])
    t0 = time.perf_counter()
    assert kg.pair_distance_m(0, 1, *fp2.args()) == 0.0
    assert time.perf_counter() - t0 < 5.0


def test_parallel_pairs_with_large_footprints_threads():
    rng = np.random.default_rng(4)
    geoms = [star(rng, int(rng.integers(100, 600)), *rng.uniform(-2000, 2000, 2), 300)
             for _ in range(10)]
    fp = footprint_arrays(geoms)
    pes = np.arange(10)
    radius = np.full(10, 900.0)
    want_pairs = ref.pairs_within_radius(geoms, pes, radius)
    serial = pairs_within_radius(fp, pes, radius, parallel=False)
    assert sorted(zip(serial[0].tolist(), serial[1].tolist(), strict=True)) == sorted(
        (i, j) for i, j, _d in want_pairs)
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda _: pairs_within_radius(fp, pes, radius, parallel=True),
                              range(4)))
    for got in results:
        for x, y in zip(got, serial, strict=True):
            np.testing.assert_array_equal(x, y)
