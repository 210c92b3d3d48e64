"""``depotsafe blast`` command line (JSON contract of DESIGN.md)."""

from __future__ import annotations

import json

import pytest

from depotsafe.cli import main

KEYS = (
    "incident_overpressure_kpa",
    "incident_impulse_kpa_ms",
    "reflected_overpressure_kpa",
    "reflected_impulse_kpa_ms",
    "arrival_time_ms",
    "positive_duration_ms",
    "shock_front_velocity_m_s",
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict | None, str]:
    status = main(["blast", *argv])
    out = capsys.readouterr()
    data = json.loads(out.out) if out.out.strip().startswith("{") else None
    return status, data, out.err


def test_contract_10t_500m(capsys: pytest.CaptureFixture[str]) -> None:
    status, data, _ = run(capsys, "--neq", "10 t", "--distance", "500 m", "--json")
    assert status == 0
    assert data is not None
    for key in KEYS:
        assert isinstance(data[key], float)
        assert data["status"][key]["code"] == "ok"
    # Z = 23.2: Swisdak table Z = 22 and 24 bracket it; values from the fits.
    assert data["incident_overpressure_kpa"] == pytest.approx(5.055, rel=1e-3)
    assert data["reflected_impulse_kpa_ms"] == pytest.approx(528.8, rel=1e-3)
    assert data["provenance"]["tnt_equivalence"]["explosive"] == "TNT"


def test_imperial_input(capsys: pytest.CaptureFixture[str]) -> None:
    _, si, _ = run(capsys, "--neq", "10000 kg", "--distance", "500 m", "--json")
    _, imp, _ = run(capsys, "--neq", f"{10000 / 0.45359237} lb", "--distance", f"{500 / 0.3048} ft", "--json")
    assert si is not None
    assert imp is not None
    for key in KEYS:
        assert imp[key] == pytest.approx(si[key], rel=1e-12)


def test_partial_validity_null_and_status(capsys: pytest.CaptureFixture[str]) -> None:
    """Z = 100: incident pressure and impulse valid, the rest null with a reason."""
    status, data, _ = run(capsys, "--neq", "1000 kg", "--distance", "1 km", "--json")
    assert status == 0
    assert data is not None
    assert data["incident_overpressure_kpa"] == pytest.approx(0.654, rel=5e-3)  # Swisdak table Z = 100
    assert data["arrival_time_ms"] is None
    assert data["status"]["arrival_time_ms"]["code"] == "above_fit_range"
    assert "[0.06, 40]" in data["status"]["arrival_time_ms"]["message"]


def test_none_valid_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, data, err = run(capsys, "--neq", "1000 kg", "--distance", "10 km", "--json")
    assert status == 2
    assert data is not None
    assert all(data[k] is None for k in KEYS)
    assert "no quantity is valid" in err


def test_inverse_overpressure(capsys: pytest.CaptureFixture[str]) -> None:
    status, data, _ = run(capsys, "--neq", "10 t", "--overpressure", "5 kPa", "--json")
    assert status == 0
    assert data is not None
    assert data["distance_m"] == pytest.approx(504.3, abs=0.1)
    assert data["overpressure_kpa"] == pytest.approx(5.0)


def test_inverse_impulse_and_explosive(capsys: pytest.CaptureFixture[str]) -> None:
    status, data, _ = run(
        capsys, "--neq", "10 t", "--impulse", "100 kPa*ms", "--explosive", "PETN", "--json"
    )
    assert status == 0
    assert data is not None
    assert data["explosive"] == "PETN"
    assert data["provenance"]["tnt_equivalence"]["impulse_factor"] == 1.11


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, _ = run(capsys, "--neq", "1 t", "--distance", "1 km")
    assert status == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--neq", "-10 t", "--distance", "5 m"], r"--neq: got '-10 t'; a negative value is not accepted"),
        (["--neq", "10 t", "--distance", "-5 m"], r"--distance: got '-5 m'; a negative value is not accepted"),
        (["--neq", "10", "--distance", "5 m"], r"--neq: got '10'; a number without a unit"),
        (["--neq", "10 t", "--distance", "5"], r"--distance: got '5'; a number without a unit"),
        (["--neq", "10 t", "--distance", "5 m", "--explosive", "semtex"], r"--explosive: got 'semtex'; allowed: TNT"),
        (["--neq", "10 t", "--overpressure", "50 MPa"], r"incident overpressure: got .*only covers"),
        (["--neq", "10 tons", "--distance", "5 m"], r'"ton" is ambiguous'),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status, _, err = run(capsys, *argv, "--json")
    assert status == 2
    import re

    assert re.search(message, err), err
