"""The answer of ``depotsafe effects``: what an explosion at one site of a depot would do to every other site.

:func:`event_effects` is the public function the command and the documents call
(``depotsafe effects LAYOUT --event ID --json`` is its first value).
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import mapping

from depotsafe import __version__
from depotsafe.effects.blast import MODEL_SOURCE, get_explosive
from depotsafe.effects.event import (
    aggregation_groups,
    event_hazard_zones,
    explosion_event,
)
from depotsafe.effects.tables import data_sha256
from depotsafe.effects.zones import blast_zones, site_table
from depotsafe.errors import InputError
from depotsafe.messages import Note, Verbatim
from depotsafe.units import to_si

#: Where the event's NEQ comes from (each a msgid: the command line says it in the user's language).
NEQ_FROM_STOCK = "stock: HD 1.1 + 1.5 (+ 1.2, 1.3 mixed with them, AASTP-1 Table 4)"
NEQ_FROM_GROUP_STOCK = "stock: HD 1.1 + 1.5 (+ 1.2, 1.3 mixed with them, AASTP-1 Table 4) of every member of the group"
#: Notes of an answer that depend on the event (msgids; depotsafe.messages.Note for the one with values).
NO_BLAST_NOTE = "no HD 1.1/1.5 in the event: no mass explosion, no blast zones (fragment/thermal only)"
ALONE_NOTE = "{others} in the same aggregation group listed as exposed sites (exploded alone on request)"


def event_effects(depot: Any, event: str, *, explosive: str = "TNT", neq: str | None = None, alone: bool = False,
                  sparse: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON object of ``depotsafe effects --event EVENT`` and its zones as GeoJSON.

    ``depot`` as :func:`depotsafe.layout.read_layout` gives it; ``explosive``, ``neq`` (a
    quantity with its unit, e.g. "5 t", overriding the stock's), ``alone`` and ``sparse`` as
    the command's options of the same names (errors name those options).
    """
    site = depot.site(event)
    exp = get_explosive(explosive, "--explosive")
    if not site.stock_entries and neq is None:
        raise InputError("--event", event, "the site holds no stock; give --neq for a blast event")
    ev = explosion_event(depot, site.id, aggregation_groups(depot), alone=alone)
    notes: list[str] = []
    if neq is not None:
        neq_kg = to_si(neq, "mass", "--neq")
        if neq_kg <= 0:
            raise InputError("--neq", neq, "the NEQ must be > 0 kg")
        neq_source = "--neq"
    else:
        neq_kg = ev.neq_kg
        neq_source = NEQ_FROM_GROUP_STOCK if len(ev.members) > 1 else NEQ_FROM_STOCK
    hzones, hnotes = event_hazard_zones(ev, neq_kg, sparse)
    notes.extend(hnotes)
    if neq_kg <= 0:
        notes.append(NO_BLAST_NOTE)
    if ev.mode == "alone" and len(ev.group) > 1:
        notes.append(Note(ALONE_NOTE, others=Verbatim(", ".join(m for m in ev.group if m != ev.site))))
    others = [(s.id, s.geometry, s.persons) for s in depot.sites if s.id not in ev.members]
    rows = site_table(ev.footprint, neq_kg, others, exp.name, hzones)
    bzones = blast_zones([ev.footprint], [neq_kg], exp.name) if neq_kg > 0 else []
    result: dict[str, Any] = {
        "event": {"id": site.id, "kind": site.kind, "neq_kg": neq_kg, "neq_source": neq_source,
                  "explosive": exp.name, "site": ev.site, "members": list(ev.members), "mode": ev.mode,
                  "group": list(ev.group), "reason": ev.reason},
        "sites": rows,
        "zones": {
            "blast": [{"level": z.level.level, "overpressure_kpa": z.level.overpressure_pa / 1e3,
                       "radius_m": z.radius_m[0], "name": z.level.name, "buildings": z.level.buildings,
                       "people": z.level.people, "source": z.level.source} for z in bzones],
            "hazard": [{"kind": z.kind, "hd": z.hd, "radius_m": z.radius_m, "rule": z.rule,
                        "source": z.source, "basis": z.basis} for z in hzones],
        },
        "notes": [*notes, "distances from the event footprint (the union of the members' footprints) to the nearest "
                  "point of each site", "blast zones drawn from the incident overpressure (Kingery-Bulmash), "
                  "largest distance"],
        "provenance": {"model": MODEL_SOURCE, "effects_data_sha256": data_sha256(),
                       "depotsafe_version": __version__, "input_sha256": depot.input_sha256},
    }
    features = []
    to_out = (lambda g: g) if depot.is_local else (lambda g: shapely.transform(g, lambda x, y: depot.to_lonlat(x, y), interleaved=False))
    for z in reversed(bzones):
        features.append({"type": "Feature", "geometry": mapping(to_out(z.geometry)),
                         "properties": {"zone": "blast", "level": z.level.level,
                                        "overpressure_kpa": z.level.overpressure_pa / 1e3,
                                        "radius_m": z.radius_m[0], "name": z.level.name}})
    for hz in hzones:
        features.append({"type": "Feature", "geometry": mapping(to_out(ev.footprint.buffer(hz.radius_m, quad_segs=32))),
                         "properties": {"zone": hz.kind, "hd": hz.hd, "radius_m": hz.radius_m,
                                        "rule": hz.rule, "basis": hz.basis}})
    geojson: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if depot.is_local:
        geojson["crs"] = {"type": "name", "properties": {"name": depot.crs_name}}
    return result, geojson
