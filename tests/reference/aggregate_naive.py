"""Slow references of kernels/aggregate.py: brute force over every (PES, site) pair.

`class_nearest`: for each PES, every other site in turn, its exact sectors seen from the
PES and its face toward the PES (`geometry._sector_mask`, the per-pair function the check
uses everywhere) and its exact distance (`geometry._pair_distance`); the nearest site of each
class within the class's cap, ties to the smaller index.  No grid, no ring, no pre-test, no
far-field pruning: what the kernel must reproduce exactly.  A site counts when its distance is
at most the class's cap; a class of cap <= 0 is not wanted, even at distance 0.
"""

from __future__ import annotations

import math

import numpy as np
from depotsafe.kernels.geometry import _pair_distance, _sector_mask


def class_nearest(pes, cap, attr_ec, es_attr, ec, bearing_deg, front_deg, front12_deg, rear_deg, tol_m,
                  seg_start, x0, y0, x1, y1, part_first, is_polygon):
    """The (best_d, best_j) of kernels.aggregate.class_nearest, by brute force."""
    n_sites = seg_start.size - 1
    n_attr = attr_ec.size
    best_d = np.full((pes.size, n_attr * 32), np.inf)
    best_j = np.full((pes.size, n_attr * 32), -1, dtype=np.int64)
    f60, f12, rr = math.radians(front_deg), math.radians(front12_deg), math.radians(rear_deg)
    for k, p in enumerate(pes.tolist()):
        pec = bool(ec[p])
        for j in range(n_sites):
            if j == p:
                continue
            a = int(es_attr[j])
            aec = bool(attr_ec[a])
            d = _pair_distance(p, j, seg_start, x0, y0, x1, y1, part_first, is_polygon)
            em = _sector_mask(j, p, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[j]), f60, rr, tol_m) \
                if aec else 0
            masks = [0, 0]
            if pec:
                masks = [_sector_mask(p, j, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[p]), f, rr, tol_m)
                         for f in (f60, f12)]
            for w in range(2 if pec else 1):
                sectors = [s for s in (1, 2, 3) if masks[w] >> (s - 1) & 1] if pec else [0]
                faces = [e for e in (1, 2, 3) if em >> (e - 1) & 1] if aec else [0]
                for s in sectors:
                    for e in faces:
                        col = a * 32 + w * 16 + s * 4 + e
                        if cap[k, col] > 0.0 and d <= cap[k, col] and d < best_d[k, col]:
                            best_d[k, col] = d  # j ascending: ties keep the smaller index
                            best_j[k, col] = j
    return best_d, best_j
