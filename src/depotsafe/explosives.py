"""Explosives: stock lines, compatibility mixing and hazard-division aggregation.

Everything here is read from ``data/classification/`` (AASTP-1 (2006) Part I
Chapter 2: hazard divisions, compatibility groups, Tables 4, 5 and 6 with their
notes; the legal HD/CG codes from a secondary source).  The functions are
plain and the results are frozen dataclasses:

- :func:`stock_line` and :func:`parse_stock_entry` validate one line of stock;
- :func:`qd_division` gives the quantity-distance division of a line;
- :func:`check_compatibility` applies the storage mixing Tables 5 and 6;
- :func:`mix_divisions` applies Table 4 and the aggregation rules of
  AASTP-1 para 1.3.2.5 / 1.3.2.6 and returns the quantities (cases) whose
  required distances the QD engine must take the maximum of.

Suspect ammunition (AASTP-1 para 1.2.3.4: never stored with any other
ammunition) is not modelled: a stock line cannot say that it is suspect.
National Competent Authority modifications (para 1.2.3.3 a) are not modelled
either.  Every decision taken where the source is silent or ambiguous is
recorded in ``data/classification/README.md`` and errs on the side of the
larger distance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from depotsafe.errors import InputError, LayoutError, RuleDataError, one_of
from depotsafe.kinds import read_data_csv
from depotsafe.units import is_quantity, to_si

#: Rule sets known to this module.  Only ``iatg`` (AASTP-1 (2006) as adopted
#: by IATG 02.20, standards.md section 9 decision 1) exists so far.
RULE_SETS = ("iatg",)

#: Forms of a stock line and the mixing table each is checked against
#: (AASTP-1 (2006) Part I para 1.2.3.2; standards.md section 9 decision 25).
FORMS = ("substance", "article")

_SOURCE = "AASTP-1 (2006) Part I"
_TABLE_OF_FORM = {"substance": 5, "article": 6}
_TABLE_FILE = {
    5: "classification/mixing_substances.csv",
    6: "classification/mixing_articles.csv",
}
_CELL = re.compile(r"^(X?)([0-9]*)$")
_HD_CELL = re.compile(r"^(?:(1\.[0-9.]+))?\s*(?:n([0-9]+))?$")

# ---------------------------------------------------------------------------
# Rule data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Division:
    """A hazard division or QD sub-division (a row of hazard_divisions.csv)."""

    code: str
    parent: str
    is_qd_division: bool
    display_rank: int | None
    description: str


@dataclass(frozen=True)
class Group:
    """A compatibility group (a row of compatibility_groups.csv)."""

    cg: str
    hd13_table: str
    description: str


@dataclass(frozen=True)
class Note:
    """A note of Table 4, 5 or 6 (a row of mixing_notes.csv)."""

    table: int
    number: int
    effect: str
    applies_to: str
    treat_as: str
    page: str
    text: str


@dataclass(frozen=True)
class Cell:
    """One cell of Table 5 or 6: permitted ("X") and the notes attached."""

    permitted: bool
    notes: tuple[int, ...]


@dataclass(frozen=True)
class MixingTable:
    """Table 5 (substances) or Table 6 (articles) of AASTP-1 (2006) Part I."""

    number: int
    form: str
    groups: tuple[str, ...]
    cells: Mapping[tuple[str, str], Cell]


@dataclass(frozen=True)
class HDCell:
    """One cell of Table 4: the HD the mixture is treated as, and a note."""

    treated_as: str | None
    note: int | None


@dataclass(frozen=True)
class ClassificationRules:
    """Everything in data/classification, checked on load."""

    divisions: Mapping[str, Division]
    groups: Mapping[str, Group]
    legal: Mapping[str, frozenset[str]]
    hd12_split_unit_neq_kg: float
    n2d_unit_neq_kg: float
    tables: Mapping[int, MixingTable]
    hd_table: Mapping[tuple[str, str], HDCell]
    notes: Mapping[tuple[int, int], Note]


def _bad(name: str, why: str) -> RuleDataError:
    return RuleDataError(f"data/classification/{name}: {why}")


def _load_table(number: int, groups: Mapping[str, Group]) -> MixingTable:
    name = _TABLE_FILE[number]
    rows = read_data_csv(name)
    header = tuple(k for k in rows[0] if k != "cg")
    if tuple(r["cg"] for r in rows) != header:
        raise _bad(name, "row groups differ from column groups")
    cells: dict[tuple[str, str], Cell] = {}
    for row in rows:
        for col in header:
            token = (row[col] or "").strip()
            m = _CELL.match(token)
            if row["cg"] not in groups or col not in groups or m is None:
                raise _bad(name, f"row {row['cg']}, column {col}: bad cell {token!r}")
            cells[(row["cg"], col)] = Cell(
                permitted=m.group(1) == "X",
                notes=tuple(int(c) for c in m.group(2)),
            )
    for (a, b), cell in cells.items():
        if cells[(b, a)] != cell:
            raise _bad(name, f"not symmetric at {a}/{b}")
    form = next(f for f, t in _TABLE_OF_FORM.items() if t == number)
    return MixingTable(number=number, form=form, groups=header, cells=cells)


@cache
def rules() -> ClassificationRules:
    """Load and check data/classification once.

    Returns
    -------
    ClassificationRules
        The hazard divisions, groups, legal codes, thresholds, Tables 4-6 and
        their notes.

    Raises
    ------
    RuleDataError
        A file is malformed (names the file and the row).
    """
    divisions = {
        r["code"]: Division(
            code=r["code"],
            parent=r["parent"],
            is_qd_division=r["qd_division"] == "yes",
            display_rank=int(r["display_rank"]) if r["display_rank"] else None,
            description=r["description"],
        )
        for r in read_data_csv("classification/hazard_divisions.csv")
    }
    groups = {
        r["cg"]: Group(
            cg=r["cg"], hd13_table=r["hd13_table"], description=r["description"]
        )
        for r in read_data_csv("classification/compatibility_groups.csv")
    }
    legal: dict[str, set[str]] = {}
    for r in read_data_csv("classification/legal_codes.csv"):
        if r["hd"] not in divisions or r["cg"] not in groups:
            raise _bad("legal_codes.csv", f"unknown code {r['hd']}{r['cg']}")
        legal.setdefault(r["hd"], set()).add(r["cg"])
    thresholds = {
        r["name"]: float(r["value"])
        for r in read_data_csv("classification/thresholds.csv")
    }
    notes: dict[tuple[int, int], Note] = {}
    for r in read_data_csv("classification/mixing_notes.csv"):
        note = Note(
            table=int(r["table"]),
            number=int(r["note"]),
            effect=r["effect"],
            applies_to=r["applies_to"],
            treat_as=r["treat_as"],
            page=r["page"],
            text=r["text"],
        )
        notes[(note.table, note.number)] = note
    tables = {n: _load_table(n, groups) for n in _TABLE_FILE}
    for t in tables.values():
        for (a, b), cell in t.cells.items():
            for k in cell.notes:
                found = notes.get((t.number, k))
                if found is None:
                    raise _bad(
                        _TABLE_FILE[t.number],
                        f"{a}/{b}: note {k} not in mixing_notes.csv",
                    )
                if not cell.permitted and found.effect not in ("condition", "isolate"):
                    raise _bad(
                        _TABLE_FILE[t.number],
                        f"{a}/{b}: bare note {k} must be a condition or isolate",
                    )
    hd_rows = read_data_csv("classification/hd_mixing.csv")
    hd_table: dict[tuple[str, str], HDCell] = {}
    for r in hd_rows:
        for col, token in r.items():
            if col == "hd":
                continue
            m = _HD_CELL.match((token or "").strip())
            if m is None or not (m.group(1) or m.group(2)):
                raise _bad(
                    "hd_mixing.csv", f"row {r['hd']}, column {col}: bad cell {token!r}"
                )
            hd_cell = HDCell(m.group(1), int(m.group(2)) if m.group(2) else None)
            if hd_cell.treated_as is not None and hd_cell.treated_as not in divisions:
                raise _bad("hd_mixing.csv", f"row {r['hd']}, column {col}: unknown HD")
            if hd_cell.note is not None and (4, hd_cell.note) not in notes:
                raise _bad(
                    "hd_mixing.csv", f"row {r['hd']}, column {col}: unknown note"
                )
            hd_table[(r["hd"], col)] = hd_cell
    qd_codes = {c for c, d in divisions.items() if d.is_qd_division}
    if {a for a, _ in hd_table} != qd_codes or {b for _, b in hd_table} != qd_codes:
        raise _bad(
            "hd_mixing.csv",
            "rows/columns must be the QD divisions of hazard_divisions.csv",
        )
    return ClassificationRules(
        divisions=divisions,
        groups=groups,
        legal={k: frozenset(v) for k, v in legal.items()},
        hd12_split_unit_neq_kg=thresholds["hd12_split_unit_neq_kg"],
        n2d_unit_neq_kg=thresholds["n2d_unit_neq_kg"],
        tables=tables,
        hd_table=hd_table,
        notes=notes,
    )


# ---------------------------------------------------------------------------
# Stock lines
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLine:
    """One line of stock in one site.

    Build it with :func:`stock_line` (or :func:`parse_stock_entry`), which
    validates every field.

    Attributes
    ----------
    hd : str
        Hazard division as given: "1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.4",
        "1.5" or "1.6".
    cg : str
        Compatibility group, one letter A-S.
    neq_kg : float
        Net explosive quantity of the line [kg].
    unit_neq_kg : float or None
        NEQ of one round or munition [kg], if known.
    form : {"substance", "article"} or None
        Which mixing table the line is checked against (None: both).
    item : str or None
        Free text naming the item; lines of one item are one type or family.
    """

    hd: str
    cg: str
    neq_kg: float
    unit_neq_kg: float | None = None
    form: str | None = None
    item: str | None = None

    @property
    def code(self) -> str:
        """The classification code, e.g. "1.1D" (AASTP-1 para 1.2.2.4)."""
        return f"{self.hd}{self.cg}"


def _mass_kg(value: Any, field: str, *, allow_none: bool) -> float | None:
    if value is None:
        if allow_none:
            return None
        raise InputError(field, value, 'a mass is required, e.g. 5000 (kg) or "5 t"')
    if isinstance(value, bool):
        raise InputError(field, value, 'a mass is expected, e.g. 5000 (kg) or "5 t"')
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) or is_quantity(value):
        number = to_si(value, "mass", field)
    else:
        raise InputError(field, value, 'a mass is expected, e.g. 5000 (kg) or "5 t"')
    if math.isnan(number) or math.isinf(number):
        raise InputError(field, value, "the mass must be a finite number of kg")
    if number <= 0.0:
        raise InputError(field, value, "the mass must be greater than 0 kg")
    return number


def _text(value: Any, field: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, value, f"{what} must be given as text")
    return value.strip()


def stock_line(
    hd: Any,
    cg: Any,
    neq: Any,
    unit_neq: Any = None,
    form: str | None = None,
    item: str | None = None,
    *,
    field: str = "stock",
    rule_set: str = "iatg",
) -> StockLine:
    """Validate one line of stock and return it as a :class:`StockLine`.

    Parameters
    ----------
    hd : str
        Hazard division: "1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.4", "1.5"
        or "1.6".  "1.2" is resolved by :func:`qd_division`.
    cg : str
        Compatibility group A-S; the code HD+CG must be legal.
    neq : float or str or pint.Quantity
        NEQ of the line: a number is in kg [kg]; text or a quantity needs a
        unit ("5 t").
    unit_neq : float or str or pint.Quantity, optional
        NEQ of one round or munition [kg], as ``neq``.  Required by
        :func:`mix_divisions` for HD 1.6.
    form : {"substance", "article"}, optional
        Which mixing table applies (AASTP-1 Table 5 or Table 6).
    item : str, optional
        Name of the item.
    field : str
        Name of the line in error messages, e.g. "stock[2]".
    rule_set : str
        Rule set; only "iatg".

    Returns
    -------
    StockLine

    Raises
    ------
    InputError
        Unknown rule set, division, group or form; illegal code; HD 1.2.3 in
        rule set "iatg"; a mass that is not finite and > 0, or text without a
        unit; a unit NEQ greater than the line's NEQ; HD 1.2.1/1.2.2 that
        contradicts the unit NEQ; a form whose mixing table lacks the group.
    """
    r = rules()
    if rule_set not in RULE_SETS:
        raise InputError("rule_set", rule_set, one_of(RULE_SETS))
    hd_s = _text(hd, f"{field}.hd", 'the hazard division (e.g. "1.1")')
    if hd_s == "1.2.3" and rule_set == "iatg":
        raise InputError(
            f"{field}.hd",
            hd,
            "HD 1.2.3 does not exist in AASTP-1 (2006), on which rule set 'iatg' rests "
            "(standards.md section 9 decision 7); give 1.2, 1.2.1 or 1.2.2",
        )
    division = r.divisions.get(hd_s)
    if division is None:
        raise InputError(f"{field}.hd", hd, one_of(r.divisions))
    cg_s = _text(cg, f"{field}.cg", 'the compatibility group (e.g. "D")').upper()
    if cg_s not in r.groups:
        raise InputError(f"{field}.cg", cg, one_of(r.groups))
    allowed = r.legal.get(division.parent, frozenset())
    if cg_s not in allowed:
        raise InputError(
            f"{field}.cg",
            f"{hd_s}{cg_s}",
            f"{division.parent}{cg_s} is not a legal classification code; HD "
            f"{division.parent} allows compatibility groups {', '.join(sorted(allowed))} "
            "(UN Model Regulations 2.1.2 as transcribed by a secondary source [S], "
            "data/classification/legal_codes.csv)",
        )
    neq_kg = _mass_kg(neq, f"{field}.neq", allow_none=False)
    assert neq_kg is not None
    unit_kg = _mass_kg(unit_neq, f"{field}.unit_neq", allow_none=True)
    if unit_kg is not None and unit_kg > neq_kg:
        raise InputError(
            f"{field}.unit_neq",
            unit_neq,
            f"the NEQ of one round cannot exceed the line's NEQ ({neq_kg:g} kg)",
        )
    split = r.hd12_split_unit_neq_kg
    if unit_kg is not None and hd_s == "1.2.1" and unit_kg <= split:
        raise InputError(
            f"{field}.unit_neq",
            unit_neq,
            f"HD 1.2.1 means an individual NEQ greater than {split:g} kg "
            "(AASTP-1 (2006) Part I para 1.2.1.2 b); give HD 1.2.2 or 1.2, or correct the unit NEQ",
        )
    if unit_kg is not None and hd_s == "1.2.2" and unit_kg > split:
        raise InputError(
            f"{field}.unit_neq",
            unit_neq,
            f"HD 1.2.2 means an individual NEQ of at most {split:g} kg "
            "(AASTP-1 (2006) Part I para 1.2.1.2 b); give HD 1.2.1 or 1.2, or correct the unit NEQ",
        )
    if form is not None:
        if form not in FORMS:
            raise InputError(f"{field}.form", form, one_of(FORMS))
        table = r.tables[_TABLE_OF_FORM[form]]
        if cg_s not in table.groups:
            raise InputError(
                f"{field}.form",
                form,
                f"compatibility group {cg_s} has no {form}s: Table {table.number} of "
                f"{_SOURCE} lists {', '.join(table.groups)}",
            )
    item_s = None
    if item is not None:
        if not isinstance(item, str):
            raise InputError(f"{field}.item", item, "the item name must be text")
        item_s = item.strip() or None
    return StockLine(hd_s, cg_s, neq_kg, unit_kg, form, item_s)


_ENTRY_KEYS = ("hd", "cg", "neq_kg", "neq", "unit_neq_kg", "unit_neq", "form", "item")


def parse_stock_entry(entry: Mapping[str, Any], field: str) -> StockLine:
    """Read one stock entry of the layout format (DESIGN.md).

    Parameters
    ----------
    entry : dict
        ``{"hd": "1.1", "cg": "D", "neq_kg": 5000}`` or with ``"neq": "5 t"``;
        optionally ``"item"``, ``"unit_neq_kg"`` (a number [kg]) or
        ``"unit_neq"`` (text with a unit) and ``"form"``.
    field : str
        Name of the entry in messages, e.g. "sites[3].stock[0]".

    Returns
    -------
    StockLine

    Raises
    ------
    LayoutError
        Not a mapping, an unknown key, a missing or doubled NEQ, text given
        for a ``_kg`` key.
    InputError
        Anything :func:`stock_line` refuses.
    """
    if not isinstance(entry, Mapping):
        raise LayoutError(
            field,
            entry,
            'a stock entry is an object such as {"hd": "1.1", "cg": "D", "neq_kg": 5000}',
        )
    for key in entry:
        if key not in _ENTRY_KEYS:
            raise LayoutError(
                f"{field}.{key}",
                entry[key],
                "unknown key; allowed keys: " + ", ".join(_ENTRY_KEYS),
            )
    for key in ("hd", "cg"):
        if key not in entry:
            raise LayoutError(f"{field}.{key}", None, f"the key {key!r} is required")

    def one(kg_key: str, text_key: str, required: bool) -> Any:
        if kg_key in entry and text_key in entry:
            raise LayoutError(
                f"{field}.{text_key}",
                entry[text_key],
                f"give either {kg_key!r} or {text_key!r}, not both",
            )
        if kg_key in entry:
            v = entry[kg_key]
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise LayoutError(
                    f"{field}.{kg_key}",
                    v,
                    f"{kg_key!r} takes a number in kg; use {text_key!r} for text with a unit",
                )
            return v
        if text_key in entry:
            v = entry[text_key]
            if not isinstance(v, str):
                raise LayoutError(
                    f"{field}.{text_key}",
                    v,
                    f'{text_key!r} takes text with a unit such as "5 t"; use {kg_key!r} for a number in kg',
                )
            return v
        if required:
            raise LayoutError(
                f"{field}.{kg_key}",
                None,
                f"the NEQ is required: {kg_key!r} (kg) or {text_key!r} (text with a unit)",
            )
        return None

    neq = one("neq_kg", "neq", True)
    unit_neq = one("unit_neq_kg", "unit_neq", False)
    return stock_line(
        entry["hd"],
        entry["cg"],
        neq,
        unit_neq,
        form=entry.get("form"),
        item=entry.get("item"),
        field=field,
    )


def _revalidate(lines: Sequence[StockLine], name: str) -> list[StockLine]:
    out = []
    for i, line in enumerate(lines):
        if not isinstance(line, StockLine):
            raise InputError(
                f"{name}[{i}]", line, "a StockLine (build it with stock_line())"
            )
        out.append(
            stock_line(
                line.hd,
                line.cg,
                line.neq_kg,
                line.unit_neq_kg,
                line.form,
                line.item,
                field=f"{name}[{i}]",
            )
        )
    return out


def qd_division(line: StockLine) -> str:
    """The quantity-distance division of a stock line.

    Parameters
    ----------
    line : StockLine

    Returns
    -------
    str
        "1.1", "1.2.1", "1.2.2", "1.3", "1.4", "1.5" or "1.6".  HD "1.2" is
        1.2.1 when its unit NEQ is above the split (0.71 kg,
        data/classification/thresholds.csv) or unknown (standards.md section 9
        decision 7), else 1.2.2.

    Raises
    ------
    InputError
        The line's division is unknown.
    """
    r = rules()
    division = r.divisions.get(line.hd)
    if division is None:
        raise InputError("hd", line.hd, one_of(r.divisions))
    if division.is_qd_division:
        return division.code
    # HD 1.2 without its sub-division: split on the unit NEQ.
    if line.unit_neq_kg is None or line.unit_neq_kg > r.hd12_split_unit_neq_kg:
        return "1.2.1"
    return "1.2.2"


# ---------------------------------------------------------------------------
# Compatibility (Tables 5 and 6)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """Stock lines that must not be stored together.

    One conflict stands for every pair of lines of two distinct (group, form)
    keys that one rule forbids: ``first`` and ``second`` are the first such
    pair, ``first_lines`` and ``second_lines`` all the lines of each side
    (equal when the lines conflict among themselves, e.g. CG L of several
    items).

    Attributes
    ----------
    first, second : int
        Indices of the first two lines in conflict (first < second).
    first_code, second_code : str
        Their classification codes, e.g. "1.1D".
    reason : str
        Why, in words; when more than these two lines are concerned it ends
        by naming the lines of each side (at most a few, then a count).
    source : str
        The table and clause, e.g. "AASTP-1 (2006) Part I §1.2.3, Table 6".
    first_lines, second_lines : tuple of int
        Every line of each side, ascending (``first`` is in ``first_lines``).
    """

    first: int
    second: int
    first_code: str
    second_code: str
    reason: str
    source: str
    first_lines: tuple[int, ...] = ()
    second_lines: tuple[int, ...] = ()


#: Values of CompatibilityResult.status (decision 29).
STATUS_COMPATIBLE = "compatible"
STATUS_CONDITIONAL = "conditional"
STATUS_INCOMPATIBLE = "incompatible"


@dataclass(frozen=True)
class CompatibilityResult:
    """Result of :func:`check_compatibility`.

    Attributes
    ----------
    compatible : bool
        True when there is no conflict (also when ``status`` is "conditional").
    status : str
        "incompatible" when there is a conflict; else "conditional" when a
        pair of lines meets a cell of Table 5 or 6 that permits the mix only
        under a note setting a condition depotsafe cannot see (effect
        "condition" or "treat_as" in mixing_notes.csv: Table 5 notes 1, 3;
        Table 6 notes 1, 2, 4, 5; standards.md section 9 decision 29); else
        "compatible".  A conditional mix is a finding for the manager to
        confirm, not a conflict.
    conflicts : list of Conflict
        At most one per pair of distinct (group, form) keys and rule.
    conditions : list of str
        Mixes allowed only under a condition (segregation, NCA discretion,
        UN Test Series 3, ...): not conflicts, but shown to the user.  One
        per pair of keys and note, naming the lines.
    effective_cg : list of str
        The group each line counts as in the mix (Table 6 notes 1, 5, 6, 7).
    """

    compatible: bool
    status: str
    conflicts: list[Conflict]
    conditions: list[str]
    effective_cg: list[str]


def _possible_forms(line: StockLine) -> tuple[str, ...]:
    return _forms_of(line.cg, line.form)


def _forms_of(cg: str, form: str | None) -> tuple[str, ...]:
    if form is not None:
        return (form,)
    return tuple(f for f in FORMS if cg in rules().tables[_TABLE_OF_FORM[f]].groups)


def _families(lines: Sequence[StockLine], idx: Sequence[int]) -> int:
    """Number of families among lines ``idx``: one per distinct item; a line
    without an item is a family of its own (unknown)."""
    named = {lines[i].item for i in idx if lines[i].item is not None}
    return len(named) + sum(1 for i in idx if lines[i].item is None)


#: Lines named in one message before "and N more".
_NAMED_LINES = 8


def _line_list(idx: Sequence[int]) -> str:
    """``0, 3, 7`` or ``0, 1, ..., 7 and 1,234 more``: at most _NAMED_LINES."""
    shown = ", ".join(map(str, idx[:_NAMED_LINES]))
    rest = len(idx) - _NAMED_LINES
    return shown if rest <= 0 else f"{shown} and {rest:,} more"


def _side(lines: Sequence[StockLine], idx: Sequence[int], key: _Key) -> str:
    """``lines 0, 4 (1.1D, 1.2D)`` (or ``line 0 (1.1D)``) of ``key``."""
    codes = key.codes if idx is key.lines else {lines[i].code for i in idx}
    return f"{'line' if len(idx) == 1 else 'lines'} {_line_list(idx)} ({', '.join(sorted(codes))})"


class _Key:
    """The lines of one distinct (group, form) key, and their items."""

    __slots__ = ("cg", "codes", "form", "forms", "items", "lines")

    def __init__(self, cg: str, form: str | None) -> None:
        self.cg = cg
        self.form = form
        self.forms = _forms_of(cg, form)
        self.lines: list[int] = []
        self.items: dict[str | None, int] = {}
        self.codes: set[str] = set()

    def add(self, i: int, item: str | None, code: str) -> None:
        self.lines.append(i)
        self.codes.add(code)
        self.items[item] = self.items.get(item, 0) + 1

    def apart_from(self, item: str | None, other: _Key) -> bool:
        """A line of ``item`` here has a line in ``other`` that is not of the
        same named item (CG L, stored apart: Table 5 note 2, Table 6 note 3).
        For ``other`` this key itself, the line is not its own partner."""
        n = len(other.lines) - (1 if other is self else 0)
        if n <= 0:
            return False
        if item is None:
            return True
        same = other.items.get(item, 0) - (1 if other is self else 0)
        return same < n


def _pair_outcomes(
    ka: _Key, kb: _Key
) -> list[tuple[str, MixingTable | None, Note | None]]:
    """What Tables 5 and 6 say of a line of key ``ka`` with one of ``kb``:
    ("none", None, None) when no table has both groups, ("blank", table,
    None) for a blank cell, ("note", table, note) for each note of the cell."""
    r = rules()
    if len(ka.forms) == 1 and ka.forms == kb.forms:
        tabs = [r.tables[_TABLE_OF_FORM[ka.forms[0]]]]
    else:
        tabs = [t for t in r.tables.values() if ka.cg in t.groups and kb.cg in t.groups]
    if not tabs:
        return [("none", None, None)]
    out: list[tuple[str, MixingTable | None, Note | None]] = []
    for t in tabs:
        cell = t.cells[(ka.cg, kb.cg)]
        if not cell.permitted and not cell.notes:
            out.append(("blank", t, None))
        for k in cell.notes:
            out.append(("note", t, r.notes[(t.number, k)]))
    return out


def check_compatibility(
    lines: Sequence[StockLine], *, n_families_compatible: bool = False
) -> CompatibilityResult:
    """Check that stock lines may be stored together (AASTP-1 Tables 5 and 6).

    Parameters
    ----------
    lines : sequence of StockLine
        The stock of one site.
    n_families_compatible : bool
        The user declares that all 1.6N munitions present are of one family
        or of "compatible" families (Table 6 note 6).  Without it, 1.6N lines
        of more than one item (a line without an item counts as its own
        family) count as CG D.

    Returns
    -------
    CompatibilityResult

    Raises
    ------
    InputError
        A line is not a valid StockLine.

    Notes
    -----
    Which table: a line of form "substance" is checked against Table 5, of
    form "article" against Table 6 (standards.md section 9 decision 25).  A
    line without a form may be either where its group appears in both tables
    (C, D, G, L, S); a group in one table only (A: substances; B, E, F, H, J,
    K, N: articles) fixes the form.  A pair of lines of one known form is
    checked against that form's table; any other pair (a substance with an
    article, or a form unknown) against every table that has both groups,
    and the strictest verdict holds.  A pair that no table has (CG A with an
    article-only group) is a conflict: para 1.2.3.3 d) permits mixing only
    as Tables 5 and 6 show and keeps CG A apart.

    A blank cell is a conflict.  A note whose effect is "isolate" (CG L:
    Table 5 note 2, Table 6 note 3) is a conflict unless both lines are of
    the same item.  Every other note is a condition; a note of effect
    "condition" or "treat_as" on a pair makes the status "conditional"
    (decision 29), notes 6 and 7 only change effective groups.  Effective groups:
    note 1 (CG B with D, E, F: the B line counts as F), note 5 (N with C, D,
    E counts as D), note 6 (several 1.6N families count as D unless
    declared compatible), note 7 (a set of only 1.6N and 1.4S: S counts as
    N).  Pairs are not re-checked with the effective groups: for N no cell
    of Table 6 changes verdict when N is read as D (checked in the tests),
    and for B the X1 cell is itself the rule of the pair.

    The verdict of a pair depends only on the two lines' groups and forms
    (and, for CG L, on their items), so the lines are first reduced to their
    distinct (group, form) keys (at most 23) and each pair of keys that
    holds a pair of distinct lines is read once: the cost is linear in the
    number of lines.  A conflict or condition is reported once per pair of
    keys and rule, naming its lines (tests/reference/explosives_naive.py
    checks this against every pair of lines).

    Suspect ammunition (para 1.2.3.4) is not modelled.  NCA modifications
    (para 1.2.3.3 a) are not modelled.
    """
    r = rules()
    lines = _revalidate(lines, "lines")
    effective = [line.cg for line in lines]
    family_pairs = False

    by_key: dict[tuple[str, str | None], _Key] = {}
    for i, line in enumerate(lines):
        key = by_key.get((line.cg, line.form))
        if key is None:
            key = by_key[(line.cg, line.form)] = _Key(line.cg, line.form)
        key.add(i, line.item, line.code)
    keys = sorted(by_key.values(), key=lambda k: k.lines[0])

    # (first, second, order) -> message; sorted at the end so the output is in
    # the order of the first pair of lines each message concerns.
    found_conflicts: list[tuple[int, int, int, Conflict]] = []
    found_conditions: list[tuple[int, int, int, str]] = []
    treated: list[tuple[_Key, str, str]] = []

    def first_pair(sa: Sequence[int], sb: Sequence[int], same: bool) -> tuple[int, int]:
        if same:
            return sa[0], sa[1]
        return (sa[0], sb[0]) if sa[0] < sb[0] else (sb[0], sa[0])

    def where(sa: Sequence[int], sb: Sequence[int], ka: _Key, kb: _Key) -> str:
        if ka is kb:
            return f"{_side(lines, sa, ka)} among themselves"
        return f"{_side(lines, sa, ka)} with {_side(lines, sb, kb)}"

    for ia, ka in enumerate(keys):
        for kb in keys[ia:]:
            same = ka is kb
            if same and len(ka.lines) < 2:
                continue
            outcomes = _pair_outcomes(ka, kb)
            for order, (kind, t, note) in enumerate(outcomes):
                sa, sb = ka.lines, kb.lines
                if kind == "note":
                    assert t is not None
                    assert note is not None
                    if note.effect == "isolate":
                        sa = [i for i in ka.lines if ka.apart_from(lines[i].item, kb)]
                        sb = sa if same else [
                            i for i in kb.lines if kb.apart_from(lines[i].item, ka)
                        ]
                        if not sa:
                            continue
                    elif note.effect in ("condition", "treat_as"):
                        i, j = first_pair(sa, sb, same)
                        label = f"Table {t.number} note {note.number}"
                        if len(sa) + (0 if same else len(sb)) == 2:
                            pair = (
                                f"lines {i} and {j} ({lines[i].code}, {lines[j].code})"
                            )
                        else:
                            pair = where(sa, sb, ka, kb) if sa[0] <= sb[0] else (
                                where(sb, sa, kb, ka)
                            )
                        found_conditions.append(
                            (i, j, order, f"{pair}: {label}: {note.text}")
                        )
                        if note.effect == "treat_as":
                            treated.append((ka, note.applies_to, note.treat_as))
                            treated.append((kb, note.applies_to, note.treat_as))
                        continue
                    elif note.effect == "families":
                        if ka.cg == note.applies_to and kb.cg == note.applies_to:
                            family_pairs = True
                        continue
                    elif note.effect == "set_treat_as":
                        continue  # applied to the whole set below
                    else:
                        raise RuleDataError(
                            f"mixing_notes.csv: unknown effect {note.effect!r}"
                        )
                # a conflict: orient it by its first pair of lines
                if kind != "note":
                    i, j = first_pair(sa, sb, same)
                elif same:
                    i, j = _first_apart(lines, sa)
                else:
                    i, j = _first_apart_between(lines, sa, sb)
                flip = not same and i not in sa
                s1, s2 = (sb, sa) if flip else (sa, sb)
                k1, k2 = (kb, ka) if flip else (ka, kb)
                a, b = lines[i], lines[j]
                if kind == "none":
                    reason = (
                        f"no mixing table has both CG {k1.cg} ({'/'.join(k1.forms)}) and "
                        f"CG {k2.cg} ({'/'.join(k2.forms)}); mixing is permitted only as "
                        "Tables 5 and 6 show"
                    )
                    source = f"{_SOURCE} §1.2.3.3 d)"
                elif kind == "blank":
                    assert t is not None
                    reason = (
                        f"Table {t.number} ({t.form}s) does not permit mixing CG {k1.cg} "
                        f"with CG {k2.cg}"
                    )
                    source = f"{_SOURCE} §1.2.3, Table {t.number}"
                else:
                    assert t is not None
                    assert note is not None
                    reason = (
                        f"CG {note.applies_to} must be stored apart from every other "
                        f"{t.form}, including other CG {note.applies_to} (Table "
                        f"{t.number} note {note.number}: {note.text})"
                    )
                    source = f"{_SOURCE} §1.2.3, Table {t.number}, note {note.number}"
                if len(s1) + (0 if same else len(s2)) > 2:
                    reason += f"; concerns {where(s1, s2, k1, k2)}"
                found_conflicts.append(
                    (
                        i,
                        j,
                        order,
                        Conflict(
                            i, j, a.code, b.code, reason, source,
                            tuple(s1), tuple(s1 if same else s2),
                        ),
                    )
                )

    conflicts = [c for *_, c in sorted(found_conflicts, key=lambda x: x[:3])]
    conditions: list[str] = []
    seen: set[str] = set()

    def add_condition(text: str) -> None:
        if text not in seen:
            seen.add(text)
            conditions.append(text)

    for *_, text in sorted(found_conditions, key=lambda x: x[:3]):
        add_condition(text)
    for key, applies_to, treat_as in treated:
        if key.cg == applies_to:
            for i in key.lines:
                effective[i] = treat_as
    # Table 6 note 6: several 1.6N families.
    families_note = next((n for n in r.notes.values() if n.effect == "families"), None)
    if family_pairs and families_note is not None:
        n_idx = [
            i for i, line in enumerate(lines) if line.cg == families_note.applies_to
        ]
        if _families(lines, n_idx) > 1:
            if n_families_compatible:
                add_condition(
                    f"lines {_line_list(n_idx)}: Table {families_note.table} note "
                    f"{families_note.number}: declared to be one family or compatible families; "
                    f"the set stays CG {families_note.applies_to}"
                )
            else:
                for i in n_idx:
                    effective[i] = families_note.treat_as
                add_condition(
                    f"lines {_line_list(n_idx)}: Table {families_note.table} note "
                    f"{families_note.number}: more than one family of {families_note.applies_to} "
                    f"munitions (by item name) not declared compatible: counted as CG "
                    f"{families_note.treat_as}. {families_note.text}"
                )
    # Table 6 note 7: a set made only of 1.6N and 1.4S may count as N.
    set_note = next((n for n in r.notes.values() if n.effect == "set_treat_as"), None)
    if set_note is not None:
        present = {line.cg for line in lines}
        if present == {set_note.applies_to, set_note.treat_as} and all(
            effective[i] == line.cg
            for i, line in enumerate(lines)
            if line.cg == set_note.treat_as
        ):
            for i, line in enumerate(lines):
                if line.cg == set_note.applies_to:
                    effective[i] = set_note.treat_as
            add_condition(
                f"Table {set_note.table} note {set_note.number}: {set_note.text}"
            )
    if conflicts:
        status = STATUS_INCOMPATIBLE
    elif found_conditions:
        status = STATUS_CONDITIONAL
    else:
        status = STATUS_COMPATIBLE
    return CompatibilityResult(
        compatible=not conflicts,
        status=status,
        conflicts=conflicts,
        conditions=conditions,
        effective_cg=effective,
    )


def _apart(x: StockLine, y: StockLine) -> bool:
    return x.item is None or x.item != y.item


def _first_apart(lines: Sequence[StockLine], idx: Sequence[int]) -> tuple[int, int]:
    """First pair (i < j) of lines ``idx`` (ascending) not of one named item."""
    i = idx[0]  # every line listed has a partner; the first is the smallest
    j = next(j for j in idx[1:] if _apart(lines[i], lines[j]))
    return i, j


def _first_apart_between(
    lines: Sequence[StockLine], sa: Sequence[int], sb: Sequence[int]
) -> tuple[int, int]:
    """First pair of a line of ``sa`` and one of ``sb`` not of one named item."""
    if sa[0] > sb[0]:
        sa, sb = sb, sa
    i = sa[0]
    j = next(j for j in sb if _apart(lines[i], lines[j]))
    return i, j


# ---------------------------------------------------------------------------
# Hazard-division mixing and aggregation (Table 4, para 1.3.2.5/1.3.2.6)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QDCase:
    """A quantity whose required distance the QD engine must evaluate.

    The required distance of a site is the maximum over its cases.

    Attributes
    ----------
    division : str
        "1.1", "1.2.1", "1.2.2", "1.3", "1.4" or "1.6": the QD tables to use.
    neq_kg : float
        The quantity [kg].
    unit_neq_kg : float or None
        For "1.6": the largest single-munition NEQ [kg]; else None.
    hd13_tables : tuple of str
        For "1.3": ("3A",) if every line counted is CG C (propellant),
        ("3B",) if none is, ("3A", "3B") if mixed (take the larger
        distance / smaller quantity).  Empty for other divisions.
    reason : str
        The rule that makes this a case, with its clause.
    """

    division: str
    neq_kg: float
    unit_neq_kg: float | None
    hd13_tables: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class HDMix:
    """Result of :func:`mix_divisions`.

    Attributes
    ----------
    neq_by_division : dict of str to float
        Total NEQ per QD division of the lines (keys from :func:`qd_division`) [kg].
    cases : list of QDCase
        The quantities whose required distances the engine takes the maximum of.
    notes : list of str
        Each rule applied, with its clause.
    governing_division : str or None
        One division to display: the most hazardous among the cases
        (hazard_divisions.csv display_rank); None for empty stock.
    """

    neq_by_division: dict[str, float]
    cases: list[QDCase]
    notes: list[str]
    governing_division: str | None


def _above_or_unknown(unit_neq_kg: float | None, limit_kg: float) -> bool:
    """True when a unit NEQ is unknown or above ``limit_kg`` (conservative)."""
    return unit_neq_kg is None or unit_neq_kg > limit_kg


def _t4(a: str, b: str) -> HDCell:
    return rules().hd_table[(a, b)]


def _t4_ref(a: str, b: str) -> str:
    return f"{_SOURCE} §1.2.3, Table 4 ({a} with {b})"


def mix_divisions(
    lines: Sequence[StockLine],
    *,
    hd16_mix_demonstrated: bool = False,
    n2_applies: bool = False,
) -> HDMix:
    """Aggregate the hazard divisions of one site into QD cases.

    Parameters
    ----------
    lines : sequence of StockLine
        The stock of one site.
    hd16_mix_demonstrated : bool
        The user declares that the mix of HD 1.6 with the other divisions
        present (and of several 1.6 families) has been "demonstrated by
        testing or analogy" (Table 4 note 3).  Without it, HD 1.6 in such a
        mix is also counted as 1.1.
    n2_applies : bool
        The user declares that one of Table 4 note 2 (a)-(c) holds (1.2
        shaped charges, high-energy propellants, 1.3 at high loading density
        under heavy confinement): a 1.2 + 1.3 mix is aggregated as 1.1.

    Returns
    -------
    HDMix

    Raises
    ------
    InputError
        A line is not a valid StockLine, or an HD 1.6 line has no unit NEQ
        (standards.md section 9 decision 24).

    Notes
    -----
    Each line is given one or more roles ("1.1", "1.2", "1.3", "1.6"):

    - 1.1 and 1.5 take the diagonal of Table 4 (1.5 with 1.5 is 1.1);
      1.2.1/1.2.2 take "1.2" with their sub-division, several 1.2 types
      combining by Table 4 (1.2.1 with 1.2.2 is 1.2.1: para 1.3.2.5 2);
      1.3 takes "1.3".
    - 1.6 takes, for each other division present, the Table 4 cell of
      row 1.6 (1.1, 1.2.1, 1.3); where that cell or its mirror carries note 3
      and the mix is not declared demonstrated, it also takes "1.1".  HD 1.6
      of more than one family (by item; a line without an item is its own
      family) is the 1.6/1.6 cell "1.6 n3": also "1.1" unless demonstrated.
    - 1.4 takes no role (Table 4 note 1, para 1.3.2.5 1); it gives its own
      case "1.4" so the engine applies the fixed 1.4 distance.

    Cases (para 1.3.2.5): if any line has role 1.1, the total of all non-1.4
    lines is taken as 1.1, and also as 1.2 (the more hazardous sub-division
    present) if a 1.2 role is present, and as 1.3 if a 1.3 role is present
    (rules 4, 5, 7; para 1.2.3.3 c).  Without 1.1: 1.2 and 1.3 are each taken
    alone (rule 6), and when Table 4 note 2 forces 1.1 (``n2_applies``, or a
    1.2.1 line whose unit NEQ exceeds 5 kg or is unknown: note 2 d) their
    total is also taken as 1.1.  HD 1.6 present always gives the case "1.6"
    (its aggregate NEQ, the largest unit NEQ), whatever else it joins.
    """
    r = rules()
    lines = _revalidate(lines, "lines")
    notes: list[str] = []

    def note(text: str) -> None:
        if text not in notes:
            notes.append(text)

    qd = [qd_division(line) for line in lines]
    by_div: dict[str, list[float]] = {}
    for line, d in zip(lines, qd, strict=True):
        by_div.setdefault(d, []).append(line.neq_kg)
    neq_by_division = {d: math.fsum(v) for d, v in sorted(by_div.items())}

    hd16 = [i for i, d in enumerate(qd) if d == "1.6"]
    for i in hd16:
        if lines[i].unit_neq_kg is None:
            raise InputError(
                f"lines[{i}].unit_neq",
                None,
                "HD 1.6 needs the NEQ of a single munition (standards.md section 9 "
                "decision 24; AASTP-1 (2006) Part I para 1.3.8)",
            )

    main = [i for i, d in enumerate(qd) if d != "1.4"]
    others = sorted({qd[i] for i in main if qd[i] != "1.6"})
    roles: dict[int, set[str]] = {}
    sub12: dict[int, str] = {}  # the 1.2 sub-division a line brings to a 1.2 role

    def role_of(treated_as: str) -> str:
        return r.divisions[treated_as].parent if treated_as != "1.5" else "1.1"

    for i in main:
        d = qd[i]
        if d == "1.6":
            continue
        diag = _t4(d, d).treated_as
        assert diag is not None
        roles[i] = {role_of(diag)}
        if diag.startswith("1.2"):
            sub12[i] = diag
        if diag != d:
            note(f"HD {d} is treated as {diag} ({_t4_ref(d, d)})")

    if hd16:
        n16_roles: set[str] = set()
        n16_sub: str | None = None
        for d in others:
            cell, mirror = _t4("1.6", d), _t4(d, "1.6")
            value = cell.treated_as or mirror.treated_as
            assert value is not None
            n16_roles.add(role_of(value))
            if value.startswith("1.2"):
                n16_sub = value
            n3 = cell.note if cell.note is not None else mirror.note
            if n3 is not None and r.notes[(4, n3)].effect == "hd_n3":
                if hd16_mix_demonstrated:
                    note(
                        f"HD 1.6 with {d}: treated as {value}, declared demonstrated by testing or analogy ({_t4_ref('1.6', d)}, note {n3})"
                    )
                else:
                    n16_roles.add("1.1")
                    note(
                        f"HD 1.6 with {d}: treated as {value} only if demonstrated by testing or analogy, "
                        f"if not as 1.1 ({_t4_ref('1.6', d)}, note {n3}); not declared, so also counted as 1.1"
                    )
            else:
                note(f"HD 1.6 with {d}: treated as {value} ({_t4_ref('1.6', d)})")
        if _families(lines, hd16) > 1:
            cell = _t4("1.6", "1.6")
            if cell.note is not None and not hd16_mix_demonstrated:
                n16_roles.add("1.1")
                note(
                    "HD 1.6 of more than one family (by item name): 1.6 only if demonstrated by testing "
                    f"or analogy, if not 1.1 ({_t4_ref('1.6', '1.6')}, note {cell.note}); "
                    "not declared, so also counted as 1.1"
                )
            elif cell.note is not None:
                note(
                    f"HD 1.6 of more than one family: declared demonstrated ({_t4_ref('1.6', '1.6')}, note {cell.note})"
                )
        if not others:
            n16_roles.add("1.6")
        for i in hd16:
            roles[i] = set(n16_roles)
            if n16_sub is not None:
                sub12[i] = n16_sub

    present = set().union(*roles.values()) if roles else set()

    def total(idx: Sequence[int]) -> float:
        return math.fsum(lines[i].neq_kg for i in idx)

    def sub_of(idx: Sequence[int]) -> str:
        subs = sorted({sub12[i] for i in idx if i in sub12})
        out = subs[0]
        for s in subs[1:]:
            combined = _t4(out, s).treated_as
            assert combined is not None
            if combined != out or combined != s:
                note(
                    f"HD {out} with {s}: aggregated as {combined} ({_t4_ref(out, s)}; {_SOURCE} §1.3.2.5 2)"
                )
            out = combined
        return out

    def tables13(idx: Sequence[int]) -> tuple[str, ...]:
        return tuple(sorted({r.groups[lines[i].cg].hd13_table for i in idx}))

    cases: list[QDCase] = []
    in12 = [i for i in main if "1.2" in roles.get(i, ())]
    in13 = [i for i in main if "1.3" in roles.get(i, ())]
    rule_ref = f"{_SOURCE} §1.3.2.5"
    if "1.1" in present:
        t = total(main)
        has12, has13 = "1.2" in present, "1.3" in present
        which = {
            (False, False): "",
            (True, False): " 4)",
            (False, True): " 5)",
            (True, True): " 7)",
        }[(has12, has13)]
        cases.append(
            QDCase(
                "1.1",
                t,
                None,
                (),
                f"total NEQ of all divisions but 1.4 as 1.1 ({_SOURCE} §1.2.3, Table 4; {rule_ref}{which})",
            )
        )
        if has12:
            cases.append(
                QDCase(
                    sub_of(in12),
                    t,
                    None,
                    (),
                    f"total NEQ as 1.2, the more hazardous type present ({rule_ref}{which}, 2))",
                )
            )
        if has13:
            cases.append(
                QDCase(
                    "1.3",
                    t,
                    None,
                    tables13(main),
                    f"total NEQ as 1.3, Table 3A/3B by group ({rule_ref}{which}, 3))",
                )
            )
        if has12 and has13:
            note(
                f"1.1 with 1.2 and 1.3: the total taken as 1.1, as 1.2 and as 1.3 ({rule_ref} 7); {_SOURCE} §1.2.3.3 c))"
            )
    else:
        if in12 and in13:
            ref = _t4("1.2.1", "1.3")
            n2 = ref.note
            big = [
                i
                for i in in12
                if sub12.get(i) == "1.2.1"
                and _above_or_unknown(lines[i].unit_neq_kg, r.n2d_unit_neq_kg)
            ]
            note(
                f"1.2 with 1.3: each amount alone, no aggregation ({rule_ref} 6)); unless Table 4 note {n2} applies"
            )
            if n2_applies or big:
                why = (
                    "declared: one of note 2 a)-c) holds"
                    if n2_applies
                    else f"note 2 d): 1.2.1 lines {_line_list(big)} have an individual NEQ above "
                    f"{r.n2d_unit_neq_kg:g} kg or not given (unknown is taken as above)"
                )
                cases.append(
                    QDCase(
                        "1.1",
                        total(sorted(set(in12) | set(in13))),
                        None,
                        (),
                        f"1.2 with 1.3 aggregated as 1.1 ({_t4_ref('1.2.1', '1.3')}, note {n2}: {why})",
                    )
                )
                note(
                    f"Table 4 note {n2}: the 1.2 + 1.3 mix is aggregated as 1.1 ({why}); the 1.2 and 1.3 amounts are also taken alone"
                )
            else:
                note(
                    f"Table 4 note {n2} a)-c) cannot be known from a stock list (1.2 shaped charges, high-energy "
                    "propellants, 1.3 at high loading density under heavy confinement): if any holds, the mix "
                    "must be aggregated as 1.1 (declare it with n2_applies)"
                )
        if in12:
            cases.append(
                QDCase(
                    sub_of(in12),
                    total(in12),
                    None,
                    (),
                    f"HD 1.2 amount ({rule_ref} 2){', 6)' if in13 else ')'}",
                )
            )
        if in13:
            cases.append(
                QDCase(
                    "1.3",
                    total(in13),
                    None,
                    tables13(in13),
                    f"HD 1.3 amount ({rule_ref} 3){', 6)' if in12 else ')'}",
                )
            )
    if hd16:
        unit = max(lines[i].unit_neq_kg or 0.0 for i in hd16)
        alone = present == {"1.6"}
        cases.append(
            QDCase(
                "1.6",
                total(hd16),
                unit,
                (),
                f"HD 1.6: aggregate NEQ with the largest single-munition NEQ ({_SOURCE} §1.3.8; standards.md section 9 decision 24)"
                + (
                    ""
                    if alone
                    else "; kept beside the mix as a floor (data/classification/README.md)"
                ),
            )
        )
    hd14 = [i for i, d in enumerate(qd) if d == "1.4"]
    if hd14:
        n1 = _t4("1.4", "1.1").note
        cases.append(
            QDCase(
                "1.4",
                total(hd14),
                None,
                (),
                f"HD 1.4 is not aggregated with other divisions; its fixed distance applies "
                f"({_SOURCE} §1.2.3, Table 4 note {n1}; §1.3.2.5 1); standards.md section 9 decision 23)",
            )
        )
        if main:
            note(
                f"HD 1.4 stored with other divisions without aggregating its NEQ (Table 4 note {n1}; {rule_ref} 1))"
            )
    ranked = [
        c.division for c in cases if r.divisions[c.division].display_rank is not None
    ]
    governing = (
        min(ranked, key=lambda d: r.divisions[d].display_rank or 0) if ranked else None
    )
    return HDMix(
        neq_by_division=neq_by_division,
        cases=cases,
        notes=notes,
        governing_division=governing,
    )
