"""Explosion effects (IATG 01.80): airblast, TNT equivalence, injury, fragments, heat, zones.

Model functions work on SI floats (kg, m, Pa, Pa*s, s).  See
data/effects/README.md for every coefficient's source.
"""

from __future__ import annotations

from depotsafe.effects.blast import (
    ABOVE_FIT,
    BELOW_FIT,
    OK,
    BlastResult,
    arrival_time_s,
    blast_parameters,
    distance_for,
    incident_impulse_pa_s,
    incident_overpressure_pa,
    positive_duration_s,
    reflected_impulse_pa_s,
    reflected_overpressure_pa,
    shock_front_velocity_m_s,
    tnt_equivalent_kg,
)
from depotsafe.effects.event import Event, explosion_event, hazard_zones_of

__all__ = [
    "ABOVE_FIT",
    "BELOW_FIT",
    "OK",
    "BlastResult",
    "Event",
    "arrival_time_s",
    "blast_parameters",
    "distance_for",
    "explosion_event",
    "hazard_zones_of",
    "incident_impulse_pa_s",
    "incident_overpressure_pa",
    "positive_duration_s",
    "reflected_impulse_pa_s",
    "reflected_overpressure_pa",
    "shock_front_velocity_m_s",
    "tnt_equivalent_kg",
]
