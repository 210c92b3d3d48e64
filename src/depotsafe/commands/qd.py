"""``depotsafe qd``: one PES–ES pair, required distance or quantity limit."""

from __future__ import annotations

import argparse
from typing import Any

from depotsafe.api import QDAnswer, quantity_limit, required_distance
from depotsafe.cli import print_json
from depotsafe.kinds import kinds
from depotsafe.qd import FACES, TRAFFIC
from depotsafe.textfmt import assessment_required, describe_text
from depotsafe.tablemode import ROUNDING_MODES


def add_rounding_option(p: argparse.ArgumentParser) -> None:
    """The ``--rounding`` option (decisions 4 and 32), shared by qd, check and siting."""
    p.add_argument(
        "--rounding", choices=ROUNDING_MODES, default="formula",
        help="formula: distances from their formula (default); table: read the printed AASTP-1 tables, "
             "the printed distance of the next tabulated quantity up and, as a limit, the next lesser "
             "tabulated quantity (AASTP-1 §1.3.2.1; decision 32)",
    )


def rounding_line(mode: str) -> str:
    """The readable line that names the rounding mode of an answer."""
    if mode == "table":
        return "rounding: table (read from the printed AASTP-1 tables, decision 32)"
    return "rounding: formula (computed from the distance functions, decision 4)"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "qd",
        help="required distance, or quantity limit, for one PES-ES pair",
        description=(
            "Required separation distance for a PES holding --neq, or (with --distance) the largest "
            "NEQ permitted at that distance (explosives limit licence for the pair)."
        ),
        epilog=(
            'Quantities take units: --neq "20 t", "44000 lb"; --distance "65 m", "300 ft". '
            '"ton" is refused as ambiguous. Kinds: ' + ", ".join(kinds())
        ),
    )
    p.add_argument("--hd", required=True, help="hazard division: 1.1 1.2 1.2.1 1.2.2 1.3 1.4 1.5 1.6")
    p.add_argument("--cg", help="compatibility group (HD 1.3: C uses table 3A, others 3B)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--neq", help='net explosive quantity of the PES, e.g. "20 t"')
    what.add_argument("--distance", help='actual distance, e.g. "65 m": answer the quantity limit')
    p.add_argument("--unit-neq", help="NEQ of one munition (HD 1.6; splits HD 1.2)")
    p.add_argument("--pes", required=True, metavar="KIND", help="kind of the potential explosion site")
    p.add_argument("--pes-face", help=f"earth-covered PES: face toward the ES ({', '.join(FACES)})")
    p.add_argument("--es", required=True, metavar="KIND", help="kind of the exposed site")
    p.add_argument("--es-face", help=f"earth-covered ES: face toward the PES ({', '.join(FACES)})")
    p.add_argument("--es-door-barricade", action="store_true", help="the earth-covered ES has a door barricade")
    p.add_argument("--traffic", help=f"public traffic route: {', '.join(TRAFFIC)} (default heavy)")
    p.add_argument("--sparse", action="store_true", help="inhabited building in a sparsely populated area")
    p.add_argument("--evacuable", action="store_true", help="people within the HD 1.2 distance can be evacuated")
    p.add_argument("--es-very-sensitive", action="store_true",
                   help="the exposed storage site holds primary explosives or other very sensitive substances "
                        "(or CG A): the tabulated distance is for information only and an individual "
                        "assessment is required (AASTP-1 §1.3.1.4); exit status 1")
    p.add_argument("--rule-set", default="iatg", help="rule set name or folder (default iatg)")
    p.add_argument("--protection", default="default", metavar="DEGREE",
                   help="degree of protection against propagation to ask of a storage-to-storage cell: "
                        "virtually-complete, high or default (the cell's largest alternative; decision 31)")
    add_rounding_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _human(answer: QDAnswer) -> str:
    d = answer.as_dict()
    rel = d["relation"]
    pes = rel["pes"] + (f" ({rel['pes_face']})" if rel["pes_face"] else "")
    es = rel["es"] + (f" ({rel['es_face']})" if rel["es_face"] else "")
    if rel["traffic"]:
        es += f", {rel['traffic']} traffic"
    lines = [f"HD {d['hd']}: {pes} -> {es}"]
    if answer.direction == "distance":
        lines.append(f"  NEQ {d['neq_kg']:,.0f} kg: required distance {d['required_distance_m_rounded_up']:,} m "
                     f"({d['required_distance_m']:.2f} m)")
    elif d["unlimited"]:
        lines.append(f"  at {d['distance_m']:,.1f} m: quantity unlimited (no rule limits this pair)")
    elif d["nil"]:
        lines.append(f"  at {d['distance_m']:,.1f} m: nil (not even the smallest quantity fits)")
    else:
        lines.append(f"  at {d['distance_m']:,.1f} m: at most {d['max_neq_kg_rounded_down']:,} kg NEQ")
    if answer.assessment is not None:
        lines[-1] += " [tabulated: for information only]"
    lines.append(f"  rule: {d['rule_label'] or d['rule']}")
    lines.append(f"  {rounding_line(d['rounding'])}")
    lines.append(f"  source: {d['source']}")
    for cell in d["cells"]:
        lines.append(f"  cell: {cell}")
    if answer.assessment is not None:
        lines.append("  " + assessment_required("the exposed site", "very sensitive contents (--es-very-sensitive)",
                                                answer.assessment.source))
    if d.get("protection") is not None:
        lines.append(f"  {describe_text(d['protection'])}")
    for flag in d["flags"]:
        lines.append(f"  FLAG: {flag}")
    for note in d["notes"]:
        lines.append(f"  note: {note}")
    prov = d["provenance"]
    lines.append(f"  {prov['statement']}; rule set {prov['rule_set']} sha256 {prov['rule_data_sha256'][:12]}, "
                 f"depotsafe {prov['depotsafe_version']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    common = {
        "pes_face": args.pes_face,
        "es_face": args.es_face,
        "traffic": args.traffic,
        "cg": args.cg,
        "unit_neq": args.unit_neq,
        "sparse": args.sparse,
        "evacuable": args.evacuable,
        "es_door_barricade": args.es_door_barricade,
        "rule_set": args.rule_set,
        "es_very_sensitive": args.es_very_sensitive,
        "protection": args.protection,
        "rounding": args.rounding,
    }
    if args.neq is not None:
        answer = required_distance(args.hd, args.neq, args.pes, args.es, **common)
    else:
        answer = quantity_limit(args.hd, args.distance, args.pes, args.es, **common)
    if args.json:
        print_json(answer.as_dict())
    else:
        print(_human(answer))
    return 1 if answer.assessment_required else 0  # decision 30: not compliant until assessed
