"""Quantity-distance kernels: required distance and quantity limit of many pairs.

Each pair names a resolved rule (a row of ``rules``) and carries its NEQ, the
NEQ of one munition (HD 1.6) and, for the inverse, the actual distance.  The
rule tables are arguments, packed as C-contiguous float64 arrays:

``branches`` (n_branches, 7)
    form (0 power, 1 logquad, 2 logquad with ceil), q_lo_kg, q_hi_kg (inf = unbounded), c0, c1, c2, scale
``functions`` (n_functions, 3)
    first branch, one past the last branch, floor_m
``terms`` (n_terms, 5)
    function index (-1 = fixed distance), min_m, scale, q_source (0 aggregate,
    1 single munition), use_floor (1/0)
``rules`` (n_rules, 2)
    first term, one past the last term

Semantics are those of :mod:`depotsafe.qd`, whose plain-Python functions are
the reference these kernels are tested against (tests/test_kernels_qd.py).
fastmath is off: every output feeds a compliance decision.  The kernels hold no
state and write only to their own output slots, so they are safe to call from
several threads at once.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from depotsafe.kernels._jit import njit

_FORM_POWER = 0.0
_FORM_LOGQUAD_CEIL = 2.0


@njit(cache=True)
def _branch_value(branches, b, q):
    form = branches[b, 0]
    c0 = branches[b, 3]
    c1 = branches[b, 4]
    c2 = branches[b, 5]
    scale = branches[b, 6]
    if form == _FORM_POWER:
        return scale * c0 * q**c1
    u = math.log(q)
    inner = c0 + c1 * u + c2 * u * u
    if form == _FORM_LOGQUAD_CEIL:
        inner = math.ceil(inner)
    return scale * inner


@njit(cache=True)
def _branch_max(branches, b, lo, hi):
    if branches[b, 0] == _FORM_POWER:
        return _branch_value(branches, b, hi)
    best = max(_branch_value(branches, b, lo), _branch_value(branches, b, hi))
    c1 = branches[b, 4]
    c2 = branches[b, 5]
    if c2 < 0.0:
        u_vertex = -c1 / (2.0 * c2)
        if math.log(lo) < u_vertex < math.log(hi):
            best = max(best, _branch_value(branches, b, math.exp(u_vertex)))
    return best


@njit(cache=True)
def _function_value(branches, functions, f, q_kg, use_floor):
    start = int(functions[f, 0])
    end = int(functions[f, 1])
    q = max(q_kg, branches[start, 1])
    best = functions[f, 2] if use_floor else 0.0
    for b in range(start, end):
        lo = branches[b, 1]
        if lo > q:
            break
        hi = min(q, branches[b, 2])
        best = max(best, _branch_max(branches, b, lo, hi))
    return best


@njit(cache=True)
def _term_value(branches, functions, terms, t, neq_kg, unit_neq_kg):
    f = int(terms[t, 0])
    if f < 0:
        return terms[t, 2] * terms[t, 1]
    q = unit_neq_kg if terms[t, 3] == 1.0 else neq_kg
    value = _function_value(branches, functions, f, q, terms[t, 4] == 1.0)
    return terms[t, 2] * max(terms[t, 1], value)


@njit(cache=True)
def _rule_required(branches, functions, terms, rules, r, neq_kg, unit_neq_kg):
    best = 0.0
    arg = -1
    for t in range(int(rules[r, 0]), int(rules[r, 1])):
        value = _term_value(branches, functions, terms, t, neq_kg, unit_neq_kg)
        if value > best:
            best = value
            arg = t - int(rules[r, 0])
    return best, arg


@njit(cache=True)
def _branch_crossing(branches, b, target):
    lo = branches[b, 1]
    hi = branches[b, 2]
    hi_eval = hi if math.isfinite(hi) else lo * 1e30 + 1e30
    if _branch_max(branches, b, lo, hi_eval) <= target:
        return math.inf
    c0 = branches[b, 3]
    c1 = branches[b, 4]
    c2 = branches[b, 5]
    scale = branches[b, 6]
    if branches[b, 0] == _FORM_POWER:
        q = (target / (scale * c0)) ** (1.0 / c1)
        return min(max(q, lo), hi)
    threshold = target / scale
    if branches[b, 0] == _FORM_LOGQUAD_CEIL:
        # the largest whole n with scale * n <= target
        n = math.floor(threshold)
        while scale * (n + 1.0) <= target:
            n += 1.0
        while scale * n > target:
            n -= 1.0
        threshold = n
    k = c0 - threshold
    u_lo = math.log(lo)
    if c2 == 0.0:
        if c1 <= 0.0:
            return math.inf
        u = -k / c1
    else:
        disc = c1 * c1 - 4.0 * c2 * k
        if disc < 0.0:
            if c2 < 0.0:
                return math.inf
            return lo
        ra = (-c1 - math.sqrt(disc)) / (2.0 * c2)
        rb = (-c1 + math.sqrt(disc)) / (2.0 * c2)
        r1 = min(ra, rb)
        r2 = max(ra, rb)
        if c2 > 0.0:
            u = r2
        else:
            if u_lo >= r2:
                return math.inf
            u = r1
        u = max(u, u_lo)
    return min(max(math.exp(u), lo), hi)


@njit(cache=True)
def _function_limit(branches, functions, f, distance_m, use_floor):
    start = int(functions[f, 0])
    end = int(functions[f, 1])
    if use_floor and functions[f, 2] > distance_m:
        return 0.0
    first_lo = branches[start, 1]
    if first_lo > 0.0 and _branch_value(branches, start, first_lo) > distance_m:
        return 0.0
    best = math.inf
    for b in range(start, end):
        lo = branches[b, 1]
        if lo > 0.0 and _branch_value(branches, b, lo) > distance_m:
            best = min(best, lo)
            break
        best = min(best, _branch_crossing(branches, b, distance_m))
    return best


@njit(cache=True)
def _rule_limit(branches, functions, terms, rules, r, distance_m, unit_neq_kg):
    limit = math.inf
    arg = -1
    first = int(rules[r, 0])
    for t in range(first, int(rules[r, 1])):
        f = int(terms[t, 0])
        if f < 0 or terms[t, 3] == 1.0:
            if _term_value(branches, functions, terms, t, 0.0, unit_neq_kg) > distance_m:
                return 0.0, t - first
            continue
        target = distance_m / terms[t, 2]
        if terms[t, 1] > target:
            return 0.0, t - first
        q = _function_limit(branches, functions, f, target, terms[t, 4] == 1.0)
        if q < limit:
            limit = q
            arg = t - first
    if limit == 0.0 or not math.isfinite(limit):
        return limit, arg
    # Polish to the exact float boundary, as depotsafe.qd.max_neq_kg does.
    polished = False
    for _ in range(256):
        if limit == 0.0:
            polished = True
            break
        d, _a = _rule_required(branches, functions, terms, rules, r, limit, unit_neq_kg)
        if d <= distance_m:
            polished = True
            break
        limit = np.nextafter(limit, 0.0)
    if not polished:
        lo = 0.0
        hi = limit
        while np.nextafter(lo, math.inf) < hi:
            mid = lo + (hi - lo) / 2.0
            d, _a = _rule_required(branches, functions, terms, rules, r, mid, unit_neq_kg)
            if d <= distance_m:
                lo = mid
            else:
                hi = mid
        limit = lo
    for _ in range(256):
        up = np.nextafter(limit, math.inf)
        d, _a = _rule_required(branches, functions, terms, rules, r, up, unit_neq_kg)
        if d > distance_m:
            break
        limit = up
    return limit, arg


@njit(cache=True, parallel=True)
def _required_distances(branches, functions, terms, rules, rule_id, neq_kg, unit_neq_kg, out_m, out_term):
    """Required distance [m] of each pair, and the governing term (-1: No QD).

    Preconditions: C-contiguous float64 tables, int64 ``rule_id`` in range,
    finite NEQs > 0.  O(pairs x terms); parallel over pairs.
    """
    for i in numba.prange(rule_id.shape[0]):
        d, a = _rule_required(branches, functions, terms, rules, rule_id[i], neq_kg[i], unit_neq_kg[i])
        out_m[i] = d
        out_term[i] = a


@njit(cache=True, parallel=True)
def _max_neqs(branches, functions, terms, rules, rule_id, distance_m, unit_neq_kg, out_kg, out_term):
    """Largest NEQ [kg] of each pair at its distance (0 nil, inf unlimited), and the limiting term."""
    for i in numba.prange(rule_id.shape[0]):
        q, a = _rule_limit(branches, functions, terms, rules, rule_id[i], distance_m[i], unit_neq_kg[i])
        out_kg[i] = q
        out_term[i] = a
