"""Siting map: where on the site a new storehouse could stand.

A candidate storehouse (kind, front bearing, footprint, stock) is placed at every
point of a grid; at each point its distances are checked both ways, exactly as
the whole-depot check does (the same kernels): outward, the candidate as PES
against every existing site; inward, every existing storehouse (with its
aggregated stock) against the candidate as ES.  A point is allowed when every
pair complies and the footprint overlaps no existing footprint.  The allowed
points are returned as polygons made of the grid cells centred on them (a
raster of exact verdicts: the verdict at each point is exact, the polygon edge
is as fine as the grid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon, mapping

from depotsafe.check import (
    _Cases,
    _cases_of,
    _expand,
    _pair_radius,
    _radius_of_cases,
    _Relations,
    _scaled,
    check_depot,
)
from depotsafe.errors import InputError
from depotsafe.explosives import parse_stock_entry
from depotsafe.kinds import get_kind
from depotsafe.layout import Depot, Site, depot_arrays, pairs_within_radius, rectangle_coords
from depotsafe.qd import required_distances
from depotsafe.rules import RuleSet, load_rule_set

MAX_POINTS = 250_000


@dataclass(frozen=True)
class SitingResult:
    """Allowed area for the candidate, and the grid behind it (local metres)."""

    allowed: Any  # shapely (Multi)Polygon, local metres
    x_m: np.ndarray
    y_m: np.ndarray
    ok: np.ndarray
    cell_m: float
    depot: Depot
    #: what limited the allowed area beyond the tables (decision 30), in words
    notes: tuple[str, ...] = ()

    @property
    def allowed_fraction(self) -> float:
        return float(self.ok.mean()) if self.ok.size else 0.0

    def geojson(self) -> dict[str, Any]:
        """The allowed area as GeoJSON (WGS84 lon/lat; local metres for local layouts)."""
        geom = self.allowed
        if not self.depot.is_local and not geom.is_empty:
            geom = shapely.transform(geom, lambda xy: np.column_stack(self.depot.to_lonlat(xy[:, 0], xy[:, 1])))
        doc: dict[str, Any] = {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": mapping(geom),
                          "properties": {"allowed": True, "cell_m": self.cell_m,
                                         "points_allowed": int(self.ok.sum()), "points": int(self.ok.size)}}],
        }
        if self.depot.is_local:
            doc["crs"] = {"type": "name", "properties": {"name": self.depot.crs_name}}
        return doc


def siting_map(
    depot: Depot,
    kind: str,
    hd: str,
    neq_kg: float,
    *,
    cg: str = "D",
    front_bearing_deg: float | None = None,
    length_m: float = 25.0,
    width_m: float = 10.0,
    unit_neq_kg: float | None = None,
    cell_m: float = 10.0,
    margin_m: float = 200.0,
    rule_set: str | RuleSet = "iatg",
    rounding: str | None = None,
) -> SitingResult:
    """Where a new storehouse of this kind and stock could stand, both ways compliant.

    Parameters
    ----------
    depot : Depot
    kind : str
        Kind of the new storehouse (one that holds explosives).
    hd, cg : str
        Hazard division and compatibility group of its stock.
    neq_kg : float
        Its NEQ [kg].
    front_bearing_deg : float, optional
        Door bearing, required for earth-covered kinds [deg].
    length_m, width_m : float
        Footprint (length along the door normal) [m].
    unit_neq_kg : float, optional
        NEQ of one munition (HD 1.6) [kg].
    cell_m : float
        Grid spacing [m].
    margin_m : float
        How far beyond the depot's footprints the grid extends [m].
    rounding : {"formula", "table"}, optional
        How distances are read (decisions 4 and 32); None: the mode of ``rule_set``.
    """
    rs = rule_set if isinstance(rule_set, RuleSet) else load_rule_set(rule_set)
    if rounding is not None:
        from depotsafe.tablemode import with_rounding

        rs = with_rounding(rs, rounding)
    k = get_kind(kind, "kind")
    if k.holds_explosives == "no":
        raise InputError("kind", kind, "a storehouse must be of a kind that holds explosives")
    if k.earth_covered:
        if front_bearing_deg is None or not (0 <= front_bearing_deg < 360):
            raise InputError("front_bearing_deg", front_bearing_deg, f"{kind} is earth-covered: a bearing in [0, 360)")
    elif front_bearing_deg is not None:
        raise InputError("front_bearing_deg", front_bearing_deg, f"only earth-covered kinds have a door bearing; {kind} has none")
    for name, v in (("neq_kg", neq_kg), ("length_m", length_m), ("width_m", width_m), ("cell_m", cell_m)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise InputError(name, v, "a finite number > 0")
    entry: dict[str, Any] = {"hd": hd, "cg": cg, "neq_kg": float(neq_kg)}
    if unit_neq_kg is not None:
        entry["unit_neq_kg"] = float(unit_neq_kg)
    line = parse_stock_entry(entry, "candidate.stock[0]")

    bounds = np.array(shapely.total_bounds([s.geometry for s in depot.sites]))
    x0, y0, x1, y1 = bounds[0] - margin_m, bounds[1] - margin_m, bounds[2] + margin_m, bounds[3] + margin_m
    # the grid size, counted before anything is allocated
    n_points = (max(0.0, math.ceil((x1 - x0 - cell_m / 2) / cell_m))
                * max(0.0, math.ceil((y1 - y0 - cell_m / 2) / cell_m)))
    if n_points > MAX_POINTS:
        raise InputError("cell_m", cell_m, f"a grid of at most {MAX_POINTS:,} points here: use at least "
                         f"{math.ceil(math.sqrt((x1 - x0) * (y1 - y0) / MAX_POINTS)):g} m")
    existing = check_depot(depot, rs)
    xs = np.arange(x0 + cell_m / 2, x1, cell_m)
    ys = np.arange(y0 + cell_m / 2, y1, cell_m)
    if xs.size * ys.size > MAX_POINTS:  # rounding at the edge
        raise InputError("cell_m", cell_m, f"a grid of at most {MAX_POINTS:,} points here: use at least "
                         f"{math.ceil(math.sqrt((x1 - x0) * (y1 - y0) / MAX_POINTS)):g} m")
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    n_c = gx.size
    rings = rectangle_coords(gx, gy, length_m, width_m, front_bearing_deg or 0.0)
    footprints = shapely.polygons(rings)
    cand_sites = [
        Site(id=f"@{c}", name="candidate", kind=kind, geometry=footprints[c], front_bearing_deg=front_bearing_deg,
             stock_entries=(entry,))
        for c in range(n_c)
    ]
    aug = replace(depot, sites=depot.sites + tuple(cand_sites))
    n_old = len(depot.sites)
    rel = _Relations(aug, rs)
    fp, bearings = depot_arrays(aug)

    # owners of cases: every existing group, and one owner shared by all candidates
    cases = _Cases()
    owner = np.full(n_old + n_c, -1, dtype=np.int64)
    by_id = {s.id: i for i, s in enumerate(depot.sites)}
    grouped = {sid for g in existing.groups for sid in g}
    for g in existing.groups:
        o = cases.add_owner(_cases_of(rs, _lines(depot, g)))
        owner[[by_id[s] for s in g]] = o
    for s in existing.sites:
        if s["id"] not in grouped:
            owner[by_id[s["id"]]] = cases.add_owner(_cases_of(rs, _lines(depot, [s["id"]])))
    owner[n_old:] = cases.add_owner(_cases_of(rs, [line]))
    radius_owner = _radius_of_cases(rs, cases)
    radius = np.where(owner >= 0, radius_owner[np.maximum(owner, 0)], 0.0)

    fail = np.zeros(n_c, dtype=bool)
    old_pes = np.flatnonzero(owner[:n_old] >= 0)
    # overlap with any existing footprint
    zero = np.zeros(n_old + n_c)
    _oj, oi, _od = pairs_within_radius(fp, np.arange(n_old), zero)
    fail[oi[oi >= n_old] - n_old] = True
    cand_radius = radius[n_old] if n_c else 0.0
    for outward in (True, False):
        if outward:
            # candidate -> existing site: searched from the existing sites (distance is
            # symmetric), so that candidates are never paired with each other
            r = np.zeros(n_old + n_c)
            r[:n_old] = cand_radius
            qj, qi, dist = pairs_within_radius(fp, np.arange(n_old), r)
            keep = qi >= n_old
            pi, pj, dist = qi[keep], qj[keep], dist[keep]
        else:
            if old_pes.size == 0:
                continue
            pi, pj, dist = pairs_within_radius(fp, old_pes, radius)
            keep = pj >= n_old
            pi, pj, dist = pi[keep], pj[keep], dist[keep]
        if pi.size == 0:
            continue
        keep = dist <= _pair_radius(rs, cases, owner[pi], rel.es_attr[pj], rel.es_attr_list)
        pi, pj, dist = pi[keep], pj[keep], dist[keep]
        row_pair, _rc, rid, rq, ru = _expand(rel, fp, bearings, pi, pj, owner[pi], cases)
        if rid.size == 0:
            continue
        req, _t = required_distances(rel.table, rid, rq, ru)
        required = np.zeros(pi.size)
        np.maximum.at(required, row_pair, req)
        bad = dist < required
        c = np.where(pi >= n_old, pi, pj)[bad] - n_old
        fail[c] = True
    notes = _very_sensitive(rs, existing, [st.id for st in depot.sites], cases, owner, old_pes, fp, n_old, n_c, line.cg, k.holds_explosives, fail)
    ok = ~fail
    return SitingResult(_cells_to_polygons(gx, gy, ok, cell_m, xs.size), gx, gy, ok, cell_m, depot, notes)


def _very_sensitive(
    rs: RuleSet, existing: Any, ids: list[str], cases: _Cases, owner: np.ndarray, old_pes: np.ndarray, fp: Any,
    n_old: int, n_c: int, cg: str, holds: str, fail: np.ndarray,
) -> tuple[str, ...]:
    """Decision 30 both ways, as the whole-depot check applies it; marks the failing candidates.

    Toward a storage site with very sensitive contents (CG A stock or marked ``very_sensitive``)
    no inter-magazine distance may be used (AASTP-1 §1.3.1.4): a candidate PES within the check's
    reach of one (the largest distance any rule requires at twice the NEQ) would need an
    individual assessment, so it is not an allowed place.  The same when the candidate itself
    holds such stock: every existing PES within its reach of the candidate.
    """
    rule = rs.assessment("very_sensitive")
    if rule is None or n_c == 0:
        return ()
    notes = []
    reach = _radius_of_cases(rs, _scaled(cases, 2.0))  # per owner, as check_depot's reach
    vs_old = np.array(sorted(existing.assessment_why), dtype=np.int64)
    if vs_old.size:
        r = np.zeros(n_old + n_c)
        r[vs_old] = reach[owner[n_old]]
        _vi, vj, _vd = pairs_within_radius(fp, vs_old, r)
        hit = vj[vj >= n_old] - n_old
        fail[hit] = True
        names = ", ".join(ids[i] for i in vs_old.tolist())
        notes.append(f"very sensitive contents at {names}: within reach of them the tables may not be used "
                     f"and an individual assessment decides ({rule.source}); those places are not allowed")
    if cg.upper() in rule.cgs and holds == "yes" and old_pes.size:
        r = np.zeros(n_old + n_c)
        r[old_pes] = reach[owner[old_pes]]
        _pi, pj, _pd = pairs_within_radius(fp, old_pes, r)
        fail[pj[pj >= n_old] - n_old] = True
        notes.append(f"the new storehouse would hold stock of compatibility group {cg.upper()}: within reach of "
                     f"an existing explosion site the tables may not be used ({rule.source}); those places are "
                     "not allowed")
    return tuple(notes)


def _lines(depot: Depot, ids: list[str]) -> list[Any]:
    out = []
    for sid in ids:
        s = depot.site(sid)
        out += [parse_stock_entry(e, f"{sid}.stock[{k}]") for k, e in enumerate(s.stock_entries)]
    return out


def _cells_to_polygons(gx: np.ndarray, gy: np.ndarray, ok: np.ndarray, cell: float, nx: int) -> Any:
    """Union of the grid cells centred on allowed points (row runs merged first)."""
    if not np.any(ok):
        return Polygon()
    grid = ok.reshape(-1, nx)
    xs = gx[:nx]
    ys = gy[::nx]
    boxes = []
    for r in range(grid.shape[0]):
        row = grid[r]
        if not row.any():
            continue
        d = np.diff(np.concatenate([[0], row.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        for a, b in zip(starts, ends, strict=True):
            boxes.append(shapely.box(xs[a] - cell / 2, ys[r] - cell / 2, xs[b - 1] + cell / 2, ys[r] + cell / 2))
    return shapely.union_all(np.array(boxes, dtype=object), grid_size=cell / 1000)
