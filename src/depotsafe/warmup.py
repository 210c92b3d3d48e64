"""Compile (or load from the on-disk cache) every kernel once, with tiny inputs.

Call once per process before anything is timed or served: the app does it at
server start, the benchmarks before their timed runs, and ``depotsafe warmup``
at set-up (``bash scripts/run-app``), so that the compiled kernels are in the
on-disk cache before a user's first click.  Every kernel path is reached,
including the parallel variants used only for large depots.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: The steps of :func:`warm_up`, in order (the names a progress callback receives).
STEPS: tuple[str, ...] = ("compliance check", "pair search", "siting map", "blast field", "explosion risk")


def warm_up(progress: Callable[[int, str], None] | None = None) -> None:
    """Run every kernel once on a small synthetic depot and a small blast grid.

    ``progress(k, step)`` is called before step ``k`` of :data:`STEPS`.
    """
    from depotsafe.check import check_depot
    from depotsafe.effects.fields import blast_field
    from depotsafe.layout import depot_arrays, pairs_within_radius, read_layout
    from depotsafe.siting import siting_map
    from depotsafe.synthetic import synthetic_depot

    def step(k: int) -> None:
        if progress is not None:
            progress(k, STEPS[k])

    step(0)
    from depotsafe.units import registry

    registry()  # pint's parsed definitions into the cache (built on first use, which may be a user's first quantity)
    depot = read_layout(synthetic_depot(200, seed=2))
    check_depot(depot)
    step(1)
    fp, _b = depot_arrays(depot)
    pes = np.arange(len(depot.sites), dtype=np.int64)
    radius = np.full(len(depot.sites), 50.0)
    for parallel in (False, True):
        pairs_within_radius(fp, pes, radius, parallel=parallel)
    step(2)
    storehouse = next(s for s in depot.sites if s.stock_entries and s.front_bearing_deg is None)
    siting_map(depot, storehouse.kind, "1.1", 1000.0, cell_m=200.0, margin_m=0.0)
    step(3)
    x = np.linspace(-100.0, 100.0, 8)
    blast_field(x, x, np.array([0.0]), np.array([0.0]), np.array([1000.0]))
    step(4)
    from depotsafe.risk import build_events, fatality_probability, location_risk_grid

    events, _skipped = build_events(depot)
    location_risk_grid(events[:3], x, x)  # the blast scan of each event's reach, the parallel grid
    fatality_probability(events[0], 100.0)
