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
from depotsafe.clitext import add_lang_option, cli_words
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
    p.add_argument("layout", help="depot layout (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, KML; DXF with --mapping)")
    p.add_argument("--stock", help="stock CSV joined to the layout by site_id")
    p.add_argument("--criteria", default="uk-hse", help="uk-hse (default), fr-2011 (by analogy) or nl")
    p.add_argument("--grid-cell", default=None,
                   help='cell of the location-risk grid, e.g. "25 m" (default 25 m, enlarged on a large depot)')
    p.add_argument("--contours-geojson", metavar="FILE",
                   help="write the lethality contours (100, 50, 10, 1 %%) of every storehouse as GeoJSON")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_lang_option(p)
    add_layer_option(p)
    p.add_argument("--mapping", metavar="FILE",
                   help="mapping file (JSON), as for check: other field names of a GIS file; required for a DXF "
                        "site plan (docs/layout.md)")
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


def summary(result: dict[str, Any], lang: str = "en") -> str:
    """A readable summary of the answer, in ``lang`` (depotsafe.clitext)."""
    w = cli_words(lang)
    tr = w.tr
    lines = []
    crit = result["criteria"]
    lines.append(tr("Explosion risk against {criteria}").format(criteria=crit["regime"])
                 + (f" ({crit['label']})" if crit.get("label") else "") + ":")
    per_year = tr("{rate}/yr")
    for s in sorted(result["sites"], key=lambda s: -s["individual_risk_per_year"]):
        lines.append(f"  {s['id']:<12} " + tr("IR {rate}").format(rate=per_year.format(
            rate=w.sci(s["individual_risk_per_year"]))) + "  "
                     + tr("(location {rate})").format(rate=w.sci(s["location_risk_per_year"]))
                     + f"  {tr(s['band'])}" + (f" [{s['criterion']}]" if s["criterion"] else ""))
    lines.append(tr("Expected fatalities: {n} per year").format(n=w.sci(result["expected_fatalities_per_year"])))
    fn = crit["fn"]
    lines.append(tr("F-N curve: {n} steps; societal verdict: {band}").format(
        n=w.count(len(result["fn_curve"])), band=tr(fn["band"])))
    share = tr("{share} of expected fatalities")
    for c in sorted(result["contributions"], key=lambda c: -c["share"])[:5]:
        lines.append(f"  {c['pes']:<12} " + share.format(share=w.style.percent(100 * c["share"], 1)
                                                         if w.lang != "en" else f"{100 * c['share']:.1f} %"))
    lines.extend(event_lines(result.get("events"), lang))
    lines.extend(violation_lines(result.get("violations"), lang))
    lines.extend(escalation_lines((result.get("sensitivity") or {}).get("escalation_bounding"), lang))
    unver = [a for a in result["assumptions"] if a["confidence"] in ("U", "C", "S")]
    lines.append(tr("Assumptions: {n} (of which {u} unverified [U], {c} our model choices [C], {s} from secondary "
                    "sources [S]); see --json").format(
        n=w.count(len(result["assumptions"])), u=w.count(sum(a["confidence"] == "U" for a in unver)),
        c=w.count(sum(a["confidence"] == "C" for a in unver)), s=w.count(sum(a["confidence"] == "S" for a in unver))))
    for a in result["assumptions"]:
        if a["confidence"] == "U":
            lines.append("  " + tr("UNVERIFIED: {item} = {value} ({note})").format(
                item=a["item"], value=a["value"], note=a.get("note", "")))
    lines.append(tr("Verdict: {verdict}").format(
        verdict=tr("tolerable") if result["tolerable"] else tr("NOT tolerable")))
    return "\n".join(lines)


def event_lines(events: list[dict[str, Any]] | None, lang: str = "en") -> list[str]:
    """Why each explosion event has its outcome (the engine's reason, said in ``lang``), one line per event."""
    if not events:
        return []
    w = cli_words(lang)
    out = [w.tr("Explosion events and why (a storehouse, or its aggregation group, explodes as one):")]
    out.extend(f"  {e['pes']:<12} {w.note(e['reason'])}" for e in events)
    return out


def violation_lines(rows: list[dict[str, Any]] | None, lang: str = "en") -> list[str]:
    """The quantity-distance violations ranked by the risk at their exposed site, with the two remedies."""
    w = cli_words(lang)
    tr = w.tr
    if rows is None:
        return []
    if not rows:
        return [tr("Quantity-distance violations: none")]
    out = [tr("Quantity-distance violations ({n}), ranked by the individual risk at the exposed site "
              "(per year: now; with the PES's stock moved or removed; with it scaled to its licence):").format(
        n=w.count(len(rows)))]
    line = tr("{rank}. {pes} -> {es} (HD {hd}, {distance}, required {required}): {rate} {band}, {share} from this "
              "PES; moved {moved} {moved_band}; licence NEQ (x{scale}) {licence} {licence_band}")
    for r in rows:
        pes = "+".join(r["group"]) if r.get("group") else r["pes"]
        mv, lic = r["after_move"], r["after_licence_neq"]
        out.append("  " + line.format(
            rank=f"{r['rank']:>3}", pes=pes, es=r["es"], hd=r["hd"], distance=w.unit(w.fixed(r["distance_m"], 1), "m"),
            required=w.unit(w.count(math.ceil(r["required_distance_m"])), "m"),
            rate=w.sci(r["individual_risk_per_year"]), band=tr(r["band"]),
            share=f"{100 * r['share_of_site_risk']:.0f} %" if w.lang == "en"
            else w.style.percent(100 * r["share_of_site_risk"], 0),
            moved=w.sci(mv["individual_risk_per_year"]), moved_band=tr(mv["band"]), scale=w.g3(lic["scale"]),
            licence=w.sci(lic["individual_risk_per_year"]), licence_band=tr(lic["band"])))
    return out


def escalation_lines(case: dict[str, Any] | None, lang: str = "en") -> list[str]:
    """The bounding escalation case, labelled as such, beside the base figures."""
    w = cli_words(lang)
    tr = w.tr
    if not case:
        return []
    out = [tr("Escalation beyond a group, BOUNDING SENSITIVITY CASE (not an estimate; no sourced probability): "
              "{escalated} of {events} events take other storehouses along; expected fatalities {n} per year "
              "(without escalation {base}); societal verdict {band}").format(
        escalated=w.count(case["escalated_events"]), events=w.count(len(case["events"])),
        n=w.sci(case["expected_fatalities_per_year"]), base=w.sci(case["base_expected_fatalities_per_year"]),
        band=tr(case["fn"]["band"]))]
    line = tr("IR {rate}/yr bounding (without escalation {base})")
    for s in sorted(case["sites"], key=lambda s: -s["individual_risk_per_year"]):
        if s["individual_risk_per_year"] != s["base_individual_risk_per_year"]:
            out.append(f"  {s['id']:<12} " + line.format(rate=w.sci(s["individual_risk_per_year"]),
                                                          base=w.sci(s["base_individual_risk_per_year"]))
                       + f"  {tr(s['band'])}")
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``risk``: 0 all tolerable, 1 not, 2 bad input."""
    cli_words(args.lang)  # a language we do not ship is refused before any work
    if args.criteria not in REGIMES:
        raise InputError("--criteria", args.criteria, "allowed: " + ", ".join(REGIMES))
    cell = to_si(args.grid_cell or "25 m", "length", "--grid-cell")
    if not cell > 0:
        raise InputError("--grid-cell", args.grid_cell, 'a length > 0, e.g. "25 m"')
    depot = read_layout(args.layout, stock_csv=args.stock, layers=args.layer or (), mapping=args.mapping)
    result = assess(depot, args.criteria, grid_cell_m=cell, grid_cell_is_default=args.grid_cell is None)
    if args.contours_geojson:
        # the groups the assessment used (its events), so the check does not run twice
        events, _ = build_events(depot, [e["members"] for e in result["events"] if len(e["members"]) > 1])
        doc = contours_geojson(depot, lethality_contours(events))
        _write_atomically(args.contours_geojson, json.dumps(doc, allow_nan=False))
    if args.json:
        print_json(result)
    else:
        sys.stdout.write(summary(result, args.lang) + "\n")
    return 0 if result["tolerable"] else 1
