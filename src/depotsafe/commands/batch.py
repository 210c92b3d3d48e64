"""``depotsafe batch``: check many depot layouts in parallel (depotsafe.batch)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from depotsafe.cli import add_max_layout_option, print_json
from depotsafe.clitext import cli_words
from depotsafe.commands.qd import add_rounding_option
from depotsafe.errors import InputError


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}; a whole number of worker processes >= 1 (e.g. 2)")
    return value


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "batch",
        help="check many depot layouts (a folder or a list) in parallel; a summary table",
        description=(
            "Check every layout of the folders and files given (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, "
            "KML; DXF with --mapping) as depotsafe check would, in parallel worker processes (Dask). Writes OUT/<file>.json "
            "(what depotsafe check --json prints) for each layout, OUT/summary.csv, OUT/summary.parquet and "
            "OUT/manifest.json; a layout whose file and options are unchanged since the last run is not "
            "checked again. Exit status 0 all compliant, 1 violations found, 2 a layout failed or bad input."
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="layout file, or folder whose layout files (.geojson .json .gpkg .shp .fgb .kml .dxf, "
                        "not in subfolders) are read; a .dxf without --mapping fails, with check's message")
    p.add_argument("--out", required=True, metavar="DIR", help="folder of the results (created if missing)")
    p.add_argument("--rule-set", default="iatg", help="rule set name or folder (default iatg)")
    p.add_argument("--protection", default="default", metavar="DEGREE",
                   help="as for check: virtually-complete, high or default (decision 31)")
    add_rounding_option(p)
    add_max_layout_option(p)
    p.add_argument("--mapping", metavar="FILE",
                   help="mapping file, as for check: read with every DXF drawing, and with every GIS file unless it is "
                        "a DXF drawing's mapping; never with a GeoJSON layout; docs/cli.md")
    p.add_argument("--each-layer", action="store_true",
                   help="check every layer of a file of several layers (a GeoPackage) as its own layout")
    p.add_argument("--workers", type=_workers, default=2, metavar="N",
                   help="worker processes (default 2); each gets cores/N Numba threads")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786) instead of local worker "
                        "processes; the layouts and --out must be on a folder every worker sees")
    p.add_argument("--risk", action="store_true",
                   help="also compute each layout's explosion risk, as depotsafe risk LAYOUT --json gives it, into "
                        "OUT/<file>.risk.json, with its verdict in the summary")
    p.add_argument("--criteria", default="uk-hse", help="with --risk: uk-hse (default), fr-2011 (by analogy) or nl")
    p.add_argument("--grid-cell", default=None,
                   help='with --risk: cell of the location-risk grid, e.g. "25 m" (default as depotsafe risk)')
    p.add_argument("--force", action="store_true", help="check every layout again, changed or not")
    p.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print the summary rows as one JSON object")
    return p


def _human(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        tag = " (unchanged)" if r["reused"] else ""
        if r["status"] == "failed":
            lines.append(f"FAILED  {r['file']}{' layer ' + r['layer'] if r['layer'] else ''}: {r['error']}")
        else:
            risk = ""
            if r.get("risk_tolerable") is not None:
                risk = (f"; risk {'tolerable' if r['risk_tolerable'] else 'NOT tolerable'} ({r['criteria']}, "
                        f"{r['sites_not_tolerable']} sites not tolerable, highest individual risk "
                        f"{cli_words('en').sci(r['max_individual_risk_per_year']) if r['max_individual_risk_per_year'] is not None else '-'}"
                        f"/yr{' at ' + r['max_individual_risk_site'] if r['max_individual_risk_site'] else ''})")
            lines.append(f"{r['status'].upper():10} {r['file']}{' layer ' + r['layer'] if r['layer'] else ''}: "
                         f"{r['sites']} sites, {r['violations']} violations{risk}{tag}")
    return "\n".join(lines)


def _counts(rows: list[dict[str, Any]], risk: bool = False) -> dict[str, int]:
    extra = {"not_tolerable": sum(r.get("risk_tolerable") is False for r in rows)} if risk else {}
    return {
        "layouts": len(rows),
        "checked": sum(not r["reused"] for r in rows),
        "reused": sum(bool(r["reused"]) for r in rows),
        "compliant": sum(r["status"] == "compliant" for r in rows),
        "violations": sum(r["status"] == "violations" for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        **extra,
    }


def run(args: argparse.Namespace) -> int:
    from depotsafe.batch import Options, run_batch

    cell = None
    if not args.risk and (args.criteria != "uk-hse" or args.grid_cell is not None):
        given = "--criteria" if args.criteria != "uk-hse" else "--grid-cell"
        raise InputError(given, args.criteria if given == "--criteria" else args.grid_cell,
                         "only with --risk (the criteria and grid of each layout's risk answer)")
    if args.risk and args.grid_cell is not None:
        from depotsafe.units import to_si

        cell = to_si(args.grid_cell, "length", "--grid-cell")
    options = Options(rule_set=args.rule_set, protection=args.protection, rounding=args.rounding,
                      layers=tuple(args.layer or ()), max_mb=args.max_layout_mb, mapping=args.mapping,
                      risk=args.criteria if args.risk else None, risk_cell_m=cell)
    rows = run_batch(args.inputs, args.out, options, each_layer=args.each_layer, workers=args.workers,
                     force=args.force, progress=args.progress, scheduler=args.scheduler,
                     log=None if args.json else (lambda m: sys.stderr.write(m + "\n")))
    counts = _counts(rows, args.risk)
    if args.json:
        print_json({"summary": counts, "layouts": rows, "out": args.out})
    else:
        sys.stdout.write(_human(rows) + "\n")
        sys.stdout.write(", ".join(f"{v} {k}" for k, v in counts.items()) + f"; results in {args.out}\n")
    if counts["failed"]:
        for r in rows:
            if r["status"] == "failed":
                sys.stderr.write(f"depotsafe batch: {r['file']}: failed: {r['error']}\n")
        return 2
    return 1 if counts["violations"] or counts.get("not_tolerable") else 0
