"""The explosive event of an effects calculation: one site, or its aggregation group.

Storehouses closer to each other than their inter-magazine distance are one
site (AASTP-1 §1.3.2.3 b), standards.md §9 decision 14): an explosion in one
is taken to set off the others, a mass explosion of everything that cannot be
kept apart.  So by default the event at a site is its whole aggregation group
(the groups of the whole-depot check): the group's stock taken as one site's
(blast NEQ by ``event_neq_kg`` over every member's stock lines, as the check
aggregates a group's stock), its zones drawn from the union of the members'
footprints.  ``alone=True`` explodes the named site by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from depotsafe.effects.hazards import (
    OPEN_KINDS,
    PROTECTED_KINDS,
    HazardZone,
    hd11_fragment_zone,
    hd12_fragment_zone,
    hd13_thermal_zone,
)
from depotsafe.effects.zones import event_neq_kg
from depotsafe.explosives import parse_stock_entry, qd_division
from depotsafe.messages import Note, Verbatim
from depotsafe.tablemode import KG

CLAUSE = "AASTP-1 §1.3.2.3 b)"
MODES = ("group", "alone")

#: Why the event is the site alone or its group (each a msgid: depotsafe.messages.Note, shown in the user's
#: language by the command line and the app).
EVENT_ALONE = ("{site} is not closer than its inter-magazine distance to any other storehouse ({clause}): it "
               "explodes alone")
EVENT_ALONE_ON_REQUEST = ("{site} exploded alone on request, although it is one site with {others}: not separated by "
                          "their inter-magazine distance ({clause}), they would be expected to go too")
EVENT_GROUP = ("{site} is one site with {others}: not separated by their inter-magazine distance, they count as a "
               "single site ({clause}); an explosion in one is taken to set off all, a mass explosion of the group's "
               "stock ({neq}); exploding {site} alone is an option")
EVENT_REASONS = (EVENT_ALONE, EVENT_ALONE_ON_REQUEST, EVENT_GROUP)

#: Note of an event site whose kind has no HD 1.1 projection minimum (a msgid: depotsafe.messages).
NO_FRAGMENT_ZONE_NOTE = "no HD 1.1 fragment zone: kind {kind} has no projection minimum in AASTP-1 1.3.7.3d"


@dataclass(frozen=True)
class Event:
    """What explodes: the named site, alone or with its aggregation group."""

    site: str
    kind: str
    mode: str  # "group" (default) or "alone"
    members: tuple[str, ...]  # the sites that explode together (the site itself when alone)
    group: tuple[str, ...]  # the site's aggregation group (just the site when in none)
    member_kinds: tuple[str, ...]
    lines: tuple[Any, ...]  # stock lines of the members
    footprint: BaseGeometry  # union of the members' footprints [m, local]
    neq_kg: float  # blast NEQ from the stock (HD 1.1 + 1.5, Table 4 aggregation)
    reason: str


def hazard_zones_of(kind: str, lines: Sequence[Any], blast_neq_kg: float,
                    sparse: bool) -> tuple[list[HazardZone], list[str]]:
    """Fragment and thermal zones of an event site, with notes on what was left out."""
    zones: list[HazardZone] = []
    notes: list[str] = []
    if blast_neq_kg > 0:
        if kind in PROTECTED_KINDS or kind in OPEN_KINDS:
            zones.append(hd11_fragment_zone(blast_neq_kg, kind, sparse))
        else:
            notes.append(Note(NO_FRAGMENT_ZONE_NOTE, kind=kind))
        return zones, notes
    divs = [(qd_division(ln), ln) for ln in lines]
    neq12 = sum(ln.neq_kg for d, ln in divs if d in ("1.2.1", "1.2.2"))
    if neq12 > 0:
        sub = "1.2.1" if any(d == "1.2.1" for d, _ in divs) else "1.2.2"
        zones.append(hd12_fragment_zone(neq12, sub))
    neq13 = sum(ln.neq_kg for d, ln in divs if d == "1.3")
    if neq13 > 0:
        propellant = any(d == "1.3" and ln.cg == "C" for d, ln in divs)
        zones.append(hd13_thermal_zone(neq13, kind, propellant))
    return zones, notes


def event_hazard_zones(event: Event, blast_neq_kg: float, sparse: bool) -> tuple[list[HazardZone], list[str]]:
    """Fragment and thermal zones of an event: per zone, the largest over the members' kinds.

    A group may mix kinds (an open stack and an igloo): each zone takes the
    kind that gives it the largest radius (the larger distance wins).
    """
    best: dict[tuple[str, str], HazardZone] = {}
    notes: list[str] = []
    for kind in dict.fromkeys(event.member_kinds):
        zones, zn = hazard_zones_of(kind, list(event.lines), blast_neq_kg, sparse)
        notes += [n for n in zn if n not in notes]
        for z in zones:
            key = (z.kind, z.hd)
            if key not in best or z.radius_m > best[key].radius_m:
                best[key] = z
    return list(best.values()), notes


def group_of(groups: Sequence[Sequence[str]], site_id: str) -> tuple[str, ...]:
    """The aggregation group holding ``site_id`` (the site alone when in none)."""
    for g in groups:
        if site_id in g:
            return tuple(g)
    return (site_id,)


def aggregation_groups(depot: Any, rule_set: str = "iatg") -> list[list[str]]:
    """The aggregation groups of a depot, from the whole-depot check (licences off)."""
    from depotsafe.check import check_depot

    return [list(g) for g in check_depot(depot, rule_set, licences=False).groups]


def _stock_lines(site: Any) -> list[Any]:
    return [parse_stock_entry(e, f"{site.id}.stock[{k}]") for k, e in enumerate(site.stock_entries)]


def explosion_event(depot: Any, site_id: str, groups: Sequence[Sequence[str]], alone: bool = False) -> Event:
    """The event at ``site_id``: its aggregation group (default) or the site alone.

    ``groups`` are the check's aggregation groups (``CheckResult.groups``).
    """
    site = depot.site(site_id)
    group = group_of(groups, site.id)
    members = (site.id,) if alone else group
    sites = [depot.site(m) for m in members]
    lines = tuple(ln for s in sites for ln in _stock_lines(s))
    neq = event_neq_kg(lines)
    others = [m for m in group if m != site.id]
    site_id, clause = Verbatim(site.id), Verbatim(CLAUSE)
    if len(group) == 1:
        reason = Note(EVENT_ALONE, site=site_id, clause=clause)
    elif alone:
        reason = Note(EVENT_ALONE_ON_REQUEST, site=site_id, others=Verbatim(", ".join(others)), clause=clause)
    else:
        reason = Note(EVENT_GROUP, site=site_id, others=Verbatim(", ".join(others)), clause=clause,
                      neq=Note(KG, kg=neq))
    footprint = sites[0].geometry if len(sites) == 1 else shapely.union_all([s.geometry for s in sites])
    return Event(
        site=site.id, kind=site.kind, mode="alone" if alone else "group", members=members, group=group,
        member_kinds=tuple(s.kind for s in sites), lines=lines, footprint=footprint, neq_kg=neq, reason=reason,
    )


__all__ = ["CLAUSE", "EVENT_ALONE", "EVENT_ALONE_ON_REQUEST", "EVENT_GROUP", "EVENT_REASONS", "MODES", "Event",
           "aggregation_groups", "event_hazard_zones", "explosion_event", "group_of", "hazard_zones_of"]
