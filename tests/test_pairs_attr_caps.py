"""kernels.aggregate.pairs_within_attr_caps finds exactly the pairs of
geometry.pairs_within_radius kept by a cap per attribute set of the exposed site.

The outward pairs of the whole-depot check come from it (check_depot); the slow
reference is the composition it replaces: every site within the PES's whole
radius, then ``distance <= cap[pes, attribute of the site]``.  Random depots of
rotated rectangles and lines on an integer grid (so that touching
footprints and distances exactly at a cap occur), random caps including 0.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from depotsafe.kernels import aggregate as ka
from depotsafe.kernels import geometry as kg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotsafe.layout import footprint_arrays


def _footprints(draw, n: int) -> list:
    geoms = []
    for _ in range(n):
        shape = draw(st.sampled_from(["rect", "rect", "rect", "line"]))
        x = draw(st.integers(-60, 60))
        y = draw(st.integers(-60, 60))
        if shape == "line":
            geoms.append(shapely.LineString([(x, y), (x + draw(st.integers(-20, 20)), y + draw(st.integers(1, 20)))]))
        else:
            w = draw(st.integers(1, 25))
            h = draw(st.integers(1, 25))
            rect = shapely.box(x, y, x + w, y + h)
            if draw(st.booleans()):
                rect = shapely.affinity.rotate(rect, draw(st.sampled_from([0.0, 30.0, 45.0, 90.0, 117.0])))
            geoms.append(rect)
    return geoms


@st.composite
def _case(draw):
    n = draw(st.integers(2, 30))
    geoms = _footprints(draw, n)
    n_attr = draw(st.integers(1, 4))
    es_attr = np.array([draw(st.integers(0, n_attr - 1)) for _ in range(n)], dtype=np.int64)
    pes = np.array(sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n))), dtype=np.int64)
    cap = np.array([[draw(st.sampled_from([0.0, 0.5, 3.0, 10.0, 25.0, 40.0, 90.0, -1.0]))
                     for _ in range(n_attr)] for _ in pes], dtype=np.float64)
    cells = np.array([draw(st.sampled_from([1.0, 7.5, 30.0, 500.0])) for _ in range(n_attr)])
    return geoms, es_attr, pes, cap, cells


def _reference(fp, pes, cap, es_attr):
    radius = np.zeros(fp.n_sites)
    radius[pes] = np.maximum(cap.max(axis=1), 0.0)
    pi, pj, d = kg.pairs_within_radius_serial(pes, radius, *fp.args(), 10.0)
    pos = np.full(fp.n_sites, -1, dtype=np.int64)
    pos[pes] = np.arange(pes.size)
    keep = d <= cap[pos[pi], es_attr[pj]]
    return (pi[keep], pj[keep], d[keep]), radius


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_same_pairs_as_radius_search_then_caps(case):
    geoms, es_attr, pes, cap, cells = case
    fp = footprint_arrays(geoms)
    (ri, rj, rd), radius = _reference(fp, pes, cap, es_attr)
    grids = ka.attribute_grids(es_attr, cap.shape[1], *fp.args()[:5], cells)
    pi, pj, d = ka.pairs_within_attr_caps(pes, cap, radius, es_attr, *grids, *fp.args())
    np.testing.assert_array_equal(pi, ri)
    np.testing.assert_array_equal(pj, rj)
    np.testing.assert_array_equal(d, rd)


def test_on_a_row_of_igloos_and_far_houses():
    # igloos 40 m apart in rows 120 m apart; houses 14 km away: only neighbours within the
    # igloo cap pair, no house is reached
    geoms, es_attr = [], []
    for r in range(6):
        for c in range(20):
            geoms.append(shapely.box(40.0 * c - 5, 120.0 * r - 12.5, 40.0 * c + 5, 120.0 * r + 12.5))
            es_attr.append(0)
    for k in range(12):
        a = 2 * math.pi * k / 12
        geoms.append(shapely.box(14000 * math.cos(a), 14000 * math.sin(a), 14000 * math.cos(a) + 10,
                                 14000 * math.sin(a) + 10))
        es_attr.append(1)
    es_attr = np.array(es_attr, dtype=np.int64)
    fp = footprint_arrays(geoms)
    pes = np.arange(120, dtype=np.int64)
    cap = np.tile([35.0, 600.0], (120, 1))
    (ri, rj, rd), radius = _reference(fp, pes, cap, es_attr)
    grids = ka.attribute_grids(es_attr, 2, *fp.args()[:5], np.array([40.0, 2000.0]))
    pi, pj, d = ka.pairs_within_attr_caps(pes, cap, radius, es_attr, *grids, *fp.args())
    np.testing.assert_array_equal(pi, ri)
    np.testing.assert_array_equal(pj, rj)
    np.testing.assert_array_equal(d, rd)
    assert ri.size > 0
    assert np.all(es_attr[pj] == 0)
    assert np.all(d == 30.0)  # side by side: 40 m centres, 10 m wide
