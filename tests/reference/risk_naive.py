"""A slow, obvious location-risk computation, for tests only (checks kernels/risk.py).

One point at a time, one event at a time, in plain Python: the distance from
the point to the event footprint with shapely, the blast from
depotsafe.effects.blast.blast_parameters (None outside a fit), the probit
formulas written out here from data/effects/probits.csv, the fragment and
thermal models written out from data/risk/risk_model.csv.  Cutoffs are applied
as "a mechanism whose probability is below the cutoff counts 0" (the kernel
prunes by distance instead; both are the same for mechanisms that fall with
distance).  No pruning, no arrays.
"""

from __future__ import annotations

import math

import shapely

from depotsafe.effects.blast import blast_parameters

# data/effects/probits.csv (HyRAM+ transcription [S])
LUNG_A, LUNG_B = -77.1, 6.91
HEAD_B, HEAD_C1, HEAD_C2 = 8.49, 2430.0, 4e8
THERMAL_A, THERMAL_B = -38.48, 2.56
# data/effects/fragments_thermal.toml and data/risk/risk_model.csv
Q_IBD = 1.0 / 56.0
PERSON_AREA_M2 = 0.58
CUTOFF = 1e-4
E_D4 = 62800.0
T_EXP = 1.0


def phi(y: float) -> float:
    return 0.5 * (1.0 + math.erf((y - 5.0) / math.sqrt(2.0)))


def pf_outdoors(ev, d: float) -> float:
    """P(fatality | event) of a person outdoors at distance d [m] from the footprint."""
    surv = 1.0
    if ev.blast_neq_kg > 0:
        if d <= 0:
            return 1.0
        res = blast_parameters(ev.blast_neq_kg, d)
        p = res.values["incident_overpressure"]
        i = res.values["incident_impulse"]
        below = "below_fit_range" in (res.status["incident_overpressure"]["code"],
                                      res.status["incident_impulse"]["code"])
        if below:
            return 1.0
        if p is not None and i is not None:
            surv *= 1.0 - phi(LUNG_A + LUNG_B * math.log(p))
            surv *= 1.0 - phi(5.0 - HEAD_B * math.log(HEAD_C1 / p + HEAD_C2 / (p * i)))
    if ev.fragment_distance_m > 0:
        if d <= 0:
            return 1.0
        q = Q_IBD * (ev.fragment_distance_m / d) ** 2
        hit = 1.0 - math.exp(-q * PERSON_AREA_M2)
        if hit >= CUTOFF:
            surv *= 1.0 - hit
    if ev.thermal_d4_m > 0:
        if d <= 0:
            return 1.0
        energy = E_D4 * (ev.thermal_d4_m / d) ** 2
        dose = T_EXP * (energy / T_EXP) ** (4.0 / 3.0)
        pt = phi(THERMAL_A + THERMAL_B * math.log(dose))
        if pt >= CUTOFF:
            surv *= 1.0 - pt
    return 1.0 - surv


def location_risk(events, xs, ys):
    """Location risk [per year] at (xs[i], ys[j]) -> out[j][i] (lists)."""
    out = []
    for y in ys:
        row = []
        for x in xs:
            pt = shapely.Point(x, y)
            total = 0.0
            for ev in events:
                d = float(shapely.distance(ev.geometry, pt))
                total += ev.pe * pf_outdoors(ev, d)
            row.append(total)
        out.append(row)
    return out
