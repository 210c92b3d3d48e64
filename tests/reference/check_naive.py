"""A slow, obvious reference for aggregation groups, group pairs, near misses and licences.

Every pair of sites is looked at, with shapely distances and shapely sector
polygons (geometry_naive), and the scalar rules engine (depotsafe.qd, checked
against published values elsewhere).  Nothing here uses a grid, a kernel or a
search radius.

* groups: storage sites (data/kinds.csv holds_explosives = yes) merge when
  either one's inter-magazine distance to the other, at its group's NEQ, is not
  met, to a fixpoint (standards.md decision 14);
* ``owner_view``: a group (or lone PES) against an exposed site: the smallest
  distance from any member and the largest requirement of any member's own
  relation at the group's NEQ (what depotsafe reports);
* ``worst_member_fails``: every member with its own distance and relation at the
  group's NEQ, failing if any member fails (the plain reading depotsafe must
  never be less conservative than);
* licences: the smallest quantity any exposed site allows, over every exposed
  site, member and face.
"""

from __future__ import annotations

import math

import shapely
from tests.reference.geometry_naive import sector_mask

from depotsafe.check import _cases_of
from depotsafe.explosives import parse_stock_entry
from depotsafe.kinds import kinds
from depotsafe.qd import FACES, Relation, max_neq_kg, required_distance_m, resolve_rule

TOL = 1e-6
REAR = 43.7  # rear half angle [deg] (Note 1 as drawn)
_BITS = ((1, "front"), (2, "side"), (4, "rear"))


def _lines(site):
    return [parse_stock_entry(e, f"{site.id}.stock[{k}]") for k, e in enumerate(site.stock_entries)]


def _faces(mask):
    return [f for b, f in _BITS if mask & b]


def _relations(pes, es, division):
    """Every relation of PES site ``pes`` toward ES site ``es`` for a division (all sectors touched)."""
    table = kinds()
    kp, ke = table[pes.kind], table[es.kind]
    # AASTP-1 Annex I-A Notes 1 and 2 as drawn (the wider front, the narrower rear: decision 13):
    # HD 1.1/1.3 front at slope 1:2 (atan 2 = 63.43 deg), HD 1.2 front 25 deg, rear 43.7 deg.
    front = 25.0 if division.startswith("1.2") else math.degrees(math.atan(2.0))
    pfs = _faces(sector_mask(pes.geometry, es.geometry, pes.front_bearing_deg, front, REAR, TOL)) \
        if kp.earth_covered else [None]
    efs = _faces(sector_mask(es.geometry, pes.geometry, es.front_bearing_deg, math.degrees(math.atan(2.0)), REAR, TOL)) \
        if ke.earth_covered else [None]
    out = []
    for pf in pfs:
        for ef in efs:
            out.append(Relation(
                pes.kind, es.kind, pf, ef,
                es.traffic if es.kind == "public_traffic_route" else None,
                bool(es.sparse) if ke.holds_explosives == "no" else False,
                bool(es.evacuable) if ke.holds_explosives == "no" else False,
                bool(es.door_barricade) if ke.earth_covered else False,
            ))
    return out


def required(rs, pes, es, cases, factor=1.0):
    """Largest distance any case requires of ``pes`` toward ``es`` [m]."""
    best = 0.0
    for ct, q, u in cases:
        for rel in _relations(pes, es, ct.division):
            best = max(best, required_distance_m(rs, resolve_rule(rs, ct.division, rel, ct.tables), q * factor, u)[0])
    return best


def limit(rs, pes, es, ct, distance, unit):
    """Smallest quantity any relation of ``pes`` toward ``es`` allows at ``distance`` [kg]."""
    return min(max_neq_kg(rs, resolve_rule(rs, ct.division, rel, ct.tables), distance, unit)[0]
               for rel in _relations(pes, es, ct.division))


def groups(depot, rs):
    """Aggregation groups (lists of site indices, more than one member), by brute force."""
    sites = depot.sites
    table = kinds()
    storage = [i for i, s in enumerate(sites) if s.stock_entries and table[s.kind].holds_explosives == "yes"
               and sum(ln.neq_kg for ln in _lines(s)) > 0]
    group = {i: i for i in storage}
    dist = {(a, b): shapely.distance(sites[a].geometry, sites[b].geometry) for a in storage for b in storage}
    changed = True
    while changed:
        changed = False
        members = {}
        for i in storage:
            members.setdefault(group[i], []).append(i)
        cases = {g: _cases_of(rs, [ln for m in mem for ln in _lines(sites[m])]) for g, mem in members.items()}
        for a in storage:
            for b in storage:
                if a == b or group[a] == group[b]:
                    continue
                if dist[(a, b)] < required(rs, sites[a], sites[b], cases[group[a]]):
                    old, new = group[b], group[a]
                    for k in storage:
                        if group[k] == old:
                            group[k] = new
                    changed = True
                    break
            if changed:
                break
    out = {}
    for i in storage:
        out.setdefault(group[i], []).append(i)
    return [sorted(m) for m in out.values() if len(m) > 1]


def owners(depot, rs, grps):
    """Every PES owner: (member indices, cases)."""
    sites = depot.sites
    grouped = {i for g in grps for i in g}
    out = [list(g) for g in grps]
    for i, s in enumerate(sites):
        if s.stock_entries and i not in grouped and sum(ln.neq_kg for ln in _lines(s)) > 0:
            out.append([i])
    return [(m, _cases_of(rs, [ln for k in m for ln in _lines(sites[k])])) for m in out]


def owner_view(depot, rs, members, cases, j, factor=1.0):
    """(smallest distance from any member, largest requirement of any member's relation) [m]."""
    sites = depot.sites
    d = min(shapely.distance(sites[m].geometry, sites[j].geometry) for m in members)
    req = max(required(rs, sites[m], sites[j], cases, factor) for m in members)
    return d, req


def worst_member_fails(depot, rs, members, cases, j):
    """True if any member, at its own distance and relation and the group's NEQ, fails."""
    sites = depot.sites
    return any(shapely.distance(sites[m].geometry, sites[j].geometry) < required(rs, sites[m], sites[j], cases)
               for m in members)


def licence(depot, rs, members, ct, unit):
    """(limit, limiting ES index) of an owner for one case type, over every exposed site."""
    sites = depot.sites
    best, arg = math.inf, None
    for j in range(len(sites)):
        if j in members:
            continue
        d = min(shapely.distance(sites[m].geometry, sites[j].geometry) for m in members)
        lim = min(limit(rs, sites[m], sites[j], ct, d, unit) for m in members)
        if lim < best:
            best, arg = lim, j
    return best, arg


__all__ = ["FACES", "groups", "licence", "owner_view", "owners", "required", "worst_member_fails"]
