"""Numbers in the command line's readable output, one way everywhere (DESIGN.md rounding rule).

Required distances are shown rounded up to the metre and quantity limits
rounded down to the kilogram: a shown figure is never on the unsafe side of the
computed one.  Measured distances (between two footprints) are shown rounded
down to 0.1 m, so a failing distance never looks as large as its requirement.
A stock is what the user declared, shown to the gram.  Quantities carry
thousands separators; "unlimited", "nil" and "at least" are words, never None
or a bare number.
"""

from __future__ import annotations

import math

#: Float noise below this is ignored when rounding (1e-9 of a metre or a kilogram).
_EPS = 1e-9


def metres_up(value_m: float) -> str:
    """A required distance, rounded up to the metre: "479 m"."""
    return f"{math.ceil(value_m - _EPS):,} m"


def metres_measured(value_m: float) -> str:
    """A measured distance, rounded down to 0.1 m: "319.4 m"."""
    return f"{math.floor(value_m * 10.0 + _EPS) / 10.0:,.1f} m"


def kg_stock(value_kg: float) -> str:
    """A declared quantity to the gram, trailing zeros dropped: "10,000 kg", "340.5 kg"."""
    text = f"{round(value_kg, 3):,.3f}".rstrip("0").rstrip(".")
    return f"{text} kg"


def kg_down(value_kg: float) -> str:
    """A quantity limit rounded down to the kilogram: "3,486 kg", "nil" for 0."""
    if value_kg <= 0.0:
        return "nil (0 kg)"
    return f"{math.floor(value_kg + _EPS):,} kg"


def kg_limit(value_kg: float | None, at_least: bool = False) -> str:
    """A licence or limit: "unlimited" (no rule limits it), "at least N kg" (search ceiling), or N kg."""
    if value_kg is None or math.isinf(value_kg):
        return "unlimited"
    return ("at least " if at_least else "") + kg_down(value_kg)


def kg_headroom(headroom_kg: float | None, at_least: bool = False) -> str:
    """Headroom (limit minus stock, rounded down) or the shortfall (rounded up), in words."""
    if headroom_kg is None or math.isinf(headroom_kg):
        return "headroom unlimited"
    if headroom_kg < 0.0:
        return f"SHORTFALL {math.ceil(-headroom_kg - _EPS):,} kg over the limit"
    return "headroom " + ("at least " if at_least else "") + f"{math.floor(headroom_kg + _EPS):,} kg"


def number(value: float, unit: str, digits: int = 3) -> str:
    """A physical quantity to ``digits`` significant figures with its unit: "4.52 kPa"."""
    if value == 0.0:
        return f"0 {unit}"
    mag = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - mag)
    return f"{value:,.{decimals}f} {unit}"


def percent(p: float) -> str:
    """A probability as a percentage: "< 0.1 %" below, "> 99.9 %" above, else one decimal."""
    if p < 0.0005:
        return "< 0.1 %"
    if p > 0.9995:
        return "> 99.9 %"
    return f"{p * 100.0:.1f} %"



def describe_text(p: dict | None) -> str:
    """A pair's degree of protection (the ``protection`` object of its answer) in words, on one line."""
    if p is None:
        return "protection: no degree (not a storage-to-storage cell)"
    words = {
        "virtually_complete": "virtually complete", "high": "high", "high_limited": "high/limited",
        "moderate": "moderate", "limited": "limited", "none": "none assured",
    }
    text = f"protection: {words[p['degree']]}"
    alts = "; ".join(f"{c['cell']} {c['degree_alternative']}{'^' + c['degree_letters'] if c['degree_letters'] else ''}"
                     for c in p["cells"])
    text += f" ({alts})"
    if p["notes"]:
        text += "; notes: " + ", ".join(p["notes"]).replace("_", " ")
    if p["requested"] != "default":
        asked = p["requested"].replace("-", " ")
        if not p["available"]:
            text += (f". PROTECTION UNAVAILABLE: no alternative of this cell gives {asked} protection; "
                     "the default distance is shown for information, a violation until assessed")
        elif p["smaller_than_default"]:
            text += (f". {asked} protection asked: smaller than the default "
                     f"({metres_up(p['default_distance_m'])})")
        else:
            text += f". {asked} protection asked"
    return text


__all__ = [
    "describe_text", "kg_down", "kg_headroom", "kg_limit", "kg_stock", "metres_measured", "metres_up", "number",
    "percent",
]
