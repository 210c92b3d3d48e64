"""Blast fields over grids: the Python wrapper of depotsafe.kernels.blast.

Several events combine by the maximum: at each point the field is the largest
incident overpressure (and, separately, the largest incident impulse) any one
event produces there.  This is the worst single event, not a sum: blast waves
from separate storehouses arrive at different times and their peaks do not
add; simultaneous detonation of two sites is an aggregated site (one event
with the total NEQ, AASTP-1 1.3.2.3), which the caller models as such.

Statuses (uint8, per point): 0 ok; 1 below the fit (closer to some charge than
Z = 0.2 m/kg^(1/3)); 2 above the fit (no event within its fit's range, or an
event beyond its range could exceed the maximum).  Values are returned as
numpy masked arrays, masked where the status is not 0: never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from depotsafe.effects.blast import get_explosive
from depotsafe.effects.tables import TO_SI, kb_fits
from depotsafe.errors import InputError
from depotsafe.kernels import blast as _k


@dataclass(frozen=True)
class BlastField:
    """Incident overpressure and impulse over a grid (cell [j, i] at x[i], y[j])."""

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    overpressure_pa: np.ma.MaskedArray
    impulse_pa_s: np.ma.MaskedArray
    overpressure_status: NDArray[np.uint8]
    impulse_status: NDArray[np.uint8]


def _vector(values: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = np.ascontiguousarray(values, dtype=np.float64).ravel()
    if arr.size == 0:
        raise InputError(name, "[]", "at least one value is needed")
    if not np.all(np.isfinite(arr)):
        raise InputError(name, "non-finite value", "all values must be finite numbers")
    return arr


def event_log_w13(
    neq_kg: ArrayLike, explosives: Sequence[str] | str = "TNT"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ln W^(1/3) of the pressure- and impulse-equivalent TNT masses of each event."""
    neq = _vector(neq_kg, "events neq_kg")
    if np.any(neq <= 0):
        bad = float(neq[neq <= 0][0])
        raise InputError("events neq_kg", bad, "every event NEQ must be > 0 kg")
    names = [explosives] * neq.size if isinstance(explosives, str) else list(explosives)
    if len(names) != neq.size:
        raise InputError("explosives", len(names), f"one explosive per event ({neq.size})")
    exps = [get_explosive(n) for n in names]
    fp = np.array([e.pressure_factor for e in exps])
    fi = np.array([e.impulse_factor for e in exps])
    return np.log(neq * fp) / 3.0, np.log(neq * fi) / 3.0


def blast_field(
    x_m: ArrayLike,
    y_m: ArrayLike,
    events_x_m: ArrayLike,
    events_y_m: ArrayLike,
    events_neq_kg: ArrayLike,
    explosives: Sequence[str] | str = "TNT",
    tile_rows: int = 256,
    prune: bool = True,
) -> BlastField:
    """Maximum incident overpressure and impulse of point events over a grid.

    Parameters
    ----------
    x_m, y_m : array_like
        Grid coordinates [m] (1-D); the result has shape (len(y_m), len(x_m)).
    events_x_m, events_y_m : array_like
        Charge positions [m].
    events_neq_kg : array_like
        NEQ of each event [kg] (> 0), of the explosive named in ``explosives``.
    explosives : str or sequence of str
        Explosive of each event (TNT equivalence), default TNT.
    tile_rows : int
        Rows per kernel call: work is done in tiles of ``tile_rows`` x nx, the
        kernel allocates nothing per point, so memory is the output arrays
        (2 x 8 + 2 bytes per point) and nothing else.
    prune : bool
        Skip, per chunk of points, events that cannot reach the impulse
        maximum (exact; False only to measure what the pruning buys).

    Returns
    -------
    BlastField
    """
    x = _vector(x_m, "x_m")
    y = _vector(y_m, "y_m")
    ex = _vector(events_x_m, "events_x_m")
    ey = _vector(events_y_m, "events_y_m")
    if not ex.size == ey.size == np.size(events_neq_kg):
        raise InputError("events", (ex.size, ey.size, np.size(events_neq_kg)), "x, y and NEQ of equal length")
    if not (isinstance(tile_rows, int) and tile_rows > 0):
        raise InputError("tile_rows", tile_rows, "a positive integer")
    lw_p, lw_i = event_log_w13(events_neq_kg, explosives)
    fp = kb_fits()["incident_overpressure"]
    fi = kb_fits()["incident_impulse"]
    ny, nx = y.size, x.size
    out_p = np.empty((ny, nx))
    out_i = np.empty((ny, nx))
    out_sp = np.empty((ny, nx), dtype=np.uint8)
    out_si = np.empty((ny, nx), dtype=np.uint8)
    for j0 in range(0, ny, tile_rows):
        j1 = min(ny, j0 + tile_rows)
        _k.blast_field_max(
            x, y[j0:j1], ex, ey, lw_p, lw_i,
            fp.z_min, fp.z_max, fp.coef, TO_SI["incident_overpressure"],
            fi.z_min, fi.z_max, fi.coef, fi.z_nonincreasing_from if prune else math.inf,
            TO_SI["incident_impulse"],
            out_p[j0:j1], out_i[j0:j1], out_sp[j0:j1], out_si[j0:j1],
        )
    return BlastField(
        x_m=x,
        y_m=y,
        overpressure_pa=np.ma.MaskedArray(out_p, mask=out_sp != 0),
        impulse_pa_s=np.ma.MaskedArray(out_i, mask=out_si != 0),
        overpressure_status=out_sp,
        impulse_status=out_si,
    )


def grid_axes(
    xmin: float, ymin: float, xmax: float, ymax: float, cell_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cell-centre coordinates covering a box [m] at a spacing of ``cell_m``."""
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise InputError("cell_m", cell_m, "a finite number > 0 m")
    if not (xmax > xmin and ymax > ymin):
        raise InputError("bounds", (xmin, ymin, xmax, ymax), "xmax > xmin and ymax > ymin")
    nx = max(1, math.ceil((xmax - xmin) / cell_m))
    ny = max(1, math.ceil((ymax - ymin) / cell_m))
    if nx * ny > 50_000_000:
        raise InputError("cell_m", cell_m, f"a grid of at most 5e7 points (this would be {nx}x{ny})")
    return xmin + cell_m * (np.arange(nx) + 0.5), ymin + cell_m * (np.arange(ny) + 0.5)
