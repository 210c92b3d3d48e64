"""The cheap sector pre-tests of kernels.aggregate.class_nearest never drop a sector.

`_possible_sectors` (from a footprint's centre and radius) must be a superset of what the
exact `geometry._sector_mask` finds, or a licence could come from a farther exposed site
than the nearest of its class.  Checked on random footprints, including ones placed on and
near the sector lines.
"""

from __future__ import annotations

import math

import numpy as np
from depotsafe.kernels.aggregate import _in_frame, _possible_sectors, footprint_disks
from depotsafe.kernels.geometry import _sector_mask

TOL = 1e-6


def _rects(rng: np.random.Generator, n: int, spread: float) -> tuple[np.ndarray, ...]:
    """n rotated rectangles (4 segments each) around the origin."""
    seg_start = np.arange(0, 4 * n + 1, 4, dtype=np.int64)
    x0 = np.empty(4 * n)
    y0 = np.empty(4 * n)
    for i in range(n):
        cx, cy = rng.uniform(-spread, spread, 2)
        w, h = rng.uniform(1.0, 40.0, 2)
        th = rng.uniform(0.0, 2 * math.pi)
        c, s = math.cos(th), math.sin(th)
        for k, (du, dv) in enumerate(((-w, -h), (w, -h), (w, h), (-w, h))):
            x0[4 * i + k] = cx + 0.5 * (du * c - dv * s)
            y0[4 * i + k] = cy + 0.5 * (du * s + dv * c)
    x1 = np.roll(x0.reshape(n, 4), -1, axis=1).ravel()
    y1 = np.roll(y0.reshape(n, 4), -1, axis=1).ravel()
    return seg_start, x0, y0, x1, y1


def _check_superset(seg, bearing: np.ndarray, pairs: list[tuple[int, int]], angles: list[float]) -> int:
    n = seg[0].size - 1
    ec = np.ones(n, dtype=np.bool_)
    ccx, ccy, crho, frames = footprint_disks(ec, bearing, *seg)
    rr = math.radians(45.0)
    pruned = 0
    for p, j in pairs:
        fr = frames[p]
        cu, cv = _in_frame(ccx[j], ccy[j], fr)
        for a in angles:
            fa = math.radians(a)
            exact = _sector_mask(p, j, *seg, math.radians(bearing[p]), fa, rr, TOL)
            maybe = _possible_sectors(cu, cv, crho[j], fr[4], fr[5], fr[6], fr[7], math.cos(fa), math.sin(fa),
                                      math.cos(rr), math.sin(rr), TOL)
            assert exact & ~maybe == 0, (p, j, a, exact, maybe)
            pruned += bin(7 & ~maybe).count("1")
    return pruned


def test_possible_sectors_contain_the_exact_mask_on_random_footprints():
    rng = np.random.default_rng(7)
    seg = _rects(rng, 300, 400.0)
    bearing = rng.choice([0.0, 90.0, 180.0, 33.0, 271.5], 300)
    pairs = [(int(p), int(j)) for p, j in rng.integers(0, 300, (6000, 2)) if p != j]
    pruned = _check_superset(seg, bearing, pairs, [60.0, 25.0, 80.0, 63.43])
    assert pruned > 1000  # the pre-test does exclude sectors, it is not trivially "all"


def test_possible_sectors_on_and_near_the_sector_lines():
    # a 25 m x 10 m PES, door north; small squares centred on its front and rear sector lines,
    # a footprint's width off them and exactly touching them
    rng = np.random.default_rng(11)
    n = 1 + 400
    seg_start = np.arange(0, 4 * n + 1, 4, dtype=np.int64)
    x0 = np.empty(4 * n)
    y0 = np.empty(4 * n)
    corners = [(-12.5, -5.0), (12.5, -5.0), (12.5, 5.0), (-12.5, 5.0)]
    for k, (u, v) in enumerate(corners):
        x0[k], y0[k] = u, v
    for i in range(1, n):
        front = i % 2 == 0
        half = math.radians(60.0 if front else 45.0)
        side = 1.0 if rng.random() < 0.5 else -1.0
        t = rng.uniform(0.0, 500.0)
        # a point on the sector line from the corner of that face
        px = side * (12.5 + t * math.sin(half))
        py = (5.0 + t * math.cos(half)) if front else (-5.0 - t * math.cos(half))
        r = rng.choice([0.5, 2.0, 10.0])
        off = rng.choice([-r, -r - 1e-7, 0.0, r, r + 1e-7, r * math.sqrt(2.0)])
        # shift across the line by off
        nx_, ny_ = side * math.cos(half), (-1.0 if front else 1.0) * math.sin(half)
        cx, cy = px + off * nx_, py + off * ny_
        for k, (du, dv) in enumerate(((-r, -r), (r, -r), (r, r), (-r, r))):
            x0[4 * i + k] = cx + du
            y0[4 * i + k] = cy + dv
    x1 = np.roll(x0.reshape(n, 4), -1, axis=1).ravel()
    y1 = np.roll(y0.reshape(n, 4), -1, axis=1).ravel()
    bearing = np.zeros(n)
    _check_superset((seg_start, x0, y0, x1, y1), bearing, [(0, j) for j in range(1, n)], [60.0])
