"""The benchmarks still run, and the shapely pipeline they time agrees with depotsafe.

Not timed tests: each benchmark runs once on a small depot.  The figures in the
README come from ``python benchmarks/run_all.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _one(n, method):
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_check.py"), "--one", str(n), method, "--repeat", "1"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_bench_check_shapely_pipeline_agrees_with_depotsafe():
    shapely_run = _one(400, "shapely")
    ours = _one(400, "depotsafe")
    assert shapely_run["verdict_mismatches"] == 0
    assert ours["violations"] > 0  # the synthetic depot holds deliberate violations
    assert ours["seconds"] > 0


def test_warm_up_reaches_every_kernel():
    from depotsafe.kernels import aggregate, geometry, qd, reduce
    from depotsafe.warmup import warm_up

    warm_up()
    assert qd._required_distances.signatures
    assert qd._max_neqs.signatures
    assert geometry.pairs_within_radius.signatures
    assert aggregate.pairs_within_attr_caps.signatures  # the outward pairs of check_depot
    assert reduce.group_arg_extreme.signatures
