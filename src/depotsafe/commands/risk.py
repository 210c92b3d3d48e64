"""``depotsafe risk``: individual and societal explosion risk of a depot (IATG 02.10).

    depotsafe risk LAYOUT.geojson [--stock STOCK.csv] [--criteria uk-hse|fr-2011|nl]
        [--grid-cell "25 m"] [--contours-geojson FILE] [--json]

Exit status 0 when every verdict against the chosen criteria is tolerable
(UK: not intolerable, the ALARP band included; France: admissible by analogy;
Netherlands: location risk below the limit for vulnerable objects; guide and
orientation values are reported and do not change it), 1 when one is not,
2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping

from depotsafe.cli import add_layer_option, print_json
from depotsafe.errors import InputError
from depotsafe.layout import read_layout
from depotsafe.risk import REGIMES, assess, build_events, lethality_contours
from depotsafe.units import to_si


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``risk``."""
    p = subparsers.add_parser(
        "risk",
        help="individual risk per exposed site, expected fatalities, F-N curve, verdict against criteria",
        description=(__doc__ or "").split("\n\n")[2],
    )
    p.add_argument("layout", help="depot layout (GeoJSON)")
    p.add_argument("--stock", help="stock CSV joined to the layout by site_id")
    p.add_argument("--criteria", default="uk-hse", help="uk-hse (default), fr-2011 (by analogy) or nl")
    p.add_argument("--grid-cell", default=None,
                   help='cell of the location-risk grid, e.g. "25 m" (default 25 m, enlarged on a large depot)')
    p.add_argument("--contours-geojson", metavar="FILE",
                   help="write the lethality contours (100, 50, 10, 1 %%) of every storehouse as GeoJSON")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_layer_option(p)
    return p


def _write_atomically(path: str, text: str) -> None:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=".risk-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def contours_geojson(depot: Any, contours: list[dict[str, Any]]) -> dict[str, Any]:
    """The lethality contours as a FeatureCollection (lon/lat, or local metres for local layouts)."""
    def to_out(g: Any) -> Any:
        if depot.is_local:
            return g
        return shapely.transform(g, lambda x, y: depot.to_lonlat(x, y), interleaved=False)

    features = [{"type": "Feature", "geometry": mapping(to_out(c["geometry"])),
                 "properties": {"pes": c["pes"], "members": c["members"], "lethality_percent": c["level_percent"],
                                "probability": c["probability"], "radius_m": c["radius_m"],
                                "receptor": "person outdoors"}}
                for c in contours if c["geometry"] is not None]
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if depot.is_local:
        doc["crs"] = {"type": "name", "properties": {"name": depot.crs_name}}
    return doc


def summary(result: dict[str, Any]) -> str:
    """A readable summary of the answer."""
    lines = []
    crit = result["criteria"]
    lines.append(f"Explosion risk against {crit['regime']}"
                 + (f" ({crit['label']})" if crit.get("label") else "") + ":")
    for s in sorted(result["sites"], key=lambda s: -s["individual_risk_per_year"]):
        lines.append(f"  {s['id']:<12} IR {s['individual_risk_per_year']:.2e}/yr  "
                     f"(location {s['location_risk_per_year']:.2e})  {s['band']}"
                     + (f" [{s['criterion']}]" if s["criterion"] else ""))
    lines.append(f"Expected fatalities: {result['expected_fatalities_per_year']:.3g} per year")
    fn = crit["fn"]
    lines.append(f"F-N curve: {len(result['fn_curve'])} steps; societal verdict: {fn['band']}")
    for c in sorted(result["contributions"], key=lambda c: -c["share"])[:5]:
        lines.append(f"  {c['pes']:<12} {100 * c['share']:.1f} % of expected fatalities")
    lines.extend(violation_lines(result.get("violations")))
    lines.extend(escalation_lines((result.get("sensitivity") or {}).get("escalation_bounding")))
    unver = [a for a in result["assumptions"] if a["confidence"] in ("U", "C", "S")]
    lines.append(f"Assumptions: {len(result['assumptions'])} (of which {sum(a['confidence'] == 'U' for a in unver)} "
                 f"unverified [U], {sum(a['confidence'] == 'C' for a in unver)} our model choices [C], "
                 f"{sum(a['confidence'] == 'S' for a in unver)} from secondary sources [S]); see --json")
    for a in result["assumptions"]:
        if a["confidence"] == "U":
            lines.append(f"  UNVERIFIED: {a['item']} = {a['value']} ({a.get('note', '')})")
    lines.append("Verdict: " + ("tolerable" if result["tolerable"] else "NOT tolerable"))
    return "\n".join(lines)


def violation_lines(rows: list[dict[str, Any]] | None) -> list[str]:
    """The quantity-distance violations ranked by the risk at their exposed site, with the two remedies."""
    if rows is None:
        return []
    if not rows:
        return ["Quantity-distance violations: none"]
    out = [f"Quantity-distance violations ({len(rows)}), ranked by the individual risk at the exposed site "
           "(per year: now; with the PES's stock moved or removed; with it scaled to its licence):"]
    for r in rows:
        pes = "+".join(r["group"]) if r.get("group") else r["pes"]
        mv, lic = r["after_move"], r["after_licence_neq"]
        out.append(f"  {r['rank']:>3}. {pes} -> {r['es']} (HD {r['hd']}, {r['distance_m']:.1f} m, required "
                   f"{math.ceil(r['required_distance_m'])} m): {r['individual_risk_per_year']:.2e} {r['band']}, "
                   f"{100 * r['share_of_site_risk']:.0f} % from this PES; moved {mv['individual_risk_per_year']:.2e} "
                   f"{mv['band']}; licence NEQ (x{lic['scale']:.3g}) {lic['individual_risk_per_year']:.2e} "
                   f"{lic['band']}")
    return out


def escalation_lines(case: dict[str, Any] | None) -> list[str]:
    """The bounding escalation case, labelled as such, beside the base figures."""
    if not case:
        return []
    out = [f"Escalation beyond a group, BOUNDING SENSITIVITY CASE (not an estimate; no sourced probability): "
           f"{case['escalated_events']} of {len(case['events'])} events take other storehouses along; "
           f"expected fatalities {case['expected_fatalities_per_year']:.3g} per year "
           f"(without escalation {case['base_expected_fatalities_per_year']:.3g}); societal verdict {case['fn']['band']}"]
    for s in sorted(case["sites"], key=lambda s: -s["individual_risk_per_year"]):
        if s["individual_risk_per_year"] != s["base_individual_risk_per_year"]:
            out.append(f"  {s['id']:<12} IR {s['individual_risk_per_year']:.2e}/yr bounding "
                       f"(without escalation {s['base_individual_risk_per_year']:.2e})  {s['band']}")
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``risk``: 0 all tolerable, 1 not, 2 bad input."""
    if args.criteria not in REGIMES:
        raise InputError("--criteria", args.criteria, "allowed: " + ", ".join(REGIMES))
    cell = to_si(args.grid_cell or "25 m", "length", "--grid-cell")
    if not cell > 0:
        raise InputError("--grid-cell", args.grid_cell, 'a length > 0, e.g. "25 m"')
    depot = read_layout(args.layout, stock_csv=args.stock, layers=args.layer or ())
    result = assess(depot, args.criteria, grid_cell_m=cell, grid_cell_is_default=args.grid_cell is None)
    if args.contours_geojson:
        # the groups the assessment used (its events), so the check does not run twice
        events, _ = build_events(depot, [e["members"] for e in result["events"] if len(e["members"]) > 1])
        doc = contours_geojson(depot, lethality_contours(events))
        _write_atomically(args.contours_geojson, json.dumps(doc, allow_nan=False))
    if args.json:
        print_json(result)
    else:
        sys.stdout.write(summary(result) + "\n")
    return 0 if result["tolerable"] else 1
