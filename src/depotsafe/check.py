"""Whole-depot compliance check: every PES against every exposed site.

Steps (each heavy one a Numba kernel over flat arrays):

1. Stock per site: parsed and checked (compatibility, AASTP-1 Tables 5/6) and
   aggregated into QD cases (hazard-division mixing, §1.3.2.5).
2. Aggregation groups (standards.md decision 14): storehouses closer to each
   other than their inter-magazine distance count as one site with the
   aggregated NEQ, repeated until no group grows (a chain of storehouses each
   too close to the next becomes one group).
3. Candidate pairs: every site within the largest distance any rule could
   require of the PES (an envelope over all relations of the rule set), found
   with a grid; exact nearest-point distances between footprints.
4. Relations: the sector of each ES seen from an earth-covered PES, the face an
   earth-covered ES turns toward the PES (both: every sector touched counts,
   the larger distance applies).
5. Required distance of every pair (the rules kernel), the verdict (actual >=
   required, unrounded), the explosives limit licence of each storehouse per
   hazard division (each in isolation, as the UN ELL tool gives it), the
   verdict of its actual mixed stock, the limiting exposed site and the headroom.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from depotsafe import __version__
from depotsafe.errors import InputError, LayoutError
from depotsafe.explosives import (
    StockLine,
    check_compatibility,
    mix_divisions,
    parse_stock_entry,
)
from depotsafe.kinds import kinds
from depotsafe.layout import Depot, depot_arrays, pairs_within_radius, sector_masks
from depotsafe.qd import (
    FACES,
    Relation,
    Rule,
    RuleTable,
    all_relations,
    max_neqs,
    pack_rules,
    required_distances,
    resolve_rule,
)
from depotsafe.rules import RuleSet, load_rule_set

#: Front-sector half angles [deg from the door normal] by table (AASTP-1 Annex I-A
#: Note 1: lines at 150 deg to the front face = 60 deg from the normal; Note 2 for
#: HD 1.2: 100 deg to the face = 10 deg from the normal).  HD 1.3 uses the HD 1.1
#: sector, which contains the +-30 deg propellant cone of §1.3.6.6a (the larger
#: distance).
FRONT_HALF_ANGLE_DEG = {"1": 60.0, "2": 10.0, "3A": 60.0, "3B": 60.0, "1.4": 60.0, "K": 60.0}
REAR_HALF_ANGLE_DEG = 45.0

#: Divisions reported in the explosives limit licence of each storehouse.
LICENCE_DIVISIONS = ("1.1", "1.2.1", "1.2.2", "1.3", "1.4", "1.6")

_FACE_BITS = ((1, "front"), (2, "side"), (4, "rear"))
_Q_GRID = np.logspace(-3, 10, 261)  # kg, for the search-radius envelope


@dataclass(frozen=True)
class CaseType:
    division: str
    tables: tuple[str, ...]


@dataclass
class SiteStock:
    lines: list[StockLine]
    compatible: bool
    conflicts: list[str]
    conditions: list[str]
    neq_by_division: dict[str, float]


@dataclass
class CheckResult:
    """The answer of :func:`check_depot`; columnar so that it scales."""

    depot: Depot
    rule_set: RuleSet
    # pairs (arrays of equal length)
    pair_pes: np.ndarray
    pair_es: np.ndarray
    pair_distance_m: np.ndarray
    pair_required_m: np.ndarray
    pair_rule: list[tuple[str, str, str, str]]  # per pair: (division, rule code, label, source)
    pair_relation: list[dict[str, Any]]
    sites: list[dict[str, Any]]
    groups: list[list[str]]
    notes: list[str] = field(default_factory=list)

    @property
    def compliant_mask(self) -> np.ndarray:
        return self.pair_distance_m >= self.pair_required_m

    @property
    def n_violations(self) -> int:
        return int(np.count_nonzero(~self.compliant_mask))

    @property
    def compliant(self) -> bool:
        return self.n_violations == 0 and all(s["compatibility"]["compatible"] for s in self.sites)

    def pair(self, k: int) -> dict[str, Any]:
        division, code, label, source = self.pair_rule[k]
        ids = self.depot.sites
        return {
            "pes": ids[int(self.pair_pes[k])].id,
            "es": ids[int(self.pair_es[k])].id,
            "hd": division,
            "relation": self.pair_relation[k],
            "rule": code,
            "rule_label": label,
            "source": source,
            "required_distance_m": float(self.pair_required_m[k]),
            "distance_m": float(self.pair_distance_m[k]),
            "compliant": bool(self.pair_distance_m[k] >= self.pair_required_m[k]),
        }

    def iter_pairs(self) -> Iterator[dict[str, Any]]:
        for k in range(self.pair_pes.shape[0]):
            yield self.pair(k)

    def iter_violations(self) -> Iterator[dict[str, Any]]:
        for k in np.flatnonzero(~self.compliant_mask):
            yield self.pair(int(k))

    @property
    def violations(self) -> list[dict[str, Any]]:
        return list(self.iter_violations())

    def provenance(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set.name,
            "rule_data_sha256": self.rule_set.sha256,
            "depotsafe_version": __version__,
            "input_sha256": self.depot.input_sha256,
            "statement": self.rule_set.statement,
        }

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``depotsafe check --json`` (DESIGN.md)."""
        return {
            "pairs": list(self.iter_pairs()),
            "sites": self.sites,
            "violations": self.violations,
            "groups": self.groups,
            "summary": self.summary(),
            "notes": self.notes,
            "provenance": self.provenance(),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "sites": len(self.depot.sites),
            "storehouses": sum(1 for s in self.sites),
            "pairs": int(self.pair_pes.shape[0]),
            "violations": self.n_violations,
            "incompatible_sites": sum(1 for s in self.sites if not s["compatibility"]["compatible"]),
            "compliant": self.compliant,
        }


# ------------------------------------------------------------------ envelope


@lru_cache(maxsize=64)
def _envelope(rule_set: RuleSet, case: CaseType) -> np.ndarray:
    """Largest required distance over every relation at each NEQ of _Q_GRID [m]."""
    rules = []
    for rel in all_relations():
        try:
            rules.append(resolve_rule(rule_set, case.division, rel, case.tables))
        except InputError:
            continue  # a relation this rule set does not cover (partial rule sets)
    table = pack_rules(rule_set, rules)
    n_r, n_q = len(rules), _Q_GRID.size
    ids = np.repeat(np.arange(n_r), n_q)
    q = np.tile(_Q_GRID, n_r)
    d, _ = required_distances(table, ids, q, q)
    return d.reshape(n_r, n_q).max(axis=0)


def search_radius_m(rule_set: RuleSet, case: CaseType, neq_kg: np.ndarray) -> np.ndarray:
    """An upper bound on any distance a rule could require at these NEQs [m].

    The envelope is evaluated on a grid and read at the next grid point above
    each NEQ (distances never fall as NEQ grows, decision 5).
    """
    env = _envelope(rule_set, case)
    idx = np.searchsorted(_Q_GRID, neq_kg, side="left")
    if np.any(idx >= _Q_GRID.size):
        raise InputError("neq", float(np.max(neq_kg)), f"at most {_Q_GRID[-1]:g} kg per site")
    return env[idx] * (1 + 1e-9) + 1e-6


# ------------------------------------------------------------------ rule cache


class _RuleIndex:
    """Resolved rules by key, packed for the kernels; grown as keys appear."""

    def __init__(self, rule_set: RuleSet) -> None:
        self.rule_set = rule_set
        self.keys: dict[tuple[Any, ...], int] = {}
        self.rules: list[Rule] = []
        self._table: RuleTable | None = None
        self._lock = threading.Lock()

    def id_of(self, key: tuple[Any, ...]) -> int:
        rid = self.keys.get(key)
        if rid is None:
            division, tables, rel = key[0], key[1], Relation(*key[2:])
            rule = resolve_rule(self.rule_set, division, rel, tables)
            with self._lock:
                rid = len(self.rules)
                self.rules.append(rule)
                self.keys[key] = rid
                self._table = None
        return rid

    @property
    def table(self) -> RuleTable:
        if self._table is None:
            self._table = pack_rules(self.rule_set, self.rules)
        return self._table


# ------------------------------------------------------------------ the check


def _parse_stock(depot: Depot) -> dict[int, SiteStock]:
    problems: list[str] = []
    out: dict[int, SiteStock] = {}
    for i, site in enumerate(depot.sites):
        if not site.stock_entries:
            continue
        lines = []
        for k, entry in enumerate(site.stock_entries):
            try:
                lines.append(parse_stock_entry(entry, f"{site.id}.stock[{k}]"))
            except InputError as exc:
                problems.append(str(exc))
        if len(lines) != len(site.stock_entries):
            continue
        compat = check_compatibility(lines)
        try:
            mix = mix_divisions(lines)
        except InputError as exc:
            problems.append(f"{site.id}: {exc}")
            continue
        out[i] = SiteStock(
            lines=lines,
            compatible=compat.compatible,
            conflicts=[
                f"{c.first_code} (line {c.first}) with {c.second_code} (line {c.second}): {c.reason} [{c.source}]"
                for c in compat.conflicts
            ],
            conditions=list(compat.conditions),
            neq_by_division=dict(mix.neq_by_division),
        )
    if problems:
        raise LayoutError("stock", f"{len(problems)} problem(s)", "\n  " + "\n  ".join(problems))
    return out


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def _site_attrs(depot: Depot) -> list[tuple[Any, ...]]:
    """(kind, earth_covered, traffic, sparse, evacuable, door_barricade) per site."""
    table = kinds()
    return [
        (
            s.kind,
            table[s.kind].earth_covered,
            s.traffic if s.kind == "public_traffic_route" else None,
            bool(s.sparse) if table[s.kind].holds_explosives == "no" else False,
            bool(s.evacuable) if table[s.kind].holds_explosives == "no" else False,
            bool(s.door_barricade) if table[s.kind].earth_covered else False,
        )
        for s in depot.sites
    ]


@dataclass
class _Evaluated:
    required_m: np.ndarray  # per pair
    row_pair: np.ndarray  # per expanded row
    row_rule: np.ndarray
    row_case: np.ndarray
    row_required: np.ndarray
    best_row: np.ndarray  # per pair: governing row (-1 if no row)


def _expand(
    depot: Depot,
    attrs: list[tuple[Any, ...]],
    fp: Any,
    bearings: np.ndarray,
    pi: np.ndarray,
    pj: np.ndarray,
    pair_cases: list[list[tuple[CaseType, float, float]]],
    index: _RuleIndex,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows (pair, case, PES face, ES face) -> rule ids, NEQs.

    Returns row_pair, row_case (index into the pair's case list), rule_id, neq, unit.
    """
    n = pi.shape[0]
    ec = np.array([a[1] for a in attrs], dtype=bool)
    # sector masks for every table's front angle that appears
    angles = sorted({FRONT_HALF_ANGLE_DEG.get(t, 60.0) for cases in pair_cases for c, _q, _u in cases
                     for t in _tables_of(index.rule_set, c)})
    pes_mask: dict[float, np.ndarray] = {}
    pes_ec = ec[pi] if n else np.zeros(0, bool)
    for ang in angles or [60.0]:
        m = np.zeros(n, dtype=np.int64)
        if np.any(pes_ec):
            sel = np.flatnonzero(pes_ec)
            m[sel] = sector_masks(fp, pi[sel], pj[sel], bearings, ang, REAR_HALF_ANGLE_DEG)
        pes_mask[ang] = m
    es_mask = np.zeros(n, dtype=np.int64)
    es_ec = ec[pj] if n else np.zeros(0, bool)
    if np.any(es_ec):
        sel = np.flatnonzero(es_ec)
        es_mask[sel] = sector_masks(fp, pj[sel], pi[sel], bearings, 60.0, REAR_HALF_ANGLE_DEG)

    rows_pair: list[int] = []
    rows_case: list[int] = []
    rows_rule: list[int] = []
    rows_q: list[float] = []
    rows_u: list[float] = []
    key_cache: dict[tuple[Any, ...], list[int]] = {}
    for k in range(n):
        i, j = int(pi[k]), int(pj[k])
        pa, ea = attrs[i], attrs[j]
        for c_idx, (case, q, u) in enumerate(pair_cases[k]):
            ang = _front_angle(index.rule_set, case)
            pm = int(pes_mask[ang][k]) if pa[1] else 0
            em = int(es_mask[k]) if ea[1] else 0
            ck = (case, pa[0], pm, ea, em)
            rids = key_cache.get(ck)
            if rids is None:
                pfaces = [f for b, f in _FACE_BITS if pm & b] if pa[1] else [None]
                efaces = [f for b, f in _FACE_BITS if em & b] if ea[1] else [None]
                if not pfaces or not efaces:
                    raise AssertionError("a sector mask without a bit")  # pragma: no cover
                rids = []
                for pf in pfaces:
                    for ef in efaces:
                        key = (case.division, case.tables, pa[0], ea[0], pf, ef, ea[2], ea[3], ea[4], ea[5])
                        rids.append(index.id_of(key))
                key_cache[ck] = rids
            for rid in rids:
                rows_pair.append(k)
                rows_case.append(c_idx)
                rows_rule.append(rid)
                rows_q.append(q)
                rows_u.append(u)
    return (
        np.asarray(rows_pair, dtype=np.int64),
        np.asarray(rows_case, dtype=np.int64),
        np.asarray(rows_rule, dtype=np.int64),
        np.asarray(rows_q, dtype=np.float64),
        np.asarray(rows_u, dtype=np.float64),
    )


def _tables_of(rule_set: RuleSet, case: CaseType) -> list[str]:
    return [
        d.table
        for d in rule_set.division_tables
        if d.division == case.division and (case.division != "1.3" or d.hd13_table in case.tables)
    ]


def _front_angle(rule_set: RuleSet, case: CaseType) -> float:
    tables = _tables_of(rule_set, case)
    # a case using Table 2 takes its own (narrower) front sector; others the HD 1.1 one
    return FRONT_HALF_ANGLE_DEG["2"] if tables == ["2"] else 60.0


def _reduce_max(n: int, row_pair: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the largest value and the row that has it (-1, 0.0 where no row)."""
    best = np.zeros(n, dtype=np.float64)
    arg = np.full(n, -1, dtype=np.int64)
    if row_pair.size:
        order = np.lexsort((-values, row_pair))  # by pair, largest value first
        first = np.ones(order.size, dtype=bool)
        first[1:] = row_pair[order][1:] != row_pair[order][:-1]
        rows = order[first]
        best[row_pair[rows]] = values[rows]
        arg[row_pair[rows]] = rows
    return best, arg


def _cases_of(
    rule_set: RuleSet, lines: Sequence[StockLine]
) -> list[tuple[CaseType, float, float]]:
    mix = mix_divisions(lines)
    out = []
    for c in mix.cases:
        division = c.division
        if division not in rule_set.divisions:
            raise InputError(
                "stock", division, f"rule set {rule_set.name!r} has no rule for HD {division}; "
                f"it covers {', '.join(rule_set.divisions)}"
            )
        tables = tuple(c.hd13_tables) if division == "1.3" else ()
        out.append((CaseType(division, tables), float(c.neq_kg), float(c.unit_neq_kg or 0.0)))
    return out


def check_depot(
    depot: Depot, rule_set: str | RuleSet = "iatg", progress: Any = None
) -> CheckResult:
    """Check every PES–ES pair of a depot and the licence of every storehouse.

    Parameters
    ----------
    depot : Depot
        From :func:`depotsafe.layout.read_layout`.
    rule_set : str or RuleSet
    progress : callable, optional
        ``progress(fraction, message)``, for a progress bar.

    Returns
    -------
    CheckResult
    """
    rs = rule_set if isinstance(rule_set, RuleSet) else load_rule_set(rule_set)

    def tick(f: float, msg: str) -> None:
        if progress is not None:
            progress(f, msg)

    tick(0.0, "stock")
    stock = _parse_stock(depot)
    attrs = _site_attrs(depot)
    fp, bearings = depot_arrays(depot)
    n_sites = len(depot.sites)
    pes_idx = np.array(sorted(i for i, s in stock.items() if sum(ln.neq_kg for ln in s.lines) > 0), dtype=np.int64)
    index = _RuleIndex(rs)
    notes: list[str] = []

    # ---------------------------------------------- aggregation groups
    tick(0.1, "aggregation groups")
    uf = _UnionFind(n_sites)
    group_cases: dict[int, list[tuple[CaseType, float, float]]] = {}

    def cases_by_root() -> dict[int, list[tuple[CaseType, float, float]]]:
        members: dict[int, list[int]] = {}
        for i in pes_idx:
            members.setdefault(uf.find(int(i)), []).append(int(i))
        out = {}
        for root, mem in members.items():
            lines = [ln for m in mem for ln in stock[m].lines]
            out[root] = _cases_of(rs, lines)
        return out

    def radius_for(cases: list[tuple[CaseType, float, float]]) -> float:
        r = 0.0
        for case, q, u in cases:
            r = max(r, float(search_radius_m(rs, case, np.array([max(q, u)]))[0]))
        return r

    def evaluate(pi: np.ndarray, pj: np.ndarray, dist: np.ndarray) -> tuple[_Evaluated, list]:
        pair_cases = [group_cases[uf.find(int(i))] for i in pi]
        row_pair, row_case, row_rule, row_q, row_u = _expand(
            depot, attrs, fp, bearings, pi, pj, pair_cases, index
        )
        req_rows, _term = required_distances(index.table, row_rule, row_q, row_u) if row_rule.size else (
            np.zeros(0), np.zeros(0, dtype=np.int64))
        required, best = _reduce_max(pi.shape[0], row_pair, req_rows)
        return _Evaluated(required, row_pair, row_rule, row_case, req_rows, best), pair_cases

    is_pes = np.zeros(n_sites, dtype=bool)
    is_pes[pes_idx] = True
    for _round in range(50):
        group_cases = cases_by_root()
        radius = np.zeros(n_sites, dtype=np.float64)
        for i in pes_idx:
            radius[i] = radius_for(group_cases[uf.find(int(i))])
        pi, pj, dist = pairs_within_radius(fp, pes_idx, radius)
        sel = is_pes[pj] & (np.array([uf.find(int(a)) for a in pi]) != np.array([uf.find(int(b)) for b in pj]))
        if not np.any(sel):
            break
        ev, _ = evaluate(pi[sel], pj[sel], dist[sel])
        close = dist[sel] < ev.required_m
        grew = False
        for a, b in zip(pi[sel][close], pj[sel][close], strict=True):
            grew |= uf.union(int(a), int(b))
        if not grew:
            break
    group_cases = cases_by_root()
    groups_map: dict[int, list[int]] = {}
    for i in pes_idx:
        groups_map.setdefault(uf.find(int(i)), []).append(int(i))
    groups = [[depot.sites[m].id for m in mem] for mem in groups_map.values() if len(mem) > 1]
    if groups:
        notes.append(
            "Storehouses closer than their inter-magazine distance count as one site with the aggregated NEQ "
            "(AASTP-1 §1.3.2.3, decision 14): " + "; ".join("+".join(g) for g in groups)
        )

    # ---------------------------------------------- every pair
    tick(0.3, "pairs")
    radius = np.zeros(n_sites, dtype=np.float64)
    for i in pes_idx:
        radius[i] = radius_for(group_cases[uf.find(int(i))])
    pi, pj, dist = pairs_within_radius(fp, pes_idx, radius)
    tick(0.45, "required distances")
    ev, pair_cases = evaluate(pi, pj, dist)
    pair_rule: list[tuple[str, str, str, str]] = []
    pair_relation: list[dict[str, Any]] = []
    rules = index.rules
    for k in range(pi.shape[0]):
        row = int(ev.best_row[k])
        i, j = int(pi[k]), int(pj[k])
        if row < 0:
            pair_rule.append(("", "No QD", "No QD", ""))
            pair_relation.append({"pes_kind": attrs[i][0], "es_kind": attrs[j][0]})
            continue
        rule = rules[int(ev.row_rule[row])]
        case = pair_cases[k][int(ev.row_case[row])][0]
        # governing term of that rule at that NEQ (scalar; one call per pair)
        from depotsafe.qd import required_distance_m

        q = pair_cases[k][int(ev.row_case[row])][1]
        u = pair_cases[k][int(ev.row_case[row])][2]
        _d, t = required_distance_m(rs, rule, q, u)
        term = rule.terms[t] if t >= 0 else None
        rel = rule.relation
        pair_rule.append(
            (case.division, term.code if term else "No QD", term.label if term else "No QD", term.source if term else "")
        )
        relation = {"pes_kind": rel.pes_kind, "pes_face": rel.pes_face, "es_kind": rel.es_kind, "es_face": rel.es_face}
        if rel.traffic:
            relation["traffic"] = rel.traffic
        if uf.find(i) == uf.find(j):
            relation["aggregated"] = True
        pair_relation.append(relation)

    # ---------------------------------------------- licences (each HD in isolation)
    tick(0.65, "licences")
    sites_out = _licences_and_verdicts(
        depot, rs, stock, attrs, fp, bearings, pes_idx, uf, group_cases, index, pi, pj, dist, ev, pair_cases
    )
    tick(1.0, "done")
    return CheckResult(
        depot=depot,
        rule_set=rs,
        pair_pes=pi,
        pair_es=pj,
        pair_distance_m=dist,
        pair_required_m=ev.required_m,
        pair_rule=pair_rule,
        pair_relation=pair_relation,
        sites=sites_out,
        groups=groups,
        notes=notes,
    )


def _licence_cases(rs: RuleSet, stock: SiteStock) -> list[tuple[str, CaseType, float]]:
    """(label, case type, unit NEQ) for every division of the licence."""
    out = []
    unit16 = max((ln.unit_neq_kg or 0.0 for ln in stock.lines if ln.hd == "1.6"), default=0.0)
    for div in LICENCE_DIVISIONS:
        if div not in rs.divisions:
            continue
        if div == "1.6" and unit16 <= 0:
            continue
        tables = ("3A", "3B") if div == "1.3" else ()
        out.append((div, CaseType(div, tables), unit16))
    return out


def _licences_and_verdicts(
    depot: Depot, rs: RuleSet, stock: dict[int, SiteStock], attrs: list, fp: Any, bearings: np.ndarray,
    pes_idx: np.ndarray, uf: _UnionFind, group_cases: dict, index: _RuleIndex,
    pi: np.ndarray, pj: np.ndarray, dist: np.ndarray, ev: _Evaluated, pair_cases: list,
) -> list[dict[str, Any]]:
    n_sites = len(depot.sites)
    diameter = _depot_diameter(fp)
    out = []
    # headroom and verdict of the actual mixed stock, from the pairs already evaluated
    if ev.row_rule.size:
        lim_rows, _ = max_neqs(index.table, ev.row_rule, dist[ev.row_pair],
                               np.array([pair_cases[p][c][2] for p, c in zip(ev.row_pair, ev.row_case, strict=True)]))
    else:
        lim_rows = np.zeros(0)
    by_pes: dict[int, list[int]] = {}
    for k, i in enumerate(pi):
        by_pes.setdefault(int(i), []).append(k)
    rows_by_pair: dict[int, list[int]] = {}
    for r, p in enumerate(ev.row_pair):
        rows_by_pair.setdefault(int(p), []).append(r)

    # licences: per PES and division, the smallest limit over every ES, searching
    # farther until no ES beyond the searched radius could limit more.
    lic_cases = {int(i): _licence_cases(rs, stock[int(i)]) for i in pes_idx}
    limit = {int(i): {lab: math.inf for lab, _c, _u in lic_cases[int(i)]} for i in pes_idx}
    limiting = {int(i): {lab: None for lab, _c, _u in lic_cases[int(i)]} for i in pes_idx}
    searched = np.zeros(n_sites)
    radius = np.zeros(n_sites)
    for i in pes_idx:
        total = sum(ln.neq_kg for ln in stock[int(i)].lines)
        radius[i] = max(float(search_radius_m(rs, c, np.array([max(total, u)]))[0]) for _l, c, u in lic_cases[int(i)])
    todo = pes_idx.copy()
    for _round in range(6):
        if todo.size == 0:
            break
        li, lj, ld = pairs_within_radius(fp, todo, radius)
        cases_l = [[(c, 1.0, u) for _lab, c, u in lic_cases[int(a)]] for a in li]
        row_pair, row_case, row_rule, _q, row_u = _expand(depot, attrs, fp, bearings, li, lj, cases_l, index)
        if row_rule.size:
            lim, _t = max_neqs(index.table, row_rule, ld[row_pair], row_u)
            for r in range(row_rule.size):
                k = int(row_pair[r])
                a = int(li[k])
                lab = lic_cases[a][int(row_case[r])][0]
                if lim[r] < limit[a][lab]:
                    limit[a][lab] = float(lim[r])
                    limiting[a][lab] = depot.sites[int(lj[k])].id
        searched[todo] = radius[todo]
        nxt = []
        for a in todo:
            a = int(a)
            need = 0.0
            for lab, c, u in lic_cases[a]:
                q = limit[a][lab]
                if not math.isfinite(q) or max(q, u) >= _Q_GRID[-1]:
                    need = diameter  # no bound from the envelope: search the whole depot
                    break
                need = max(need, float(search_radius_m(rs, c, np.array([max(q, u, 1e-3)]))[0]))
            need = min(need, diameter)
            if need > searched[a] + 1e-9:
                radius[a] = need
                nxt.append(a)
        todo = np.array(nxt, dtype=np.int64)

    for i in pes_idx:
        i = int(i)
        s = stock[i]
        site = depot.sites[i]
        ks = by_pes.get(i, [])
        compliant = all(dist[k] >= ev.required_m[k] for k in ks)
        ratio_k = min(ks, key=lambda k: dist[k] / ev.required_m[k] if ev.required_m[k] > 0 else math.inf, default=None)
        headroom: list[dict[str, Any]] = []
        gcases = group_cases[uf.find(i)]
        for c_idx, (case, q, _u) in enumerate(gcases):
            best, best_es = math.inf, None
            for k in ks:
                for r in rows_by_pair.get(k, []):
                    if int(ev.row_case[r]) == c_idx and lim_rows[r] < best:
                        best, best_es = float(lim_rows[r]), depot.sites[int(pj[k])].id
            headroom.append({
                "hd": case.division,
                "neq_kg": q,
                "max_neq_kg": None if math.isinf(best) else best,
                "headroom_kg": None if math.isinf(best) else best - q,
                "limiting_es": best_es,
            })
        members = [depot.sites[m].id for m in pes_idx if uf.find(int(m)) == uf.find(i)]
        out.append({
            "id": site.id,
            "kind": site.kind,
            "neq_kg": s.neq_by_division,
            "licence_limit_kg": {lab: (None if math.isinf(v) else v) for lab, v in limit[i].items()},
            "licence_unlimited": {lab: math.isinf(v) for lab, v in limit[i].items()},
            "limiting_es": limiting[i],
            "mixed_stock": {
                "compliant": compliant,
                "limiting_es": depot.sites[int(pj[ratio_k])].id if ratio_k is not None else None,
                "cases": headroom,
            },
            "compatibility": {"compatible": s.compatible, "conflicts": s.conflicts, "conditions": s.conditions},
            "aggregation_group": members if len(members) > 1 else [],
        })
    return out


def _depot_diameter(fp: Any) -> float:
    xs = np.concatenate([fp.x0, fp.x1])
    ys = np.concatenate([fp.y0, fp.y1])
    if xs.size == 0:
        return 0.0
    return float(math.hypot(xs.max() - xs.min(), ys.max() - ys.min())) + 1.0


__all__ = ["FACES", "CheckResult", "check_depot", "search_radius_m"]
