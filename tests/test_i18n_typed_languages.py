"""Typed quantities in Spanish, Russian, Chinese and Arabic: the rule of French, by each language's decimal sign.

The decimal sign is the language's (CLDR: "," in es and ru, "." in zh and ar
with Western digits); the other sign, group separators and the ambiguous
"1,500" (decimal comma languages) are refused with the field named; digits
other than 0-9 (Arabic-Indic, full-width) are refused, never guessed.
"""

from __future__ import annotations

import pytest

from depotsafe.errors import UnitError
from depotsafe.textfmt import style_of
from depotsafe.units import TypedNumberError, canonical_quantity_text, to_si

DECIMAL = {"es": ",", "ru": ",", "zh": ".", "ar": "."}


def read(text: str, lang: str) -> float:
    return to_si(canonical_quantity_text(text, "mass", "NEQ", style_of(lang).decimal), "mass", "NEQ")


@pytest.mark.parametrize("lang", sorted(DECIMAL))
def test_decimal_sign_by_language(lang: str) -> None:
    assert style_of(lang).decimal == DECIMAL[lang]
    assert read(f"1{DECIMAL[lang]}5 t", lang) == 1500.0
    assert read("1500 kg", lang) == 1500.0


@pytest.mark.parametrize(("lang", "text", "reason"), [
    ("es", "1.5 t", "dot"), ("es", "1.500 kg", "dot"), ("es", "1,500 t", "ambiguous"),
    ("ru", "1.5 t", "dot"), ("ru", "1,500 t", "ambiguous"),
    ("zh", "1,5 t", "comma"), ("zh", "1,500 kg", "comma"),
    ("ar", "1,5 t", "comma"), ("ar", "1,500 kg", "comma"),
    ("es", "1 500 kg", "group"), ("ru", "1\u00a0500 kg", "group"), ("zh", "1'500 kg", "group"),
    ("ar", "1_500 kg", "group"),
])
def test_refused_with_the_reason(lang: str, text: str, reason: str) -> None:
    with pytest.raises(TypedNumberError) as exc:
        canonical_quantity_text(text, "mass", "NEQ", style_of(lang).decimal)
    assert exc.value.reason == reason
    assert exc.value.decimal == DECIMAL[lang]
    assert "NEQ" in str(exc.value)


@pytest.mark.parametrize("text", ["١٥ t", "١٫٥ t", "１５ t", "1٫5 t", "1，5 t"])
@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_other_digits_and_signs_are_refused(lang: str, text: str) -> None:
    """Arabic-Indic digits, the Arabic decimal sign and full-width forms are refused, naming the field."""
    with pytest.raises(UnitError, match="NEQ"):
        read(text, lang)
