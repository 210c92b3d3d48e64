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


def test_bench_check_pipeline_process_reads_the_file_and_writes_the_pairs(tmp_path):
    """The whole-process shapely pipeline reads the layout file itself (not through depotsafe),
    writes every pair it judged, and its failures are depotsafe's violations outside groups."""
    sys.path.insert(0, str(BENCH))
    try:
        import bench_check
    finally:
        sys.path.remove(str(BENCH))
    from depotsafe.check import check_depot
    from depotsafe.layout import read_layout
    from depotsafe.synthetic import synthetic_depot

    collection = synthetic_depot(300, seed=1)
    layout = tmp_path / "layout.geojson"
    layout.write_text(json.dumps(collection))
    out = tmp_path / "pairs.json"
    subprocess.run([sys.executable, str(BENCH / "bench_check.py"), "--pipeline", str(layout), str(out)],
                   check=True, capture_output=True, text=True)
    pairs = json.loads(out.read_text())["pairs"]
    depot = read_layout(collection)
    _info, (pi, pj, _d, _req) = bench_check.run_shapely(depot)
    ids = [s.id for s in depot.sites]
    assert [(p["pes"], p["es"]) for p in pairs] == [(ids[a], ids[b]) for a, b in zip(pi, pj, strict=True)]
    result = check_depot(depot)
    grouped = {sid for g in result.groups for sid in g}
    ours = {(ids[a], ids[b]) for a, b, d, r, g in zip(result.pair_pes, result.pair_es, result.pair_distance_m,
                                                    result.pair_required_m, result.pair_group, strict=True)
            if d < r and g < 0}
    theirs = {(p["pes"], p["es"]) for p in pairs if not p["complies"] and p["pes"] not in grouped}
    assert theirs and theirs == ours


def test_warm_up_reaches_every_kernel():
    from depotsafe.kernels import aggregate, geometry, qd, reduce, risk
    from depotsafe.warmup import warm_up

    warm_up()
    assert qd._required_distances.signatures
    assert qd._max_neqs.signatures
    assert geometry.pairs_within_radius.signatures
    assert aggregate.pairs_within_attr_caps.signatures  # the outward pairs of check_depot
    assert reduce.group_arg_extreme.signatures
    assert risk.location_risk.signatures and risk.blast_scan.signatures  # the Risk page's first click


def test_run_all_only_replaces_the_sections_it_ran():
    """`run_all.py --only` keeps every other section as it was measured, with its own stamp."""
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    old_stamp = "Measured 2026-01-01 00:00 UTC by `python benchmarks/run_all.py` on x, 2 CPUs, load 1.0."
    readme = "\n".join([
        "intro", run_all.START, old_stamp, "",
        "### Whole-depot check (`bench_check.py`)", "", "| a | 1.0 |", "",
        "### Blast field (`bench_blast.py`)", "", "blast 3.39 s", "",
        run_all.END, "outro",
    ])
    new_check = "### Whole-depot check (`bench_check.py`)\n\nMeasured now, load 0.5.\n\n| a | 2.0 |\n"
    out = run_all.replace_sections(readme, {"bench_check.py": new_check})
    assert out.startswith("intro\n" + run_all.START) and out.endswith(run_all.END + "\noutro")
    block = out.split(run_all.START)[1].split(run_all.END)[0]
    assert "| a | 2.0 |" in block and "| a | 1.0 |" not in block
    blast = block.split("### Blast field")[1]
    assert "blast 3.39 s" in blast and old_stamp in blast  # kept, under the stamp it was measured with
    assert block.index("bench_check.py") < block.index("bench_blast.py")  # the order of FULL
    assert run_all.replace_sections(out, {}) == out  # idempotent once every section has its stamp


def test_run_all_only_names_a_benchmark_script(capsys):
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    try:
        run_all.main(["--only", "bench_nothing.py"])
    except SystemExit as exc:
        assert exc.code == 2
    else:  # pragma: no cover
        raise AssertionError("an unknown script was accepted")
    err = capsys.readouterr().err
    assert "bench_nothing.py" in err and "bench_check.py" in err  # the value and what is allowed


def test_bench_formats_reads_every_format_to_the_same_sites():
    """Every format of the read benchmark is written and read back in full, by depotsafe and bare."""
    out = subprocess.run([sys.executable, str(BENCH / "bench_formats.py"), "--sizes", "300", "--repeat", "1"],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    rows = [line.split("|")[1:-1] for line in out.stdout.splitlines() if line.startswith("| 300 |")]
    assert [r[1].strip() for r in rows] == ["geojson-inline", "geojson", "gpkg", "shp", "fgb", "kml"]
    for r in rows:
        assert r[-1].strip() == "300"  # depotsafe read every feature
        assert float(r[3]) > 0
        assert float(r[4]) > 0


def test_bench_batch_serial_loop_and_batch_write_the_same_json():
    """The batch benchmark's serial run, plain loop and Dask batch give the same files (its exit status)."""
    out = subprocess.run([sys.executable, str(BENCH / "bench_batch.py"), "--copies", "2", "--large-copies",
                          "--many", "150", "2"], capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith(("| sample |", "| synthetic150 |"))]
    assert len(rows) == 2
    assert all(r.rstrip().endswith("| yes |") for r in rows)


def test_bench_process_runs_both_sides_and_reports_their_ratio():
    """The repeated whole-process benchmark runs depotsafe and the pipeline each time and reports both."""
    out = subprocess.run([sys.executable, str(BENCH / "bench_process.py"), "--sizes", "300", "--repeat", "2"],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    (row,) = [line.split("|")[1:-1] for line in out.stdout.splitlines() if line.startswith("| synthetic | 300 |")]
    d, d_runs, p, p_runs, ratio = float(row[2]), row[3].split(","), float(row[5]), row[6].split(","), row[7]
    assert len(d_runs) == 2 and len(p_runs) == 2  # every run of each side is shown
    assert min(map(float, d_runs)) <= d <= max(map(float, d_runs))
    assert min(map(float, p_runs)) <= p <= max(map(float, p_runs))
    assert ratio.strip() == f"{p / d:.1f}x" or abs(float(ratio.strip()[:-1]) - p / d) < 0.06
