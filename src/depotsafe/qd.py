"""Quantity-distance rules engine for one PES–ES relation.

Two steps:

1. :func:`resolve_rule` turns a relation (rule set, QD division, PES kind and
   face, ES kind and face, traffic, ...) into a :class:`Rule`: the list of
   terms (distance function with a minimum, or a fixed distance) whose
   largest value is the required distance.  All the project decisions of
   standards.md section 9 that pick matrix rows, columns and alternatives live
   in the rule-set data this step reads; this code only follows the data.
2. :func:`required_distance_m` and :func:`max_neq_kg` evaluate a rule in both
   directions, in plain Python.  They are the scalar reference of the kernels
   in :mod:`depotsafe.kernels.qd`, which evaluate millions of pairs.

Semantics (data/README.md):

* a distance function is the running maximum of its branches from its first
  branch start, and never less than its printed floor (decision 5), so a
  required distance never falls as the NEQ grows;
* a term's value is ``scale * max(minimum, function(Q))``;
* the required distance is the largest value of the terms that apply; a rule
  without terms is "No QD" (0 m, unlimited quantity);
* the quantity limit at a distance is the largest NEQ whose required distance
  does not exceed it: 0 ("nil") when not even the smallest quantity fits,
  infinity ("unlimited") when no term depends on the NEQ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from depotsafe.errors import InputError, one_of
from depotsafe.kinds import get_kind, kinds
from depotsafe.messages import Note
from depotsafe.rules import FORM_LOGQUAD_CEIL, FORM_POWER, RuleSet

FACES = ("front", "side", "rear")
TRAFFIC = ("heavy", "light")

Q_SOURCE_AGGREGATE = 0
Q_SOURCE_UNIT = 1


#: A rule term's label in words (depotsafe.messages.Note: the command line says it in the user's language,
#: the table and function codes as AASTP-1 prints them).
LABEL = "Table {table} {code}"
LABEL_MINIMUM = "{label} (>= {minimum:g} m)"
LABEL_SCALED = "{scale:g} x {label}"
LABEL_BLAST_ONLY = "{label} blast only, at the NEQ of one munition"
LABEL_FIXED = "Table {table}: fixed {fixed:g} m"
LABELS = (LABEL, LABEL_MINIMUM, LABEL_SCALED, LABEL_BLAST_ONLY, LABEL_FIXED)


@dataclass(frozen=True)
class Relation:
    """How a PES and an ES stand to each other, as far as the tables care."""

    pes_kind: str
    es_kind: str
    pes_face: str | None = None
    es_face: str | None = None
    traffic: str | None = None
    sparse: bool = False
    evacuable: bool = False
    es_door_barricade: bool = False


@dataclass(frozen=True)
class RuleTerm:
    """One term of a resolved rule.  ``func_index`` -1 means a fixed distance."""

    func_index: int
    min_m: float
    scale: float
    q_source: int
    use_floor: bool
    code: str  # e.g. "D13" or "FIX"
    label: str  # e.g. "Table 1 D13 (>= 400 m)"
    source: str
    table: str = ""


@dataclass(frozen=True)
class Rule:
    """The resolved rule of one relation and QD division."""

    division: str
    relation: Relation
    terms: tuple[RuleTerm, ...]
    cells: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def needs_unit_neq(self) -> bool:
        return any(t.q_source == Q_SOURCE_UNIT for t in self.terms)


# ------------------------------------------------------------- validation


def validate_relation(relation: Relation) -> Relation:
    """Check kinds, faces and traffic; return the relation with defaults filled.

    Raises
    ------
    InputError
        Unknown kind, a PES kind that holds no explosives, a face on a kind
        that has none (or none where one is needed), traffic on a kind that is
        not a route (decisions 17 and 20).
    """
    pes = get_kind(relation.pes_kind, "pes")
    es = get_kind(relation.es_kind, "es")
    if pes.holds_explosives == "no":
        explosive = [k for k, v in kinds().items() if v.holds_explosives != "no"]
        raise InputError("pes", relation.pes_kind, "a PES must hold explosives; " + one_of(explosive))
    for name, kind, face in (("pes", pes, relation.pes_face), ("es", es, relation.es_face)):
        if kind.earth_covered:
            if face is None:
                raise InputError(
                    f"{name}-face", None, f"{kind.name} is earth-covered and needs a face; " + one_of(FACES)
                )
            if face not in FACES:
                raise InputError(f"{name}-face", face, one_of(FACES))
        elif face is not None:
            raise InputError(
                f"{name}-face", face, f"only earth-covered kinds have a face, and {kind.name} is not one"
            )
    traffic = relation.traffic
    if relation.es_kind == "public_traffic_route":
        if traffic is None:
            traffic = "heavy"  # the larger distance (DESIGN.md)
        elif traffic not in TRAFFIC:
            raise InputError("traffic", traffic, one_of(TRAFFIC))
    elif traffic is not None:
        raise InputError("traffic", traffic, f"traffic belongs to public_traffic_route only, not {es.name}")
    if relation.es_door_barricade and not es.earth_covered:
        raise InputError("door_barricade", True, "a door barricade belongs to earth-covered exposed sites only")
    return Relation(
        pes_kind=relation.pes_kind,
        es_kind=relation.es_kind,
        pes_face=relation.pes_face,
        es_face=relation.es_face,
        traffic=traffic,
        sparse=relation.sparse,
        evacuable=relation.evacuable,
        es_door_barricade=relation.es_door_barricade,
    )


def check_division(rule_set: RuleSet, division: str, field: str = "hd") -> None:
    """Raise an InputError if the rule set has no rule for ``division``."""
    if division in rule_set.divisions:
        return
    allowed = one_of(rule_set.divisions)
    if division == "1.2.3":
        allowed = (
            "HD 1.2.3 does not exist in AASTP-1 (2006), the tables of rule set "
            f"{rule_set.name!r}; " + allowed
        )
    elif division == "1.2":
        allowed = "give the QD sub-division 1.2.1 (> 0.71 kg NEQ per round) or 1.2.2; " + allowed
    if rule_set.partial:
        allowed = f"rule set {rule_set.name!r} is partial; " + allowed
    raise InputError(field, division, allowed)


# ------------------------------------------------------------- resolution


def _match(value: str, pattern: str) -> bool:
    return pattern in ("*", value)


def _face_matches(face: str | None, pattern: str) -> bool:
    if pattern == "*":
        return True
    return pattern == "" if face is None else pattern == face


@lru_cache(maxsize=64)
def _by_table(rule_set: RuleSet) -> dict[str, tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]]:
    """The PES columns, ES rows and text rules of each table of ``rule_set``, in the rule set's order.

    :func:`resolve_rule` reads only those of the tables of one division; looking them up
    instead of scanning every table's entries is most of the time of a process's first
    check (its envelopes resolve every relation of every case type, decision 5).
    """
    out: dict[str, tuple[list[Any], list[Any], list[Any]]] = {}
    for entries, k in ((rule_set.pes_columns, 0), (rule_set.es_rows, 1), (rule_set.extra, 2)):
        for e in entries:
            out.setdefault(e.table, ([], [], []))[k].append(e)
    return {t: (tuple(c), tuple(r), tuple(x)) for t, (c, r, x) in out.items()}


@lru_cache(maxsize=4096)
def resolve_rule(
    rule_set: RuleSet,
    division: str,
    relation: Relation,
    hd13_tables: tuple[str, ...] = ("3A", "3B"),
) -> Rule:
    """Resolve the rule for one QD division and one relation.

    Parameters
    ----------
    rule_set : RuleSet
    division : str
        QD division: "1.1", "1.2.1", "1.2.2", "1.3", "1.4", "1.5" or "1.6".
    relation : Relation
        Kinds, faces and flags; checked by :func:`validate_relation`.
    hd13_tables : tuple of str
        For HD 1.3: the tables that apply, ("3A",) for propellants (CG C),
        ("3B",) for other HD 1.3, both (the larger distance) when unknown.

    Returns
    -------
    Rule
    """
    check_division(rule_set, division)
    relation = validate_relation(relation)
    active_base = set()
    if relation.traffic:
        active_base.add(relation.traffic)
    if relation.sparse:
        active_base.add("sparse")
    if relation.evacuable:
        active_base.add("evac")
    if relation.es_door_barricade:
        active_base.add("door_barricade")
    if kinds()[relation.pes_kind].holds_explosives == "yes":
        active_base.add("storage_pes")  # a storage site, not a workshop (footnote o, decision 27)

    terms: list[RuleTerm] = []
    cells: list[str] = []
    notes: list[str] = []
    tables = [d for d in rule_set.division_tables if d.division == division]
    if division == "1.3":
        tables = [d for d in tables if d.hd13_table in hd13_tables]
    if not tables:
        raise InputError("hd", division, f"rule set {rule_set.name!r} has no table for it")
    by_table = _by_table(rule_set)
    for dt in tables:
        table_cols, table_rows, table_extra = by_table.get(dt.table, ((), (), ()))
        cols = [
            c.col
            for c in table_cols
            if _match(relation.pes_kind, c.pes_kind)
            and _face_matches(relation.pes_face, c.pes_face)
        ]
        mappings = [
            m
            for m in table_rows
            if _match(relation.es_kind, m.es_kind)
            and _face_matches(relation.es_face, m.es_face)
            and (
                m.door_barricade == ""
                or (m.door_barricade == "yes") == relation.es_door_barricade
            )
        ]
        if not cols or not mappings:
            missing = "PES column" if not cols else "ES row"
            raise InputError(
                "pes/es",
                f"{relation.pes_kind}/{relation.es_kind}",
                f"rule set {rule_set.name!r} table {dt.table} has no {missing} for this pair",
            )
        q_source = Q_SOURCE_UNIT if dt.q_source == "unit" else Q_SOURCE_AGGREGATE
        for col in cols:
            for mapping in mappings:
                active = (active_base | ({dt.tag} if dt.tag else set())) - mapping.suppress_tags
                active_f = frozenset(active)
                for row in mapping.rows:
                    sources = []
                    cell = rule_set.cells.get((dt.table, row, col))
                    if cell is not None:
                        sources.append((cell.terms, mapping.scale, cell.source, f"Table {dt.table} column {col} row {row}: {cell.printed}"))
                    for extra in table_extra:
                        if (
                            _match(col, extra.pes_col)
                            and _match(row, extra.es_row)
                            and _match(relation.es_kind, extra.es_kind)
                        ):
                            sources.append((extra.terms, 1.0, extra.source, f"Table {dt.table} text rule"))
                    if cell is None and not sources:
                        raise InputError(
                            "pes/es",
                            f"{relation.pes_kind}/{relation.es_kind}",
                            f"rule set {rule_set.name!r} table {dt.table} has no cell for column {col} row {row}",
                        )
                    for cell_terms, scale, source, described in sources:
                        used = [t for t in cell_terms if t.applies(active_f)]
                        cells.append(described)
                        for t in used:
                            if t.noqd:
                                continue
                            if t.fixed_m is not None:
                                if dt.blast_only:
                                    continue  # projection minimum, not blast (AASTP-1 §1.3.8.3)
                                terms.append(
                                    RuleTerm(-1, t.fixed_m, scale, q_source, True, "FIX",
                                             Note(LABEL_FIXED, table=dt.table, fixed=t.fixed_m), source, dt.table)
                                )
                                continue
                            func_index = rule_set.function_index[f"{dt.table}:{t.func}"]
                            minimum = 0.0 if dt.blast_only else t.min_m
                            label = Note(LABEL, table=dt.table, code=str(t.func))
                            if minimum:
                                label = Note(LABEL_MINIMUM, label=label, minimum=minimum)
                            if scale != 1.0:
                                label = Note(LABEL_SCALED, scale=scale, label=label)
                            if dt.blast_only:
                                label = Note(LABEL_BLAST_ONLY, label=label)
                            terms.append(
                                RuleTerm(func_index, minimum, scale, q_source, not dt.blast_only,
                                         str(t.func), label, source, dt.table)
                            )
        notes.append(dt.source)
    # Equal terms add nothing; keep the first of each.
    unique: list[RuleTerm] = []
    seen = set()
    for t in terms:
        key = (t.func_index, t.min_m, t.scale, t.q_source, t.use_floor)
        if key not in seen:
            seen.add(key)
            unique.append(t)
    return Rule(division, relation, tuple(unique), tuple(dict.fromkeys(cells)), tuple(dict.fromkeys(notes)))


# ------------------------------------------------------------- evaluation


def _branch_value(rule_set: RuleSet, b: int, q: float) -> float:
    a = rule_set.arrays
    if a.branch_form[b] == FORM_POWER:
        return float(a.branch_scale[b] * a.branch_c0[b] * q ** a.branch_c1[b])
    u = math.log(q)
    inner = float(a.branch_c0[b] + a.branch_c1[b] * u + a.branch_c2[b] * u * u)
    if a.branch_form[b] == FORM_LOGQUAD_CEIL:
        inner = float(math.ceil(inner))
    return float(a.branch_scale[b] * inner)


def _branch_max(rule_set: RuleSet, b: int, lo: float, hi: float) -> float:
    """Largest value of branch ``b`` over [lo, hi] (power branches increase)."""
    a = rule_set.arrays
    if a.branch_form[b] == FORM_POWER:
        return _branch_value(rule_set, b, hi)
    best = max(_branch_value(rule_set, b, lo), _branch_value(rule_set, b, hi))
    c1, c2 = float(a.branch_c1[b]), float(a.branch_c2[b])
    if c2 < 0:
        u_vertex = -c1 / (2.0 * c2)
        if math.log(lo) < u_vertex < math.log(hi):
            best = max(best, _branch_value(rule_set, b, math.exp(u_vertex)))
    return best


def function_distance_m(rule_set: RuleSet, func_index: int, q_kg: float, use_floor: bool = True) -> float:
    """Value of a distance function: the running maximum of its branches."""
    a = rule_set.arrays
    start, end = int(a.func_start[func_index]), int(a.func_end[func_index])
    q = max(q_kg, float(a.branch_q_lo[start]))
    best = float(a.func_floor[func_index]) if use_floor else 0.0
    for b in range(start, end):
        lo = float(a.branch_q_lo[b])
        if lo > q:
            break
        hi = min(q, float(a.branch_q_hi[b]))
        best = max(best, _branch_max(rule_set, b, lo, hi))
    return best


def term_distance_m(rule_set: RuleSet, term: RuleTerm, neq_kg: float, unit_neq_kg: float) -> float:
    """Value of one term [m]."""
    if rule_set.rounding == "table":  # decision 32: read the printed tables
        from depotsafe.tablemode import term_distance

        return term_distance(rule_set, term, neq_kg, unit_neq_kg)
    if term.func_index < 0:
        return term.scale * term.min_m
    q = unit_neq_kg if term.q_source == Q_SOURCE_UNIT else neq_kg
    value = function_distance_m(rule_set, term.func_index, q, term.use_floor)
    return term.scale * max(term.min_m, value)


def required_distance_m(
    rule_set: RuleSet, rule: Rule, neq_kg: float, unit_neq_kg: float = 0.0
) -> tuple[float, int]:
    """Required distance [m] and the index of the governing term (-1: No QD)."""
    best, arg = 0.0, -1
    for i, term in enumerate(rule.terms):
        value = term_distance_m(rule_set, term, neq_kg, unit_neq_kg)
        if value > best:
            best, arg = value, i
    return best, arg


def _branch_crossing(rule_set: RuleSet, b: int, target: float) -> float:
    """Smallest q in branch b with branch value > target, given value(q_lo) <= target.

    Returns infinity when the branch never exceeds ``target``.
    """
    a = rule_set.arrays
    lo, hi = float(a.branch_q_lo[b]), float(a.branch_q_hi[b])
    if _branch_max(rule_set, b, lo, hi if math.isfinite(hi) else lo * 1e30 + 1e30) <= target:
        return math.inf
    scale, c0, c1, c2 = (float(a.branch_scale[b]), float(a.branch_c0[b]), float(a.branch_c1[b]), float(a.branch_c2[b]))
    if a.branch_form[b] == FORM_POWER:
        q = (target / (scale * c0)) ** (1.0 / c1)
        return min(max(q, lo), hi)
    # logquad: c2 u^2 + c1 u + (c0 - target/scale) = 0, first upward crossing above u_lo.
    # With the inner ceil, scale*ceil(p) > target  <=>  p > floor(target/scale).
    threshold = target / scale
    if a.branch_form[b] == FORM_LOGQUAD_CEIL:
        # the largest whole n with scale * n <= target (exact, whatever the division rounds to)
        n = math.floor(threshold)
        while scale * (n + 1) <= target:
            n += 1
        while scale * n > target:
            n -= 1
        threshold = float(n)
    k = c0 - threshold
    u_lo = math.log(lo)
    if c2 == 0.0:
        if c1 <= 0:
            return math.inf
        u = -k / c1
    else:
        disc = c1 * c1 - 4.0 * c2 * k
        if disc < 0:
            return math.inf if c2 < 0 else lo
        r1, r2 = sorted(((-c1 - math.sqrt(disc)) / (2 * c2), (-c1 + math.sqrt(disc)) / (2 * c2)))
        if c2 > 0:
            u = r2  # convex: below target between the roots
        else:
            if u_lo >= r2:
                return math.inf  # on the falling side
            u = r1
        u = max(u, u_lo)
    return min(max(math.exp(u), lo), hi)


def function_limit_kg(rule_set: RuleSet, func_index: int, distance_m: float, use_floor: bool = True) -> float:
    """Largest Q with function value <= distance (before float polishing)."""
    a = rule_set.arrays
    start, end = int(a.func_start[func_index]), int(a.func_end[func_index])
    if use_floor and a.func_floor[func_index] > distance_m:
        return 0.0
    first_lo = float(a.branch_q_lo[start])
    if _branch_value(rule_set, start, first_lo) > distance_m if first_lo > 0 else False:
        return 0.0
    best = math.inf
    for b in range(start, end):
        lo = float(a.branch_q_lo[b])
        if lo > 0 and _branch_value(rule_set, b, lo) > distance_m:
            best = min(best, lo)
            break
        best = min(best, _branch_crossing(rule_set, b, distance_m))
    return best


def max_neq_kg(
    rule_set: RuleSet, rule: Rule, distance_m: float, unit_neq_kg: float = 0.0
) -> tuple[float, int]:
    """Largest NEQ [kg] whose required distance is <= ``distance_m``.

    Returns ``(limit, limiting term index)``: limit 0 is "nil", infinity is
    "unlimited" (index -1).  The limit is exact in floating point: the
    required distance of the limit does not exceed ``distance_m`` and that of
    the next larger float does.
    """
    if rule_set.rounding == "table":  # decision 32: the next lesser tabulated quantity
        from depotsafe.tablemode import max_neq

        return max_neq(rule_set, rule, distance_m, unit_neq_kg)
    limit, arg = math.inf, -1
    for i, term in enumerate(rule.terms):
        if term.func_index < 0 or term.q_source == Q_SOURCE_UNIT:
            if term_distance_m(rule_set, term, 0.0, unit_neq_kg) > distance_m:
                return 0.0, i
            continue
        target = distance_m / term.scale
        if term.min_m > target:
            return 0.0, i
        q = function_limit_kg(rule_set, term.func_index, target, term.use_floor)
        if q < limit:
            limit, arg = q, i
    if limit == 0.0 or not math.isfinite(limit):
        return limit, arg

    def fits(q: float) -> bool:
        return required_distance_m(rule_set, rule, q, unit_neq_kg)[0] <= distance_m

    # Polish to the exact float boundary (the closed forms are within a few ulps).
    for _ in range(256):
        if fits(limit) or limit == 0.0:
            break
        limit = math.nextafter(limit, 0.0)
    else:  # pragma: no cover - the closed form was far off: bisect
        lo, hi = 0.0, limit
        while math.nextafter(lo, math.inf) < hi:
            mid = lo + (hi - lo) / 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        limit = lo
    for _ in range(256):
        up = math.nextafter(limit, math.inf)
        if not fits(up):
            break
        limit = up
    return limit, arg


# ------------------------------------------------------------- many pairs


@dataclass(frozen=True)
class RuleTable:
    """Resolved rules packed as the flat float64 tables the kernels take."""

    rule_set: RuleSet
    rules: tuple[Rule, ...]
    branches: np.ndarray
    functions: np.ndarray
    terms: np.ndarray
    spans: np.ndarray


def pack_rules(rule_set: RuleSet, rules: list[Rule] | tuple[Rule, ...]) -> RuleTable:
    """Pack resolved rules (and the rule set's functions) for the kernels."""
    a = rule_set.arrays
    branches = np.ascontiguousarray(
        np.column_stack(
            [a.branch_form, a.branch_q_lo, a.branch_q_hi, a.branch_c0, a.branch_c1, a.branch_c2, a.branch_scale]
        ),
        dtype=np.float64,
    )
    functions = np.ascontiguousarray(np.column_stack([a.func_start, a.func_end, a.func_floor]), dtype=np.float64)
    rows, spans = [], []
    for rule in rules:
        spans.append((len(rows), len(rows) + len(rule.terms)))
        rows.extend(
            (t.func_index, t.min_m, t.scale, float(t.q_source), 1.0 if t.use_floor else 0.0) for t in rule.terms
        )
    terms = np.ascontiguousarray(np.array(rows, dtype=np.float64).reshape(len(rows), 5))
    spans_a = np.ascontiguousarray(np.array(spans, dtype=np.float64).reshape(len(spans), 2))
    return RuleTable(rule_set, tuple(rules), branches, functions, terms, spans_a)


def _pair_arrays(table: RuleTable, rule_id: object, *values: object) -> tuple[np.ndarray, ...]:
    ids = np.array(rule_id, dtype=np.int64, order="C", ndmin=1)
    if ids.ndim != 1:
        raise ValueError("rule_id must be one-dimensional")
    if ids.size and (ids.min() < 0 or ids.max() >= len(table.rules)):
        raise ValueError("rule_id out of range of the rule table")
    out = [ids]
    for v in values:
        # a fresh writable C array: read-only or strided inputs would compile another signature
        arr = np.array(np.broadcast_to(np.asarray(v, dtype=np.float64), ids.shape), dtype=np.float64, order="C")
        if not np.all(np.isfinite(arr)):
            raise ValueError("quantities and distances must be finite")
        out.append(arr)
    return tuple(out)


def required_distances(
    table: RuleTable, rule_id: object, neq_kg: object, unit_neq_kg: object = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Required distance [m] and governing term of many pairs (Numba kernel).

    The kernel is :func:`depotsafe.kernels.qd._required_distances`; its
    reference is :func:`required_distance_m`.
    """
    from depotsafe.kernels.qd import _required_distances

    ids, neq, unit = _pair_arrays(table, rule_id, neq_kg, unit_neq_kg)
    if np.any(neq <= 0):
        raise ValueError("NEQ must be > 0")
    if table.rule_set.rounding == "table":  # decision 32
        from depotsafe.tablemode import table_required_distances

        return table_required_distances(table, ids, neq, unit)
    out_m = np.empty(ids.shape[0], dtype=np.float64)
    out_term = np.empty(ids.shape[0], dtype=np.int64)
    _required_distances(table.branches, table.functions, table.terms, table.spans, ids, neq, unit, out_m, out_term)
    return out_m, out_term


def max_neqs(
    table: RuleTable, rule_id: object, distance_m: object, unit_neq_kg: object = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Quantity limit [kg] of many pairs at their distances (0 nil, inf unlimited)."""
    from depotsafe.kernels.qd import _max_neqs

    ids, dist, unit = _pair_arrays(table, rule_id, distance_m, unit_neq_kg)
    if np.any(dist < 0):
        raise ValueError("distances must be >= 0")
    if table.rule_set.rounding == "table":  # decision 32
        from depotsafe.tablemode import table_max_neqs

        return table_max_neqs(table, ids, dist, unit)
    out_kg = np.empty(ids.shape[0], dtype=np.float64)
    out_term = np.empty(ids.shape[0], dtype=np.int64)
    _max_neqs(table.branches, table.functions, table.terms, table.spans, ids, dist, unit, out_kg, out_term)
    return out_kg, out_term


def all_relations() -> list[Relation]:
    """Every relation the kinds allow (faces, barricade, traffic, sparse, evacuable)."""
    out = []
    table = kinds()
    pes_opts = [
        (k, f)
        for k, v in table.items()
        if v.holds_explosives != "no"
        for f in (FACES if v.earth_covered else (None,))
    ]
    es_opts = []
    for k, v in table.items():
        for f in FACES if v.earth_covered else (None,):
            for bar in (False, True) if (v.earth_covered and f == "front") else (False,):
                if k == "public_traffic_route":
                    es_opts += [(k, f, bar, t, False, False) for t in TRAFFIC]
                elif v.holds_explosives == "no":
                    es_opts += [(k, f, bar, None, s, e) for s in (False, True) for e in (False, True)]
                else:
                    es_opts.append((k, f, bar, None, False, False))
    for pk, pf in pes_opts:
        for ek, ef, bar, tr, sp, ev in es_opts:
            out.append(Relation(pk, ek, pf, ef, tr, sp, ev, bar))
    return out
