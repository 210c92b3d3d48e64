"""Typed quantities read by the user's language, with no guess (issue 12 item 9).

Once the app shows "1 500 t" and "1,5 t", a typed "1,500 t" must never be
read as 1.5 t or 1500 t by guess: group separators are refused, the other
decimal sign is refused, and in French a decimal comma followed by exactly
three digits is refused as ambiguous.  The property that matters: whatever
the app displays, in either language, reads back as the same value or is
refused, never as another value.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotsafe.errors import UnitError
from depotsafe.textfmt import ENGLISH, FRENCH, NumberStyle
from depotsafe.units import (
    TypedNumberError,
    canonical_quantity_text,
    localized_quantity_text,
    parse_number,
    to_si,
)

DECIMAL = {"en": ".", "fr": ","}
STYLE = {"en": ENGLISH, "fr": FRENCH}


def read(text: str, lang: str, kind: str = "mass") -> float:
    """What the app reads from a typed text in ``lang`` (SI value), or an error."""
    return to_si(canonical_quantity_text(text, kind, "NEQ", DECIMAL[lang]), kind, "NEQ")


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("text", ["1,500 t", "12,500 kg", "1,500kg"])
def test_ambiguous_comma_is_refused_in_both_languages(lang: str, text: str) -> None:
    with pytest.raises(TypedNumberError) as info:
        read(text, lang)
    assert info.value.reason == ("comma" if lang == "en" else "ambiguous")
    message = str(info.value)
    assert "NEQ" in message
    assert repr(text) in message
    assert f"the decimal sign is {DECIMAL[lang]!r}" in message  # what is allowed


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("text", ["1 500 t", "1\u202f500 t", "1\u00a0500 t", "1'500 t", "1_500 t", "10 000 kg"])
def test_group_separators_are_refused(lang: str, text: str) -> None:
    with pytest.raises(TypedNumberError) as info:
        read(text, lang)
    assert info.value.reason == "group"


def test_the_other_decimal_sign_is_refused() -> None:
    with pytest.raises(TypedNumberError) as info:
        read("1.5 t", "fr")
    assert info.value.reason == "dot"
    with pytest.raises(TypedNumberError) as info:
        read("1.500 t", "fr")
    assert info.value.reason == "dot"
    with pytest.raises(TypedNumberError) as info:
        read("1,5 t", "en")
    assert info.value.reason == "comma"


@pytest.mark.parametrize(("text", "lang", "kg"), [
    ("1,5 t", "fr", 1500.0),
    ("1.5 t", "en", 1500.0),
    ("0,500 t", "fr", 500.0),  # a leading zero cannot be an English thousands group
    ("1500 t", "fr", 1_500_000.0),
    ("1500 t", "en", 1_500_000.0),
    ("2,25 kg", "fr", 2.25),
    ("1,5e3 kg", "fr", 1500.0),
    ("5 t", "fr", 5000.0),
    ("1,5\u202ft", "fr", 1500.0),  # as the app writes it: a narrow no-break space before the unit
    ("1,2345 t", "fr", 1234.5),  # four decimals: not a thousands group
])
def test_accepted_values(text: str, lang: str, kg: float) -> None:
    assert read(text, lang) == pytest.approx(kg, rel=1e-15)


def test_a_bare_number_keeps_the_rule() -> None:
    assert parse_number(canonical_quantity_text("0,05", None, "unit NEQ", ","), "unit NEQ") == 0.05
    with pytest.raises(TypedNumberError):
        canonical_quantity_text("0.05", None, "unit NEQ", ",")


def test_other_errors_still_name_the_field() -> None:
    with pytest.raises(UnitError, match="NEQ"):
        read("5", "fr")  # no unit
    with pytest.raises(UnitError, match="ambiguous"):
        read("2 ton", "fr")


def test_the_command_line_grammar_does_not_suggest_a_wrong_number() -> None:
    """A comma in the '.' grammar is refused, offering every reading and no impossible one."""
    with pytest.raises(UnitError) as info:
        to_si("1,5 t", "mass", "--neq")
    assert "'15 t'" not in str(info.value)  # "1,5" cannot be a thousands group
    assert "write '1.5 t'" in str(info.value)
    with pytest.raises(UnitError) as info:
        to_si("1,500 t", "mass", "--neq")
    assert "'1500 t'" in str(info.value)
    assert "'1.500 t'" in str(info.value)  # both readings: nothing is guessed
    with pytest.raises(UnitError) as info:
        to_si("1,500,000 kg", "mass", "--neq")
    assert "write '1500000 kg'" in str(info.value)
    assert "'1.5" not in str(info.value)


# ------------------------------------------------------------------ round trips


amounts = st.decimals(min_value=0, max_value=10_000_000, places=3, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("lang", ["en", "fr"])
@given(amounts, st.integers(min_value=0, max_value=3))
def test_typed_without_groups_reads_back_exactly(lang: str, amount, decimals: int) -> None:
    """A number written in the language without group separators reads back as the same value."""
    value = float(round(amount, decimals))
    typed = f"{value:.{decimals}f}".replace(".", DECIMAL[lang]) + " kg"
    if lang == "fr" and decimals == 3 and 1 <= int(value) < 1000:
        with pytest.raises(TypedNumberError):  # "1,500 kg": ambiguous, refused
            read(typed, lang)
        return
    assert read(typed, lang) == value


@pytest.mark.parametrize("shown_in", ["en", "fr"])
@pytest.mark.parametrize("read_in", ["en", "fr"])
@given(amounts, st.integers(min_value=0, max_value=3))
def test_what_the_app_shows_reads_back_the_same_or_is_refused(shown_in: str, read_in: str, amount,
                                                              decimals: int) -> None:
    """A figure as the app displays it (groups, CLDR spacing), typed back in either language,
    is the same value or refused: never another value."""
    value = float(round(amount, decimals))
    style: NumberStyle = STYLE[shown_in]
    shown = style.unit(style.fixed(value, decimals), "kg")
    try:
        got = read(shown, read_in)
    except UnitError:
        return
    assert got == value, (shown, read_in, got)


@given(amounts, st.integers(min_value=0, max_value=3))
def test_editing_text_round_trips(amount, decimals: int) -> None:
    """The stock editor shows a file's "1.5 t" as "1,5 t" in French and reads it back as the file wrote it."""
    value = float(round(amount, decimals))
    canonical = f"{value:.{decimals}f} t"
    shown = localized_quantity_text(canonical, ",")
    assert "." not in shown
    back = canonical_quantity_text(shown, "mass", "NEQ", ",")
    # the same value; "1.500 t" is shown "1,5 t" and "1.234 t" "1,2340 t" (never the ambiguous "1,500")
    assert to_si(back, "mass", "NEQ") == to_si(canonical, "mass", "NEQ")
    if not (decimals == 3 and 1 <= int(value) < 1000):
        assert back == canonical
