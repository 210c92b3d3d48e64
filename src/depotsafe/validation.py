"""Check a rule set against its source: the Annex I-B worked examples and the printed tables.

``depotsafe validate`` runs this.  Two sets of reference cases, both read at
run time from the rule-set folder (so a national copy of the rule set carries
the references it is judged by):

- ``worked_examples.csv``: the worked examples of AASTP-1 (2006) Annex I-B,
  each with its inputs, the printed answer and its page.  Every example the
  file marks reproducible goes through the public engine
  (:func:`depotsafe.api.required_distance` / :func:`depotsafe.api.quantity_limit`),
  exactly as ``depotsafe qd`` answers it.
- ``printed_tables.csv``: every printed distance of Annex I-A Tables 1, 2, 3A
  and 3B, compared with the rule set's distance function at that NEQ.

How a case is judged depends on the rounding mode.  In ``formula``
(standards.md decision 4) depotsafe computes every distance from its formula,
and a printed distance is a reference within the table's rounding step, both
ways (:func:`within_rounding_step`).  A printed quantity ("how much at this
distance") is the next lesser tabulated quantity (AASTP-1 §1.3.2.1 b)), so the
exact inverse passes when it is at least the printed quantity and below the next
tabulated quantity.  In ``table`` (decision 32, :mod:`depotsafe.tablemode`) the
engine reads the printed tables and must give the printed figure exactly; an
answer that the table mode takes from the formula (outside the printed columns:
text minimums, beyond the tables) is judged as the formula; a vulnerable
building reads 2 x the printed column (Annex I-B §8 4)) and is judged as a table.

Verdicts: ``pass``, ``fail``, ``misprint`` (a value the CSV names as a
misprint: reported with the formula value, never counted as a pass),
``below_formula`` (a value the CSV names as printed below its formula, where
depotsafe's formula value lies above the printed value by more than the step:
the safe side, counted apart), ``not_reproducible`` (declared so in the CSV,
with its reason) and ``not_checked`` (the rule set has no function for a
printed column, or the example needs an option depotsafe does not have).
Only ``fail`` makes the check fail.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from depotsafe.api import quantity_limit, required_distance
from depotsafe.errors import DepotsafeError, InputError, one_of
from depotsafe.qd import function_distance_m
from depotsafe.rules import RuleSet, available_rule_sets, load_rule_set
from depotsafe.units import quantity

#: Rounding modes the check knows.  ``formula``: standards.md decision 4;
#: ``table``: decision 32 (the printed tables, exactly).
ROUNDING_MODES: tuple[str, ...] = ("formula", "table")

#: What ``--only`` may select.
PARTS: tuple[str, ...] = ("examples", "tables")

#: Verdicts, in the order the summary lists them.
VERDICTS: tuple[str, ...] = (
    "pass", "fail", "misprint", "below_formula", "not_reproducible", "not_checked",
)

EXAMPLES_FILE = "worked_examples.csv"
TABLES_FILE = "printed_tables.csv"

_EXAMPLE_COLUMNS = (
    "id", "hd", "neq_kg", "pes_kind", "pes_face", "es_kind", "es_face", "traffic", "distance_m",
    "table", "pes_col", "es_row", "asked", "printed_answer", "unit", "function", "answer_from",
    "formula_value", "reproducible", "note", "page",
)
_TABLE_COLUMNS = ("table", "function", "neq_kg", "printed_m", "page", "status", "note")
_TABLE_STATUSES = ("ok", "misprint", "below_formula", "above_rounding")

_PAGE_RE = re.compile(r"p\. ?(I-[A-Z0-9]+-\d+(?:/\d+)?) \(PDF p\.(\d+(?:/\d+)?)\)")
_PDF_PAGE_RE = re.compile(r"^pdf p(\d+) \((I-[A-Z0-9]+-\d+)\)$")


# ------------------------------------------------------------ the rounding step


def rounding_step_m(printed_m: float) -> float:
    """The rounding step of the printed AASTP-1 tables [m] (standards.md section 2.1).

    The tables round up to 1 m below 100 m, to 5 m from 100 m, to 10 m from
    500 m and to 20 m from 1,000 m (Annex I-A; A.1.2 says "to the nearest
    metre", the tables do not follow it).
    """
    if printed_m < 100:
        return 1.0
    if printed_m < 500:
        return 5.0
    if printed_m < 1000:
        return 10.0
    return 20.0


def within_rounding_step(printed_m: float, value_m: float) -> bool:
    """True when a formula value lies within the table's rounding step of a printed distance, both ways.

    The one definition of "depotsafe reproduces a printed distance" in formula
    mode (standards.md decision 4), used by ``depotsafe validate`` and the tests.
    """
    step = rounding_step_m(printed_m)
    return printed_m - step <= value_m <= printed_m + step


# ------------------------------------------------------------ reading the references


def rule_set_folder(name: str) -> Traversable:
    """The folder a rule set is loaded from: a shipped name or a user path (as rules.load_rule_set)."""
    if name in available_rule_sets():
        return resources.files("depotsafe.data").joinpath("rulesets", name)
    path = Path(name)
    if path.is_dir() and (path / "ruleset.toml").is_file():
        return path  # type: ignore[return-value]
    raise InputError("rule-set", name, one_of(available_rule_sets()) + ", or a folder holding a ruleset.toml")


def _read_reference(folder: Traversable, name: str, columns: Iterable[str]) -> tuple[list[dict[str, str]], str]:
    """Rows of a reference CSV (``#`` lines are comments) and the file's SHA-256."""
    entry = folder.joinpath(name)
    if not entry.is_file():
        raise InputError(
            "rule-set", str(folder),
            f"the rule set has no {name}: nothing to check it against (the iatg rule set carries one)",
        )
    raw = entry.read_bytes()
    lines = [ln for ln in raw.decode("utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    header = set(rows[0]) if rows else set()
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(name, ", ".join(missing), "these columns are required: " + ", ".join(columns))
    return rows, hashlib.sha256(raw).hexdigest()


def read_worked_examples(folder: Traversable) -> list[dict[str, str]]:
    """The Annex I-B worked examples of a rule-set folder."""
    return _read_reference(folder, EXAMPLES_FILE, _EXAMPLE_COLUMNS)[0]


def read_printed_tables(folder: Traversable) -> list[dict[str, str]]:
    """The printed table values of a rule-set folder."""
    return _read_reference(folder, TABLES_FILE, _TABLE_COLUMNS)[0]


def short_page(source: str) -> str:
    """``I-B-8 (PDF p.188)`` from a CSV's page or source text."""
    m = _PDF_PAGE_RE.match(source.strip())
    if m:
        return f"{m.group(2)} (PDF p.{m.group(1)})"
    found = _PAGE_RE.findall(source)
    if found:
        return "; ".join(f"{p} (PDF p.{pdf})" for p, pdf in found)
    return source


# ------------------------------------------------------------ the cases


@dataclass(frozen=True)
class Case:
    """One reference case and its verdict (one row of the pass/fail table)."""

    kind: str  # "example" or "table"
    id: str
    page: str
    source: str
    asked: str  # "distance" or "quantity"
    unit: str  # "m" or "kg"
    printed: str  # as printed ("610", ">250000", "0" = nil, "D12")
    printed_value: float | None  # the number compared with (None: nothing to compare)
    depotsafe_value: float | None  # unrounded; inf = unlimited
    depotsafe_rule: str
    verdict: str
    detail: str
    command: str  # the depotsafe qd command that gives the same answer ("" for table values)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        value = self.depotsafe_value
        out["unlimited"] = value is not None and math.isinf(value)
        if out["unlimited"]:
            out["depotsafe_value"] = None
        return out


class _FormulaJudge:
    """Judge of the formula mode (decision 4)."""

    name = "formula"

    def distance(self, printed_m: float, value_m: float) -> bool:
        """A printed distance: within the table's rounding step, both ways (decision 4)."""
        return within_rounding_step(printed_m, value_m)

    def quantity(self, printed_kg: float, limit_kg: float, next_kg: float) -> bool:
        """A printed quantity limit: the next lesser tabulated quantity (§1.3.2.1 b))."""
        if printed_kg == 0.0:
            return limit_kg == 0.0  # the source says nil: nothing may be stored
        return printed_kg <= limit_kg < next_kg

    def more_than(self, printed_kg: float, limit_kg: float) -> bool:
        """A printed "over 250 000 kg": the end of the tables."""
        return limit_kg > printed_kg


class _TableJudge:
    """Judge of the table mode (decision 32): the printed figure, exactly."""

    name = "table"

    def distance(self, printed_m: float, value_m: float) -> bool:
        return value_m == printed_m

    def quantity(self, printed_kg: float, limit_kg: float, next_kg: float) -> bool:
        del next_kg
        return limit_kg == printed_kg

    def more_than(self, printed_kg: float, limit_kg: float) -> bool:
        return limit_kg > printed_kg


_JUDGES = {"formula": _FormulaJudge(), "table": _TableJudge()}


def _outside_tables(answer: Any) -> bool:
    """True when a table-mode answer came from the formula (outside the printed columns, decision 32)."""
    return answer.rule_set.rounding == "table" and any(
        n.startswith("table mode:") and "the formula applies" in n for n in answer.notes
    )


def _fmt_m(value: float) -> str:
    return f"{value:,.1f} m"


def _fmt_kg(value: float) -> str:
    if math.isinf(value):
        return "unlimited"
    if value == 0.0:
        return "nil (0 kg)"
    return f"{math.floor(value):,} kg"


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _division_and_group(row: dict[str, str]) -> tuple[str, str | None]:
    """The ``--hd`` and ``--cg`` a user gives for an example's hazard division."""
    hd = row["hd"].split()[0]
    cg = None
    if hd == "1.3":
        # Annex I-B §10 a), p. I-B-10: propellants (group C) take Table 3A, "other items
        # (mainly Compatibility Group G)" Table 3B.
        cg = "C" if row["table"] == "3A" else "G"
    return hd, cg


def _command(row: dict[str, str], hd: str, cg: str | None, rule_set: str, rounding: str = "formula") -> str:
    parts = ["depotsafe qd", f"--hd {hd}"]
    if cg:
        parts.append(f"--cg {cg}")
    if row["asked"] == "quantity":
        parts.append(f'--distance "{row["distance_m"]} m"')
    else:
        parts.append(f'--neq "{row["neq_kg"]} kg"')
    parts.append(f"--pes {row['pes_kind']}")
    if row["pes_face"]:
        parts.append(f"--pes-face {row['pes_face']}")
    parts.append(f"--es {row['es_kind']}")
    if row["es_face"]:
        parts.append(f"--es-face {row['es_face']}")
    if row["traffic"]:
        parts.append(f"--traffic {row['traffic']}")
    if rule_set != "iatg":
        parts.append(f"--rule-set {rule_set}")
    if _protection_asked(row) != "default":
        parts.append(f"--protection {_protection_asked(row)}")
    if rounding != "formula":
        parts.append(f"--rounding {rounding}")
    return " ".join(parts)


def _protection_asked(row: dict[str, str]) -> str:
    """The degree of protection a worked example asks for ("distance (virtually complete protection)")."""
    asked = row["asked"]
    if "virtually complete protection" in asked:
        return "virtually-complete"
    if "high" in asked and "protection" in asked:
        return "high"
    return "default"


def _tabulated_neqs(table_rows: list[dict[str, str]]) -> dict[str, list[float]]:
    """The NEQ column of each printed table (every quantity any of its functions prints)."""
    neqs: dict[str, set[float]] = {}
    for r in table_rows:
        neqs.setdefault(r["table"], set()).add(_number(r["neq_kg"]))
    return {t: sorted(v) for t, v in neqs.items()}


def _printed_distance(table_rows: list[dict[str, str]], table: str, code: str, neq_kg: float) -> dict[str, str] | None:
    """The printed row of a function at the next tabulated quantity up (None: not printed)."""
    best: dict[str, str] | None = None
    for r in table_rows:
        if r["table"] == table and r["function"] == code:
            q = _number(r["neq_kg"])
            if q >= neq_kg and (best is None or q < _number(best["neq_kg"])):
                best = r
    return best


def example_case(
    row: dict[str, str],
    rs: RuleSet,
    rule_set_name: str,
    table_rows: list[dict[str, str]],
    rounding: str = "formula",
) -> Case:
    """Run one Annex I-B worked example through the public engine and judge it."""
    judge = _JUDGES[rounding]
    asked = "quantity" if row["asked"] == "quantity" else "distance"
    unit = "kg" if asked == "quantity" else "m"
    hd, cg = _division_and_group(row)
    base: dict[str, Any] = {
        "kind": "example",
        "id": row["id"],
        "page": short_page(row["page"]),
        "source": row["page"],
        "asked": asked,
        "unit": unit,
        "printed": row["printed_answer"],
        "command": _command(row, hd, cg, rule_set_name, rounding),
    }
    if row["reproducible"].strip().lower() != "yes":
        return Case(
            **base, printed_value=None, depotsafe_value=None, depotsafe_rule="",
            verdict="not_reproducible", detail=f"not reproducible: {row['note']}",
        )
    common: dict[str, Any] = {
        "pes_face": row["pes_face"] or None,
        "es_face": row["es_face"] or None,
        "traffic": row["traffic"] or None,
        "cg": cg,
        "rule_set": rs,
        "protection": _protection_asked(row),  # decision 31: the example's degree, not the default reading
        "rounding": rounding,
    }
    if asked == "quantity":
        distance_m = _number(row["distance_m"])
        answer = quantity_limit(hd, quantity(distance_m, "m"), row["pes_kind"], row["es_kind"], **common)
        limit = answer.max_neq_kg
        assert limit is not None
        outside = _outside_tables(answer)
        if outside:  # decision 32: outside the printed columns the formula applies, judged as such
            judge = _JUDGES["formula"]
        printed = row["printed_answer"].strip()
        if printed.startswith(">"):
            printed_kg = _number(printed[1:])
            ok = judge.more_than(printed_kg, limit)
            wanted = f"more than {printed_kg:,.0f} kg"
        else:
            printed_kg = _number(printed)
            ups = [q for q in _tabulated_neqs(table_rows).get(row["table"], []) if q > printed_kg]
            next_kg = ups[0] if ups else math.inf
            ok = judge.quantity(printed_kg, limit, next_kg)
            if printed_kg == 0.0:
                wanted = "nil"
            else:
                wanted = f"at least {printed_kg:,.0f} kg and below the next tabulated {next_kg:,.0f} kg"
        detail = f"{_fmt_kg(limit)} at {distance_m:,.0f} m ({answer.rule_code}); the printed answer needs {wanted}"
        if outside:
            detail += "; table mode: outside the printed tables the formula applies (decision 32), judged as formula"
        return Case(
            **base, printed_value=printed_kg, depotsafe_value=limit, depotsafe_rule=answer.rule_code,
            verdict="pass" if ok else "fail", detail=detail,
        )

    neq_kg = _number(row["neq_kg"])
    answer = required_distance(hd, quantity(neq_kg, "kg"), row["pes_kind"], row["es_kind"], **common)
    value = answer.required_distance_m
    assert value is not None
    if _outside_tables(answer):
        judge = _JUDGES["formula"]
    printed = row["printed_answer"].strip()
    if row["unit"] == "function":
        # The example names a function ("D12-distances ... for virtually complete protection"):
        # compare with that function's printed value at the next tabulated quantity up.
        code = printed
        ref = _printed_distance(table_rows, row["table"], code, neq_kg)
        if ref is None:
            return Case(
                **base, printed_value=None, depotsafe_value=value, depotsafe_rule=answer.rule_code,
                verdict="not_checked",
                detail=f"Table {row['table']} prints no {code} at or above {neq_kg:,.0f} kg to compare with",
            )
        printed_m = _number(ref["printed_m"])
        base["printed"] = f"{code} ({printed_m:,.0f} m at {_number(ref['neq_kg']):,.0f} kg, {short_page(ref['page'])})"
        if answer.rule_code != code:
            return Case(
                **base, printed_value=printed_m, depotsafe_value=value, depotsafe_rule=answer.rule_code,
                verdict="not_checked",
                detail=(
                    f"not checked: the example asks for {row['asked'][len('distance'):].strip(' ()')}, which "
                    f"{code} gives; depotsafe's default reading of the cell (decisions 15 and 31) applies "
                    f"{answer.rule_code} ({_fmt_m(value)}), and this depotsafe has no option to ask for a "
                    "degree of protection (issue 9 item 7)"
                ),
            )
    else:
        printed_m = _number(printed)
    ok = judge.distance(printed_m, value)
    step = rounding_step_m(printed_m)
    detail = f"{_fmt_m(value)} ({answer.rule_code}); printed {printed_m:,.0f} m, step {step:g} m"
    return Case(
        **base, printed_value=printed_m, depotsafe_value=value, depotsafe_rule=answer.rule_code,
        verdict="pass" if ok else "fail", detail=detail,
    )


def table_case(row: dict[str, str], rs: RuleSet, rounding: str = "formula") -> Case:
    """Compare one printed table value with the rule set's distance function."""
    judge = _JUDGES[rounding]
    table, code = row["table"], row["function"]
    neq_kg, printed_m = _number(row["neq_kg"]), _number(row["printed_m"])
    base: dict[str, Any] = {
        "kind": "table",
        "id": f"T{table}-{code}-{neq_kg:.0f}kg",
        "page": short_page(row["page"]),
        "source": f"AASTP-1 (2006) Annex I-A Table {table}, {row['page']}",
        "asked": "distance",
        "unit": "m",
        "printed": row["printed_m"],
        "printed_value": printed_m,
        "command": "",
    }
    key = f"{table}:{code}"
    if key not in rs.function_index:
        return Case(
            **base, depotsafe_value=None, depotsafe_rule="", verdict="not_checked",
            detail=f"not checked: the rule set has no function {code} of Table {table} (no rule of it uses one)",
        )
    if rounding == "table":
        from depotsafe.qd import RuleTerm
        from depotsafe.tablemode import term_distance, with_rounding

        bare = RuleTerm(rs.function_index[key], 0.0, 1.0, 0, True, code, f"Table {table} {code}", "", table)
        value = term_distance(with_rounding(rs, "table"), bare, neq_kg)
    else:
        value = function_distance_m(rs, rs.function_index[key], neq_kg)
    base["depotsafe_rule"] = code
    status = row["status"]
    note = f" ({row['note']})" if row["note"] else ""
    if status == "misprint":
        what = f"read as {value:,.0f} in table mode" if rounding == "table" else f"formula {value:,.1f}"
        return Case(
            **base, depotsafe_value=value, verdict="misprint",
            detail=f"misprint (printed {printed_m:,.0f}, {what}){note}",
        )
    ok = judge.distance(printed_m, value)
    step = rounding_step_m(printed_m)
    if ok:
        return Case(
            **base, depotsafe_value=value, verdict="pass",
            detail=f"{_fmt_m(value)}; printed {printed_m:,.0f} m, step {step:g} m{note}",
        )
    if status == "below_formula" and value > printed_m:
        return Case(
            **base, depotsafe_value=value, verdict="below_formula",
            detail=(
                f"printed below its formula (printed {printed_m:,.0f}, formula {value:,.2f}): depotsafe "
                f"gives the larger distance{note}"
            ),
        )
    return Case(
        **base, depotsafe_value=value, verdict="fail",
        detail=f"{_fmt_m(value)}; printed {printed_m:,.0f} m is not within the step of {step:g} m{note}",
    )


# ------------------------------------------------------------ the whole check


@dataclass(frozen=True)
class Validation:
    """The outcome of ``depotsafe validate``."""

    rule_set: RuleSet
    rounding: str
    parts: tuple[str, ...]
    cases: tuple[Case, ...]
    reference_sha256: dict[str, str]

    @property
    def failed(self) -> bool:
        return any(c.verdict == "fail" for c in self.cases)

    def summary(self) -> dict[str, Any]:
        counts = {v: sum(1 for c in self.cases if c.verdict == v) for v in VERDICTS}
        return {
            "total": len(self.cases),
            "examples": sum(1 for c in self.cases if c.kind == "example"),
            "table_values": sum(1 for c in self.cases if c.kind == "table"),
            "passed": counts["pass"],
            "failed": counts["fail"],
            "misprints": counts["misprint"],
            "below_formula": counts["below_formula"],
            "not_reproducible": counts["not_reproducible"],
            "not_checked": counts["not_checked"],
            "rounding": self.rounding,
            "parts": list(self.parts),
            "ok": not self.failed,
        }

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``depotsafe validate --json``."""
        return {
            "cases": [c.as_dict() for c in self.cases],
            "summary": self.summary(),
            "rounding": self.rounding,
            "provenance": self.rule_set.provenance() | {"reference_sha256": dict(self.reference_sha256)},
        }


def validate(rule_set: str = "iatg", *, rounding: str = "formula", only: str | None = None) -> Validation:
    """Run the worked examples and the printed table values against a rule set.

    Parameters
    ----------
    rule_set : str
        A shipped rule-set name or a folder; the folder must hold
        ``worked_examples.csv`` and ``printed_tables.csv``.
    rounding : {"formula", "table"}
        How depotsafe's value is compared with the printed one: within the
        table's rounding step (decision 4), or, in table mode, exactly
        (decision 32; an answer that comes from the formula outside the
        printed columns is judged as the formula, and says so).
    only : {"examples", "tables"}, optional
        Run one part only.
    """
    if rounding not in ROUNDING_MODES:
        raise InputError("rounding", rounding, one_of(ROUNDING_MODES))
    if only is not None and only not in PARTS:
        raise InputError("only", only, one_of(PARTS))
    folder = rule_set_folder(rule_set)
    try:
        rs = load_rule_set(rule_set)
    except DepotsafeError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, OSError, csv.Error) as exc:
        # a folder whose files do not parse: bad input here, whatever the loader raised
        raise InputError("rule-set", rule_set, f"the rule set does not load ({type(exc).__name__}: {exc})") from exc
    examples, examples_sha = _read_reference(folder, EXAMPLES_FILE, _EXAMPLE_COLUMNS)
    tables, tables_sha = _read_reference(folder, TABLES_FILE, _TABLE_COLUMNS)
    for i, r in enumerate(tables, start=1):
        if r["status"] not in _TABLE_STATUSES:
            raise InputError(f"{TABLES_FILE} row {i} status", r["status"], one_of(_TABLE_STATUSES))
    parts = PARTS if only is None else (only,)
    cases: list[Case] = []
    if "examples" in parts:
        cases += [example_case(r, rs, rule_set, tables, rounding) for r in examples]
    if "tables" in parts:
        cases += [table_case(r, rs, rounding) for r in tables]
    return Validation(
        rule_set=rs,
        rounding=rounding,
        parts=parts,
        cases=tuple(cases),
        reference_sha256={EXAMPLES_FILE: examples_sha, TABLES_FILE: tables_sha},
    )

