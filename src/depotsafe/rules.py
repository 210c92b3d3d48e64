"""Rule sets as data: load, check and expose the quantity-distance tables.

A rule set is a folder of CSV/TOML files (``data/rulesets/<name>/``; see
``data/README.md`` for the schema).  It is loaded once, checked (known
functions and tags, contiguous branches, increasing branch functions, finite
numbers) and exposed as frozen dataclasses plus the flat float64 arrays that
the kernels take as arguments.  Nothing here decides a distance: that is
:mod:`depotsafe.qd`.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import math
import re
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from depotsafe import __version__
from depotsafe.errors import InputError, RuleDataError, one_of

FORM_POWER = 0
FORM_LOGQUAD = 1
#: scale * ceil(c0 + c1 ln Q + c2 ln^2 Q): a multiple of a tabulated (rounded-up) distance,
#: as AASTP-1 Table 2 prints D3..D6 (= 0.36 or 0.67 x the tabulated D1/D2).
FORM_LOGQUAD_CEIL = 2
_FORMS = {"power": FORM_POWER, "logquad": FORM_LOGQUAD, "logquad_ceil": FORM_LOGQUAD_CEIL}

#: Tags a matrix term may carry (data/README.md).  Tags never made active by
#: a relation ("n", "i") keep their terms out, as decisions 15 and 18 say.
KNOWN_TAGS = frozenset(
    {"light", "heavy", "sparse", "evac", "n", "i", "hd1.2.1", "hd1.2.2", "door_barricade", "storage_pes"}
)

_TERM_RE = re.compile(
    r"^(?:(?P<noqd>NOQD)|FIX=(?P<fix>[0-9.]+)|(?P<func>[A-Z][A-Za-z0-9]*)(?:>=(?P<min>[0-9.]+))?)"
    r"(?:/(?P<tags>[!A-Za-z0-9_.,]+))?$"
)


@dataclass(frozen=True)
class Branch:
    """One branch of a distance function, valid for ``q_lo_kg <= Q < q_hi_kg``."""

    form: int
    q_lo_kg: float
    q_hi_kg: float
    c0: float
    c1: float
    c2: float
    scale: float


@dataclass(frozen=True)
class DistanceFunction:
    """A distance function of a table (e.g. Table 1 D13), with its printed floor."""

    table: str
    code: str
    branches: tuple[Branch, ...]
    floor_m: float
    source: str

    @property
    def key(self) -> str:
        return f"{self.table}:{self.code}"


@dataclass(frozen=True)
class Term:
    """One alternative of a matrix cell: a function with a minimum, or a fixed distance."""

    text: str
    func: str | None  # function code in the cell's table; None for FIX/NOQD
    min_m: float
    fixed_m: float | None
    noqd: bool
    tags: frozenset[str]
    not_tags: frozenset[str]

    def applies(self, active: frozenset[str]) -> bool:
        return self.tags <= active and not (self.not_tags & active)


@dataclass(frozen=True)
class Cell:
    """A matrix cell (or a text rule from extra_terms.csv)."""

    table: str
    es_row: str
    pes_col: str
    printed: str
    terms: tuple[Term, ...]
    source: str


@dataclass(frozen=True)
class ExtraRule:
    """A distance required by the text, added to the matching cells."""

    table: str
    pes_col: str
    es_row: str
    es_kind: str
    terms: tuple[Term, ...]
    source: str


@dataclass(frozen=True)
class PesColumn:
    table: str
    pes_kind: str
    pes_face: str
    col: str
    source: str


@dataclass(frozen=True)
class EsRows:
    table: str
    es_kind: str
    es_face: str
    door_barricade: str  # "yes", "no" or "" (any)
    rows: tuple[str, ...]
    scale: float
    suppress_tags: frozenset[str]
    source: str


@dataclass(frozen=True)
class DivisionTable:
    """Which table gives the distance of a QD division, with which NEQ."""

    division: str
    table: str
    q_source: str  # "aggregate" or "unit"
    blast_only: bool
    tag: str
    hd13_table: str
    source: str


@dataclass(frozen=True)
class AssessmentRule:
    """Exposed sites toward which the tables are not to be used: an individual assessment (assessments.csv)."""

    condition: str  # "very_sensitive"
    cgs: tuple[str, ...]  # compatibility groups whose stock makes a storage site very sensitive
    es: str  # "storage": the kinds that hold explosives as stores (data/kinds.csv)
    quote: str
    source: str


@dataclass(frozen=True)
class FunctionArrays:
    """The distance functions as flat arrays, the form the kernels take."""

    branch_form: NDArray[np.float64]
    branch_q_lo: NDArray[np.float64]
    branch_q_hi: NDArray[np.float64]
    branch_c0: NDArray[np.float64]
    branch_c1: NDArray[np.float64]
    branch_c2: NDArray[np.float64]
    branch_scale: NDArray[np.float64]
    func_start: NDArray[np.float64]
    func_end: NDArray[np.float64]
    func_floor: NDArray[np.float64]


@dataclass(frozen=True)
class PrintedColumn:
    """One printed distance column of a table (AASTP-1 Annex I-A), for the table mode (decision 32).

    ``table_m`` is what the table mode reads: the printed value, except where the
    row is a named misprint (then its formula rounded up to the table's step).
    """

    table: str
    code: str
    neq_kg: NDArray[np.float64]
    printed_m: NDArray[np.float64]
    table_m: NDArray[np.float64]
    status: tuple[str, ...]
    page: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class RuleSet:
    """A loaded, checked rule set (hashed by identity: one object per process)."""

    name: str
    title: str
    statement: str
    partial: bool
    divisions: tuple[str, ...]
    table_q_min_kg: float
    table_q_max_kg: float
    functions: tuple[DistanceFunction, ...]
    function_index: dict[str, int]
    cells: dict[tuple[str, str, str], Cell]
    extra: tuple[ExtraRule, ...]
    pes_columns: tuple[PesColumn, ...]
    es_rows: tuple[EsRows, ...]
    division_tables: tuple[DivisionTable, ...]
    sha256: str
    table_ranges: dict[str, tuple[float, float]]
    licence_ceiling_kg: float
    arrays: FunctionArrays = field(repr=False)
    #: assessments.csv (optional file): where the tables give way to an individual assessment (decision 30)
    assessments: tuple[AssessmentRule, ...] = ()
    #: The printed distance columns of the tables (``printed_tables.csv``), by function key
    #: ("1:D13"), for the table mode (decision 32); empty when the rule set has none.
    printed: dict[str, PrintedColumn] = field(default_factory=dict, repr=False)
    #: How distances are read: "formula" (decision 4) or "table" (decision 32); a table-mode
    #: rule set is a view of the loaded one (:func:`rule_set_view`).
    rounding: str = "formula"
    #: The degree of protection whose alternatives the storage-to-storage cells carry
    #: ("default": the cells as loaded, decision 15; else a view, decision 31).
    protection: str = "default"
    #: The folder the rule set was read from (its protection.csv is read from there too).
    folder: Any = field(default=None, repr=False)
    #: For a view, the loaded rule set it was made from; None for a loaded rule set.
    loaded: RuleSet | None = field(default=None, repr=False)

    def provenance(self) -> dict[str, str]:
        """The provenance block of every answer (DESIGN.md)."""
        return {
            "rule_set": self.name,
            "rule_set_title": self.title,
            "rule_data_sha256": self.sha256,
            "depotsafe_version": __version__,
            "statement": self.statement,
        }

    def function(self, table: str, code: str) -> DistanceFunction:
        return self.functions[self.function_index[f"{table}:{code}"]]

    def assessment(self, condition: str) -> AssessmentRule | None:
        """The rule of assessments.csv for ``condition`` (e.g. "very_sensitive"), None if the rule set has none."""
        return next((a for a in self.assessments if a.condition == condition), None)


# ---------------------------------------------------------------- loading


@contextmanager
def _reading(file: str | list[str]) -> Iterator[None]:
    """Turn what goes wrong while reading one rule-set file into a RuleDataError naming it.

    ``file`` is the file's name, or a one-item list holding the name of the file
    being read at the moment (updated by the caller as it goes).
    """
    try:
        yield
    except Exception as exc:
        name = file if isinstance(file, str) else file[0]
        raise _file_error(name, exc) from None


def _file_error(name: str, exc: Exception) -> Exception:
    """The RuleDataError naming ``name`` for what went wrong reading it."""
    if isinstance(exc, RuleDataError):
        return exc if str(exc).startswith(name) else RuleDataError(f"{name}: {exc}")
    if isinstance(exc, FileNotFoundError):
        return RuleDataError(f"{name}: the file is missing")
    if isinstance(exc, OSError):
        return RuleDataError(f"{name}: cannot be read ({exc.strerror})")
    if isinstance(exc, UnicodeDecodeError):
        return RuleDataError(f"{name}: not UTF-8 text")
    if isinstance(exc, tomllib.TOMLDecodeError):
        return RuleDataError(f"{name}: not valid TOML ({exc})")
    if isinstance(exc, csv.Error):
        return RuleDataError(f"{name}: not a readable CSV file ({exc})")
    if isinstance(exc, KeyError):
        what = "key" if name.endswith(".toml") else "column"
        return RuleDataError(f"{name}: the {what} {exc.args[0]!r} is missing")
    if isinstance(exc, RecursionError):
        return RuleDataError(f"{name}: nested too deeply")
    if isinstance(exc, TypeError | ValueError | AttributeError | IndexError):
        return RuleDataError(f"{name}: malformed ({type(exc).__name__}: {exc})")
    return exc  # anything else is a bug, not bad data


def _read_csv(folder: Traversable, name: str) -> tuple[list[dict[str, str]], bytes]:
    with _reading(name):
        raw = folder.joinpath(name).read_bytes()
        text = raw.decode("utf-8")
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
        for k, row in enumerate(rows, start=1):
            if None in row or any(v is None for v in row.values()):
                raise RuleDataError(f"{name}: row {k} does not have as many cells as the header")
    return rows, raw


def _number(value: str, where: str, *, allow_empty: float | None = None) -> float:
    if value.strip() == "" and allow_empty is not None:
        return allow_empty
    try:
        number = float(value)
    except ValueError:
        raise RuleDataError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise RuleDataError(f"{where}: {value!r} is not finite")
    return number


def parse_terms(text: str, where: str) -> tuple[Term, ...]:
    """Parse the machine form of a cell (data/README.md grammar)."""
    terms = []
    for token in text.split():
        match = _TERM_RE.match(token)
        if not match:
            raise RuleDataError(f"{where}: cannot read term {token!r}")
        tags: set[str] = set()
        not_tags: set[str] = set()
        for tag in (match["tags"] or "").split(","):
            if not tag:
                continue
            target = not_tags if tag.startswith("!") else tags
            name = tag.lstrip("!")
            if name not in KNOWN_TAGS:
                raise RuleDataError(f"{where}: unknown tag {name!r} in {token!r}")
            target.add(name)
        terms.append(
            Term(
                text=token,
                func=match["func"],
                min_m=float(match["min"]) if match["min"] else 0.0,
                fixed_m=float(match["fix"]) if match["fix"] else None,
                noqd=bool(match["noqd"]),
                tags=frozenset(tags),
                not_tags=frozenset(not_tags),
            )
        )
    return tuple(terms)


def _check_branches(func: DistanceFunction) -> None:
    where = f"functions.csv {func.key}"
    previous_hi = None
    for b in func.branches:
        if previous_hi is not None and b.q_lo_kg != previous_hi:
            raise RuleDataError(f"{where}: branches leave a gap or overlap at {b.q_lo_kg} kg")
        if not b.q_hi_kg > b.q_lo_kg:
            raise RuleDataError(f"{where}: empty branch [{b.q_lo_kg}, {b.q_hi_kg})")
        if b.scale <= 0:
            raise RuleDataError(f"{where}: scale must be > 0")
        if b.form == FORM_POWER and not (b.c0 > 0 and b.c1 > 0):
            raise RuleDataError(f"{where}: a power branch needs c0 > 0 and c1 > 0")
        if b.form in (FORM_LOGQUAD, FORM_LOGQUAD_CEIL) and not b.q_lo_kg > 0:
            raise RuleDataError(f"{where}: a logquad branch needs q_lo_kg > 0")
        previous_hi = b.q_hi_kg
    if func.branches[0].form == FORM_POWER and func.branches[0].q_lo_kg != 0:
        raise RuleDataError(f"{where}: a power function must start at 0 kg")
    if math.isfinite(func.branches[-1].q_hi_kg):
        raise RuleDataError(f"{where}: the last branch must be unbounded")


def _function_arrays(functions: tuple[DistanceFunction, ...]) -> FunctionArrays:
    branches = [b for f in functions for b in f.branches]
    starts, ends, pos = [], [], 0
    for f in functions:
        starts.append(pos)
        pos += len(f.branches)
        ends.append(pos)

    def arr(values: list[float]) -> NDArray[np.float64]:
        out = np.ascontiguousarray(values, dtype=np.float64)
        out.setflags(write=False)
        return out

    return FunctionArrays(
        branch_form=arr([b.form for b in branches]),
        branch_q_lo=arr([b.q_lo_kg for b in branches]),
        branch_q_hi=arr([b.q_hi_kg for b in branches]),
        branch_c0=arr([b.c0 for b in branches]),
        branch_c1=arr([b.c1 for b in branches]),
        branch_c2=arr([b.c2 for b in branches]),
        branch_scale=arr([b.scale for b in branches]),
        func_start=arr(starts),
        func_end=arr(ends),
        func_floor=arr([f.floor_m for f in functions]),
    )


def load_folder(folder: Traversable) -> RuleSet:
    """Load and check a rule set from a folder (package data or a user path).

    Raises RuleDataError naming the file and what is wrong with it (missing,
    not UTF-8, not TOML/CSV, a missing key or column, a bad value).
    """
    stage = ["the folder"]
    with _reading(stage):
        return _load_folder(folder, stage)


def _load_folder(folder: Traversable, stage: list[str]) -> RuleSet:
    digest = hashlib.sha256()
    names = sorted(
        p.name for p in folder.iterdir() if p.name.endswith((".csv", ".toml"))
    )
    for name in names:
        stage[0] = name
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(folder.joinpath(name).read_bytes())
        digest.update(b"\0")

    stage[0] = "ruleset.toml"
    meta = tomllib.loads(folder.joinpath("ruleset.toml").read_text(encoding="utf-8"))
    for key in ("name", "title", "statement", "divisions"):
        if key not in meta:
            raise KeyError(key)

    stage[0] = "functions.csv"
    rows, _ = _read_csv(folder, "functions.csv")
    grouped: dict[str, list[dict[str, str]]] = {}
    for i, row in enumerate(rows, start=1):
        grouped.setdefault(f"{row['table']}:{row['code']}", []).append(row | {"_line": str(i)})
    functions = []
    for key, branch_rows in grouped.items():
        branches = []
        for row in branch_rows:
            where = f"functions.csv row {row['_line']} ({key})"
            if row["form"] not in _FORMS:
                raise RuleDataError(f"{where}: form {row['form']!r}, {one_of(_FORMS)}")
            branches.append(
                Branch(
                    form=_FORMS[row["form"]],
                    q_lo_kg=_number(row["q_lo_kg"], where),
                    q_hi_kg=_number(row["q_hi_kg"], where, allow_empty=math.inf),
                    c0=_number(row["c0"], where),
                    c1=_number(row["c1"], where),
                    c2=_number(row["c2"], where, allow_empty=0.0),
                    scale=_number(row["scale"], where, allow_empty=1.0),
                )
            )
        floors = {row["floor_m"] for row in branch_rows}
        if len(floors) != 1:
            raise RuleDataError(f"functions.csv {key}: branches disagree on floor_m")
        table, code = key.split(":")
        func = DistanceFunction(
            table=table,
            code=code,
            branches=tuple(branches),
            floor_m=_number(floors.pop(), f"functions.csv {key} floor_m"),
            source=branch_rows[0]["source"],
        )
        _check_branches(func)
        functions.append(func)
    functions_t = tuple(functions)
    function_index = {f.key: i for i, f in enumerate(functions_t)}

    def check_terms(table: str, terms: tuple[Term, ...], where: str) -> None:
        for t in terms:
            if t.func is not None and f"{table}:{t.func}" not in function_index:
                raise RuleDataError(f"{where}: function {t.func} is not in table {table}")

    cells: dict[tuple[str, str, str], Cell] = {}
    stage[0] = "matrix.csv"
    rows, _ = _read_csv(folder, "matrix.csv")
    for i, row in enumerate(rows, start=1):
        where = f"matrix.csv row {i} (table {row['table']} row {row['es_row']} col {row['pes_col']})"
        terms = parse_terms(row["terms"], where)
        check_terms(row["table"], terms, where)
        key = (row["table"], row["es_row"], row["pes_col"])
        if key in cells:
            raise RuleDataError(f"{where}: duplicate cell")
        cells[key] = Cell(row["table"], row["es_row"], row["pes_col"], row["printed"], terms, row["source"])

    extra = []
    stage[0] = "extra_terms.csv"
    rows, _ = _read_csv(folder, "extra_terms.csv")
    for i, row in enumerate(rows, start=1):
        where = f"extra_terms.csv row {i}"
        terms = parse_terms(row["terms"], where)
        check_terms(row["table"], terms, where)
        extra.append(
            ExtraRule(row["table"], row["pes_col"], row["es_row"], row["es_kind"], terms, row["source"])
        )

    stage[0] = "pes_columns.csv"
    rows, _ = _read_csv(folder, "pes_columns.csv")
    pes_columns = tuple(
        PesColumn(r["table"], r["pes_kind"], r["pes_face"], r["col"], r["source"]) for r in rows
    )
    stage[0] = "es_rows.csv"
    rows, _ = _read_csv(folder, "es_rows.csv")
    es_rows = tuple(
        EsRows(
            table=r["table"],
            es_kind=r["es_kind"],
            es_face=r["es_face"],
            door_barricade=r["door_barricade"],
            rows=tuple(r["rows"].split()),
            scale=_number(r["scale"], f"es_rows.csv {r['es_kind']}"),
            suppress_tags=frozenset(r["suppress_tags"].split()),
            source=r["source"],
        )
        for r in rows
    )
    stage[0] = "divisions.csv"
    rows, _ = _read_csv(folder, "divisions.csv")
    division_tables = tuple(
        DivisionTable(
            division=r["division"],
            table=r["table"],
            q_source=r["q_source"],
            blast_only=r["blast_only"] == "yes",
            tag=r["tag"],
            hd13_table=r["hd13_table"],
            source=r["source"],
        )
        for r in rows
    )
    for d in division_tables:
        if d.q_source not in ("aggregate", "unit"):
            raise RuleDataError(f"divisions.csv {d.division}: q_source {d.q_source!r}")
        if d.tag and d.tag not in KNOWN_TAGS:
            raise RuleDataError(f"divisions.csv {d.division}: unknown tag {d.tag!r}")
    # Every row named by es_rows/pes_columns must exist in the matrix (or be a wildcard).
    matrix_rows = {(t, r) for (t, r, _c) in cells}
    for m in es_rows:
        for r in m.rows:
            if r != "*" and (m.table, r) not in matrix_rows:
                raise RuleDataError(f"es_rows.csv {m.es_kind}: table {m.table} has no row {r}")

    assessments = _read_assessments(folder, stage)

    stage[0] = "ruleset.toml"
    return RuleSet(
        name=str(meta["name"]),
        title=str(meta["title"]),
        statement=str(meta["statement"]),
        partial=bool(meta.get("partial", False)),
        divisions=tuple(meta["divisions"]),
        table_q_min_kg=float(meta.get("table_q_min_kg", 0.0)),
        table_q_max_kg=float(meta.get("table_q_max_kg", math.inf)),
        functions=functions_t,
        function_index=function_index,
        cells=cells,
        extra=tuple(extra),
        pes_columns=pes_columns,
        es_rows=es_rows,
        division_tables=division_tables,
        sha256=digest.hexdigest(),
        licence_ceiling_kg=float(meta.get("licence_ceiling_kg", 1.0e7)),
        table_ranges={
            str(k): (float(v[0]), float(v[1])) for k, v in meta.get("table_ranges", {}).items()
        },
        arrays=_function_arrays(functions_t),
        assessments=assessments,
        printed=_printed_columns(folder, functions_t, function_index, stage),
        folder=folder,
    )


_ASSESSMENT_CONDITIONS = ("very_sensitive",)
_ASSESSMENT_ES = ("storage",)


def _read_assessments(folder: Traversable, stage: list[str]) -> tuple[AssessmentRule, ...]:
    """The optional assessments.csv of a rule set (none: no exposed site suspends the tables)."""
    if not folder.joinpath("assessments.csv").is_file():
        return ()
    stage[0] = "assessments.csv"
    rows, _ = _read_csv(folder, "assessments.csv")
    out = []
    for i, row in enumerate(rows, start=1):
        where = f"assessments.csv row {i}"
        if row["condition"] not in _ASSESSMENT_CONDITIONS:
            raise RuleDataError(f"{where}: condition {row['condition']!r}, {one_of(_ASSESSMENT_CONDITIONS)}")
        if row["es"] not in _ASSESSMENT_ES:
            raise RuleDataError(f"{where}: es {row['es']!r}, {one_of(_ASSESSMENT_ES)}")
        if not row["source"].strip():
            raise RuleDataError(f"{where}: the source is empty")
        cgs = tuple(row["cg"].upper().split())
        if any(not re.fullmatch(r"[A-Z]", g) for g in cgs):
            raise RuleDataError(f"{where}: cg {row['cg']!r} is not a list of group letters")
        out.append(AssessmentRule(row["condition"], cgs, row["es"], row["quote"], row["source"]))
    return tuple(out)


#: Statuses of printed_tables.csv (its header says what each means).
PRINTED_STATUSES = ("ok", "misprint", "below_formula", "above_rounding")


def table_step_m(value_m: float) -> float:
    """The rounding step of the printed AASTP-1 Tables 1, 3A and 3B at a distance [m].

    Up to 1 m below 100 m, 5 m from 100 m, 10 m from 500 m, 20 m from 1,000 m
    (data/rulesets/AUDIT_NOTES.md section 3; A.1.2 says "to the nearest metre").
    """
    if value_m < 100:
        return 1.0
    if value_m < 500:
        return 5.0
    if value_m < 1000:
        return 10.0
    return 20.0


def _printed_columns(
    folder: Traversable, functions: tuple[DistanceFunction, ...], function_index: dict[str, int],
    stage: list[str],
) -> dict[str, PrintedColumn]:
    """The printed columns of ``printed_tables.csv`` (optional file), checked.

    Only the columns of functions the rule set has are kept.  A misprint reads as
    its formula rounded up to the table's step, never less than printed (decision 32).
    Whether each column is nondecreasing, as the table mode needs, is checked when
    the table mode is asked for (depotsafe.tablemode.with_rounding), so that a
    rule set whose columns do not fit its functions still loads in formula mode.
    """
    name = "printed_tables.csv"
    if not folder.joinpath(name).is_file():
        return {}
    stage[0] = name
    rows, _ = _read_csv(folder, name)
    grouped: dict[str, list[tuple[float, float, str, str]]] = {}
    for i, row in enumerate(rows, start=1):
        where = f"{name} row {i}"
        status = row["status"]
        if status not in PRINTED_STATUSES:
            raise RuleDataError(f"{where}: status {status!r}, {one_of(PRINTED_STATUSES)}")
        key = f"{row['table']}:{row['function']}"
        if key not in function_index:
            continue
        q = _number(row["neq_kg"], where)
        printed = _number(row["printed_m"], where)
        if not (q > 0 and printed > 0):
            raise RuleDataError(f"{where}: neq_kg and printed_m must be > 0")
        grouped.setdefault(key, []).append((q, printed, status, row["page"]))
    out: dict[str, PrintedColumn] = {}
    for key, entries in grouped.items():
        entries.sort()
        qs = [e[0] for e in entries]
        if len(set(qs)) != len(qs):
            raise RuleDataError(f"{name} {key}: a tabulated NEQ appears twice")
        func = functions[function_index[key]]
        values = []
        for q, printed, status, _page in entries:
            if status == "misprint":
                v = _formula_value(func, q)
                step = table_step_m(v)
                values.append(max(printed, math.ceil(v / step - 1e-9) * step))
            else:
                values.append(printed)

        def arr(v: list[float]) -> NDArray[np.float64]:
            a = np.ascontiguousarray(v, dtype=np.float64)
            a.setflags(write=False)
            return a

        table, code = key.split(":")
        out[key] = PrintedColumn(
            table=table, code=code, neq_kg=arr(qs), printed_m=arr([e[1] for e in entries]), table_m=arr(values),
            status=tuple(e[2] for e in entries), page=tuple(e[3] for e in entries),
        )
    return out


def _formula_value(func: DistanceFunction, q: float) -> float:
    """A function's value at q (the running maximum of its branches with its floor; as qd.function_distance_m)."""
    best = func.floor_m
    q = max(q, func.branches[0].q_lo_kg)
    for b in func.branches:
        if b.q_lo_kg > q:
            break
        hi = min(q, b.q_hi_kg)
        points = [b.q_lo_kg, hi]
        if b.form != FORM_POWER and b.c2 < 0:
            points.append(math.exp(min(max(-b.c1 / (2.0 * b.c2), math.log(b.q_lo_kg)), math.log(hi))))
        for x in points:
            if x <= 0:
                continue
            if b.form == FORM_POWER:
                v = b.scale * b.c0 * x**b.c1
            else:
                u = math.log(x)
                inner = b.c0 + b.c1 * u + b.c2 * u * u
                v = b.scale * (math.ceil(inner) if b.form == FORM_LOGQUAD_CEIL else inner)
            best = max(best, v)
    return best


_LOCK = threading.Lock()
_LOADED: dict[str, RuleSet] = {}


_VIEW_LOCK = threading.Lock()
_VIEWS: dict[tuple[int, str, str], RuleSet] = {}  # (id of the loaded rule set, rounding, protection)


def rule_set_view(rule_set: RuleSet, *, rounding: str | None = None, protection: str | None = None) -> RuleSet:
    """The loaded rule set behind ``rule_set`` read with ``rounding`` and ``protection``.

    One object per loaded rule set, rounding and degree, per process (rule sets
    hash by identity); None keeps the mode of ``rule_set``.  Every view points
    to its loaded rule set, so views of views never stack.  The arguments are
    checked by the callers (:func:`depotsafe.tablemode.with_rounding`,
    :func:`depotsafe.protection.requested_rule_set`), which also build the cells.
    """
    origin = rule_set.loaded if rule_set.loaded is not None else rule_set
    rounding = rule_set.rounding if rounding is None else rounding
    protection = rule_set.protection if protection is None else protection
    if rounding == origin.rounding and protection == origin.protection:
        return origin
    key = (id(origin), rounding, protection)
    with _VIEW_LOCK:
        found = _VIEWS.get(key)
    if found is not None:
        return found
    changes: dict[str, Any] = {"rounding": rounding, "protection": protection, "loaded": origin}
    if protection != origin.protection:
        from depotsafe.protection import derived_cells

        changes["cells"] = derived_cells(origin, protection)
    view = dataclasses.replace(origin, **changes)
    with _VIEW_LOCK:
        # the view holds its origin, so the origin's id is never reused while the entry lives
        return _VIEWS.setdefault(key, view)


def available_rule_sets() -> tuple[str, ...]:
    """Names of the rule sets shipped with depotsafe."""
    folder = resources.files("depotsafe.data").joinpath("rulesets")
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")))


def load_rule_set(name: str = "iatg") -> RuleSet:
    """Load a shipped rule set by name, or a user rule set from a folder path.

    Loaded once per process and shared (read-only) by every thread.
    """
    with _LOCK:
        if name in _LOADED:
            return _LOADED[name]
        shipped = available_rule_sets()
        if name in shipped:
            folder: Traversable = resources.files("depotsafe.data").joinpath("rulesets", name)
        elif Path(name).is_dir() and (Path(name) / "ruleset.toml").is_file():
            folder = Path(name)  # type: ignore[assignment]
        else:
            raise InputError(
                "rule set", name, one_of(shipped) + ", or a folder holding a ruleset.toml"
            )
        try:
            rule_set = load_folder(folder)
        except RuleDataError as exc:
            if name in shipped:
                raise
            raise InputError("rule set", name, f"this folder's {exc}") from None
        _LOADED[name] = rule_set
        return rule_set
