"""Units at the edge (depotsafe.units): standards.md section 9 decision 11."""

from __future__ import annotations

import pytest

from depotsafe.errors import UnitError
from depotsafe.units import Q_, to_si


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("20 t", "mass", 20_000.0),
        ("20 tonne", "mass", 20_000.0),
        ("5000 kg", "mass", 5_000.0),
        # 1 lb = 0.45359237 kg exactly (international pound, 1959).
        ("44000 lb", "mass", 44_000 * 0.45359237),
        ("65 m", "length", 65.0),
        # 1 ft = 0.3048 m exactly.
        ("300 ft", "length", 300 * 0.3048),
        ("1.2 km", "length", 1200.0),
        ("3 short_ton", "mass", 3 * 2000 * 0.45359237),
    ],
)
def test_accepted_quantities(text, kind, expected):
    assert to_si(text, kind, "neq") == pytest.approx(expected, rel=1e-12)


def test_pint_quantity_accepted():
    assert to_si(Q_(2.0, "t"), "mass", "neq") == pytest.approx(2000.0, rel=1e-12)


@pytest.mark.parametrize("text", ["20 ton", "20 tons", "20 Ton", "1.5 TONS"])
def test_ton_is_refused_as_ambiguous(text):
    with pytest.raises(UnitError, match=r'neq: got .*"ton" is ambiguous.*"t" or "tonne"'):
        to_si(text, "mass", "neq")


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("65 m", "mass", r"--neq: got '65 m'; this is a \[length\], not a mass"),
        ("20 t", "length", r"--neq: got '20 t'; this is a \[mass\], not a length"),
        ("20", "mass", r"a number without a unit is not accepted"),
        (20.0, "mass", r"a number without a unit is not accepted"),
        ("nan kg", "mass", r"the number must be finite"),
        ("inf m", "length", r"the number must be finite"),
        ("", "mass", r"the value is empty"),
        ("abc", "mass", r"unknown unit"),
        ("20 kg/", "mass", r"not a quantity"),
        ("20 T", "mass", r"not a mass"),  # tesla, not tonne
    ],
)
def test_refused_quantities_name_field_and_value(value, kind, message):
    with pytest.raises(UnitError, match=message):
        to_si(value, kind, "--neq")
