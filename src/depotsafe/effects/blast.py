"""Airblast of a hemispherical surface burst: Swisdak (1994) simplified Kingery-Bulmash.

Scalar model functions on SI floats.  Each fit is evaluated only inside its
validity range: outside it a quantity is not computed (standards.md section 9,
decision 8).  The single-quantity functions raise an ``InputError``; the
all-quantity function :func:`blast_parameters` returns ``None`` with a status
for each quantity outside its fit.

Conventions
-----------
- ``neq_kg`` is the declared net explosive quantity of the named explosive;
  its TNT equivalents (pressure and impulse) come from
  data/effects/tnt_equivalence.csv.
- Scaled distance Z = R / W^(1/3) [m/kg^(1/3)], W the TNT-equivalent mass.
- At a boundary between two fit segments the lower segment is used (Z in
  [z_min, z_max] of the first segment that contains it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from depotsafe.effects.tables import (
    CUBE_ROOT_SCALED,
    EQUIVALENCE_BASIS,
    N_COEF,
    QUANTITIES,
    TO_SI,
    Explosive,
    Fit,
    explosives,
    find_explosive,
    kb_fits,
)
from depotsafe.errors import InputError, one_of
from depotsafe.messages import Note

#: Status codes, shared with the kernels (uint8 status arrays).
OK = 0
BELOW_FIT = 1  # Z below the fit's range: too close to the charge
ABOVE_FIT = 2  # Z above the fit's range: too far from the charge
STATUS_NAMES = {OK: "ok", BELOW_FIT: "below_fit_range", ABOVE_FIT: "above_fit_range"}

#: SI unit of each quantity as returned.
SI_UNITS: dict[str, str] = {
    "incident_overpressure": "Pa",
    "incident_impulse": "Pa*s",
    "reflected_overpressure": "Pa",
    "reflected_impulse": "Pa*s",
    "arrival_time": "s",
    "positive_duration": "s",
    "shock_front_velocity": "m/s",
}

#: Note of a blast result whose incident overpressure lies outside the range of the explosive's
#: TNT equivalence (a msgid of the app's catalogs: depotsafe.messages).
TNT_RANGE_NOTE = ("incident overpressure {p_kpa:.4g} kPa is outside the {lo_kpa:g}-{hi_kpa:g} kPa range in "
                  "which the {explosive} TNT equivalence was determined (IATG 01.80 Clause 7.2)")

MODEL_SOURCE = (
    "Swisdak (1994) Simplified Kingery Airblast Calculations (DTIC ADA526744), Table 1 metric; "
    "Kingery & Bulmash (1984) hemispherical TNT surface burst; as summarised in IATG 01.80 (2021)"
)


def get_explosive(name: str, field_name: str = "explosive") -> Explosive:
    """The explosive called ``name`` or an InputError listing the known ones."""
    exp = find_explosive(name)
    if exp is None:
        raise InputError(field_name, name, one_of(explosives()))
    return exp


def check_neq(neq_kg: float, field_name: str = "neq") -> float:
    """Refuse a NEQ that is not a finite number > 0 kg."""
    if not (isinstance(neq_kg, int | float) and math.isfinite(neq_kg) and neq_kg > 0):
        raise InputError(field_name, neq_kg, "the NEQ must be a finite number > 0 kg")
    return float(neq_kg)


def check_distance(distance_m: float, field_name: str = "distance") -> float:
    """Refuse a distance that is not a finite number >= 0 m."""
    if not (isinstance(distance_m, int | float) and math.isfinite(distance_m) and distance_m >= 0):
        raise InputError(field_name, distance_m, "the distance must be a finite number >= 0 m")
    return float(distance_m)


def tnt_equivalent_kg(neq_kg: float, explosive: str = "TNT", basis: str = "pressure") -> float:
    """TNT-equivalent mass [kg] of ``neq_kg`` of ``explosive`` for pressure or impulse."""
    exp = get_explosive(explosive)
    factor = exp.pressure_factor if basis == "pressure" else exp.impulse_factor
    return check_neq(neq_kg) * factor


def log_poly(fit: Fit, s: int, u: float) -> float:
    """ln of the fitted value in segment ``s`` at u = ln Z (Horner's rule)."""
    base = N_COEF * s
    acc = 0.0
    for k in range(N_COEF - 1, -1, -1):
        acc = acc * u + float(fit.coef[base + k])
    return acc


def segment_of(fit: Fit, u: float) -> int:
    """Index of the segment holding u = ln Z, or -1 below / -2 above the fit."""
    if u < math.log(fit.z_lo):
        return -1
    for s in range(fit.n_segments):
        if u <= math.log(float(fit.z_max[s])):
            return s
    return -2


def scaled_value(quantity: str, z: float) -> tuple[float | None, int]:
    """The fitted value at scaled distance ``z`` in the fit's own unit.

    Returns
    -------
    value : float or None
        kPa, kPa*ms/kg^(1/3), ms/kg^(1/3) or km/s (per the metric table);
        None outside the fit.
    status : int
        OK, BELOW_FIT or ABOVE_FIT.
    """
    fit = kb_fits("metric")[quantity]
    if not z > 0:
        return None, BELOW_FIT
    u = math.log(z)
    s = segment_of(fit, u)
    if s == -1:
        return None, BELOW_FIT
    if s == -2:
        return None, ABOVE_FIT
    return math.exp(log_poly(fit, s, u)), OK


def quantity_si(quantity: str, tnt_kg: float, distance_m: float) -> tuple[float | None, int, float]:
    """One quantity in SI for a TNT-equivalent mass at a distance.

    Returns (value or None, status, scaled distance Z [m/kg^(1/3)]).
    """
    lnw13 = math.log(tnt_kg) / 3.0
    fit = kb_fits("metric")[quantity]
    w13 = math.exp(lnw13)
    z = distance_m / w13
    if distance_m <= 0:
        return None, BELOW_FIT, z
    u = math.log(distance_m) - lnw13
    s = segment_of(fit, u)
    if s < 0:
        return None, (BELOW_FIT if s == -1 else ABOVE_FIT), z
    value = math.exp(log_poly(fit, s, u))
    if quantity in CUBE_ROOT_SCALED:
        value *= w13
    return value * TO_SI[quantity], OK, z


def _status_message(quantity: str, status: int, z: float) -> str:
    fit = kb_fits("metric")[quantity]
    where = "below" if status == BELOW_FIT else "above"
    return (
        f"scaled distance {z:.4g} m/kg^(1/3) is {where} the Kingery-Bulmash validity range "
        f"[{fit.z_lo:g}, {fit.z_hi:g}] of {quantity.replace('_', ' ')}; not computed (no extrapolation)"
    )


def _single(quantity: str, neq_kg: float, distance_m: float, explosive: str) -> float:
    exp = get_explosive(explosive)
    neq = check_neq(neq_kg)
    dist = check_distance(distance_m)
    basis = EQUIVALENCE_BASIS[quantity]
    tnt = neq * (exp.pressure_factor if basis == "pressure" else exp.impulse_factor)
    value, status, z = quantity_si(quantity, tnt, dist)
    if value is None:
        raise InputError("distance", distance_m, _status_message(quantity, status, z))
    return value


def incident_overpressure_pa(neq_kg: float, distance_m: float, explosive: str = "TNT") -> float:
    """Peak incident (side-on) overpressure [Pa]; InputError outside the fit."""
    return _single("incident_overpressure", neq_kg, distance_m, explosive)


def incident_impulse_pa_s(neq_kg: float, distance_m: float, explosive: str = "TNT") -> float:
    """Positive-phase incident impulse [Pa*s]; InputError outside the fit."""
    return _single("incident_impulse", neq_kg, distance_m, explosive)


def reflected_overpressure_pa(neq_kg: float, distance_m: float, explosive: str = "TNT") -> float:
    """Peak normally reflected overpressure [Pa]; InputError outside the fit."""
    return _single("reflected_overpressure", neq_kg, distance_m, explosive)


def reflected_impulse_pa_s(neq_kg: float, distance_m: float, explosive: str = "TNT") -> float:
    """Normally reflected impulse [Pa*s]; InputError outside the fit."""
    return _single("reflected_impulse", neq_kg, distance_m, explosive)


def arrival_time_s(neq_kg: float, distance_m: float, explosive: str = "TNT") -> float:
    """Shock arrival time [s]; InputError outside the fit."""
    return _single("arrival_time", neq_kg, distance_m, explosive)


def positive_duration_s(neq_kg: float, distance_m: float, explosive: str = "TNT") -> float:
    """Positive-phase duration [s]; InputError outside the fit."""
    return _single("positive_duration", neq_kg, distance_m, explosive)


def shock_front_velocity_m_s(neq_kg: float, distance_m: float, explosive: str = "TNT") -> float:
    """Shock-front velocity [m/s]; InputError outside the fit."""
    return _single("shock_front_velocity", neq_kg, distance_m, explosive)


@dataclass(frozen=True)
class BlastResult:
    """All seven blast parameters at one distance; None where outside a fit.

    Attributes
    ----------
    values : dict
        quantity -> SI value (units in ``SI_UNITS``) or None.
    status : dict
        quantity -> {"code": "ok" | "below_fit_range" | "above_fit_range",
        "message": str (only when not ok)}.
    """

    neq_kg: float
    distance_m: float
    explosive: str
    tnt_pressure_kg: float
    tnt_impulse_kg: float
    values: dict[str, float | None]
    status: dict[str, dict[str, str]]
    notes: list[str] = field(default_factory=list)

    @property
    def any_valid(self) -> bool:
        return any(v is not None for v in self.values.values())


def blast_parameters(neq_kg: float, distance_m: float, explosive: str = "TNT") -> BlastResult:
    """Every Swisdak quantity at ``distance_m`` from ``neq_kg`` of ``explosive``.

    Parameters
    ----------
    neq_kg : float
        Net explosive quantity [kg] of ``explosive`` (> 0).
    distance_m : float
        Distance from the charge [m] (>= 0).
    explosive : str
        Name from data/effects/tnt_equivalence.csv (default TNT).

    Returns
    -------
    BlastResult
        A quantity outside its fit is None with its status; never NaN.
    """
    exp = get_explosive(explosive)
    neq = check_neq(neq_kg)
    dist = check_distance(distance_m)
    tnt = {"pressure": neq * exp.pressure_factor, "impulse": neq * exp.impulse_factor}
    values: dict[str, float | None] = {}
    status: dict[str, dict[str, str]] = {}
    for q in QUANTITIES:
        value, code, z = quantity_si(q, tnt[EQUIVALENCE_BASIS[q]], dist)
        values[q] = value
        entry = {"code": STATUS_NAMES[code], "scaled_distance_m_kg13": f"{z:.6g}"}
        if code != OK:
            entry["message"] = _status_message(q, code, z)
        status[q] = entry
    notes: list[str] = []
    p = values["incident_overpressure"]
    if exp.pressure_range_mpa is not None and p is not None:
        lo, hi = exp.pressure_range_mpa
        if not lo * 1e6 <= p <= hi * 1e6:
            notes.append(Note(TNT_RANGE_NOTE, p_kpa=p / 1e3, lo_kpa=lo * 1e3, hi_kpa=hi * 1e3,
                              explosive=exp.name))
    return BlastResult(
        neq_kg=neq, distance_m=dist, explosive=exp.name,
        tnt_pressure_kg=tnt["pressure"], tnt_impulse_kg=tnt["impulse"],
        values=values, status=status, notes=notes,
    )


# --------------------------------------------------------------------------- inverse


def _roots_in_segment(fit: Fit, s: int, target_ln: float) -> list[float]:
    """All u in segment s where the log-fit equals target_ln (bracket + bisection)."""
    u0 = math.log(float(fit.z_min[s]))
    u1 = math.log(float(fit.z_max[s]))
    n = 400
    roots: list[float] = []
    prev_u = u0
    prev_g = log_poly(fit, s, u0) - target_ln
    if prev_g == 0.0:
        roots.append(u0)
    for k in range(1, n + 1):
        u = u0 + (u1 - u0) * k / n
        g = log_poly(fit, s, u) - target_ln
        if g == 0.0:
            roots.append(u)
        elif prev_g != 0.0 and (g > 0) != (prev_g > 0):
            a, b, ga = prev_u, u, prev_g
            for _ in range(200):
                m = 0.5 * (a + b)
                gm = log_poly(fit, s, m) - target_ln
                if gm == 0.0 or b - a <= 1e-15 * max(1.0, abs(m)):
                    break
                if (gm > 0) == (ga > 0):
                    a, ga = m, gm
                else:
                    b = m
            roots.append(0.5 * (a + b))
        prev_u, prev_g = u, g
    return roots


def scaled_distance_for(quantity: str, scaled_target: float) -> float | None:
    """Largest Z [m/kg^(1/3)] at which the fitted value equals ``scaled_target``.

    ``scaled_target`` is in the fit's own unit (kPa, kPa*ms/kg^(1/3), ...).
    Where a fit's step or shape gives several answers the largest distance is
    returned (standards.md decision 8); None if the target is never reached
    inside the fit.
    """
    fit = kb_fits("metric")[quantity]
    target_ln = math.log(scaled_target)
    best: float | None = None
    for s in range(fit.n_segments):
        for u in _roots_in_segment(fit, s, target_ln):
            best = u if best is None else max(best, u)
    return None if best is None else math.exp(best)


def _value_range(quantity: str) -> tuple[float, float]:
    fit = kb_fits("metric")[quantity]
    vals = []
    for s in range(fit.n_segments):
        u0, u1 = math.log(float(fit.z_min[s])), math.log(float(fit.z_max[s]))
        vals.extend(math.exp(log_poly(fit, s, u0 + (u1 - u0) * k / 400)) for k in range(401))
    return min(vals), max(vals)


def distance_for(quantity: str, neq_kg: float, value_si: float, explosive: str = "TNT") -> float:
    """Largest distance [m] at which ``quantity`` reaches ``value_si``.

    Parameters
    ----------
    quantity : str
        One of the seven quantities (typically incident_overpressure or
        incident_impulse).
    neq_kg : float
        NEQ [kg] of ``explosive``.
    value_si : float
        The level in SI (Pa, Pa*s, s or m/s).

    Raises
    ------
    InputError
        Bad NEQ, a level <= 0, or a level the fit never reaches.
    """
    if quantity not in QUANTITIES:
        raise InputError("quantity", quantity, one_of(QUANTITIES))
    exp = get_explosive(explosive)
    neq = check_neq(neq_kg)
    if not (isinstance(value_si, int | float) and math.isfinite(value_si) and value_si > 0):
        raise InputError(quantity, value_si, "the level must be a finite number > 0")
    basis = EQUIVALENCE_BASIS[quantity]
    tnt = neq * (exp.pressure_factor if basis == "pressure" else exp.impulse_factor)
    w13 = tnt ** (1.0 / 3.0)
    scaled = value_si / TO_SI[quantity]
    if quantity in CUBE_ROOT_SCALED:
        scaled /= w13
    z = scaled_distance_for(quantity, scaled)
    if z is None:
        lo, hi = _value_range(quantity)
        if quantity in CUBE_ROOT_SCALED:
            lo, hi = lo * w13, hi * w13
        lo, hi = lo * TO_SI[quantity], hi * TO_SI[quantity]
        fit = kb_fits("metric")[quantity]
        raise InputError(
            quantity.replace("_", " "),
            f"{value_si:.6g} {SI_UNITS[quantity]}",
            f"for {neq:g} kg of {exp.name} the Kingery-Bulmash fit (Z in [{fit.z_lo:g}, {fit.z_hi:g}] "
            f"m/kg^(1/3)) only covers {lo:.4g} to {hi:.4g} {SI_UNITS[quantity]}; no extrapolation",
        )
    return z * w13
