"""Downloads of a check (the engine's writers in depotsafe.report) and map arcs.

The arcs drawn on the map are drawing aids: each is the PES footprint grown
by the required distance of a pair (a buffer, which under-covers the true
curve slightly); the verdicts in the tables come from exact nearest-point
distances measured by the engine.
"""

from __future__ import annotations

import io
import json
from typing import Any


def result_json(result: Any) -> str:
    """The JSON object of ``depotsafe check --json`` (the engine's writer)."""
    from depotsafe.report import write_json

    buf = io.StringIO()
    write_json(result, buf)
    return buf.getvalue()


def pairs_csv(result: Any) -> str:
    """Every pair as CSV (the engine's writer, as ``depotsafe check``)."""
    from depotsafe.report import pairs_csv as engine_pairs_csv

    return str(engine_pairs_csv(result))


def arc_files(result: Any) -> tuple[str, str | None]:
    """The engine's QD arcs as GeoJSON text and KML text (None for local layouts)."""
    from depotsafe.report import arcs_geojson, arcs_kml

    geo = json.dumps(arcs_geojson(result))
    kml = None if result.depot.is_local else str(arcs_kml(result))
    return geo, kml


def arcs(depot: Any, pairs: list[dict[str, Any]], quad_segs: int = 64) -> list[dict[str, Any]]:
    """One arc per PES and distinct required distance, with the pairs it serves.

    Returns dicts with ``pes``, ``required_distance_m``, ``hd``, ``rule``,
    ``es`` (ids), ``compliant`` (all of them) and ``geometry`` (shapely, local
    metres).
    """
    grouped: dict[tuple[str, float], dict[str, Any]] = {}
    for p in pairs:
        req = float(p["required_distance_m"])
        if req <= 0:
            continue
        key = (p["pes"], round(req, 3))
        g = grouped.setdefault(key, {"pes": p["pes"], "required_distance_m": req, "hd": p["hd"],
                                     "rule": p["rule"], "source": p.get("source", ""), "es": [], "compliant": True})
        g["es"].append(p["es"])
        g["compliant"] = g["compliant"] and bool(p["compliant"])
    out = []
    for g in grouped.values():
        fp = depot.site(g["pes"]).geometry
        g["geometry"] = fp.buffer(g["required_distance_m"], quad_segs=quad_segs).exterior
        out.append(g)
    return out


