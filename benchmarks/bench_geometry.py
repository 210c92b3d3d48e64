"""Candidate pairs + exact distances: depotsafe kernels versus a shapely 2 pipeline.

Run: ``python benchmarks/bench_geometry.py [--sizes 1000 10000 100000] [--repeat 3]``

For synthetic depots (depotsafe.synthetic) of each size, both methods compute
the same pair set: every (PES i, site j != i) with exact footprint distance
<= radius_m[i], where the PES are the sites holding explosives and
radius_m[i] = 2 * max(22.2 * Q^(1/3), 400 m) (twice the HD 1.1 inhabited
building distance: the vulnerable-building bound, a stand-in for the rule
engine's search radius).

* kernel: ``footprint_arrays`` (shapely geometries to flat segment arrays)
  + ``pairs_within_radius`` (uniform grid, parallel, exact distances).
* shapely: ``STRtree.query(predicate="dwithin", distance=radius)`` +
  vectorised ``shapely.distance`` on the pairs found.

Each configuration runs in its own subprocess so that its peak RSS (VmHWM)
is its own (the table also gives RSS and peak RSS just before the timed runs,
i.e. after reading the synthetic depot, so the increment is visible); the kernels are compiled (or loaded from cache) and warmed on a
small depot before anything is timed.  The best of ``--repeat`` runs is
reported.  The pair sets and distances of the two methods are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _vm(key: str) -> float:
    """A /proc/self/status memory figure [MiB]."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _inputs(n: int):
    import shapely

    from depotsafe.kinds import kinds
    from depotsafe.layout import read_layout
    from depotsafe.synthetic import synthetic_depot

    depot = read_layout(synthetic_depot(n, seed=7))
    geoms = np.array([s.geometry for s in depot.sites], dtype=object)
    shapely.prepare(geoms)
    holds = {k for k, v in kinds().items() if v.holds_explosives != "no"}
    pes = np.array([i for i, s in enumerate(depot.sites) if s.kind in holds and s.stock_entries],
                   dtype=np.int64)
    q = np.zeros(len(geoms))
    for i in pes:
        q[i] = sum(e["neq_kg"] for e in depot.sites[i].stock_entries)
    radius = np.where(q > 0, 2.0 * np.maximum(22.2 * np.cbrt(q), 400.0), 0.0)
    return geoms, pes, radius


def run_kernel(geoms, pes, radius, parallel=None):
    from depotsafe.layout import footprint_arrays, pairs_within_radius

    fp = footprint_arrays(geoms)
    return pairs_within_radius(fp, pes, radius, parallel=parallel)


def run_kernel_serial(geoms, pes, radius):
    return run_kernel(geoms, pes, radius, parallel=False)


def run_shapely(geoms, pes, radius):
    import shapely

    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms[pes], predicate="dwithin", distance=radius[pes])
    pi = pes[a]
    keep = pi != b
    pi, pj = pi[keep], b[keep]
    d = shapely.distance(geoms[pi], geoms[pj])
    order = np.lexsort((pj, np.searchsorted(pes, pi)))  # pes is sorted
    return pi[order], pj[order], d[order]


def one(n: int, method: str, repeat: int) -> dict:
    """One configuration in this process."""
    g0, p0, r0 = _inputs(200)  # warm-up: compile or load the kernels
    run_kernel(g0, p0, r0, parallel=True)
    run_kernel(g0, p0, r0, parallel=False)
    run_shapely(g0, p0, r0)
    geoms, pes, radius = _inputs(n)
    rss_before = _vm("VmRSS")
    hwm_before = _vm("VmHWM")  # peak so far: building the synthetic depot
    fn = {"kernel": run_kernel, "serial": run_kernel_serial, "shapely": run_shapely}[method]
    from depotsafe.layout import footprint_arrays

    t = time.perf_counter()
    footprint_arrays(geoms)
    arrays_s = time.perf_counter() - t
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        pi, pj, d = fn(geoms, pes, radius)
        best = min(best, time.perf_counter() - t)
    out = {"n": n, "method": method, "seconds": best, "arrays_seconds": arrays_s, "pairs": int(pi.size),
           "pes": int(pes.size), "rss_before_mib": rss_before, "hwm_before_mib": hwm_before, "peak_rss_mib": _vm("VmHWM")}
    np.savez(f"/tmp/bench_geometry_{n}_{method}.npz", pi=pi, pj=pj, d=d)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--one", nargs=2, metavar=("N", "METHOD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(int(args.one[0]), args.one[1], args.repeat)))
        return 0
    rows = []
    for n in args.sizes:
        res = {}
        for method in ("kernel", "serial", "shapely"):
            p = subprocess.run(
                [sys.executable, __file__, "--one", str(n), method, "--repeat", str(args.repeat)],
                capture_output=True, text=True, check=True, env=os.environ.copy())
            res[method] = json.loads(p.stdout.strip().splitlines()[-1])
        k = np.load(f"/tmp/bench_geometry_{n}_kernel.npz")
        s = np.load(f"/tmp/bench_geometry_{n}_shapely.npz")
        k1 = np.load(f"/tmp/bench_geometry_{n}_serial.npz")
        same = bool(np.array_equal(k["pi"], s["pi"]) and np.array_equal(k["pj"], s["pj"])
                    and np.array_equal(k["pi"], k1["pi"]) and np.array_equal(k["pj"], k1["pj"]))
        maxdiff = float(np.max(np.abs(k["d"] - s["d"]))) if same and k["d"].size else float("nan")
        rows.append((n, res, same, maxdiff))
    import numba

    print(f"numba {numba.__version__}, threads {numba.get_num_threads()}, "
          f"layer {os.environ.get('NUMBA_THREADING_LAYER', 'default')}, cpus {os.cpu_count()}\n")
    print("| sites | PES | pairs | kernel [s] | of which arrays [s] | kernel 1 thread [s] | "
          "shapely [s] | speed-up (default / 1 thread) | same pairs | max abs diff [m] | "
          "peak RSS kernel / 1 thread / shapely [MiB] | RSS / peak before [MiB] |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, res, same, maxdiff in rows:
        k, k1, s = res["kernel"], res["serial"], res["shapely"]
        print(f"| {n:,} | {k['pes']:,} | {k['pairs']:,} | {k['seconds']:.4f} | "
              f"{k['arrays_seconds']:.4f} | {k1['seconds']:.4f} | {s['seconds']:.4f} | "
              f"{s['seconds'] / k['seconds']:.1f}x / {s['seconds'] / k1['seconds']:.1f}x | "
              f"{same} | {maxdiff:.1e} | {k['peak_rss_mib']:.0f} / {k1['peak_rss_mib']:.0f} / "
              f"{s['peak_rss_mib']:.0f} | {k['rss_before_mib']:.0f} / {k['hwm_before_mib']:.0f} |")
    return 0 if all(r[2] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
