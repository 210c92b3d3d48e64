"""Degrees of protection against propagation (issue 9 item 7, decision 31).

Each storage-to-storage cell of AASTP-1 Annex I-A Tables 1, 2, 3A and 3B
gives, per alternative, a degree of protection (its footnote letters);
``protection.csv`` of the rule set holds them, with Annex I-B §20 b) 1)'s D12
for an igloo door facing an igloo door as a sourced alternative of rows 7
and 8, column f.  This module reads that file and answers two questions:

* what degree the required distance of a pair gives (the default reading,
  decision 15: the largest alternative of every cell);
* with a requested degree (``virtually-complete`` or ``high``), which
  alternative of each cell applies: the smallest whose degree is at least the
  one asked and whose conditions are all met (AUDIT_NOTES.md §1, item 5), or
  none.  :func:`requested_rule_set` turns that choice into a rule set whose
  cells carry only the chosen alternatives, so the engine and the kernels
  evaluate it as any other; a cell that cannot give the degree keeps its
  default terms and the answer says so (``protection_unavailable``).

Nothing here changes aggregation groups: the check merges storage sites by
the default reading whatever degree is asked (decision 14).
"""

from __future__ import annotations

import csv
import io
import re
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

from depotsafe.errors import InputError, one_of
from depotsafe.kinds import kinds
from depotsafe.rules import Cell, RuleSet, Term, parse_terms, rule_set_view

#: What a user may ask for.  "default" is the cell as decision 15 reads it.
REQUESTS = ("default", "virtually-complete", "high")
_REQUEST_LEVEL = {"virtually-complete": 1, "high": 2}

#: Level of each degree of protection.csv (1 best); "none" assures no degree.
DEGREE_LEVEL: dict[str, int | None] = {
    "virtually_complete": 1, "high": 2, "high_limited": 2, "moderate": 3, "limited": 3, "none": None,
}

#: Letters that say which effect a distance addresses, or that the tables hand to
#: another rule: they never keep an alternative out (AUDIT_NOTES.md §1 item 5).
#: ``excl_very_sensitive`` (g) is decision 30's business; the HD 1.2 sub-division
#: letters are already the tags of their terms.
NOTE_CONDITIONS = frozenset({
    "high_velocity_projections", "lobbed_ammunition", "practical_may_require_more",
    "practical_considerations", "excl_very_sensitive", "pes_hd1.2.2_only", "pes_hd1.2.1",
})
#: Every other condition (heavy spalling, headwall and door resistance, robust shell,
#: modular bomb storage, door barricades, the structure at the ES, ...) needs a
#: declaration that layouts cannot make yet: an alternative that needs one is never
#: chosen for a requested degree.

#: Plain words for the notes shown with a degree.
NOTE_TEXT = {
    "high_velocity_projections": "effect of high velocity projections (Table 1 d, §1.3.5.6 a) 1))",
    "lobbed_ammunition": "effect of lobbed ammunition (Table 1 e, §1.3.5.6 a) 2))",
    "excl_very_sensitive": "excluding very sensitive explosive substances (g, §1.3.3.6)",
    "excl_heavy_spalling": "excluding items at the ES vulnerable to heavy spalling (h, §1.3.5.3)",
    "depends_on_structure": "degree depends on the structure at the ES and the sensitiveness of its contents (f)",
}

_CELL_RE = re.compile(r"^Table (?P<table>\S+) column (?P<col>\S+) row (?P<row>\S+):")


@dataclass(frozen=True)
class Alternative:
    """One alternative of a cell with the degree its letters give."""

    table: str
    es_row: str
    pes_col: str
    alt: int
    printed: str
    term: Term
    letters: str
    degree: str
    level: int | None
    conditions: frozenset[str]
    in_terms: bool
    note: str
    source: str

    @property
    def blocked(self) -> bool:
        """A condition no layout can declare yet keeps it from a requested degree."""
        return bool(self.conditions - NOTE_CONDITIONS)

    @property
    def notes(self) -> list[str]:
        return sorted(c for c in self.conditions if c in ("high_velocity_projections", "lobbed_ammunition"))


_LOCK = threading.Lock()
_ALTS: dict[int, tuple[RuleSet, dict[tuple[str, str, str], tuple[Alternative, ...]]]] = {}
_CHOSEN: dict[tuple[int, tuple[str, str, str], int], tuple[Alternative, ...] | None] = {}


def check_request(value: str | None, field: str = "protection") -> str:
    """The requested degree, checked ("default" when None)."""
    if value is None:
        return "default"
    text = str(value).strip().lower().replace("_", "-")
    if text not in REQUESTS:
        raise InputError(field, value, one_of(REQUESTS))
    return text


def _folder(rs: RuleSet) -> Any:
    """The folder the rule set was read from (the shipped one of its name if it was built otherwise)."""
    origin = rs.loaded if rs.loaded is not None else rs
    if origin.folder is not None:
        return origin.folder
    return resources.files("depotsafe.data").joinpath("rulesets", origin.name)


def alternatives(rs: RuleSet) -> dict[tuple[str, str, str], tuple[Alternative, ...]]:
    """The alternatives of every cell that protection.csv lists ({} when the rule set has none)."""
    base = rs.loaded if rs.loaded is not None else rs  # the loaded rule set: alternatives are read once
    with _LOCK:
        found = _ALTS.get(id(base))
        if found is not None and found[0] is base:
            return found[1]
    file = _folder(base).joinpath("protection.csv")
    out: dict[tuple[str, str, str], list[Alternative]] = {}
    if file.is_file():
        text = file.read_text(encoding="utf-8")
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        for i, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=1):
            where = f"protection.csv row {i}"
            key = (row["table"], row["es_row"], row["pes_col"])
            terms = parse_terms(row["term"], where)
            if len(terms) != 1 or row["degree"] not in DEGREE_LEVEL:
                raise InputError("rule set", base.name, f"{where}: one term and a known degree expected")
            alternative = Alternative(
                table=row["table"], es_row=row["es_row"], pes_col=row["pes_col"], alt=int(row["alt"]),
                printed=row["alternative"], term=terms[0], letters=row["letters"], degree=row["degree"],
                level=DEGREE_LEVEL[row["degree"]], conditions=frozenset(row["conditions"].split()),
                in_terms=row["in_terms"] == "yes", note=row["note"], source=row["source"],
            )
            func = alternative.term.func
            if func is not None and f"{alternative.table}:{func}" not in base.function_index:
                if alternative.blocked:
                    continue  # D1/D2 of modular bomb storage (footnote i): never chosen, not in functions.csv
                raise InputError("rule set", base.name, f"{where}: function {func} is not in table {key[0]}")
            out.setdefault(key, []).append(alternative)
    result = {k: tuple(v) for k, v in out.items()}
    with _LOCK:
        _ALTS[id(base)] = (base, result)  # holds the rule set, so its id is not reused meanwhile
    return result


def base_rule_set(rs: RuleSet) -> RuleSet:
    """The rule set with the cells as loaded (decision 15), in the rounding mode of ``rs``."""
    return rule_set_view(rs, protection="default")


def request_of(rs: RuleSet) -> str:
    """The degree a rule set was derived for ("default" for a loaded rule set)."""
    return rs.protection


# ------------------------------------------------------------- evaluation


def _distance(rs: RuleSet, table: str, term: Term, q_kg: float) -> float:
    """Distance of one alternative at ``q_kg`` (scale 1, the cell as printed)."""
    from depotsafe.qd import function_distance_m

    if term.noqd:
        return 0.0
    if term.fixed_m is not None:
        return float(term.fixed_m)
    value = function_distance_m(rs, rs.function_index[f"{table}:{term.func}"], q_kg, True)
    return max(term.min_m, value)


_GRID = tuple(10.0 ** (k / 4.0) for k in range(-8, 33))  # 0.01 kg .. 1e8 kg


def _signature(term: Term) -> tuple[frozenset[str], frozenset[str]]:
    return term.tags, term.not_tags


def _chosen(rs: RuleSet, key: tuple[str, str, str], level: int) -> tuple[Alternative, ...] | None:
    """Alternatives a cell keeps for a requested level, None when no alternative gives it.

    Per tag signature (HD 1.2 sub-divisions ...), the smallest qualifying
    alternative at every quantity; where two cross, both stay and the larger
    applies (never smaller than asked).
    """
    memo = (id(rs), key, level)
    if memo in _CHOSEN:
        return _CHOSEN[memo]
    alts = alternatives(rs).get(key, ())
    ok = [a for a in alts if a.level is not None and a.level <= level and not a.blocked]
    if not ok:
        _CHOSEN[memo] = None
        return None
    kept: list[Alternative] = []
    for sig in dict.fromkeys(_signature(a.term) for a in ok):
        group = [a for a in ok if _signature(a.term) == sig]
        values = [[_distance(rs, key[0], a.term, q) for q in _GRID] for a in group]
        minimal = [
            a for a, v in zip(group, values, strict=True)
            if any(v[g] <= min(w[g] for w in values) for g in range(len(_GRID)))
        ]
        # one alternative per distinct distance function: the first (equal distances add nothing)
        seen: set[tuple[Any, ...]] = set()
        for a in minimal:
            k = (a.term.func, a.term.min_m, a.term.fixed_m, a.term.noqd)
            if k not in seen:
                seen.add(k)
                kept.append(a)
    _CHOSEN[memo] = tuple(kept)
    return _CHOSEN[memo]


def requested_rule_set(rs: RuleSet, request: str) -> RuleSet:
    """The rule set whose protection cells carry the alternatives of ``request`` (one object per process)."""
    return rule_set_view(rs, protection=check_request(request))


def derived_cells(base: RuleSet, request: str) -> dict[tuple[str, str, str], Cell]:
    """The cells of ``base`` (a loaded rule set) with the alternatives that give ``request``."""
    cells = dict(base.cells)
    if request == "default":
        return cells
    level = _REQUEST_LEVEL[request]
    for ck in alternatives(base):
        cell = base.cells.get(ck)
        if cell is None:
            continue
        chosen = _chosen(base, ck, level)
        if chosen is None:
            continue  # keeps its default terms; answers say protection_unavailable
        # tag signatures without a qualifying alternative keep their default terms
        sigs = {_signature(a.term) for a in chosen}
        terms = tuple(a.term for a in chosen) + tuple(t for t in cell.terms if _signature(t) not in sigs)
        extra = [a.source for a in chosen if not a.in_terms]  # the Annex I-B alternative names its page
        source = "; ".join(dict.fromkeys([cell.source, *extra]))
        cells[ck] = Cell(cell.table, cell.es_row, cell.pes_col, cell.printed, terms, source)
    return cells


# ------------------------------------------------------------- answers


def _active_tags(rs: RuleSet, relation: Any) -> set[str]:
    active: set[str] = set()
    if relation.traffic:
        active.add(relation.traffic)
    if relation.sparse:
        active.add("sparse")
    if relation.evacuable:
        active.add("evac")
    if relation.es_door_barricade:
        active.add("door_barricade")
    if kinds()[relation.pes_kind].holds_explosives == "yes":
        active.add("storage_pes")
    return active


def _rule_cells(rs: RuleSet, rule: Any) -> list[tuple[str, str, str]]:
    """(table, row, col) of the matrix cells a resolved rule was built from."""
    out = []
    for text in rule.cells:
        m = _CELL_RE.match(text)
        if m:
            out.append((m["table"], m["row"], m["col"]))
    return out


def _applies(rs: RuleSet, rule: Any, alt: Alternative) -> bool:
    """The alternative's tags apply to the rule's relation and division."""
    dts = [d for d in rs.division_tables if d.division == rule.division and d.table == alt.table]
    active = _active_tags(rs, rule.relation) | {d.tag for d in dts if d.tag}
    return alt.term.applies(frozenset(active))


def rule_unavailable(rs: RuleSet, rule: Any) -> bool:
    """True when ``rs`` asks a degree that some protection cell of ``rule`` cannot give (whatever the NEQ)."""
    request, _base, static = _static(rs, rule)
    return request != "default" and any(chosen is None for _k, _a, _i, chosen, _u in static)


_STATIC: dict[tuple[int, int], tuple[Any, ...]] = {}


def _static(rs: RuleSet, rule: Any) -> tuple[str, RuleSet, list[tuple[Any, ...]]]:
    """What :func:`describe` needs of a rule whatever the NEQ (cached per rule set and rule)."""
    memo = (id(rs), id(rule))
    found = _STATIC.get(memo)
    if found is not None and found[0] is rule:
        return found[1]
    request = request_of(rs)
    base = base_rule_set(rs)
    table_alts = alternatives(base)
    blast_unit = {d.table for d in base.division_tables if d.division == rule.division and d.q_source == "unit"}
    static = []
    for key in _rule_cells(base, rule):
        if key not in table_alts:
            continue
        alts = [a for a in table_alts[key] if _applies(base, rule, a)]
        if not alts:
            continue
        chosen = None if request == "default" else _chosen(base, key, _REQUEST_LEVEL[request])
        static.append((key, alts, [a for a in alts if a.in_terms], chosen, key[0] in blast_unit))
    value = (request, base, static)
    _STATIC[memo] = (rule, value)
    return value


def describe(rs: RuleSet, rule: Any, neq_kg: float, unit_neq_kg: float, required_m: float) -> dict[str, Any] | None:
    """The ``protection`` object of a pair's answer, or None where no cell of the rule carries a degree.

    ``rs`` is the rule set the rule was resolved with (a requested-degree rule
    set says what was asked); ``required_m`` the pair's required distance.
    """
    request, base, static = _static(rs, rule)
    if not static:
        return None
    cells_out: list[dict[str, Any]] = []
    worst: int | None = 1
    worst_degree = "virtually_complete"
    available = True
    default_m = 0.0
    notes: set[str] = set()
    for key, alts, in_terms, chosen, unit_q in static:
        q = unit_neq_kg if unit_q else neq_kg
        dist = {a.alt: _distance(base, key[0], a.term, q) for a in alts}
        cell_default = max((dist[a.alt] for a in in_terms), default=0.0)
        default_m = max(default_m, cell_default)
        if request == "default":
            applied = [a for a in in_terms if dist[a.alt] >= cell_default - 1e-9]
            cell_ok = True
        else:
            cell_ok = chosen is not None
            pool = [a for a in alts if chosen is not None and a in chosen] or in_terms
            top = max((dist[a.alt] for a in pool), default=0.0)
            applied = [a for a in pool if dist[a.alt] >= top - 1e-9]
        available = available and cell_ok
        # the degree the pair's distance gives in this cell: the best alternative it meets
        met = [a for a in alts if a.level is not None and not a.blocked and dist[a.alt] <= required_m + 1e-9]
        if met:
            best = min(met, key=lambda a: (a.level, dist[a.alt]))
            level, degree = best.level, best.degree
        else:
            best = None
            level, degree = None, "none"
        if worst is not None and (level is None or level > worst):
            worst, worst_degree = level, degree
        for a in applied:
            notes.update(a.notes)
        shown = best if best is not None else (applied[0] if applied else alts[0])
        cells_out.append({
            "cell": f"Table {key[0]} column {key[2]} row {key[1]}",
            "printed": base.cells[key].printed if key in base.cells else "",
            "alternative": " or ".join(dict.fromkeys(a.printed for a in applied)),
            "letters": " ".join(dict.fromkeys(a.letters for a in applied)),
            "degree": degree,
            "degree_alternative": shown.printed,
            "degree_letters": shown.letters,
            "source": "; ".join(dict.fromkeys(a.source for a in applied)),
        })
    if not cells_out:
        return None
    out: dict[str, Any] = {
        "requested": request,
        "degree": worst_degree,
        "level": worst,
        "available": available,
        "default_distance_m": default_m,
        "smaller_than_default": request != "default" and required_m < default_m - 1e-9,
        "notes": sorted(notes),
        "cells": cells_out,
    }
    return out
