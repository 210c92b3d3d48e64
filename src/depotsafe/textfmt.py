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
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

#: Float noise below this is ignored when rounding (1e-9 of a metre or a kilogram).
_EPS = 1e-9

#: Our unit symbols -> CLDR unit ids.  CLDR's short pattern is used where its symbol is ours in that
#: language (English, French, Spanish); where CLDR writes a local symbol (Russian "м", "кг"; Chinese
#: "米"; Arabic "م", "كغم") the SI symbol is kept, joined with the language's unit spacing, so a
#: figure reads and parses the same in every language (tests/test_textfmt_babel.py).
CLDR_UNITS: dict[str, str] = {
    "m": "length-meter", "km": "length-kilometer", "kg": "mass-kilogram", "t": "mass-tonne",
    "lb": "mass-pound", "Pa": "pressure-pascal", "kPa": "pressure-kilopascal", "ms": "duration-millisecond",
    "m/s": "speed-meter-per-second",
}


@cache
def _babel_locale(locale: str) -> Any:
    from babel import Locale

    return Locale.parse(locale)


@cache
def _pattern(decimals: int) -> Any:
    from babel.numbers import parse_pattern

    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals > 0 else ""))


#: The numbering system of every language: Western digits 0-9 ("latn").  Arabic is written with
#: Western digits too (CLDR's ``ar`` with numbering system ``latn``, as in the Maghreb and in UN
#: Arabic documents): the figures of a page, a report and the JSON output are then the same
#: characters, machine-checkable, and typed numbers are read with one set of digits.
NUMBERING = "latn"

#: CLDR's minimumGroupingDigits where it is not 1 (common/main/es.xml: 2): Spanish groups
#: "12.345" but writes "1234".  Babel does not apply it; :meth:`NumberStyle.fixed` does.
_MIN_GROUPING: dict[str, int] = {"es": 2}


@dataclass(frozen=True)
class NumberStyle:
    """How one locale writes numbers and units, from CLDR through Babel.

    ``locale`` is a CLDR locale ("en", "fr").  The number is rounded by Python
    (exactly as ``format(value, ".Nf")``: half-even on the binary value, so the
    rounding rules of this module keep their meaning), then written by Babel
    with the locale's group separator and decimal sign ("31,586.2" in English,
    "31 586,2" with a narrow no-break space in French).  English, the command
    line's language, takes a fast path with the same output (tests compare it
    with Babel's): the readable report of a large depot writes millions of
    figures.
    """

    locale: str = "en"
    fast: bool = field(default=False, compare=False)

    @property
    def group(self) -> str:
        """The locale's group (thousands) separator."""
        if self.fast:  # English: the "," of the fast path of `fixed` (CLDR's, tested), without importing Babel
            return ","
        return _symbols(self.locale)[0]

    @property
    def decimal(self) -> str:
        """The locale's decimal sign."""
        if self.fast:  # English: the "." of the fast path of `fixed` (CLDR's, tested), without importing Babel
            return "."
        return _symbols(self.locale)[1]

    def fixed(self, value: float, decimals: int = 0) -> str:
        """``value`` with ``decimals`` decimals and group separators: "31,586.2", "31 586,2"."""
        if self.fast:
            return f"{value:,.{decimals}f}"
        exact = Decimal(f"{value:.{decimals}f}")
        grouped = abs(exact) >= 10 ** (2 + _MIN_GROUPING.get(self.locale, 1))
        return _pattern(decimals).apply(exact, _babel_locale(self.locale), group_separator=grouped,
                                        numbering_system=NUMBERING)

    def unit(self, number_text: str, unit: str) -> str:
        """A formatted number and a unit symbol, spaced as the locale writes them ("479 m", "479 m")."""
        if self.fast:
            return f"{number_text} {unit}"
        return _unit_template(self.locale, unit).replace(_SLOT, number_text)

    def percent(self, value_pct: float, decimals: int = 1) -> str:
        """A percentage (``value_pct`` in per cent), the sign placed as the locale places it: "12.5 %", "12,5 %"."""
        if self.fast:
            return f"{self.fixed(value_pct, decimals)} %"
        exact = Decimal(f"{value_pct:.{decimals}f}") / 100
        return _percent_pattern(self.locale, decimals).apply(exact, _babel_locale(self.locale),
                                                             numbering_system=NUMBERING)


@cache
def _percent_pattern(locale: str, decimals: int) -> Any:
    """The locale's own percent pattern (CLDR) with ``decimals`` decimals."""
    import re

    from babel.numbers import parse_pattern

    base = _babel_locale(locale).percent_formats[None].pattern
    return parse_pattern(re.sub(r"0(?![0.])", "0." + "0" * decimals, base, count=1) if decimals else base)


#: Stands for the number in a cached unit pattern (Babel inserts a text value as it is).
_SLOT = "\x00"


@cache
def _symbols(locale: str) -> tuple[str, str]:
    """The locale's group separator and decimal sign (CLDR)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return (get_group_symbol(locale, numbering_system=NUMBERING),
            get_decimal_symbol(locale, numbering_system=NUMBERING))


@cache
def _unit_template(locale: str, unit: str) -> str:
    """How ``locale`` writes a number with ``unit``: CLDR's short pattern where CLDR has the unit."""
    from babel.units import format_unit

    cldr = CLDR_UNITS.get(unit)
    if cldr is not None:
        template = format_unit(_SLOT, cldr, length="short", locale=locale)
        if template.startswith(_SLOT) and template.removeprefix(_SLOT).strip() == unit:
            return template
    return f"{_SLOT}{unit_space(locale)}{unit}"


@cache
def unit_space(locale: str) -> str:
    """The space CLDR puts between a number and a unit symbol in ``locale`` (that of kilograms).

    A no-break space where CLDR writes none (a language whose kilogram has no number first).
    """
    from babel.units import format_unit

    text = format_unit("1", "mass-kilogram", length="short", locale=locale)
    if not text.startswith("1"):
        return "\u00a0"
    rest = text[1:]
    space = rest[:len(rest) - len(rest.lstrip())]
    return space or "\u00a0"


#: English (the command line's): "1,234.5".
ENGLISH = NumberStyle("en", fast=True)
#: French (CLDR): a narrow no-break space groups the thousands, a comma marks decimals: "1 234,5".
FRENCH = NumberStyle("fr")
#: Spanish (CLDR es): "." groups the thousands from five digits on, "," marks decimals: "12.345,5", "1234,5".
SPANISH = NumberStyle("es")
#: Russian (CLDR ru): a no-break space groups the thousands, "," marks decimals: "1 234,5".
RUSSIAN = NumberStyle("ru")
#: Chinese (CLDR zh): "," groups, "." marks decimals, as English: "1,234.5".
CHINESE = NumberStyle("zh")
#: Arabic (CLDR ar, numbering system latn, explicitly): Western digits, "," groups, "." marks decimals.
ARABIC = NumberStyle("ar")

#: The number style of each language the app and the documents speak.
STYLES: dict[str, NumberStyle] = {"en": ENGLISH, "fr": FRENCH, "es": SPANISH, "ru": RUSSIAN, "zh": CHINESE,
                                  "ar": ARABIC}


def date_time(iso_utc: str, locale: str = "en") -> str:
    """A UTC time stamp ("2026-11-28T20:12:05Z") as ``locale`` writes a date and time (CLDR medium), in UTC.

    "Nov 28, 2026, 8:12:05 PM UTC" in English, "28 nov. 2026, 20:12:05 UTC" in
    French.  Text that is not such a time stamp is returned as it is.
    """
    from datetime import UTC, datetime

    from babel.dates import format_datetime

    try:
        when = datetime.strptime(iso_utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return iso_utc
    return format_datetime(when, "medium", tzinfo=UTC, locale=locale) + " UTC"


def style_of(locale: str) -> NumberStyle:
    """The number style of a language code (a language outside :data:`STYLES`: its CLDR style)."""
    return STYLES.get(locale) or NumberStyle(locale)


def metres_up(value_m: float, style: NumberStyle = ENGLISH) -> str:
    """A required distance, rounded up to the metre: "479 m"."""
    return style.unit(style.fixed(math.ceil(value_m - _EPS)), "m")


def metres_measured(value_m: float, style: NumberStyle = ENGLISH) -> str:
    """A measured distance, rounded down to 0.1 m: "319.4 m"."""
    return style.unit(style.fixed(math.floor(value_m * 10.0 + _EPS) / 10.0, 1), "m")


def kg_stock(value_kg: float, style: NumberStyle = ENGLISH) -> str:
    """A declared quantity to the gram, trailing zeros dropped: "10,000 kg", "340.5 kg"."""
    text = style.fixed(round(value_kg, 3), 3).rstrip("0").rstrip(style.decimal)
    return style.unit(text, "kg")


def kg_down(value_kg: float, style: NumberStyle = ENGLISH) -> str:
    """A quantity limit rounded down to the kilogram: "3,486 kg", "nil" for 0."""
    if value_kg <= 0.0:
        return "nil (0 kg)"
    return style.unit(style.fixed(math.floor(value_kg + _EPS)), "kg")


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


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def per_year(value: float | None, style: NumberStyle = ENGLISH, missing: str = "—") -> str:
    """A frequency or risk per year to three significant figures, as "m × 10ⁿ" ("9.55 × 10⁻⁶");
    "0" for zero, ``missing`` where it is missing or not finite (the app's Risk page and the documents)."""
    if value is None or not math.isfinite(value):
        return missing
    if value == 0:
        return "0"
    exp = math.floor(math.log10(abs(value)))
    mant = value / 10.0 ** exp
    if round(mant, 2) >= 10.0:
        mant, exp = mant / 10.0, exp + 1
    return f"{style.fixed(mant, 2)} × 10{str(exp).translate(_SUPERSCRIPT)}"


def number(value: float, unit: str, digits: int = 3, style: NumberStyle = ENGLISH) -> str:
    """A physical quantity to ``digits`` significant figures with its unit: "4.52 kPa"."""
    if value == 0.0:
        return style.unit("0", unit)
    mag = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - mag)
    return style.unit(style.fixed(value, decimals), unit)


def percent(p: float, style: NumberStyle = ENGLISH) -> str:
    """A probability as a percentage: "< 0.1 %" below, "> 99.9 %" above, else one decimal."""
    if p < 0.0005:
        return "< " + style.percent(0.1)
    if p > 0.9995:
        return "> " + style.percent(99.9)
    return style.percent(p * 100.0)


def assessment_required(es: str, why: str, source: str, tabulated: str = "") -> str:
    """A pair whose tabulated distance is suspended (decision 30), in words.

    "ASSESSMENT REQUIRED: S2 at 190.0 m holds ...: the inter-magazine distance (tabulated 24 m, ...)
    must not be used; an individual assessment decides, a violation until then [source]".
    """
    tab = f" ({tabulated}, for information only)" if tabulated else ""
    return (f"ASSESSMENT REQUIRED: {es} holds {why}: the inter-magazine distance{tab} must not be used; "
            f"an individual assessment decides, a violation until then [{source}]")



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
    "ARABIC",
    "CHINESE",
    "CLDR_UNITS",
    "ENGLISH",
    "FRENCH",
    "NUMBERING",
    "RUSSIAN",
    "SPANISH",
    "STYLES",
    "NumberStyle",
    "assessment_required",
    "date_time",
    "describe_text",
    "kg_down",
    "kg_headroom",
    "kg_limit",
    "kg_stock",
    "metres_measured",
    "metres_up",
    "number",
    "percent",
    "style_of",
    "unit_space",
]
