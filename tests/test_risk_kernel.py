"""kernels/risk.py: the location-risk grid against tests/reference/risk_naive.py and the per-site path."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from depotsafe import risk
from depotsafe.effects.hazards import (
    hd11_fragment_zone,
    hd12_fragment_zone,
    hd13_thermal_zone,
)
from reference import risk_naive


def _events() -> list[risk.Event]:
    """A mass explosion (an L-shaped group footprint), an HD 1.2 fragment event, an HD 1.3 fire."""
    l_shape = shapely.union_all([shapely.box(0, 0, 30, 10), shapely.box(0, 0, 10, 40)])
    return [
        risk.Event("A", ["A"], "barricaded_stack", l_shape, 2e-4, 8000, "mass_explosion", "t",
                   blast_neq_kg=8000, fragment_distance_m=hd11_fragment_zone(8000, "barricaded_stack").radius_m),
        risk.Event("B", ["B"], "igloo_7bar", shapely.box(600, 300, 625, 310), 1e-4, 3000, "fragments", "t",
                   fragment_distance_m=hd12_fragment_zone(3000, "1.2.1").radius_m),
        risk.Event("C", ["C"], "igloo_7bar", shapely.box(-400, -200, -375, -190), 5e-5, 20000, "fire", "t",
                   thermal_d4_m=hd13_thermal_zone(20000, "igloo_7bar").radius_m),
    ]


def test_grid_equals_naive_reference():
    """Every grid point, pruned kernel against the point-by-point reference (inside footprints too)."""
    events = _events()
    x = np.linspace(-4500, 4500, 37)
    y = np.linspace(-4500, 4500, 29)
    x = np.concatenate([x, [5.0, 25.0, -390.0, 612.0]])  # points inside footprints
    y = np.concatenate([y, [5.0, 35.0, -195.0, 305.0]])
    grid = risk.location_risk_grid(events, x, y)
    ref = np.array(risk_naive.location_risk(events, x, y))
    np.testing.assert_allclose(grid, ref, rtol=1e-10, atol=1e-18)
    assert np.count_nonzero(grid) > 0.2 * grid.size  # not trivially zero
    assert np.count_nonzero(grid == 0) > 0  # pruned far points are exactly 0
    # inside the footprint of A: certain death times Pe of A, plus the other events
    assert grid[-4, -4] >= 2e-4


@pytest.mark.parametrize("which", [0, 2])
def test_grid_equals_naive_reference_across_the_near_range(which):
    """Densely across the edge of the blast (A) and thermal (C) ranges, where the kernel switches from the
    full model to the fragment-only path (and visits the full model only in a window of each row)."""
    events = _events()
    ea = risk.event_arrays(events)
    near = max(ea.r_blast[which], ea.th_rmax[which])
    assert near > 0
    cx = 0.5 * (ea.bx0[which] + ea.bx1[which])
    cy = 0.5 * (ea.by0[which] + ea.by1[which])
    # steps that are not multiples of each other, so that points fall just inside and just outside the range
    x = cx + np.linspace(-near - 60.0, near + 60.0, 53)
    y = cy + np.linspace(-near - 45.0, near + 45.0, 47)
    grid = risk.location_risk_grid(events, x, y)
    ref = np.array(risk_naive.location_risk(events, x, y))
    np.testing.assert_allclose(grid, ref, rtol=1e-10, atol=1e-18)


@given(st.floats(-5000, 5000), st.floats(-5000, 5000))
def test_grid_equals_per_site_computation(px, py):
    """The grid at a point equals sum_e Pe x P(f|e) of a person outdoors at that point (depotsafe.risk)."""
    events = _events()
    grid = risk.location_risk_grid(events, [px], [py])
    pt = shapely.Point(px, py)
    site = math.fsum(ev.pe * risk.fatality_probability(ev, float(shapely.distance(ev.geometry, pt)))
                     for ev in events)
    assert grid[0, 0] == pytest.approx(site, rel=1e-10, abs=1e-18)


def test_grid_from_several_threads_is_identical():
    events = _events()
    x = np.linspace(-3000, 3000, 120)
    y = np.linspace(-3000, 3000, 90)
    first = risk.location_risk_grid(events, x, y)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: risk.location_risk_grid(events, x, y), range(4)))
    for r in results:
        np.testing.assert_array_equal(r, first)


def test_no_events_and_bad_grid():
    assert risk.location_risk_grid([], [0.0, 1.0], [0.0]).tolist() == [[0.0, 0.0]]
    with pytest.raises(risk.InputError, match="grid"):
        risk.location_risk_grid(_events(), [math.nan], [0.0])
