"""``depotsafe warmup``: compile the Numba kernels into the on-disk cache.

``bash scripts/run-app`` runs it once after installing, so neither the app's
first page nor the first ``depotsafe check`` waits on the compiler.  The
cache is the one the app and every command use (``depotsafe.cache``):
``~/.cache/depotsafe/numba/<version>-<kernel hash>``, moved by
``$DEPOTSAFE_CACHE_DIR``; an explicit ``NUMBA_CACHE_DIR`` wins.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``warmup`` command."""
    parser = subparsers.add_parser(
        "warmup",
        help="compile the kernels into the on-disk cache (done once at set-up)",
        description=(
            "Compile every Numba kernel once and store the machine code in depotsafe's cache, "
            "shared by the app and the command line. A second run only loads the cache."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the cache folder and the time taken, as JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    """Warm every kernel up, saying what it does on stderr."""
    from depotsafe.warmup import STEPS, warm_up

    cache = os.environ.get("NUMBA_CACHE_DIR", "")
    where = cache or "memory only (no writable cache folder)"
    t0 = time.perf_counter()

    def progress(k: int, step: str) -> None:
        sys.stderr.write(f"depotsafe warmup: [{k + 1}/{len(STEPS)}] {step} "
                         f"({time.perf_counter() - t0:.0f} s)\n")
        sys.stderr.flush()

    sys.stderr.write(f"depotsafe warmup: compiling the kernels into {where} "
                     "(about a minute the first time, seconds after that)\n")
    warm_up(progress)
    seconds = time.perf_counter() - t0
    if args.json:
        from depotsafe.cli import print_json

        print_json({"cache_dir": cache or None, "seconds": round(seconds, 3)})
    else:
        sys.stderr.write(f"depotsafe warmup: kernels ready in {seconds:.1f} s\n")
    return 0
