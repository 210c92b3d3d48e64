"""``depotsafe check``: the whole depot, every pair, every licence."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import Any

from depotsafe.check import check_depot
from depotsafe.cli import add_max_layout_option
from depotsafe.clitext import add_lang_option, cli_words
from depotsafe.commands.qd import add_rounding_option
from depotsafe.errors import InputError
from depotsafe.layout import read_layout
from depotsafe.outputs import Output, check_output_paths, write_outputs
from depotsafe.report import (
    arcs_geojson,
    arcs_kml,
    human_report,
    write_json,
    write_pairs_csv,
)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "check",
        help="check a whole depot layout: every PES-ES pair, licences per HD",
        description=(
            "Check every potential explosion site against every exposed site of a depot layout "
            "(GeoJSON, the format of docs/layout.md). Exit status 0 compliant, 1 violations, 2 bad input."
        ),
    )
    p.add_argument("layout", help="depot layout (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, KML; DXF with --mapping)")
    p.add_argument("--stock", help="stock CSV (site_id,item,hd,cg,quantity,unit_neq_kg[,form])")
    p.add_argument("--rule-set", default="iatg", help="rule set name or folder (default iatg)")
    p.add_argument("--protection", default="default", metavar="DEGREE",
                   help="degree of protection against propagation asked of every storage-to-storage pair: "
                        "virtually-complete, high or default (each cell's largest alternative; decision 31); "
                        "aggregation groups always use the default")
    add_rounding_option(p)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    add_lang_option(p)
    p.add_argument("--out-json", metavar="FILE", help="write the JSON result to FILE")
    p.add_argument("--pairs-csv", metavar="FILE", help="write every pair as CSV")
    p.add_argument("--arcs-geojson", metavar="FILE", help="write the QD arcs as GeoJSON")
    p.add_argument("--arcs-kml", metavar="FILE", help="write the QD arcs as KML")
    p.add_argument("--arcs-dxf", metavar="FILE",
                   help="write the QD arcs as a DXF drawing in the plan's drawing units and coordinates "
                        "(for a DXF plan read with --mapping; one layer per exposed-site kind)")
    p.add_argument("--gpkg", metavar="FILE",
                   help="write the result as a GeoPackage: layers sites (verdicts, licences), pairs, arcs")
    add_max_layout_option(p)
    p.add_argument("--mapping", metavar="FILE",
                   help="mapping file (JSON): other field names of a GIS file; required for a DXF site plan "
                        "(units, georeference, layers); docs/layout.md")
    return p


def run(args: argparse.Namespace) -> int:
    # A large depot allocates millions of small objects (layout records, site records) and
    # frees few: the cyclic collector would walk them all again and again (a third of the run
    # at 40,000 sites).  Nothing here builds reference cycles worth collecting before exit.
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args: argparse.Namespace) -> int:
    cli_words(args.lang)  # a language we do not ship is refused before any work
    check_output_paths([("--out-json", args.out_json), ("--pairs-csv", args.pairs_csv),
                        ("--arcs-geojson", args.arcs_geojson), ("--arcs-kml", args.arcs_kml),
                        ("--arcs-dxf", args.arcs_dxf), ("--gpkg", args.gpkg)])
    if args.arcs_dxf is not None and (Path(args.layout).suffix.lower() != ".dxf" or args.mapping is None):
        raise InputError("--arcs-dxf", args.arcs_dxf,
                         "the arcs are drawn in a DXF plan's drawing coordinates, which only a DXF layout read "
                         f"with --mapping has (the layout is '{args.layout}'); use --arcs-geojson or --arcs-kml")
    depot = read_layout(args.layout, stock_csv=args.stock, max_mb=args.max_layout_mb, layers=args.layer or (),
                        mapping=args.mapping)
    result = check_depot(depot, args.rule_set, protection=args.protection, rounding=args.rounding)
    # Build every output first, then write them all or none (depotsafe.outputs).
    outputs: list[Output] = []
    if args.arcs_geojson is not None:
        doc = arcs_geojson(result)
        outputs.append(("--arcs-geojson", args.arcs_geojson, lambda f, d=doc: json.dump(d, f)))
    if args.arcs_kml is not None:
        kml = arcs_kml(result)
        outputs.append(("--arcs-kml", args.arcs_kml, lambda f, k=kml: f.write(k)))
    if args.arcs_dxf is not None:
        from depotsafe.dxfio import arcs_dxf
        from depotsafe.mapping import read_mapping

        dxf = arcs_dxf(result, read_mapping(args.mapping, dxf=True))
        outputs.append(("--arcs-dxf", args.arcs_dxf, lambda f, d=dxf: f.write(d)))
    if args.gpkg is not None:
        from depotsafe.gisio import geopackage_bytes

        outputs.append(("--gpkg", args.gpkg, geopackage_bytes(depot, result, arcs_geojson(result))))
    if args.out_json is not None:
        outputs.append(("--out-json", args.out_json, lambda f: write_json(result, f)))
    if args.pairs_csv is not None:
        outputs.append(("--pairs-csv", args.pairs_csv, lambda f: write_pairs_csv(result, f)))
    write_outputs(outputs)
    if args.json:
        write_json(result, sys.stdout)
    else:
        sys.stdout.write(human_report(result, args.lang) + "\n")
    return 0 if result.compliant else 1
