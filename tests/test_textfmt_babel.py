"""Numbers and units by locale (Babel, CLDR): English and French against the CLDR conventions written out.

The expected strings are written by hand from the CLDR conventions, not
taken from our code: English groups thousands with "," and marks decimals
with "."; French groups with a narrow no-break space (U+202F) and marks
decimals with ","; French puts a narrow no-break space between a number and
a unit symbol and a no-break space (U+00A0) before "%".
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotsafe import textfmt
from depotsafe.textfmt import ENGLISH, FRENCH, NumberStyle

NNBSP = "\u202f"  # narrow no-break space: the French group separator and unit spacing (CLDR)
NBSP = "\u00a0"  # no-break space: before "%" in French (CLDR)


@pytest.mark.parametrize(("value", "decimals", "en", "fr"), [
    (1500.0, 0, "1,500", f"1{NNBSP}500"),
    (1.5, 1, "1.5", "1,5"),
    (31586.2071, 1, "31,586.2", f"31{NNBSP}586,2"),
    (1234567.891, 2, "1,234,567.89", f"1{NNBSP}234{NNBSP}567,89"),
    (999.0, 0, "999", "999"),
    (0.05, 2, "0.05", "0,05"),
    (0.125, 2, "0.12", "0,12"),  # half-even on the binary value, as Python's format
])
def test_fixed_by_locale(value: float, decimals: int, en: str, fr: str) -> None:
    assert ENGLISH.fixed(value, decimals) == en
    assert NumberStyle("en").fixed(value, decimals) == en  # Babel's own English path
    assert FRENCH.fixed(value, decimals) == fr


def test_symbols_come_from_cldr() -> None:
    assert (ENGLISH.group, ENGLISH.decimal) == (",", ".")
    assert (FRENCH.group, FRENCH.decimal) == (NNBSP, ",")


def test_readable_figures_in_french() -> None:
    assert textfmt.metres_up(1234.2, FRENCH) == f"1{NNBSP}235{NNBSP}m"
    assert textfmt.metres_measured(319.47, FRENCH) == f"319,4{NNBSP}m"
    assert textfmt.kg_stock(1500.0, FRENCH) == f"1{NNBSP}500{NNBSP}kg"
    assert textfmt.kg_stock(340.5, FRENCH) == f"340,5{NNBSP}kg"
    assert textfmt.kg_down(3486.9, FRENCH) == f"3{NNBSP}486{NNBSP}kg"
    assert textfmt.number(4.5213, "kPa", 3, FRENCH) == f"4,52{NNBSP}kPa"
    assert textfmt.number(0.0, "kPa", 3, FRENCH) == f"0{NNBSP}kPa"
    assert textfmt.percent(0.125, FRENCH) == f"12,5{NBSP}%"
    assert textfmt.percent(0.0001, FRENCH) == f"< 0,1{NBSP}%"
    assert textfmt.percent(1.0, FRENCH) == f"> 99,9{NBSP}%"


def test_readable_figures_in_english_are_unchanged() -> None:
    """The command line's output (English) keeps its form: "1,235 m", "12.5 %"."""
    assert textfmt.metres_up(1234.2) == "1,235 m"
    assert textfmt.metres_measured(319.47) == "319.4 m"
    assert textfmt.kg_stock(10_000.0) == "10,000 kg"
    assert textfmt.kg_stock(340.5) == "340.5 kg"
    assert textfmt.number(4.5213, "kPa") == "4.52 kPa"
    assert textfmt.percent(0.125) == "12.5 %"


def test_unit_symbols_are_cldr_short_symbols() -> None:
    """A unit formatted through CLDR keeps our symbol in every shipped language."""
    from babel.units import format_unit

    for unit, cldr in textfmt.CLDR_UNITS.items():
        for loc in ("en", "fr"):
            text = format_unit("7", cldr, length="short", locale=loc)
            assert text.endswith(unit), (unit, loc, text)
            assert text.startswith("7"), (unit, loc, text)
    # a unit CLDR lacks is spaced as French spaces metres
    assert FRENCH.unit("4,52", "kPa·ms") == f"4,52{NNBSP}kPa·ms"
    assert textfmt.unit_space("fr") == NNBSP


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(finite, st.integers(min_value=0, max_value=4))
def test_english_fast_path_is_babels_english(value: float, decimals: int) -> None:
    """The English fast path (the command line writes millions of figures) writes what Babel writes."""
    assert ENGLISH.fixed(value, decimals) == NumberStyle("en").fixed(value, decimals)


@given(finite, st.integers(min_value=0, max_value=4))
def test_french_is_english_with_cldr_symbols(value: float, decimals: int) -> None:
    """Same digits, same rounding; only the separators differ (no figure changes with the language)."""
    en = ENGLISH.fixed(value, decimals)
    assert FRENCH.fixed(value, decimals) == en.replace(",", NNBSP).replace(".", ",")


def _fr_number(text: str) -> float:
    number = re.match(r"[0-9\u202f]+(,[0-9]+)?", text)
    assert number is not None, text
    return float(number.group(0).replace(NNBSP, "").replace(",", "."))


values = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(values)
def test_french_required_distance_is_never_shorter(d: float) -> None:
    shown = _fr_number(textfmt.metres_up(d, FRENCH))
    assert d - 1e-9 <= shown < d + 1.0


@given(values)
def test_french_measured_distance_is_never_longer(d: float) -> None:
    shown = _fr_number(textfmt.metres_measured(d, FRENCH))
    assert d - 0.1 - 1e-6 < shown <= d + 1e-6


@given(values)
def test_french_limit_is_never_larger(q: float) -> None:
    text = textfmt.kg_down(q, FRENCH)
    if q > 0:
        assert q - 1.0 < _fr_number(text) <= q + 1e-9


@given(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False), st.integers(min_value=1, max_value=5))
def test_significant_figures_in_french(value: float, digits: int) -> None:
    text = textfmt.number(value, "kPa", digits, FRENCH)
    shown = _fr_number(text)
    assert math.isclose(shown, value, rel_tol=0.5 * 10 ** (1 - digits) + 1e-12)
    decimals = len(text.split(NNBSP + "kPa")[0].partition(",")[2])
    assert decimals == max(0, digits - 1 - math.floor(math.log10(value)))


def test_dates_by_locale() -> None:
    """A saved depot's time stamp, as CLDR's medium date-time pattern writes it in each language."""
    assert textfmt.date_time("2026-11-28T20:12:05Z", "fr") == "28 nov. 2026, 20:12:05 UTC"
    assert textfmt.date_time("2026-11-28T20:12:05Z", "en") == f"Nov 28, 2026, 8:12:05{NNBSP}PM UTC"
    assert textfmt.date_time("not a time", "fr") == "not a time"
