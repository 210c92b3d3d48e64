"""Protection-level zones and the per-site effects table.

Distances are measured from the PES footprint to the nearest point of the
exposed site (as quantity-distances are, AASTP-1 1.3.2.2): conservative, as if
the charge could be anywhere in the storehouse.  The grid fields
(depotsafe.effects.fields) use point charges and are for display.

Zones.  With several events combined by the maximum, the area where the
overpressure reaches a level is the union over events of the area where that
event alone reaches it; for one event that is the footprint grown by the
largest distance at which the level is reached.  So the zone polygons are
exact buffers, not contours of a sampled grid (a buffer polygon under-covers
its true circle by at most radius*(1 - cos(pi/(4*quad_segs))); drawing only;
the per-site table uses exact distances).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from depotsafe.effects import hazards
from depotsafe.effects.blast import blast_parameters, distance_for
from depotsafe.effects.injury import blast_injury
from depotsafe.effects.tables import ProtectionLevel, protection_levels
from depotsafe.errors import InputError

#: Hazard divisions whose NEQ goes into the blast event (see event_neq_kg).
BLAST_HDS = ("1.1", "1.5")
AGGREGATED_WITH_11 = ("1.2", "1.2.1", "1.2.2", "1.3")


def event_neq_kg(stock: Iterable[Any]) -> float:
    """Blast NEQ [kg] of a site from its stock lines (each with ``hd`` and ``neq_kg``).

    HD 1.1 + 1.5; and, when the site holds any HD 1.1 or 1.5, its HD 1.2 and
    1.3 as well: AASTP-1 Table 4 treats 1.1 mixed with 1.2 or 1.3 as 1.1 and
    1.3.2.5 takes the total as 1.1 (conservative).  HD 1.4 is never
    aggregated (Table 4 note 1); HD 1.6 and 1.2/1.3 alone are not a mass
    explosion and give no blast event (0 kg).
    """
    lines = [(str(_get(s, "hd")), float(_get(s, "neq_kg"))) for s in stock]
    has_11 = any(hd in BLAST_HDS for hd, _ in lines)
    total = 0.0
    for hd, neq in lines:
        if hd in BLAST_HDS or (has_11 and hd in AGGREGATED_WITH_11):
            total += neq
    return total


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


@dataclass(frozen=True)
class Zone:
    """One protection-level zone: where the incident overpressure >= the level."""

    level: ProtectionLevel
    radius_m: tuple[float, ...]  # per event, from its footprint
    geometry: BaseGeometry


def level_radii_m(neq_kg: float, explosive: str = "TNT") -> list[tuple[ProtectionLevel, float]]:
    """Largest distance [m] at which each protection level is reached."""
    return [
        (lv, distance_for("incident_overpressure", neq_kg, lv.overpressure_pa, explosive))
        for lv in protection_levels()
    ]


def blast_zones(
    footprints: Sequence[BaseGeometry],
    neq_kg: Sequence[float],
    explosives: Sequence[str] | str = "TNT",
    quad_segs: int = 32,
) -> list[Zone]:
    """Protection-level zones of one or several events (maximum combination).

    Returns the zones highest overpressure first; each lies inside the next.
    """
    if len(footprints) != len(neq_kg) or not footprints:
        raise InputError("events", len(footprints), "one NEQ per footprint, at least one event")
    names = [explosives] * len(neq_kg) if isinstance(explosives, str) else list(explosives)
    radii = [{lv.level: r for lv, r in level_radii_m(q, x)} for q, x in zip(neq_kg, names, strict=True)]
    zones = []
    for lv in protection_levels():
        rs = tuple(rad[lv.level] for rad in radii)
        geom = shapely.union_all([fp.buffer(r, quad_segs=quad_segs) for fp, r in zip(footprints, rs, strict=True)])
        zones.append(Zone(level=lv, radius_m=rs, geometry=geom))
    return zones


def zone_of(overpressure_pa: float | None) -> ProtectionLevel | None:
    """The highest protection level reached by ``overpressure_pa`` (None below all)."""
    if overpressure_pa is None:
        return None
    for lv in protection_levels():
        if overpressure_pa >= lv.overpressure_pa:
            return lv
    return None


def site_table(
    event_footprint: BaseGeometry,
    neq_kg: float,
    sites: Iterable[tuple[str, BaseGeometry, float]],
    explosive: str = "TNT",
    hazard_zones: Sequence[hazards.HazardZone] = (),
) -> list[dict[str, Any]]:
    """Effects at every exposed site: distance, blast, zone, injury, fragments.

    Parameters
    ----------
    event_footprint : shapely geometry
        Footprint of the exploding site [m, local projected CRS].
    neq_kg : float
        Blast NEQ [kg] of ``explosive``.
    sites : iterable of (id, geometry, persons)
        Exposed sites.
    hazard_zones : sequence of HazardZone
        Fragment and thermal zones of the event (depotsafe.effects.hazards);
        each row lists those the site lies in (distance < radius).

    Returns
    -------
    list of dict
        One row per site; quantities outside their fit are None with a status.
    """
    rows = []
    for site_id, geom, persons in sites:
        d = float(shapely.distance(event_footprint, geom))
        in_zones = [f"{z.kind} HD {z.hd}" for z in hazard_zones if d < z.radius_m]
        if neq_kg <= 0:
            rows.append({"id": site_id, "distance_m": d, "persons": persons,
                         "incident_overpressure_kpa": None, "incident_impulse_kpa_ms": None,
                         "reflected_overpressure_kpa": None, "status": {}, "zone": "no blast event",
                         "zone_name": None, "injury_probability": None, "in_hazard_zones": in_zones})
            continue
        res = blast_parameters(neq_kg, d, explosive)
        p = res.values["incident_overpressure"]
        i = res.values["incident_impulse"]
        lv = zone_of(p)
        status = res.status["incident_overpressure"]["code"]
        if status == "below_fit_range":
            zone = "inside fit minimum (closer than Z = 0.2; overpressure above every level)"
        else:
            zone = lv.level if lv is not None else "below 1.5 kPa"
        injury = blast_injury(p, i) if p is not None and i is not None else None
        rows.append({
            "id": site_id,
            "distance_m": d,
            "persons": persons,
            "incident_overpressure_kpa": None if p is None else p / 1e3,
            "incident_impulse_kpa_ms": i,
            "reflected_overpressure_kpa": None if res.values["reflected_overpressure"] is None
            else res.values["reflected_overpressure"] / 1e3,
            "status": {k: v["code"] for k, v in res.status.items()},
            "zone": zone,
            "zone_name": lv.name if lv is not None else None,
            "injury_probability": injury,
            "in_hazard_zones": in_zones,
        })
    return rows
