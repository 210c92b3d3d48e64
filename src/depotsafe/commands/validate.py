"""``depotsafe validate``: the rule set against its source (Annex I-B examples, printed tables)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any

from depotsafe.cli import print_json
from depotsafe.validation import PARTS, ROUNDING_MODES, Case, Validation, validate

_LABEL = {
    "pass": "pass",
    "fail": "FAIL",
    "misprint": "misprint",
    "below_formula": "below formula",
    "not_reproducible": "not reproducible",
    "not_checked": "not checked",
}


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "validate",
        help="check the rule set against the AASTP-1 worked examples and printed tables",
        description=(
            "Run every reproducible worked example of AASTP-1 (2006) Annex I-B through the engine and compare "
            "every printed distance of Annex I-A Tables 1, 2, 3A and 3B with the rule set's distance functions. "
            "Prints a pass/fail table with the page of each case. Exit status 0 when every case passes or is a "
            "named misprint, a value printed below its formula or declared not reproducible; 1 when any case "
            "fails; 2 for bad input."
        ),
        epilog=(
            "Rounding: formula (standards.md decision 4). A printed distance passes when depotsafe's formula value "
            "lies within the table's rounding step of it, both ways (1 m below 100 m, 5 m to 500 m, 10 m to "
            "1,000 m, 20 m above); a printed quantity passes when depotsafe's exact limit is at least the printed "
            "quantity and below the next tabulated quantity."
        ),
    )
    p.add_argument("--rule-set", default="iatg", help="rule set name or folder (default iatg)")
    p.add_argument("--rounding", choices=ROUNDING_MODES, default="formula",
                   help="formula: within the table's rounding step (default); table: the printed figures exactly, "
                        "with distances read from the printed tables (decision 32)")
    p.add_argument("--only", choices=PARTS, help="run only the worked examples or only the table values")
    p.add_argument("--all", action="store_true", help="list every table value, not only those that do not pass")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _value(case: Case) -> str:
    v = case.depotsafe_value
    if v is None:
        return "-"
    if case.unit == "kg":
        if v == float("inf"):
            return "unlimited"
        return "nil" if v == 0.0 else f"{int(v):,} kg"
    return f"{v:,.1f} m"


def _printed(case: Case) -> str:
    text = case.printed
    if case.kind == "example" and case.asked == "quantity" and case.printed_value is not None:
        if case.printed_value == 0.0:
            return "nil"
        prefix = "> " if text.startswith(">") else ""
        return f"{prefix}{case.printed_value:,.0f} kg"
    if text.replace(".", "", 1).isdigit():
        return f"{float(text):,.0f} {case.unit}"
    return text if len(text) <= 16 else text[:13] + "..."


def _rows(cases: list[Case], *, with_detail: bool) -> list[str]:
    out = []
    head = f"  {'id':<18} {'page':<19} {'printed':<16} {'depotsafe':<16} {'rule':<5} verdict"
    out.append(head)
    for c in cases:
        printed = _printed(c)
        line = f"  {c.id:<18} {c.page:<19} {printed:<16} {_value(c):<16} {c.depotsafe_rule:<5} {_LABEL[c.verdict]}"
        out.append(line)
        if with_detail and c.verdict != "pass":
            out += textwrap.wrap(c.detail, width=110, initial_indent="      ", subsequent_indent="      ")
    return out


def _human(v: Validation, show_all: bool) -> str:
    s = v.summary()
    prov = v.rule_set.provenance()
    lines = [
        f"depotsafe validate: rule set {prov['rule_set']} (rule data sha256 {prov['rule_data_sha256'][:12]}), "
        f"depotsafe {prov['depotsafe_version']}, rounding {v.rounding} "
        f"(decision {'32' if v.rounding == 'table' else '4'})",
        f"  {prov['statement']}",
        f"  {s['examples']} Annex I-B worked examples, {s['table_values']:,} printed values of Annex I-A "
        "Tables 1, 2, 3A, 3B",
        f"  {s['passed']:,} passed, {s['failed']} failed, {s['misprints']} named misprint(s), "
        f"{s['below_formula']} named value(s) printed below the formula, {s['not_reproducible']} declared not "
        f"reproducible, {s['not_checked']} not checked",
        f"  verdict: {'FAIL: depotsafe does not reproduce its source' if v.failed else 'OK'}",
    ]
    failures = [c for c in v.cases if c.verdict == "fail"]
    lines.append("")
    if failures:
        lines.append(f"Failures ({len(failures)}):")
        lines += _rows(failures, with_detail=True)
        lines.append("")
    examples = [c for c in v.cases if c.kind == "example"]
    if examples:
        lines.append("Worked examples, AASTP-1 (2006) Annex I-B:")
        lines += _rows(examples, with_detail=True)
        lines.append("")
    tables = [c for c in v.cases if c.kind == "table"]
    if tables:
        if show_all:
            lines.append("Printed table values, AASTP-1 (2006) Annex I-A:")
            lines += _rows(tables, with_detail=True)
        else:
            others = [c for c in tables if c.verdict not in ("pass", "not_checked")]
            lines.append(
                f"Printed table values, AASTP-1 (2006) Annex I-A: {sum(c.verdict == 'pass' for c in tables):,} "
                f"of {len(tables):,} pass (--all lists every row); the others:"
            )
            lines += _rows(others, with_detail=True)
            skipped: dict[str, int] = {}
            for c in tables:
                if c.verdict == "not_checked":
                    key = c.id.rsplit("-", 1)[0]
                    skipped[key] = skipped.get(key, 0) + 1
            for key, n in skipped.items():
                table, code = key[1:].split("-")
                lines.append(f"  not checked: Table {table} {code} ({n} values): the rule set has no such function")
    return "\n".join(lines).rstrip()


def run(args: argparse.Namespace) -> int:
    result = validate(args.rule_set, rounding=args.rounding, only=args.only)
    if args.json:
        print_json(result.as_dict())
    else:
        sys.stdout.write(_human(result, args.all) + "\n")
    return 1 if result.failed else 0
