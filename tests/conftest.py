"""Shared test configuration."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Kernels compile on first call; no hypothesis deadline may absorb that.
settings.register_profile(
    "depotsafe",
    deadline=None,
    max_examples=int(os.environ.get("DEPOTSAFE_HYPOTHESIS_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("depotsafe")
