"""Whole-depot compliance check: every PES against every exposed site.

Steps (the heavy ones are Numba kernels over flat arrays; the Python here only
handles the few distinct relations, never the pairs one by one):

1. Stock per site: parsed and checked (compatibility, AASTP-1 Tables 5/6) and
   aggregated into QD cases (hazard-division mixing, §1.3.2.5).
2. Aggregation groups (standards.md decision 14, AASTP-1 §1.3.2.3 b): storage
   sites (data/kinds.csv holds_explosives = yes) closer to each other than either
   one's inter-magazine distance merge, a group being tested at its aggregated
   NEQ, until no group grows.  Workshops never merge; their shortfalls are
   violations.  Searches exclude a site's own group (kernels/aggregate.py).
3. Pairs: a group is one PES.  Lone PES: candidate pairs within the largest
   distance their kind could require of each kind of ES at twice their NEQ;
   groups: the sites around the group, the nearest member (exact nearest-point
   distance) and the distinct relations of all members, reduced in a kernel
   (never members x sites in memory).  The required distance of a group's pair
   is the largest of its members' relations at the group's NEQ.  Listed: the
   violations and the near misses (failing at twice the PES's NEQ).
4. Relations: the sector of each ES seen from an earth-covered PES, the face an
   earth-covered ES turns toward the PES (every sector touched counts: the
   larger distance applies, Annex I-A Note 1).
5. Licences (per hazard division, each in isolation) and the headroom of the
   actual stock: within one class of relation (ES attributes, PES sector, ES
   face) the nearest ES limits, so each PES searches for the nearest ES of each
   class, as far as the rule of that class could still limit (groups: every
   site around the group).  Each member of a group carries the group's licence.
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
from depotsafe.layout import (
    SECTOR_TOL_M,
    Depot,
    depot_arrays,
    pairs_within_radius,
    sector_masks,
    stock_entry_key,
)
from depotsafe.messages import Note
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
from depotsafe.tablemode import envelope_distances


def _sector_angles() -> dict[tuple[str, str], float]:
    """Half angles of the ECM sectors [deg], from data/ecm_sectors.csv (AASTP-1 Annex I-A Notes 1, 2)."""
    from depotsafe.kinds import read_data_csv

    return {(r["sector"], r["division"]): float(r["used_deg"]) for r in read_data_csv("ecm_sectors.csv")}


_SECTORS = _sector_angles()
#: Front-sector half angles [deg from the door normal]: HD 1.1 (and 1.3, whose
#: ±30° propellant cone of §1.3.6.6 a) it contains) and HD 1.2; rear half angle
#: [deg from the rear-wall normal].  Where AASTP-1's text and figures disagree
#: the wider front and the narrower rear are used, the larger distances
#: (decision 13; data/ecm_sectors.csv says which and why).
FRONT_HALF_ANGLE_DEG = _SECTORS[("front", "1.1")]
FRONT_HALF_ANGLE_HD12_DEG = _SECTORS[("front", "1.2")]
REAR_HALF_ANGLE_DEG = _SECTORS[("rear", "1.1")]

#: Notes of the check that carry values (depotsafe.messages.Note: each template a msgid of the catalogs).
NO_VS_RULE_NOTE = ("rule set {name} has no rule for very sensitive exposed sites (assessments.csv): "
                   "the sites marked very_sensitive were checked by the tables alone")
VS_GROUP_NOTE = ("{sites} (very sensitive contents) closer than the inter-magazine distance to another storage "
                 "site: one site with it (decision 14, unchanged); the inter-magazine distances toward very "
                 "sensitive contents need an individual assessment (AASTP-1 §1.3.1.4, decision 30)")
GROUPS_NOTE = ("Storage sites closer than their inter-magazine distance count as one site with the aggregated NEQ "
               "(AASTP-1 §1.3.2.3 b), decision 14): {groups}")
#: Why a storage site counts as very sensitive (decision 30): a declared flag or a stock of these groups.
VS_DECLARED_REASON = "very sensitive contents (declared very_sensitive)"
VS_STOCK_REASON = "stock of compatibility group {groups}"
TWO_REASONS = "{first}; {second}"

#: The note of every table-mode check (decision 32).
TABLE_MODE_NOTE = (
    "Rounding: table (decision 32): each distance is the printed AASTP-1 Annex I-A distance of the next "
    "tabulated quantity up, each licence the next lesser tabulated quantity whose printed distance is met; "
    "outside the printed columns (below or above the tabulated quantities, text minimums, fixed distances, "
    "vulnerable buildings) the formula applies; each pair's rounding_note says how it was read"
)

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
    status: str = "compatible"  # "compatible", "conditional" or "incompatible" (decision 29)


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
        # owners of the same stock share one list (group_cases): its type ids are found once
        seen: dict[int, list[int]] = {}
        ctype: list[int] = []
        for own in owners:
            ids = seen.get(id(own))  # the lists stay alive in ``owners`` meanwhile: ids are unique
            if ids is None:
                ids = seen[id(own)] = [out.type_id(ct) for ct, _q, _u in own]
            ctype.extend(ids)
        out.ctype = ctype
        out.q = [q for own in owners for _ct, q, _u in own]
        out.u = [u for own in owners for _ct, _q, u in own]
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
    pair_aggregated: np.ndarray  # the PES is an aggregation group
    pair_group: np.ndarray  # index into groups, -1 for a lone PES
    rules: list[Rule]
    case_types: list[CaseType]
    site_builder: Callable[[], list[dict[str, Any]]]
    n_storehouses: int
    n_incompatible: int
    groups: list[list[str]]
    n_conditional: int = 0  # storehouses whose mix is conditional: findings, not failures (decision 29)
    aggregations: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _sites: list[dict[str, Any]] | None = field(default=None, repr=False)
    #: per listed pair: its ES holds very sensitive contents, an assessment is required (decision 30)
    pair_assessment: np.ndarray | None = None
    #: why each very sensitive site is one (site index -> text), and the rule's source (assessments.csv)
    assessment_why: dict[int, str] = field(default_factory=dict)
    assessment_source: str = ""
    # degree of protection (decision 31): the NEQ of each pair's governing case, and the pairs whose
    # cell cannot give the requested degree (violations until assessed)
    pair_neq_kg: np.ndarray | None = None
    pair_unit_neq_kg: np.ndarray | None = None
    pair_protection_unavailable: np.ndarray | None = None

    @property
    def sites(self) -> list[dict[str, Any]]:
        """One record per storehouse: NEQ per HD, licences, limiting ES, mixed-stock verdict."""
        if self._sites is None:
            self._sites = self.site_builder()
        return self._sites

    @property
    def compliant_mask(self) -> np.ndarray:
        ok = self.pair_distance_m >= self.pair_required_m
        if self.pair_assessment is not None:
            ok &= ~self.pair_assessment  # a violation until assessed, whatever the distance (decision 30)
        if self.pair_protection_unavailable is not None:
            ok = ok & ~self.pair_protection_unavailable
        return ok

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
        g = int(self.pair_group[k])
        if g >= 0:
            relation["aggregated"] = True
        assess = self.pair_assessment is not None and bool(self.pair_assessment[k])
        ok = bool(self.pair_distance_m[k] >= self.pair_required_m[k]) and not assess
        out = {
            "pes": sites[i].id,
            "es": sites[j].id,
            "hd": division,
            "relation": relation,
            "rule": term.code if term else "No QD",
            "rule_label": term.label if term else "No QD",
            "source": term.source if term else "",
            "required_distance_m": float(self.pair_required_m[k]),
            "distance_m": float(self.pair_distance_m[k]),
            "compliant": ok,
            # listed only because it would fail at twice its PES's NEQ (DESIGN.md)
            "near_miss": ok,
            # decision 30: the ES holds very sensitive contents; required_distance_m is for information only
            "assessment_required": assess,
        }
        if assess:
            out["assessment_reason"] = self.assessment_why.get(j, "")
            out["assessment_source"] = self.assessment_source
        if g >= 0:
            out["group"] = self.groups[g]
            out["group_id"] = f"G{g + 1}"
        out["protection"] = None
        out["protection_unavailable"] = False
        if rid >= 0 and self.pair_neq_kg is not None:
            from depotsafe.protection import describe

            unit = self.pair_unit_neq_kg[k] if self.pair_unit_neq_kg is not None else 0.0
            out["protection"] = describe(self.rule_set, self.rules[rid], float(self.pair_neq_kg[k]), float(unit),
                                         float(self.pair_required_m[k]))
            if self.pair_protection_unavailable is not None and self.pair_protection_unavailable[k]:
                out["protection_unavailable"] = True
                out["compliant"] = out["near_miss"] = False
        out["rounding"] = self.rule_set.rounding  # decision 32
        if self.rule_set.rounding == "table" and term is not None and self.pair_neq_kg is not None:
            from depotsafe.tablemode import distance_note

            u = float(self.pair_unit_neq_kg[k]) if self.pair_unit_neq_kg is not None else 0.0
            out["rounding_note"] = distance_note(self.rule_set, term, float(self.pair_neq_kg[k]), u)
        return out

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
            "aggregation_groups": len(self.groups),
            "incompatible_sites": self.n_incompatible,
            "conditional_sites": self.n_conditional,
            "assessments_required": 0 if self.pair_assessment is None else int(np.count_nonzero(self.pair_assessment)),
            "compliant": self.compliant,
            "protection": _protection_request(self.rule_set),
            "protection_unavailable": int(np.count_nonzero(self.pair_protection_unavailable))
            if self.pair_protection_unavailable is not None else 0,
        }

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``depotsafe check --json`` (DESIGN.md)."""
        return {
            "pairs": list(self.iter_pairs()),
            "sites": self.sites,
            "violations": self.violations,
            "aggregations": aggregations_with_licences(
                self.aggregations, {s["group_id"]: group_licence(s) for s in self.sites if s.get("group_id")}),
            "groups": self.groups,
            "summary": self.summary(),
            "notes": self.notes,
            "rounding": self.rule_set.rounding,
            "provenance": self.provenance(),
        }


def _protection_request(rs: RuleSet) -> str:
    from depotsafe.protection import request_of

    return request_of(rs)


# ------------------------------------------------------------------ envelope


def _es_option(rel: Relation) -> tuple[Any, ...]:
    """The exposed-site attributes of a relation (kind and flags; not the face)."""
    return (rel.es_kind, rel.traffic, rel.sparse, rel.evacuable, rel.es_door_barricade)


@lru_cache(maxsize=64)
def _envelopes_by_pes(rule_set: RuleSet, case: CaseType) -> tuple[dict[tuple[Any, ...], int], np.ndarray]:
    """Largest required distance at each NEQ of _Q_GRID, one row per (PES kind, exposed-site
    attributes): the maximum over every PES face and ES face of those relations [m].

    Relations whose rules have the same terms require the same distance at every NEQ, so
    each distinct set of terms is evaluated once (a few dozen of the several hundred
    relations): this is part of every process's first check.
    """
    index: dict[tuple[Any, ...], int] = {}
    distinct: dict[tuple[Any, ...], int] = {}
    rules: list[Rule] = []
    row_of_rel, col_of_rel = [], []
    for rel in all_relations():
        try:
            rule = resolve_rule(rule_set, case.division, rel, case.tables)
        except InputError:
            continue  # a relation this rule set does not cover (partial rule sets)
        key = tuple((t.func_index, t.min_m, t.scale, t.q_source, t.use_floor) for t in rule.terms)
        if key not in distinct:
            distinct[key] = len(rules)
            rules.append(rule)
        row_of_rel.append(index.setdefault((rel.pes_kind, *_es_option(rel)), len(index)))
        col_of_rel.append(distinct[key])
    table = pack_rules(rule_set, rules)
    n_r, n_q = len(rules), _Q_GRID.size
    ids = np.repeat(np.arange(n_r), n_q)
    q = np.tile(_Q_GRID, n_r)
    d = envelope_distances(table, ids, q)  # decision 32: table mode bounded too
    d = d.reshape(n_r, n_q)
    env = np.zeros((len(index), n_q))
    np.maximum.at(env, np.asarray(row_of_rel, dtype=np.int64), d[np.asarray(col_of_rel, dtype=np.int64)])
    return index, env


@lru_cache(maxsize=64)
def _envelopes(rule_set: RuleSet, case: CaseType) -> tuple[dict[tuple[Any, ...], int], np.ndarray]:
    """Largest required distance at each NEQ of _Q_GRID, per kind of exposed site [m].

    Row k of the matrix is the maximum over every PES kind and face and every ES
    face of the relations whose exposed-site attributes have index k (the rows of
    :func:`_envelopes_by_pes` of those attributes, whatever the PES kind).
    """
    pindex, penv = _envelopes_by_pes(rule_set, case)
    index: dict[tuple[Any, ...], int] = {}
    rows = np.empty(len(pindex), dtype=np.int64)
    for key, r in pindex.items():
        rows[r] = index.setdefault(key[1:], len(index))
    env = np.zeros((len(index), penv.shape[1]))
    np.maximum.at(env, rows, penv)
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
    parsed: dict[tuple[Any, ...], StockLine] = {}  # one parse per distinct entry (StockLine is frozen)
    mixes_ok: set[StockLine] = set()  # single lines whose mix is known to be valid
    # a one-entry stock read before, valid: its line and division (most sites of a large depot)
    single: dict[tuple[Any, ...], tuple[StockLine, str]] = {}
    for i, site in enumerate(depot.sites):
        entries = site.stock_entries
        if not entries:
            continue
        if len(entries) == 1:
            ek = stock_entry_key(entries[0])
            hit = single.get(ek) if ek is not None else None
            if hit is not None:
                out[i] = SiteStock([hit[0]], True, [], [], {hit[1]: 0.0 + hit[0].neq_kg}, "compatible")  # as summed below
                continue
        lines = []
        for k, entry in enumerate(site.stock_entries):
            ek = stock_entry_key(entry)
            line = parsed.get(ek) if ek is not None else None
            if line is None:
                try:
                    line = parse_stock_entry(entry, f"{site.id}.stock[{k}]")
                except InputError as exc:
                    problems.append(str(exc))
                    continue
                if ek is not None:
                    parsed[ek] = line
            lines.append(line)
        if len(lines) != len(site.stock_entries):
            continue
        if len(lines) == 1:
            compatible, conflicts, conditions, status = True, [], [], "compatible"
        else:
            compat = check_compatibility(lines)
            compatible, status = compat.compatible, compat.status
            conflicts = [
                f"{c.first_code} (line {c.first}) with {c.second_code} (line {c.second}): {c.reason} [{c.source}]"
                for c in compat.conflicts
            ]
            conditions = list(compat.conditions)
        if len(lines) != 1 or lines[0] not in mixes_ok:
            try:
                _mix_cases(lines)  # validates the mix (e.g. HD 1.6 without the NEQ of one munition)
            except InputError as exc:
                problems.append(f"{site.id}: {exc}")
                continue
            if len(lines) == 1:
                mixes_ok.add(lines[0])
        neq_by: dict[str, float] = {}
        for ln in lines:
            key = qd_division(ln)
            neq_by[key] = neq_by.get(key, 0.0) + ln.neq_kg
        out[i] = SiteStock(lines, compatible, conflicts, conditions, neq_by, status)
        if len(lines) == 1:
            ek = stock_entry_key(site.stock_entries[0])
            if ek is not None:
                single[ek] = (lines[0], key)
    if problems:
        raise LayoutError("stock", f"{len(problems)} problem(s)", "\n  " + "\n  ".join(problems))
    return out


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)

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
        self.ec_kind = np.array([table[k].earth_covered for k in self.kind_names], dtype=bool)
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
    return _expand_masks(rel, cases, owner, rel.pes_kind[pi], m60, m10, em, rel.es_attr[pj])


def _expand_masks(
    rel: _Relations, cases: _Cases, owner: np.ndarray, pk: np.ndarray, m60: np.ndarray, m10: np.ndarray,
    em: np.ndarray, ea: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Rows (item x case of its owner x PES sector x ES face) of items given by their roles.

    Item k: owner[k] (whose cases apply), PES kind code pk[k], sectors m60[k] (front
    at 60 deg) and m10[k] (front at 10 deg, HD 1.2 tables), ES face em[k] and ES
    attributes ea[k].  Returns row_item, row_case, row_rule, row_q, row_u.
    """
    n = owner.shape[0]
    start, ctype, q, u = cases.arrays()
    counts = (start[owner + 1] - start[owner]) if n else np.zeros(0, dtype=np.int64)
    total = int(counts.sum())
    row_pair = np.repeat(np.arange(n, dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    row_case = start[owner][row_pair] + (np.arange(total, dtype=np.int64) - np.repeat(first, counts))
    ct = ctype[row_case]
    t2 = np.array([_is_table2(rel.rs, c) for c in cases.types], dtype=bool)
    pm_row = np.where(t2[ct], m10[row_pair], m60[row_pair]) if total else np.zeros(0, dtype=np.int64)
    rid, r2 = _rule_rows(rel, cases.types, ct, pk[row_pair], pm_row, ea[row_pair], em[row_pair])
    rc = row_case[r2]
    return row_pair[r2], rc, rid, q[rc], u[rc]


def _rule_rows(
    rel: _Relations, types: list[CaseType], ct: np.ndarray, pk_row: np.ndarray, pm_row: np.ndarray,
    ea_row: np.ndarray, em_row: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Rule ids of rows (case type, PES kind, PES sector bits, ES attributes, ES face bits).

    Every sector and face bit set gives a row (the larger distance applies over
    them).  Returns rule id and source row of each output row.
    """
    total = ct.shape[0]
    n_pk = len(rel.kind_names)
    n_ea = len(rel.es_attr_list)
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = (((ct * n_pk + pk_row) * 8 + pm_row) * n_ea + ea_row) * 8 + em_row
    # distinct keys without sorting: the key space is small (a few hundred thousand codes)
    n_codes = len(types) * n_pk * 8 * n_ea * 8
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
        lists.append([rel.rule_id(types[c], pes_kind, pf, attr, ef) for pf in pfaces for ef in efaces])
    nr = np.array([len(x) for x in lists], dtype=np.int64)
    flat = np.array([r for x in lists for r in x], dtype=np.int64)
    kstart = np.cumsum(nr) - nr
    rep = nr[inv]
    r2 = np.repeat(np.arange(total, dtype=np.int64), rep)
    off = np.arange(r2.size, dtype=np.int64) - np.repeat(np.cumsum(rep) - rep, rep)
    rid = flat[kstart[inv][r2] + off] if r2.size else np.zeros(0, dtype=np.int64)
    return rid, r2


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


def _storage_codes(rel: _Relations) -> np.ndarray:
    """Per site: True for the kinds that hold explosives as stores (data/kinds.csv ``yes``)."""
    table = kinds()
    return np.array([table[k].holds_explosives == "yes" for k in rel.kind_names], dtype=bool)[rel.pes_kind]


def _max_rows_into(out: np.ndarray, rows: np.ndarray, vals: np.ndarray) -> None:
    """out[rows[k]] = max(out[rows[k]], vals[k]) for rows in nondecreasing order (runs reduced at once)."""
    if rows.size == 0:
        return
    starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
    red = np.maximum.reduceat(vals, starts, axis=0)
    tgt = rows[starts]
    out[tgt] = np.maximum(out[tgt], red)


def _scaled(cases: _Cases, factor: float) -> _Cases:
    """The same cases with every NEQ times ``factor`` (unit NEQs unchanged)."""
    out = _Cases()
    out.types = cases.types
    out._type_index = dict(cases._type_index)
    out.start = list(cases.start)
    out.ctype = list(cases.ctype)
    out.q = [x * factor for x in cases.q]
    out.u = list(cases.u)
    return out


def _attr_caps(
    rs: RuleSet, rel: _Relations, cases: _Cases, owners: np.ndarray, neq: np.ndarray,
    owner_kind: np.ndarray | None = None,
) -> np.ndarray:
    """(len(owners), n_attr): the largest distance any rule could require of an ES of each
    attribute set, over the cases of each owner with NEQ ``neq[case]`` instead of q [m].

    ``owner_kind``: the PES kind code of each owner (its relations only), or -1 / None
    for any kind (a group of several kinds).
    """
    start, ctype, _q, u = cases.arrays()
    n_attr = len(rel.es_attr_list)
    out = np.zeros((owners.size, n_attr))
    counts = start[owners + 1] - start[owners]
    row_o = np.repeat(np.arange(owners.size), counts)
    first = np.cumsum(counts) - counts
    row_c = start[owners][row_o] + (np.arange(int(counts.sum())) - np.repeat(first, counts))
    kind_o = np.full(owners.size, -1, dtype=np.int64) if owner_kind is None else owner_kind
    n_k = len(rel.kind_names)
    for t, ct in enumerate(cases.types):
        sel = ctype[row_c] == t
        if not np.any(sel):
            continue
        index, env = _envelopes(rs, ct)
        pindex, penv = _envelopes_by_pes(rs, ct)
        # rows: (kind code or "any") x attribute -> row of a stacked envelope table
        table = np.vstack([env, env.max(axis=0), penv])
        any_row = env.shape[0]
        off = env.shape[0] + 1
        row_of = np.empty((n_k + 1, n_attr), dtype=np.int64)
        for a, attr in enumerate(rel.es_attr_list):
            row_of[n_k, a] = index.get(attr, any_row)
            for kc, kname in enumerate(rel.kind_names):
                r = pindex.get((kname, *attr))
                row_of[kc, a] = off + r if r is not None else row_of[n_k, a]
        c = row_c[sel]
        gi = _grid_index(np.maximum(neq[c], u[c]))
        kk = kind_o[row_o[sel]]
        kk = np.where(kk < 0, n_k, kk)
        vals = table[row_of[kk], gi[:, None]] * (1 + 1e-9) + 1e-6  # (rows, n_attr)
        _max_rows_into(out, row_o[sel], vals)
    return out


def _decode_keys(rk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kind code, sectors at 60 deg, sectors at 10 deg and ES face of group_outward keys."""
    return rk // 512, (rk // 64) % 8, (rk // 8) % 8, rk % 8


@dataclass
class _ClassRows:
    """Candidate limiting exposed sites of each owner: one row per (owner, relation class, ES).

    ``w`` 0: sectors at 60 deg (every case type but HD 1.2), 1: at 10 deg (HD 1.2).
    """

    owner: np.ndarray
    pk: np.ndarray
    w: np.ndarray
    pm: np.ndarray
    em: np.ndarray
    ea: np.ndarray
    dist: np.ndarray
    es: np.ndarray

    @classmethod
    def concat(cls, parts: list[_ClassRows]) -> _ClassRows:
        if not parts:
            z = np.zeros(0, dtype=np.int64)
            return cls(z, z, z, z, z, z, np.zeros(0), z)
        return cls(*[np.concatenate([getattr(p, f) for p in parts]) for f in
                     ("owner", "pk", "w", "pm", "em", "ea", "dist", "es")])


def _max_neqs_unique(rel: _Relations, rid: np.ndarray, dist: np.ndarray,
                     unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`max_neqs` of each row (limit and limiting term), computed once per distinct (rule, distance, unit NEQ).

    On a regular depot many rows repeat exactly (the same rule at the same distance);
    the values are those of `max_neqs` on every row, only not recomputed.
    """
    n = rid.size
    if n < 2:
        return max_neqs(rel.table, rid, dist, unit)
    order = np.lexsort((unit, dist, rid))
    r_s, d_s, u_s = rid[order], dist[order], unit[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (r_s[1:] != r_s[:-1]) | (d_s[1:] != d_s[:-1]) | (u_s[1:] != u_s[:-1])
    first = np.flatnonzero(new)
    lim_u, term_u = max_neqs(rel.table, r_s[first], d_s[first], u_s[first])
    out = np.empty(n)
    out_term = np.empty(n, dtype=np.int64)
    out[order] = lim_u[np.cumsum(new) - 1]
    out_term[order] = term_u[np.cumsum(new) - 1]
    return out, out_term


@dataclass
class _LimitWhy:
    """Per case: the row that sets its limit (rule id, limiting term, distance to the limiting ES); -1: none."""

    rule: np.ndarray
    term: np.ndarray
    dist: np.ndarray


def _limits(
    rel: _Relations, rows: _ClassRows, cases: _Cases, n_owner: int, neq_override: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, _LimitWhy]:
    """Per case of ``cases``: the largest NEQ every candidate ES allows (inf: none limits), that ES,
    and the rule, term and distance of the row that sets the limit.

    A case applies only to the rows of its owner; a row of PES sectors w=1 serves
    the HD 1.2 (table 2) case types of earth-covered PES, w=0 every other.
    """
    start, ctype, _q, u = cases.arrays()
    n_case = ctype.size
    limit = np.full(n_case, np.inf)
    limiting = np.full(n_case, -1, dtype=np.int64)
    why = _LimitWhy(np.full(n_case, -1, dtype=np.int64), np.full(n_case, -1, dtype=np.int64),
                    np.full(n_case, np.nan))
    if rows.owner.size == 0 or n_case == 0:
        return limit, limiting, why
    order = np.argsort(rows.owner, kind="stable")
    ro = rows.owner[order]
    rstart = np.searchsorted(ro, np.arange(n_owner + 1))
    counts_o = np.diff(rstart)
    case_owner = np.repeat(np.arange(n_owner), np.diff(start))
    n_rows_case = counts_o[case_owner]
    c_rep = np.repeat(np.arange(n_case), n_rows_case)
    first = np.cumsum(n_rows_case) - n_rows_case
    r_idx = order[rstart[case_owner][c_rep] + (np.arange(c_rep.size) - np.repeat(first, n_rows_case))]
    t2 = np.array([_is_table2(rel.rs, c) for c in cases.types], dtype=bool)
    ec_pk = np.array([kinds()[k].earth_covered for k in rel.kind_names], dtype=bool)
    want_w = np.where(t2[ctype[c_rep]] & ec_pk[rows.pk[r_idx]], 1, 0)
    keep = rows.w[r_idx] == want_w
    c_rep, r_idx = c_rep[keep], r_idx[keep]
    rid, r2 = _rule_rows(rel, cases.types, ctype[c_rep], rows.pk[r_idx], rows.pm[r_idx], rows.ea[r_idx],
                         rows.em[r_idx])
    if rid.size == 0:
        return limit, limiting, why
    cc = c_rep[r2]
    lim, lim_term = _max_neqs_unique(rel, rid, rows.dist[r_idx[r2]], u[cc])
    k, b = _first_per_key(cc, lim, largest=False)
    limit[k] = lim[b]
    limiting[k] = rows.es[r_idx[r2][b]]
    why.rule[k] = rid[b]
    why.term[k] = lim_term[b]
    why.dist[k] = rows.dist[r_idx[r2][b]]
    return limit, limiting, why


def _limits_again(
    rel: _Relations, rows: _ClassRows, cases: _Cases, n_owner: int, owners: np.ndarray,
    before: tuple[np.ndarray, np.ndarray, _LimitWhy],
) -> tuple[np.ndarray, np.ndarray, _LimitWhy]:
    """`_limits` after the rows of ``owners`` changed: ``rows`` are all of their rows and no other
    owner's.  A case's limit is read from its own owner's rows alone (in their order), so the cases
    of ``owners`` are computed from ``rows`` and every other case keeps its value of ``before``:
    what `_limits` of every row gives, without the rows that did not change."""
    limit, limiting, old_why = before[0].copy(), before[1].copy(), before[2]
    why = _LimitWhy(old_why.rule.copy(), old_why.term.copy(), old_why.dist.copy())
    new_limit, new_limiting, new_why = _limits(rel, rows, cases, n_owner)
    theirs = np.zeros(n_owner, dtype=bool)
    theirs[owners] = True
    sel = np.repeat(theirs, np.diff(cases.arrays()[0]))
    limit[sel] = new_limit[sel]
    limiting[sel] = new_limiting[sel]
    why.rule[sel] = new_why.rule[sel]
    why.term[sel] = new_why.term[sel]
    why.dist[sel] = new_why.dist[sel]
    return limit, limiting, why


def _very_sensitive_sites(
    depot: Depot, stock: dict[int, SiteStock], rule: Any
) -> tuple[np.ndarray, dict[int, str]]:
    """Per site: a storage site with very sensitive contents (decision 30), and why (site index -> text).

    Declared ``very_sensitive`` in the layout, or holding stock of a group that the rule set's
    assessments.csv names (A: primary explosive substances).  Without a rule, none.
    """
    table = kinds()
    out = np.zeros(len(depot.sites), dtype=bool)
    why: dict[int, str] = {}
    if rule is None:
        return out, why
    groups = frozenset(rule.cgs)
    reasons: dict[int, list[str]] = {}
    for i, site in enumerate(depot.sites):
        if site.very_sensitive:  # the layout reader allows it on storage sites only
            reasons[i] = [VS_DECLARED_REASON]
    for i, held in stock.items():  # stock lines hold their group in capitals (explosives.stock_line)
        found = {ln.cg for ln in held.lines} & groups
        if found and table[depot.sites[i].kind].holds_explosives == "yes":
            reasons.setdefault(i, []).append(Note(VS_STOCK_REASON, groups=", ".join(sorted(found))))
    for i, r in reasons.items():
        out[i] = True
        why[i] = r[0] if len(r) == 1 else Note(TWO_REASONS, first=r[0], second=r[1])
    return out, why


def check_depot(
    depot: Depot,
    rule_set: str | RuleSet = "iatg",
    progress: Callable[[float, str], None] | None = None,
    *,
    licences: bool = True,
    protection: str = "default",
    rounding: str | None = None,
) -> CheckResult:
    """Check every PES against every exposed site of a depot and the licence of every storehouse.

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
    protection : {"default", "virtually-complete", "high"}
        Degree of protection asked of every storage-to-storage cell (decision 31):
        pairs, verdicts and licences follow it; aggregation groups never do
        (decision 14).  A listed pair whose cell cannot give it is a violation.
    rounding : {"formula", "table"}, optional
        How distances and limits are read (decisions 4 and 32); None: the
        mode of ``rule_set`` (formula for a name).

    Returns
    -------
    CheckResult
        Pairs are the violations and the near misses (pairs that would fail at
        twice their PES's NEQ); aggregation groups are one PES each.
    """
    from depotsafe.kernels import aggregate as ka

    rs = rule_set if isinstance(rule_set, RuleSet) else load_rule_set(rule_set)
    from depotsafe.protection import check_request, requested_rule_set, rule_unavailable

    protection = check_request(protection)
    if rounding is not None:
        from depotsafe.tablemode import with_rounding

        rs = with_rounding(rs, rounding)

    def tick(f: float, msg: str) -> None:
        if progress is not None:
            progress(f, msg)

    notes: list[str] = []
    tick(0.0, "stock")
    stock = _parse_stock(depot)
    if rs.rounding == "table":
        notes.append(TABLE_MODE_NOTE)
    rel = _Relations(depot, rs)
    fp, bearings = depot_arrays(depot)
    n_sites = len(depot.sites)
    pes_idx = np.array(sorted(i for i, s in stock.items() if sum(ln.neq_kg for ln in s.lines) > 0), dtype=np.int64)
    is_pes = np.zeros(n_sites, dtype=bool)
    is_pes[pes_idx] = True
    storage = _storage_codes(rel) & is_pes
    st_idx = np.flatnonzero(storage).astype(np.int64)
    storage_attr = np.array([kinds()[a[0]].holds_explosives == "yes" for a in rel.es_attr_list], dtype=bool)
    vs_rule = rs.assessment("very_sensitive")
    vs_site, vs_why = _very_sensitive_sites(depot, stock, vs_rule)
    if vs_rule is None and any(s.very_sensitive for s in depot.sites):
        notes.append(Note(NO_VS_RULE_NOTE, name=repr(rs.name)))

    # ---------------------------------------------- aggregation groups (decision 14)
    tick(0.1, "aggregation groups")
    uf = _UnionFind(n_sites)
    case_cache: dict[tuple[int, ...], list[tuple[CaseType, float, float]]] = {}
    cases_by_lines: dict[tuple[StockLine, ...], list[tuple[CaseType, float, float]]] = {}
    by_line: dict[int, list[tuple[CaseType, float, float]]] = {}

    def group_cases() -> tuple[_Cases, np.ndarray, np.ndarray]:
        """Cases of every owner (group or lone PES); owner of every site (-1 if not a PES); roots."""
        roots = uf.roots(pes_idx)
        uniq_roots, inverse = np.unique(roots, return_inverse=True)
        members: dict[int, list[int]] = {}
        if uniq_roots.size == pes_idx.size:
            member_lists: Any = ([i] for i in pes_idx.tolist())  # no group: each PES its own root
        else:
            for i, r in zip(pes_idx.tolist(), roots.tolist(), strict=True):
                members.setdefault(r, []).append(i)
            member_lists = (members[r] for r in uniq_roots.tolist())
        owners = []
        for ms in member_lists:
            one = stock[ms[0]].lines if len(ms) == 1 else None
            if one is not None and len(one) == 1:
                # a lone PES of one stock line: its cases are those of the line (lines read alike
                # are one object, _parse_stock; ``stock`` keeps them alive, so the id is theirs)
                group = by_line.get(id(one[0]))
                if group is None:
                    group = by_line[id(one[0])] = cases_by_lines.get(tuple(one)) or _cases_of(rs, tuple(one))
                    cases_by_lines.setdefault(tuple(one), group)
                owners.append(group)
                continue
            key = tuple(ms)
            group = case_cache.get(key)
            if group is None:
                lines = tuple(ln for m in key for ln in stock[m].lines)
                group = cases_by_lines.get(lines)  # the same stock, the same cases
                if group is None:
                    group = _cases_of(rs, lines)
                    cases_by_lines[lines] = group
                case_cache[key] = group
            owners.append(group)
        cases = _Cases.from_lists(owners)
        owner = np.full(n_sites, -1, dtype=np.int64)
        owner[pes_idx] = inverse
        return cases, owner, uniq_roots

    # Only storage sites merge, by their inter-magazine distance (either way), to a
    # fixpoint; after a group grows only its members search again, at its new NEQ.
    joins: list[tuple[int, int, float, float, int, int]] = []
    redo = st_idx
    cell = None
    last = None  # group_cases() as long as no group has grown since
    for _round in range(len(st_idx) + 1):
        if redo.size == 0:
            break
        last = group_cases()
        cases, owner, _roots = last
        radius = np.zeros(n_sites)
        if storage_attr.any():
            radius[st_idx] = _attr_caps(rs, rel, cases, owner[st_idx], cases.arrays()[2],
                                        rel.pes_kind[st_idx])[:, storage_attr].max(axis=1)
        if cell is None:  # about one storage site per cell
            from depotsafe.kernels.geometry import site_bounds

            bx0, by0, bx1, by1 = site_bounds(*fp.args()[:5])
            w_ = float(bx1[st_idx].max() - bx0[st_idx].min()) if st_idx.size else 1.0
            h_ = float(by1[st_idx].max() - by0[st_idx].min()) if st_idx.size else 1.0
            cell = max(math.sqrt(max(w_ * h_, 1.0) / max(st_idx.size, 1)), 1e-3 * max(w_, h_, 1.0))
        grew: set[int] = set()
        # growing radii: near neighbours merge first, so that the members of a dense group
        # are not paired with each other at the full radius (cells of one group are skipped)
        r_full = float(radius[redo].max()) if redo.size else 0.0
        r_pass = min(2.0 * cell, r_full)
        while True:
            label = np.arange(n_sites, dtype=np.int64)
            label[pes_idx] = uf.roots(pes_idx)
            rad = np.minimum(radius, r_pass)
            qi, qj, qd = ka.pairs_other_label(redo, rad, label, st_idx, *fp.args(),
                                              max(cell, 0.25 * float(np.median(rad[redo]))))
            if qi.size:
                row_pair, _rc, rid, _q, _u = _expand(rel, fp, bearings, qi, qj, owner[qi], cases)
                if rid.size:
                    req, term = required_distances(rel.table, rid, _q, _u)
                    k, b = _first_per_key(row_pair, req, largest=True)
                    close = qd[k] < req[b]
                    k, b = k[close], b[close]
                    joined = ka.union_pairs(uf.parent, qi[k], qj[k])
                    for kk, bb in zip(k[joined].tolist(), b[joined].tolist(), strict=True):
                        a_, b_ = int(qi[kk]), int(qj[kk])
                        joins.append((a_, b_, float(qd[kk]), float(req[bb]), int(rid[bb]), int(term[bb])))
                        grew.add(a_)
            if r_pass >= r_full:
                break
            r_pass = min(4.0 * r_pass, r_full)
        if not grew:
            break
        last = None
        roots_now = uf.roots(st_idx)
        grown_roots = np.unique(uf.roots(np.array(sorted(grew), dtype=np.int64)))
        redo = st_idx[np.isin(roots_now, grown_roots)]
    cases, owner, owner_root = last if last is not None else group_cases()
    n_owner = owner_root.size
    roots = uf.roots(pes_idx)
    groups_map: dict[int, list[int]] = {}
    for i, r in zip(pes_idx.tolist(), roots.tolist(), strict=True):
        groups_map.setdefault(r, []).append(i)
    owner_members = [groups_map[int(r)] for r in owner_root.tolist()]
    group_owners = np.array([o for o in range(n_owner) if len(owner_members[o]) > 1], dtype=np.int64)
    ids = [s.id for s in depot.sites]
    groups = [[ids[m] for m in owner_members[o]] for o in group_owners.tolist()]
    group_pos = np.full(n_owner, -1, dtype=np.int64)
    group_pos[group_owners] = np.arange(group_owners.size)
    join_lists: list[list[dict[str, Any]]] = [[] for _ in groups]
    for a_, b_, d_, imd, rid_, term_ in joins:
        t = rel.rules[rid_].terms[term_]
        join_lists[group_pos[owner[a_]]].append({"a": ids[a_], "b": ids[b_], "distance_m": d_, "imd_m": imd,
                                                 "rule": t.code, "rule_label": t.label, "source": t.source})
    aggregations = [{"id": f"G{k + 1}", "members": g, "joins": j}
                    for k, (g, j) in enumerate(zip(groups, join_lists, strict=True))]
    for o_ in group_owners.tolist() if vs_site.any() else []:
        vs_members = [ids[m] for m in owner_members[o_] if vs_site[m]]
        if vs_members:
            notes.append(Note(VS_GROUP_NOTE, sites=", ".join(vs_members)))
    if groups:
        notes.append(Note(GROUPS_NOTE, groups="; ".join("+".join(g) for g in groups)))

    # ---------------------------------------------- outward pairs
    if protection != "default":
        # a requested degree from here on; the groups above keep the default reading (decision 14)
        rs = requested_rule_set(rs, protection)
        rel = _Relations(depot, rs)
    tick(0.3, "pairs")
    cases2 = _scaled(cases, 2.0)
    lone = pes_idx[np.array([len(owner_members[owner[i]]) == 1 for i in pes_idx.tolist()], dtype=bool)] \
        if pes_idx.size else pes_idx
    r2_owner = _radius_of_cases(rs, cases2)
    # each lone PES: as far as its own kind could require anything of each kind of ES at 2 x NEQ
    lone_caps2 = _caps_initial(rs, rel, cases, owner[lone], rel.pes_kind[lone])
    radius2 = np.zeros(n_sites)
    radius2[lone] = lone_caps2.max(axis=1) if lone.size else 0.0
    # the pairs within the PES's cap toward each attribute set of ES, one grid per set
    # (kernels.aggregate.pairs_within_attr_caps: pairs_within_radius(radius2), then the caps)
    pi, pj, dist = ka.pairs_within_attr_caps(
        np.ascontiguousarray(lone, dtype=np.int64), np.ascontiguousarray(lone_caps2, dtype=np.float64),
        radius2, rel.es_attr, *ka.attribute_grids(rel.es_attr, len(rel.es_attr_list), *fp.args()[:5],
                                                  _attr_cells(rel, fp)), *fp.args())
    # decision 30: toward very sensitive contents every cell is suspended, as far as the check reaches
    # (the largest distance any rule requires at twice the PES's NEQ), however far the cell's own distance
    reach_owner = r2_owner.copy()
    if lone.size:
        np.maximum.at(reach_owner, owner[lone], radius2[lone])
    if vs_site.any() and lone.size:
        vs_idx = np.flatnonzero(vs_site).astype(np.int64)
        r_vs = np.zeros(n_sites)
        r_vs[vs_idx] = float(reach_owner[owner[lone]].max())
        vi, vj, vd = pairs_within_radius(fp, vs_idx, r_vs)  # from each very sensitive site, the PES around it
        is_lone = np.zeros(n_sites, dtype=bool)
        is_lone[lone] = True
        sel = is_lone[vj] & (vd <= reach_owner[np.maximum(owner[vj], 0)])
        # the PES within reach of a very sensitive site, beyond their caps too, join the capped pairs
        pi = np.concatenate([pi, vj[sel]]).astype(np.int64)
        pj = np.concatenate([pj, vi[sel]]).astype(np.int64)
        dist = np.concatenate([dist, vd[sel]])
        _u, first = np.unique(pi * n_sites + pj, return_index=True)  # a pair found both ways once
        first = np.sort(first)
        pi, pj, dist = pi[first], pj[first], dist[first]
    p_owner = owner[pi]

    # groups: the exposed sites around each group, the nearest member and every member's relation
    g_rows = _ClassRows.concat([])
    g_cand_owner = g_cand_es = g_dmin = g_near = np.zeros(0, dtype=np.int64)
    if group_owners.size:
        gstart = np.concatenate([[0], np.cumsum([len(owner_members[o]) for o in group_owners])]).astype(np.int64)
        gmembers = np.array([m for o in group_owners.tolist() for m in owner_members[o]], dtype=np.int64)

        def group_view(radius_g: np.ndarray) -> tuple[np.ndarray, ...]:
            from depotsafe.kernels.geometry import site_bounds

            bx0, by0, bx1, by1 = site_bounds(*fp.args()[:5])
            qx0 = np.minimum.reduceat(bx0[gmembers], gstart[:-1])
            qy0 = np.minimum.reduceat(by0[gmembers], gstart[:-1])
            qx1 = np.maximum.reduceat(bx1[gmembers], gstart[:-1])
            qy1 = np.maximum.reduceat(by1[gmembers], gstart[:-1])
            cq, cj = ka.box_candidates(qx0, qy0, qx1, qy1, radius_g, *fp.args()[:5],
                                       float(default_cell_m_all(fp)))
            root_all = np.arange(n_sites, dtype=np.int64)
            root_all[pes_idx] = roots
            ok = root_all[cj] != owner_root[group_owners[cq]]
            cq, cj = cq[ok], cj[ok]
            dmin, near, rc, rk = ka.group_outward(
                cq, cj, gstart, gmembers, rel.pes_kind, rel.ec, bearings, FRONT_HALF_ANGLE_DEG,
                FRONT_HALF_ANGLE_HD12_DEG, REAR_HALF_ANGLE_DEG, SECTOR_TOL_M, len(rel.kind_names), *fp.args())
            return cq, cj, dmin, near, rc, rk

        gq, g_cand_es, g_dmin, g_near, g_rc, g_rk = group_view(r2_owner[group_owners])
        g_cand_owner = group_owners[gq]

        def to_class_rows(cand_owner, cand_es, dmin, rc, rk) -> _ClassRows:
            kind_, s60, s12, em = _decode_keys(rk)
            o = cand_owner[rc]
            j = cand_es[rc]
            w1 = np.flatnonzero(rel.ec_kind[kind_])
            cat = np.concatenate
            return _ClassRows(
                owner=cat([o, o[w1]]), pk=cat([kind_, kind_[w1]]),
                w=cat([np.zeros(rc.size, dtype=np.int64), np.ones(w1.size, dtype=np.int64)]),
                pm=cat([s60, s12[w1]]), em=cat([em, em[w1]]), ea=cat([rel.es_attr[j], rel.es_attr[j][w1]]),
                dist=cat([dmin[rc], dmin[rc][w1]]), es=cat([j, j[w1]]))

        g_rows = to_class_rows(g_cand_owner, g_cand_es, g_dmin, g_rc, g_rk)
    else:
        g_rc = g_rk = np.zeros(0, dtype=np.int64)

    tick(0.45, "required distances")
    # lone PES: rows of each pair
    row_pair, row_case, rid, rq, ru = _expand(rel, fp, bearings, pi, pj, p_owner, cases)
    # groups: rows of each (group, ES) from its members' distinct relations
    g_kind, g_s60, g_s12, g_em = _decode_keys(g_rk)
    gr_item, gr_case, gr_rid, gr_q, gr_u = _expand_masks(
        rel, cases, g_cand_owner[g_rc], g_kind, g_s60, g_s12, g_em, rel.es_attr[g_cand_es[g_rc]])
    g_item_cand = g_rc
    n_lone = pi.size
    all_pair = np.concatenate([row_pair, n_lone + g_item_cand[gr_item]])
    all_rid = np.concatenate([rid, gr_rid])
    all_q = np.concatenate([rq, gr_q])
    all_u = np.concatenate([ru, gr_u])
    all_case = np.concatenate([row_case, gr_case])
    n_all = n_lone + g_cand_owner.size
    c_pes = np.concatenate([pi, g_near]).astype(np.int64)
    c_es = np.concatenate([pj, g_cand_es]).astype(np.int64)
    c_dist = np.concatenate([dist, g_dmin]).astype(np.float64)
    c_owner = np.concatenate([p_owner, g_cand_owner]).astype(np.int64)
    if all_rid.size:
        req, term = required_distances(rel.table, all_rid, all_q, all_u)
        req2, _t2 = required_distances(rel.table, all_rid, 2.0 * all_q, all_u)
    else:
        req = req2 = np.zeros(0)
        term = np.zeros(0, dtype=np.int64)
    required = np.zeros(n_all)
    required2 = np.zeros(n_all)
    pair_rule = np.full(n_all, -1, dtype=np.int64)
    pair_term = np.full(n_all, -1, dtype=np.int64)
    pair_div = np.zeros(n_all, dtype=np.int64)
    keys, best = _first_per_key(all_pair, req, largest=True)
    required[keys] = req[best]
    has_rule = req[best] > 0
    pair_rule[keys[has_rule]] = all_rid[best][has_rule]
    pair_term[keys[has_rule]] = term[best][has_rule]
    _start, ctype, _q, _u = cases.arrays()
    pair_div[keys] = ctype[all_case[best]]
    pair_q = np.zeros(n_all)
    pair_u = np.zeros(n_all)
    pair_q[keys] = all_q[best]
    pair_u[keys] = all_u[best]
    if all_pair.size:
        np.maximum.at(required2, all_pair, req2)
    # decision 30: a very sensitive storage site as ES: the pair needs an assessment, a violation until then
    vs_pair = vs_site[c_es] & (c_dist <= reach_owner[c_owner]) if c_es.size else np.zeros(0, dtype=bool)
    listed = (c_dist < required2) | vs_pair  # violations and near misses (DESIGN.md)
    unavailable_rule = np.array([rule_unavailable(rs, r) for r in rel.rules] + [False], dtype=bool)
    # decision 31: a listed pair any of whose relations cannot give the degree asked is a violation until assessed
    pair_unavailable = np.zeros(n_all, dtype=bool)
    if all_pair.size:
        np.logical_or.at(pair_unavailable, all_pair, unavailable_rule[all_rid])
    pair_unavailable &= listed
    order = np.lexsort((c_es, c_pes))
    order = order[listed[order]]
    result_pairs = {
        "pes": c_pes[order], "es": c_es[order], "dist": c_dist[order], "req": required[order],
        "rule": pair_rule[order], "term": pair_term[order], "div": pair_div[order], "owner": c_owner[order],
        "assess": vs_pair[order],
        "q": pair_q[order], "u": pair_u[order], "unavailable": pair_unavailable[order],
    }
    assess_es: dict[int, list[str]] = {}
    for o_, j_ in sorted(set(zip(c_owner[vs_pair].tolist(), c_es[vs_pair].tolist(), strict=True))):
        assess_es.setdefault(o_, []).append(depot.sites[j_].id)
    fail_owner = np.zeros(n_owner, dtype=bool)
    failing = (c_dist < required) | vs_pair | pair_unavailable
    np.logical_or.at(fail_owner, c_owner[failing], True)
    ratio = np.where(required > 0, c_dist / np.where(required > 0, required, 1.0), np.inf)
    worst_keys, worst_rows = _first_per_key(c_owner, ratio, largest=False)
    worst_es = {int(o): int(c_es[r]) for o, r in zip(worst_keys, worst_rows, strict=True)
                if math.isfinite(ratio[r])}

    # ---------------------------------------------- licences and headroom
    tick(0.6, "licences")
    lic, labels = _licence_owners(rs, stock, owner_members, with_licences=licences)
    lone_owner = owner[lone]
    lone_rows = _ClassRows.concat([])
    # One search, as far as each class's own rule could require at the licence ceiling (or at
    # twice the NEQ held, if more): no ES beyond can limit below the ceiling, and a class stops
    # at its nearest ES as soon as that is found.
    ceiling = rs.licence_ceiling_kg
    first_caps = None
    if lone.size:
        _s0, _c0, q0, _u0 = cases.arrays()
        first_caps = _class_caps(rs, rel, lone, lone_owner, [
            (cases, np.maximum(2.0 * q0, ceiling)), (lic, np.full(len(lic.q), ceiling))])
        lone_rows = _class_search(rs, rel, ka, fp, bearings, lone, lone_owner, cases, lic, first_caps)
    rows = _ClassRows.concat([lone_rows, g_rows])
    lic_limit, lic_es, lic_why = _limits(rel, rows, lic, n_owner)
    head_limit, head_es, _head_why = _limits(rel, rows, cases, n_owner)
    if group_owners.size:
        need_g = _caps_from_limits(rs, rel, cases, lic, head_limit, lic_limit, group_owners).max(axis=1)
        more_g = np.flatnonzero(need_g > r2_owner[group_owners] + 1e-9)
        if more_g.size:
            rg = r2_owner[group_owners].copy()
            rg[more_g] = need_g[more_g]
            gq, ge, gd, _gn, rc, rk = group_view(rg)
            g_rows = to_class_rows(group_owners[gq], ge, gd, rc, rk)
            # the groups' rows changed, the lone PES's did not: the groups' limits again
            lic_limit, lic_es, lic_why = _limits_again(rel, g_rows, lic, n_owner, group_owners,
                                                       (lic_limit, lic_es, lic_why))
            head_limit, head_es, _head_why = _limits_again(rel, g_rows, cases, n_owner, group_owners,
                                                           (head_limit, head_es, _head_why))

    sites_out = _sites(depot, rs, stock, pes_idx, owner, owner_members, cases, lic, labels, lic_limit, lic_es,
                       head_limit, head_es, fail_owner, worst_es, licences, group_pos, assess_es,
                       lic_why=lic_why, rules=rel.rules)
    tick(1.0, "done")
    return CheckResult(
        depot=depot, rule_set=rs, pair_pes=result_pairs["pes"], pair_es=result_pairs["es"],
        pair_distance_m=result_pairs["dist"], pair_required_m=result_pairs["req"],
        pair_rule_id=result_pairs["rule"], pair_term=result_pairs["term"], pair_division=result_pairs["div"],
        pair_aggregated=group_pos[result_pairs["owner"]] >= 0, pair_group=group_pos[result_pairs["owner"]],
        rules=rel.rules, case_types=cases.types, site_builder=sites_out, groups=groups, aggregations=aggregations,
        notes=notes, n_storehouses=int(pes_idx.size),
        n_incompatible=sum(1 for i in pes_idx.tolist() if not stock[int(i)].compatible),
        n_conditional=sum(1 for i in pes_idx.tolist() if stock[int(i)].status == "conditional"),
        pair_assessment=result_pairs["assess"], assessment_why=vs_why,
        assessment_source=vs_rule.source if vs_rule is not None else "",
        pair_neq_kg=result_pairs["q"], pair_unit_neq_kg=result_pairs["u"],
        pair_protection_unavailable=result_pairs["unavailable"] if protection != "default" else None,
    )


def default_cell_m_all(fp: Any) -> float:
    """Grid cell of a box query over every site [m]: about one site per cell."""
    from depotsafe.kernels.geometry import site_bounds

    bx0, by0, bx1, by1 = site_bounds(*fp.args()[:5])
    n = max(fp.n_sites, 1)
    w = float(bx1.max() - bx0.min()) if n else 1.0
    h = float(by1.max() - by0.min()) if n else 1.0
    cell = max(math.sqrt(max(w * h, 1.0) / n), 1e-3 * max(w, h, 1.0))
    while (w / cell + 1) * (h / cell + 1) > 4 * n + 16:
        cell *= 1.5
    return cell


def _licence_owners(
    rs: RuleSet, stock: dict[int, SiteStock], owner_members: list[list[int]], with_licences: bool = True,
) -> tuple[_Cases, list[list[str]]]:
    """One licence owner per owner (group or lone PES): a case per licence division (q is a placeholder)."""
    labels = []
    types = {div: CaseType(div, ("3A", "3B") if div == "1.3" else ()) for div in LICENCE_DIVISIONS}
    plain = [div for div in LICENCE_DIVISIONS if div in rs.divisions and div != "1.6"]
    made: dict[tuple[bool, float], tuple[list[tuple[CaseType, float, float]], list[str]]] = {}
    owner_keys: list[tuple[bool, float] | None] = []
    for members in owner_members:
        if not with_licences:
            labels.append([])
            owner_keys.append(None)
            continue
        one = stock[members[0]].lines if len(members) == 1 else None
        if one is not None and len(one) == 1:  # a lone PES of one line (most): the same maximum, read at once
            unit16 = (one[0].unit_neq_kg or 0.0) if one[0].hd == "1.6" else 0.0
        else:
            unit16 = max((ln.unit_neq_kg or 0.0 for i in members for ln in stock[i].lines if ln.hd == "1.6"),
                         default=0.0)
        key = (unit16 > 0 and "1.6" in rs.divisions, unit16)
        got = made.get(key)
        if got is None:
            lab = plain + (["1.6"] if key[0] else [])
            got = made[key] = ([(types[d], 1.0, unit16) for d in lab], lab)
        labels.append(got[1])
        owner_keys.append(key)
    # as _Cases.from_lists of the case lists, each distinct case list resolved once (types registered in
    # the order of first appearance, as from_lists does)
    out = _Cases()
    resolved: dict[tuple[bool, float] | None, tuple[list[int], list[float], list[float]]] = {None: ([], [], [])}
    for key, (cs, _lab) in made.items():
        resolved[key] = ([out.type_id(ct) for ct, _q, _u in cs], [q for _ct, q, _u in cs], [u for _ct, _q, u in cs])
    per_owner = [resolved[k] for k in owner_keys]
    out.ctype = [t for r in per_owner for t in r[0]]
    out.q = [q for r in per_owner for q in r[1]]
    out.u = [u for r in per_owner for u in r[2]]
    out.start = np.concatenate([[0], np.cumsum([len(r[0]) for r in per_owner], dtype=np.int64)]).tolist()
    out._arrays = None
    return out, labels


def _caps_initial(
    rs: RuleSet, rel: _Relations, cases: _Cases, owners: np.ndarray, owner_kind: np.ndarray | None = None,
) -> np.ndarray:
    """First search caps per (owner, ES attributes): the envelope at twice the NEQ held [m]."""
    _s, _c, q, _u = cases.arrays()
    return _attr_caps(rs, rel, cases, owners, 2.0 * q, owner_kind)


def _caps_from_limits(
    rs: RuleSet, rel: _Relations, cases: _Cases, lic: _Cases, head_limit: np.ndarray, lic_limit: np.ndarray,
    owners: np.ndarray, owner_kind: np.ndarray | None = None,
) -> np.ndarray:
    """Caps per (owner, ES attributes) beyond which no ES can limit below the limits found [m].

    An ES of attributes a farther than the envelope of a at limit L cannot allow
    less than L (distances never fall as NEQ grows, decision 5).  Limits above
    the licence ceiling count as the ceiling.
    """
    ceiling = rs.licence_ceiling_kg
    out = _attr_caps(rs, rel, cases, owners, np.minimum(head_limit, ceiling), owner_kind)
    if lic.ctype:
        out = np.maximum(out, _attr_caps(rs, rel, lic, owners, np.minimum(lic_limit, ceiling), owner_kind))
    return out


def _attr_cells(rel: _Relations, fp: Any) -> np.ndarray:
    """Grid cell per ES attribute set: about one site per cell [m]."""
    from depotsafe.kernels.geometry import site_bounds

    bx0, by0, bx1, by1 = site_bounds(*fp.args()[:5])
    out = np.ones(len(rel.es_attr_list))
    for a in range(out.size):
        sel = rel.es_attr == a
        n = int(sel.sum())
        if n == 0:
            continue
        w = float(bx1[sel].max() - bx0[sel].min())
        h = float(by1[sel].max() - by0[sel].min())
        cell = max(math.sqrt(max(w * h, 1.0) / n), 1e-3 * max(w, h, 1.0), 1.0)
        while (w / cell + 1) * (h / cell + 1) > 4 * n + 16:
            cell *= 1.5
        out[a] = cell
    return out


_FACE_OF = (None, "front", "side", "rear")


def _class_caps(
    rs: RuleSet, rel: _Relations, sites: np.ndarray, site_owner: np.ndarray,
    sources: list[tuple[_Cases, np.ndarray]],
) -> np.ndarray:
    """(len(sites), n_attr * 32): per class of relation (columns of kernels.aggregate.class_nearest),
    the largest distance its own rule requires at the NEQ given per case [m] (0: class unused).

    An ES of that class farther than this cannot allow less than that NEQ (distances never
    fall as NEQ grows, decision 5; read at the next grid point above).
    """
    n_attr = len(rel.es_attr_list)
    ncol = n_attr * 32
    out = np.zeros((sites.size, ncol))
    pk_s = rel.pes_kind[sites]
    n_k = len(rel.kind_names)
    attr_ec = [kinds()[a[0]].earth_covered for a in rel.es_attr_list]
    for cases, neq in sources:
        start, ctype, _q, u = cases.arrays()
        counts = start[site_owner + 1] - start[site_owner]
        row_s = np.repeat(np.arange(sites.size), counts)
        first = np.cumsum(counts) - counts
        row_c = start[site_owner][row_s] + (np.arange(int(counts.sum())) - np.repeat(first, counts))
        for t, ct in enumerate(cases.types):
            sel = np.flatnonzero(ctype[row_c] == t)
            if sel.size == 0:
                continue
            t2 = _is_table2(rs, ct)
            key_of = np.zeros((n_k, ncol), dtype=np.int64)  # 0: a zero row
            rids = []
            for kc in np.unique(pk_s[row_s[sel]]).tolist():
                pec = bool(rel.ec_kind[kc])
                w = 1 if (t2 and pec) else 0
                for a, attr in enumerate(rel.es_attr_list):
                    for sct in (1, 2, 3) if pec else (0,):
                        for e in (1, 2, 3) if attr_ec[a] else (0,):
                            try:
                                rid = rel.rule_id(ct, rel.kind_names[kc], _FACE_OF[sct], attr, _FACE_OF[e])
                            except InputError:
                                continue
                            rids.append(rid)
                            key_of[kc, a * 32 + w * 16 + sct * 4 + e] = len(rids)
            if not rids:
                continue
            n_q = _Q_GRID.size
            ids = np.repeat(np.asarray(rids, dtype=np.int64), n_q)
            qg = np.tile(_Q_GRID, len(rids))
            d = envelope_distances(rel.table, ids, qg)
            table = np.vstack([np.zeros(n_q), d.reshape(len(rids), n_q)])
            c = row_c[sel]
            gi = _grid_index(np.maximum(neq[c], u[c]))
            cols = np.flatnonzero(key_of.any(axis=0))  # the classes some kind of PES here can have
            vals = table[key_of[:, cols][pk_s[row_s[sel]]], gi[:, None]]
            sub = np.zeros((sites.size, cols.size))
            _max_rows_into(sub, row_s[sel], vals)
            out[:, cols] = np.maximum(out[:, cols], sub)
    return np.where(out > 0, out * (1 + 1e-9) + 1e-6, 0.0)


_CLASS_BLOCK = 8192


def _class_search(
    rs: RuleSet, rel: _Relations, ka: Any, fp: Any, bearings: np.ndarray, sites: np.ndarray,
    site_owner: np.ndarray, cases: _Cases, lic: _Cases, cap: np.ndarray | None,
) -> _ClassRows:
    """For each lone PES: the nearest ES of every class of relation within its caps.

    Within one class (ES attributes, PES sector, ES face) the rule is the same, and
    the quantity it allows grows with the distance: the nearest ES of the class is
    the one that limits (every ES touching two sectors counts in both).
    """
    if cap is None:
        cap = _class_caps(rs, rel, sites, site_owner, [(cases, 2.0 * cases.arrays()[2])])
    n_attr = len(rel.es_attr_list)
    attr_ec = np.array([kinds()[a[0]].earth_covered for a in rel.es_attr_list], dtype=bool)
    grids = ka.attribute_grids(rel.es_attr, n_attr, *fp.args()[:5], _attr_cells(rel, fp))
    bear = np.where(np.isfinite(bearings), bearings, 0.0)
    parts = []
    bits = np.array([0, 1, 2, 4], dtype=np.int64)
    for b0 in range(0, sites.size, _CLASS_BLOCK):
        blk = slice(b0, b0 + _CLASS_BLOCK)
        best_d, best_j = ka.class_nearest(
            np.ascontiguousarray(sites[blk], dtype=np.int64), np.ascontiguousarray(cap[blk], dtype=np.float64),
            attr_ec, rel.ec, bear, FRONT_HALF_ANGLE_DEG, FRONT_HALF_ANGLE_HD12_DEG,
            REAR_HALF_ANGLE_DEG, SECTOR_TOL_M, *grids, *fp.args())
        k, col = np.nonzero(best_j >= 0)
        a = col // 32
        site = sites[blk][k]
        parts.append(_ClassRows(
            owner=site_owner[blk][k], pk=rel.pes_kind[site], w=(col % 32) // 16, pm=bits[(col % 16) // 4],
            em=bits[col % 4], ea=a.astype(np.int64), dist=best_d[k, col], es=best_j[k, col]))
    return _ClassRows.concat(parts)


def _sites(
    depot: Depot, rs: RuleSet, stock: dict[int, SiteStock], pes_idx: np.ndarray, owner: np.ndarray,
    owner_members: list[list[int]], cases: _Cases, lic: _Cases, labels: list[list[str]], lic_limit: np.ndarray,
    lic_es: np.ndarray, head_limit: np.ndarray, head_es: np.ndarray, fail_owner: np.ndarray,
    worst_es: dict[int, int], with_licences: bool, group_pos: np.ndarray,
    assess_es: dict[int, list[str]] | None = None, lic_why: _LimitWhy | None = None,
    rules: list[Rule] | None = None,
) -> Callable[[], list[dict[str, Any]]]:
    """The per-site records (built on first use: a large depot may only be streamed)."""
    ids = [s.id for s in depot.sites]
    lstart, lctype, _lq, _lu = lic.arrays()
    start, ctype, cq, _cu = cases.arrays()
    ceiling = rs.licence_ceiling_kg
    at_least_type: dict[CaseType, bool] = {}

    def grows(ct: CaseType) -> bool:
        """Whether some rule of this case type still grows beyond the licence ceiling."""
        if ct not in at_least_type:
            _i, env = _envelopes(rs, ct)
            at_least_type[ct] = env.max(axis=0)[-1] > float(search_radius_m(rs, ct, np.array([ceiling]))[0])
        return at_least_type[ct]

    grows_case = [grows(ct) for ct in cases.types]
    grows_lic = [grows(ct) for ct in lic.types]
    # plain Python values, read once (the records are built per owner)
    start_l, ctype_l, cq_l = start.tolist(), ctype.tolist(), cq.tolist()
    head_limit_l, head_es_l = head_limit.tolist(), head_es.tolist()
    lstart_l, lctype_l = lstart.tolist(), lctype.tolist()
    lic_limit_l, lic_es_l = lic_limit.tolist(), lic_es.tolist()

    why_cache: dict[tuple[int, int], dict[str, Any]] = {}

    def owner_record(o: int) -> dict[str, Any]:
        head = []
        for c in range(start_l[o], start_l[o + 1]):
            lim = head_limit_l[c]
            least = False
            if lim >= ceiling and grows_case[ctype_l[c]]:
                lim, least = ceiling, True  # ES beyond the ceiling's distances are not searched
            head.append({
                "hd": cases.types[ctype_l[c]].division,
                "neq_kg": cq_l[c],
                "max_neq_kg": None if math.isinf(lim) else lim,
                "headroom_kg": None if math.isinf(lim) else lim - cq_l[c],
                "limiting_es": ids[head_es_l[c]] if head_es_l[c] >= 0 and not math.isinf(lim) and not least
                else None,
                "max_neq_at_least": least,
            })
        lic_vals, lic_least, lic_lim_es = {}, {}, {}
        lic_why_d: dict[str, dict[str, Any] | None] = {}
        for c in range(lstart_l[o], lstart_l[o + 1]):
            d = labels[o][c - lstart_l[o]]
            v = lic_limit_l[c]
            least = False
            if v >= ceiling and grows_lic[lctype_l[c]]:
                v, least = ceiling, True
            lic_vals[d] = v
            lic_least[d] = least
            lic_lim_es[d] = ids[lic_es_l[c]] if lic_es_l[c] >= 0 and math.isfinite(v) else None
            lic_why_d[d] = _licence_why(lic_why, rules, c, lic_lim_es[d], least, why_cache)
        limiting = worst_es.get(o)
        if limiting is None and head:
            ratios = [(h["max_neq_kg"] / h["neq_kg"], h["limiting_es"]) for h in head
                      if h["max_neq_kg"] is not None and h["neq_kg"] > 0 and h["limiting_es"]]
            limiting_id = min(ratios)[1] if ratios else None
        else:
            limiting_id = ids[limiting] if limiting is not None else None
        return {
            "licence_limit_kg": {d: (None if math.isinf(v) else v) for d, v in lic_vals.items()},
            "licence_unlimited": {d: math.isinf(v) for d, v in lic_vals.items()},
            "licence_at_least": lic_least,
            "limiting_es": lic_lim_es,
            # the distance and the rule (table, row, column, source) that set each licence limit
            "licence_limiting": lic_why_d,
            # decision 30: toward very sensitive contents the licence is what an assessment allows; the
            # figures above are the tables' (for information only)
            "licence_basis": {d: "assessment" if (assess_es or {}).get(o) else "quantity-distance" for d in lic_vals},
            "assessment_es": list((assess_es or {}).get(o, [])),
            "mixed_stock": {"compliant": not bool(fail_owner[o]), "limiting_es": limiting_id, "cases": head},
        }

    member_ids: dict[int, list[str]] = {}
    group_neq: dict[int, dict[str, float]] = {}

    def build() -> list[dict[str, Any]]:
        out = []
        cache: dict[int, dict[str, Any]] = {}
        for i in pes_idx.tolist():
            s = stock[i]
            o = int(owner[i])
            rec = cache.get(o)
            if rec is None:
                rec = cache[o] = owner_record(o)
            members = owner_members[o]
            grouped = len(members) > 1
            if grouped and o not in member_ids:
                member_ids[o] = [ids[m] for m in members]  # one list per group, shared by its members
            site = {
                "id": ids[i],
                "kind": depot.sites[i].kind,
                "neq_kg": s.neq_by_division,
                **rec,
                "compatibility": {"compatible": s.compatible, "status": s.status, "conflicts": s.conflicts,
                                  "conditions": s.conditions},
                "aggregation_group": member_ids[o] if grouped else [],
                # the licence, the limits and the verdict above are those of the whole group
                "licence_applies_to": "group" if grouped else "site",
            }
            if grouped:
                site["group_id"] = f"G{int(group_pos[o]) + 1}"
                if o not in group_neq:
                    tot: dict[str, float] = {}
                    for m in members:
                        for d, v in stock[m].neq_by_division.items():
                            tot[d] = tot.get(d, 0.0) + v
                    group_neq[o] = tot
                site["group_neq_kg"] = group_neq[o]
            out.append(site)
        return out

    _ = with_licences
    return build


def _licence_why(why: _LimitWhy | None, rules: list[Rule] | None, c: int, es: str | None,
                 at_least: bool, cache: dict[tuple[int, int], dict[str, Any]] | None = None,
                 ) -> dict[str, Any] | None:
    """What sets licence case ``c``: its limiting ES, the distance to it and the rule term that limits.

    None where no exposed site limits it (unlimited, or "at least" the ceiling).  ``cache``
    holds the rule's part by (rule, term): records of the same rule share its lists.
    """
    if why is None or rules is None or es is None or at_least:
        return None
    rid = int(why.rule[c])
    if rid < 0:
        return None
    t = int(why.term[c])
    static = cache.get((rid, t)) if cache is not None else None
    if static is None:
        rule = rules[rid]
        term = rule.terms[t] if 0 <= t < len(rule.terms) else None
        rel = rule.relation
        static = {
            "rule": term.code if term else "No QD",
            "rule_label": term.label if term else "No QD",
            "source": term.source if term else "",
            "table": term.table if term else "",
            "cells": list(rule.cells),
            "relation": {"pes_kind": rel.pes_kind, "pes_face": rel.pes_face, "es_kind": rel.es_kind,
                         "es_face": rel.es_face, **({"traffic": rel.traffic} if rel.traffic else {})},
        }
        if cache is not None:
            cache[(rid, t)] = static
    return {"es": es, "distance_m": float(why.dist[c]), **static}


GROUP_INLINE_MAX = 100
"""In JSON, a group of more members than this is named by its id ("G1") in pair and site
records instead of listing its members again (its members are listed once, in
``aggregations``): the output stays bounded by sites + pairs."""


def compact_group_refs(record: dict[str, Any]) -> dict[str, Any]:
    """A pair or site record for JSON: a large group's member list replaced by its id.

    In a site record of such a group, ``licence_limiting`` (the same for every member: the
    licence is the group's) is replaced by the group's id too; it is given once, in the
    group's entry of ``aggregations`` (``aggregations_with_licences``).
    """
    for key in ("group", "aggregation_group"):
        members = record.get(key)
        if members is not None and len(members) > GROUP_INLINE_MAX:
            record = {**record, key: record.get("group_id", "")}
            if key == "aggregation_group" and "licence_limiting" in record:
                record["licence_limiting"] = record["group_id"]
    return record


def group_licence(site: dict[str, Any]) -> dict[str, Any]:
    """A group's licence, from one of its members' site records (the licence is the group's)."""
    return {key: site[key] for key in ("licence_limit_kg", "licence_limiting") if key in site}


def aggregations_with_licences(aggregations: list[dict[str, Any]],
                               licences: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``aggregations`` entries with the group's ``licence_limit_kg`` and ``licence_limiting``
    (added keys; ``licences`` by group id, from ``group_licence``)."""
    return [{**a, **licences.get(a["id"], {})} for a in aggregations]


__all__ = ["FACES", "CaseType", "CheckResult", "check_depot", "search_radius_m"]
