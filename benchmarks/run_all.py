"""Run every benchmark and put their tables into the README (never edited by hand).

Run: ``python benchmarks/run_all.py [--quick]``

Each benchmark script prints a Markdown table; this script runs them one after
the other (each method of each in its own subprocess), writes the output to
``benchmarks/results/latest.md`` and replaces the block between the markers
``<!-- benchmarks:start -->`` and ``<!-- benchmarks:end -->`` of README.md.
``--quick`` runs the smallest sizes only (a smoke test; the README is then
left alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

FULL = [
    ("Whole-depot check (`bench_check.py`): synthetic depots, dense yards, igloo rows",
     ["bench_check.py", "--sizes", "1000", "10000", "100000", "--yards", "1000", "10000", "40000",
      "--rows", "2500", "40000", "--repeat", "3"]),
    ("Candidate pairs and footprint distances (`bench_geometry.py`)", ["bench_geometry.py"]),
    ("Blast field, 2000 x 2000 grid, 100 events (`bench_blast.py`)", ["bench_blast.py"]),
    ("Location risk, 2000 x 2000 grid, 100 storehouses (`bench_risk.py`)", ["bench_risk.py"]),
    ("Cold start: set-up, first page, first check (`bench_coldstart.py`)", ["bench_coldstart.py"]),
]
QUICK = [
    ("Whole-depot check (quick)", ["bench_check.py", "--sizes", "1000", "--yards", "1000", "--rows", "2500",
                                   "--repeat", "1"]),
    ("Candidate pairs (quick)", ["bench_geometry.py", "--sizes", "1000", "--repeat", "1"]),
    ("Blast field (quick)", ["bench_blast.py", "--n", "200", "--events", "10", "--sample", "500"]),
    ("Location risk (quick)", ["bench_risk.py", "--n", "200", "--events", "10"]),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    parts = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `python benchmarks/run_all.py` on "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average at start {os.getloadavg()[0]:.1f}.",
        "",
    ]
    for title, cmd in QUICK if args.quick else FULL:
        print(f"== {title}", flush=True)
        proc = subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]], capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr, file=sys.stderr)
            return 1
        print(proc.stdout, flush=True)
        parts += [f"### {title}", "", proc.stdout.strip(), ""]
    text = "\n".join(parts) + "\n"
    out = HERE / "results" / ("quick.md" if args.quick else "latest.md")
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    if not args.quick:
        readme = ROOT / "README.md"
        src = readme.read_text()
        start, end = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
        if start in src and end in src:
            head, rest = src.split(start, 1)
            _old, tail = rest.split(end, 1)
            readme.write_text(head + start + "\n" + text + end + tail)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
