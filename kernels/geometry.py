"""Geometry kernels of the whole-depot check: footprint distances, candidate
pairs within a search radius, and sectors of earth-covered magazines.

Footprints as segments
----------------------
Every site's footprint is given by its boundary segments in four flat float64
arrays ``x0, y0, x1, y1`` [m] (local metres, x east, y north).  The segments of
site ``i`` are ``seg_start[i] .. seg_start[i + 1] - 1`` (int64 offsets, length
n_sites + 1).  Polygon footprints list every ring (exterior and holes); line
footprints list every part.  ``part_first[k]`` is 1 for the first segment of a
ring or part (its start vertex represents that ring or part in containment
tests), 0 otherwise.  ``is_polygon[i]`` is 1 when the footprint of site i is a
polygon (its interior belongs to it), 0 for lines.

Distances are exact nearest-point distances between the closed footprints
(AASTP-1 section 1.3.2.2): the minimum over segment pairs of the exact
segment-segment distance, or 0 when the footprints intersect or one polygon
contains the other.  Checked against ``shapely.distance`` in
tests/reference/geometry_naive.py.

All kernels: fastmath off (the outputs feed compliance decisions), no
globals, thread-safe (no shared mutable state; parallel kernels write disjoint
slices of their outputs).  Inputs are not validated here; the wrappers in
depotsafe.layout do that.
"""

from __future__ import annotations

import math

import numpy as np
from depotsafe.kernels._jit import njit
from numba import prange

# --------------------------------------------------------------------------- primitives


@njit(cache=True)
def _point_segment_distance2(px, py, ax, ay, bx, by):  # pragma: no cover - compiled
    """Squared distance from point P to the closed segment AB [m^2]."""
    dx = bx - ax
    dy = by - ay
    len2 = dx * dx + dy * dy
    if len2 == 0.0:
        ex = px - ax
        ey = py - ay
        return ex * ex + ey * ey
    t = ((px - ax) * dx + (py - ay) * dy) / len2
    if t <= 0.0:
        ex = px - ax
        ey = py - ay
    elif t >= 1.0:
        ex = px - bx
        ey = py - by
    else:
        ex = px - (ax + t * dx)
        ey = py - (ay + t * dy)
    return ex * ex + ey * ey


@njit(cache=True)
def _orient(ax, ay, bx, by, cx, cy):  # pragma: no cover - compiled
    """Sign of the cross product (B - A) x (C - A): 1, 0 or -1."""
    v = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    if v > 0.0:
        return 1
    if v < 0.0:
        return -1
    return 0


@njit(cache=True)
def _on_segment(ax, ay, bx, by, px, py):  # pragma: no cover - compiled
    """P collinear with AB lies within AB's bounding box."""
    return (min(ax, bx) <= px <= max(ax, bx)) and (min(ay, by) <= py <= max(ay, by))


@njit(cache=True)
def _segments_intersect(ax, ay, bx, by, cx, cy, dx, dy):  # pragma: no cover - compiled
    """The closed segments AB and CD share a point."""
    o1 = _orient(ax, ay, bx, by, cx, cy)
    o2 = _orient(ax, ay, bx, by, dx, dy)
    o3 = _orient(cx, cy, dx, dy, ax, ay)
    o4 = _orient(cx, cy, dx, dy, bx, by)
    if o1 * o2 < 0 and o3 * o4 < 0:
        return True
    # touching or collinear: an end point lies on the other segment
    if o1 == 0 and _on_segment(ax, ay, bx, by, cx, cy):
        return True
    if o2 == 0 and _on_segment(ax, ay, bx, by, dx, dy):
        return True
    if o3 == 0 and _on_segment(cx, cy, dx, dy, ax, ay):
        return True
    return o4 == 0 and _on_segment(cx, cy, dx, dy, bx, by)


@njit(cache=True)
def _point_in_site(px, py, i, seg_start, x0, y0, x1, y1):  # pragma: no cover
    """Even-odd (crossing number) test of P against all rings of polygon site i."""
    inside = False
    for k in range(seg_start[i], seg_start[i + 1]):
        ya = y0[k]
        yb = y1[k]
        if (ya > py) != (yb > py):
            xc = x0[k] + (py - ya) * (x1[k] - x0[k]) / (yb - ya)
            if px < xc:
                inside = not inside
    return inside


@njit(cache=True)
def _segment_pair_d2(a, b, x0, y0, x1, y1, a_last, b_last, d2):  # pragma: no cover
    """Squared distance between boundary segments a and b as the pair distance
    reads it [m^2]: the start vertex of each against the other segment, and
    the end vertex of a segment that ends an open line part (``a_last``,
    ``b_last``).  -1.0 when the closed segments intersect; ``d2`` itself when
    their bounding boxes are at least sqrt(d2) apart (nothing to gain)."""
    ax, ay, bx, by = x0[a], y0[a], x1[a], y1[a]
    cx, cy, ex, ey = x0[b], y0[b], x1[b], y1[b]
    # lower bound: gap between the segments' bounding boxes
    gx = max(0.0, max(min(cx, ex) - max(ax, bx), min(ax, bx) - max(cx, ex)))
    gy = max(0.0, max(min(cy, ey) - max(ay, by), min(ay, by) - max(cy, ey)))
    if gx * gx + gy * gy >= d2:
        return d2
    if gx == 0.0 and gy == 0.0 and _segments_intersect(ax, ay, bx, by, cx, cy, ex, ey):
        return -1.0
    dd = min(_point_segment_distance2(ax, ay, cx, cy, ex, ey),
             _point_segment_distance2(cx, cy, ax, ay, bx, by))
    if a_last:
        dd = min(dd, _point_segment_distance2(bx, by, cx, cy, ex, ey))
    if b_last:
        dd = min(dd, _point_segment_distance2(ex, ey, ax, ay, bx, by))
    return min(d2, dd)


@njit(cache=True)
def _ends_part(k, end, is_open, part_first):  # pragma: no cover - compiled
    """Segment k ends an open line part (its end vertex is not repeated)."""
    return is_open and (k + 1 == end or part_first[k + 1] != 0)


@njit(cache=True)
def _box_gap2(ax0, ay0, ax1, ay1, bx0, by0, bx1, by1):  # pragma: no cover
    """Squared gap between two axis-aligned boxes [m^2] (0 when they meet)."""
    gx = max(0.0, max(bx0 - ax1, ax0 - bx1))
    gy = max(0.0, max(by0 - ay1, ay0 - by1))
    return gx * gx + gy * gy


@njit(cache=True)
def _segment_tree(s0, s1, x0, y0, x1, y1):  # pragma: no cover - compiled
    """Bounding-box tree over the segments s0 .. s1 - 1 of one site.

    The index range is halved down to leaves of at most 8 segments: the
    segments of a ring or part follow each other along the boundary, so a
    range of them is a piece of boundary and its box is tight.  Nodes in
    breadth-first order; ``child[k]`` is the first of node k's two children
    (the second is child[k] + 1), -1 for a leaf.  O(s) time and memory.
    """
    n = s1 - s0
    cap = 2 * (n // 4 + 1) + 1
    lo = np.empty(cap, dtype=np.int64)
    hi = np.empty(cap, dtype=np.int64)
    child = np.empty(cap, dtype=np.int64)
    lo[0] = s0
    hi[0] = s1
    m = 1
    k = 0
    while k < m:
        if hi[k] - lo[k] > 8:
            mid = (lo[k] + hi[k]) // 2
            child[k] = m
            lo[m] = lo[k]
            hi[m] = mid
            lo[m + 1] = mid
            hi[m + 1] = hi[k]
            m += 2
        else:
            child[k] = -1
        k += 1
    bx0 = np.empty(m)
    by0 = np.empty(m)
    bx1 = np.empty(m)
    by1 = np.empty(m)
    for k in range(m - 1, -1, -1):  # children come after their parent
        c = child[k]
        if c < 0:
            a = math.inf
            b = math.inf
            cc = -math.inf
            d = -math.inf
            for s in range(lo[k], hi[k]):
                a = min(a, x0[s], x1[s])
                b = min(b, y0[s], y1[s])
                cc = max(cc, x0[s], x1[s])
                d = max(d, y0[s], y1[s])
            bx0[k] = a
            by0[k] = b
            bx1[k] = cc
            by1[k] = d
        else:
            bx0[k] = min(bx0[c], bx0[c + 1])
            by0[k] = min(by0[c], by0[c + 1])
            bx1[k] = max(bx1[c], bx1[c + 1])
            by1[k] = max(by1[c], by1[c + 1])
    return lo[:m], hi[:m], child[:m], bx0, by0, bx1, by1


@njit(cache=True)
def _tree_distance2(ta, tb, ei, ej, open_i, open_j, x0, y0, x1, y1,
                    part_first):  # pragma: no cover - compiled
    """Least squared distance between the segments of two trees [m^2], or
    -1.0 when two segments intersect.

    Branch and bound, depth first, nearer pair of nodes first: a pair of
    nodes whose boxes are at least the best distance so far apart cannot
    hold a nearer pair of segments and is skipped; pairs of leaves are read
    segment by segment as in the brute-force loop (``_segment_pair_d2``), so
    the minimum is the same exact value.
    """
    alo, ahi, achild, ax0, ay0, ax1, ay1 = ta
    blo, bhi, bchild, bx0, by0, bx1, by1 = tb
    # depth <= 63 in each tree, and each step pushes at most 2 pairs for the
    # one it pops: the stack never holds more than 2 * 64 + 2 pairs
    sa = np.empty(256, dtype=np.int64)
    sb = np.empty(256, dtype=np.int64)
    sa[0] = 0
    sb[0] = 0
    sp = 1
    d2 = math.inf
    while sp > 0:
        sp -= 1
        na = sa[sp]
        nb = sb[sp]
        if _box_gap2(ax0[na], ay0[na], ax1[na], ay1[na],
                     bx0[nb], by0[nb], bx1[nb], by1[nb]) >= d2:
            continue
        ca = achild[na]
        cb = bchild[nb]
        if ca < 0 and cb < 0:
            for a in range(alo[na], ahi[na]):
                a_last = _ends_part(a, ei, open_i, part_first)
                for b in range(blo[nb], bhi[nb]):
                    dd = _segment_pair_d2(a, b, x0, y0, x1, y1, a_last,
                                          _ends_part(b, ej, open_j, part_first), d2)
                    if dd < 0.0:
                        return -1.0
                    d2 = dd
            continue
        # split the node with more segments (a leaf is never split)
        if cb < 0 or (ca >= 0 and ahi[na] - alo[na] >= bhi[nb] - blo[nb]):
            p1, q1, p2, q2 = ca, nb, ca + 1, nb
        else:
            p1, q1, p2, q2 = na, cb, na, cb + 1
        g1 = _box_gap2(ax0[p1], ay0[p1], ax1[p1], ay1[p1],
                       bx0[q1], by0[q1], bx1[q1], by1[q1])
        g2 = _box_gap2(ax0[p2], ay0[p2], ax1[p2], ay1[p2],
                       bx0[q2], by0[q2], bx1[q2], by1[q2])
        if g1 < g2:  # push the farther first: the nearer is read next
            p1, q1, g1, p2, q2, g2 = p2, q2, g2, p1, q1, g1
        if g1 < d2:
            sa[sp] = p1
            sb[sp] = q1
            sp += 1
        if g2 < d2:
            sa[sp] = p2
            sb[sp] = q2
            sp += 1
    return d2


@njit(cache=True)
def _point_in_tree(px, py, t, x0, y0, x1, y1):  # pragma: no cover - compiled
    """`_point_in_site` over a segment tree: the same crossings are counted
    (a segment can cross the ray from P only if P's y lies in its y range,
    so nodes whose y range misses it are skipped exactly)."""
    lo, hi, child, _bx0, by0, _bx1, by1 = t
    stack = np.empty(128, dtype=np.int64)
    stack[0] = 0
    sp = 1
    inside = False
    while sp > 0:
        sp -= 1
        k = stack[sp]
        if py < by0[k] or py >= by1[k]:
            continue
        c = child[k]
        if c >= 0:
            stack[sp] = c
            stack[sp + 1] = c + 1
            sp += 2
            continue
        for s in range(lo[k], hi[k]):
            ya = y0[s]
            yb = y1[s]
            if (ya > py) != (yb > py):
                xc = x0[s] + (py - ya) * (x1[s] - x0[s]) / (yb - ya)
                if px < xc:
                    inside = not inside
    return inside


@njit(cache=True)
def _pair_distance_brute(i, j, seg_start, x0, y0, x1, y1, part_first, is_polygon):  # pragma: no cover
    # The distance between two polylines that do not intersect is the least
    # distance from a vertex of one to a segment of the other.  Each segment
    # pair (a, b) contributes the start vertex of each against the other
    # segment, and its end vertex when it ends an open line part (ring ends
    # repeat their start).  Segment pairs whose bounding boxes overlap are
    # first tested for intersection (distance 0).
    d2 = math.inf  # best squared distance so far
    ei = seg_start[i + 1]
    ej = seg_start[j + 1]
    open_i = is_polygon[i] == 0
    open_j = is_polygon[j] == 0
    for a in range(seg_start[i], ei):
        ax, ay, bx, by = x0[a], y0[a], x1[a], y1[a]
        amnx = min(ax, bx)
        amxx = max(ax, bx)
        amny = min(ay, by)
        amxy = max(ay, by)
        a_last = open_i and (a + 1 == ei or part_first[a + 1] != 0)
        for b in range(seg_start[j], ej):
            cx, cy, ex, ey = x0[b], y0[b], x1[b], y1[b]
            # lower bound: gap between the segments' bounding boxes
            gx = max(0.0, max(min(cx, ex) - amxx, amnx - max(cx, ex)))
            gy = max(0.0, max(min(cy, ey) - amxy, amny - max(cy, ey)))
            if gx * gx + gy * gy >= d2:
                continue
            if gx == 0.0 and gy == 0.0 and _segments_intersect(
                    ax, ay, bx, by, cx, cy, ex, ey):
                return 0.0
            dd = min(_point_segment_distance2(ax, ay, cx, cy, ex, ey),
                     _point_segment_distance2(cx, cy, ax, ay, bx, by))
            if a_last:
                dd = min(dd, _point_segment_distance2(bx, by, cx, cy, ex, ey))
            if open_j and (b + 1 == ej or part_first[b + 1] != 0):
                dd = min(dd, _point_segment_distance2(ex, ey, ax, ay, bx, by))
            d2 = min(d2, dd)
    d = math.sqrt(d2)
    # no boundaries touch: the footprints intersect only if a ring/part of one
    # lies inside the other polygon (each ring or part is connected)
    if is_polygon[i] != 0:
        for b in range(seg_start[j], seg_start[j + 1]):
            if part_first[b] != 0 and _point_in_site(
                x0[b], y0[b], i, seg_start, x0, y0, x1, y1
            ):
                return 0.0
    if is_polygon[j] != 0:
        for a in range(seg_start[i], seg_start[i + 1]):
            if part_first[a] != 0 and _point_in_site(
                x0[a], y0[a], j, seg_start, x0, y0, x1, y1
            ):
                return 0.0
    return d


@njit(cache=True)
def _pair_distance_tree(i, j, seg_start, x0, y0, x1, y1, part_first,
                        is_polygon):  # pragma: no cover - compiled
    """`_pair_distance_brute` for large footprints: segment trees of both
    sites, branch and bound (`_tree_distance2`), and the containment test
    over the tree (`_point_in_tree`).  About O((s_i + s_j) log) for
    boundaries that are not intertwined, O(s_i * s_j) at worst."""
    ei = seg_start[i + 1]
    ej = seg_start[j + 1]
    ti = _segment_tree(seg_start[i], ei, x0, y0, x1, y1)
    tj = _segment_tree(seg_start[j], ej, x0, y0, x1, y1)
    d2 = _tree_distance2(ti, tj, ei, ej, is_polygon[i] == 0, is_polygon[j] == 0,
                         x0, y0, x1, y1, part_first)
    if d2 < 0.0:
        return 0.0
    if is_polygon[i] != 0:
        for b in range(seg_start[j], ej):
            if part_first[b] != 0 and _point_in_tree(x0[b], y0[b], ti, x0, y0, x1, y1):
                return 0.0
    if is_polygon[j] != 0:
        for a in range(seg_start[i], ei):
            if part_first[a] != 0 and _point_in_tree(x0[a], y0[a], tj, x0, y0, x1, y1):
                return 0.0
    return math.sqrt(d2)


@njit(cache=True)
def _pair_distance(i, j, seg_start, x0, y0, x1, y1, part_first, is_polygon):  # pragma: no cover
    """Exact distance between sites i and j: every segment pair for small
    footprints, the segment trees once s_i * s_j exceeds 4096 (the same
    value: only pairs that cannot be nearer are skipped)."""
    si = seg_start[i + 1] - seg_start[i]
    sj = seg_start[j + 1] - seg_start[j]
    if si * sj > 4096:
        return _pair_distance_tree(i, j, seg_start, x0, y0, x1, y1, part_first,
                                   is_polygon)
    return _pair_distance_brute(i, j, seg_start, x0, y0, x1, y1, part_first,
                                is_polygon)


# --------------------------------------------------------------------------- distances


@njit(cache=True)
def pair_distance_m(i, j, seg_start, x0, y0, x1, y1, part_first, is_polygon):
    """Exact nearest-point distance between the footprints of sites i and j [m].

    0 when they intersect or one polygon contains the other.  Every segment
    pair when s_i * s_j <= 4096 (the numbers of segments); beyond, a
    bounding-box tree over each site's segments prunes the pairs that cannot
    be nearer than the best found (about O((s_i + s_j) log) for boundaries
    that are not intertwined; two 200,000-vertex polygons in well under a
    second).  Reference: ``geometry_naive.pair_distance`` (shapely.distance).
    """
    return _pair_distance(i, j, seg_start, x0, y0, x1, y1, part_first, is_polygon)


@njit(cache=True, parallel=True)
def pair_distances_m(pi, pj, seg_start, x0, y0, x1, y1, part_first, is_polygon):
    """`pair_distance_m` over arrays of pairs (int64 pi, pj) -> float64 [m]."""
    n = pi.shape[0]
    out = np.empty(n, dtype=np.float64)
    for k in prange(n):
        out[k] = _pair_distance(
            pi[k], pj[k], seg_start, x0, y0, x1, y1, part_first, is_polygon
        )
    return out


@njit(cache=True)
def site_bounds(seg_start, x0, y0, x1, y1):
    """Bounding boxes (xmin, ymin, xmax, ymax) of every site [m]."""
    n = seg_start.shape[0] - 1
    bxmin = np.empty(n)
    bymin = np.empty(n)
    bxmax = np.empty(n)
    bymax = np.empty(n)
    for i in range(n):
        a = math.inf
        b = math.inf
        c = -math.inf
        d = -math.inf
        for k in range(seg_start[i], seg_start[i + 1]):
            a = min(a, x0[k], x1[k])
            b = min(b, y0[k], y1[k])
            c = max(c, x0[k], x1[k])
            d = max(d, y0[k], y1[k])
        bxmin[i] = a
        bymin[i] = b
        bxmax[i] = c
        bymax[i] = d
    return bxmin, bymin, bxmax, bymax


# --------------------------------------------------------------------------- candidates


@njit(cache=True)
def _cell_of(v, g0, cell, nmax):  # pragma: no cover - compiled
    c = math.floor((v - g0) / cell)
    if c < 0:
        return 0
    if c > nmax - 1:
        return nmax - 1
    return c


@njit(cache=True)
def _build_grid(bxmin, bymin, bxmax, bymax, gx0, gy0, cell, nx, ny):  # pragma: no cover
    """Uniform grid: every site is listed in each cell its bounding box overlaps."""
    n = bxmin.shape[0]
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for i in range(n):
        ix0 = _cell_of(bxmin[i], gx0, cell, nx)
        ix1 = _cell_of(bxmax[i], gx0, cell, nx)
        iy0 = _cell_of(bymin[i], gy0, cell, ny)
        iy1 = _cell_of(bymax[i], gy0, cell, ny)
        for iy in range(iy0, iy1 + 1):
            for ix in range(ix0, ix1 + 1):
                counts[iy * nx + ix + 1] += 1
    start = np.cumsum(counts)
    fill = start[:-1].copy()
    items = np.empty(start[-1], dtype=np.int64)
    for i in range(n):
        ix0 = _cell_of(bxmin[i], gx0, cell, nx)
        ix1 = _cell_of(bxmax[i], gx0, cell, nx)
        iy0 = _cell_of(bymin[i], gy0, cell, ny)
        iy1 = _cell_of(bymax[i], gy0, cell, ny)
        for iy in range(iy0, iy1 + 1):
            for ix in range(ix0, ix1 + 1):
                c = iy * nx + ix
                items[fill[c]] = i
                fill[c] += 1
    return start, items


@njit(cache=True)
def _query(p, r, bxmin, bymin, bxmax, bymax, start, items, gx0, gy0, cell, nx, ny,
           out, pos):  # pragma: no cover - compiled
    """Sites j != p whose bounding box is within r of p's; written to out[pos:]
    when out is long enough (count-only otherwise).  Returns the count."""
    qx0 = bxmin[p] - r
    qy0 = bymin[p] - r
    qx1 = bxmax[p] + r
    qy1 = bymax[p] + r
    cx0 = _cell_of(qx0, gx0, cell, nx)
    cx1 = _cell_of(qx1, gx0, cell, nx)
    cy0 = _cell_of(qy0, gy0, cell, ny)
    cy1 = _cell_of(qy1, gy0, cell, ny)
    r2 = r * r
    cnt = 0
    write = out.shape[0] > 0
    for iy in range(cy0, cy1 + 1):
        for ix in range(cx0, cx1 + 1):
            c = iy * nx + ix
            for t in range(start[c], start[c + 1]):
                j = items[t]
                if j == p:
                    continue
                # report j once: in the first cell where it meets the query box
                if max(_cell_of(bxmin[j], gx0, cell, nx), cx0) != ix:
                    continue
                if max(_cell_of(bymin[j], gy0, cell, ny), cy0) != iy:
                    continue
                gx = max(0.0, max(bxmin[j] - bxmax[p], bxmin[p] - bxmax[j]))
                gy = max(0.0, max(bymin[j] - bymax[p], bymin[p] - bymax[j]))
                if gx * gx + gy * gy <= r2:
                    if write:
                        out[pos + cnt] = j
                    cnt += 1
    return cnt


@njit(cache=True)
def _grid_setup(seg_start, x0, y0, x1, y1, cell_m):  # pragma: no cover - compiled
    bxmin, bymin, bxmax, bymax = site_bounds(seg_start, x0, y0, x1, y1)
    gx0 = bxmin.min()
    gy0 = bymin.min()
    nx = math.floor((bxmax.max() - gx0) / cell_m) + 1
    ny = math.floor((bymax.max() - gy0) / cell_m) + 1
    start, items = _build_grid(bxmin, bymin, bxmax, bymax, gx0, gy0, cell_m, nx, ny)
    return bxmin, bymin, bxmax, bymax, gx0, gy0, nx, ny, start, items


@njit(cache=True)
def _fill_one(k, pes, radius_m, offs, cand, dist, bxmin, bymin, bxmax, bymax, start,
              items, gx0, gy0, cell_m, nx, ny, seg_start, x0, y0, x1, y1, part_first,
              is_polygon):  # pragma: no cover - compiled
    """Candidates of PES k into cand[offs[k]:offs[k+1]], sorted, with distances."""
    p = pes[k]
    a = offs[k]
    b = offs[k + 1]
    _query(p, radius_m[p], bxmin, bymin, bxmax, bymax, start, items,
           gx0, gy0, cell_m, nx, ny, cand, a)
    cand[a:b] = np.sort(cand[a:b])
    for t in range(a, b):
        dist[t] = _pair_distance(p, cand[t], seg_start, x0, y0, x1, y1,
                                 part_first, is_polygon)


@njit(cache=True)
def _compact(pes, radius_m, offs, cand, dist):  # pragma: no cover - compiled
    """Keep the candidates whose exact distance is <= the radius (order kept)."""
    npes = pes.shape[0]
    m = 0
    for k in range(npes):
        r = radius_m[pes[k]]
        for t in range(offs[k], offs[k + 1]):
            if dist[t] <= r:
                m += 1
    pi = np.empty(m, dtype=np.int64)
    pj = np.empty(m, dtype=np.int64)
    pd = np.empty(m, dtype=np.float64)
    m = 0
    for k in range(npes):
        r = radius_m[pes[k]]
        for t in range(offs[k], offs[k + 1]):
            if dist[t] <= r:
                pi[m] = pes[k]
                pj[m] = cand[t]
                pd[m] = dist[t]
                m += 1
    return pi, pj, pd


@njit(cache=True, parallel=True)
def pairs_within_radius(pes, radius_m, seg_start, x0, y0, x1, y1, part_first,
                        is_polygon, cell_m):
    """All pairs (PES i, other site j) whose exact distance is <= radius_m[i].

    Parameters
    ----------
    pes : int64 array
        Indices of the sites acting as PES (each searched against every other site).
    radius_m : float64 array, one per site
        Search radius of each site as a PES [m] (finite, >= 0).
    seg_start, x0, y0, x1, y1, part_first, is_polygon
        Footprints as segments (module docstring).
    cell_m : float
        Edge of the uniform grid's cells [m] (> 0).

    Returns
    -------
    pi, pj : int64 arrays
        Site indices of the pairs, sorted by (position of i in ``pes``, j).
    distance_m : float64 array
        Exact nearest-point distance of each pair [m].

    Notes
    -----
    A uniform grid over the sites' bounding boxes finds, per PES, the sites
    whose bounding box lies within its radius (each reported once, from the
    first grid cell it shares with the query box); the exact distance then
    decides.  Two passes (count, then fill) over the PES in parallel, each
    writing its own slice (``pairs_within_radius_serial``: the same in one
    thread, for small inputs or busy machines); cost ~ n_sites + the candidates found, no O(n^2).
    Reference: ``geometry_naive.pairs_within_radius`` (brute force).
    """
    npes = pes.shape[0]
    empty_i = np.empty(0, dtype=np.int64)
    if seg_start.shape[0] < 2 or npes == 0:
        return empty_i, empty_i.copy(), np.empty(0, dtype=np.float64)
    bxmin, bymin, bxmax, bymax, gx0, gy0, nx, ny, start, items = _grid_setup(
        seg_start, x0, y0, x1, y1, cell_m)
    counts = np.zeros(npes + 1, dtype=np.int64)
    for k in prange(npes):
        counts[k + 1] = _query(pes[k], radius_m[pes[k]], bxmin, bymin, bxmax, bymax,
                               start, items, gx0, gy0, cell_m, nx, ny, empty_i, 0)
    offs = np.cumsum(counts)
    cand = np.empty(offs[-1], dtype=np.int64)
    dist = np.empty(offs[-1], dtype=np.float64)
    for k in prange(npes):
        _fill_one(k, pes, radius_m, offs, cand, dist, bxmin, bymin, bxmax, bymax,
                  start, items, gx0, gy0, cell_m, nx, ny, seg_start, x0, y0, x1, y1,
                  part_first, is_polygon)
    return _compact(pes, radius_m, offs, cand, dist)


@njit(cache=True)
def pairs_within_radius_serial(pes, radius_m, seg_start, x0, y0, x1, y1, part_first,
                               is_polygon, cell_m):
    """`pairs_within_radius` in one thread (same arguments, same results)."""
    npes = pes.shape[0]
    empty_i = np.empty(0, dtype=np.int64)
    if seg_start.shape[0] < 2 or npes == 0:
        return empty_i, empty_i.copy(), np.empty(0, dtype=np.float64)
    bxmin, bymin, bxmax, bymax, gx0, gy0, nx, ny, start, items = _grid_setup(
        seg_start, x0, y0, x1, y1, cell_m)
    counts = np.zeros(npes + 1, dtype=np.int64)
    for k in range(npes):
        counts[k + 1] = _query(pes[k], radius_m[pes[k]], bxmin, bymin, bxmax, bymax,
                               start, items, gx0, gy0, cell_m, nx, ny, empty_i, 0)
    offs = np.cumsum(counts)
    cand = np.empty(offs[-1], dtype=np.int64)
    dist = np.empty(offs[-1], dtype=np.float64)
    for k in range(npes):
        _fill_one(k, pes, radius_m, offs, cand, dist, bxmin, bymin, bxmax, bymax,
                  start, items, gx0, gy0, cell_m, nx, ny, seg_start, x0, y0, x1, y1,
                  part_first, is_polygon)
    return _compact(pes, radius_m, offs, cand, dist)


# --------------------------------------------------------------------------- sectors

FRONT = 1
SIDE = 2
REAR = 4


@njit(cache=True)
def _frame(p, seg_start, x0, y0, x1, y1, bearing_rad):  # pragma: no cover
    """Origin and oriented extent of site p in the (u, v) frame of its bearing.

    u runs along the door normal (sin b, cos b), v to its right (cos b, -sin b).
    """
    ox = x0[seg_start[p]]
    oy = y0[seg_start[p]]
    sb = math.sin(bearing_rad)
    cb = math.cos(bearing_rad)
    umin = math.inf
    umax = -math.inf
    vmin = math.inf
    vmax = -math.inf
    for k in range(seg_start[p], seg_start[p + 1]):
        for e in range(2):
            if e == 0:
                dx = x0[k] - ox
                dy = y0[k] - oy
            else:
                dx = x1[k] - ox
                dy = y1[k] - oy
            u = dx * sb + dy * cb
            v = dx * cb - dy * sb
            umin = min(umin, u)
            umax = max(umax, u)
            vmin = min(vmin, v)
            vmax = max(vmax, v)
    return ox, oy, sb, cb, umin, umax, vmin, vmax


@njit(cache=True)
def _wedge_h(u, v, uf, vlo, vhi, ca, sa, k):  # pragma: no cover - compiled
    """Signed half-plane functions of a wedge opening along +u (<= 0 inside).

    The wedge: beyond the face u = uf, between lines from the face corners
    (uf, vlo) and (uf, vhi) at angle a to the +u axis, widening outward.
    """
    if k == 0:
        return uf - u
    if k == 1:
        return (v - vhi) * ca - (u - uf) * sa
    return (vlo - v) * ca - (u - uf) * sa


@njit(cache=True)
def _segment_meets_wedge(ua, va, ub, vb, uf, vlo, vhi, ca, sa, tol):  # pragma: no cover
    """The segment meets the closed wedge grown by tol (Liang-Barsky clipping)."""
    t0 = 0.0
    t1 = 1.0
    for k in range(3):
        ha = _wedge_h(ua, va, uf, vlo, vhi, ca, sa, k) - tol
        hb = _wedge_h(ub, vb, uf, vlo, vhi, ca, sa, k) - tol
        dh = hb - ha
        if dh == 0.0:
            if ha > 0.0:
                return False
        else:
            t = -ha / dh
            if dh > 0.0:
                t1 = min(t1, t)
            else:
                t0 = max(t0, t)
            if t0 > t1:
                return False
    return True


@njit(cache=True)
def _strictly_inside_wedge(u, v, uf, vlo, vhi, ca, sa, tol):  # pragma: no cover
    for k in range(3):  # noqa: SIM110 - numba cannot compile all(generator)
        if _wedge_h(u, v, uf, vlo, vhi, ca, sa, k) >= -tol:
            return False
    return True


@njit(cache=True)
def _sector_mask(p, e, seg_start, x0, y0, x1, y1, bearing_rad, front_half_rad,
                 rear_half_rad, tol):  # pragma: no cover - compiled
    ox, oy, sb, cb, umin, umax, vmin, vmax = _frame(p, seg_start, x0, y0, x1, y1,
                                                    bearing_rad)
    cf = math.cos(front_half_rad)
    sf = math.sin(front_half_rad)
    cr = math.cos(rear_half_rad)
    sr = math.sin(rear_half_rad)
    mask = 0
    for k in range(seg_start[e], seg_start[e + 1]):
        dxa = x0[k] - ox
        dya = y0[k] - oy
        dxb = x1[k] - ox
        dyb = y1[k] - oy
        ua = dxa * sb + dya * cb
        va = dxa * cb - dya * sb
        ub = dxb * sb + dyb * cb
        vb = dxb * cb - dyb * sb
        # front wedge opens along +u from u = umax; the rear wedge along -u from
        # u = umin, i.e. along +u' with u' = -u (the v range is symmetric in use)
        inf_ = _strictly_inside_wedge(ua, va, umax, vmin, vmax, cf, sf, tol) and \
            _strictly_inside_wedge(ub, vb, umax, vmin, vmax, cf, sf, tol)
        inr = _strictly_inside_wedge(-ua, va, -umin, vmin, vmax, cr, sr, tol) and \
            _strictly_inside_wedge(-ub, vb, -umin, vmin, vmax, cr, sr, tol)
        if not inf_ and not inr:
            mask |= 2
        if (mask & 1) == 0 and _segment_meets_wedge(ua, va, ub, vb, umax, vmin, vmax,
                                                    cf, sf, tol):
            mask |= 1
        if (mask & 4) == 0 and _segment_meets_wedge(-ua, va, -ub, vb, -umin, vmin,
                                                    vmax, cr, sr, tol):
            mask |= 4
        if mask == 7:
            break
    return mask


@njit(cache=True, parallel=True)
def sector_masks(pes, es, seg_start, x0, y0, x1, y1, bearing_deg,
                 front_half_angle_deg, rear_half_angle_deg, tol_m):
    """Sectors of earth-covered PES ``pes[k]`` that the footprint of ``es[k]`` touches.

    Parameters
    ----------
    pes, es : int64 arrays
        Pairs of site indices; every ``pes[k]`` has a front bearing.
    seg_start, x0, y0, x1, y1
        Footprints as segments (module docstring) [m].
    bearing_deg : float64 array, one per site
        Front bearing on the local grid [deg] (read only for ``pes`` sites).
    front_half_angle_deg : float64 array, one per pair
        Angle of the front sector's lines to the door normal [deg] (60 for
        HD 1.1, 80 for HD 1.2; < 90).
    rear_half_angle_deg : float
        Angle of the rear sector's lines to the rear normal [deg] (45).
    tol_m : float
        The sectors are closed and grown by this much [m], so a site lying on
        a sector line touches both sectors (and takes the larger distance).

    Returns
    -------
    int64 array
        Bit mask per pair: 1 front, 2 side, 4 rear.

    Notes
    -----
    Frame: u along the door normal (sin b, cos b) with b the bearing, v
    across it; the PES extent in that frame is [umin, umax] x [vmin, vmax]
    and the front face is at umax.  Front sector: beyond the front face,
    between lines from the front corners at the front half-angle to the
    normal, widening outward; rear sector likewise behind umin; side: the
    rest.  A footprint meets a convex unbounded sector iff one of its boundary
    segments does (a bounded polygon cannot contain an unbounded sector), so
    only segments are clipped (Liang-Barsky).  Side is touched unless every
    segment lies strictly inside the front or strictly inside the rear sector.
    Reference: ``geometry_naive.sector_mask`` (shapely polygons).
    """
    n = pes.shape[0]
    out = np.empty(n, dtype=np.int64)
    rr = math.radians(rear_half_angle_deg)
    for k in prange(n):
        p = pes[k]
        out[k] = _sector_mask(p, es[k], seg_start, x0, y0, x1, y1,
                              math.radians(bearing_deg[p]),
                              math.radians(front_half_angle_deg[k]), rr, tol_m)
    return out


@njit(cache=True, parallel=True)
def cone_hits(pes, es, seg_start, x0, y0, x1, y1, bearing_deg, half_angle_deg, tol_m):
    """Whether ``es[k]`` meets the cone from the centre of the door of ``pes[k]``.

    The HD 1.3 propellant hazard sector (AASTP-1 section 1.3.6.6a): +-half_angle_deg
    (30) from the door normal, apex at the centre of the front face, grown by
    tol_m [m].  Returns a uint8 array (1 = meets).  Reference:
    ``geometry_naive.cone_hit``.
    """
    n = pes.shape[0]
    out = np.zeros(n, dtype=np.uint8)
    for k in prange(n):
        p = pes[k]
        e = es[k]
        ox, oy, sb, cb, _umin, umax, vmin, vmax = _frame(
            p, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[p]))
        vc = 0.5 * (vmin + vmax)
        ha = math.radians(half_angle_deg)
        ca = math.cos(ha)
        sa = math.sin(ha)
        for t in range(seg_start[e], seg_start[e + 1]):
            dxa = x0[t] - ox
            dya = y0[t] - oy
            dxb = x1[t] - ox
            dyb = y1[t] - oy
            if _segment_meets_wedge(dxa * sb + dya * cb, dxa * cb - dya * sb,
                                    dxb * sb + dyb * cb, dxb * cb - dyb * sb,
                                    umax, vc, vc, ca, sa, tol_m):
                out[k] = 1
                break
    return out
