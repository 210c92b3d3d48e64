"""kernels.aggregate.class_nearest finds exactly the nearest site of every class of relation.

The licence of a storehouse comes from the nearest exposed site of each class (ES attributes,
PES sector, ES face): a class search that stops too early would license a storehouse by a
farther site than the one that limits it.  The kernel's grids, ring search, cheap pre-tests
and far-field closing of classes (a class no footprint beyond some distance can be in, from
the sector angles) are checked against tests/reference/aggregate_naive.py, a brute force over
every pair with the exact per-pair sector masks and distances: identical nearest sites and
distances, on random depots of earth-covered and plain sites with few distinct bearings (the
case the far-field closing prunes) or many, and on rows of igloos.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from depotsafe.kernels import aggregate as ka
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reference import aggregate_naive as ref

from depotsafe.layout import footprint_arrays

FRONT, FRONT12, REAR, TOL = 63.43, 25.0, 43.7, 1e-6


def _run(geoms, ec, bearing, es_attr, attr_ec, pes, cap, cells):
    fp = footprint_arrays(geoms)
    grids = ka.attribute_grids(es_attr, attr_ec.size, *fp.args()[:5], cells)
    got = ka.class_nearest(pes, cap, attr_ec, ec, bearing, FRONT, FRONT12, REAR, TOL, *grids, *fp.args())
    want = ref.class_nearest(pes, cap, attr_ec, es_attr, ec, bearing, FRONT, FRONT12, REAR, TOL, *fp.args())
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0], want[0])
    return want


@st.composite
def _depot(draw):
    n = draw(st.integers(2, 40))
    few = draw(st.booleans())
    bearings = [0.0, 90.0] if few else [0.0, 17.0, 90.0, 135.5, 180.0, 200.0, 270.0, 333.0, 45.0, 10.0]
    spread = draw(st.sampled_from([30, 150, 600]))
    n_attr = draw(st.integers(1, 3))
    attr_ec = np.array([draw(st.booleans()) for _ in range(n_attr)], dtype=np.bool_)
    geoms, ec, bearing, es_attr = [], [], [], []
    for _ in range(n):
        a = draw(st.integers(0, n_attr - 1))
        x = draw(st.integers(-spread, spread))
        y = draw(st.integers(-spread, spread))
        w = draw(st.integers(1, 30))
        h = draw(st.integers(1, 30))
        g = shapely.box(x, y, x + w, y + h)
        if draw(st.booleans()):
            g = shapely.affinity.rotate(g, draw(st.sampled_from([30.0, 45.0, 90.0, 117.0])))
        geoms.append(g)
        es_attr.append(a)
        ec.append(bool(attr_ec[a]) or draw(st.booleans()))
        bearing.append(draw(st.sampled_from(bearings)))
    ec = np.array(ec, dtype=np.bool_)
    # an earth-covered attribute set holds earth-covered sites (as in the check: kind decides both)
    pes = np.array(sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=min(n, 12)))), dtype=np.int64)
    caps = [0.0, 0.0, 5.0, 40.0, 150.0, 900.0, 5000.0]
    cap = np.array([[draw(st.sampled_from(caps)) for _ in range(n_attr * 32)] for _ in pes], dtype=np.float64)
    cells = np.array([draw(st.sampled_from([3.0, 20.0, 75.0, 2000.0])) for _ in range(n_attr)])
    return geoms, ec, np.array(bearing), np.array(es_attr, dtype=np.int64), attr_ec, pes, cap, cells


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_depot())
def test_class_nearest_is_the_brute_force_nearest(case):
    _run(*case)


def test_rows_of_igloos_far_classes_are_searched_exactly():
    # igloos (25 m x 10 m, doors north) 40 m apart in rows 120 m apart, a few facing south and east:
    # classes such as front-to-front exist only toward the turned ones, far beyond the neighbours
    geoms, bearing = [], []
    for r in range(8):
        for c in range(15):
            x, y = 40.0 * c, 120.0 * r
            geoms.append(shapely.box(x - 12.5, y - 5.0, x + 12.5, y + 5.0))
            bearing.append(180.0 if (r, c) in ((6, 3), (1, 12)) else 90.0 if (r, c) == (4, 7) else 0.0)
    n = len(geoms)
    ec = np.ones(n, dtype=np.bool_)
    es_attr = np.zeros(n, dtype=np.int64)
    attr_ec = np.array([True])
    pes = np.arange(n, dtype=np.int64)
    cap = np.zeros((n, 32))
    for col in range(32):
        if col % 4 and (col % 16) // 4:
            cap[:, col] = 800.0
    want = _run(geoms, ec, np.array(bearing), es_attr, attr_ec, pes, cap, np.array([60.0]))
    front_front = want[1][:, 1 * 4 + 1]
    assert set(front_front[front_front >= 0].tolist()) >= {90 + 3, 15 + 12}  # the turned igloos are found


def test_sites_swept_across_the_sector_lines_near_and_far():
    # igloos (25 m x 10 m) around one at the origin, every 0.75 deg on rings from 15 m to 400 m,
    # facing one of two ways: footprints on and around every sector line at every range, where
    # the far-field closing has the least angular room; every site is a PES in turn
    geoms, bearing = [shapely.box(-12.5, -5.0, 12.5, 5.0)], [0.0]
    k = 0
    for r in (15.0, 22.0, 35.0, 60.0, 110.0, 230.0, 400.0):
        for t in np.arange(0.0, 360.0, 0.75 if r < 100 else 3.0):
            x, y = r * math.sin(math.radians(t)), r * math.cos(math.radians(t))
            g = shapely.affinity.rotate(shapely.box(x - 12.5, y - 5.0, x + 12.5, y + 5.0), -float(t) if k % 3 else 0.0,
                                        origin=(x, y))
            geoms.append(g)
            bearing.append(180.0 if k % 2 else 0.0)
            k += 1
    n = len(geoms)
    ec = np.ones(n, dtype=np.bool_)
    es_attr = np.zeros(n, dtype=np.int64)
    pes = np.arange(0, n, 7, dtype=np.int64)
    cap = np.full((pes.size, 32), 1000.0)
    _run(geoms, ec, np.array(bearing), es_attr, np.array([True]), pes, cap, np.array([25.0]))


def test_front_to_front_barely_possible_far_out():
    # ES turned 50.14 deg: seen from a PES facing north, the front sectors of both miss each other
    # by only 3 deg of direction, so front-to-front stays possible (footprints being 25 m long)
    # out to several hundred metres, along the PES's front line: the far-field closing must not
    # close that class before the last of them
    geoms, bearing = [shapely.box(-12.5, -5.0, 12.5, 5.0)], [0.0]
    for r in np.arange(40.0, 900.0, 20.0):
        for t in np.arange(-72.0, -58.0, 0.5):
            x, y = r * math.sin(math.radians(t)), r * math.cos(math.radians(t))
            geoms.append(shapely.affinity.rotate(shapely.box(x - 12.5, y - 5.0, x + 12.5, y + 5.0), -50.14,
                                                 origin=(x, y)))
            bearing.append(50.14)
    n = len(geoms)
    cap = np.zeros((1, 32))
    cap[0, 1 * 4 + 1] = 2000.0  # front to front only: no nearer class keeps the search going
    # its nearest with the ES nearer than 0, 250 and 500 m removed (the last ones are near 380 m)
    found = []
    for r_min in (0.0, 150.0, 300.0):
        keep = [0] + [i for i in range(1, n) if math.hypot(*shapely.centroid(geoms[i]).coords[0]) >= r_min]
        want = _run([geoms[i] for i in keep], np.ones(len(keep), dtype=np.bool_), np.array(bearing)[keep],
                    np.zeros(len(keep), dtype=np.int64), np.array([True]), np.array([0]), cap, np.array([20.0]))
        found.append(float(want[0][0, 5]))
    assert found[0] < found[1] < found[2] < 2000.0  # the class is there at every range tried
