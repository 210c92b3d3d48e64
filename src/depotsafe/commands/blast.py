"""``depotsafe blast``: airblast at a distance, or the distance for a level.

    depotsafe blast --neq "10 t" --distance "500 m" [--explosive "Comp B"] --json
    depotsafe blast --neq "10 t" --overpressure "5 kPa" --json
    depotsafe blast --neq "10 t" --impulse "100 kPa*ms" --json

Forward: the seven Swisdak (1994) quantities; a quantity outside its fit is
null with a status saying why; exit 2 only when none is valid.  Inverse: the
largest distance at which the incident overpressure or impulse reaches the
level.
"""

from __future__ import annotations

import argparse
from typing import Any

from depotsafe import __version__
from depotsafe.cli import print_json
from depotsafe.effects.blast import (
    MODEL_SOURCE,
    SI_UNITS,
    blast_parameters,
    distance_for,
    get_explosive,
)
from depotsafe.effects.tables import QUANTITIES, data_sha256
from depotsafe.errors import InputError
from depotsafe.units import to_si

#: JSON key and factor from SI for each quantity (the DESIGN.md contract).
OUTPUT_KEYS: dict[str, tuple[str, float]] = {
    "incident_overpressure": ("incident_overpressure_kpa", 1e-3),
    "incident_impulse": ("incident_impulse_kpa_ms", 1.0),
    "reflected_overpressure": ("reflected_overpressure_kpa", 1e-3),
    "reflected_impulse": ("reflected_impulse_kpa_ms", 1.0),
    "arrival_time": ("arrival_time_ms", 1e3),
    "positive_duration": ("positive_duration_ms", 1e3),
    "shock_front_velocity": ("shock_front_velocity_m_s", 1.0),
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``blast``."""
    p = subparsers.add_parser(
        "blast",
        help="airblast (Kingery-Bulmash) at a distance, or the distance for a level",
        description=(
            "Airblast of a hemispherical surface burst (Swisdak 1994 simplified Kingery-Bulmash, "
            "IATG 01.80). Give --distance for the blast parameters there, or --overpressure / "
            "--impulse for the largest distance at which that incident level is reached."
        ),
    )
    p.add_argument("--neq", required=True, help='net explosive quantity, e.g. "10 t", "22000 lb"')
    p.add_argument(
        "--explosive",
        default="TNT",
        help="explosive of the charge (TNT equivalence, IATG 01.80 Clause 7.2); default TNT",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--distance", help='distance from the charge, e.g. "500 m", "1500 ft"')
    target.add_argument("--overpressure", help='incident overpressure level, e.g. "5 kPa", "1 psi"')
    target.add_argument("--impulse", help='incident impulse level, e.g. "100 kPa*ms"')
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _provenance(explosive: str) -> dict[str, Any]:
    exp = get_explosive(explosive)
    return {
        "model": MODEL_SOURCE,
        "tnt_equivalence": {
            "explosive": exp.name,
            "pressure_factor": exp.pressure_factor,
            "impulse_factor": exp.impulse_factor,
            "source": exp.source,
        },
        "effects_data_sha256": data_sha256(),
        "depotsafe_version": __version__,
    }


def forward(neq_kg: float, distance_m: float, explosive: str) -> tuple[dict[str, Any], bool]:
    """The JSON object for --distance, and whether any quantity is valid."""
    res = blast_parameters(neq_kg, distance_m, explosive)
    out: dict[str, Any] = {}
    for q in QUANTITIES:
        key, factor = OUTPUT_KEYS[q]
        v = res.values[q]
        out[key] = None if v is None else v * factor
    out["status"] = {OUTPUT_KEYS[q][0]: res.status[q] for q in QUANTITIES}
    out.update(
        neq_kg=res.neq_kg,
        explosive=res.explosive,
        tnt_equivalent_pressure_kg=res.tnt_pressure_kg,
        tnt_equivalent_impulse_kg=res.tnt_impulse_kg,
        distance_m=res.distance_m,
        notes=res.notes,
        provenance=_provenance(explosive),
    )
    out.update(_meaning(out["incident_overpressure_kpa"], out["incident_impulse_kpa_ms"]))
    return out, res.any_valid


def inverse(neq_kg: float, quantity: str, level_si: float, explosive: str) -> dict[str, Any]:
    """The JSON object for --overpressure / --impulse."""
    d = distance_for(quantity, neq_kg, level_si, explosive)
    exp = get_explosive(explosive)
    key = "overpressure_kpa" if quantity == "incident_overpressure" else "impulse_kpa_ms"
    factor = 1e-3 if quantity == "incident_overpressure" else 1.0
    return {
        "distance_m": d,
        "quantity": quantity,
        key: level_si * factor,
        "neq_kg": neq_kg,
        "explosive": exp.name,
        "notes": [
            "largest distance at which the level is reached (a fit step can give several; "
            "standards.md section 9, decision 8)"
        ],
        "provenance": _provenance(explosive),
    }


#: Readable name, unit shown and meaning of each quantity (text output only).
MEANINGS: dict[str, tuple[str, str, str]] = {
    "incident_overpressure_kpa": ("incident overpressure", "kPa",
                                  "peak side-on pressure above ambient, what a person or building in the open meets"),
    "incident_impulse_kpa_ms": ("incident impulse", "kPa*ms", "side-on pressure integrated over the positive phase"),
    "reflected_overpressure_kpa": ("reflected overpressure", "kPa",
                                   "peak pressure on a wall facing the explosion (normal reflection)"),
    "reflected_impulse_kpa_ms": ("reflected impulse", "kPa*ms", "impulse on a wall facing the explosion"),
    "arrival_time_ms": ("arrival time", "ms", "time from the explosion until the shock front arrives"),
    "positive_duration_ms": ("positive duration", "ms", "how long the overpressure lasts"),
    "shock_front_velocity_m_s": ("shock-front velocity", "m/s", "speed of the shock front at this distance"),
}

#: Readable names of the probit models (data/effects/probits.csv) for the text output.
INJURY_NAMES = {
    "eardrum_rupture": "eardrum rupture",
    "lung_haemorrhage_eisenberg": "lung haemorrhage fatality (Eisenberg)",
    "lung_haemorrhage_hse": "lung haemorrhage fatality (HSE)",
    "head_impact": "fatal head impact (body thrown)",
    "structural_collapse": "collapse of a conventional building",
}


def _meaning(p_kpa: float | None, i_kpa_ms: float | None) -> dict[str, Any]:
    """The AASTP-1 protection level and the probit injury probabilities at an incident pressure and impulse."""
    from depotsafe.effects.injury import blast_injury
    from depotsafe.effects.zones import zone_of

    if p_kpa is None:
        return {"protection_level": None, "injury_probability": None}
    lv = zone_of(p_kpa * 1e3)
    level = None if lv is None else {
        "level": lv.level, "overpressure_kpa": lv.overpressure_pa / 1e3, "name": lv.name,
        "buildings": lv.buildings, "people": lv.people, "source": lv.source,
    }
    # 1 kPa*ms = 1 Pa*s
    injury = None if i_kpa_ms is None else blast_injury(p_kpa * 1e3, i_kpa_ms)
    return {"protection_level": level, "injury_probability": injury}


def _text(out: dict[str, Any]) -> str:
    from depotsafe.textfmt import kg_stock, metres_measured, metres_up, number, percent

    model = f"model: {out['provenance']['model']}"
    if "distance_m" in out and "status" not in out:
        what, level = (("incident overpressure", number(out["overpressure_kpa"], "kPa"))
                       if "overpressure_kpa" in out else ("incident impulse", number(out["impulse_kpa_ms"], "kPa*ms")))
        lines = [f"{kg_stock(out['neq_kg'])} NEQ of {out['explosive']}, hemispherical surface burst: the {what} "
                 f"reaches {level} out to {metres_up(out['distance_m'])} (distance rounded up to the metre)"]
    else:
        lines = [f"{kg_stock(out['neq_kg'])} NEQ of {out['explosive']} (TNT equivalent {kg_stock(out['tnt_equivalent_pressure_kg'])}"
                 f" for pressure, {kg_stock(out['tnt_equivalent_impulse_kg'])} for impulse), hemispherical surface burst, "
                 f"at {metres_measured(out['distance_m'])}:"]
        for q in QUANTITIES:
            key, _ = OUTPUT_KEYS[q]
            name, unit, meaning = MEANINGS[key]
            v = out[key]
            shown = "not computed: " + out["status"][key]["message"] if v is None else number(v, unit)
            lines.append(f"  {name}: {shown}  ({meaning})")
        lv = out.get("protection_level")
        if lv is not None:
            lines.append(f"  AASTP-1 protection level {lv['level']} ({lv['name']}, from {number(lv['overpressure_kpa'], 'kPa')}):")
            lines.append(f"    buildings: {lv['buildings']}")
            lines.append(f"    people: {lv['people']}")
            lines.append(f"    source: {lv['source']}")
        elif out["incident_overpressure_kpa"] is not None:
            lines.append("  below every AASTP-1 protection level (under 1.5 kPa)")
        elif out["status"]["incident_overpressure_kpa"]["code"] == "below_fit_range":
            lines.append("  closer than the fit's range: above every AASTP-1 protection level (complete demolition)")
        inj = out.get("injury_probability")
        if inj:
            shown = "; ".join(f"{INJURY_NAMES.get(m, m.replace('_', ' '))} {percent(p)}" for m, p in inj.items())
            lines.append(f"  probit injury and damage probabilities (data/effects/probits.csv): {shown}")
    lines.extend(f"note: {n}" for n in out["notes"])
    lines.append(model)
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Run ``blast``; 0 on success, 2 on bad input or when no quantity is valid."""
    import sys

    neq_kg = to_si(args.neq, "mass", "--neq")
    if neq_kg <= 0:
        raise InputError("--neq", args.neq, "the NEQ must be > 0 kg")
    get_explosive(args.explosive, "--explosive")
    status = 0
    if args.distance is not None:
        distance_m = to_si(args.distance, "length", "--distance")
        if distance_m < 0:
            raise InputError("--distance", args.distance, "the distance must be >= 0 m")
        out, valid = forward(neq_kg, distance_m, args.explosive)
        if not valid:
            status = 2
            sys.stderr.write(
                "depotsafe blast: error: --distance: no quantity is valid at this scaled distance "
                f"({out['status']['incident_overpressure_kpa']['message']})\n"
            )
    elif args.overpressure is not None:
        level = to_si(args.overpressure, "pressure", "--overpressure")
        out = inverse(neq_kg, "incident_overpressure", level, args.explosive)
    else:
        level = to_si(args.impulse, "impulse", "--impulse")
        out = inverse(neq_kg, "incident_impulse", level, args.explosive)
    if args.json:
        print_json(out)
    else:
        sys.stdout.write(_text(out))
    return status


__all__ = ["OUTPUT_KEYS", "SI_UNITS", "add_parser", "forward", "inverse", "run"]
