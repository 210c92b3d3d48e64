"""Probit injury and damage models (data/effects/probits.csv).

P = Phi(Y - 5), Phi the standard normal CDF.  Inputs in SI: peak incident
overpressure [Pa], incident impulse [Pa*s], thermal dose [s*(W/m^2)^(4/3)].
"""

from __future__ import annotations

import math

from depotsafe.effects.tables import Probit, probits
from depotsafe.errors import InputError, one_of

BLAST_MODELS = (
    "eardrum_rupture",
    "lung_haemorrhage_eisenberg",
    "lung_haemorrhage_hse",
    "head_impact",
    "structural_collapse",
)


def probit_to_probability(y: float) -> float:
    """P = Phi(Y - 5)."""
    return 0.5 * (1.0 + math.erf((y - 5.0) / math.sqrt(2.0)))


def _model(name: str) -> Probit:
    try:
        return probits()[name]
    except KeyError:
        raise InputError("probit model", name, one_of(probits())) from None


def _positive(value: float, field: str, unit: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise InputError(field, value, f"a finite number > 0 {unit}")
    return float(value)


def probit_value(name: str, overpressure_pa: float | None = None, impulse_pa_s: float | None = None,
                 dose: float | None = None) -> float:
    """The probit Y of model ``name``.

    Parameters
    ----------
    name : str
        A model of data/effects/probits.csv.
    overpressure_pa : float
        Peak incident overpressure [Pa] (blast models).
    impulse_pa_s : float
        Incident impulse [Pa*s] (head impact, structural collapse).
    dose : float
        Thermal dose t*q^(4/3) [s*(W/m^2)^(4/3)] (thermal models).
    """
    m = _model(name)
    if m.form == "log_linear":
        if name.startswith("thermal"):
            x = _positive(dose, "thermal dose", "s*(W/m2)^(4/3)")  # type: ignore[arg-type]
        else:
            x = _positive(overpressure_pa, "overpressure", "Pa")  # type: ignore[arg-type]
        return m.a + m.b * math.log(m.scale * x)
    p = _positive(overpressure_pa, "overpressure", "Pa")  # type: ignore[arg-type]
    i = _positive(impulse_pa_s, "impulse", "Pa*s")  # type: ignore[arg-type]
    if m.form == "tno_head":
        return 5.0 - m.b * math.log(m.c1 / p + m.c2 / (p * i))
    return 5.0 - m.b * math.log((m.c1 / p) ** m.e1 + (m.c2 / i) ** m.e2)


def probability(name: str, overpressure_pa: float | None = None, impulse_pa_s: float | None = None,
                dose: float | None = None) -> float:
    """Probability of the effect of model ``name`` (see :func:`probit_value`)."""
    return probit_to_probability(probit_value(name, overpressure_pa, impulse_pa_s, dose))


def thermal_dose(flux_w_m2: float, duration_s: float) -> float:
    """Thermal dose V = t*q^(4/3) [s*(W/m^2)^(4/3)]."""
    q = _positive(flux_w_m2, "heat flux", "W/m2")
    t = _positive(duration_s, "exposure time", "s")
    return t * q ** (4.0 / 3.0)


def blast_injury(overpressure_pa: float, impulse_pa_s: float) -> dict[str, float]:
    """Every blast probit model at one point, as probabilities."""
    return {m: probability(m, overpressure_pa, impulse_pa_s) for m in BLAST_MODELS}
