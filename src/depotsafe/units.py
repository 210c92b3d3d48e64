"""Units at the edges: the one pint registry of depotsafe.

This is the only module that imports pint.  Everything inside the package
works in SI floats whose names carry the unit (``neq_kg``, ``distance_m``);
the functions here turn what a user typed ("20 t", "44000 lb", "300 ft") or a
pint quantity into those floats, or refuse with a message naming the field.

Text is never given to pint's expression parser.  It is read by a strict
grammar (:func:`parse_quantity_text`)::

    quantity := ws [sign] ws number ws unit ws
    number   := digits ["." [digits]] [exponent] | "." digits [exponent]
    exponent := ("e" | "E") ["+" | "-"] digits
    unit     := a name of ALLOWED_UNITS, or pressure ("*" | "·") time for impulses

with ASCII digits only, no group separators ("1,500 t" is refused: write
"1500 t"), at most :data:`MAX_QUANTITY_CHARS` characters, and a negative sign
refused.  The number is converted by Python's ``float`` and the unit by a pint
unit object named in the allow-list, never by parsing the user's text.
"""

from __future__ import annotations

import math
import re
import sys
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from depotsafe.errors import UnitError

if TYPE_CHECKING:
    import pint


def _registry() -> pint.UnitRegistry:
    """pint's default registry, its parsed definitions cached on disk.

    Parsing pint's definition file is most of the cost of a command's start;
    pint's own disk cache (keyed by the definition files) keeps the parsed
    form beside the compiled kernels (``<depotsafe cache>/pint/<install>``).
    pint keys its cache by the files' contents but stores their paths, so one
    folder per pint installation: a cache written by another environment (a
    recreated virtualenv, whose old files are gone) would otherwise fail to
    load on every start and leave every start parsing.  Where that folder
    cannot be written or read the registry is built without it.
    """
    import hashlib
    from pathlib import Path

    import pint

    from depotsafe.cache import cache_base

    install = hashlib.sha256(str(Path(pint.__file__).resolve().parent).encode()).hexdigest()[:16]
    try:
        return pint.UnitRegistry(cache_folder=cache_base() / "pint" / install)
    except OSError:
        return pint.UnitRegistry(cache_folder=None)


_REGISTRY: list[pint.UnitRegistry] = []
_REGISTRY_LOCK = threading.Lock()


def registry() -> pint.UnitRegistry:
    """The one registry, built on first use: pint's import and registry are a large share of a
    command's start, and a layout whose quantities are plain ``neq_kg`` numbers never needs them.
    Built under a lock: the app's sessions run on threads, and quantities of two registries
    cannot be compared."""
    if not _REGISTRY:
        with _REGISTRY_LOCK:
            if not _REGISTRY:
                _REGISTRY.append(_registry())
    return _REGISTRY[0]


def __getattr__(name: str) -> Any:
    # ``units.ureg`` and ``units.Q_``, built on first use (PEP 562)
    if name == "ureg":
        return registry()
    if name == "Q_":
        return registry().Quantity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

#: Longest quantity text accepted [characters].
MAX_QUANTITY_CHARS = 64

#: Unit names accepted in text, by kind: the name as typed -> pint's unit name.
#: Case matters ("T" is a tesla, "t" a tonne).  "ton"/"tons" are refused as
#: ambiguous (standards.md section 9, decision 11).
ALLOWED_UNITS: dict[str, dict[str, str]] = {
    "mass": {
        "kg": "kilogram", "kilogram": "kilogram", "kilograms": "kilogram",
        "g": "gram", "gram": "gram", "grams": "gram",
        "t": "metric_ton", "tonne": "metric_ton", "tonnes": "metric_ton",
        "lb": "pound", "lbs": "pound", "pound": "pound", "pounds": "pound",
        "short_ton": "short_ton", "long_ton": "long_ton",
    },
    "length": {
        "m": "meter", "metre": "meter", "metres": "meter", "meter": "meter", "meters": "meter",
        "km": "kilometer", "kilometre": "kilometer", "kilometres": "kilometer",
        "kilometer": "kilometer", "kilometers": "kilometer",
        "ft": "foot", "foot": "foot", "feet": "foot",
        "yd": "yard", "yard": "yard", "yards": "yard",
    },
    "pressure": {
        "Pa": "pascal", "kPa": "kilopascal", "MPa": "megapascal", "hPa": "hectopascal",
        "bar": "bar", "mbar": "millibar", "psi": "psi",
    },
    "time": {
        "s": "second", "ms": "millisecond",
    },
}

@lru_cache(maxsize=1)  # a race builds the same objects of the one registry twice: harmless
def _unit_objects() -> dict[str, Any]:
    """pint unit objects built once from the constant names above (never from user text)."""
    ureg = registry()
    return {name: ureg.Unit(name) for table in ALLOWED_UNITS.values() for name in table.values()}


@lru_cache(maxsize=1)
def _si_objects() -> dict[str, Any]:
    ureg = registry()
    return {kind: ureg.Unit(si) for kind, (si, _dim) in DIMENSIONS.items()}

_AMBIGUOUS_TON = re.compile(r"(?<![A-Za-z_])tons?(?![A-Za-z_])", re.IGNORECASE)
_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NAME = r"[A-Za-z_]+"
_QUANTITY = re.compile(
    rf"\s*(?P<sign>[+-]?)\s*(?P<number>{_NUMBER})\s*"
    rf"(?P<unit>{_NAME}(?:\s*[*·]\s*{_NAME})?)\s*",
    re.ASCII,
)
_BARE_NUMBER = re.compile(rf"\s*[+-]?\s*{_NUMBER}\s*", re.ASCII)
_NON_FINITE = re.compile(r"\s*[+-]?\s*(?:nan|inf|infinity)\b", re.IGNORECASE)
_GROUPED = re.compile(r"[0-9][,_' \u00a0\u202f][0-9]")
#: Characters a locale may use to group digits (none is accepted in typed numbers).
GROUP_MARKS = " \u00a0\u202f\u2009'_\u2019"


def _shown(value: object) -> object:
    """The value as a message shows it: long text cut short."""
    if isinstance(value, str) and len(value) > MAX_QUANTITY_CHARS:
        return f"{value[:MAX_QUANTITY_CHARS]}... ({len(value):,} characters)"
    return value


def _refuse(field: str, value: object, kind: str, why: str) -> UnitError:
    return UnitError(field, _shown(value), f"{why}; expected a {kind} such as {_EXAMPLES[kind]}")


def allowed_units(kind: str) -> tuple[str, ...]:
    """The unit names accepted in text for ``kind``."""
    if kind == "impulse":
        return tuple(f"{p}*{t}" for p in ALLOWED_UNITS["pressure"] for t in ALLOWED_UNITS["time"])
    return tuple(ALLOWED_UNITS[kind])


def _unit_names(kind: str) -> str:
    if kind == "impulse":
        return ("a pressure unit times a time unit (" + ", ".join(ALLOWED_UNITS["pressure"])
                + " times " + ", ".join(ALLOWED_UNITS["time"]) + "), e.g. kPa*ms")
    return ", ".join(ALLOWED_UNITS[kind])


def _why_not(text: str) -> str:
    """Why a text is not a quantity of the grammar, in words."""
    if any(not c.isascii() for c in text if c != "·"):
        if any(c.isdigit() and not c.isascii() for c in text):
            return "only the ASCII digits 0-9 are accepted (not full-width or other digits)"
        return "only ASCII letters, digits, '.', '+', '-', '*' and '·' are accepted"
    token = re.search(r"[0-9][0-9,]*,[0-9]+", text)
    if token is not None:
        # "1,5" (a decimal comma), "1,500,000" (group separators) or "1,500" (either): never guessed,
        # every reading the number may have is offered
        t = token.group(0)
        grouped = re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+", t) is not None
        as_group = text.strip().replace(t, t.replace(",", ""))
        as_decimal = text.strip().replace(t, t.replace(",", "."))
        if grouped and t.count(",") == 1:
            return (f"group separators are not accepted in numbers: write {as_group!r} (',' as a thousands "
                    f"separator) or {as_decimal!r} (',' as the decimal sign, which is '.')")
        if grouped:
            return f"group separators are not accepted in numbers: write {as_group!r}"
        if t.count(",") == 1:
            return f"a comma is not accepted in numbers (the decimal sign is '.'): write {as_decimal!r}"
        return "commas are not accepted in numbers: the decimal sign is '.' and numbers have no group separators"
    if _GROUPED.search(text):
        digits = re.sub(r"(?<=[0-9])[_' ](?=[0-9])", "", text.strip())
        return f"group separators are not accepted in numbers: write {digits!r}"
    if _NON_FINITE.match(text):
        return "the number must be finite"
    if re.search(r"\*\*|[()\[\]/^%=<>!~|&@$#;:\\{}\"`]", text):
        return ("expressions are not accepted: write one number followed by one unit "
                "(no operators, brackets or functions)")
    if re.fullmatch(r"\s*[+-]?\s*[A-Za-z_].*", text):
        return "a number must come first, then the unit"
    return "not a quantity: write one number followed by one unit"


def parse_quantity_text(text: str, kind: str, field: str) -> tuple[float, Any]:
    """Read quantity text by the module's grammar: (number, pint unit object).

    Raises UnitError naming ``field`` and ``text`` for anything else.  Nothing
    of ``text`` reaches pint.
    """
    if kind not in DIMENSIONS:
        raise ValueError(f"unknown kind {kind!r}")
    if len(text) > MAX_QUANTITY_CHARS:
        raise _refuse(field, text, kind, f"at most {MAX_QUANTITY_CHARS} characters")
    if not text.strip():
        raise _refuse(field, text, kind, "the value is empty")
    if _BARE_NUMBER.fullmatch(text):
        raise _refuse(field, text, kind, "a number without a unit is not accepted")
    m = _QUANTITY.fullmatch(text)
    if m is None:
        raise _refuse(field, text, kind, _why_not(text))
    if m["sign"] == "-":
        why = "a negative value is not accepted"
        if kind == "mass":
            why += " (a mass must be greater than 0 kg)"
        raise _refuse(field, text, kind, why)
    unit = re.sub(r"\s+", "", m["unit"]).replace("·", "*")
    if _AMBIGUOUS_TON.fullmatch(unit):
        raise _refuse(
            field, text, kind,
            '"ton" is ambiguous (short ton 907 kg, long ton 1016 kg or tonne '
            '1000 kg); write "t" or "tonne" for 1000 kg, or "short_ton"',
        )
    pint_unit = _lookup_unit(unit, kind)
    if pint_unit is None:
        other = next((k for k in ("mass", "length", "pressure", "impulse", "time")
                      if k != kind and _lookup_unit(unit, k) is not None), None)
        if other is not None:
            raise _refuse(field, text, kind, f"this is a [{other}], not a {kind} (unit {unit!r})")
        raise _refuse(field, text, kind,
                      f"unknown unit {unit!r} (units are case-sensitive); allowed: {_unit_names(kind)}")
    number = float(m["number"])
    if not math.isfinite(number):
        raise _refuse(field, text, kind, "the number must be finite")
    return number, pint_unit


def _lookup_unit(unit: str, kind: str) -> Any:
    if kind == "impulse":
        if "*" not in unit:
            return None
        p, t = unit.split("*", 1)
        pp, tt = ALLOWED_UNITS["pressure"].get(p), ALLOWED_UNITS["time"].get(t)
        return None if pp is None or tt is None else _unit_objects()[pp] * _unit_objects()[tt]
    if "*" in unit:
        return None
    name = ALLOWED_UNITS[kind].get(unit)
    return None if name is None else _unit_objects()[name]


def is_bare_number(text: str) -> bool:
    """True if ``text`` is a number of the grammar without a unit."""
    return len(text) <= MAX_QUANTITY_CHARS and _BARE_NUMBER.fullmatch(text) is not None


def parse_number(text: str, field: str, what: str = "a number") -> float:
    """A plain number (no unit) read by the same grammar: ASCII digits, no separators.

    Used for the plain-kilogram cells of a stock CSV.  Raises UnitError.
    """
    if len(text) > MAX_QUANTITY_CHARS:
        raise UnitError(field, _shown(text), f"{what} is required (at most {MAX_QUANTITY_CHARS} characters)")
    if not text.strip():
        raise UnitError(field, text, f"{what} is required (the value is empty)")
    if not _BARE_NUMBER.fullmatch(text):
        why = _why_not(text)
        detail = "" if why.startswith(("a number must", "not a quantity")) else f" ({why})"
        raise UnitError(field, text, f"{what} is required{detail}")
    if text.strip().startswith("-"):
        raise UnitError(field, text, f"{what} is required (a negative value is not accepted)")
    number = float(text.replace(" ", ""))
    if not math.isfinite(number):
        raise UnitError(field, text, f"{what} is required (the number must be finite)")
    return number


class TypedNumberError(UnitError):
    """A typed number refused for its separators (:func:`canonical_quantity_text`).

    ``reason`` says which rule refused it, for a translated message:
    "group" (a space, an apostrophe or an underscore between digits),
    "comma" (a comma where the decimal sign is a dot), "dot" (a dot where the
    decimal sign is a comma), "ambiguous" (a decimal comma followed by exactly
    three digits, "1,500": one and a half, or fifteen hundred written the
    English way).  ``decimal`` is the decimal sign of the user's language.
    """

    def __init__(self, field: str, value: str, reason: str, decimal: str) -> None:
        self.reason = reason
        self.decimal = decimal
        other = "," if decimal == "." else "."
        why = {
            "group": "group separators (spaces, apostrophes, underscores) are not accepted in numbers",
            "comma": "a comma is not accepted in numbers here",
            "dot": "a dot is not accepted in numbers here",
            "ambiguous": (f"ambiguous: a decimal sign followed by exactly three digits could be read as "
                          f"a group separator written the {'English' if decimal == ',' else 'other'} way"),
        }[reason]
        super().__init__(field, value, f"{why}; the decimal sign is {decimal!r}, {other!r} and spaces "
                                       f"are not accepted, and numbers have no group separators "
                                       f"(write 1{decimal}5 for one and a half, 1500 for fifteen hundred)")


_TYPED_NUMBER = re.compile(r"(?P<int>[0-9]*)(?:(?P<dec>[.,])(?P<frac>[0-9]*))?(?P<exp>[eE][+-]?[0-9]+)?", re.ASCII)


def canonical_quantity_text(text: str, kind: str | None, field: str, decimal: str = ".") -> str:
    """Typed quantity text in the user's language -> the same text with a '.' decimal sign.

    The rule of a typed number (issue 12): the decimal sign is the language's
    (``decimal``, "." or ","), the other sign is refused, and so is every
    group separator (space, no-break space, narrow no-break space, apostrophe,
    underscore between digits).  With a decimal comma, a comma followed by
    exactly three digits after one to three digits ("1,500") is refused as
    ambiguous: it is one and a half in French and fifteen hundred in English.
    Nothing is guessed; a refusal is a :class:`TypedNumberError` naming the
    field, the value and what is allowed.  The digits are kept as typed (no
    float round trip), so the canonical text is read by :func:`to_si` (or, for
    a bare number with ``kind`` None, :func:`parse_number`) exactly as typed.
    Returns the canonical text; the grammar itself is checked by the caller's
    parse.
    """
    if decimal not in (".", ","):
        raise ValueError(f"unknown decimal sign {decimal!r}")
    if len(text) > MAX_QUANTITY_CHARS:
        return text  # refused by the parser with its own message
    if re.search(rf"[0-9][{GROUP_MARKS}]+[0-9]", text):
        raise TypedNumberError(field, text, "group", decimal)
    # a no-break or thin space elsewhere (between the number and the unit, as the app writes them) is a space
    text = re.sub(r"[\u00a0\u202f\u2009]", " ", text)
    other = "," if decimal == "." else "."
    stripped = text.strip()
    m = _TYPED_NUMBER.match(stripped.lstrip("+-").lstrip())
    number = m.group(0) if m else ""
    if other in number or (other in stripped and re.search(rf"[0-9]\{other}|\{other}[0-9]", stripped)):
        raise TypedNumberError(field, text, "comma" if other == "," else "dot", decimal)
    if decimal == "," and m is not None and m["dec"] == ",":
        whole, frac = m["int"], m["frac"]
        if 1 <= len(whole) <= 3 and not whole.startswith("0") and len(frac) == 3 and not m["exp"]:
            raise TypedNumberError(field, text, "ambiguous", decimal)
    if decimal == ",":
        # only the number's decimal sign changes: the unit and any later text are kept
        start = text.index(number) if number else 0
        return text[:start] + number.replace(",", ".") + text[start + len(number):]
    return text


def localized_quantity_text(text: str, decimal: str = ".") -> str:
    """Canonical quantity text ('.' decimal) written with the language's decimal sign, for editing.

    Only text of the grammar (a number and a unit, or a bare number) is
    changed: "1.5 t" -> "1,5 t"; anything else is returned as it is.
    """
    if decimal == "." or "," in text:
        return text
    if not (_QUANTITY.fullmatch(text) or _BARE_NUMBER.fullmatch(text)):
        return text
    lead = len(text) - len(text.lstrip(" +"))
    m = _TYPED_NUMBER.match(text, lead)
    if m is None or m["dec"] != ".":
        return text
    whole, frac = m["int"], m["frac"]
    if 1 <= len(whole) <= 3 and not whole.startswith("0") and len(frac) == 3 and not m["exp"]:
        # "1.500" would read "1,500", refused as ambiguous when typed back: the same value, unambiguous
        frac = frac.rstrip("0")
        if len(frac) == 3:
            frac += "0"
    number = whole + ("," + frac if frac else "") + (m["exp"] or "")
    return text[:m.start()] + number + text[m.end():]


#: Masses read without building pint's registry (0.6 s of a command's start): unit as typed -> the
#: factor to kilograms, each the float pint's own conversion multiplies by (tests/test_units.py checks
#: them against pint bit for bit, and to_si's result against pint's for random quantities).  Only
#: factors that are exact powers of ten; any other unit, and anything unusual, takes pint's path.
_MASS_FACTORS_KG: dict[str, float] = {
    "kg": 1.0, "kilogram": 1.0, "kilograms": 1.0,
    "g": 0.001, "gram": 0.001, "grams": 0.001,
    "t": 1000.0, "tonne": 1000.0, "tonnes": 1000.0,
}


def _mass_without_pint(text: str) -> float | None:
    """``text`` in kilograms where it is a plain positive mass in kg, g or t; None for anything
    else (which :func:`to_si` then reads, or refuses, through pint exactly as before)."""
    if len(text) > MAX_QUANTITY_CHARS:
        return None
    m = _QUANTITY.fullmatch(text)
    if m is None or m["sign"] == "-":
        return None
    factor = _MASS_FACTORS_KG.get(m["unit"])
    if factor is None:
        return None
    kg = float(m["number"]) * factor
    return kg if math.isfinite(kg) else None


def to_si(value: Any, kind: str, field: str) -> float:
    """Convert a user quantity to a float in the SI unit of ``kind``.

    Parameters
    ----------
    value : str or pint.Quantity
        What the user gave: text with a unit ("20 t") or a pint quantity.
        A bare number is refused: a unit is always required at the edge.
        Text is read by the module's grammar, never evaluated.
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
        No unit, an unknown or ambiguous unit, the wrong dimension, a negative
        value, text outside the grammar, or a value that is not a finite number.
    """
    _si_unit, dimensionality = DIMENSIONS[kind]
    if kind == "mass" and isinstance(value, str):
        kg = _mass_without_pint(value)
        if kg is not None:
            return kg
    if isinstance(value, bool | int | float):
        raise _refuse(field, value, kind, "a number without a unit is not accepted")
    if isinstance(value, str):
        number, unit = parse_quantity_text(value, kind, field)
        quantity = registry().Quantity(number, unit)
    elif is_quantity(value):
        quantity = value
    else:
        raise _refuse(field, value, kind, f"a {type(value).__name__} is not a quantity")
    if not is_quantity(quantity) or quantity.dimensionless:
        raise _refuse(field, value, kind, "a number without a unit is not accepted")
    if not quantity.check(dimensionality):
        raise _refuse(
            field, value, kind, f"this is a {quantity.dimensionality}, not a {kind}"
        )
    magnitude = quantity.to(_si_objects()[kind]).magnitude
    try:
        number = float(magnitude)
    except (TypeError, ValueError, OverflowError):
        raise _refuse(field, value, kind, "a single finite number is expected") from None
    if not math.isfinite(number):
        raise _refuse(field, value, kind, "the number must be finite")
    return number


def quantity(magnitude: float, unit: str) -> pint.Quantity:
    """Attach a unit to an SI magnitude on the way out."""
    return registry().Quantity(magnitude, unit)


def is_quantity(value: object) -> bool:
    """True if ``value`` is a pint quantity (none exists before pint is imported)."""
    pint = sys.modules.get("pint")
    return pint is not None and isinstance(value, pint.Quantity)


#: Length units a drawing may be declared in (a DXF site plan's ``units``): the name -> pint's unit name.
DRAWING_UNITS: dict[str, str] = {
    "m": "meter", "mm": "millimeter", "cm": "centimeter", "dm": "decimeter", "km": "kilometer",
    "in": "inch", "ft": "foot", "us_survey_ft": "survey_foot", "yd": "yard",
}


def drawing_unit_m(name: object, field: str) -> float:
    """Metres in one drawing unit named ``name`` (a key of :data:`DRAWING_UNITS`), by pint.

    Raises UnitError for any other name (case matters: "M" is not a metre).
    """
    if not isinstance(name, str) or name not in DRAWING_UNITS:
        raise UnitError(field, _shown(name), "allowed: " + ", ".join(DRAWING_UNITS))
    ureg = registry()
    return float(ureg.Quantity(1.0, ureg.Unit(DRAWING_UNITS[name])).to(_si_objects()["length"]).magnitude)
