"""Compile (or load from the on-disk cache) every kernel once, with tiny inputs.

Call once per process before anything is timed or served: the app does it at
server start, the benchmarks before their timed runs.  Every kernel path is
reached, including the parallel variants used only for large depots.
"""

from __future__ import annotations

import numpy as np


def warm_up() -> None:
    """Run every kernel once on a small synthetic depot and a small blast grid."""
    from depotsafe.check import check_depot
    from depotsafe.effects.fields import blast_field
    from depotsafe.layout import depot_arrays, pairs_within_radius, read_layout
    from depotsafe.siting import siting_map
    from depotsafe.synthetic import synthetic_depot

    depot = read_layout(synthetic_depot(200, seed=2))
    check_depot(depot)
    fp, _b = depot_arrays(depot)
    pes = np.arange(len(depot.sites), dtype=np.int64)
    radius = np.full(len(depot.sites), 50.0)
    for parallel in (False, True):
        pairs_within_radius(fp, pes, radius, parallel=parallel)
    storehouse = next(s for s in depot.sites if s.stock_entries and s.front_bearing_deg is None)
    siting_map(depot, storehouse.kind, "1.1", 1000.0, cell_m=200.0, margin_m=0.0)
    x = np.linspace(-100.0, 100.0, 8)
    blast_field(x, x, np.array([0.0]), np.array([0.0]), np.array([1000.0]))
