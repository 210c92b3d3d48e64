"""Units at the edge (depotsafe.units): standards.md section 9 decision 11."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        ("abc", "mass", r"a number must come first"),
        ("20 kg/", "mass", r"expressions are not accepted"),
        ("20 T", "mass", r"unknown unit 'T' \(units are case-sensitive\)"),  # tesla, not tonne
    ],
)
def test_refused_quantities_name_field_and_value(value, kind, message):
    with pytest.raises(UnitError, match=message):
        to_si(value, kind, "--neq")


# ---------------------------------------------------------------- the grammar (issue 16 item 4)

@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("20t", "mass", 20_000.0),
        ("  +20   tonnes ", "mass", 20_000.0),
        ("2.5e3 kg", "mass", 2_500.0),
        (".5 t", "mass", 500.0),
        ("5. t", "mass", 5_000.0),
        ("1E+1 kg", "mass", 10.0),
        ("500 g", "mass", 0.5),
        ("2 kilograms", "mass", 2.0),
        ("10 lbs", "mass", 10 * 0.45359237),
        ("1 pound", "mass", 0.45359237),
        ("3 feet", "length", 3 * 0.3048),
        ("1 foot", "length", 0.3048),
        ("2 yd", "length", 2 * 0.9144),
        ("12 metres", "length", 12.0),
        ("12 meters", "length", 12.0),
        ("2 km", "length", 2000.0),
        ("5 kPa", "pressure", 5000.0),
        ("2 bar", "pressure", 200_000.0),
        ("1 MPa", "pressure", 1e6),
        # 1 psi = 6894.757293168361 Pa (lbf/in^2 with g_n = 9.80665 m/s^2).
        ("1 psi", "pressure", 6894.757293168361),
        ("100 kPa*ms", "impulse", 100.0),
        ("100 kPa·ms", "impulse", 100.0),
        ("100 kPa * ms", "impulse", 100.0),
        ("1 Pa*s", "impulse", 1.0),
        ("10 ms", "time", 0.01),
        ("0 m", "length", 0.0),
    ],
)
def test_grammar_accepts(text, kind, expected):
    assert to_si(text, kind, "q") == pytest.approx(expected, rel=1e-12)


HOSTILE = [
    # (text, kind, what the message must say)
    ("9**9**9 kg", "mass", r"expressions are not accepted"),
    ("2**2**2**2**2 kg", "mass", r"expressions are not accepted"),
    ("__import__('os') kg", "mass", r"expressions are not accepted"),
    ("os.system kg", "mass", r"a number must come first"),
    ("\uff11\uff10 t", "mass", r"only the ASCII digits 0-9"),
    ("1,500 t", "mass", r"group separators are not accepted.*write '1500 t'"),
    ("1_500 t", "mass", r"group separators are not accepted.*write '1500 t'"),
    ("1 500 t", "mass", r"group separators are not accepted.*write '1500 t'"),
    ("-5 t", "mass", r"a negative value is not accepted"),
    ("-0.1 m", "length", r"a negative value is not accepted"),
    ("1e999 kg", "mass", r"the number must be finite"),
    ("1e1000 kg", "mass", r"the number must be finite"),
    ("5 kg + 5 kg", "mass", r"expressions are not accepted|not a quantity"),
    ("5 kg kg", "mass", r"not a quantity"),
    ("(5) kg", "mass", r"expressions are not accepted"),
    ("5 kg/m", "mass", r"expressions are not accepted"),
    ("5 KG", "mass", r"unknown unit 'KG'"),
    ("5 m", "mass", r"this is a \[length\]"),
    ("5 kPa*ms", "pressure", r"this is a \[impulse\]"),
    ("5 kPa*kg", "impulse", r"unknown unit 'kPa\*kg'"),
    ("5 stone", "mass", r"unknown unit 'stone'.*allowed: kg"),
    ("1" * 65 + " kg", "mass", r"at most 64 characters"),
    ("1" * 100_000 + " kg", "mass", r"at most 64 characters"),
]


@pytest.mark.parametrize(("text", "kind", "message"), HOSTILE)
def test_grammar_refuses_with_a_message(text, kind, message):
    import time

    t0 = time.perf_counter()
    with pytest.raises(UnitError) as info:
        to_si(text, kind, "stock[0].neq")
    assert time.perf_counter() - t0 < 0.5
    text_of = str(info.value)
    assert text_of.startswith("stock[0].neq: got ")
    assert re.search(message, text_of), text_of
    assert len(text_of) < 600  # a long value is shown cut short


def test_pint_parser_is_never_called(monkeypatch):
    """Text never reaches pint's expression parser (it evaluates ** and calls)."""
    from depotsafe import units

    def boom(*_a, **_k):
        raise AssertionError("pint parsed user text")

    monkeypatch.setattr(units.ureg, "parse_expression", boom)
    monkeypatch.setattr(units.ureg, "parse_units", boom)
    assert to_si("20 t", "mass", "neq") == 20_000.0
    assert to_si("100 kPa*ms", "impulse", "impulse") == pytest.approx(100.0)
    with pytest.raises(UnitError):
        to_si("9**9**9 kg", "mass", "neq")


def test_allowed_units_cover_the_documented_ones():
    from depotsafe.units import allowed_units

    for u in ("kg", "g", "t", "tonne", "tonnes", "lb", "lbs", "pound", "pounds", "kilogram",
              "kilograms", "short_ton"):
        assert u in allowed_units("mass")
    for u in ("m", "metre", "metres", "meter", "meters", "km", "ft", "foot", "feet", "yd"):
        assert u in allowed_units("length")
    for u in ("Pa", "kPa", "bar", "psi"):
        assert u in allowed_units("pressure")
    assert "kPa*ms" in allowed_units("impulse")
    assert {"s", "ms"} <= set(allowed_units("time"))


def test_parse_number_strict():
    from depotsafe.units import parse_number

    assert parse_number(" 1500.5 ", "quantity_kg") == 1500.5
    assert parse_number("2e3", "quantity_kg") == 2000.0
    for bad, msg in (("1,500", "group separators"), ("\uff15", "ASCII digits"), ("9**9", "expressions"),
                     ("inf", "finite"), ("nan", "finite"), ("", "empty"), ("1_0", "group separators")):
        with pytest.raises(UnitError, match=msg):
            parse_number(bad, "quantity_kg")


@given(st.text(max_size=80))
@settings(max_examples=300)
def test_any_text_is_a_number_or_a_clear_refusal(text):
    message = ""
    try:
        v = to_si(text, "mass", "neq")
    except UnitError as exc:
        message = str(exc)
        v = 0.0
    assert message == "" or message.startswith("neq: got ")
    assert math.isfinite(v)
    assert v >= 0


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False),
       st.sampled_from(["kg", "t", "g", "lb", "tonne"]))
def test_formatted_numbers_round_trip(x, unit):
    factor = {"kg": 1.0, "t": 1000.0, "g": 1e-3, "lb": 0.45359237, "tonne": 1000.0}[unit]
    assert to_si(f"{x!r} {unit}", "mass", "neq") == pytest.approx(x * factor, rel=1e-12)


def test_pint_is_loaded_only_when_a_quantity_needs_it():
    """A layout of plain neq_kg numbers is checked without importing pint (a large share of a
    command's start); the first quantity text builds the one registry, from any number of threads."""
    import subprocess
    import sys

    code = (
        "import sys, threading\n"
        "from depotsafe.check import check_depot\n"
        "from depotsafe.layout import read_layout\n"
        "from depotsafe.synthetic import igloo_rows\n"
        "r = check_depot(read_layout(igloo_rows(30)))\n"
        "assert r.sites and 'pint' not in sys.modules, 'pint imported'\n"
        "from depotsafe import units\n"
        "got = []\n"
        "ts = [threading.Thread(target=lambda: got.append((units.registry(), units.to_si('2 t', 'mass', 'q'))))"
        " for _ in range(8)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "assert len({id(g[0]) for g in got}) == 1 and {g[1] for g in got} == {2000.0}, got\n"
        "assert units.ureg is units.registry() and units.Q_(3, 'kg').to('g').magnitude == 3000\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False),
                 st.integers(min_value=0, max_value=10**12)),
       st.sampled_from(["kg", "kilogram", "kilograms", "g", "gram", "grams", "t", "tonne", "tonnes"]),
       st.sampled_from(["", " ", "  "]), st.sampled_from(["", "+", " "]))
def test_masses_read_without_pint_equal_pints_bit_for_bit(x, unit, gap, sign):
    """kg, g and t are read without building pint's registry: the same float as pint's conversion
    (the number times pint's own factor), for any number written any way the grammar accepts."""
    from depotsafe import units

    text = f"{sign}{x!r}{gap}{unit}"
    number, pint_unit = units.parse_quantity_text(text, "mass", "neq")
    expected = units.registry().Quantity(number, pint_unit).to("kg").magnitude
    got = units._mass_without_pint(text)
    if math.isfinite(expected):
        assert got is not None and got == expected and math.copysign(1, got) == math.copysign(1, expected)
        assert to_si(text, "mass", "neq") == expected
    else:  # beyond the largest float: pint's path refuses it, as before
        assert got is None
        with pytest.raises(UnitError):
            to_si(text, "mass", "neq")


def test_mass_factors_are_pints_own():
    """Each factor of the pint-free path is the float pint multiplies by, and pint's path is kept
    for every other mass unit and for anything the grammar refuses."""
    from depotsafe import units

    ureg = units.registry()
    for unit, factor in units._MASS_FACTORS_KG.items():
        pint_unit = units._unit_objects()[units.ALLOWED_UNITS["mass"][unit]]
        assert ureg.Quantity(1.0, pint_unit).to("kg").magnitude == factor, unit
    for text in ("3 lb", "2 short_ton", "1 long_ton", "5 ton", "-1 kg", "-0 kg", "1e999 kg", "5 T", "5 kg*s",
                 "5", "nan kg", "1,5 t", " ", "1 500 kg"):
        assert units._mass_without_pint(text) is None, text
    with pytest.raises(UnitError, match="negative"):
        to_si("-1 kg", "mass", "neq")


def test_a_layout_in_tonnes_is_checked_without_pint(tmp_path):
    """The sample depot writes its stock in t and kg: its check never imports pint (0.6 s of a start)."""
    import subprocess
    import sys
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample_depot.geojson"
    code = ("import sys\nfrom depotsafe.check import check_depot\nfrom depotsafe.layout import read_layout\n"
            f"r = check_depot(read_layout({str(sample)!r}))\n"
            "assert r.n_violations > 0 and 'pint' not in sys.modules, 'pint imported'\nprint('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
