"""The readable-number helper never shows a figure on the unsafe side (DESIGN.md rounding rule)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from depotsafe.textfmt import (
    kg_down,
    kg_headroom,
    kg_limit,
    metres_measured,
    metres_up,
    number,
)

values = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)


def _num(text: str) -> float:
    return float(text.split(" ")[-2].replace(",", ""))


@given(values)
def test_required_distance_shown_is_never_shorter(d: float) -> None:
    shown = _num(metres_up(d))
    assert shown >= d - 1e-9
    assert shown < d + 1.0


@given(values)
def test_measured_distance_shown_is_never_longer(d: float) -> None:
    shown = _num(metres_measured(d))
    assert shown <= d + 1e-6
    assert shown > d - 0.1 - 1e-6


@given(values)
def test_limit_shown_is_never_larger(q: float) -> None:
    text = kg_down(q)
    if q <= 0.0:
        assert text == "nil (0 kg)"
    else:
        shown = _num(text)
        assert q - 1.0 < shown <= q + 1e-9


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_headroom_rounds_down_and_a_shortfall_up(h: float) -> None:
    text = kg_headroom(h)
    if h < 0:
        assert text.startswith("SHORTFALL ")
        assert _num(text.removesuffix(" over the limit")) >= -h - 1e-9
    else:
        assert _num(text) <= h + 1e-9


def test_words_not_raw_values() -> None:
    assert kg_limit(None) == "unlimited"
    assert kg_limit(float("inf")) == "unlimited"
    assert kg_limit(10_000_000.0, at_least=True) == "at least 10,000,000 kg"
    assert kg_headroom(None) == "headroom unlimited"
    assert number(0.0, "kPa") == "0 kPa"
