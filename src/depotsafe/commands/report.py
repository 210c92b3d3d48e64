"""``depotsafe report``: the depot safety report with its site plan, as PDF and HTML (docs/reports.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from depotsafe.commands._documents import add_check_options, run_check, write_all
from depotsafe.errors import InputError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "report",
        help="the depot safety report (summary, violations, licences, site plan) as PDF and HTML",
        description=(
            "Check a depot layout and write its safety report: a two-minute summary, every violation with "
            "its rule and source, the biggest risk contributors (as `depotsafe risk`), aggregation groups, "
            "licences, conditions, provenance and a site plan at a stated scale. Exit status 0 written, "
            "2 bad input (nothing written)."
        ),
    )
    add_check_options(p)
    p.add_argument("--pdf", metavar="FILE", help="write the report as PDF")
    p.add_argument("--html", metavar="FILE", help="write the report as HTML (the same template)")
    p.add_argument("--plan-svg", metavar="FILE", help="write the site plan alone as SVG")
    p.add_argument("--paper", default="A4", help="paper of the site plan: A4 (default) or A3")
    p.add_argument("--orientation", default="portrait", help="of the site plan: portrait (default) or landscape")
    p.add_argument("--arcs", action="append", default=[], metavar="ID",
                   help="also draw on the site plan every QD arc, per face, of this storehouse (or its "
                        "aggregation group) toward inhabited and vulnerable buildings; repeat for several")
    p.add_argument("--criteria", default="uk-hse",
                   help="risk criteria of the summary, as `depotsafe risk --criteria`: uk-hse (default), fr-2011 or nl")
    return p


def run(args: argparse.Namespace) -> int:
    from depotsafe import documents
    from depotsafe.documents.plan import page_size
    from depotsafe.documents.text import words
    from depotsafe.outputs import check_output_paths

    outs = [("--pdf", args.pdf), ("--html", args.html), ("--plan-svg", args.plan_svg)]
    if all(path is None for _o, path in outs):
        raise InputError("--pdf/--html/--plan-svg", None, "give at least one file to write")
    check_output_paths(outs)
    words(args.lang)
    page_size(args.paper, args.orientation)
    from depotsafe.risk import REGIMES

    if args.criteria not in REGIMES:
        raise InputError("--criteria", args.criteria, "one of " + ", ".join(REGIMES))
    date = documents.document_date(args.date)
    result = run_check(args)
    documents.check_arc_sites(result, args.arcs)
    effects = documents.worst_effects(result, args.layout, args.stock, args.max_layout_mb, args.layer)
    risk = documents.depot_risk(result, args.criteria)
    rendered = documents.report(result, lang=args.lang, date=date, layout_name=Path(args.layout).name,
                                paper=args.paper, orientation=args.orientation, effects=effects, risk=risk,
                                arc_sites=args.arcs)
    files: list[tuple[str, str, bytes]] = []
    if args.pdf is not None:
        files.append(("--pdf", args.pdf, rendered.pdf()))
    if args.html is not None:
        files.append(("--html", args.html, rendered.html.encode("utf-8")))
    if args.plan_svg is not None and rendered.plan is not None:
        files.append(("--plan-svg", args.plan_svg, rendered.plan.svg.encode("utf-8")))
    write_all(files)
    s = result.summary()
    sys.stdout.write(f"report written: {s['violations']} violation(s), "
                     f"{'compliant' if s['compliant'] else 'not compliant'}; site plan 1:{rendered.plan.scale} "
                     f"on {args.paper} {args.orientation}\n")
    return 0
