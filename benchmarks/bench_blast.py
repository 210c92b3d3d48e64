"""Benchmark: blast field (max incident overpressure and impulse) on a grid with many events.

    python benchmarks/bench_blast.py [--n 2000] [--events 100] [--sample 20000]

Side by side, each in its own subprocess (peak RSS measured there):
  numba    depotsafe.effects.fields.blast_field (kernels/blast.py, prange over rows)
  numba-noprune  the same kernel without the per-chunk event pruning (what the
           pruning buys; the numpy version does not prune either)
  numpy    a numpy-vectorised version (per event over row tiles, same status rules)
  package  the kingery-bulmash PyPI package called per point-event, on a random
           sample of point-events, time scaled to the full grid
Reports wall time (compile excluded: a warm-up call on a small grid first),
point-event evaluations per second, peak RSS and ratios.  Numbers are whatever
this machine gives; never edit them by hand.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np


def scenario(n: int, n_events: int):
    rng = np.random.default_rng(20260101)
    x = np.linspace(0.0, 4000.0, n)
    y = np.linspace(0.0, 4000.0, n)
    ex = rng.uniform(1000.0, 3000.0, n_events)
    ey = rng.uniform(1000.0, 3000.0, n_events)
    neq = rng.uniform(1e3, 1e5, n_events)
    return x, y, ex, ey, neq


def run_numba(n: int, n_events: int, prune: bool = True) -> dict:
    from depotsafe.effects.fields import blast_field

    x, y, ex, ey, neq = scenario(n, n_events)
    blast_field(x[:8], y[:8], ex, ey, neq, prune=prune)  # compile / load cache
    t = time.perf_counter()
    f = blast_field(x, y, ex, ey, neq, prune=prune)
    dt = time.perf_counter() - t
    return {"seconds": dt, "checksum": float(f.overpressure_pa.sum())}


def _np_log_fit(fit, u):
    """ln value of a fit at u (array), with segment selection; NaN-free (u clipped)."""
    ln_zmax = np.log(fit.z_max)
    seg = np.searchsorted(ln_zmax[:-1], u, side="left")
    coef = fit.coef.reshape(-1, 7)[seg]
    acc = np.zeros_like(u)
    for kk in range(6, -1, -1):
        acc = acc * u + coef[:, kk] if acc.ndim == 1 else acc * u + coef[..., kk]
    return acc


def run_numpy(n: int, n_events: int, tile_rows: int = 100) -> dict:
    from depotsafe.effects.tables import kb_fits

    fp, fi = kb_fits()["incident_overpressure"], kb_fits()["incident_impulse"]
    x, y, ex, ey, neq = scenario(n, n_events)
    lw = np.log(neq) / 3.0
    lo_p, hi_p = math.log(fp.z_lo), math.log(fp.z_hi)
    lo_i, hi_i = math.log(fi.z_lo), math.log(fi.z_hi)
    fhi_i = float(_np_log_fit(fi, np.array([hi_i]))[0])
    out_p = np.empty((n, n))
    out_i = np.empty((n, n))
    t = time.perf_counter()
    for j0 in range(0, n, tile_rows):
        yy = y[j0 : j0 + tile_rows, None]
        best_p = np.full((yy.shape[0], n), -np.inf)
        best_i = np.full_like(best_p, -np.inf)
        bound_i = np.full_like(best_p, -np.inf)
        close = np.zeros(best_p.shape, dtype=bool)
        far_p_only = np.ones(best_p.shape, dtype=bool)
        for e in range(n_events):
            ur = 0.5 * np.log((x[None, :] - ex[e]) ** 2 + (yy - ey[e]) ** 2)
            u = ur - lw[e]
            close |= u < lo_p
            ok_p = (u >= lo_p) & (u <= hi_p)
            far_p_only &= ~ok_p
            up = np.clip(u, lo_p, hi_p)
            best_p = np.where(ok_p, np.maximum(best_p, _np_log_fit(fp, up.ravel()).reshape(up.shape)), best_p)
            ok_i = (u >= lo_i) & (u <= hi_i)
            ui = np.clip(u, lo_i, hi_i)
            vi = _np_log_fit(fi, ui.ravel()).reshape(ui.shape) + lw[e]
            best_i = np.where(ok_i, np.maximum(best_i, vi), best_i)
            bound_i = np.where(u > hi_i, np.maximum(bound_i, fhi_i + lw[e]), bound_i)
        out_p[j0 : j0 + tile_rows] = np.where(close | far_p_only, 0.0, np.exp(best_p) * 1000.0)
        out_i[j0 : j0 + tile_rows] = np.where(close | (bound_i > best_i), 0.0, np.exp(best_i))
    dt = time.perf_counter() - t
    return {"seconds": dt, "checksum": float(out_p.sum())}


def run_package(n: int, n_events: int, sample: int) -> dict:
    import kingery_bulmash as kb

    x, y, ex, ey, neq = scenario(n, n_events)
    rng = np.random.default_rng(7)
    ii = rng.integers(0, n, sample)
    jj = rng.integers(0, n, sample)
    ee = rng.integers(0, n_events, sample)
    t = time.perf_counter()
    for a, c, e in zip(ii, jj, ee, strict=True):
        r = math.hypot(x[a] - ex[e], y[c] - ey[e])
        try:
            res = kb.Blast_Parameters(unit_system=kb.Units.METRIC, neq=float(neq[e]), distance=r, safe=False)
            _ = res.incident_pressure, res.incident_impulse
        except ValueError:
            pass
    dt = time.perf_counter() - t
    return {"seconds": dt * (n * n * n_events) / sample, "sampled": sample, "sample_seconds": dt}


def child(method: str, n: int, n_events: int, sample: int) -> None:
    if method == "numba":
        out = run_numba(n, n_events)
    elif method == "numba-noprune":
        out = run_numba(n, n_events, prune=False)
    elif method == "numpy":
        out = run_numpy(n, n_events)
    else:
        out = run_package(n, n_events, sample)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="grid points per side")
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--sample", type=int, default=20000, help="point-events for the package")
    ap.add_argument("--child", choices=["numba", "numba-noprune", "numpy", "package"])
    args = ap.parse_args()
    if args.child:
        child(args.child, args.n, args.events, args.sample)
        return
    evals = args.n * args.n * args.events
    results = {}
    for method in ("numba", "numba-noprune", "numpy", "package"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", method, "--n", str(args.n),
             "--events", str(args.events), "--sample", str(args.sample)],
            capture_output=True, text=True, env=os.environ.copy(), check=False,
        )
        if proc.returncode != 0:
            print(f"{method}: failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        results[method] = json.loads(proc.stdout.strip().splitlines()[-1])
    try:
        import numba

        threads = numba.get_num_threads()
    except ImportError:  # pragma: no cover
        threads = 0
    print(f"grid {args.n} x {args.n}, {args.events} events = {evals:.3g} point-event evaluations; "
          f"{os.cpu_count()} CPUs, numba threads {threads}")
    print(f"{'method':13s} {'time [s]':>10s} {'Meval/s':>10s} {'peak RSS [MB]':>14s} {'numba faster by':>16s}")
    base = results.get("numba", {}).get("seconds")
    for method, r in results.items():
        ratio = f"{r['seconds'] / base:.1f}x" if base else "-"
        note = " (scaled from a sample)" if method == "package" else ""
        print(f"{method:13s} {r['seconds']:10.2f} {evals / r['seconds'] / 1e6:10.1f} "
              f"{r['peak_rss_mb']:14.0f} {ratio:>16s}{note}")
    if "numba" in results and "numpy" in results:
        a, c = results["numba"]["checksum"], results["numpy"]["checksum"]
        print(f"numba vs numpy overpressure checksum relative difference: {abs(a - c) / abs(c):.2e}")


if __name__ == "__main__":
    main()
