"""Location-based risk on a grid: sum over events of Pe x P(fatality | event).

A person permanently present, outdoors (the Dutch location-risk definition,
data/risk/presence.csv).  Per event the mechanisms are lung haemorrhage
(Eisenberg) and head impact (TNO) from the Kingery-Bulmash incident
overpressure and impulse, hazardous-fragment hit and thermal dose, combined as
1 - prod(1 - P_m).  The formulas are those of depotsafe.risk (the Python
per-site path) and the reference tests/reference/risk_naive.py.

Tables are arguments (never globals): the two Kingery-Bulmash fits (z_min,
z_max, coef, as depotsafe.effects.tables.Fit holds them) and the probit
coefficients.  Events arrive as flat float64 arrays; their footprints as
segments in CSR form (seg_start[e] .. seg_start[e + 1] - 1), the distance from
a point to an event being the distance to the nearest footprint point (0
inside), as quantity-distances measure it.

Pruning: rows and points farther from an event's footprint box than its last
effect distance ``r_max`` skip that event (every mechanism is 0 there by the
model's definition, so pruning is exact).  Rows run in parallel (prange); each
row writes only its own output row: thread-safe, deterministic (events are
summed in order).  fastmath off.
"""

from __future__ import annotations

import math

import numpy as np
from depotsafe.kernels._jit import njit
from depotsafe.kernels.blast import log_poly, segment
from numba import prange

SQRT2 = math.sqrt(2.0)


@njit(cache=True)
def _kb(ln_d, lnw13, ln_zlo, ln_zmax, coef):
    """ln of the fitted value at distance exp(ln_d); status 0 ok, 1 below, 2 above.

    The same fit evaluation as the blast kernels (depotsafe.kernels.blast:
    the first segment whose upper bound is >= u, Horner in u = ln Z).
    """
    u = ln_d - lnw13
    if u < ln_zlo:
        return 0.0, 1
    if u > ln_zmax[ln_zmax.size - 1]:
        return 0.0, 2
    return log_poly(coef, segment(ln_zmax, u), u), 0


@njit(cache=True)
def _phi(y):
    return 0.5 * (1.0 + math.erf((y - 5.0) / SQRT2))


@njit(cache=True)
def pf_outdoors(
    d, lnw13, r_blast, frag_d, frag_rmax, th_d4, th_rmax,
    ln_zlo_p, ln_zmax_p, coef_p, ln_zlo_i, ln_zmax_i, coef_i,
    probit, person_area_m2, q_ibd, spread, e_d4, t_exp,
):
    """P(fatality | event) of a person outdoors at distance ``d`` [m] from the footprint.

    lnw13 = ln W^(1/3) of the blast NEQ (ignored if r_blast <= 0); r_blast is
    the blast range (0: no blast); frag_d the fragment anchor distance (0: no
    fragments), frag_rmax its cutoff; th_d4 the thermal anchor (0: none),
    th_rmax its cutoff.  probit = [lung a, lung b, head b, head c1, head c2,
    thermal a, thermal b].
    """
    surv = 1.0
    if r_blast > 0.0 and d <= r_blast:
        if d <= 0.0:
            return 1.0
        ln_d = math.log(d)
        lp, sp = _kb(ln_d, lnw13, ln_zlo_p, ln_zmax_p, coef_p)
        li, si = _kb(ln_d, lnw13, ln_zlo_i, ln_zmax_i, coef_i)
        if sp == 1 or si == 1:
            return 1.0
        if sp == 0 and si == 0:
            p = math.exp(lp) * 1000.0
            i = math.exp(li) * math.exp(lnw13)
            y_lung = probit[0] + probit[1] * math.log(p)
            y_head = 5.0 - probit[2] * math.log(probit[3] / p + probit[4] / (p * i))
            surv *= 1.0 - _phi(y_lung)
            surv *= 1.0 - _phi(y_head)
    if frag_d > 0.0 and d <= frag_rmax:
        if d <= 0.0:
            return 1.0
        q = q_ibd * (frag_d / d) ** spread
        surv *= math.exp(-q * person_area_m2)
    if th_d4 > 0.0 and d <= th_rmax:
        if d <= 0.0:
            return 1.0
        e = e_d4 * (th_d4 / d) ** 2
        flux = e / t_exp
        dose = t_exp * flux ** (4.0 / 3.0)
        surv *= 1.0 - _phi(probit[5] + probit[6] * math.log(dose))
    return 1.0 - surv


@njit(cache=True)
def point_footprint_distance2(px, py, sx0, sy0, sx1, sy1, sinv, a, b, may_be_inside):
    """Squared distance [m^2] from (px, py) to the footprint of segments a..b-1; 0 inside.

    ``sinv`` holds 1 / (squared length) of each segment (0 for a degenerate
    one).  The even-odd inside test runs only when ``may_be_inside`` (the point
    is in the footprint's bounding box).
    """
    best = np.inf
    inside = False
    for k in range(a, b):
        x0 = sx0[k]
        y0 = sy0[k]
        dx = sx1[k] - x0
        dy = sy1[k] - y0
        t = ((px - x0) * dx + (py - y0) * dy) * sinv[k]
        t = min(1.0, max(0.0, t))
        cx = x0 + t * dx - px
        cy = y0 + t * dy - py
        d2 = cx * cx + cy * cy
        if d2 < best:
            best = d2
        if may_be_inside and (y0 > py) != (sy1[k] > py):
            xc = x0 + (py - y0) * dx / dy
            if px < xc:
                inside = not inside
    if inside:
        return 0.0
    return best


@njit(cache=True)
def _row_distance2(px, yj, sx0, sy0, sx1, sy1, sinv, a, b, may_in, bx0, bx1, d2):
    """Squared distance [m^2] from (px[i], yj) to the footprint of segments a..b-1 -> d2[i].

    The same arithmetic as :func:`point_footprint_distance2`, reordered so
    that the inner loops run over contiguous x with no branch (segments outer,
    points inner: LLVM vectorises them), and the even-odd crossing of each
    segment with the row ``yj`` found once per row instead of once per point.
    ``may_in``: the row crosses the footprint's bounding box; then the inside
    test runs for the points whose x lies in [bx0, bx1].  ``px`` and ``d2`` are
    views of the same length, indexed from 0.
    """
    n = px.size
    for i in range(n):
        d2[i] = np.inf
    for k in range(a, b):
        x0 = sx0[k]
        y0 = sy0[k]
        dx = sx1[k] - x0
        dy = sy1[k] - y0
        s = sinv[k]
        ry = yj - y0
        for i in range(n):
            p = px[i]
            t = ((p - x0) * dx + ry * dy) * s
            t = min(1.0, max(0.0, t))
            cx = x0 + t * dx - p
            cy = y0 + t * dy - yj
            d2[i] = min(d2[i], cx * cx + cy * cy)
    if not may_in:
        return
    # even-odd rule: a point is inside when an odd number of crossings lie to its right
    for i in range(n):
        xi = px[i]
        if xi < bx0 or xi > bx1:
            continue
        inside = False
        for k in range(a, b):
            y0 = sy0[k]
            if (y0 > yj) != (sy1[k] > yj):
                x0 = sx0[k]
                xc = x0 + (yj - y0) * (sx1[k] - x0) / (sy1[k] - y0)
                if xi < xc:
                    inside = not inside
        if inside:
            d2[i] = 0.0


@njit(cache=True, parallel=True)
def location_risk(
    x, y, pe, lnw13, r_blast, frag_d, frag_rmax, th_d4, th_rmax, r_max,
    bx0, bx1, by0, by1, seg_start, sx0, sy0, sx1, sy1, sinv,
    ln_zlo_p, ln_zmax_p, coef_p, ln_zlo_i, ln_zmax_i, coef_i,
    probit, person_area_m2, q_ibd, spread, e_d4, t_exp, out,
):
    """Location-based risk [per year] at every grid point (x[i], y[j]) -> out[j, i].

    Parameters: see the module docstring and :func:`pf_outdoors`; bx0..by1 the
    footprint bounding box of each event, r_max its last effect distance, sinv
    1 / squared length of each segment.  ``x`` must be increasing (the wrapper
    checks it): per row and event only the x range within r_max of the box is
    visited.  out : float64[ny, nx], written.  Complexity O(pairs in range).
    Reference: tests/reference/risk_naive.py.

    Per row and event: the squared distances of the visited points first
    (:func:`_row_distance2`, contiguous and branch-free), then the
    contributions.  Where only fragments reach a point (beyond the blast and
    thermal ranges) and the spread exponent is 2, P = 1 - exp(-q_ibd A D^2 / d^2)
    is evaluated from the squared distance (the same formula as pf_outdoors,
    regrouped); sqrt and the full model only where blast or heat reach.
    """
    n_ev = pe.size
    frag_c = np.empty(n_ev)
    r2_near = np.empty(n_ev)
    for e in range(n_ev):
        frag_c[e] = q_ibd * person_area_m2 * frag_d[e] * frag_d[e]
        near = max(r_blast[e], th_rmax[e])
        r2_near[e] = near * near
    fast = spread == 2.0
    for j in prange(y.size):
        yj = y[j]
        row = out[j]
        d2 = np.empty(x.size)
        for i in range(x.size):
            row[i] = 0.0
        for e in range(n_ev):
            dyb = 0.0
            if yj < by0[e]:
                dyb = by0[e] - yj
            elif yj > by1[e]:
                dyb = yj - by1[e]
            rm = r_max[e]
            if dyb > rm:
                continue
            half = math.sqrt(rm * rm - dyb * dyb)
            i0 = np.searchsorted(x, bx0[e] - half)
            i1 = np.searchsorted(x, bx1[e] + half, side="right")
            if i1 <= i0:
                continue
            in_rows = by0[e] <= yj <= by1[e]
            dv = d2[i0:i1]
            _row_distance2(x[i0:i1], yj, sx0, sy0, sx1, sy1, sinv, seg_start[e], seg_start[e + 1],
                           in_rows, bx0[e], bx1[e], dv)
            r2 = rm * rm
            pe_e = pe[e]
            if fast and frag_d[e] > 0.0:
                # fragments only beyond the near range: exp of the squared distance, no sqrt
                r2n = r2_near[e]
                r2f = min(r2, frag_rmax[e] * frag_rmax[e])
                c = frag_c[e]
                for i in range(i0, i1):
                    v = dv[i - i0]
                    if v > r2n and v <= r2f:
                        row[i] += pe_e * (1.0 - math.exp(-c / v))
            # the full model where blast or heat may reach (or spread != 2): only the points of the
            # row within the near range of the box, widened by 1 mm so that rounding of the squared
            # distance cannot drop a point; the test on v decides exactly
            rn = math.sqrt(r2_near[e]) + 1e-3 if fast else rm
            if dyb > rn:
                continue
            hn = math.sqrt(rn * rn - dyb * dyb)
            k0 = max(i0, np.searchsorted(x, bx0[e] - hn))
            k1 = min(i1, np.searchsorted(x, bx1[e] + hn, side="right"))
            for i in range(k0, k1):
                v = dv[i - i0]
                if v > r2:
                    continue
                if fast and v > r2_near[e] and v > 0.0:
                    continue  # fragments only: done above
                row[i] += pe_e * pf_outdoors(
                    math.sqrt(v), lnw13[e], r_blast[e], frag_d[e], frag_rmax[e], th_d4[e], th_rmax[e],
                    ln_zlo_p, ln_zmax_p, coef_p, ln_zlo_i, ln_zmax_i, coef_i,
                    probit, person_area_m2, q_ibd, spread, e_d4, t_exp,
                )


@njit(cache=True)
def blast_scan(ds, lnw13, ln_zlo_p, ln_zmax_p, coef_p, ln_zlo_i, ln_zmax_i, coef_i, probit, out):
    """Outdoor blast-only P(fatality | event) at each distance of ``ds`` (lung and head impact).

    Used to find how far the blast mechanisms matter (depotsafe.risk.blast_outdoor_range_m).
    """
    for k in range(ds.size):
        out[k] = pf_outdoors(
            ds[k], lnw13, np.inf, 0.0, 0.0, 0.0, 0.0,
            ln_zlo_p, ln_zmax_p, coef_p, ln_zlo_i, ln_zmax_i, coef_i,
            probit, 0.0, 0.0, 2.0, 0.0, 1.0,
        )
