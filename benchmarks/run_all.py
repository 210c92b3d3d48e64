"""Run every benchmark and put their tables into the README (never edited by hand).

Run: ``python benchmarks/run_all.py [--quick] [--only bench_check.py ...]``

Each benchmark script prints a Markdown table; this script runs them one after
the other (each method of each in its own subprocess), writes the output to
``benchmarks/results/latest.md`` and replaces the block between the markers
``<!-- benchmarks:start -->`` and ``<!-- benchmarks:end -->`` of README.md.
Each section carries its own stamp (time, machine, load average at its start).
``--only SCRIPT ...`` runs those benchmarks and replaces only their sections,
keeping the others as they were measured.  ``--quick`` runs the smallest sizes
only (a smoke test; the README is then left alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

FULL = [
    ("Whole-depot check (`bench_check.py`): synthetic depots, dense yards, igloo rows",
     ["bench_check.py", "--sizes", "1000", "10000", "100000", "--yards", "1000", "10000", "40000",
      "--rows", "2500", "40000", "--shapely-max", "5000", "--repeat", "3"]),
    ("Whole processes on small depots, repeated (`bench_process.py`)",
     ["bench_process.py", "--sizes", "1000", "10000", "--repeat", "5"]),
    ("Candidate pairs and footprint distances (`bench_geometry.py`)", ["bench_geometry.py"]),
    ("Blast field, 2000 x 2000 grid, 100 events (`bench_blast.py`)", ["bench_blast.py"]),
    ("Location risk, 2000 x 2000 grid, 100 storehouses (`bench_risk.py`)", ["bench_risk.py"]),
    ("Cold start: set-up, first page, first check (`bench_coldstart.py`)", ["bench_coldstart.py"]),
    ("Reading a layout, per format (`bench_formats.py`)", ["bench_formats.py"]),
    ("Many depots: batch on 1 and 2 workers against a loop of check (`bench_batch.py`)",
     ["bench_batch.py", "--copies", "20", "100", "--large", "5000", "--large-copies", "10", "--many", "1000", "500"]),
]
QUICK = [
    ("Whole-depot check (quick)", ["bench_check.py", "--sizes", "1000", "--yards", "1000", "--rows", "2500",
                                   "--repeat", "1"]),
    ("Whole processes (quick)", ["bench_process.py", "--sizes", "1000", "--repeat", "1"]),
    ("Candidate pairs (quick)", ["bench_geometry.py", "--sizes", "1000", "--repeat", "1"]),
    ("Blast field (quick)", ["bench_blast.py", "--n", "200", "--events", "10", "--sample", "500"]),
    ("Location risk (quick)", ["bench_risk.py", "--n", "200", "--events", "10"]),
    ("Reading a layout (quick)", ["bench_formats.py", "--sizes", "1000", "--repeat", "1"]),
    ("Many depots (quick)", ["bench_batch.py", "--copies", "4", "--large-copies", "--many", "200", "3"]),
]


START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def _stamp() -> str:
    return (
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `python benchmarks/run_all.py` on "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average at start {os.getloadavg()[0]:.1f}."
    )


def _sections(block: str) -> dict[str, str]:
    """The README block's sections by script name (``### title ... (`bench_x.py`)``).

    A section written before sections carried their own stamp gets the block's
    stamp, under which it was measured.
    """
    first = block.split("\n### ", 1)[0]
    common = next((ln for ln in first.splitlines() if ln.startswith("Measured ")), None)
    out: dict[str, str] = {}
    for chunk in block.split("\n### ")[1:]:
        lines = chunk.rstrip().splitlines()
        found = re.search(r"`(bench_\w+\.py)`", lines[0])
        if found is None:
            continue
        if common and not any(ln.startswith("Measured ") for ln in lines):
            lines[1:1] = ["", common]
        out[found.group(1)] = "### " + "\n".join(lines) + "\n"
    return out


def replace_sections(readme_text: str, new: dict[str, str]) -> str:
    """The README with the sections of ``new`` (by script) replaced, the others kept as measured."""
    if START not in readme_text or END not in readme_text:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    head, rest = readme_text.split(START, 1)
    block, tail = rest.split(END, 1)
    old = _sections(block)
    parts = [
        "Each section says when and under what load it was measured; `--only` re-measures some of them.",
        "",
    ]
    for _title, cmd in FULL:
        text = new.get(cmd[0], old.get(cmd[0]))
        if text:
            parts.append(text.rstrip() + "\n")
    return head + START + "\n" + "\n".join(parts) + "\n" + END + tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="+", metavar="SCRIPT", choices=[c[0] for _t, c in FULL],
                    help="run only these benchmark scripts and replace only their sections of the README")
    args = ap.parse_args(argv)
    runs = [(t, c) for t, c in (QUICK if args.quick else FULL) if not args.only or c[0] in args.only]
    new: dict[str, str] = {}
    for title, cmd in runs:
        print(f"== {title}", flush=True)
        stamp = _stamp()
        proc = subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]], capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr, file=sys.stderr)
            return 1
        print(proc.stdout, flush=True)
        new[cmd[0]] = "\n".join([f"### {title}", "", stamp, "", proc.stdout.strip(), ""])
    text = "\n".join(new.values())
    if not args.quick:
        readme = ROOT / "README.md"
        updated = replace_sections(readme.read_text(), new)
        readme.write_text(updated)
        text = updated.split(START, 1)[1].split(END, 1)[0].lstrip("\n")  # every section, as in the README
    out = HERE / "results" / ("quick.md" if args.quick else "latest.md")
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
