"""Units at the edges: the one pint registry of depotsafe.

This is the only module that imports pint.  Everything inside the package
works in SI floats whose names carry the unit (``neq_kg``, ``distance_m``);
the functions here turn what a user typed ("20 t", "44000 lb", "300 ft") or a
pint quantity into those floats, or refuse with a message naming the field.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pint

from depotsafe.errors import UnitError

ureg = pint.UnitRegistry(cache_folder=None)
Q_ = ureg.Quantity

#: The kinds of quantity accepted at the edge, with their SI unit.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "mass": ("kg", "[mass]"),
    "length": ("m", "[length]"),
    "pressure": ("Pa", "[pressure]"),
    "impulse": ("Pa*s", "[pressure] * [time]"),
    "time": ("s", "[time]"),
}

_EXAMPLES = {
    "mass": '"20 t", "5000 kg" or "44000 lb"',
    "length": '"65 m", "300 ft" or "1.2 km"',
    "pressure": '"5 kPa" or "0.7 psi"',
    "impulse": '"100 kPa*ms"',
    "time": '"10 ms"',
}

# "ton" and "tons" are a short ton (907.18 kg) in pint, a metric tonne to most
# of the world: refused as ambiguous (standards.md section 9, decision 11).
_AMBIGUOUS_TON = re.compile(r"(?<![A-Za-z_])tons?(?![A-Za-z_])", re.IGNORECASE)


def _refuse(field: str, value: object, kind: str, why: str) -> UnitError:
    return UnitError(field, value, f"{why}; expected a {kind} such as {_EXAMPLES[kind]}")


def to_si(value: Any, kind: str, field: str) -> float:
    """Convert a user quantity to a float in the SI unit of ``kind``.

    Parameters
    ----------
    value : str or pint.Quantity
        What the user gave: text with a unit ("20 t") or a pint quantity.
        A bare number is refused: a unit is always required at the edge.
    kind : {"mass", "length", "pressure", "impulse", "time"}
        The dimension expected.
    field : str
        The field name used in error messages.

    Returns
    -------
    float
        The magnitude in kg, m, Pa, Pa·s or s.

    Raises
    ------
    UnitError
        No unit, an unknown or ambiguous unit, the wrong dimension, or a value
        that is not a finite number.
    """
    si_unit, dimensionality = DIMENSIONS[kind]
    if isinstance(value, bool) or isinstance(value, int | float):
        raise _refuse(field, value, kind, "a number without a unit is not accepted")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise _refuse(field, value, kind, "the value is empty")
        if _AMBIGUOUS_TON.search(text):
            raise _refuse(
                field,
                value,
                kind,
                '"ton" is ambiguous (short ton 907 kg, long ton 1016 kg or tonne '
                '1000 kg); write "t" or "tonne" for 1000 kg, or "short_ton"',
            )
        try:
            quantity = ureg.Quantity(text)
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
            raise _refuse(field, value, kind, f"unknown unit ({exc})") from None
        except Exception as exc:  # pint's parser raises many types on garbage
            raise _refuse(field, value, kind, f"not a quantity ({type(exc).__name__})") from None
    elif isinstance(value, pint.Quantity):
        quantity = value
    else:
        raise _refuse(field, value, kind, f"a {type(value).__name__} is not a quantity")
    if not isinstance(quantity, pint.Quantity) or quantity.dimensionless:
        raise _refuse(field, value, kind, "a number without a unit is not accepted")
    if not quantity.check(dimensionality):
        raise _refuse(
            field, value, kind, f"this is a {quantity.dimensionality}, not a {kind}"
        )
    magnitude = quantity.to(si_unit).magnitude
    try:
        number = float(magnitude)
    except (TypeError, ValueError):
        raise _refuse(field, value, kind, "a single number is expected") from None
    if not math.isfinite(number):
        raise _refuse(field, value, kind, "the number must be finite")
    return number


def quantity(magnitude: float, unit: str) -> pint.Quantity:
    """Attach a unit to an SI magnitude on the way out."""
    return Q_(magnitude, unit)


def is_quantity(value: object) -> bool:
    """True if ``value`` is a pint quantity of this registry."""
    return isinstance(value, pint.Quantity)

