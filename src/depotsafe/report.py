"""Outputs of the whole-depot check: JSON (streamed), CSV, QD arcs (GeoJSON, KML), a table.

Arcs are buffers of the PES footprint by the required distance, for drawing
only: every verdict comes from exact nearest-point distances, never from a
buffer (a buffer under-covers a circle by up to about 2 m).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import shapely
from shapely.geometry import mapping

from depotsafe.check import CheckResult, _cases_of, compact_group_refs
from depotsafe.errors import InputError
from depotsafe.explosives import parse_stock_entry
from depotsafe.kinds import kinds
from depotsafe.qd import FACES, Relation, required_distance_m, resolve_rule

PAIR_COLUMNS = (
    "pes", "es", "hd", "pes_kind", "pes_face", "es_kind", "es_face", "rule", "rule_label",
    "required_distance_m", "distance_m", "compliant", "source", "near_miss", "group",
)


def write_atomically(path: str | Path, write: Callable[[IO[str]], None]) -> None:
    """Write a file through a temporary file and rename: no partial file on error.

    One file of depotsafe.outputs.write_outputs (which writes several, all or none).
    """
    from depotsafe.outputs import write_outputs

    write_outputs([("file", str(path), write)])


def write_json(result: CheckResult, f: IO[str]) -> None:
    """The DESIGN.md JSON object, streamed pair by pair (no whole answer in memory)."""
    f.write("{\n  \"pairs\": [")
    first = True
    for pair in result.iter_pairs():
        f.write(("\n    " if first else ",\n    ") + json.dumps(compact_group_refs(pair), allow_nan=False))
        first = False
    f.write("\n  ],\n  \"sites\": [")
    first = True
    for site in result.sites:
        f.write(("\n    " if first else ",\n    ") + json.dumps(compact_group_refs(site), allow_nan=False))
        first = False
    f.write("\n  ]")
    f.write(",\n  \"violations\": [")
    first = True
    for pair in result.iter_violations():
        f.write(("\n    " if first else ",\n    ") + json.dumps(compact_group_refs(pair), allow_nan=False))
        first = False
    f.write("\n  ],\n  \"aggregations\": " + json.dumps(result.aggregations, allow_nan=False))
    f.write(",\n  \"groups\": " + json.dumps(result.groups))
    f.write(",\n  \"summary\": " + json.dumps(result.summary()))
    f.write(",\n  \"notes\": " + json.dumps(result.notes))
    f.write(",\n  \"provenance\": " + json.dumps(result.provenance()) + "\n}\n")


def write_pairs_csv(result: CheckResult, f: IO[str]) -> None:
    """Every listed pair (violations and near misses) as one CSV row (columns PAIR_COLUMNS)."""
    w = csv.writer(f, lineterminator="\n")
    w.writerow(PAIR_COLUMNS)
    for p in map(compact_group_refs, result.iter_pairs()):
        rel = p["relation"]
        w.writerow([
            p["pes"], p["es"], p["hd"], rel.get("pes_kind"), rel.get("pes_face") or "", rel.get("es_kind"),
            rel.get("es_face") or "", p["rule"], p["rule_label"], f"{p['required_distance_m']:.3f}",
            f"{p['distance_m']:.3f}", "yes" if p["compliant"] else "no", p["source"],
            "yes" if p.get("near_miss") else "no",
            p["group"] if isinstance(p.get("group"), str) else "+".join(p.get("group", [])),
        ])


def pairs_csv(result: CheckResult) -> str:
    buf = io.StringIO()
    write_pairs_csv(result, buf)
    return buf.getvalue()


# ------------------------------------------------------------------ arcs


def arcs(result: CheckResult, es_kinds: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """QD arcs of every storehouse: one buffer per exposed-site kind present.

    The distance drawn is the largest the storehouse could require of an ES of
    that kind (any face, any sector, its aggregated stock).  Features carry
    ``pes``, ``es_kind``, ``required_distance_m``, ``rule`` and ``violated``
    (some ES of that kind fails).  Coordinates in local metres.
    """
    depot = result.depot
    rs = result.rule_set
    present = es_kinds or tuple(dict.fromkeys(s.kind for s in depot.sites))
    table = kinds()
    violated = {
        (p["pes"], p["relation"].get("es_kind")) for p in result.iter_violations()
    }
    feats: list[dict[str, Any]] = []
    group_of = {sid: g for g in result.groups for sid in g}
    for site_out in result.sites:
        site = depot.site(site_out["id"])
        members = group_of.get(site.id, [site.id])
        lines = []
        for m in members:
            s = depot.site(m)
            lines += [parse_stock_entry(e, f"{m}.stock[{k}]") for k, e in enumerate(s.stock_entries)]
        cases = _cases_of(rs, lines)
        pk = table[site.kind]
        for ek in present:
            ekind = table[ek]
            best, best_label = 0.0, ""
            for case, q, u in cases:
                for pf in FACES if pk.earth_covered else (None,):
                    for ef in FACES if ekind.earth_covered else (None,):
                        traffic = "heavy" if ek == "public_traffic_route" else None
                        rule = resolve_rule(rs, case.division, Relation(site.kind, ek, pf, ef, traffic), case.tables)
                        d, t = required_distance_m(rs, rule, q, u)
                        if d > best:
                            best, best_label = d, rule.terms[t].label
            if best <= 0:
                continue
            geom = shapely.buffer(site.geometry, best, quad_segs=32)
            feats.append({
                "type": "Feature",
                "geometry": geom,
                "properties": {
                    "pes": site.id,
                    "es_kind": ek,
                    "required_distance_m": round(best, 3),
                    "rule": best_label,
                    "violated": (site.id, ek) in violated,
                },
            })
    return feats


def arcs_geojson(result: CheckResult) -> dict[str, Any]:
    """QD arcs as a GeoJSON FeatureCollection (WGS84 lon/lat; local metres for local layouts)."""
    depot = result.depot
    out = []
    for feat in arcs(result):
        geom = feat["geometry"]
        if not depot.is_local:
            geom = shapely.transform(geom, lambda xy: _lonlat(depot, xy))
        out.append({"type": "Feature", "geometry": mapping(geom), "properties": feat["properties"]})
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": out}
    if depot.is_local:
        doc["crs"] = {"type": "name", "properties": {"name": depot.crs_name}}
    return doc


def _lonlat(depot: Any, xy: Any) -> Any:
    import numpy as np

    lon, lat = depot.to_lonlat(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text for an XML 1.0 element or attribute: escaped, characters XML forbids replaced by U+FFFD."""
    return escape(_XML_FORBIDDEN.sub("\ufffd", text), {'"': "&quot;"})


def arcs_kml(result: CheckResult) -> str:
    """QD arcs as KML (Google Earth, QGIS).  KML needs lon/lat: not for local layouts."""
    depot = result.depot
    if depot.is_local:
        raise InputError("arcs-kml", depot.crs_name, "KML needs a layout on the earth (WGS84 or a named CRS)")
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>depotsafe QD arcs</name>',
        '<Style id="ok"><LineStyle><color>ff00aa00</color><width>2</width></LineStyle>'
        "<PolyStyle><fill>0</fill></PolyStyle></Style>",
        '<Style id="violated"><LineStyle><color>ff0000ff</color><width>3</width></LineStyle>'
        "<PolyStyle><fill>0</fill></PolyStyle></Style>",
    ]
    for feat in arcs(result):
        props = feat["properties"]
        geom = shapely.transform(feat["geometry"], lambda xy: _lonlat(depot, xy))
        ring = " ".join(f"{x:.7f},{y:.7f}" for x, y in geom.exterior.coords)
        name = f"{props['pes']} to {props['es_kind']}: {math.ceil(props['required_distance_m'])} m"
        parts.append(
            f"<Placemark><name>{_xml_text(name)}</name><description>{_xml_text(props['rule'])}</description>"
            f"<styleUrl>#{'violated' if props['violated'] else 'ok'}</styleUrl>"
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
            "</LinearRing></outerBoundaryIs></Polygon></Placemark>"
        )
    parts.append("</Document></kml>")
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------ human table


def human_report(result: CheckResult) -> str:
    s = result.summary()
    lines = [
        f"{s['sites']} sites, {s['storehouses']} storehouses, {s['pairs']} PES-ES pairs listed (violations and "
        f"near misses): {s['violations']} violation(s), {s['incompatible_sites']} site(s) with incompatible stock.",
        "",
    ]
    if result.aggregations:
        lines.append("Aggregation groups (one site each: closer than their inter-magazine distance, "
                     "AASTP-1 §1.3.2.3 b):")
        for agg in result.aggregations:
            members = agg["members"]
            shown = "+".join(members) if len(members) <= 10 else "+".join(members[:10]) + "+..."
            lines.append(f"  {agg['id']} {shown}: {len(members)} storage sites")
            for j in agg["joins"][:10]:
                lines.append(f"    {j['a']}-{j['b']} {j['distance_m']:.1f} m < {math.ceil(j['imd_m'])} m ({j['rule']})")
            if len(agg["joins"]) > 10:
                lines.append(f"    ... {len(agg['joins']) - 10} more join(s)")
        lines.append("")
    if s["violations"]:
        lines.append(f"{'PES':<12}{'ES':<12}{'HD':<7}{'required m':>11}{'actual m':>10}  rule")
        for v in result.iter_violations():
            pes = v["pes"] + (" (group)" if v.get("group") else "")
            lines.append(
                f"{pes:<12}{v['es']:<12}{v['hd']:<7}{math.ceil(v['required_distance_m']):>11}"
                f"{v['distance_m']:>10.1f}  {v['rule_label']}"
            )
        lines.append("")
    lines.append("Explosives limit licence per HD (each in isolation), kg NEQ [limiting exposed site]:")
    shown_groups: set[str] = set()
    for site in result.sites:
        gid = site.get("group_id")
        if gid:
            if gid in shown_groups:
                continue
            shown_groups.add(gid)
            group = site["aggregation_group"]
            name = ("+".join(group) if len(group) <= 10 else f"{gid} ({len(group)} storage sites)") + " (group)"
        else:
            name = site["id"]
        least = site.get("licence_at_least", {})
        lic = ", ".join(
            f"{d}: " + ("unlimited" if v is None else ("at least " if least.get(d) else "") + f"{math.floor(v):,}")
            + (f" [{site['limiting_es'][d]}]" if site["limiting_es"].get(d) else "")
            for d, v in site["licence_limit_kg"].items()
        )
        verdict = "OK" if site["mixed_stock"]["compliant"] else "FAILS"
        compat = "" if site["compatibility"]["compatible"] else "  INCOMPATIBLE STOCK"
        lines.append(f"  {name}: stock {verdict}{compat}; {lic}")
    for note in result.notes:
        lines.append(f"note: {note}")
    prov = result.provenance()
    lines.append(f"{prov['statement']}; rule data sha256 {prov['rule_data_sha256'][:12]}; "
                 f"input sha256 {prov['input_sha256'][:12]}; depotsafe {prov['depotsafe_version']}")
    return "\n".join(lines)
