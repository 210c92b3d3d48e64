"""Differential test against the ``kingery-bulmash`` PyPI package (fcento100).

The package implements the same Swisdak (1994) fits.  Its GitHub source read
for standards.md (commit 56ffb8e) used D = +0.01123 for the reflected impulse
(the sign trap); the released 1.0.1 on PyPI uses -0.01123, as we do, and also
carries the -0.008615 English arrival-time coefficient we inferred.  With 1.0.1
all seven quantities agree to rounding, metric and English.  Versions before
1.0.1 are refused rather than compared.  The package is a test dependency
only (it needs Python >= 3.12; the test is skipped where it is absent).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from depotsafe.effects import blast as b
from depotsafe.effects.tables import QUANTITIES, kb_fits

kb = pytest.importorskip("kingery_bulmash")

ATTR = {
    "incident_overpressure": ("incident_pressure", 1e3),
    "incident_impulse": ("incident_impulse", 1.0),
    "reflected_overpressure": ("reflected_pressure", 1e3),
    "reflected_impulse": ("reflected_impulse", 1.0),
    "arrival_time": ("time_of_arrival", 1e-3),
    "positive_duration": ("positive_phase_duration", 1e-3),
    "shock_front_velocity": ("shock_front_velocity", 1.0),
}
BOUNDS = sorted({float(x) for f in kb_fits("metric").values() for x in (*f.z_min, *f.z_max)})


@given(neq=st.floats(1.0, 1e6), z=st.floats(0.2, 40.0))
def test_agrees_with_package_metric(neq: float, z: float) -> None:
    assume(all(abs(z / zb - 1) > 1e-9 for zb in BOUNDS))
    distance = z * neq ** (1 / 3)
    ours = b.blast_parameters(neq, distance)
    theirs = kb.Blast_Parameters(unit_system=kb.Units.METRIC, neq=neq, distance=distance, safe=False)
    for q in QUANTITIES:
        name, factor = ATTR[q]
        value = getattr(theirs, name)
        if value is None:
            assert ours.values[q] is None
        else:
            assert ours.values[q] == pytest.approx(value * factor, rel=1e-11)


def test_package_version_has_the_sign_fix() -> None:
    """Package 1.0.1: 529 kPa*ms at 10 t / 500 m (its README, from older code, prints 1063)."""
    theirs = kb.Blast_Parameters(unit_system=kb.Units.METRIC, neq=10_000, distance=500)
    assert theirs.reflected_impulse == pytest.approx(b.reflected_impulse_pa_s(10_000, 500), rel=1e-11)
    assert theirs.reflected_impulse == pytest.approx(528.76, rel=1e-4)


ENGLISH_BOUNDS = sorted({float(x) for f in kb_fits("english").values() for x in (*f.z_min, *f.z_max)})


@given(w_lb=st.floats(1.0, 1e6), z=st.floats(0.5, 100.0))
def test_english_coefficients_agree_with_package(w_lb: float, z: float) -> None:
    """Our English table (cross-check only) equals the package's imperial branch."""
    assume(all(abs(z / zb - 1) > 1e-9 for zb in ENGLISH_BOUNDS))
    theirs = kb.Blast_Parameters(unit_system=kb.Units.IMPERIAL, neq=w_lb, distance=z * w_lb ** (1 / 3), safe=False)
    for q in QUANTITIES:
        fit = kb_fits("english")[q]
        value = getattr(theirs, ATTR[q][0])
        if not fit.z_lo <= z <= fit.z_hi:
            assert value is None
            continue
        s = next(i for i in range(fit.n_segments) if z <= fit.z_max[i])
        ours = math.exp(b.log_poly(fit, s, math.log(z)))
        if q in ("incident_impulse", "reflected_impulse", "arrival_time", "positive_duration"):
            ours *= w_lb ** (1 / 3)
        if q == "shock_front_velocity":
            ours *= 1000
        assert ours == pytest.approx(value, rel=1e-11)
