"""Benchmark: location-based risk on a grid for many storehouses (issue 10 item 7).

    python benchmarks/bench_risk.py [--n 2000] [--events 100] [--cell 5]

Side by side, each in its own subprocess (peak RSS measured there), on the same
scenario (seed 20261128: ``--events`` 15 x 15 m storehouses in the central
third of an n x n grid of ``--cell`` m cells; 80 % HD 1.1 of 1-50 t, 10 % HD
1.2.1 of 1-20 t, 10 % HD 1.3 of 5-50 t; Pe 1e-5 to 1e-4):

  numba  depotsafe.risk.location_risk_grid (kernels/risk.py, prange over rows),
         pruning rows and points beyond each event's last effect distance
  numpy  the same model vectorised with numpy: per event, only the grid window
         within its last effect distance of its footprint box (the same pruning),
         by row tiles

Reports wall time (compile excluded: a warm-up call on a small grid first),
the CPU time of the process over the same span (all its threads: on a shared
machine the wall time of the parallel kernel depends on what else runs; the
load average is printed before and after), point-event evaluations of the unpruned problem per second, peak RSS, the
ratio, and the largest difference between the two grids.  Numbers are
whatever this machine gives; never edit them by hand.
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


def scenario(n: int, n_events: int, cell: float):
    import shapely

    from depotsafe import risk
    from depotsafe.effects.hazards import (
        hd11_fragment_zone,
        hd12_fragment_zone,
        hd13_thermal_zone,
    )

    rng = np.random.default_rng(20261128)
    size = n * cell
    x = cell * (np.arange(n) + 0.5)
    y = cell * (np.arange(n) + 0.5)
    events = []
    for k in range(n_events):
        cx, cy = rng.uniform(size / 3, 2 * size / 3, 2)
        geom = shapely.box(cx - 7.5, cy - 7.5, cx + 7.5, cy + 7.5)
        pe = float(rng.uniform(1e-5, 1e-4))
        r = rng.uniform()
        if r < 0.8:
            w = float(rng.uniform(1e3, 5e4))
            ev = risk.Event(f"E{k}", [f"E{k}"], "barricaded_stack", geom, pe, w, "mass_explosion", "bench",
                            blast_neq_kg=w, fragment_distance_m=hd11_fragment_zone(w, "barricaded_stack").radius_m)
        elif r < 0.9:
            w = float(rng.uniform(1e3, 2e4))
            ev = risk.Event(f"E{k}", [f"E{k}"], "igloo_7bar", geom, pe, w, "fragments", "bench",
                            fragment_distance_m=hd12_fragment_zone(w, "1.2.1").radius_m)
        else:
            w = float(rng.uniform(5e3, 5e4))
            ev = risk.Event(f"E{k}", [f"E{k}"], "igloo_7bar", geom, pe, w, "fire", "bench",
                            thermal_d4_m=hd13_thermal_zone(w, "igloo_7bar").radius_m)
        events.append(ev)
    return x, y, events


def run_numba(n: int, n_events: int, cell: float) -> tuple[dict, np.ndarray]:
    from depotsafe.risk import location_risk_grid

    x, y, events = scenario(n, n_events, cell)
    location_risk_grid(events, x[:8], y[:8])  # compile / load the cache
    t, c = time.perf_counter(), time.process_time()
    grid = location_risk_grid(events, x, y)
    return {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c}, grid


def _np_kb(ln_d, lnw13, ln_zlo, ln_zmax, coef):
    """ln value and status (0 ok, 1 below, 2 above) of a fit, vectorised."""
    u = ln_d - lnw13
    status = np.where(u < ln_zlo, 1, np.where(u > ln_zmax[-1], 2, 0))
    seg = np.searchsorted(ln_zmax, u, side="left").clip(0, ln_zmax.size - 1)
    c = coef.reshape(-1, 7)[seg]
    acc = np.zeros_like(u)
    for k in range(6, -1, -1):
        acc = acc * u + c[..., k]
    return acc, status


def _erf(v):
    try:
        from scipy.special import erf
    except ImportError:
        return np.vectorize(math.erf, otypes=[float])(v)
    return erf(v)


def run_numpy(n: int, n_events: int, cell: float, tile_rows: int = 100) -> tuple[dict, np.ndarray]:
    from depotsafe import risk

    x, y, events = scenario(n, n_events, cell)
    ea = risk.event_arrays(events)
    tb = risk.kernel_tables()
    pr = tb["probit"]

    def phi(v):
        return 0.5 * (1.0 + _erf((v - 5.0) / math.sqrt(2.0)))

    out = np.zeros((y.size, x.size))
    t, c = time.perf_counter(), time.process_time()
    for e in range(len(events)):
        r = ea.r_max[e]
        i0, i1 = np.searchsorted(x, ea.bx0[e] - r), np.searchsorted(x, ea.bx1[e] + r, side="right")
        j0, j1 = np.searchsorted(y, ea.by0[e] - r), np.searchsorted(y, ea.by1[e] + r, side="right")
        a, b = ea.seg_start[e], ea.seg_start[e + 1]
        for jt in range(j0, j1, tile_rows):
            jt1 = min(j1, jt + tile_rows)
            px = x[None, i0:i1]
            py = y[jt:jt1, None]
            best = np.full((jt1 - jt, i1 - i0), np.inf)
            inside = np.zeros(best.shape, dtype=bool)
            for k in range(a, b):
                x0, y0, dx, dy = ea.sx0[k], ea.sy0[k], ea.sx1[k] - ea.sx0[k], ea.sy1[k] - ea.sy0[k]
                ll = dx * dx + dy * dy
                tt = np.clip(((px - x0) * dx + (py - y0) * dy) / ll, 0.0, 1.0) if ll > 0 else np.zeros(best.shape)
                best = np.minimum(best, (x0 + tt * dx - px) ** 2 + (y0 + tt * dy - py) ** 2)
                crosses = (y0 > py) != (ea.sy1[k] > py)
                with np.errstate(divide="ignore", invalid="ignore"):
                    xc = x0 + (py - y0) * dx / dy
                inside ^= crosses & (px < xc)
            d = np.where(inside, 0.0, np.sqrt(best))
            within = d <= r
            dw = d[within]  # prune: only the points within the last effect distance
            surv = np.ones(dw.shape)
            certain = dw <= 0
            dd = np.where(certain, 1.0, dw)
            if ea.r_blast[e] > 0:
                m = np.flatnonzero(dw <= ea.r_blast[e])  # prune: blast only where it matters
                lnd = np.log(dd[m])
                lp, sp = _np_kb(lnd, ea.lnw13[e], tb["ln_zlo_p"], tb["ln_zmax_p"], tb["coef_p"])
                li, si = _np_kb(lnd, ea.lnw13[e], tb["ln_zlo_i"], tb["ln_zmax_i"], tb["coef_i"])
                certain[m] |= (sp == 1) | (si == 1)
                ok = (sp == 0) & (si == 0)
                p = np.exp(lp) * 1000.0
                i = np.exp(li) * math.exp(ea.lnw13[e])
                with np.errstate(all="ignore"):
                    pl = phi(pr[0] + pr[1] * np.log(p))
                    ph = phi(5.0 - pr[2] * np.log(pr[3] / p + pr[4] / (p * i)))
                surv[m] = np.where(ok, surv[m] * (1 - pl) * (1 - ph), surv[m])
            if ea.frag_d[e] > 0:
                m = np.flatnonzero(dw <= ea.frag_rmax[e])
                q = tb["q_ibd"] * (ea.frag_d[e] / dd[m]) ** tb["spread"]
                surv[m] *= np.exp(-q * tb["person_area_m2"])
            if ea.th_d4[e] > 0:
                m = np.flatnonzero(dw <= ea.th_rmax[e])
                en = tb["e_d4"] * (ea.th_d4[e] / dd[m]) ** 2
                dose = tb["t_exp"] * (en / tb["t_exp"]) ** (4.0 / 3.0)
                surv[m] *= 1 - phi(pr[5] + pr[6] * np.log(dose))
            pf = np.where(certain, 1.0, 1.0 - surv)
            block = out[jt:jt1, i0:i1]
            block[within] += ea.pe[e] * pf
    return {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c}, out


def child(method: str, n: int, n_events: int, cell: float, save: str) -> None:
    out, grid = (run_numba if method == "numba" else run_numpy)(n, n_events, cell)
    np.save(save, grid)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out["max_per_year"] = float(grid.max())
    print(json.dumps(out))


def _loadavg() -> str:
    """The 1, 5 and 15 minute load averages (the machine may be shared), or '?' where unknown."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    import tempfile

    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="grid points per side")
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--cell", type=float, default=5.0, help="grid spacing [m]")
    ap.add_argument("--child", choices=["numba", "numpy"])
    ap.add_argument("--save", default="")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.n, args.events, args.cell, args.save)
        return
    results = {}
    grids = {}
    load_before = _loadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for method in ("numba", "numpy"):
            save = os.path.join(tmp, f"{method}.npy")
            proc = subprocess.run(
                [sys.executable, __file__, "--child", method, "--n", str(args.n), "--events", str(args.events),
                 "--cell", str(args.cell), "--save", save],
                capture_output=True, text=True, env=os.environ.copy(), check=False)
            if proc.returncode != 0:
                print(f"{method}: failed: {proc.stderr.strip().splitlines()[-3:]}")
                continue
            results[method] = json.loads(proc.stdout.strip().splitlines()[-1])
            grids[method] = np.load(save)
    import numba

    evals = args.n * args.n * args.events
    print(f"grid {args.n} x {args.n} ({args.cell:g} m cells, {args.n * args.cell / 1000:g} km square), "
          f"{args.events} storehouses = {evals:.3g} point-event pairs before pruning; "
          f"{os.cpu_count()} CPUs, numba threads {numba.get_num_threads()}")
    print(f"load average before {load_before}, after {_loadavg()}")
    print(f"{'method':8s} {'time [s]':>10s} {'CPU [s]':>9s} {'Mpairs/s':>10s} {'peak RSS [MB]':>14s} "
          f"{'numba faster by':>16s}")
    base = results.get("numba", {}).get("seconds")
    for method, r in results.items():
        ratio = f"{r['seconds'] / base:.1f}x" if base else "-"
        print(f"{method:8s} {r['seconds']:10.2f} {r['cpu_seconds']:9.2f} {evals / r['seconds'] / 1e6:10.1f} "
              f"{r['peak_rss_mb']:14.0f} {ratio:>16s}")
    if len(grids) == 2:
        a, b = grids["numba"], grids["numpy"]
        rel = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
        print(f"largest relative difference numba vs numpy: {rel:.2e}; max location risk {a.max():.3g}/yr; "
              f"cells >= 1e-6/yr: {int(np.count_nonzero(a >= 1e-6))}")


if __name__ == "__main__":
    main()
