"""Whole-depot compliance check: every PES against every exposed site.

Steps (the heavy ones are Numba kernels over flat arrays; the Python here only
handles the few distinct relations, never the pairs one by one):

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
   earth-covered ES turns toward the PES (every sector touched counts: the
   larger distance applies, Annex I-A Note 1).
5. Required distance of every pair (rules kernel), the verdict (actual >=
   required, unrounded), the explosives limit licence of each storehouse per
   hazard division (each in isolation, as the UN ELL tool gives it), the
   verdict of its actual mixed stock, the limiting exposed site and the headroom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
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
    qd_division,
)
from depotsafe.kinds import kinds
from depotsafe.layout import Depot, depot_arrays, pairs_within_radius, sector_masks
from depotsafe.qd import (
    FACES,
    Relation,
    Rule,
    all_relations,
    max_neqs,
    pack_rules,
    required_distances,
    resolve_rule,
)
from depotsafe.rules import RuleSet, load_rule_set

#: Front-sector half angles [deg from the door normal].  AASTP-1 Annex I-A Note 1:
#: lines at 150 deg to the front face (60 deg from the normal) for HD 1.1; Note 2:
#: 100 deg to the face (10 deg from the normal) for HD 1.2.  HD 1.3 uses the HD 1.1
#: sector, which contains the +-30 deg propellant cone of §1.3.6.6a (the larger
#: distance).
FRONT_HALF_ANGLE_DEG = 60.0
FRONT_HALF_ANGLE_HD12_DEG = 10.0
REAR_HALF_ANGLE_DEG = 45.0

#: Divisions reported in the explosives limit licence of each storehouse.
LICENCE_DIVISIONS = ("1.1", "1.2.1", "1.2.2", "1.3", "1.4", "1.6")

_FACE_BITS = ((1, "front"), (2, "side"), (4, "rear"))
_Q_GRID = np.logspace(-3, 10, 261)  # kg, for the search-radius envelope


@dataclass(frozen=True)
class CaseType:
    """A QD division with the HD 1.3 tables that apply."""

    division: str
    tables: tuple[str, ...]


@dataclass
class SiteStock:
    lines: list[StockLine]
    compatible: bool
    conflicts: list[str]
    conditions: list[str]
    neq_by_division: dict[str, float]


class _Cases:
    """Cases in CSR form: owner o has cases start[o] .. start[o+1]-1."""

    def __init__(self) -> None:
        self.types: list[CaseType] = []
        self._type_index: dict[CaseType, int] = {}
        self.start: list[int] = [0]
        self.ctype: list[int] = []
        self.q: list[float] = []
        self.u: list[float] = []

    def type_id(self, ct: CaseType) -> int:
        i = self._type_index.get(ct)
        if i is None:
            i = len(self.types)
            self.types.append(ct)
            self._type_index[ct] = i
        return i

    def add_owner(self, cases: Sequence[tuple[CaseType, float, float]]) -> int:
        self._arrays = None
        for ct, q, u in cases:
            self.ctype.append(self.type_id(ct))
            self.q.append(q)
            self.u.append(u)
        self.start.append(len(self.ctype))
        return len(self.start) - 2

    @classmethod
    def from_lists(cls, owners: Sequence[Sequence[tuple[CaseType, float, float]]]) -> _Cases:
        """Cases of many owners at once."""
        out = cls()
        flat = [c for own in owners for c in own]
        out.ctype = [out.type_id(ct) for ct, _q, _u in flat]
        out.q = [q for _ct, q, _u in flat]
        out.u = [u for _ct, _q, u in flat]
        out.start = np.concatenate([[0], np.cumsum([len(o) for o in owners], dtype=np.int64)]).tolist()
        return out

    @classmethod
    def one_each(cls, ct: CaseType, q: np.ndarray, u: np.ndarray) -> _Cases:
        """One case of type ``ct`` per owner."""
        out = cls()
        out.type_id(ct)
        out.start = list(range(q.size + 1))
        out.ctype = [0] * q.size
        out.q = np.asarray(q, dtype=np.float64).tolist()
        out.u = np.asarray(u, dtype=np.float64).tolist()
        out._arrays = None
        return out

    _arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._arrays is None:
            self._arrays = (
                np.asarray(self.start, dtype=np.int64),
                np.asarray(self.ctype, dtype=np.int64),
                np.asarray(self.q, dtype=np.float64),
                np.asarray(self.u, dtype=np.float64),
            )
        return self._arrays


@dataclass
class CheckResult:
    """The answer of :func:`check_depot`; columnar, so that it scales to large depots."""

    depot: Depot
    rule_set: RuleSet
    pair_pes: np.ndarray
    pair_es: np.ndarray
    pair_distance_m: np.ndarray
    pair_required_m: np.ndarray
    pair_rule_id: np.ndarray  # -1: no rule applies (No QD)
    pair_term: np.ndarray
    pair_division: np.ndarray  # index into case_types
    pair_aggregated: np.ndarray
    rules: list[Rule]
    case_types: list[CaseType]
    site_builder: Callable[[], list[dict[str, Any]]]
    n_storehouses: int
    n_incompatible: int
    groups: list[list[str]]
    notes: list[str] = field(default_factory=list)
    _sites: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def sites(self) -> list[dict[str, Any]]:
        """One record per storehouse: NEQ per HD, licences, limiting ES, mixed-stock verdict."""
        if self._sites is None:
            self._sites = self.site_builder()
        return self._sites

    @property
    def compliant_mask(self) -> np.ndarray:
        return self.pair_distance_m >= self.pair_required_m

    @property
    def n_violations(self) -> int:
        return int(np.count_nonzero(~self.compliant_mask))

    @property
    def compliant(self) -> bool:
        return self.n_violations == 0 and self.n_incompatible == 0

    def pair(self, k: int) -> dict[str, Any]:
        """Pair k as the dict of the JSON contract."""
        sites = self.depot.sites
        i, j = int(self.pair_pes[k]), int(self.pair_es[k])
        rid = int(self.pair_rule_id[k])
        if rid >= 0:
            rule = self.rules[rid]
            t = int(self.pair_term[k])
            term = rule.terms[t] if t >= 0 else None
            rel = rule.relation
            relation: dict[str, Any] = {
                "pes_kind": rel.pes_kind, "pes_face": rel.pes_face,
                "es_kind": rel.es_kind, "es_face": rel.es_face,
            }
            if rel.traffic:
                relation["traffic"] = rel.traffic
            division = self.case_types[int(self.pair_division[k])].division
        else:
            term = None
            relation = {"pes_kind": sites[i].kind, "es_kind": sites[j].kind}
            division = ""
        if self.pair_aggregated[k]:
            relation["aggregated"] = True
        return {
            "pes": sites[i].id,
            "es": sites[j].id,
            "hd": division,
            "relation": relation,
            "rule": term.code if term else "No QD",
            "rule_label": term.label if term else "No QD",
            "source": term.source if term else "",
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

    def summary(self) -> dict[str, Any]:
        return {
            "sites": len(self.depot.sites),
            "storehouses": self.n_storehouses,
            "pairs": int(self.pair_pes.shape[0]),
            "violations": self.n_violations,
            "incompatible_sites": self.n_incompatible,
            "compliant": self.compliant,
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


# ------------------------------------------------------------------ envelope


def _es_option(rel: Relation) -> tuple[Any, ...]:
    """The exposed-site attributes of a relation (kind and flags; not the face)."""
    return (rel.es_kind, rel.traffic, rel.sparse, rel.evacuable, rel.es_door_barricade)


@lru_cache(maxsize=64)
def _envelopes(rule_set: RuleSet, case: CaseType) -> tuple[dict[tuple[Any, ...], int], np.ndarray]:
    """Largest required distance at each NEQ of _Q_GRID, per kind of exposed site [m].

    Row k of the matrix is the maximum over every PES kind and face and every ES
    face of the relations whose exposed-site attributes have index k.
    """
    rules, opts = [], []
    index: dict[tuple[Any, ...], int] = {}
    for rel in all_relations():
        try:
            rule = resolve_rule(rule_set, case.division, rel, case.tables)
        except InputError:
            continue  # a relation this rule set does not cover (partial rule sets)
        rules.append(rule)
        opts.append(index.setdefault(_es_option(rel), len(index)))
    table = pack_rules(rule_set, rules)
    n_r, n_q = len(rules), _Q_GRID.size
    ids = np.repeat(np.arange(n_r), n_q)
    q = np.tile(_Q_GRID, n_r)
    d, _ = required_distances(table, ids, q, q)
    d = d.reshape(n_r, n_q)
    env = np.zeros((len(index), n_q))
    np.maximum.at(env, np.asarray(opts), d)
    return index, env


def _grid_index(neq_kg: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(_Q_GRID, neq_kg, side="left")
    if np.any(idx >= _Q_GRID.size):
        raise InputError("neq", float(np.max(neq_kg)), f"at most {_Q_GRID[-1]:g} kg per site")
    return idx


def search_radius_m(rule_set: RuleSet, case: CaseType, neq_kg: np.ndarray) -> np.ndarray:
    """An upper bound on any distance a rule could require at these NEQs [m].

    The envelope over every relation is evaluated on a grid and read at the
    next grid point above each NEQ (distances never fall as NEQ grows,
    decision 5), so no pair that could fail is ever left out.
    """
    _index, env = _envelopes(rule_set, case)
    return env.max(axis=0)[_grid_index(neq_kg)] * (1 + 1e-9) + 1e-6


def _radius_of_cases(rs: RuleSet, cases: _Cases) -> np.ndarray:
    """Search radius of every owner of ``cases`` [m]."""
    start, ctype, q, u = cases.arrays()
    n_owner = start.size - 1
    r_case = np.zeros(ctype.size)
    for t, ct in enumerate(cases.types):
        sel = ctype == t
        if np.any(sel):
            r_case[sel] = search_radius_m(rs, ct, np.maximum(q[sel], u[sel]))
    out = np.zeros(n_owner)
    if ctype.size:
        owner = np.repeat(np.arange(n_owner), np.diff(start))
        np.maximum.at(out, owner, r_case)
    return out


def _pair_radius(
    rs: RuleSet, cases: _Cases, owner_of_pair: np.ndarray, es_attr: np.ndarray, attr_list: list[tuple[Any, ...]]
) -> np.ndarray:
    """Per pair: the largest distance any rule could require between them [m].

    ``es_attr`` indexes ``attr_list`` (kind, traffic, sparse, evacuable, door
    barricade of the exposed site).
    """
    start, ctype, q, u = cases.arrays()
    n = owner_of_pair.size
    counts = start[owner_of_pair + 1] - start[owner_of_pair]
    row_pair = np.repeat(np.arange(n), counts)
    first = np.cumsum(counts) - counts
    row_case = start[owner_of_pair][row_pair] + (np.arange(int(counts.sum())) - np.repeat(first, counts))
    r = np.zeros(row_case.size)
    for t, ct in enumerate(cases.types):
        sel = ctype[row_case] == t
        if np.any(sel):
            index, env = _envelopes(rs, ct)
            overall = env.shape[0]
            env_all = np.vstack([env, env.max(axis=0)])  # last row: any ES (an option the rule set lacks)
            opt_of_attr = np.array([index.get(a, overall) for a in attr_list], dtype=np.int64)
            c = row_case[sel]
            gi = _grid_index(np.maximum(q[c], u[c]))
            r[sel] = env_all[opt_of_attr[es_attr[row_pair[sel]]], gi] * (1 + 1e-9) + 1e-6
    out = np.zeros(n)
    np.maximum.at(out, row_pair, r)
    return out


# ------------------------------------------------------------------ stock


@lru_cache(maxsize=8192)
def _single_line_mix(hd: str, cg: str, unit: float | None, form: str | None, item: str | None) -> tuple:
    """Mix of a one-line stock per kg of NEQ: the cases of one line scale with its NEQ.

    Evaluated at an NEQ of max(1 kg, unit NEQ) and divided by it (a stock line may
    not hold less than one round); tests/test_check_stock.py checks this against
    mix_divisions on the line itself.
    """
    base = max(1.0, unit or 0.0)
    mix = mix_divisions([StockLine(hd, cg, base, unit, form, item)])
    return tuple((c.division, c.neq_kg / base, c.unit_neq_kg, tuple(c.hd13_tables)) for c in mix.cases)


def _mix_cases(lines: Sequence[StockLine]) -> list[tuple[str, float, float | None, tuple[str, ...]]]:
    if len(lines) == 1:
        ln = lines[0]
        return [(d, q * ln.neq_kg, u, t) for d, q, u, t in _single_line_mix(ln.hd, ln.cg, ln.unit_neq_kg,
                                                                         ln.form, ln.item)]
    return [(c.division, c.neq_kg, c.unit_neq_kg, tuple(c.hd13_tables)) for c in mix_divisions(lines).cases]


def _cases_of(rule_set: RuleSet, lines: Sequence[StockLine]) -> list[tuple[CaseType, float, float]]:
    out = []
    for division, q, u, tables in _mix_cases(lines):
        if division not in rule_set.divisions:
            raise InputError(
                "stock", f"HD {division}",
                f"rule set {rule_set.name!r} has no rule for it; it covers {', '.join(rule_set.divisions)}",
            )
        out.append((CaseType(division, tables if division == "1.3" else ()), float(q), float(u or 0.0)))
    return out


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
        if len(lines) == 1:
            compatible, conflicts, conditions = True, [], []
        else:
            compat = check_compatibility(lines)
            compatible = compat.compatible
            conflicts = [
                f"{c.first_code} (line {c.first}) with {c.second_code} (line {c.second}): {c.reason} [{c.source}]"
                for c in compat.conflicts
            ]
            conditions = list(compat.conditions)
        try:
            _mix_cases(lines)  # validates the mix (e.g. HD 1.6 without the NEQ of one munition)
        except InputError as exc:
            problems.append(f"{site.id}: {exc}")
            continue
        neq_by: dict[str, float] = {}
        for ln in lines:
            key = qd_division(ln)
            neq_by[key] = neq_by.get(key, 0.0) + ln.neq_kg
        out[i] = SiteStock(lines, compatible, conflicts, conditions, neq_by)
    if problems:
        raise LayoutError("stock", f"{len(problems)} problem(s)", "\n  " + "\n  ".join(problems))
    return out


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, a: int) -> int:
        p = self.parent
        while p[a] != a:
            p[a] = p[p[a]]
            a = int(p[a])
        return a

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True

    def roots(self, idx: np.ndarray) -> np.ndarray:
        p = self.parent
        while True:  # full path compression, vectorised
            pp = p[p]
            if np.array_equal(pp, p):
                break
            p[:] = pp
        return p[idx].astype(np.int64)


# ------------------------------------------------------------------ relations


class _Relations:
    """Codes of every site's role in a relation, and the rule of each distinct relation."""

    def __init__(self, depot: Depot, rs: RuleSet) -> None:
        table = kinds()
        self.rs = rs
        self.kind_names = list(table)
        kind_code = {k: i for i, k in enumerate(self.kind_names)}
        self.pes_kind = np.array([kind_code[s.kind] for s in depot.sites], dtype=np.int64)
        self.ec = np.array([table[s.kind].earth_covered for s in depot.sites], dtype=bool)
        attrs = []
        for s in depot.sites:
            k = table[s.kind]
            attrs.append((
                s.kind,
                s.traffic if s.kind == "public_traffic_route" else None,
                bool(s.sparse) if k.holds_explosives == "no" else False,
                bool(s.evacuable) if k.holds_explosives == "no" else False,
                bool(s.door_barricade) if k.earth_covered else False,
            ))
        self.es_attr_list = list(dict.fromkeys(attrs))
        ea_index = {a: i for i, a in enumerate(self.es_attr_list)}
        self.es_attr = np.array([ea_index[a] for a in attrs], dtype=np.int64)
        self.rules: list[Rule] = []
        self._rule_ids: dict[tuple[Any, ...], int] = {}
        self._key_rules: dict[int, list[int]] = {}
        self._table = None

    def rule_id(self, ct: CaseType, pes_kind: str, pf: str | None, attr: tuple, ef: str | None) -> int:
        key = (ct, pes_kind, pf, attr, ef)
        rid = self._rule_ids.get(key)
        if rid is None:
            kind, traffic, sparse, evac, barricade = attr
            rel = Relation(pes_kind, kind, pf, ef, traffic, sparse, evac, barricade)
            rid = len(self.rules)
            self.rules.append(resolve_rule(self.rs, ct.division, rel, ct.tables))
            self._rule_ids[key] = rid
            self._table = None
        return rid

    @property
    def table(self) -> Any:
        if self._table is None:
            self._table = pack_rules(self.rs, self.rules)
        return self._table


def _is_table2(rs: RuleSet, ct: CaseType) -> bool:
    tables = [d.table for d in rs.division_tables if d.division == ct.division]
    return tables == ["2"]


def _expand(
    rel: _Relations, fp: Any, bearings: np.ndarray, pi: np.ndarray, pj: np.ndarray,
    owner: np.ndarray, cases: _Cases,
) -> tuple[np.ndarray, ...]:
    """Rows (pair x case x PES sector x ES face), vectorised.

    Returns row_pair, row_case (global case index), row_rule, row_q, row_u.
    """
    n = pi.shape[0]
    start, ctype, q, u = cases.arrays()
    counts = (start[owner + 1] - start[owner]) if n else np.zeros(0, dtype=np.int64)
    total = int(counts.sum())
    row_pair = np.repeat(np.arange(n, dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    row_case = start[owner][row_pair] + (np.arange(total, dtype=np.int64) - np.repeat(first, counts))
    ct = ctype[row_case]
    t2 = np.array([_is_table2(rel.rs, c) for c in cases.types], dtype=bool)
    # sectors of each ES seen from earth-covered PES; face of earth-covered ES toward the PES
    pes_ec = rel.ec[pi]
    es_ec = rel.ec[pj]
    m60 = np.zeros(n, dtype=np.int64)
    m10 = np.zeros(n, dtype=np.int64)
    em = np.zeros(n, dtype=np.int64)
    if np.any(pes_ec):
        sel = np.flatnonzero(pes_ec)
        m60[sel] = sector_masks(fp, pi[sel], pj[sel], bearings, FRONT_HALF_ANGLE_DEG, REAR_HALF_ANGLE_DEG)
        if np.any(t2):
            m10[sel] = sector_masks(fp, pi[sel], pj[sel], bearings, FRONT_HALF_ANGLE_HD12_DEG, REAR_HALF_ANGLE_DEG)
    if np.any(es_ec):
        sel = np.flatnonzero(es_ec)
        em[sel] = sector_masks(fp, pj[sel], pi[sel], bearings, FRONT_HALF_ANGLE_DEG, REAR_HALF_ANGLE_DEG)
    pm_row = np.where(t2[ct], m10[row_pair], m60[row_pair])
    em_row = em[row_pair]
    pk_row = rel.pes_kind[pi][row_pair]
    ea_row = rel.es_attr[pj][row_pair]
    n_pk = len(rel.kind_names)
    n_ea = len(rel.es_attr_list)
    key = (((ct * n_pk + pk_row) * 8 + pm_row) * n_ea + ea_row) * 8 + em_row
    # distinct keys without sorting: the key space is small (a few hundred thousand codes)
    n_codes = len(cases.types) * n_pk * 8 * n_ea * 8
    present = np.zeros(n_codes, dtype=np.int64)
    present[key] = 1
    uniq = np.flatnonzero(present)
    compact = np.cumsum(present) - 1
    inv = compact[key]
    lists = []
    for k in uniq.tolist():
        e_m = k % 8
        k //= 8
        ea = k % n_ea
        k //= n_ea
        p_m = k % 8
        k //= 8
        pk = k % n_pk
        c = k // n_pk
        pes_kind = rel.kind_names[pk]
        attr = rel.es_attr_list[ea]
        pfaces = [f for b, f in _FACE_BITS if p_m & b] or [None]
        efaces = [f for b, f in _FACE_BITS if e_m & b] or [None]
        lists.append([rel.rule_id(cases.types[c], pes_kind, pf, attr, ef) for pf in pfaces for ef in efaces])
    nr = np.array([len(x) for x in lists], dtype=np.int64)
    flat = np.array([r for x in lists for r in x], dtype=np.int64)
    kstart = np.cumsum(nr) - nr
    rep = nr[inv]
    r2 = np.repeat(np.arange(total, dtype=np.int64), rep)
    off = np.arange(r2.size, dtype=np.int64) - np.repeat(np.cumsum(rep) - rep, rep)
    rid = flat[kstart[inv][r2] + off] if r2.size else np.zeros(0, dtype=np.int64)
    rc = row_case[r2]
    return row_pair[r2], rc, rid, q[rc], u[rc]


def _first_per_key(keys: np.ndarray, values: np.ndarray, largest: bool) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct key: the row with the largest (or smallest) value (first row on ties)."""
    from depotsafe.kernels.reduce import group_arg_extreme

    if keys.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n_keys = int(keys.max()) + 1
    best = group_arg_extreme(
        np.ascontiguousarray(keys, dtype=np.int64), np.ascontiguousarray(values, dtype=np.float64), n_keys, largest
    )
    present = np.flatnonzero(best >= 0)
    return present, best[present]


# ------------------------------------------------------------------ the check


def check_depot(
    depot: Depot,
    rule_set: str | RuleSet = "iatg",
    progress: Callable[[float, str], None] | None = None,
    *,
    licences: bool = True,
) -> CheckResult:
    """Check every PES–ES pair of a depot and the licence of every storehouse.

    Parameters
    ----------
    depot : Depot
        From :func:`depotsafe.layout.read_layout`.
    rule_set : str or RuleSet
    progress : callable, optional
        ``progress(fraction, message)``, for a progress bar.
    licences : bool
        Also compute the explosives limit licence of every storehouse for every
        hazard division (each in isolation).  Without them, the sites' licence
        fields are empty; pairs, verdicts and headroom are the same.

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
    rel = _Relations(depot, rs)
    fp, bearings = depot_arrays(depot)
    n_sites = len(depot.sites)
    pes_idx = np.array(sorted(i for i, s in stock.items() if sum(ln.neq_kg for ln in s.lines) > 0), dtype=np.int64)
    notes: list[str] = []
    is_pes = np.zeros(n_sites, dtype=bool)
    is_pes[pes_idx] = True

    # ---------------------------------------------- aggregation groups (decision 14)
    tick(0.1, "aggregation groups")
    uf = _UnionFind(n_sites)
    case_cache: dict[tuple[int, ...], list[tuple[CaseType, float, float]]] = {}

    def group_cases() -> tuple[_Cases, np.ndarray]:
        """Cases of every group; owner index of every site (-1 if not a PES)."""
        roots = uf.roots(pes_idx)
        uniq_roots, inverse = np.unique(roots, return_inverse=True)
        members: dict[int, list[int]] = {}
        for i, r in zip(pes_idx.tolist(), roots.tolist(), strict=True):
            members.setdefault(r, []).append(i)
        owners = []
        for r in uniq_roots.tolist():
            key = tuple(members[r])
            group = case_cache.get(key)
            if group is None:
                group = _cases_of(rs, [ln for m in key for ln in stock[m].lines])
                case_cache[key] = group
            owners.append(group)
        cases = _Cases.from_lists(owners)
        owner = np.full(n_sites, -1, dtype=np.int64)
        owner[pes_idx] = inverse
        return cases, owner

    def evaluate(pi: np.ndarray, pj: np.ndarray, owner: np.ndarray, cases: _Cases) -> tuple[np.ndarray, ...]:
        row_pair, row_case, rid, rq, ru = _expand(rel, fp, bearings, pi, pj, owner[pi], cases)
        if rid.size:
            req, term = required_distances(rel.table, rid, rq, ru)
        else:
            req, term = np.zeros(0), np.zeros(0, dtype=np.int64)
        return row_pair, row_case, rid, rq, ru, req, term

    # One search for every PES; after groups grow, only the PES whose search radius
    # changed are searched again, and only their PES-PES pairs are evaluated again.
    radius = np.zeros(n_sites)
    pi = pj = np.zeros(0, dtype=np.int64)
    dist = np.zeros(0)
    redo = pes_idx
    for _round in range(len(pes_idx) + 1):
        cases, owner = group_cases()
        new_radius = np.zeros(n_sites)
        new_radius[pes_idx] = _radius_of_cases(rs, cases)[owner[pes_idx]]
        requery = redo[new_radius[redo] != radius[redo]] if _round else redo
        radius = new_radius
        if requery.size:
            qi, qj, qd = pairs_within_radius(fp, requery, radius)
            stale = np.isin(pi, requery)
            pi = np.concatenate([pi[~stale], qi])
            pj = np.concatenate([pj[~stale], qj])
            dist = np.concatenate([dist[~stale], qd])
        check = np.isin(pi, redo) if _round else np.ones(pi.shape, dtype=bool)
        sel = check & is_pes[pj] & (owner[pi] != owner[pj])
        if np.any(sel):
            sel[sel] = dist[sel] <= _pair_radius(rs, cases, owner[pi[sel]], rel.es_attr[pj[sel]], rel.es_attr_list)
        grew_sites: set[int] = set()
        if np.any(sel):
            row_pair, _rc, _rid, _q, _u, req, _t = evaluate(pi[sel], pj[sel], owner, cases)
            required = np.zeros(int(sel.sum()))
            np.maximum.at(required, row_pair, req)
            close = dist[sel] < required
            for a_, b_ in zip(pi[sel][close].tolist(), pj[sel][close].tolist(), strict=True):
                if uf.union(a_, b_):
                    grew_sites.update((a_, b_))
        if not grew_sites:
            break
        # every member of a group that grew has a new NEQ: search and evaluate it again
        roots_now = uf.roots(pes_idx)
        grown_roots = {uf.find(x) for x in grew_sites}
        redo = pes_idx[np.isin(roots_now, list(grown_roots))]
    cases, owner = group_cases()
    roots = uf.roots(pes_idx)
    groups_map: dict[int, list[int]] = {}
    for i, r in zip(pes_idx.tolist(), roots.tolist(), strict=True):
        groups_map.setdefault(r, []).append(i)
    groups = [[depot.sites[m].id for m in mem] for mem in groups_map.values() if len(mem) > 1]
    if groups:
        notes.append(
            "Storehouses closer than their inter-magazine distance count as one site with the aggregated NEQ "
            "(AASTP-1 §1.3.2.3, decision 14): " + "; ".join("+".join(g) for g in groups)
        )

    # ---------------------------------------------- every pair
    tick(0.3, "pairs")
    order = np.lexsort((pj, pi))
    pi, pj, dist = pi[order], pj[order], dist[order]
    # keep the pairs closer than the largest distance any rule could require between them
    keep = dist <= _pair_radius(rs, cases, owner[pi], rel.es_attr[pj], rel.es_attr_list)
    pi, pj, dist = pi[keep], pj[keep], dist[keep]
    tick(0.45, "required distances")
    row_pair, row_case, rid, rq, ru, req, term = evaluate(pi, pj, owner, cases)
    n_pairs = pi.shape[0]
    required = np.zeros(n_pairs)
    pair_rule = np.full(n_pairs, -1, dtype=np.int64)
    pair_term = np.full(n_pairs, -1, dtype=np.int64)
    pair_div = np.zeros(n_pairs, dtype=np.int64)
    keys, best = _first_per_key(row_pair, req, largest=True)
    required[keys] = req[best]
    has_rule = req[best] > 0
    pair_rule[keys[has_rule]] = rid[best][has_rule]
    pair_term[keys[has_rule]] = term[best][has_rule]
    _start, ctype, _q, _u = cases.arrays()
    pair_div[keys] = ctype[row_case[best]]
    aggregated = owner[pi] == owner[pj]

    # ---------------------------------------------- licences and verdicts
    tick(0.6, "licences")
    lim_rows = max_neqs(rel.table, rid, dist[row_pair], ru)[0] if rid.size else np.zeros(0)
    sites_out = _sites(depot, rs, rel, stock, fp, bearings, pes_idx, owner, cases, pi, pj, dist, required,
                       row_pair, row_case, lim_rows, groups_map, roots, licences)
    tick(1.0, "done")
    return CheckResult(
        depot=depot, rule_set=rs, pair_pes=pi, pair_es=pj, pair_distance_m=dist, pair_required_m=required,
        pair_rule_id=pair_rule, pair_term=pair_term, pair_division=pair_div, pair_aggregated=aggregated,
        rules=rel.rules, case_types=cases.types, site_builder=sites_out, groups=groups, notes=notes,
        n_storehouses=int(pes_idx.size), n_incompatible=sum(1 for i in pes_idx.tolist() if not stock[int(i)].compatible),
    )


def _licence_owners(rs: RuleSet, stock: dict[int, SiteStock], pes_idx: np.ndarray) -> tuple[_Cases, list[list[str]]]:
    """One owner per PES: a case per licence division (q is a placeholder)."""
    labels = []
    owners = []
    types = {div: CaseType(div, ("3A", "3B") if div == "1.3" else ()) for div in LICENCE_DIVISIONS}
    plain = [div for div in LICENCE_DIVISIONS if div in rs.divisions and div != "1.6"]
    for i in pes_idx.tolist():
        unit16 = max((ln.unit_neq_kg or 0.0 for ln in stock[i].lines if ln.hd == "1.6"), default=0.0)
        lab = plain + (["1.6"] if unit16 > 0 and "1.6" in rs.divisions else [])
        owners.append([(types[d], 1.0, unit16) for d in lab])
        labels.append(lab)
    return _Cases.from_lists(owners), labels


def _sites(
    depot: Depot, rs: RuleSet, rel: _Relations, stock: dict[int, SiteStock], fp: Any, bearings: np.ndarray,
    pes_idx: np.ndarray, owner: np.ndarray, cases: _Cases, pi: np.ndarray, pj: np.ndarray, dist: np.ndarray,
    required: np.ndarray, row_pair: np.ndarray, row_case: np.ndarray, lim_rows: np.ndarray,
    groups_map: dict[int, list[int]], roots: np.ndarray, with_licences: bool = True,
) -> Callable[[], list[dict[str, Any]]]:
    n_sites = len(depot.sites)
    ids = [s.id for s in depot.sites]
    n_pes = pes_idx.size
    pes_pos = np.full(n_sites, -1, dtype=np.int64)
    pes_pos[pes_idx] = np.arange(n_pes)

    # --- licences (each HD in isolation): the smallest limit over every ES.  A first
    # bound comes from the pairs of the check itself; then each division searches as far
    # as the envelope says an ES of each kind could still limit more, up to the licence
    # ceiling of the rule set.
    lic, labels = _licence_owners(rs, stock, pes_idx)
    if not with_licences:
        lic, labels = _Cases.from_lists([[] for _ in range(n_pes)]), [[] for _ in range(n_pes)]
    lstart, lctype, _lq, lu = lic.arrays()
    n_lic = lctype.size
    limit = np.full(n_lic, np.inf)
    limiting = np.full(n_lic, -1, dtype=np.int64)
    row_p, row_c, rid, _q, ru = _expand(rel, fp, bearings, pi, pj, pes_pos[pi], lic)
    if rid.size:
        lim = max_neqs(rel.table, rid, dist[row_p], ru)[0]
        k, b = _first_per_key(row_c, lim, largest=False)
        limit[k] = lim[b]
        limiting[k] = pj[row_p[b]]
    at_least = np.zeros(n_lic, dtype=bool)
    for t, ct in enumerate(lic.types):
        rows = np.flatnonzero(lctype == t)  # one licence case per PES holding it
        owners = np.repeat(np.arange(n_pes), np.diff(lstart))[rows]
        _licence_search(rs, rel, fp, bearings, pes_idx[owners], ct, lu[rows], rows, limit, limiting,
                        _depot_diameter(fp))
        # at or above the ceiling: "at least" the ceiling, unless no rule grows with the
        # NEQ beyond it (the envelope is flat), which is "unlimited"
        _i, env = _envelopes(rs, ct)
        grows = env.max(axis=0)[-1] > float(search_radius_m(rs, ct, np.array([rs.licence_ceiling_kg]))[0])
        big = rows[limit[rows] >= rs.licence_ceiling_kg]
        if grows:
            at_least[big] = True
            limit[big] = rs.licence_ceiling_kg

    # --- headroom of the actual (aggregated) stock: per PES and case, the smallest limit
    # key (PES, its own case): the case index within the owner is small (a few cases per site)
    c_start = np.asarray(cases.start, dtype=np.int64)
    n_local = max(1, int(np.diff(c_start).max())) if c_start.size > 1 else 1
    if row_pair.size:
        row_pes = pi[row_pair]
        hk = pes_pos[row_pes] * n_local + (row_case - c_start[owner[row_pes]])
    else:
        hk = np.zeros(0, dtype=np.int64)
    hkeys, hbest = _first_per_key(hk, lim_rows, largest=False)
    head_lim = dict(zip(hkeys.tolist(), lim_rows[hbest].tolist(), strict=True))
    head_es = dict(zip(hkeys.tolist(), pj[row_pair[hbest]].tolist(), strict=True))
    # --- verdict of each PES: all its pairs; the limiting ES has the smallest distance/required
    ratio = np.where(required > 0, dist / np.where(required > 0, required, 1.0), np.inf)
    fail = dist < required
    pes_fail = np.zeros(n_sites, dtype=bool)
    np.logical_or.at(pes_fail, pi, fail)
    rkeys, rbest = _first_per_key(pi, ratio, largest=False)
    worst_es = dict(zip(rkeys.tolist(), pj[rbest].tolist(), strict=True))
    worst_ratio = dict(zip(rkeys.tolist(), ratio[rbest].tolist(), strict=True))

    start, ctype, cq, _cu = cases.arrays()
    root_of = dict(zip(pes_idx.tolist(), roots.tolist(), strict=True))

    def build() -> list[dict[str, Any]]:
        """The per-site records (built on first use: a large depot may only be streamed)."""
        out = []
        for p, i in enumerate(pes_idx.tolist()):
            s = stock[i]
            o = int(owner[i])
            head = []
            for c in range(int(start[o]), int(start[o + 1])):
                key = p * n_local + (c - int(start[o]))
                lim = head_lim.get(key, math.inf)
                head.append({
                    "hd": cases.types[int(ctype[c])].division,
                    "neq_kg": float(cq[c]),
                    "max_neq_kg": None if math.isinf(lim) else lim,
                    "headroom_kg": None if math.isinf(lim) else lim - float(cq[c]),
                    "limiting_es": ids[head_es[key]] if key in head_es and not math.isinf(lim) else None,
                })
            lic_vals = {labels[p][c - int(lstart[p])]: float(limit[c]) for c in range(int(lstart[p]), int(lstart[p + 1]))}
            lic_least = {labels[p][c - int(lstart[p])]: bool(at_least[c]) for c in range(int(lstart[p]), int(lstart[p + 1]))}
            lic_es = {labels[p][c - int(lstart[p])]: (ids[int(limiting[c])] if limiting[c] >= 0 and math.isfinite(limit[c])
                                                       else None) for c in range(int(lstart[p]), int(lstart[p + 1]))}
            members = groups_map[root_of[i]]
            out.append({
                "id": ids[i],
                "kind": depot.sites[i].kind,
                "neq_kg": s.neq_by_division,
                "licence_limit_kg": {d: (None if math.isinf(v) else v) for d, v in lic_vals.items()},
                "licence_unlimited": {d: math.isinf(v) for d, v in lic_vals.items()},
                "licence_at_least": lic_least,
                "limiting_es": lic_es,
                "mixed_stock": {
                    "compliant": not bool(pes_fail[i]),
                    "limiting_es": ids[worst_es[i]] if i in worst_es and math.isfinite(worst_ratio[i]) else None,
                    "cases": head,
                },
                "compatibility": {"compatible": s.compatible, "conflicts": s.conflicts, "conditions": s.conditions},
                "aggregation_group": [ids[m] for m in members] if len(members) > 1 else [],
            })
        return out

    return build


def _licence_search(
    rs: RuleSet, rel: _Relations, fp: Any, bearings: np.ndarray, sites: np.ndarray, ct: CaseType,
    unit: np.ndarray, rows: np.ndarray, limit: np.ndarray, limiting: np.ndarray, diameter: float,
) -> None:
    """Lower ``limit[rows]`` (one licence case of ``ct`` per site) to its final value.

    An ES of kind c at distance d cannot limit below L when d exceeds what any rule
    could require of kind c at L (the envelope); so each round searches every site
    within the envelope at the current limit, until the limits stop moving.
    """
    ceiling = rs.licence_ceiling_kg
    searched = np.zeros(sites.size)
    todo = np.arange(sites.size)
    for _round in range(8):
        need = np.minimum(
            search_radius_m(rs, ct, np.maximum(np.minimum(limit[rows], ceiling), unit)), diameter
        )
        todo = np.flatnonzero(need > searched + 1e-9)
        if todo.size == 0:
            return
        radius = np.zeros(len(rel.pes_kind))
        radius[sites[todo]] = need[todo]
        li, lj, ld = pairs_within_radius(fp, sites[todo], radius)
        pos = np.full(len(rel.pes_kind), -1, dtype=np.int64)
        pos[sites[todo]] = todo
        owner = pos[li]
        cases = _Cases.one_each(ct, np.minimum(limit[rows], ceiling), unit)
        keep = ld <= _pair_radius(rs, cases, owner, rel.es_attr[lj], rel.es_attr_list)
        li, lj, ld, owner = li[keep], lj[keep], ld[keep], owner[keep]
        row_p, _row_c, rid, _q, ru = _expand(rel, fp, bearings, li, lj, owner, cases)
        if rid.size:
            lim = max_neqs(rel.table, rid, ld[row_p], ru)[0]
            k, b = _first_per_key(owner[row_p], lim, largest=False)
            better = lim[b] < limit[rows[k]]
            limit[rows[k[better]]] = lim[b][better]
            limiting[rows[k[better]]] = lj[row_p[b][better]]
        searched[todo] = need[todo]


def _depot_diameter(fp: Any) -> float:
    xs = np.concatenate([fp.x0, fp.x1])
    ys = np.concatenate([fp.y0, fp.y1])
    if xs.size == 0:
        return 0.0
    return float(math.hypot(xs.max() - xs.min(), ys.max() - ys.min())) + 1.0


__all__ = ["FACES", "CaseType", "CheckResult", "check_depot", "search_radius_m"]
