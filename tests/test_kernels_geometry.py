"""Geometry kernels against shapely (tests/reference/geometry_naive.py) and by hand."""

from __future__ import annotations

import math
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import shapely
from depotsafe.kernels import geometry as kg
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, Polygon, box

from depotsafe.errors import InputError
from depotsafe.layout import (
    face_towards,
    footprint_arrays,
    pairs_within_radius,
    propellant_cone_hits,
    rectangle_coords,
    sector_masks,
)

sys.path.insert(0, str(Path(__file__).parent))
from reference import geometry_naive as ref

DIST_ATOL_M = 1e-6  # the brief's tolerance against shapely.distance
RTOL = 1e-12  # compiled versus interpreted, fastmath off


def py(kernel):
    """The interpreted Python source of a kernel (itself under NUMBA_DISABLE_JIT=1)."""
    return getattr(kernel, "py_func", kernel)


def random_footprints(rng, n, spread_m=1000.0, size_m=30.0):
    """Random star-shaped polygons, polygons with holes, lines and multi-lines."""
    geoms = []
    for i in range(n):
        c = rng.uniform(-spread_m, spread_m, 2)
        kind = i % 4
        if kind == 3:
            pts = c + rng.uniform(-size_m, size_m, (rng.integers(2, 6), 2))
            geoms.append(LineString(pts))
        elif kind == 2 and i % 8 == 2:
            parts = [c + rng.uniform(-size_m, size_m, (3, 2)) for _ in range(2)]
            geoms.append(MultiLineString(parts))
        else:
            k = int(rng.integers(3, 9))
            ang = np.sort(rng.uniform(0, 2 * np.pi, k))
            r = rng.uniform(0.3 * size_m, size_m, k)
            shell = np.c_[c[0] + r * np.cos(ang), c[1] + r * np.sin(ang)]
            if kind == 1:
                hole = np.c_[c[0] + 0.2 * size_m * np.cos(ang[::-1]),
                             c[1] + 0.2 * size_m * np.sin(ang[::-1])]
                g = Polygon(shell, [hole])
            else:
                g = Polygon(shell)
            if not g.is_valid:
                g = shapely.convex_hull(g)
            geoms.append(g)
    return geoms


def all_distances(fp, n):
    return np.array([[kg.pair_distance_m(i, j, *fp.args()) for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_distance_matches_shapely(seed):
    rng = np.random.default_rng(seed)
    geoms = random_footprints(rng, 60, spread_m=150.0)
    fp = footprint_arrays(geoms)
    got = all_distances(fp, len(geoms))
    want = np.asarray(shapely.distance(np.array(geoms)[:, None], np.array(geoms)[None, :]))
    np.testing.assert_allclose(got, want, rtol=0, atol=DIST_ATOL_M)
    # many pairs overlap at this density: the 0-distance branch is exercised
    assert (want == 0).sum() > len(geoms)


def test_pair_distance_compiled_equals_interpreted():
    rng = np.random.default_rng(5)
    geoms = random_footprints(rng, 20, spread_m=100.0)
    fp = footprint_arrays(geoms)
    for i in range(20):
        for j in range(20):
            a = kg.pair_distance_m(i, j, *fp.args())
            b = py(kg.pair_distance_m)(i, j, *fp.args())
            assert a == pytest.approx(b, rel=RTOL, abs=0)


@given(
    st.floats(-500, 500), st.floats(-500, 500), st.floats(1, 50), st.floats(1, 50),
    st.floats(0, 360, exclude_max=True), st.floats(-200, 200), st.floats(-200, 200),
    st.floats(0, 360, exclude_max=True),
)
def test_pair_distance_rectangles_property(x, y, ln, wd, b, x2, y2, b2):
    g1 = Polygon(rectangle_coords(x, y, ln, wd, b)[0])
    g2 = LineString(rectangle_coords(x + x2, y + y2, ln, wd, b2)[0][:3])
    fp = footprint_arrays([g1, g2])
    assert kg.pair_distance_m(0, 1, *fp.args()) == pytest.approx(
        g1.distance(g2), abs=DIST_ATOL_M)


def test_distance_hand_cases():
    outer = box(0, 0, 100, 100)
    ring = Polygon([(0, 0), (100, 0), (100, 100), (0, 100)],
                   [[(20, 20), (20, 80), (80, 80), (80, 20)]])
    inside = box(40, 40, 50, 50)  # inside the outer box, inside the hole of ring
    line_inside = LineString([(10, 10), (15, 12)])
    multi = MultiLineString([[(300, 0), (310, 0)], [(5, 5), (6, 6)]])  # 2nd part inside
    far = box(130, 0, 140, 10)  # 30 m east of both big boxes
    touching = box(100, 0, 110, 10)
    geoms = [outer, ring, inside, line_inside, multi, far, touching]
    fp = footprint_arrays(geoms)
    d = all_distances(fp, len(geoms))
    assert d[0, 2] == 0.0  # contained
    assert d[2, 0] == 0.0
    assert d[1, 2] == pytest.approx(20.0)  # inside the hole: 20 m to its edge
    assert d[0, 3] == 0.0
    assert d[3, 0] == 0.0
    assert d[0, 4] == 0.0  # a part of the multi-line lies inside
    assert d[1, 4] == 0.0  # ... inside ring's solid part too
    assert d[2, 4] == pytest.approx(math.hypot(34, 34))
    assert d[0, 5] == 30.0
    assert d[0, 6] == 0.0  # touching edges
    assert d[5, 6] == 20.0


@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize(("seed", "cell"), [(0, None), (1, None), (2, 3.0), (3, 5000.0)])
def test_pairs_within_radius_equals_brute_force(seed, cell, parallel):
    rng = np.random.default_rng(seed)
    geoms = random_footprints(rng, 150, spread_m=600.0)
    fp = footprint_arrays(geoms)
    pes = np.sort(rng.choice(150, 70, replace=False))
    radius = rng.uniform(0.0, 250.0, 150)
    radius[pes[0]] = 0.0  # only touching/overlapping sites
    pi, pj, d = pairs_within_radius(fp, pes, radius, cell_m=cell, parallel=parallel)
    want = ref.pairs_within_radius(geoms, pes, radius)
    assert list(zip(pi.tolist(), pj.tolist(), strict=True)) == [(a, b) for a, b, _ in want]
    np.testing.assert_allclose(d, [w for *_, w in want], rtol=0, atol=DIST_ATOL_M)
    assert len(want) > 100


def test_pairs_within_radius_interpreted_and_empty():
    rng = np.random.default_rng(9)
    geoms = random_footprints(rng, 40, spread_m=200.0)
    fp = footprint_arrays(geoms)
    pes = np.arange(0, 40, 3, dtype=np.int64)
    radius = np.full(40, 80.0)
    got = pairs_within_radius(fp, pes, radius, cell_m=25.0)
    slow = py(kg.pairs_within_radius)(pes, radius, *fp.args(), 25.0)
    for a, b in zip(got, slow, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=0)
    pi, pj, d = pairs_within_radius(fp, np.empty(0, dtype=np.int64), radius)
    assert pi.size == pj.size == d.size == 0


def _rotate(geoms, angle_deg, dx, dy):
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)

    def fn(xy):
        return np.c_[c * xy[:, 0] - s * xy[:, 1] + dx, s * xy[:, 0] + c * xy[:, 1] + dy]

    return [shapely.transform(g, fn) for g in geoms]


@pytest.mark.parametrize(("angle", "dx", "dy"), [(0, 1234.5, -987.25), (37.0, 0, 0),
                                                  (123.0, -55.0, 310.0)])
def test_invariance_translation_rotation_reordering(angle, dx, dy):
    rng = np.random.default_rng(11)
    n = 80
    cx, cy = rng.uniform(-400, 400, n), rng.uniform(-400, 400, n)
    geoms = [Polygon(r) for r in rectangle_coords(cx, cy, rng.uniform(5, 40, n),
                                                  rng.uniform(5, 20, n),
                                                  rng.uniform(0, 360, n))]
    bearing = rng.uniform(0, 360, n)
    radius = rng.uniform(50, 300, n)
    pes = np.arange(0, n, 2)

    def run(gs, bs, rad, p):
        fp = footprint_arrays(gs)
        pi, pj, d = pairs_within_radius(fp, p, rad)
        m = sector_masks(fp, pi, pj, bs)
        c = propellant_cone_hits(fp, pi, pj, bs)
        return pi, pj, d, m, c

    base = run(geoms, bearing, radius, pes)
    # rotating the plane counter-clockwise by angle turns bearings clockwise-negative
    moved = run(_rotate(geoms, angle, dx, dy), (bearing - angle) % 360.0, radius, pes)
    perm = rng.permutation(n)
    inv = np.argsort(perm)
    shuffled = run([geoms[k] for k in perm], bearing[perm], radius[perm], inv[pes])
    for other, remap in ((moved, lambda a: a), (shuffled, lambda a: perm[a])):
        oi, oj = remap(other[0]), remap(other[1])
        key_b = dict(zip(zip(base[0].tolist(), base[1].tolist(), strict=True),
                         zip(base[2], base[3], base[4], strict=True), strict=True))
        key_o = dict(zip(zip(oi.tolist(), oj.tolist(), strict=True),
                         zip(other[2], other[3], other[4], strict=True), strict=True))
        assert key_b.keys() == key_o.keys()
        for k, (d, m, c) in key_b.items():
            d2, m2, c2 = key_o[k]
            assert d2 == pytest.approx(d, abs=1e-9)
            assert (m2, c2) == (m, c)


# ---------------------------------------------------------------- sectors

# PES: an igloo 10 m wide (x) and 25 m long (y), door facing north (bearing 0):
# front face y = 12.5 with corners (-5, 12.5), (5, 12.5); rear face y = -12.5.
IGLOO = box(-5, -12.5, 5, 12.5)
S60 = math.sin(math.radians(60))
C60 = math.cos(math.radians(60))


def _masks(es_geoms, bearing=0.0, pes=IGLOO, front=60.0):
    geoms = [pes, *es_geoms]
    fp = footprint_arrays(geoms)
    n = len(geoms)
    b = np.full(n, np.nan)
    b[0] = bearing
    return sector_masks(fp, np.zeros(n - 1, dtype=np.int64), np.arange(1, n), b, front)


def test_sectors_hand_worked():
    es = [
        box(-2, 100, 2, 104),  # straight ahead: front
        box(100, -2, 104, 2),  # abeam: side
        box(-2, -104, 2, -100),  # straight behind: rear
        box(-500, 50, 500, 60),  # wide strip ahead: front and side
        box(-3, -3, 3, 3),  # overlapping the igloo itself: side
        box(-500, -500, 500, 500),  # everything around: all three
    ]
    assert _masks(es).tolist() == [1, 2, 4, 3, 2, 7]


def test_sector_on_the_line_touches_both():
    # rear line from the rear corner (5, -12.5) at 45 deg to the rear normal:
    # points (5 + t, -12.5 - t).  A square in the side region with a corner at t = 20
    on_rear = box(25, -32.5, 35, -22.5)
    # front line from (5, 12.5) at 60 deg to the door normal: (5 + t sin60, 12.5 + t cos60)
    xc, yc = 5 + 20 * S60, 12.5 + 20 * C60
    on_front = box(xc, yc - 5, xc + 5, yc)  # below the line, corner on it
    just_off = box(xc + 1e-3, yc - 5, xc + 5, yc - 1e-3)  # a millimetre off: side only
    masks = _masks([on_rear, on_front, just_off]).tolist()
    assert masks == [2 | 4, 1 | 2, 2]
    # same with the reference (shapely polygons, same 1 micrometre closure)
    for g, m in zip([on_rear, on_front, just_off], masks, strict=True):
        assert ref.sector_mask(IGLOO, g, 0.0, 60.0, 45.0, tol_m=1e-6) == m


def test_sector_hd12_front_is_wider():
    # a point 70 deg off the door normal from the front corner: side for HD 1.1
    # (60 deg), front for HD 1.2 (80 deg)
    a = math.radians(70)
    p = shapely.Point(5 + 100 * math.sin(a), 12.5 + 100 * math.cos(a)).buffer(0.5)
    assert _masks([p], front=60.0).tolist() == [2]
    assert _masks([p], front=80.0).tolist() == [1]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("front", [60.0, 80.0])
def test_sectors_match_reference(seed, front):
    rng = np.random.default_rng(seed)
    n = 300
    cx, cy = rng.uniform(-300, 300, n), rng.uniform(-300, 300, n)
    geoms = [Polygon(r) for r in rectangle_coords(cx, cy, rng.uniform(5, 40, n),
                                                  rng.uniform(5, 20, n),
                                                  rng.uniform(0, 360, n))]
    geoms[0] = Polygon(rectangle_coords(3.0, -7.0, 25, 10, 0.0)[0])
    geoms[1] = LineString([(-400, 40), (400, 60)])  # a road
    bearing = float(rng.uniform(0, 360))
    masks = _masks(geoms[1:], bearing=bearing, pes=geoms[0], front=front)
    want = [ref.sector_mask(geoms[0], g, bearing, front, 45.0, tol_m=1e-6)
            for g in geoms[1:]]
    assert masks.tolist() == want
    assert set(want) >= {1, 2, 4, 3, 6}


def test_sector_kernel_interpreted():
    geoms = [IGLOO, box(-500, 50, 500, 60), box(100, -2, 104, 2)]
    fp = footprint_arrays(geoms)
    b = np.array([10.0, np.nan, np.nan])
    pes = np.zeros(2, dtype=np.int64)
    es = np.array([1, 2], dtype=np.int64)
    fa = np.full(2, 60.0)
    got = kg.sector_masks(pes, es, *fp.args()[:5], b, fa, 45.0, 1e-6)
    slow = py(kg.sector_masks)(pes, es, *fp.args()[:5], b, fa, 45.0, 1e-6)
    assert got.tolist() == slow.tolist() == [3, 2]


def test_face_towards_swaps_roles():
    # ES igloo at the origin, door north; a PES stack straight behind it
    stack = box(-3, -80, 3, -74)
    geoms = [IGLOO, stack]
    fp = footprint_arrays(geoms)
    b = np.array([0.0, np.nan])
    assert face_towards(fp, [0], [1], b).tolist() == [4]  # the ES turns its rear
    with pytest.raises(InputError, match="front bearing"):
        face_towards(fp, [1], [0], b)


def test_propellant_cone():
    # apex at the door centre (0, 12.5); +-30 deg about north
    def at(deg, r=200.0):
        a = math.radians(deg)
        return shapely.Point(r * math.sin(a), 12.5 + r * math.cos(a)).buffer(0.1)

    geoms = [IGLOO, at(0), at(29), at(-29), at(31), at(45), at(180), box(-50, -5, -40, 5)]
    fp = footprint_arrays(geoms)
    n = len(geoms)
    b = np.full(n, np.nan)
    b[0] = 0.0
    hits = propellant_cone_hits(fp, np.zeros(n - 1, dtype=np.int64), np.arange(1, n), b)
    # at 31 deg the 0.1 m circle is 200 sin(1 deg) = 3.5 m outside the cone
    assert hits.tolist() == [True, True, True, False, False, False, False]
    want = [ref.cone_hit(IGLOO, g, 0.0, 30.0, 1e-6) for g in geoms[1:]]
    assert hits.tolist() == want


def test_wrapper_errors():
    fp = footprint_arrays([IGLOO, box(20, 0, 30, 10)])
    with pytest.raises(InputError, match=r"radius_m: got -1\.0; finite and >= 0"):
        pairs_within_radius(fp, [0], [-1.0, 5.0])
    with pytest.raises(InputError, match=r"one radius per site \(2\)"):
        pairs_within_radius(fp, [0], [1.0])
    with pytest.raises(InputError, match=r"pes: got 5; site indices in \[0, 1\]"):
        pairs_within_radius(fp, [5], [1.0, 1.0])
    with pytest.raises(InputError, match=r"cell_m: got 0\.0; a finite number > 0"):
        pairs_within_radius(fp, [0], [1.0, 1.0], cell_m=0.0)
    with pytest.raises(InputError, match=r"cell_m: got 1e-06; too small for this layout"):
        pairs_within_radius(fp, [0], [1.0, 1.0], cell_m=1e-6)
    with pytest.raises(InputError, match=r"front_half_angle_deg: got 95.0; in \(0, 90\)"):
        sector_masks(fp, [0], [1], [0.0, np.nan], 95.0)
    with pytest.raises(InputError, match="Polygon, LineString or MultiLineString"):
        footprint_arrays([shapely.Point(0, 0)])


def test_threads_and_signatures():
    rng = np.random.default_rng(3)
    geoms = random_footprints(rng, 200, spread_m=500.0)
    fp = footprint_arrays(geoms)
    radius = np.full(200, 120.0)
    pes = np.arange(200)
    want = pairs_within_radius(fp, pes, radius, parallel=False)
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(
            lambda _: pairs_within_radius(fp, pes, radius, parallel=True), range(8)))
    for got in results:
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
    # lists and ints in, one compiled signature per kernel
    pairs_within_radius(fp, [0, 1], list(radius), parallel=True)
    pairs_within_radius(fp, [0, 1], list(radius), parallel=False)
    if not hasattr(kg.pairs_within_radius, "signatures"):
        return  # NUMBA_DISABLE_JIT=1
    assert len(kg.pairs_within_radius.signatures) == 1
    assert len(kg.pairs_within_radius_serial.signatures) == 1
    assert len(kg.sector_masks.signatures) <= 1
