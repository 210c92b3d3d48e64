"""The table mode (standards.md decision 32): distances read from the printed tables.

``formula`` (decision 4) computes every distance from its formula and is the
default.  ``table`` reads the printed AASTP-1 Annex I-A columns
(``printed_tables.csv`` of the rule set), as AASTP-1 §1.3.2.1 b) (p. I-3-17)
and Annex A describe:

* a distance is the printed distance of the next tabulated quantity up, the
  printed value itself (not the larger of printed and formula); a named
  misprint stays corrected (Table 1 D13 at 18,000 kg reads 590 m, not the
  printed 490), and where a printed value sits below its formula the answer
  says so;
* a quantity limit is the next lesser tabulated quantity whose printed
  distance is met;
* outside the printed columns the formula applies, with a note: below the first
  tabulated quantity, above the last one (there never less than the last printed
  distance, so that a distance never falls as the quantity grows, decision 5),
  text minimums (270 m, 400 m), fixed distances (HD 1.2, Tables 3A/3B),
  blast-only distances at the NEQ of one munition (HD 1.6) and any function
  without a printed column.

A text minimum is applied as in the formula mode: a term reads
``max(minimum, printed)``.  A scaled term (vulnerable buildings, 2 x IBD,
decision 21) reads the printed column scaled, ``scale x max(minimum, printed)``
(the order of the formula mode), and its limit is the next lesser tabulated
quantity whose scaled printed distance is met, as AASTP-1 Annex I-B §8 4)
(p. I-B-9) does: "900 m x 1/2 = 450 m must be used", 8,000 kg from D13.

A rule set in table mode is a view of the loaded rule set
(:func:`with_rounding`) whose ``rounding`` is ``"table"``: every function of
:mod:`depotsafe.qd` that evaluates a rule (the scalar references and the kernel
wrappers) reads it, so that the pairs, licences, arcs and siting maps of one
answer all follow one mode.  The many-pair path is vectorised here
(``np.searchsorted`` on each printed column) around the formula kernels of
:mod:`depotsafe.kernels.qd`, evaluated one term at a time; its reference is the
scalar path (:func:`term_distance`, :func:`max_neq`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from depotsafe.errors import InputError, one_of
from depotsafe.messages import Note
from depotsafe.rules import PrintedColumn, RuleSet, rule_set_view

#: The rounding modes (decisions 4 and 32); the first is the default.
ROUNDING_MODES: tuple[str, ...] = ("formula", "table")

def check_rounding(rounding: str, field: str = "rounding") -> str:
    """Return ``rounding`` if it is a known mode, else raise an InputError naming ``field``."""
    if rounding not in ROUNDING_MODES:
        raise InputError(field, rounding, one_of(ROUNDING_MODES))
    return rounding


def with_rounding(rule_set: RuleSet, rounding: str) -> RuleSet:
    """The rule set read in ``rounding`` mode (one object per rule set, mode and degree, per process)."""
    check_rounding(rounding)
    base = formula_rule_set(rule_set)
    if rounding == "table" and rule_set.rounding != "table":
        if not base.printed:
            raise InputError(
                "rounding", rounding,
                f"rule set {base.name!r} has no printed tables (printed_tables.csv); use formula",
            )
        for name, col in base.printed.items():
            falls = np.flatnonzero(np.diff(col.table_m) < 0)
            if falls.size:
                q = float(col.neq_kg[falls[0] + 1])
                raise InputError(
                    "rounding", rounding,
                    f"rule set {base.name!r}: the printed column {name} falls at {q:,.0f} kg as the table "
                    "mode reads it (printed_tables.csv against functions.csv); use formula",
                )
    return rule_set_view(rule_set, rounding=rounding)


def formula_rule_set(rule_set: RuleSet) -> RuleSet:
    """The formula-mode rule set behind a view (same degree of protection)."""
    return rule_set_view(rule_set, rounding="formula")


# ------------------------------------------------------------- one term


def column_of(rule_set: RuleSet, term: Any) -> PrintedColumn | None:
    """The printed column a term reads in table mode, or None (the formula applies).

    Only a function term has one: a function with a printed column, at the
    aggregate NEQ, with its floor.  A scaled term reads ``term.scale`` x the
    printed value (Annex I-B §8 4), p. I-B-9).
    """
    if term.func_index < 0 or term.q_source != 0 or not term.use_floor:
        return None
    return rule_set.printed.get(rule_set.functions[term.func_index].key)


def _formula_term(rule_set: RuleSet, term: Any, neq_kg: float, unit_neq_kg: float) -> float:
    from depotsafe.qd import function_distance_m

    if term.func_index < 0:
        return term.scale * term.min_m
    q = unit_neq_kg if term.q_source == 1 else neq_kg
    value = function_distance_m(rule_set, term.func_index, q, term.use_floor)
    return term.scale * max(term.min_m, value)


@dataclass(frozen=True)
class Reading:
    """How the table mode read one term at one quantity.

    ``where``: "table" (the printed row ``index``), "below_table", "above_table"
    (the formula, with the column's last printed value as a floor above it) or
    "formula" (no printed column: fixed, scaled, blast-only or unprinted).
    """

    value_m: float
    formula_m: float
    where: str
    column: PrintedColumn | None = None
    index: int = -1


def read_term(rule_set: RuleSet, term: Any, neq_kg: float, unit_neq_kg: float = 0.0) -> Reading:
    """The table-mode value of one term at ``neq_kg`` (see the module docstring)."""
    formula = _formula_term(rule_set, term, neq_kg, unit_neq_kg)
    col = column_of(rule_set, term)
    if col is None:
        return Reading(formula, formula, "formula")
    qs = col.neq_kg
    if neq_kg < qs[0]:
        return Reading(formula, formula, "below_table", col, -1)
    i = int(np.searchsorted(qs, neq_kg, side="left"))
    if i >= qs.size:
        last = term.scale * max(term.min_m, float(col.table_m[-1]))
        return Reading(max(formula, last), formula, "above_table", col, qs.size - 1)
    return Reading(term.scale * max(term.min_m, float(col.table_m[i])), formula, "table", col, i)


def term_distance(rule_set: RuleSet, term: Any, neq_kg: float, unit_neq_kg: float = 0.0) -> float:
    """Table-mode value of one term [m] (the reference of the vectorised path)."""
    return read_term(rule_set, term, neq_kg, unit_neq_kg).value_m


def _formula_limit(rule_set: RuleSet, rule: Any, term: Any, distance_m: float, unit_neq_kg: float) -> float:
    from depotsafe.qd import Rule, max_neq_kg

    single = Rule(rule.division, rule.relation, (term,), (), ())
    return max_neq_kg(formula_rule_set(rule_set), single, distance_m, unit_neq_kg)[0]


def term_limit(rule_set: RuleSet, rule: Any, term: Any, distance_m: float, unit_neq_kg: float = 0.0) -> float:
    """Table-mode quantity limit of one term at ``distance_m`` [kg] (0 nil, inf unlimited)."""
    col = column_of(rule_set, term)
    if col is None:
        return _formula_limit(rule_set, rule, term, distance_m, unit_neq_kg)
    if term.scale * term.min_m > distance_m:
        return 0.0
    p, qs = term.scale * col.table_m, col.neq_kg
    j = int(np.searchsorted(p, distance_m, side="right")) - 1
    if j < 0:  # not even the first tabulated quantity: the formula, below the table
        return min(_formula_limit(rule_set, rule, term, distance_m, unit_neq_kg), math.nextafter(float(qs[0]), 0.0))
    if j == qs.size - 1:  # the whole column is met: the formula above the table
        return max(float(qs[-1]), _formula_limit(rule_set, rule, term, distance_m, unit_neq_kg))
    return float(qs[j])


def max_neq(rule_set: RuleSet, rule: Any, distance_m: float, unit_neq_kg: float = 0.0) -> tuple[float, int]:
    """Table-mode quantity limit of a rule: the smallest of its terms' limits, and that term."""
    limit, arg = math.inf, -1
    for i, term in enumerate(rule.terms):
        q = term_limit(rule_set, rule, term, distance_m, unit_neq_kg)
        if q == 0.0:
            return 0.0, i
        if q < limit:
            limit, arg = q, i
    return limit, arg


# ------------------------------------------------------------- notes


#: The table mode's notes in words (depotsafe.messages.Note: each template a msgid of the app's catalogs).
KG = "{kg:,.0f} kg"
M_WHOLE = "{m:,.0f} m"
M_CM = "{m:,.2f} m"
SCALED_VALUE = "{distance} x {scale:g} = {scaled}"
TIMES = " x {scale:g}"
TM_FIXED = "table mode: a fixed distance of {distance}, the same in both modes (decision 32)"
TM_NOT_PRINTED = "table mode: {label}: not a printed column, the formula applies (decision 32)"
TM_NO_COLUMN = "table mode: {label}: no printed column, the formula applies (decision 32)"
TM_BELOW = ("table mode: {neq} is below the first tabulated quantity of {column} ({first}): the formula applies "
            "(decision 32)")
TM_ABOVE = ("table mode: {neq} is above the last tabulated quantity of {column} ({last}): the formula applies, "
            "never less than the last printed {floor} (decision 32)")
TM_READ = "table mode: {column} at {neq}, the next tabulated quantity up, prints {printed} ({page})"
TM_MISPRINT = "{text}; a misprint, read as {used} (decision 32)"
TM_BELOW_FORMULA = ("{text}; the printed value is below its formula ({exact:,.2f} m at {neq}): the table mode "
                    "uses the printed value (decision 32)")
TM_MINIMUM = "{text}; the minimum of {minimum} from the text governs (the same in both modes)"
TM_SCALED = ("{text}; a scaled distance ({label}): {scale:g} x {distance} = {value}, the printed column scaled as "
             "AASTP-1 Annex I-B §8 4) (p. I-B-9) does (decision 32)")
LM_MINIMUM = ("table mode: the minimum of {minimum}{scaled} from the text is not met, the same in both modes "
              "(decision 32)")
LM_FIRST = ("table mode: not even the first tabulated quantity of {column} ({first}, {distance}{scaled}) fits; "
            "below it the formula applies (decision 32)")
LM_BEYOND = "table mode: beyond the last tabulated quantity of {column} ({last}): the formula applies (decision 32)"
LM_READ = ("table mode: {neq} is the next lesser tabulated quantity of {column} whose printed distance ({what}, "
           "{page}) is met at {distance:,.1f} m")
LM_MISPRINT = "{text} (printed {printed}, a misprint)"
LM_SCALED = ("{text}; a scaled distance ({label}): the printed column scaled, as AASTP-1 Annex I-B §8 4) "
             "(p. I-B-9) does (\"900 m x 1/2 = 450 m must be used\")")
LM_END = "{text} (decision 32)"
#: Every template above (the catalogs hold each: depotsafe.ui.i18n.engine_templates).
NOTE_TEMPLATES = (KG, M_WHOLE, M_CM, SCALED_VALUE, TIMES, TM_FIXED, TM_NOT_PRINTED, TM_NO_COLUMN, TM_BELOW,
                  TM_ABOVE, TM_READ, TM_MISPRINT, TM_BELOW_FORMULA, TM_MINIMUM, TM_SCALED, LM_MINIMUM, LM_FIRST,
                  LM_BEYOND, LM_READ, LM_MISPRINT, LM_SCALED, LM_END)


def _kg(q: float) -> Note:
    return Note(KG, kg=q)


def _m(d: float) -> Note:
    return Note(M_WHOLE, m=d) if float(d).is_integer() else Note(M_CM, m=d)


def _page(text: str) -> str:
    """``p. I-A-13 (PDF p.170)`` from the ``pdf p170 (I-A-13)`` of printed_tables.csv."""
    m = re.match(r"^pdf p(\d+) \((I-[A-Z0-9]+-\d+)\)$", text.strip())
    return f"p. {m.group(2)} (PDF p.{m.group(1)})" if m else text


def _label(col: PrintedColumn) -> str:
    return f"Table {col.table} {col.code}"


def _scaled(distance: float, scale: float) -> Note:
    return _m(distance) if scale == 1.0 else Note(SCALED_VALUE, distance=_m(distance), scale=scale,
                                                  scaled=_m(scale * distance))


def distance_note(rule_set: RuleSet, term: Any, neq_kg: float, unit_neq_kg: float = 0.0) -> str:
    """What the table mode did for a governing term, in words (decision 32)."""
    r = read_term(rule_set, term, neq_kg, unit_neq_kg)
    col = r.column
    if col is None:
        if term.func_index < 0:
            return Note(TM_FIXED, distance=_m(term.scale * term.min_m))
        if term.q_source == 1 or not term.use_floor:
            return Note(TM_NOT_PRINTED, label=term.label)
        return Note(TM_NO_COLUMN, label=term.label)
    if r.where == "below_table":
        return Note(TM_BELOW, neq=_kg(neq_kg), column=_label(col), first=_kg(float(col.neq_kg[0])))
    if r.where == "above_table":
        return Note(TM_ABOVE, neq=_kg(neq_kg), column=_label(col), last=_kg(float(col.neq_kg[-1])),
                    floor=_scaled(float(col.table_m[-1]), term.scale))
    i = r.index
    q_tab, printed, used = float(col.neq_kg[i]), float(col.printed_m[i]), float(col.table_m[i])
    text = Note(TM_READ, column=_label(col), neq=_kg(q_tab), printed=_m(printed), page=_page(col.page[i]))
    status = col.status[i]
    if status == "misprint":
        text = Note(TM_MISPRINT, text=text, used=_m(used))
    elif status == "below_formula" or term.scale * used < r.formula_m:
        exact = _formula_term(rule_set, term, q_tab, unit_neq_kg)
        text = Note(TM_BELOW_FORMULA, text=text, exact=exact, neq=_kg(q_tab))
    if term.min_m > used:
        text = Note(TM_MINIMUM, text=text, minimum=_m(term.min_m))
    if term.scale != 1.0:
        text = Note(TM_SCALED, text=text, label=term.label, scale=term.scale, distance=_m(max(term.min_m, used)),
                    value=_m(r.value_m))
    return text


def limit_note(rule_set: RuleSet, rule: Any, term: Any, distance_m: float, limit_kg: float,
               unit_neq_kg: float = 0.0) -> str:
    """What the table mode did for a limiting term, in words (decision 32)."""
    col = column_of(rule_set, term)
    if col is None:
        return distance_note(rule_set, term, max(limit_kg, 1e-9) if math.isfinite(limit_kg) else 1.0, unit_neq_kg)
    k = term.scale
    scaled: str = "" if k == 1.0 else Note(TIMES, scale=k)
    if k * term.min_m > distance_m:
        return Note(LM_MINIMUM, minimum=_m(term.min_m), scaled=scaled)
    qs = col.neq_kg
    if limit_kg < qs[0]:
        return Note(LM_FIRST, column=_label(col), first=_kg(float(qs[0])), distance=_m(float(col.table_m[0])),
                    scaled=scaled)
    if limit_kg > qs[-1]:
        return Note(LM_BEYOND, column=_label(col), last=_kg(float(qs[-1])))
    i = int(np.searchsorted(qs, limit_kg, side="left"))
    used = float(col.table_m[i])
    text = Note(LM_READ, neq=_kg(float(qs[i])), column=_label(col), what=_scaled(used, k), page=_page(col.page[i]),
                distance=distance_m)
    if col.status[i] == "misprint":
        text = Note(LM_MISPRINT, text=text, printed=_m(float(col.printed_m[i])))
    if k != 1.0:
        text = Note(LM_SCALED, text=text, label=term.label)
    return Note(LM_END, text=text)


def table_reading(rule_set: RuleSet, term: Any, neq_kg: float, unit_neq_kg: float = 0.0) -> dict[str, Any] | None:
    """The printed row a table-mode distance was read from, for JSON (None: the formula applied)."""
    r = read_term(rule_set, term, neq_kg, unit_neq_kg)
    if r.column is None or r.where != "table":
        return None
    col, i = r.column, r.index
    return {
        "table": col.table, "function": col.code, "neq_kg": float(col.neq_kg[i]),
        "printed_m": float(col.printed_m[i]), "table_m": float(col.table_m[i]), "status": col.status[i],
        "page": _page(col.page[i]), "formula_m": r.formula_m,
        "scale": float(term.scale), "value_m": r.value_m,
    }


# ------------------------------------------------------------- many pairs


def _term_rows(table: Any, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row of each (pair, term), term row of it, start of each pair's terms, term counts)."""
    spans = table.spans
    if ids.size == 0 or spans.shape[0] == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(ids.size, dtype=np.int64), np.zeros(ids.size, dtype=np.int64)
    first = spans[ids, 0].astype(np.int64)
    counts = (spans[ids, 1] - spans[ids, 0]).astype(np.int64)
    row = np.repeat(np.arange(ids.size), counts)
    starts = np.cumsum(counts) - counts
    t = first[row] + (np.arange(row.size) - starts[row])
    return row, t.astype(np.int64), starts, counts


def _columns_of_terms(table: Any) -> tuple[np.ndarray, list[tuple[PrintedColumn, float]]]:
    """Per term row of the packed table: the index of its (printed column, scale) (-1 none), and those.

    The scale is the term's (``table.terms[:, 2]``, pack_rules), so that one group reads one scaled column.
    """
    rs = table.rule_set
    cols: list[tuple[PrintedColumn, float]] = []
    index: dict[tuple[str, float], int] = {}
    out = []
    for rule in table.rules:
        for term in rule.terms:
            col = column_of(rs, term)
            if col is None:
                out.append(-1)
                continue
            k = index.setdefault((f"{col.table}:{col.code}", float(term.scale)), len(cols))
            if k == len(cols):
                cols.append((col, float(term.scale)))
            out.append(k)
    return np.asarray(out, dtype=np.int64), cols


def _single_spans(n_terms: int) -> np.ndarray:
    k = np.arange(n_terms, dtype=np.float64)
    return np.ascontiguousarray(np.column_stack([k, k + 1.0]).reshape(n_terms, 2))


def formula_required_distances(table: Any, ids: np.ndarray, neq: np.ndarray, unit: np.ndarray
                               ) -> tuple[np.ndarray, np.ndarray]:
    """The formula kernel on checked arrays, whatever the table's mode."""
    from depotsafe.kernels.qd import _required_distances

    out_m = np.empty(ids.shape[0], dtype=np.float64)
    out_term = np.empty(ids.shape[0], dtype=np.int64)
    _required_distances(table.branches, table.functions, table.terms, table.spans, ids, neq, unit, out_m, out_term)
    return out_m, out_term


def _first_of_rows(vals: np.ndarray, starts: np.ndarray, counts: np.ndarray, largest: bool
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the largest (smallest) value of its terms and the first term holding it."""
    n = counts.size
    has = counts > 0
    best = np.full(n, 0.0 if largest else math.inf)
    arg = np.full(n, -1, dtype=np.int64)
    if not np.any(has):
        return best, arg
    s = starts[has]
    red = (np.maximum if largest else np.minimum).reduceat(vals, s)
    best[has] = red
    row = np.repeat(np.arange(n), counts)
    local = np.arange(vals.size) - starts[row]
    hit = vals == best[row]
    pos = np.where(hit, local, np.iinfo(np.int64).max)
    first = np.minimum.reduceat(pos, s)
    arg[has] = first
    if largest:
        arg[best <= 0.0] = -1  # as the kernel: only a value above 0 governs
    else:
        arg[np.isinf(best)] = -1
    return best, arg


def _formula_per_term(table: Any, ids: np.ndarray, x: np.ndarray, unit: np.ndarray, kernel: Any
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The formula-mode value of every term of every pair, by ``kernel`` (distances or limits).

    Returns the pair of each term row, its term, the rows' starts and counts per
    pair, and the values; table mode then overwrites the tabulated terms' values.
    """
    row, t, starts, counts = _term_rows(table, ids)
    vals = np.empty(row.size, dtype=np.float64)
    tmp = np.empty(row.size, dtype=np.int64)
    if row.size:
        kernel(table.branches, table.functions, table.terms, _single_spans(table.terms.shape[0]), t,
               np.ascontiguousarray(x[row]), np.ascontiguousarray(unit[row]), vals, tmp)
    return row, t, starts, counts, vals


def _tabulated_terms(table: Any, t: np.ndarray):
    """Each printed column with its scale and the term rows read from it."""
    col_of, cols = _columns_of_terms(table)
    c_t = col_of[t]
    for c, (col, scale) in enumerate(cols):
        sel = np.flatnonzero(c_t == c)
        if sel.size:
            yield sel, col, scale


def table_required_distances(table: Any, ids: np.ndarray, neq: np.ndarray, unit: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Table-mode required distance of many pairs and the governing term (checked arrays)."""
    from depotsafe.kernels.qd import _required_distances

    row, t, starts, counts, vals = _formula_per_term(table, ids, neq, unit, _required_distances)
    for sel, col, scale in _tabulated_terms(table, t):
        q = neq[row[sel]]
        min_m = table.terms[t[sel], 1]
        i = np.searchsorted(col.neq_kg, q, side="left")
        inside = (q >= col.neq_kg[0]) & (i < col.neq_kg.size)
        above = i >= col.neq_kg.size
        v = vals[sel]
        v = np.where(inside, scale * np.maximum(min_m, col.table_m[np.minimum(i, col.neq_kg.size - 1)]), v)
        v = np.where(above, np.maximum(v, scale * np.maximum(min_m, col.table_m[-1])), v)
        vals[sel] = v
    return _first_of_rows(vals, starts, counts, largest=True)


def table_max_neqs(table: Any, ids: np.ndarray, dist: np.ndarray, unit: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Table-mode quantity limit of many pairs and the limiting term (checked arrays)."""
    from depotsafe.kernels.qd import _max_neqs

    row, t, starts, counts, lims = _formula_per_term(table, ids, dist, unit, _max_neqs)
    for sel, col, scale in _tabulated_terms(table, t):
        d = dist[row[sel]]
        min_m = scale * table.terms[t[sel], 1]
        lf = lims[sel]
        n = col.neq_kg.size
        j = np.searchsorted(scale * col.table_m, d, side="right") - 1
        v = col.neq_kg[np.clip(j, 0, n - 1)].astype(np.float64)
        v = np.where(j < 0, np.minimum(lf, np.nextafter(col.neq_kg[0], 0.0)), v)
        v = np.where(j == n - 1, np.maximum(col.neq_kg[-1], lf), v)
        v = np.where(min_m > d, 0.0, v)
        lims[sel] = v
    return _first_of_rows(lims, starts, counts, largest=False)


def envelope_distances(table: Any, rule_id: Any, neq_kg: Any) -> np.ndarray:
    """An upper bound of the required distance at every quantity up to ``neq_kg`` of each pair,
    given that it is read at the next grid point up [m].

    Formula mode: the required distance (it never falls as the NEQ grows, decision 5).
    Table mode: the larger of the formula and the table-mode value, because below
    a column's first tabulated quantity the formula applies and may lie above the
    first printed value (Table 2 D1: 31.04 m below 10 kg, printed 30 m at 10 kg).
    """
    from depotsafe.qd import _pair_arrays, required_distances

    d, _ = required_distances(table, rule_id, neq_kg, neq_kg)
    if table.rule_set.rounding == "formula":
        return d
    ids, neq, unit = _pair_arrays(table, rule_id, neq_kg, neq_kg)
    f, _ = formula_required_distances(table, ids, neq, unit)
    return np.maximum(d, f)


__all__ = [
    "ROUNDING_MODES",
    "check_rounding",
    "distance_note",
    "envelope_distances",
    "limit_note",
    "max_neq",
    "read_term",
    "table_reading",
    "term_distance",
    "with_rounding",
]
