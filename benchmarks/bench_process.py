"""Whole processes on small depots: ``depotsafe check`` against the shapely pipeline, repeated.

``bench_check.py`` starts each whole process once per depot, beside its in-process methods; on
small depots, where both processes spend most of their time starting, one run is too noisy for a
ratio.  This runs ``depotsafe check LAYOUT --out-json FILE`` and the shapely pipeline script
(``bench_check.py --pipeline``) ``--repeat`` times each on the same layout files, alternated so
that a change of load falls on both sides, and reports the medians, every run, and the start-up
floor both pay: a Python process that only imports numpy, shapely and numba.

    python benchmarks/bench_process.py --sizes 1000 10000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_check  # noqa: E402


def floor_seconds() -> float:
    """Wall time of a Python process that imports numpy, shapely and numba and does nothing else."""
    dt, _usage, code, err = bench_check._wait_timed([sys.executable, "-c", "import numpy, shapely, numba"])
    if code != 0:
        raise RuntimeError(err)
    return dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--yards", type=int, nargs="*", default=[])
    ap.add_argument("--rows", type=int, nargs="*", default=[])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import numba
    import shapely

    specs = [str(n) for n in args.sizes] + [f"yard{n}" for n in args.yards] + [f"rows{n}" for n in args.rows]
    load0 = os.getloadavg()[0]
    floor = [floor_seconds() for _ in range(args.repeat)]
    rows = []
    for spec in specs:
        ds, pl = [], []
        for _ in range(args.repeat):
            ds.append(bench_check.run_process(spec))
            pl.append(bench_check.run_pipeline_process(spec))
        rows.append((spec, ds, pl))
    f = statistics.median(floor)
    print(f"Whole processes; numba {numba.__version__}, shapely {shapely.__version__}, {os.cpu_count()} CPUs, "
          f"{args.repeat} runs of each side, alternated; load average at start {load0:.2f}, at the end "
          f"{os.getloadavg()[0]:.2f}.")
    print()
    print("`depotsafe check LAYOUT --out-json FILE` against the shapely pipeline script (as in the whole-depot "
          "table), each started as a command on a layout file written beforehand. Start-up floor: a Python process "
          f"that only imports numpy, shapely and numba takes {f:.2f} s (median of {args.repeat}; runs "
          f"{', '.join(f'{t:.2f}' for t in floor)}); both sides pay it.")
    print()
    print("| depot | sites | depotsafe median [s] | depotsafe runs [s] | depotsafe CPU median [s] "
          "| shapely pipeline median [s] | pipeline runs [s] | pipeline / depotsafe | depotsafe above the floor [s] |")
    print("|---|---|---|---|---|---|---|---|---|")
    kind = {"yard": "dense yard", "rows": "igloo rows"}
    for spec, ds, pl in rows:
        d = statistics.median(r["seconds"] for r in ds)
        p = statistics.median(r["seconds"] for r in pl)
        n = int("".join(ch for ch in spec if ch.isdigit()))
        d_runs = ", ".join(f"{r['seconds']:.2f}" for r in ds)
        p_runs = ", ".join(f"{r['seconds']:.2f}" for r in pl)
        cpu = statistics.median(r["cpu_s"] for r in ds)
        print(f"| {kind.get(spec[:4], 'synthetic')} | {n:,} | {d:.2f} | {d_runs} | {cpu:.2f} | {p:.2f} | {p_runs} "
              f"| {p / d:.1f}x | {d - f:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
