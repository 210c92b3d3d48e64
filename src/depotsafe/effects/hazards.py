"""Fragment and thermal hazard distances (data/effects/fragments_thermal.toml).

The sources give distances, not physics: each zone here IS the AASTP-1
distance, and says so.  No fragment trajectory or fireball model is applied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from depotsafe.effects.blast import check_neq
from depotsafe.effects.tables import fragments_thermal
from depotsafe.errors import InputError, one_of

#: PES kinds whose walls make projections heavy (AASTP-1 1.3.7.3d "heavy-walled or earth-covered").
PROTECTED_KINDS = frozenset(
    {"igloo_7bar", "igloo_3bar", "earth_covered", "heavy_walled_roof", "heavy_walled"}
)
EARTH_COVERED_KINDS = frozenset({"igloo_7bar", "igloo_3bar", "earth_covered"})
OPEN_KINDS = frozenset(
    {"barricaded_stack", "unbarricaded_stack", "workshop_roof_barricaded", "workshop_barricaded", "workshop"}
)
BASIS = "distance from AASTP-1 (2006); no fragment or fireball physics model is applied"


@dataclass(frozen=True)
class HazardZone:
    """A fragment or thermal zone: a radius from the PES footprint [m]."""

    kind: str  # "fragment" or "thermal"
    hd: str
    radius_m: float
    rule: str
    source: str
    basis: str = BASIS


def _kind_class(pes_kind: str) -> str:
    if pes_kind in PROTECTED_KINDS:
        return "protected"
    if pes_kind in OPEN_KINDS:
        return "open"
    raise InputError("pes kind", pes_kind, one_of(sorted(PROTECTED_KINDS | OPEN_KINDS)))


def hd11_fragment_zone(neq_kg: float, pes_kind: str, sparse: bool = False) -> HazardZone:
    """HD 1.1 fragment zone: max(14.8 Q^(1/3), projection minimum by PES kind).

    Inside it more than one hazardous fragment (> 80 J) per 56 m^2 must be assumed
    (AASTP-1 1.3.1.15b, 1.3.7.3d).  ``sparse``: the exposed area is sparsely
    populated (270 m instead of 400 m from open stacks, decision 19).
    """
    q = check_neq(neq_kg)
    data = fragments_thermal()["hd11_projection"]
    mins = data["minimum_m"]
    cls = _kind_class(pes_kind)
    minimum = mins["protected"] if cls == "protected" else (mins["open_sparse"] if sparse else mins["open_built_up"])
    scaled = data["scaled_distance_m_kg13"] * q ** (1.0 / 3.0)
    return HazardZone(
        kind="fragment", hd="1.1", radius_m=max(scaled, minimum),
        rule=f"max({data['scaled_distance_m_kg13']} Q^(1/3), {minimum:g} m)", source=data["source"],
    )


def hd12_fragment_zone(neq_kg: float, subdivision: str = "1.2.1") -> HazardZone:
    """HD 1.2 fragment zone: Table 2 D2 (1.2.1) or D1 (1.2.2), with the table minimum."""
    q = check_neq(neq_kg)
    data = fragments_thermal()["hd12"]
    if subdivision not in ("1.2.1", "1.2.2"):
        raise InputError("hd", subdivision, one_of(["1.2.1", "1.2.2"]))
    key = "d2" if subdivision == "1.2.1" else "d1"
    c = data[key]
    ln_q = math.log(q)
    d = c["c0"] + c["c1"] * ln_q + c["c2"] * ln_q * ln_q
    return HazardZone(
        kind="fragment", hd=subdivision, radius_m=max(d, c["minimum_m"]),
        rule=f"Table 2 {key.upper()} (minimum {c['minimum_m']:g} m)", source=data["source"],
    )


def hd13_thermal_zone(neq_kg: float, pes_kind: str | None = None, propellant: bool = True) -> HazardZone:
    """HD 1.3 thermal zone (1.5 cal/cm^2): D4 = 6.4 Q^(1/3), minimum 60 m; 240 m from an ECM front.

    The 240 m applies to propellant (CG C, Table 3A) in an earth-covered PES,
    taken conservatively in every direction (the door bearing is not used here).
    """
    q = check_neq(neq_kg)
    data = fragments_thermal()["hd13"]
    minimum = data["minimum_m"]
    rule = f"D4 = {data['d4_coefficient']} Q^(1/3), minimum {minimum:g} m"
    if propellant and pes_kind in EARTH_COVERED_KINDS:
        minimum = max(minimum, data["ecm_front_propellant_minimum_m"])
        rule += f"; {minimum:g} m from an earth-covered magazine front (propellant)"
    return HazardZone(
        kind="thermal", hd="1.3", radius_m=max(data["d4_coefficient"] * q ** (1.0 / 3.0), minimum),
        rule=rule, source=data["source"],
    )


def hazardous_fragment_criteria() -> dict[str, float | str]:
    """80 J and one per 56 m^2 (AASTP-1 1.3.1.15b)."""
    d = fragments_thermal()["hazardous_fragment"]
    return {"energy_j": d["energy_j"], "area_per_fragment_m2": d["area_per_fragment_m2"], "source": d["source"]}
