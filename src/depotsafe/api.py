"""The unit-aware edge of depotsafe: one PES–ES pair, both directions.

``required_distance`` and ``quantity_limit`` take pint quantities (or text
such as "20 t", "65 m"), convert once, call the rules engine on SI floats and
return a :class:`QDAnswer` whose ``distance``/``max_neq`` carry units again.
``qd_json`` gives the same answer as the JSON object of ``depotsafe qd --json``
(DESIGN.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from depotsafe.errors import InputError, one_of
from depotsafe.messages import Note
from depotsafe.qd import (
    Relation,
    Rule,
    check_division,
    max_neq_kg,
    required_distance_m,
    resolve_rule,
)
from depotsafe.rules import AssessmentRule, RuleSet, load_rule_set
from depotsafe.units import quantity, to_si

#: The NEQ of one round that splits HD 1.2 into 1.2.1 (above) and 1.2.2
#: (AASTP-1 (2006) §1.2.1.2; data/classification).
HD12_SPLIT_KG = 0.71

#: Notes and flags that carry values: English templates, each a msgid of the app's catalogs
#: (depotsafe.messages; the JSON output holds the English text, unchanged).
HD12_SPLIT_NOTE = "HD 1.2 with {unit_neq_kg:g} kg per round is {division} (split at 0.71 kg, AASTP-1 §1.2.1.2)"
HD13_GROUP_NOTE = ("HD 1.3 of group {cg}: no source assigns it a table; table {table}, the larger distance "
                   "(decision 28)")
BELOW_TABLE_FLAG = ("below table range: {neq_kg:g} kg is under the {low_kg:g} kg the tables start at; computed "
                    "from the formula with every minimum applied (special consideration, AASTP-1 §1.3.1.1b)")
NIL_NOTE = "nil: {label} requires more than {distance_m:g} m even for the smallest quantity"

_HD_GIVEN = ("1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.4", "1.5", "1.6")
_COMPAT_GROUPS = ("A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "N", "S")


@dataclass(frozen=True)
class QDAnswer:
    """One answer of the rules engine, with everything needed to audit it."""

    direction: str  # "distance" or "quantity"
    rule_set: RuleSet
    rule: Rule
    division: str
    governing: int  # index of the governing/limiting term, -1 none
    required_distance_m: float | None = None
    max_neq_kg: float | None = None  # inf = unlimited, 0 = nil
    neq_kg: float | None = None
    distance_m: float | None = None
    unit_neq_kg: float | None = None
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    protection: dict[str, Any] | None = None  # degree of protection (decision 31), None off storage cells
    #: the rule that suspends the tabulated distance toward a very sensitive exposed site (decision 30), or None
    assessment: AssessmentRule | None = None

    @property
    def assessment_required(self) -> bool:
        """The exposed site needs an individual assessment: the tabulated answer is for information only."""
        return self.assessment is not None

    @property
    def distance(self) -> Any:
        """Required distance as a pint quantity [m]."""
        return None if self.required_distance_m is None else quantity(self.required_distance_m, "m")

    @property
    def max_neq(self) -> Any:
        """Quantity limit as a pint quantity [kg] (inf = unlimited)."""
        return None if self.max_neq_kg is None else quantity(self.max_neq_kg, "kg")

    @property
    def rule_code(self) -> str:
        if self.governing < 0:
            return "No QD" if not self.rule.terms else "none"
        return self.rule.terms[self.governing].code

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``depotsafe qd --json``."""
        term = self.rule.terms[self.governing] if self.governing >= 0 else None
        out: dict[str, Any] = {}
        if self.direction == "distance":
            assert self.required_distance_m is not None
            out["required_distance_m"] = self.required_distance_m
            out["required_distance_m_rounded_up"] = math.ceil(self.required_distance_m)
        else:
            assert self.max_neq_kg is not None
            unlimited = math.isinf(self.max_neq_kg)
            out["max_neq_kg"] = None if unlimited else self.max_neq_kg
            out["max_neq_kg_rounded_down"] = None if unlimited else math.floor(self.max_neq_kg)
            out["unlimited"] = unlimited
            out["nil"] = self.max_neq_kg == 0.0
        out["rule"] = self.rule_code
        out["rounding"] = self.rule_set.rounding  # decision 32: every answer names its mode
        if self.rule_set.rounding == "table" and self.direction == "distance":
            from depotsafe.tablemode import table_reading

            out["table_reading"] = (
                table_reading(self.rule_set, term, self.neq_kg or 0.0, self.unit_neq_kg or 0.0) if term else None
            )
        out["rule_label"] = term.label if term else ("No QD: no rule limits this pair" if not self.rule.terms else "")
        out["source"] = term.source if term else "; ".join(self.rule.cells)
        out["hd"] = self.division
        out["relation"] = {
            "pes": self.rule.relation.pes_kind,
            "pes_face": self.rule.relation.pes_face,
            "es": self.rule.relation.es_kind,
            "es_face": self.rule.relation.es_face,
            "traffic": self.rule.relation.traffic,
            "sparse": self.rule.relation.sparse,
            "evacuable": self.rule.relation.evacuable,
            "es_door_barricade": self.rule.relation.es_door_barricade,
        }
        if self.neq_kg is not None:
            out["neq_kg"] = self.neq_kg
        if self.distance_m is not None:
            out["distance_m"] = self.distance_m
        if self.unit_neq_kg is not None:
            out["unit_neq_kg"] = self.unit_neq_kg
        out["terms"] = [
            {
                "rule": t.code,
                "label": t.label,
                "source": t.source,
                **(
                    {"distance_m": _term_at(self, i)}
                    if self.direction == "distance"
                    else {"max_neq_kg": _limit_of(self, i)}
                ),
            }
            for i, t in enumerate(self.rule.terms)
        ]
        out["cells"] = list(self.rule.cells)
        # decision 30: toward very sensitive contents the tabulated answer above is for information only
        out["relation"]["es_very_sensitive"] = self.assessment is not None
        out["assessment_required"] = self.assessment is not None
        if self.assessment is not None:
            out["assessment_source"] = self.assessment.source
            out["assessment_quote"] = self.assessment.quote
            out["limited_by"] = "assessment"
        out["flags"] = list(self.flags)
        out["notes"] = list(self.notes)
        out["protection"] = self.protection
        out["protection_unavailable"] = bool(self.protection is not None and not self.protection["available"])
        out["provenance"] = self.rule_set.provenance()
        return out


def _term_at(answer: QDAnswer, i: int) -> float:
    from depotsafe.qd import term_distance_m

    assert answer.neq_kg is not None
    return term_distance_m(answer.rule_set, answer.rule.terms[i], answer.neq_kg, answer.unit_neq_kg or 0.0)


def _limit_of(answer: QDAnswer, i: int) -> float | None:
    assert answer.distance_m is not None
    single = Rule(answer.rule.division, answer.rule.relation, (answer.rule.terms[i],), (), ())
    q, _ = max_neq_kg(answer.rule_set, single, answer.distance_m, answer.unit_neq_kg or 0.0)
    return None if math.isinf(q) else q


def qd_division_and_tables(
    rule_set: RuleSet, hd: str, cg: str | None, unit_neq_kg: float | None
) -> tuple[str, tuple[str, ...], list[str]]:
    """Turn the HD (and CG, unit NEQ) a user gave into the QD division of the tables."""
    notes: list[str] = []
    if hd not in _HD_GIVEN and hd not in rule_set.divisions:
        check_division(rule_set, hd)  # raises with the allowed list
    if cg is not None and cg not in _COMPAT_GROUPS:
        raise InputError("cg", cg, one_of(_COMPAT_GROUPS))
    if cg is not None:
        from depotsafe.explosives import stock_line

        # Validates the division/group code (e.g. 1.1H is not a legal code) with the
        # classification data; the NEQ here is a placeholder, only the code is checked.
        try:
            stock_line(hd, cg, max(1.0, unit_neq_kg or 0.0), unit_neq_kg, field="x")
        except InputError as exc:
            field = {"x.hd": "hd", "x.cg": "cg", "x.unit_neq": "unit-neq"}.get(exc.field, exc.field)
            raise InputError(field, exc.value, exc.allowed) from None
    division = hd
    if hd == "1.2":
        if unit_neq_kg is None:
            division = "1.2.1"
            notes.append("HD 1.2 without the NEQ of one round counts as 1.2.1 (standards.md §9 decision 7)")
        else:
            division = "1.2.1" if unit_neq_kg > HD12_SPLIT_KG else "1.2.2"
            notes.append(Note(HD12_SPLIT_NOTE, unit_neq_kg=unit_neq_kg, division=division))
    elif hd in ("1.2.1", "1.2.2") and unit_neq_kg is not None:
        if (unit_neq_kg > HD12_SPLIT_KG) != (hd == "1.2.1"):
            raise InputError(
                "unit-neq",
                f"{unit_neq_kg:g} kg",
                f"HD {hd} means a round NEQ {'above' if hd == '1.2.1' else 'at most'} 0.71 kg",
            )
    check_division(rule_set, division)
    tables: tuple[str, ...] = ("3A", "3B")
    if division == "1.3":
        if cg is not None:
            from depotsafe.explosives import rules as classification

            table = classification().groups[cg.upper()].hd13_table
            tables = (table,)
            if cg.upper() == "C":
                notes.append("HD 1.3 of group C: propellant table 3A (AASTP-1 §1.3.1.6 a))")
            elif cg.upper() == "G":
                notes.append("HD 1.3 of group G: table 3B (other items, AASTP-1 §1.3.1.6 a))")
            else:
                notes.append(Note(HD13_GROUP_NOTE, cg=cg.upper(), table=table))
        else:
            notes.append("HD 1.3 without a group: the larger of tables 3A and 3B")
    if division == "1.5":
        notes.append("HD 1.5 is stored as HD 1.1 (AASTP-1 §1.2.1.2 note 2)")
    if division == "1.6" and unit_neq_kg is None:
        raise InputError(
            "unit-neq", None,
            "HD 1.6 needs the NEQ of one munition (--unit-neq): its distance is the larger of the "
            "blast-only distance at that NEQ and the Table 3B distance at the whole NEQ "
            "(AASTP-1 (2006) Part I para 1.3.8, Annex I-A Table 4)",
        )
    return division, tables, notes


def _flags(rule_set: RuleSet, rule: Rule, neq_kg: float | None) -> list[str]:
    flags: list[str] = []
    if neq_kg is None:
        return flags
    tables = {t.table for t in rule.terms if t.func_index >= 0 and t.q_source == 0}
    lows = [rule_set.table_ranges[t][0] for t in tables if t in rule_set.table_ranges]
    if lows and neq_kg < min(lows):
        flags.append(Note(BELOW_TABLE_FLAG, neq_kg=neq_kg, low_kg=min(lows)))
    return flags


def _with_protection(
    rs: RuleSet, rule: Rule, protection: str, hd: str, cg: str | None, unit_neq_kg: float | None
) -> tuple[RuleSet, Rule]:
    """The rule set and rule of a requested degree of protection (decision 31; "default": unchanged)."""
    from depotsafe.protection import check_request, requested_rule_set

    request = check_request(protection)
    if request == "default":
        return rs, rule
    if isinstance(cg, str):
        cg = cg.strip().upper()
    _division, tables, _notes = qd_division_and_tables(rs, hd, cg, unit_neq_kg)
    derived = requested_rule_set(rs, request)
    return derived, resolve_rule(derived, rule.division, rule.relation, tables)


def describe_protection(
    rs: RuleSet, rule: Rule, neq_kg: float, unit_neq_kg: float, distance_m: float
) -> dict[str, Any] | None:
    """The ``protection`` object of an answer (depotsafe.protection.describe)."""
    from depotsafe.protection import describe

    return describe(rs, rule, neq_kg, unit_neq_kg, distance_m)


def _prepare(
    hd: str,
    pes: str,
    es: str,
    pes_face: str | None,
    es_face: str | None,
    traffic: str | None,
    cg: str | None,
    unit_neq: Any,
    sparse: bool,
    evacuable: bool,
    es_door_barricade: bool,
    rule_set: str | RuleSet,
    rounding: str | None = None,
) -> tuple[RuleSet, Rule, str, float | None, list[str]]:
    rs = rule_set if isinstance(rule_set, RuleSet) else load_rule_set(rule_set)
    if rounding is not None:
        from depotsafe.tablemode import with_rounding

        rs = with_rounding(rs, rounding)
    if isinstance(cg, str):  # groups are letters in either case, as in layouts and stock
        cg = cg.strip().upper()
    unit_neq_kg = None
    if unit_neq is not None:
        unit_neq_kg = unit_neq if isinstance(unit_neq, float) else to_si(unit_neq, "mass", "unit-neq")
        if not unit_neq_kg > 0:
            raise InputError("unit-neq", unit_neq, "the NEQ of one munition must be > 0 kg")
    division, tables, notes = qd_division_and_tables(rs, hd, cg, unit_neq_kg)
    relation = Relation(
        pes_kind=pes,
        es_kind=es,
        pes_face=pes_face,
        es_face=es_face,
        traffic=traffic,
        sparse=sparse,
        evacuable=evacuable,
        es_door_barricade=es_door_barricade,
    )
    rule = resolve_rule(rs, division, relation, tables)
    if rule.needs_unit_neq and unit_neq_kg is None:
        raise InputError("unit-neq", None, f"HD {division} needs the NEQ of one munition")
    return rs, rule, division, unit_neq_kg, notes


def required_distance(
    hd: str,
    neq: Any,
    pes: str,
    es: str,
    *,
    pes_face: str | None = None,
    es_face: str | None = None,
    traffic: str | None = None,
    cg: str | None = None,
    unit_neq: Any = None,
    sparse: bool = False,
    evacuable: bool = False,
    es_door_barricade: bool = False,
    rule_set: str | RuleSet = "iatg",
    es_very_sensitive: bool = False,
    protection: str = "default",
    rounding: str | None = None,
) -> QDAnswer:
    """Required separation distance between a PES holding ``neq`` and an ES.

    Parameters
    ----------
    hd : str
        Hazard division "1.1" to "1.6", or the QD sub-division "1.2.1"/"1.2.2".
    neq : pint.Quantity or str
        Net explosive quantity of the PES, e.g. ``Q_(20, "t")`` or "44000 lb".
    pes, es : str
        Kinds of the potential explosion site and the exposed site (data/kinds.csv).
    pes_face, es_face : {"front", "side", "rear"}, optional
        Face an earth-covered PES turns to the ES / an earth-covered ES turns to the PES.
    traffic : {"heavy", "light"}, optional
        For a public traffic route (default heavy, the larger distance).
    cg : str, optional
        Compatibility group; picks table 3A (C) or 3B (others) for HD 1.3.
    unit_neq : pint.Quantity or str, optional
        NEQ of one munition: required for HD 1.6, splits HD 1.2.
    es_very_sensitive : bool
        The exposed site (a storage site) holds primary explosives or other
        very sensitive substances: the answer is the tabulated distance for
        information only, with ``assessment_required`` (AASTP-1 §1.3.1.4,
        decision 30).
    protection : {"default", "virtually-complete", "high"}
        Degree of protection against propagation asked of a storage-to-storage
        cell (decision 31): "default" is the cell as decision 15 reads it (its
        largest alternative); a degree takes the cell's smallest alternative
        that gives it.  The answer's ``protection`` says which degree its
        distance gives, and whether the degree asked is available.
    rounding : {"formula", "table"}, optional
        "formula" (decision 4) computes the distance from its formula; "table"
        (decision 32) reads the printed tables: the printed distance of the next
        tabulated quantity up.  None: the mode of ``rule_set`` (formula for a name).

    Returns
    -------
    QDAnswer
        ``.distance`` [m], the governing rule, its source and provenance.
    """
    neq_kg = to_si(neq, "mass", "neq")
    if not neq_kg > 0:
        raise InputError("neq", neq, "the NEQ must be > 0 kg")
    rs, rule, division, unit_neq_kg, notes = _prepare(
        hd, pes, es, pes_face, es_face, traffic, cg, unit_neq, sparse, evacuable, es_door_barricade, rule_set,
        rounding,
    )
    rs, rule = _with_protection(rs, rule, protection, hd, cg, unit_neq_kg)
    if unit_neq_kg is not None and unit_neq_kg > neq_kg:
        raise InputError("unit-neq", unit_neq,
                         f"the NEQ of one munition cannot exceed the NEQ ({neq_kg:g} kg)")
    distance_m, governing = required_distance_m(rs, rule, neq_kg, unit_neq_kg or 0.0)
    if not rule.terms:
        notes.append("No QD: the table requires no distance for this pair")
    if rs.rounding == "table" and governing >= 0:
        from depotsafe.tablemode import distance_note

        notes.append(distance_note(rs, rule.terms[governing], neq_kg, unit_neq_kg or 0.0))
    return QDAnswer(
        direction="distance",
        rule_set=rs,
        rule=rule,
        division=division,
        governing=governing,
        required_distance_m=distance_m,
        neq_kg=neq_kg,
        unit_neq_kg=unit_neq_kg,
        flags=tuple(_flags(rs, rule, neq_kg)),
        notes=tuple(notes) + rule.notes,
        assessment=_assessment(rs, es, es_very_sensitive),
        protection=describe_protection(rs, rule, neq_kg, unit_neq_kg or 0.0, distance_m),
    )


def _assessment(rule_set: RuleSet, es: str, es_very_sensitive: bool) -> AssessmentRule | None:
    """The rule that suspends the tables toward a very sensitive exposed site (decision 30), if asked."""
    if not es_very_sensitive:
        return None
    from depotsafe.kinds import kinds

    storage = [k for k, v in kinds().items() if v.holds_explosives == "yes"]
    if es not in storage:
        raise InputError("es-very-sensitive", es, "only a storage site as exposed site can be very sensitive "
                         "(AASTP-1 §1.3.1.4 suspends the inter-magazine distances toward it); " + one_of(storage))
    rule = rule_set.assessment("very_sensitive")
    if rule is None:
        raise InputError("es-very-sensitive", True, f"rule set {rule_set.name!r} has no rule for very sensitive "
                         "exposed sites (assessments.csv); use a rule set that has one, e.g. iatg")
    return rule


def quantity_limit(
    hd: str,
    distance: Any,
    pes: str,
    es: str,
    *,
    pes_face: str | None = None,
    es_face: str | None = None,
    traffic: str | None = None,
    cg: str | None = None,
    unit_neq: Any = None,
    sparse: bool = False,
    evacuable: bool = False,
    es_door_barricade: bool = False,
    rule_set: str | RuleSet = "iatg",
    es_very_sensitive: bool = False,
    protection: str = "default",
    rounding: str | None = None,
) -> QDAnswer:
    """Largest NEQ the PES may hold at ``distance`` from the ES (explosives limit licence).

    Returns a :class:`QDAnswer` whose ``max_neq_kg`` is 0 ("nil": not even
    the smallest quantity fits, standards.md decision 26) or infinity
    ("unlimited": no rule limits this pair).  Parameters as
    :func:`required_distance`; in table mode (``rounding="table"``, decision 32)
    the limit is the next lesser tabulated quantity whose printed distance is met.
    """
    distance_m = to_si(distance, "length", "distance")
    if distance_m < 0:
        raise InputError("distance", distance, "a distance must be >= 0 m")
    rs, rule, division, unit_neq_kg, notes = _prepare(
        hd, pes, es, pes_face, es_face, traffic, cg, unit_neq, sparse, evacuable, es_door_barricade, rule_set,
        rounding,
    )
    rs, rule = _with_protection(rs, rule, protection, hd, cg, unit_neq_kg)
    limit, limiting = max_neq_kg(rs, rule, distance_m, unit_neq_kg or 0.0)
    if limit == 0.0 and limiting >= 0:
        t = rule.terms[limiting]
        notes.append(Note(NIL_NOTE, label=t.label, distance_m=distance_m))
    if math.isinf(limit):
        notes.append("unlimited: no rule of this pair depends on the quantity")
    if rs.rounding == "table" and limiting >= 0:
        from depotsafe.tablemode import limit_note

        notes.append(limit_note(rs, rule, rule.terms[limiting], distance_m, limit, unit_neq_kg or 0.0))
    return QDAnswer(
        direction="quantity",
        rule_set=rs,
        rule=rule,
        division=division,
        governing=limiting,
        max_neq_kg=limit,
        distance_m=distance_m,
        unit_neq_kg=unit_neq_kg,
        notes=tuple(notes) + rule.notes,
        assessment=_assessment(rs, es, es_very_sensitive),
        protection=describe_protection(
            rs, rule, min(max(limit, 1e-9), 1e12), unit_neq_kg or 0.0, distance_m),
    )
