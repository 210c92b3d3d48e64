"""``depotsafe effects``: what an explosion at one site would do to every other site.

    depotsafe effects LAYOUT.geojson --event ESH-1 [--alone] [--stock STOCK.csv] [--neq "5 t"]
        [--explosive TNT] [--sparse] [--csv SITES.csv] [--geojson ZONES.geojson] --json

The event is the site's aggregation group (storehouses closer than their
inter-magazine distance are one site, AASTP-1 §1.3.2.3 b): they explode
together); ``--alone`` explodes the named site by itself.  The event NEQ is the
HD 1.1 + 1.5 NEQ of the stock that explodes, plus its HD 1.2 and 1.3 when it
holds any 1.1/1.5 (AASTP-1 Table 4: the mixture counts as 1.1); ``--neq``
overrides it.  Distances run from the event's footprint to the nearest point
of each site (as QD does).  Blast zones are the AASTP-1 protection levels at
the Kingery-Bulmash distance of each overpressure; fragment and thermal zones
are AASTP-1 distances (no physics model).
"""

from __future__ import annotations

import argparse
import csv
import json
from typing import Any

from depotsafe.cli import add_max_layout_option, print_json
from depotsafe.clitext import add_lang_option
from depotsafe.effects.answer import event_effects
from depotsafe.layout import read_layout
from depotsafe.outputs import Output, check_output_paths, write_outputs

CSV_COLUMNS = (
    "id", "distance_m", "persons", "incident_overpressure_kpa", "incident_impulse_kpa_ms",
    "reflected_overpressure_kpa", "zone", "zone_name", "eardrum_rupture", "lung_haemorrhage_eisenberg",
    "head_impact", "structural_collapse", "in_hazard_zones", "overpressure_status",
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``effects``."""
    p = subparsers.add_parser(
        "effects",
        help="blast, fragment and thermal effects of an explosion at one site, on every other site",
        description=__doc__.split("\n\n")[2] if __doc__ else None,
    )
    p.add_argument("layout", help="depot layout (GeoJSON)")
    p.add_argument("--event", required=True, help="id of the site that explodes (with its aggregation group)")
    p.add_argument("--alone", action="store_true",
                   help="explode the named site alone, not its aggregation group (AASTP-1 1.3.2.3 b)")
    p.add_argument("--stock", help="stock CSV joined to the layout by site_id")
    p.add_argument("--neq", help='blast NEQ overriding the site stock, e.g. "5 t"')
    p.add_argument("--explosive", default="TNT", help="explosive for TNT equivalence (default TNT)")
    p.add_argument("--sparse", action="store_true",
                   help="surroundings sparsely populated (270 m instead of 400 m fragment minimum from open stacks)")
    p.add_argument("--csv", help="write the per-site table to this CSV file")
    p.add_argument("--geojson", help="write the zones to this GeoJSON file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_lang_option(p)
    add_max_layout_option(p)
    return p


def compute(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON result and the zones GeoJSON (:func:`depotsafe.effects.answer.event_effects`)."""
    depot = read_layout(args.layout, args.stock, max_mb=args.max_layout_mb,
                        layers=getattr(args, "layer", None) or ())
    return event_effects(depot, args.event, explosive=args.explosive, neq=args.neq, alone=args.alone,
                         sparse=args.sparse)


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    inj = row["injury_probability"] or {}
    out = {k: row.get(k) for k in CSV_COLUMNS}
    for m in ("eardrum_rupture", "lung_haemorrhage_eisenberg", "head_impact", "structural_collapse"):
        out[m] = inj.get(m)
    out["in_hazard_zones"] = ";".join(row["in_hazard_zones"])
    out["overpressure_status"] = row["status"].get("incident_overpressure", "")
    return out


def _sites_text(result: dict[str, Any], lang: str = "en") -> str:
    """Per exposed site: distance, persons, overpressure, zone, hazard zones, injury probabilities."""
    from depotsafe.clitext import cli_words
    from depotsafe.commands.blast import INJURY_NAMES

    w = cli_words(lang)
    tr = w.tr
    lines = []
    for row in result["sites"]:
        p = row["incident_overpressure_kpa"]
        if p is None:
            why = row["status"].get("incident_overpressure")
            blast = (tr("no blast event (no HD 1.1 or 1.5 explodes)") if not row["status"]
                     else tr("overpressure not computed ({why})").format(why=tr(why) if why else why))
        else:
            blast = tr("incident overpressure {kpa}").format(kpa=w.number(p, "kPa"))
            if row["incident_impulse_kpa_ms"] is not None:
                blast += tr(", impulse {impulse}").format(impulse=w.number(row["incident_impulse_kpa_ms"], "kPa*ms"))
        zone = "" if not row["status"] else tr("; zone {zone}").format(zone=row["zone"]) + (
            f" ({tr(row['zone_name'])})" if row.get("zone_name") else "")
        persons = row.get("persons")
        who = tr("persons not given") if persons is None else tr("{n} person(s)").format(n=w.g(persons))
        lines.append(f"  {row['id']}: {w.metres_measured(row['distance_m'])}, {who}; {blast}{zone}")
        if row["in_hazard_zones"]:
            lines.append("    " + tr("inside: {zones}").format(zones=", ".join(row["in_hazard_zones"])))
        inj = row.get("injury_probability")
        if inj:
            lines.append("    " + tr("probability: {list}").format(list="; ".join(
                f"{tr(INJURY_NAMES.get(m, m.replace('_', ' ')))} {w.percent(v)}" for m, v in inj.items())))
    return "\n".join(lines) + ("\n" if lines else "")


def run(args: argparse.Namespace) -> int:
    """Run ``effects``; 0 on success, 2 on bad input."""
    import sys

    from depotsafe.clitext import cli_words

    cli_words(args.lang)  # a language we do not ship is refused before any work
    check_output_paths([("--csv", args.csv), ("--geojson", args.geojson)])
    result, geojson = compute(args)
    outputs: list[Output] = []
    if args.csv is not None:
        def write_csv(fh: Any) -> None:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for row in result["sites"]:
                writer.writerow(_csv_row(row))

        outputs.append(("--csv", args.csv, write_csv))
    if args.geojson is not None:
        outputs.append(("--geojson", args.geojson, lambda fh: json.dump(geojson, fh, allow_nan=False)))
    write_outputs(outputs)  # all or nothing (depotsafe.outputs)
    if args.json:
        print_json(result)
    else:
        w = cli_words(args.lang)
        tr = w.tr
        ev = result["event"]
        what = ev["id"] if len(ev["members"]) == 1 else tr("group {members}").format(members="+".join(ev["members"]))
        # "group"/"alone" only where the site belongs to a group: a lone site is neither.
        modes = {"group": tr("group"), "alone": tr("alone")}
        mode = f"{modes.get(ev['mode'], ev['mode'])}: " if len(ev["members"]) > 1 or ev["mode"] == "alone" else ""
        sys.stdout.write(tr("event {what} ({mode}{kind}), {neq} NEQ of {explosive} ({source})").format(
            what=what, mode=mode, kind=w.kind(ev["kind"]), neq=w.kg_stock(ev["neq_kg"]), explosive=ev["explosive"],
            source=w.note(ev["neq_source"])) + "\n")
        sys.stdout.write(f"  {w.note(ev['reason'])}\n")
        sys.stdout.write("  " + tr("per exposed site: distance from the event footprint, persons, incident blast, "
                                   "AASTP-1 protection zone, fragment/thermal zones it lies in, probit "
                                   "probabilities for a person there") + "\n")
        sys.stdout.write(_sites_text(result, args.lang))
        note = tr("note: {note}")
        sys.stdout.writelines(note.format(note=w.note(n)) + "\n" for n in result["notes"])
        sys.stdout.write(tr("model: {model}").format(model=result["provenance"]["model"]) + "\n")
    return 0
