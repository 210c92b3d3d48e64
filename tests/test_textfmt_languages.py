"""Numbers, units and dates in Spanish, Russian, Chinese and Arabic (Babel, CLDR), against CLDR written out.

The expected strings are written by hand from CLDR (common/main/<lang>.xml,
numbering system latn), not taken from our code:

- es: group ".", decimal ","; minimumGroupingDigits 2 (a four-digit number is
  not grouped: "1500", "31.586,2"); percent "#,##0 %" with a no-break space.
- ru: group U+00A0 (no-break space), decimal ","; percent "#,##0 %" (U+00A0).
- zh: group ",", decimal "."; percent "#,##0%" (no space).
- ar: numbering system latn chosen explicitly (Western digits 0-9, as the JSON
  output): group ",", decimal "."; CLDR's arab system writes Arabic-Indic
  digits with the signs U+066C and U+066B ("١٬٢٣٤٫٥"), which the app never shows.

Unit symbols stay SI ("m", "kg", "kPa") in every language, spaced as CLDR
spaces the language's kilogram.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotsafe import textfmt
from depotsafe.textfmt import ARABIC, CHINESE, ENGLISH, RUSSIAN, SPANISH

NBSP = "\u00a0"
NNBSP = "\u202f"


@pytest.mark.parametrize(("value", "decimals", "es", "ru", "zh", "ar"), [
    (1500.0, 0, "1500", f"1{NBSP}500", "1,500", "1,500"),
    (12345.0, 0, "12.345", f"12{NBSP}345", "12,345", "12,345"),
    (1.5, 1, "1,5", "1,5", "1.5", "1.5"),
    (31586.2071, 1, "31.586,2", f"31{NBSP}586,2", "31,586.2", "31,586.2"),
    (1234567.891, 2, "1.234.567,89", f"1{NBSP}234{NBSP}567,89", "1,234,567.89", "1,234,567.89"),
    (999.0, 0, "999", "999", "999", "999"),
    (0.05, 2, "0,05", "0,05", "0.05", "0.05"),
    (9999.5, 1, "9999,5", f"9{NBSP}999,5", "9,999.5", "9,999.5"),
])
def test_fixed_by_locale(value: float, decimals: int, es: str, ru: str, zh: str, ar: str) -> None:
    assert SPANISH.fixed(value, decimals) == es
    assert RUSSIAN.fixed(value, decimals) == ru
    assert CHINESE.fixed(value, decimals) == zh
    assert ARABIC.fixed(value, decimals) == ar


def test_symbols_come_from_cldr() -> None:
    assert (SPANISH.group, SPANISH.decimal) == (".", ",")
    assert (RUSSIAN.group, RUSSIAN.decimal) == (NBSP, ",")
    assert (CHINESE.group, CHINESE.decimal) == (",", ".")
    assert (ARABIC.group, ARABIC.decimal) == (",", ".")


def test_arabic_digits_are_western_by_choice() -> None:
    """CLDR's arab numbering would write Arabic-Indic digits; the app's Arabic writes 0-9 (machine-checkable)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    assert textfmt.NUMBERING == "latn"
    # the arab system's own signs (CLDR ar.xml symbols numberSystem="arab"): Arabic decimal and thousands signs
    assert get_decimal_symbol("ar", numbering_system="arab") == "\u066b"
    assert get_group_symbol("ar", numbering_system="arab") == "\u066c"
    assert ARABIC.fixed(1234.5, 1) == "1,234.5"
    for text in (textfmt.metres_up(1234.2, ARABIC), textfmt.kg_stock(340.5, ARABIC),
                 textfmt.percent(0.125, ARABIC), textfmt.date_time("2026-11-28T20:12:05Z", "ar")):
        assert not re.search(r"[\u0660-\u0669\u06f0-\u06f9]", text), text


def test_readable_figures() -> None:
    assert textfmt.metres_up(1234.2, SPANISH) == "1235 m"
    assert textfmt.metres_up(12345.2, SPANISH) == "12.346 m"
    assert textfmt.kg_stock(340.5, SPANISH) == "340,5 kg"
    assert textfmt.percent(0.125, SPANISH) == f"12,5{NBSP}%"
    assert textfmt.metres_up(1234.2, RUSSIAN) == f"1{NBSP}235 m"
    assert textfmt.metres_measured(319.47, RUSSIAN) == "319,4 m"
    assert textfmt.number(4.5213, "kPa", 3, RUSSIAN) == "4,52 kPa"
    assert textfmt.percent(0.125, RUSSIAN) == f"12,5{NBSP}%"
    assert textfmt.metres_up(1234.2, CHINESE) == "1,235 m"
    assert textfmt.kg_down(3486.9, CHINESE) == "3,486 kg"
    assert textfmt.percent(0.125, CHINESE) == "12.5%"
    assert textfmt.metres_up(1234.2, ARABIC) == "1,235 m"
    assert textfmt.number(4.5213, "kPa", 3, ARABIC) == "4.52 kPa"
    assert textfmt.percent(0.0001, CHINESE) == "< 0.1%"


def test_si_symbols_are_kept_where_cldr_writes_local_ones() -> None:
    """CLDR writes "м", "кг" (ru), "米" (zh), "م" (ar); the app keeps the SI symbols of its rule tables."""
    from babel.units import format_unit

    assert format_unit("1", "length-meter", length="short", locale="ru") == "1 м"
    assert format_unit("1", "length-meter", length="short", locale="zh") == "1米"
    for style in (RUSSIAN, CHINESE, ARABIC, SPANISH):
        assert style.unit("7", "m").endswith("m")
        assert style.unit("7", "kg").endswith("kg")
        assert style.unit("7", "kPa·ms").endswith("kPa·ms")


def test_dates_by_locale() -> None:
    """A time stamp as CLDR's medium date-time pattern writes it (Western digits in Arabic)."""
    when = "2026-11-28T20:12:05Z"
    assert textfmt.date_time(when, "es") == "28 nov 2026, 20:12:05 UTC"
    assert textfmt.date_time(when, "ru") == f"28 нояб. 2026{NNBSP}г., 20:12:05 UTC"
    assert textfmt.date_time(when, "zh") == "2026年11月28日 20:12:05 UTC"
    ar = textfmt.date_time(when, "ar")
    assert ar.replace("\u200f", "") == "28/11/2026، 8:12:05 م UTC"


def test_style_of_every_language() -> None:
    from depotsafe.ui.i18n import LANGUAGES

    assert set(textfmt.STYLES) == set(LANGUAGES)
    assert textfmt.style_of("es") is SPANISH
    assert textfmt.style_of("en") is ENGLISH


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(finite, st.integers(min_value=0, max_value=4))
def test_no_figure_changes_with_the_language(value: float, decimals: int) -> None:
    """Same digits, same rounding in every language; only the separators differ."""
    en = ENGLISH.fixed(value, decimals)
    plain = en.replace(",", "")
    for style in (SPANISH, RUSSIAN, CHINESE, ARABIC):
        text = style.fixed(value, decimals)
        assert text.replace(style.group, "").replace(style.decimal, ".") == plain, (style.locale, text)
    assert CHINESE.fixed(value, decimals) == en
    assert ARABIC.fixed(value, decimals) == en


def test_per_year_three_significant_figures_in_each_language() -> None:
    """One writing of a rate per year for the app's Risk page and the documents (textfmt.per_year)."""
    assert textfmt.per_year(9.5512e-6) == "9.55 × 10⁻⁶"
    assert textfmt.per_year(9.996e-5) == "1.00 × 10⁻⁴"  # the mantissa rounds up to 10: one power more
    assert textfmt.per_year(2.0e-4) == "2.00 × 10⁻⁴"
    assert textfmt.per_year(0.0) == "0"
    assert textfmt.per_year(None) == "—"
    assert textfmt.per_year(float("nan"), missing="–") == "–"
    assert textfmt.per_year(9.5512e-6, textfmt.style_of("fr")) == "9,55 × 10⁻⁶"
