"""Kingery-Bulmash blast kernels: fits over many points, and fields over grids.

Coefficient tables are arguments (never module globals): for each quantity
``z_min``, ``z_max`` (segment bounds [m/kg^(1/3)], increasing, contiguous) and
``coef`` (7 coefficients a..g per segment, flat, segment-major), exactly as
depotsafe.effects.tables.Fit holds them.  Inputs are validated by the Python
wrappers in depotsafe.effects.fields; kernels assume valid input.

Status codes (uint8): 0 ok, 1 below the fit (too close to a charge), 2 above
the fit (too far, or an out-of-range event could dominate).  Where the status
is not 0 the value array holds 0.0 and means nothing; the wrapper masks it.
fastmath is off.
"""

from __future__ import annotations

import math

import numpy as np
from depotsafe.kernels._jit import njit
from numba import prange

N_COEF = 7


@njit(cache=True)
def log_poly(coef, s, u):
    """ln of the fitted value of segment ``s`` at u = ln Z (Horner)."""
    base = N_COEF * s
    acc = 0.0
    for k in range(N_COEF - 1, -1, -1):
        acc = acc * u + coef[base + k]
    return acc


@njit(cache=True)
def log_poly_n(coef, s, n, u):
    """As log_poly, over the first ``n`` coefficients (trailing zeros dropped).

    Dropping terms whose coefficient is exactly 0.0 changes nothing: Horner
    over them only multiplies 0.0 by u and adds 0.0 (u is finite).
    """
    base = N_COEF * s
    acc = 0.0
    for k in range(n - 1, -1, -1):
        acc = acc * u + coef[base + k]
    return acc


@njit(cache=True)
def n_terms(coef, n_seg):
    """Number of coefficients up to the last non-zero one, per segment."""
    out = np.empty(n_seg, dtype=np.int64)
    for s in range(n_seg):
        n = N_COEF
        while n > 1 and coef[N_COEF * s + n - 1] == 0.0:
            n -= 1
        out[s] = n
    return out


@njit(cache=True)
def segment(ln_z_max, u):
    """First segment whose upper bound is >= u (caller checks both bounds).

    Branch-free: counts the upper bounds below u (ln_z_max increasing).
    """
    s = 0
    for k in range(ln_z_max.size - 1):
        s += u > ln_z_max[k]
    return s


@njit(cache=True)
def kb_points(z, z_min, z_max, coef, out_value, out_status):
    """Fitted value (in the fit's own unit, per kg^(1/3) where scaled) at each Z.

    Parameters
    ----------
    z : float64[n]
        Scaled distances [m/kg^(1/3)], >= 0.
    z_min, z_max, coef : float64 arrays
        The fit of one quantity.
    out_value : float64[n]
        Written: the value where status is 0, else 0.0.
    out_status : uint8[n]
        Written: 0 ok, 1 below, 2 above the fit.
    """
    ln_lo = math.log(z_min[0])
    ln_z_max = np.log(z_max)
    ln_hi = ln_z_max[-1]
    for k in range(z.size):
        out_value[k] = 0.0
        if z[k] <= 0.0:
            out_status[k] = 1
            continue
        u = math.log(z[k])
        if u < ln_lo:
            out_status[k] = 1
        elif u > ln_hi:
            out_status[k] = 2
        else:
            out_status[k] = 0
            out_value[k] = math.exp(log_poly(coef, segment(ln_z_max, u), u))


#: Points per chunk for event pruning (see blast_field_max).
CHUNK = 64
#: Margin [ln units] below which an event's bound must fall to be pruned, so
#: that rounding in the bounds can never drop an event that matters.
PRUNE_MARGIN = 1e-9


@njit(cache=True)
def _chunk_events(
    yj, x, i0, i1, ex, ey, ln_w13_i, ln_lo_mono_i, ln_zmax_i, coef_i, nt_i, ln_fhi_i, keep
):
    """Indices of the events that can matter for the impulse on points i0..i1-1.

    An event whose whole chunk lies where the impulse fit never rises with Z
    (Z >= z_nonincreasing_from) is bounded above by its value at the nearest
    point of the chunk, and, if the farthest point is within the fit, bounded
    below there.  Events whose upper bound is below the largest lower bound
    cannot change the maximum or the status at any point of the chunk.
    Returns the number of kept events, their indices in keep[:n].
    """
    ln_hi_i = ln_zmax_i[-1]
    xmin = x[i0]
    xmax = x[i0]
    for i in range(i0 + 1, i1):
        xmin = min(xmin, x[i])
        xmax = max(xmax, x[i])
    n_ev = ex.size
    upper = np.empty(n_ev)
    lower_max = -np.inf
    for e in range(n_ev):
        dy = yj - ey[e]
        a = abs(xmin - ex[e])
        b = abs(xmax - ex[e])
        dxmin = 0.0 if xmin <= ex[e] <= xmax else min(a, b)
        dxmax = max(a, b)
        rmin2 = dxmin * dxmin + dy * dy
        upper[e] = np.inf
        if rmin2 == 0.0:
            continue
        umin = 0.5 * math.log(rmin2) - ln_w13_i[e]
        if umin < ln_lo_mono_i:
            continue
        if umin > ln_hi_i:
            upper[e] = ln_fhi_i + ln_w13_i[e]
        else:
            s = segment(ln_zmax_i, umin)
            upper[e] = log_poly_n(coef_i, s, nt_i[s], umin) + ln_w13_i[e]
        umax = 0.5 * math.log(dxmax * dxmax + dy * dy) - ln_w13_i[e]
        if umax <= ln_hi_i:
            s = segment(ln_zmax_i, umax)
            low = log_poly_n(coef_i, s, nt_i[s], umax) + ln_w13_i[e]
            if low > lower_max:
                lower_max = low
    n = 0
    for e in range(n_ev):
        if not upper[e] < lower_max - PRUNE_MARGIN:
            keep[n] = e
            n += 1
    return n


@njit(cache=True)
def _row(
    yj, x, ex, ey, inv_w23_p, ln_w13_i,
    z2_lo_p, z2_max_p, coef_p, nt_p, ln_fhi_p, factor_p,
    ln_lo_i, ln_lo_mono_i, ln_zmax_i, coef_i, nt_i, ln_fhi_i, factor_i,
    z2min_p, keep, out_p, out_i, out_sp, out_si,
):
    nseg_p = z2_max_p.size
    z2_hi_p = z2_max_p[-1]
    ln_hi_i = ln_zmax_i[-1]
    n_ev = ex.size
    for i0 in range(0, x.size, CHUNK):
        i1 = min(x.size, i0 + CHUNK)
        n_keep = _chunk_events(
            yj, x, i0, i1, ex, ey, ln_w13_i, ln_lo_mono_i, ln_zmax_i, coef_i, nt_i, ln_fhi_i, keep
        )
        for i in range(i0, i1):
            # Incident overpressure depends on Z only and falls with Z inside
            # each segment (checked when the data is loaded), so the maximum
            # over events is, per segment, the value at the smallest Z: no
            # logarithm per event, Z^2 = r^2 / W^(2/3) is compared directly.
            for s in range(nseg_p):
                z2min_p[s] = np.inf
            far_p = False
            close_p = False
            for e in range(n_ev):
                dx = x[i] - ex[e]
                dy = yj - ey[e]
                z2 = (dx * dx + dy * dy) * inv_w23_p[e]
                if z2 < z2_lo_p:
                    close_p = True
                elif z2 > z2_hi_p:
                    far_p = True
                else:
                    s = segment(z2_max_p, z2)
                    if z2 < z2min_p[s]:
                        z2min_p[s] = z2
            best_p = -np.inf
            for s in range(nseg_p):
                if z2min_p[s] != np.inf:
                    u = 0.5 * math.log(z2min_p[s])
                    v = log_poly_n(coef_p, s, nt_p[s], u)
                    if v > best_p:
                        best_p = v
            if close_p:
                out_sp[i] = 1
                out_p[i] = 0.0
            elif best_p == -np.inf or (far_p and ln_fhi_p > best_p):
                out_sp[i] = 2
                out_p[i] = 0.0
            else:
                out_sp[i] = 0
                out_p[i] = math.exp(best_p) * factor_p
            # Incident impulse: W^(1/3) times a function of Z, per kept event.
            best_i = -np.inf
            bound_i = -np.inf
            close_i = False
            for k in range(n_keep):
                e = keep[k]
                dx = x[i] - ex[e]
                dy = yj - ey[e]
                r2 = dx * dx + dy * dy
                if r2 == 0.0:
                    close_i = True
                    continue
                u = 0.5 * math.log(r2) - ln_w13_i[e]
                if u < ln_lo_i:
                    close_i = True
                elif u > ln_hi_i:
                    b = ln_fhi_i + ln_w13_i[e]
                    if b > bound_i:
                        bound_i = b
                else:
                    s = segment(ln_zmax_i, u)
                    v = log_poly_n(coef_i, s, nt_i[s], u) + ln_w13_i[e]
                    if v > best_i:
                        best_i = v
            if close_i:
                out_si[i] = 1
                out_i[i] = 0.0
            elif best_i == -np.inf or bound_i > best_i:
                out_si[i] = 2
                out_i[i] = 0.0
            else:
                out_si[i] = 0
                out_i[i] = math.exp(best_i) * factor_i


@njit(cache=True, parallel=True)
def blast_field_max(
    x, y, ex, ey, ln_w13_p, ln_w13_i,
    zmin_p, zmax_p, coef_p, factor_p,
    zmin_i, zmax_i, coef_i, z_mono_i, factor_i,
    out_p, out_i, out_sp, out_si,
):
    """Maximum incident overpressure and impulse over several events on a grid.

    Parameters
    ----------
    x : float64[nx], y : float64[ny]
        Grid coordinates [m]; the point (x[i], y[j]) is cell [j, i].
    ex, ey : float64[ne]
        Event (charge) positions [m].
    ln_w13_p, ln_w13_i : float64[ne]
        ln W^(1/3) of the pressure- and impulse-equivalent TNT mass [kg].
    zmin_p, zmax_p, coef_p, factor_p
        Incident-overpressure fit and its factor to SI (1000: kPa -> Pa).
        Each segment must be strictly decreasing in Z (the loader checks it).
    zmin_i, zmax_i, coef_i, z_mono_i, factor_i
        Incident-impulse fit (per kg^(1/3)), the Z from which it never rises
        (Fit.z_nonincreasing_from, checked by the loader; +inf disables the
        pruning) and its factor to SI (1.0).
    out_p, out_i : float64[ny, nx]
        Written: the maximum over events [Pa], [Pa*s]; 0.0 where status != 0.
    out_sp, out_si : uint8[ny, nx]
        Written: 0 ok; 1 some event closer than its fit's range; 2 no event
        within range, or an event beyond its range could exceed the maximum
        (its value there is bounded by the fit's value at the range end times
        W^(1/3): blast decays with distance).

    Notes
    -----
    Rows run in parallel (prange); each row works in chunks of CHUNK points
    and prunes, per chunk, the events that cannot reach the impulse maximum
    there (exact: see _chunk_events).  Nothing is allocated per point.
    """
    z2_lo_p = zmin_p[0] * zmin_p[0]
    z2_max_p = zmax_p * zmax_p
    nt_p = n_terms(coef_p, zmax_p.size)
    ln_fhi_p = log_poly(coef_p, zmax_p.size - 1, math.log(zmax_p[-1]))
    inv_w23_p = np.exp(-2.0 * ln_w13_p)
    ln_lo_i = math.log(zmin_i[0])
    ln_zmax_i = np.log(zmax_i)
    nt_i = n_terms(coef_i, zmax_i.size)
    ln_fhi_i = log_poly(coef_i, zmax_i.size - 1, ln_zmax_i[-1])
    ln_lo_mono_i = math.log(z_mono_i) if z_mono_i < np.inf else np.inf
    for j in prange(y.size):
        z2min_p = np.empty(zmax_p.size)
        keep = np.empty(ex.size, dtype=np.int64)
        _row(
            y[j], x, ex, ey, inv_w23_p, ln_w13_i,
            z2_lo_p, z2_max_p, coef_p, nt_p, ln_fhi_p, factor_p,
            ln_lo_i, ln_lo_mono_i, ln_zmax_i, coef_i, nt_i, ln_fhi_i, factor_i,
            z2min_p, keep, out_p[j], out_i[j], out_sp[j], out_si[j],
        )
