"""Kernels of aggregation groups and licences at any density.

* `pairs_other_label`: pairs (i, j) within i's radius whose labels differ (the
  aggregation search: members of one group never pair with each other; a grid
  cell whose sites all carry the query's label is skipped whole).
* `box_candidates`: sites whose bounding box lies within r of a query box (the
  exposed sites around a whole aggregation group).
* `group_outward`: for (group, exposed site) candidates, the nearest member and
  its exact distance, and the distinct relations (member kind, sectors, ES face)
  of every member toward the site, without materialising members x sites.
* `class_nearest`: for each PES, the nearest exposed site of every class of
  relation (exposed-site attributes, PES sector, ES face), by a ring search over
  one grid per class of attributes, bounded by a cap per attribute; a class that
  no footprint beyond the ring can be in (its PES sector and ES face point away
  from each other: `_far_closed`) stops being searched.
* `pairs_within_attr_caps`: the pairs (PES, site) within the PES's cap toward
  the site's attributes (the outward pairs of lone PES), one grid per class of
  attributes, each searched only as far as its own cap.

Footprints as segments (kernels/geometry.py).  Exact nearest-point distances
(geometry._pair_distance), fastmath off, no globals, serial loops or parallel
loops writing disjoint slices: thread-safe.  References:
tests/reference/aggregate_naive.py (brute force over every pair;
tests/test_aggregate_class_nearest.py).
"""

from __future__ import annotations

import math

import numpy as np
from depotsafe.kernels._jit import njit
from depotsafe.kernels.geometry import (
    _build_grid,
    _cell_of,
    _frame,
    _pair_distance,
    _sector_mask,
    _wedge_h,
    site_bounds,
)
from numba import prange


@njit(cache=True)
def _box_gap(ax0, ay0, ax1, ay1, bx0, by0, bx1, by1):  # pragma: no cover - compiled
    gx = max(0.0, max(bx0 - ax1, ax0 - bx1))
    gy = max(0.0, max(by0 - ay1, ay0 - by1))
    return math.sqrt(gx * gx + gy * gy)


@njit(cache=True)
def _subset_grid(sub, bxmin, bymin, bxmax, bymax, cell):  # pragma: no cover - compiled
    """Grid over the sites ``sub`` (items are site indices)."""
    n = sub.shape[0]
    gx0 = bxmin[sub].min()
    gy0 = bymin[sub].min()
    nx = math.floor((bxmax[sub].max() - gx0) / cell) + 1
    ny = math.floor((bymax[sub].max() - gy0) / cell) + 1
    start, local = _build_grid(bxmin[sub], bymin[sub], bxmax[sub], bymax[sub], gx0, gy0, cell, nx, ny)
    items = np.empty(local.shape[0], dtype=np.int64)
    for t in range(local.shape[0]):
        items[t] = sub[local[t]]
    _ = n
    return gx0, gy0, nx, ny, start, items


# --------------------------------------------------------------------------- aggregation


@njit(cache=True)
def _other_label_query(p, r, label, bxmin, bymin, bxmax, bymax, start, items, cell_label, gx0, gy0,
                       cell, nx, ny, seg_start, x0, y0, x1, y1, part_first, is_polygon,
                       out_j, out_d, pos):  # pragma: no cover - compiled
    cx0 = _cell_of(bxmin[p] - r, gx0, cell, nx)
    cx1 = _cell_of(bxmax[p] + r, gx0, cell, nx)
    cy0 = _cell_of(bymin[p] - r, gy0, cell, ny)
    cy1 = _cell_of(bymax[p] + r, gy0, cell, ny)
    lp = label[p]
    cnt = 0
    write = out_j.shape[0] > 0
    for iy in range(cy0, cy1 + 1):
        for ix in range(cx0, cx1 + 1):
            c = iy * nx + ix
            if cell_label[c] == lp:
                continue
            for t in range(start[c], start[c + 1]):
                j = items[t]
                if j == p or label[j] == lp:
                    continue
                if max(_cell_of(bxmin[j], gx0, cell, nx), cx0) != ix:
                    continue
                if max(_cell_of(bymin[j], gy0, cell, ny), cy0) != iy:
                    continue
                if _box_gap(bxmin[p], bymin[p], bxmax[p], bymax[p], bxmin[j], bymin[j], bxmax[j], bymax[j]) > r:
                    continue
                d = _pair_distance(p, j, seg_start, x0, y0, x1, y1, part_first, is_polygon)
                if d <= r:
                    if write:
                        out_j[pos + cnt] = j
                        out_d[pos + cnt] = d
                    cnt += 1
    return cnt


@njit(cache=True, parallel=True)
def pairs_other_label(pes, radius_m, label, candidates, seg_start, x0, y0, x1, y1, part_first, is_polygon,
                      cell_m):
    """Pairs (pes[k], j), j in ``candidates``, label[j] != label[pes[k]], exact distance <= radius_m[pes[k]].

    Returns pi, pj, distance_m (grouped by position in ``pes``; j in grid order).
    A grid cell whose candidates all carry one label is skipped by every query
    of that label, so the members of a large group cost nothing against each other.
    """
    npes = pes.shape[0]
    if npes == 0 or candidates.shape[0] == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e.copy(), np.empty(0, dtype=np.float64)
    bxmin, bymin, bxmax, bymax = site_bounds(seg_start, x0, y0, x1, y1)
    gx0, gy0, nx, ny, start, items = _subset_grid(candidates, bxmin, bymin, bxmax, bymax, cell_m)
    cell_label = np.full(nx * ny, -1, dtype=np.int64)  # -1 empty or mixed, else the one label
    for c in range(nx * ny):
        if start[c + 1] > start[c]:
            first = label[items[start[c]]]
            same = True
            for t in range(start[c] + 1, start[c + 1]):
                if label[items[t]] != first:
                    same = False
                    break
            if same:
                cell_label[c] = first
    counts = np.zeros(npes + 1, dtype=np.int64)
    ej = np.empty(0, dtype=np.int64)
    ed = np.empty(0, dtype=np.float64)
    for k in prange(npes):
        counts[k + 1] = _other_label_query(pes[k], radius_m[pes[k]], label, bxmin, bymin, bxmax, bymax, start,
                                           items, cell_label, gx0, gy0, cell_m, nx, ny, seg_start, x0, y0, x1,
                                           y1, part_first, is_polygon, ej, ed, 0)
    offs = np.cumsum(counts)
    pi = np.empty(offs[-1], dtype=np.int64)
    pj = np.empty(offs[-1], dtype=np.int64)
    pd = np.empty(offs[-1], dtype=np.float64)
    for k in prange(npes):
        _other_label_query(pes[k], radius_m[pes[k]], label, bxmin, bymin, bxmax, bymax, start, items,
                           cell_label, gx0, gy0, cell_m, nx, ny, seg_start, x0, y0, x1, y1, part_first,
                           is_polygon, pj, pd, offs[k])
        for t in range(offs[k], offs[k + 1]):
            pi[t] = pes[k]
    return pi, pj, pd


@njit(cache=True)
def box_candidates(qx0, qy0, qx1, qy1, radius_m, seg_start, x0, y0, x1, y1, cell_m):
    """Pairs (query q, site j) whose bounding boxes are within radius_m[q] of each other."""
    bxmin, bymin, bxmax, bymax = site_bounds(seg_start, x0, y0, x1, y1)
    n = bxmin.shape[0]
    allsites = np.arange(n)
    gx0, gy0, nx, ny, start, items = _subset_grid(allsites, bxmin, bymin, bxmax, bymax, cell_m)
    nq = qx0.shape[0]
    cap = 16
    oq = np.empty(cap, dtype=np.int64)
    oj = np.empty(cap, dtype=np.int64)
    m = 0
    for q in range(nq):
        r = radius_m[q]
        cx0 = _cell_of(qx0[q] - r, gx0, cell_m, nx)
        cx1 = _cell_of(qx1[q] + r, gx0, cell_m, nx)
        cy0 = _cell_of(qy0[q] - r, gy0, cell_m, ny)
        cy1 = _cell_of(qy1[q] + r, gy0, cell_m, ny)
        for iy in range(cy0, cy1 + 1):
            for ix in range(cx0, cx1 + 1):
                c = iy * nx + ix
                for t in range(start[c], start[c + 1]):
                    j = items[t]
                    if max(_cell_of(bxmin[j], gx0, cell_m, nx), cx0) != ix:
                        continue
                    if max(_cell_of(bymin[j], gy0, cell_m, ny), cy0) != iy:
                        continue
                    if _box_gap(qx0[q], qy0[q], qx1[q], qy1[q], bxmin[j], bymin[j], bxmax[j], bymax[j]) > r:
                        continue
                    if m == cap:
                        cap *= 2
                        a = np.empty(cap, dtype=np.int64)
                        a[:m] = oq[:m]
                        oq = a
                        b = np.empty(cap, dtype=np.int64)
                        b[:m] = oj[:m]
                        oj = b
                    oq[m] = q
                    oj[m] = j
                    m += 1
    return oq[:m].copy(), oj[:m].copy()


# --------------------------------------------------------------------------- group outward


@njit(cache=True)
def group_outward(cand_group, cand_es, gstart, gmembers, kind, ec, bearing_deg, front_deg, front12_deg,
                  rear_deg, tol_m, n_kinds, seg_start, x0, y0, x1, y1, part_first, is_polygon):
    """Outward view of aggregation groups toward candidate exposed sites.

    Parameters
    ----------
    cand_group, cand_es : int64 arrays
        Candidates: group g (members gmembers[gstart[g]:gstart[g+1]]) and site j.
    kind : int64 array per site (code < n_kinds); ec : bool array per site (earth-covered)
    bearing_deg : float64 per site; front_deg, front12_deg, rear_deg : sector half angles [deg]

    Returns
    -------
    dmin, nearest : per candidate, the smallest exact distance from any member and that member
    row_cand, row_key : the distinct relations of the members toward the site,
        key = ((kind * 8 + sectors at front_deg) * 8 + sectors at front12_deg) * 8 + ES face
        (sector bits 1 front, 2 side, 4 rear; 0 where not earth-covered).
    """
    bxmin, bymin, bxmax, bymax = site_bounds(seg_start, x0, y0, x1, y1)
    nc = cand_group.shape[0]
    dmin = np.full(nc, np.inf)
    nearest = np.full(nc, -1, dtype=np.int64)
    seen = np.zeros(n_kinds * 512, dtype=np.bool_)
    touched = np.empty(n_kinds * 512, dtype=np.int64)
    cap = 16
    rc = np.empty(cap, dtype=np.int64)
    rk = np.empty(cap, dtype=np.int64)
    m = 0
    f60 = math.radians(front_deg)
    f12 = math.radians(front12_deg)
    rr = math.radians(rear_deg)
    for c in range(nc):
        g = cand_group[c]
        j = cand_es[c]
        a = gstart[g]
        b = gstart[g + 1]
        # an upper bound: the first vertices of member and site are points of both footprints
        vx = x0[seg_start[j]]
        vy = y0[seg_start[j]]
        ub = np.inf
        for t in range(a, b):
            mm = gmembers[t]
            ub = min(ub, math.hypot(x0[seg_start[mm]] - vx, y0[seg_start[mm]] - vy))
        best = ub
        arg = -1
        for t in range(a, b):
            mm = gmembers[t]
            lb = _box_gap(bxmin[mm], bymin[mm], bxmax[mm], bymax[mm], bxmin[j], bymin[j], bxmax[j], bymax[j])
            if lb > best:
                continue
            d = _pair_distance(mm, j, seg_start, x0, y0, x1, y1, part_first, is_polygon)
            if d < best or (d == best and (arg < 0 or mm < arg)):
                best = d
                arg = mm
        dmin[c] = best
        nearest[c] = arg
        nt = 0
        for t in range(a, b):
            mm = gmembers[t]
            if not ec[mm] and not ec[j] and seen[kind[mm] * 512]:
                continue  # neither side earth-covered: the relation is the member's kind alone
            s60 = 0
            s12 = 0
            em = 0
            if ec[mm]:
                s60 = _sector_mask(mm, j, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[mm]), f60, rr, tol_m)
                s12 = _sector_mask(mm, j, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[mm]), f12, rr, tol_m)
            if ec[j]:
                em = _sector_mask(j, mm, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[j]), f60, rr, tol_m)
            key = ((kind[mm] * 8 + s60) * 8 + s12) * 8 + em
            if not seen[key]:
                seen[key] = True
                touched[nt] = key
                nt += 1
                if m == cap:
                    cap *= 2
                    x = np.empty(cap, dtype=np.int64)
                    x[:m] = rc[:m]
                    rc = x
                    y = np.empty(cap, dtype=np.int64)
                    y[:m] = rk[:m]
                    rk = y
                rc[m] = c
                rk[m] = key
                m += 1
        for t in range(nt):
            seen[touched[t]] = False
    return dmin, nearest, rc[:m].copy(), rk[:m].copy()


# --------------------------------------------------------------------------- nearest per class


@njit(cache=True)
def _lb_outside(bx0, by0, bx1, by1, gx0, gy0, cell, nx, ny, cx0, cx1, cy0, cy1):  # pragma: no cover
    """Least distance from box B to the grid cells outside [cx0, cx1] x [cy0, cy1] (inf if none)."""
    gxe = gx0 + nx * cell
    gye = gy0 + ny * cell
    xa = gx0 + cx0 * cell
    xb = gx0 + (cx1 + 1) * cell
    ya = gy0 + cy0 * cell
    yb = gy0 + (cy1 + 1) * cell
    lb = np.inf
    if cx0 > 0:
        lb = min(lb, _box_gap(bx0, by0, bx1, by1, gx0, gy0, xa, gye))
    if cx1 < nx - 1:
        lb = min(lb, _box_gap(bx0, by0, bx1, by1, xb, gy0, gxe, gye))
    if cy0 > 0:
        lb = min(lb, _box_gap(bx0, by0, bx1, by1, xa, gy0, xb, ya))
    if cy1 < ny - 1:
        lb = min(lb, _box_gap(bx0, by0, bx1, by1, xa, yb, xb, gye))
    return lb


@njit(cache=True)
def _attr_stop(k, base, cap_row, best_d, closed):  # pragma: no cover - compiled
    """Distance beyond which no site of this attribute can improve a class (-1: no class wanted
    or every class closed)."""
    stop = -1.0
    for c in range(32):
        cap = cap_row[base + c]
        if cap > 0.0 and (closed >> c) & 1 == 0:
            stop = max(stop, min(cap, best_d[k, base + c]))
    return stop


@njit(cache=True)
def _possible_sectors(cu, cv, rho, umin, umax, vmin, vmax, cf, sf, cr, sr, tol):  # pragma: no cover
    """Sectors (bits 1 front, 2 side, 4 rear, as `_sector_mask`) that a footprint within rho of
    the point (cu, cv) of the frame may touch: a superset of what `_sector_mask` finds.

    The wedge functions are 1-Lipschitz (unit gradients), so every vertex v of the footprint
    has |h(v) - h(c)| <= rho.  A wedge is surely missed when some h exceeds tol at every
    vertex; the side is surely missed when every vertex lies strictly inside the front (or
    the rear) wedge.  A margin far above rounding keeps the test one-sided.
    """
    eps = tol + 1e-6 + 1e-9 * (abs(cu) + abs(cv) + rho)
    out_f = False
    in_f = True
    out_r = False
    in_r = True
    for k in range(3):
        hf = _wedge_h(cu, cv, umax, vmin, vmax, cf, sf, k)
        if hf - rho > eps:
            out_f = True
        if hf + rho >= -eps:
            in_f = False
        hr = _wedge_h(-cu, cv, -umin, vmin, vmax, cr, sr, k)
        if hr - rho > eps:
            out_r = True
        if hr + rho >= -eps:
            in_r = False
    bits = 0
    if not out_f:
        bits |= 1
    if not (in_f or in_r):
        bits |= 2
    if not out_r:
        bits |= 4
    return bits


@njit(cache=True)
def footprint_disks(ec, bearing_deg, seg_start, x0, y0, x1, y1):
    """Per site: centre of its bounding box, radius of the disk there holding its footprint,
    and (earth-covered sites) its frame `geometry._frame` as 8 numbers."""
    bxmin, bymin, bxmax, bymax = site_bounds(seg_start, x0, y0, x1, y1)
    n_sites = bxmin.shape[0]
    ccx = np.empty(n_sites)
    ccy = np.empty(n_sites)
    crho = np.empty(n_sites)
    frames = np.zeros((n_sites, 8))
    for i in range(n_sites):
        cx_ = 0.5 * (bxmin[i] + bxmax[i])
        cy_ = 0.5 * (bymin[i] + bymax[i])
        r_ = 0.0
        for t in range(seg_start[i], seg_start[i + 1]):
            r_ = max(r_, math.hypot(x0[t] - cx_, y0[t] - cy_), math.hypot(x1[t] - cx_, y1[t] - cy_))
        ccx[i] = cx_
        ccy[i] = cy_
        crho[i] = r_
        if ec[i]:
            fr = _frame(i, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[i]))
            for q in range(8):
                frames[i, q] = fr[q]
    return ccx, ccy, crho, frames


@njit(cache=True)
def _in_frame(px, py, fr):  # pragma: no cover - compiled
    """Point (px, py) in the frame fr = (ox, oy, sb, cb, ...) of `geometry._frame`."""
    dx = px - fr[0]
    dy = py - fr[1]
    return dx * fr[2] + dy * fr[3], dx * fr[3] - dy * fr[2]


# Far-field pruning of classes: beyond some distance, a class of relation (PES sector, ES face)
# can no longer hold any site, whatever the footprints, because the sectors are angular.  A
# wedge of half angle a opening from a face (geometry._wedge_h) lies inside the cone of the same
# half angle whose apex is hw / tan(a) behind the face (hw: half the face's width), and holds the
# cone with its apex at the face's middle; a footprint within rho of a point c at distance D from
# the PES's centre is seen from that centre within asin(rho / (D - A)) + asin(A / D) of the
# direction it would have from the apex, A being the apex's distance from the centre.

_MAX_BEARINGS = 8  # distinct ES bearings per attribute set for face pruning (more: any face)


@njit(cache=True)
def _apex_reach(fr, cu, cv, front_rad, rear_rad):  # pragma: no cover - compiled
    """Largest distance from the point (cu, cv) of frame fr to the apexes of the cones holding
    and held by the front (half angle front_rad) and rear (rear_rad) wedges (inf: unbounded)."""
    hw = 0.5 * (fr[7] - fr[6])
    vm = 0.5 * (fr[7] + fr[6])
    if front_rad <= 1e-6 or rear_rad <= 1e-6:
        return np.inf
    out = 0.0
    for uu in (fr[5] - hw / math.tan(front_rad), fr[5], fr[4] + hw / math.tan(rear_rad), fr[4]):
        out = max(out, math.hypot(uu - cu, vm - cv))
    return out


@njit(cache=True)
def _slack(d, reach, rho):  # pragma: no cover - compiled
    """Angular slack [rad] of the sector test at centre distance >= d (pi: no bound)."""
    if not d > reach + rho + 1e-6:
        return math.pi
    return math.asin(min(1.0, rho / (d - reach))) + math.asin(min(1.0, reach / d)) + 1e-9


@njit(cache=True)
def _sector_arcs(s, beta, front_rad, rear_rad, slack, out):  # pragma: no cover - compiled
    """Directions (bearing convention, centre and half width) that sector s (1 front, 2 side,
    3 rear) of a site of bearing beta may take at that slack; returns the number of arcs."""
    if s == 1:
        out[0, 0] = beta
        out[0, 1] = front_rad + slack
        return 1
    if s == 3:
        out[0, 0] = beta + math.pi
        out[0, 1] = rear_rad + slack
        return 1
    half = 0.5 * (math.pi - front_rad - rear_rad) + slack
    off = 0.5 * (math.pi + front_rad - rear_rad)
    out[0, 0] = beta + off
    out[0, 1] = half
    out[1, 0] = beta - off
    out[1, 1] = half
    return 2


@njit(cache=True)
def _arcs_meet(pa, npa, ea, nea, shift):  # pragma: no cover - compiled
    """Some arc of pa meets some arc of ea turned by shift."""
    for i in range(npa):
        for j in range(nea):
            dd = abs((pa[i, 0] - ea[j, 0] - shift + math.pi) % (2.0 * math.pi) - math.pi)
            if dd <= pa[i, 1] + ea[j, 1] + 1e-9:
                return True
    return False


@njit(cache=True)
def _far_closed(d, p, a, pec, aec, bearing_deg, f60, f12, rr, tol_m, crho, reach60, reach12,
                g_reach, g_rho, g_nb, g_bear):  # pragma: no cover - compiled
    """Classes (bits 0..31 of a column block) that no site of attribute set a whose centre lies
    at d or farther from p's can be in: its sector seen from p together with its face toward p.

    Only a class with both a PES sector and an ES face is ever closed, and only when the ES of
    this attribute set have few distinct bearings (g_nb[a] >= 0): each alone is open somewhere.
    """
    closed = 0
    nb = g_nb[a]
    if not pec or not aec or nb < 0:
        return closed
    pa = np.empty((2, 2))
    ea = np.empty((2, 2))
    bp = math.radians(bearing_deg[p])
    g_es = g_rho[a] + 2.0 * tol_m + 1e-6 + 1e-9 * d  # an ES footprint, as seen from p
    g_p = crho[p] + 2.0 * tol_m + 1e-6 + 1e-9 * d  # p's footprint, as seen from an ES
    se = _slack(d, g_reach[a], g_p)
    for w in range(2):
        fw = f60 if w == 0 else f12
        sp = _slack(d, reach60[p] if w == 0 else reach12[p], g_es)
        for s in range(1, 4):
            npa = _sector_arcs(s, bp, fw, rr, sp, pa)
            for e in range(1, 4):
                possible = False
                for b in range(nb):
                    nea = _sector_arcs(e, g_bear[a, b], f60, rr, se, ea)
                    # ea: directions from the ES to p; turned by pi, from p to the ES
                    if _arcs_meet(pa, npa, ea, nea, math.pi):
                        possible = True
                        break
                if not possible:
                    closed |= 1 << (w * 16 + s * 4 + e)
    return closed


@njit(cache=True)
def _class_nearest_one(k, p, cap_row, attr_ec, n_attr, ec, bearing_deg, f60, f12, rr, tol_m,
                       g_x0, g_y0, g_cell, g_nx, g_ny, g_cs, g_is, cstart, citems, stamp,
                       bxmin, bymin, bxmax, bymax, seg_start, x0, y0, x1, y1, part_first, is_polygon,
                       best_d, best_j, ccx, ccy, crho, frames, reach60, reach12, g_reach, g_rho, g_nb,
                       g_bear):  # pragma: no cover - compiled
    pec = ec[p]
    cf60 = math.cos(f60)
    sf60 = math.sin(f60)
    cf12 = math.cos(f12)
    sf12 = math.sin(f12)
    crr = math.cos(rr)
    srr = math.sin(rr)
    fp_ = frames[p]
    for a in range(n_attr):
        nx = g_nx[a]
        if nx == 0:
            continue
        base = a * 32
        closed = 0  # classes no site left to visit can be in (_far_closed)
        stop = _attr_stop(k, base, cap_row, best_d, closed)
        if stop < 0.0:
            continue
        ny = g_ny[a]
        cell = g_cell[a]
        gx0 = g_x0[a]
        gy0 = g_y0[a]
        cs = g_cs[a]
        aec = attr_ec[a]
        cx = _cell_of(0.5 * (bxmin[p] + bxmax[p]), gx0, cell, nx)
        cy = _cell_of(0.5 * (bymin[p] + bymax[p]), gy0, cell, ny)
        r = 0
        while True:
            ix0 = max(cx - r, 0)
            ix1 = min(cx + r, nx - 1)
            iy0 = max(cy - r, 0)
            iy1 = min(cy + r, ny - 1)
            for iy in range(iy0, iy1 + 1):
                edge_y = iy == cy - r or iy == cy + r
                n_ix = ix1 - ix0 + 1 if edge_y else 2
                for q in range(n_ix):
                    if edge_y:
                        ix = ix0 + q
                    else:
                        ix = cx - r if q == 0 else cx + r
                        if ix < 0 or ix >= nx:
                            continue
                    c = cs + iy * nx + ix
                    for t in range(cstart[c], cstart[c + 1]):
                        j = citems[g_is[a] + t]
                        if j == p or stamp[j] == p:
                            continue
                        stamp[j] = p
                        gap = _box_gap(bxmin[p], bymin[p], bxmax[p], bymax[p], bxmin[j], bymin[j], bxmax[j],
                                       bymax[j])
                        if gap > stop:
                            continue
                        # cheap pre-tests: the sectors of p that j may touch, and the faces of j
                        # that p may face (supersets of the exact masks below)
                        ps60 = 7
                        ps12 = 7
                        pe = 7
                        if pec:
                            cu, cv = _in_frame(ccx[j], ccy[j], fp_)
                            ps60 = _possible_sectors(cu, cv, crho[j], fp_[4], fp_[5], fp_[6], fp_[7], cf60, sf60,
                                                     crr, srr, tol_m)
                            ps12 = _possible_sectors(cu, cv, crho[j], fp_[4], fp_[5], fp_[6], fp_[7], cf12, sf12,
                                                     crr, srr, tol_m)
                        if aec:
                            fj = frames[j]
                            cu, cv = _in_frame(ccx[p], ccy[p], fj)
                            pe = _possible_sectors(cu, cv, crho[p], fj[4], fj[5], fj[6], fj[7], cf60, sf60, crr,
                                                   srr, tol_m)
                        # the classes this site could still improve: their ES faces and sector sets
                        open_e = 0
                        open_w = 0
                        for cc in range(32):
                            cap = cap_row[base + cc]
                            if cap > 0.0 and (closed >> cc) & 1 == 0 and gap <= min(cap, best_d[k, base + cc]):
                                s_ = (cc % 16) // 4
                                e_ = cc % 4
                                sb_ = ps60 if cc < 16 else ps12
                                if s_ > 0 and (sb_ >> (s_ - 1)) & 1 == 0:
                                    continue
                                if e_ > 0 and (pe >> (e_ - 1)) & 1 == 0:
                                    continue
                                open_e |= 1 << e_
                                open_w |= 1 << (cc // 16)
                        if open_e == 0:
                            continue
                        em = 0
                        if aec:
                            em = _sector_mask(j, p, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[j]), f60,
                                              rr, tol_m)
                            # face bits 1, 2, 4 are the classes e = 1, 2, 3 (bits 2, 4, 8 of open_e)
                            if (open_e & (em << 1)) == 0:
                                continue
                        d = _pair_distance(p, j, seg_start, x0, y0, x1, y1, part_first, is_polygon)
                        if d > stop:
                            continue
                        s60 = 0
                        s12 = 0
                        if pec:
                            if open_w & 1:
                                s60 = _sector_mask(p, j, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[p]),
                                                   f60, rr, tol_m)
                            if open_w & 2:
                                s12 = _sector_mask(p, j, seg_start, x0, y0, x1, y1, math.radians(bearing_deg[p]),
                                                   f12, rr, tol_m)
                        for w in range(2 if pec else 1):
                            sm = s60 if w == 0 else s12
                            for s in range(4):
                                if s == 0:
                                    if pec:
                                        continue
                                elif (sm >> (s - 1)) & 1 == 0:
                                    continue
                                for e in range(4):
                                    if e == 0:
                                        if aec:
                                            continue
                                    elif (em >> (e - 1)) & 1 == 0:
                                        continue
                                    col = base + w * 16 + s * 4 + e
                                    # a class of cap <= 0 is not wanted, even at distance 0
                                    if not (cap_row[col] > 0.0 and d <= cap_row[col]) or (closed >> (col - base)) & 1:
                                        continue
                                    if d < best_d[k, col] or (d == best_d[k, col] and j < best_j[k, col]):
                                        best_d[k, col] = d
                                        best_j[k, col] = j
                        stop = _attr_stop(k, base, cap_row, best_d, closed)
            lb = _lb_outside(bxmin[p], bymin[p], bxmax[p], bymax[p], gx0, gy0, cell, nx, ny, ix0, ix1, iy0, iy1)
            if lb > stop or math.isinf(lb):
                break
            # every site not visited yet lies at lb or more (its centre too): classes that no
            # footprint there can be in are closed, and the search stops once none is left open
            closed |= _far_closed(lb, p, a, pec, aec, bearing_deg, f60, f12, rr, tol_m, crho, reach60, reach12,
                                  g_reach, g_rho, g_nb, g_bear)
            stop = _attr_stop(k, base, cap_row, best_d, closed)
            if lb > stop:
                break
            r += 1


@njit(cache=True, parallel=True)
def class_nearest(pes, cap, attr_ec, ec, bearing_deg, front_deg, front12_deg, rear_deg, tol_m,
                  g_x0, g_y0, g_cell, g_nx, g_ny, g_cs, g_is, cstart, citems,
                  seg_start, x0, y0, x1, y1, part_first, is_polygon):
    """Nearest exposed site of every class of relation, for each PES.

    Parameters
    ----------
    pes : int64 (n,)
    cap : float64 (n, n_attr * 32): per class, only sites within this distance count (<= 0: the
        class is not wanted)
    attr_ec : bool per attribute set (earth-covered ES)
    g_* : one grid per attribute set (origin, cell, nx (0: none), ny, offset of its cells in cstart,
          offset of its items in citems); cstart holds cell offsets local to each grid's items

    Returns
    -------
    best_d, best_j : (n, n_attr * 32); column a*32 + w*16 + s*4 + e: attribute set a, sectors at
        front_deg (w=0) or front12_deg (w=1), PES sector s and ES face e (1 front, 2 side, 3 rear;
        0 where not earth-covered).  inf / -1 where no site of that class lies within its cap.
        Ties go to the smaller site index.

    Notes
    -----
    Per attribute set, a ring search over its grid from the PES outward, stopping when the
    least distance to the cells not yet visited exceeds, for every class wanted, the nearest
    found or the cap.  A site touching two sectors counts in both.
    """
    n = pes.shape[0]
    n_attr = g_nx.shape[0]
    best_d = np.full((n, n_attr * 32), np.inf)
    best_j = np.full((n, n_attr * 32), -1, dtype=np.int64)
    bxmin, bymin, bxmax, bymax = site_bounds(seg_start, x0, y0, x1, y1)
    f60 = math.radians(front_deg)
    f12 = math.radians(front12_deg)
    rr = math.radians(rear_deg)
    n_chunks = min(n, 64)
    n_sites = bxmin.shape[0]
    # per site: centre and radius of its footprint, and its frame (for the pre-tests)
    ccx, ccy, crho, frames = footprint_disks(ec, bearing_deg, seg_start, x0, y0, x1, y1)
    reach60, reach12, g_reach, g_rho, g_nb, g_bear = _far_tables(
        ec, attr_ec, f60, f12, rr, ccx, ccy, crho, frames, bearing_deg, g_nx, g_ny, g_cs, g_is, cstart, citems)
    for ch in prange(n_chunks):
        stamp = np.full(n_sites, -1, dtype=np.int64)
        for k in range(ch, n, n_chunks):
            _class_nearest_one(k, pes[k], cap[k], attr_ec, n_attr, ec, bearing_deg, f60, f12, rr, tol_m,
                               g_x0, g_y0, g_cell, g_nx, g_ny, g_cs, g_is, cstart, citems, stamp,
                               bxmin, bymin, bxmax, bymax, seg_start, x0, y0, x1, y1, part_first, is_polygon,
                               best_d, best_j, ccx, ccy, crho, frames, reach60, reach12, g_reach, g_rho, g_nb,
                               g_bear)
    return best_d, best_j


@njit(cache=True)
def _far_tables(ec, attr_ec, f60, f12, rr, ccx, ccy, crho, frames, bearing_deg, g_nx, g_ny, g_cs, g_is, cstart,
                citems):  # pragma: no cover - compiled
    """What `_far_closed` reads: per site, the apex reach of its sectors at the HD 1.1 and HD 1.2
    front angles; per attribute set, the largest apex reach and footprint radius of its sites
    and their distinct bearings [rad] (g_nb -1: more than _MAX_BEARINGS, or none)."""
    n_sites = ccx.shape[0]
    n_attr = g_nx.shape[0]
    reach60 = np.full(n_sites, np.inf)
    reach12 = np.full(n_sites, np.inf)
    for i in range(n_sites):
        if ec[i]:
            cu, cv = _in_frame(ccx[i], ccy[i], frames[i])
            reach60[i] = _apex_reach(frames[i], cu, cv, f60, rr)
            reach12[i] = _apex_reach(frames[i], cu, cv, f12, rr)
    g_reach = np.zeros(n_attr)
    g_rho = np.zeros(n_attr)
    g_nb = np.full(n_attr, -1, dtype=np.int64)
    g_bear = np.zeros((n_attr, _MAX_BEARINGS))
    for a in range(n_attr):
        if g_nx[a] == 0:
            continue
        n_items = cstart[g_cs[a] + g_nx[a] * g_ny[a]]
        nb = 0
        for t in range(n_items):
            j = citems[g_is[a] + t]
            g_rho[a] = max(g_rho[a], crho[j])
            if not attr_ec[a]:
                continue
            if not ec[j]:
                nb = -1  # not expected: an earth-covered attribute set holds earth-covered sites
            g_reach[a] = max(g_reach[a], reach60[j])
            if nb < 0:
                continue
            bj = bearing_deg[j]
            seen = False
            for b in range(nb):
                if g_bear[a, b] == math.radians(bj):
                    seen = True
                    break
            if not seen:
                if nb == _MAX_BEARINGS:
                    nb = -1
                else:
                    g_bear[a, nb] = math.radians(bj)
                    nb += 1
        if attr_ec[a] and nb > 0:
            g_nb[a] = nb
    return reach60, reach12, g_reach, g_rho, g_nb, g_bear


def attribute_grids(es_attr, n_attr, seg_start, x0, y0, x1, y1, cell_of_attr):
    """One grid per attribute (the g_* and cstart/citems arguments of `class_nearest`)."""
    bxmin, bymin, bxmax, bymax = site_bounds(seg_start, x0, y0, x1, y1)
    g_x0 = np.zeros(n_attr)
    g_y0 = np.zeros(n_attr)
    g_cell = np.ones(n_attr)
    g_nx = np.zeros(n_attr, dtype=np.int64)
    g_ny = np.zeros(n_attr, dtype=np.int64)
    g_cs = np.zeros(n_attr, dtype=np.int64)
    g_is = np.zeros(n_attr, dtype=np.int64)
    cs_parts, it_parts = [], []
    off_c = off_i = 0
    for a in range(n_attr):
        sub = np.flatnonzero(es_attr == a).astype(np.int64)
        if sub.size == 0:
            continue
        gx0, gy0, nx, ny, start, items = _subset_grid(sub, bxmin, bymin, bxmax, bymax, float(cell_of_attr[a]))
        g_x0[a], g_y0[a], g_cell[a], g_nx[a], g_ny[a] = gx0, gy0, cell_of_attr[a], nx, ny
        g_cs[a], g_is[a] = off_c, off_i
        cs_parts.append(start[:-1])
        off_c += nx * ny
        it_parts.append(items)
        off_i += items.size
        cs_parts.append(np.array([start[-1]], dtype=np.int64))  # closing offset of this grid
        off_c += 1
    cstart = np.concatenate(cs_parts) if cs_parts else np.zeros(1, dtype=np.int64)
    citems = np.concatenate(it_parts) if it_parts else np.zeros(0, dtype=np.int64)
    return g_x0, g_y0, g_cell, g_nx, g_ny, g_cs, g_is, cstart, citems


@njit(cache=True)
def _find(parent, a):  # pragma: no cover - compiled
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@njit(cache=True)
def union_pairs(parent, a, b):
    """Union-find over ``parent`` (modified in place): merge a[k] with b[k] in order.

    Returns a boolean per pair: True where the pair joined two different groups
    (these pairs form a spanning forest of the merges).  Roots are the smallest index.
    """
    out = np.zeros(a.shape[0], dtype=np.bool_)
    for k in range(a.shape[0]):
        ra = _find(parent, a[k])
        rb = _find(parent, b[k])
        if ra != rb:
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb
            out[k] = True
    return out


@njit(cache=True)
def _attr_pairs_one(p, cap_row, r_max, g_x0, g_y0, g_cell, g_nx, g_ny, g_cs, g_is, cstart, citems,
                    bxmin, bymin, bxmax, bymax, out, pos):  # pragma: no cover - compiled
    """Sites j != p, over every attribute grid a, whose bounding box is within both
    r_max and (with a relative slack of 1e-9 and 1e-6 m) cap_row[a] of p's; written
    to out[pos:] when out is long enough (count only otherwise).  Returns the count."""
    r2 = r_max * r_max
    cnt = 0
    write = out.shape[0] > 0
    for a in range(g_nx.shape[0]):
        nx = g_nx[a]
        ca = cap_row[a]
        if nx == 0 or not ca >= 0.0:
            continue
        reach = min(ca * (1.0 + 1e-9) + 1e-6, r_max)
        ny = g_ny[a]
        cell = g_cell[a]
        gx0 = g_x0[a]
        gy0 = g_y0[a]
        cs = g_cs[a]
        gi = g_is[a]
        cx0 = _cell_of(bxmin[p] - reach, gx0, cell, nx)
        cx1 = _cell_of(bxmax[p] + reach, gx0, cell, nx)
        cy0 = _cell_of(bymin[p] - reach, gy0, cell, ny)
        cy1 = _cell_of(bymax[p] + reach, gy0, cell, ny)
        for iy in range(cy0, cy1 + 1):
            for ix in range(cx0, cx1 + 1):
                c = cs + iy * nx + ix
                for t in range(cstart[c], cstart[c + 1]):
                    j = citems[gi + t]
                    if j == p:
                        continue
                    # report j once: in the first cell where it meets the query box
                    if max(_cell_of(bxmin[j], gx0, cell, nx), cx0) != ix:
                        continue
                    if max(_cell_of(bymin[j], gy0, cell, ny), cy0) != iy:
                        continue
                    gx = max(0.0, max(bxmin[j] - bxmax[p], bxmin[p] - bxmax[j]))
                    gy = max(0.0, max(bymin[j] - bymax[p], bymin[p] - bymax[j]))
                    if gx * gx + gy * gy > r2:  # the test of geometry.pairs_within_radius
                        continue
                    if math.sqrt(gx * gx + gy * gy) > ca * (1.0 + 1e-9) + 1e-6:
                        continue
                    if write:
                        out[pos + cnt] = j
                    cnt += 1
    return cnt


@njit(cache=True, parallel=True)
def pairs_within_attr_caps(pes, cap, radius_m, es_attr, g_x0, g_y0, g_cell, g_nx, g_ny, g_cs, g_is, cstart,
                           citems, seg_start, x0, y0, x1, y1, part_first, is_polygon):
    """Pairs (PES pes[k], site j != pes[k]) with exact distance <= cap[k, es_attr[j]] and <= radius_m[pes[k]].

    Parameters
    ----------
    pes : int64 (n,)
    cap : float64 (n, n_attr): the farthest distance that counts toward a site of each
        attribute set, per PES [m] (a site at exactly that distance counts)
    radius_m : float64, one per site: the PES's whole search radius [m] (>= every cap of its row)
    es_attr : int64, the attribute set of every site
    g_*, cstart, citems : the grids of `attribute_grids` (one per attribute set)

    Returns
    -------
    pi, pj, distance_m : pairs sorted by (position of the PES in ``pes``, j), exact distances [m]

    Notes
    -----
    The pairs of ``geometry.pairs_within_radius(pes, radius_m)`` whose distance is also
    within ``cap[k, es_attr[j]]`` (the same bounding-box and exact-distance tests), found
    per attribute grid with its own reach instead of every site to the largest radius and
    filtered afterwards.  Reference: that composition (tests/test_aggregate_pretests.py).
    """
    npes = pes.shape[0]
    empty_i = np.empty(0, dtype=np.int64)
    if npes == 0 or seg_start.shape[0] < 2:
        return empty_i, empty_i.copy(), np.empty(0, dtype=np.float64)
    bxmin, bymin, bxmax, bymax = site_bounds(seg_start, x0, y0, x1, y1)
    counts = np.zeros(npes + 1, dtype=np.int64)
    for k in prange(npes):
        counts[k + 1] = _attr_pairs_one(pes[k], cap[k], radius_m[pes[k]], g_x0, g_y0, g_cell, g_nx, g_ny, g_cs,
                                        g_is, cstart, citems, bxmin, bymin, bxmax, bymax, empty_i, 0)
    offs = np.cumsum(counts)
    cand = np.empty(offs[-1], dtype=np.int64)
    dist = np.empty(offs[-1], dtype=np.float64)
    keep = np.zeros(offs[-1], dtype=np.bool_)
    for k in prange(npes):
        p = pes[k]
        a = offs[k]
        b = offs[k + 1]
        if b == a:
            continue
        _attr_pairs_one(p, cap[k], radius_m[p], g_x0, g_y0, g_cell, g_nx, g_ny, g_cs, g_is, cstart, citems,
                        bxmin, bymin, bxmax, bymax, cand, a)
        cand[a:b] = np.sort(cand[a:b])
        for t in range(a, b):
            d = _pair_distance(p, cand[t], seg_start, x0, y0, x1, y1, part_first, is_polygon)
            dist[t] = d
            keep[t] = d <= radius_m[p] and d <= cap[k, es_attr[cand[t]]]
    m = 0
    for t in range(offs[-1]):
        if keep[t]:
            m += 1
    pi = np.empty(m, dtype=np.int64)
    pj = np.empty(m, dtype=np.int64)
    pd = np.empty(m, dtype=np.float64)
    m = 0
    for k in range(npes):
        for t in range(offs[k], offs[k + 1]):
            if keep[t]:
                pi[m] = pes[k]
                pj[m] = cand[t]
                pd[m] = dist[t]
                m += 1
    return pi, pj, pd
