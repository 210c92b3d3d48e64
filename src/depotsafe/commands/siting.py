"""``depotsafe siting``: where on the site a new storehouse could stand."""

from __future__ import annotations

import argparse
import json
from typing import Any

from depotsafe.cli import add_max_layout_option, print_json
from depotsafe.commands.qd import add_rounding_option, rounding_line
from depotsafe.errors import InputError
from depotsafe.layout import read_layout
from depotsafe.outputs import check_output_paths, write_outputs
from depotsafe.siting import siting_map
from depotsafe.units import to_si


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "siting",
        help="where a new storehouse could stand and keep every distance, both ways",
        description="Siting map: the part of the site where a candidate storehouse keeps every "
        "quantity-distance to and from what is already there.",
    )
    p.add_argument("layout", help="depot layout (GeoJSON)")
    p.add_argument("--stock", help="stock CSV of the existing sites")
    p.add_argument("--kind", required=True, help="kind of the new storehouse")
    p.add_argument("--bearing", type=float, help="door bearing [deg] (earth-covered kinds)")
    p.add_argument("--hd", required=True, help="hazard division of its stock")
    p.add_argument("--cg", default="D", help="compatibility group of its stock (default D)")
    p.add_argument("--neq", required=True, help='its NEQ, e.g. "10 t"')
    p.add_argument("--unit-neq", help="NEQ of one munition (HD 1.6)")
    p.add_argument("--length", default="25 m", help='footprint length along the door normal (default "25 m")')
    p.add_argument("--width", default="10 m", help='footprint width (default "10 m")')
    p.add_argument("--cell", default="10 m", help='grid spacing (default "10 m")')
    p.add_argument("--rule-set", default="iatg")
    add_rounding_option(p)
    p.add_argument("--geojson", metavar="FILE", help="write the allowed area as GeoJSON")
    p.add_argument("--json", action="store_true")
    add_max_layout_option(p)
    return p


#: siting_map's parameter names -> the option the user typed.
_OPTION_OF = {"cell_m": "cell", "length_m": "length", "width_m": "width", "neq_kg": "neq",
              "front_bearing_deg": "bearing", "kind": "kind", "candidate.stock[0].hd": "hd",
              "candidate.stock[0].cg": "cg", "candidate.stock[0].unit_neq": "unit-neq"}


def run(args: argparse.Namespace) -> int:
    check_output_paths([("--geojson", args.geojson)])
    depot = read_layout(args.layout, stock_csv=args.stock, max_mb=args.max_layout_mb, layers=args.layer or ())
    try:
        result = siting_map(
            depot,
            args.kind,
            args.hd,
            to_si(args.neq, "mass", "--neq"),
            cg=args.cg,
            front_bearing_deg=args.bearing,
            length_m=to_si(args.length, "length", "--length"),
            width_m=to_si(args.width, "length", "--width"),
            unit_neq_kg=to_si(args.unit_neq, "mass", "--unit-neq") if args.unit_neq else None,
            cell_m=to_si(args.cell, "length", "--cell"),
            rule_set=args.rule_set,
            rounding=args.rounding,
        )
    except InputError as exc:
        option = _OPTION_OF.get(exc.field)
        if option is None:
            raise
        raise InputError(f"--{option}", getattr(args, option.replace("-", "_")), exc.allowed) from None
    doc = result.geojson()
    if args.geojson is not None:
        write_outputs([("--geojson", args.geojson, lambda f: json.dump(doc, f))])
    summary = {
        "allowed_area_m2": float(result.allowed.area),
        "points": int(result.ok.size),
        "points_allowed": int(result.ok.sum()),
        "cell_m": result.cell_m,
        "rounding": args.rounding,
        "notes": list(result.notes),
    }
    if args.json:
        print_json(summary | {"allowed": doc})
    else:
        print(f"{summary['points_allowed']:,} of {summary['points']:,} grid points ({result.cell_m:g} m) allow the "
              f"new {args.kind}: {summary['allowed_area_m2'] / 1e4:,.1f} ha; {rounding_line(args.rounding)}")
        for note in result.notes:
            print(f"note: {note}")
    return 0
