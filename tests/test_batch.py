"""``depotsafe batch`` (issue 15 item 3): many layouts in parallel, each exactly as ``depotsafe check``.

Every run goes through the installed command (subprocess).  The reference for each layout's JSON
is ``depotsafe check LAYOUT --json`` run on the same file with the same options (byte for byte);
the summary rows are compared with the numbers of that JSON, not with numbers written here.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depotsafe.batch import COLUMN_NAMES, Job, Options, check_one
from depotsafe.synthetic import synthetic_depot
from test_gisio import FEATURES, POLYS, ROUTES, SAMPLE, write


def _exe() -> str:
    here = Path(sys.executable).parent / "depotsafe"
    found = str(here) if here.exists() else shutil.which("depotsafe")
    assert found, "the depotsafe console script is not installed"
    return found


def run(*args: Any, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_exe(), *map(str, args)], capture_output=True, text=True, timeout=900,
                          env=env, check=False)


def batch(*args: Any, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = run("batch", *args, "--json", env=env)
    assert proc.stdout, proc.stderr
    return proc, json.loads(proc.stdout)


def check_json(layout: Path, *options: str) -> str:
    proc = run("check", layout, "--json", *options)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def rows_by_file(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(r["file"]).name + (f"#{r['layer']}" if r["layer"] else ""): r for r in doc["layouts"]}


def expected_row(check: dict[str, Any]) -> dict[str, Any]:
    """The summary numbers of one layout from the JSON of depotsafe check (a slow, obvious reading)."""
    bad = [p for p in check["pairs"] if not p["compliant"]]
    worst = max(bad, key=lambda p: p["required_distance_m"] - p["distance_m"]) if bad else None
    s = check["summary"]
    out = {k: s[k] for k in ("sites", "storehouses", "pairs", "violations", "incompatible_sites",
                             "conditional_sites", "assessments_required", "protection_unavailable")}
    out["near_misses"] = sum(bool(p.get("near_miss")) for p in check["pairs"])
    out["status"] = "compliant" if s["compliant"] else "violations"
    out["licences_exceeded"] = sum(1 for site in check["sites"]
                                   if site.get("mixed_stock") and not site["mixed_stock"]["compliant"])
    if worst is not None:
        out.update(worst_pes=worst["pes"], worst_es=worst["es"], worst_hd=worst["hd"],
                   worst_shortfall_m=worst["required_distance_m"] - worst["distance_m"])
    return out


def _bad_layout(path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    doc["features"][0]["properties"]["kind"] = "bunker_of_doom"
    path.write_text(json.dumps(doc))


def _moved_house(doc: dict[str, Any], dx: float) -> dict[str, Any]:
    """The sample with its inhabited buildings moved ``dx`` degrees of longitude east."""
    out = json.loads(json.dumps(doc))
    for f in out["features"]:
        if f["properties"]["kind"] == "inhabited_building":
            f["geometry"]["coordinates"] = [[[x + dx, y] for x, y in ring] for ring in f["geometry"]["coordinates"]]
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("layouts")
    shutil.copy(SAMPLE, d / "sample.geojson")
    (d / "synthetic.json").write_text(json.dumps(synthetic_depot(60, seed=3)))
    write(d / "sample.fgb", FEATURES, "FlatGeobuf")
    _bad_layout(d / "broken.geojson")
    (d / "notes.txt").write_text("not a layout: a batch reads layout suffixes only\n")
    return d


@pytest.fixture(scope="module")
def first(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("results") / "out"
    cache = tmp_path_factory.mktemp("numba")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    proc, doc = batch(folder, "--out", out, "--workers", "2", "--progress", env=env)
    return out, proc, doc, cache


def test_first_run_rows_outputs_and_failures(folder: Path, first: Any) -> None:
    out, proc, doc, _cache = first
    assert proc.returncode == 2, proc.stderr  # a layout failed
    rows = rows_by_file(doc)
    assert sorted(rows) == ["broken.geojson", "sample.fgb", "sample.geojson", "synthetic.json"]
    assert doc["summary"]["failed"] == 1
    assert doc["summary"]["checked"] == 4
    assert doc["summary"]["reused"] == 0
    broken = rows["broken.geojson"]
    assert broken["status"] == "failed"
    assert "kind" in broken["error"]
    assert "bunker_of_doom" in broken["error"]
    assert "broken.geojson: failed" in proc.stderr
    assert not (out / "broken.geojson.json").exists()
    for name in ("sample.geojson", "sample.fgb", "synthetic.json"):
        assert rows[name]["status"] in ("compliant", "violations")
        assert rows[name]["error"] is None
        assert (out / f"{name}.json").is_file()
    assert "100% Completed" in proc.stderr  # the progress bar (--progress), finished


@pytest.mark.parametrize("name", ["sample.geojson", "sample.fgb", "synthetic.json"])
def test_each_output_is_what_check_prints(folder: Path, first: Any, name: str) -> None:
    out, _proc, doc, _cache = first
    reference = check_json(folder / name)
    assert (out / f"{name}.json").read_text(encoding="utf-8") == reference
    row = rows_by_file(doc)[name]
    want = expected_row(json.loads(reference))
    assert {k: row.get(k) for k in want} == want


def test_summary_files(first: Any) -> None:
    out, _proc, doc, _cache = first
    with (out / "summary.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMN_NAMES
        table = list(reader)
    assert [r["file"] for r in table] == [r["file"] for r in doc["layouts"]]
    parquet = pd.read_parquet(out / "summary.parquet")
    assert tuple(parquet.columns) == COLUMN_NAMES
    assert list(parquet["file"]) == [r["file"] for r in doc["layouts"]]
    assert list(parquet["violations"].astype("float").fillna(-1)) == [
        -1 if r["violations"] is None else r["violations"] for r in doc["layouts"]]
    for r in table:
        assert (r["output"] == "") == (r["status"] == "failed")
        assert float(r["elapsed_s"]) > 0


def test_workers_share_the_numba_cache(first: Any) -> None:
    _out, _proc, _doc, cache = first
    # the parent imports no kernel: what is in the fresh cache the workers wrote there
    assert list(cache.rglob("*.nbi")), "the workers compiled without writing the shared on-disk cache"
    assert list(cache.rglob("*.nbc"))


def test_worker_threads_share_the_cores() -> None:
    from depotsafe.batch import _worker_env

    cores = os.cpu_count() or 1
    for workers in (1, 2, 3, cores, cores + 5):
        threads = int(_worker_env(workers)["NUMBA_NUM_THREADS"])
        assert threads >= 1
        assert threads * workers <= max(cores, workers)


def test_second_run_skips_then_a_change_reruns(folder: Path, first: Any, tmp_path: Path) -> None:
    out, _proc, doc1, _cache = first
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    stamps = {p.name: p.stat().st_mtime_ns for p in copy.glob("*.geojson.json")}
    proc, doc = batch(folder, "--out", copy, "--workers", "1")
    assert proc.returncode == 2
    assert doc["summary"]["checked"] == 0
    assert doc["summary"]["reused"] == 4
    assert all(r["reused"] for r in doc["layouts"])
    assert {p.name: p.stat().st_mtime_ns for p in copy.glob("*.geojson.json")} == stamps
    for a, b in zip(doc1["layouts"], doc["layouts"], strict=True):  # the rows carried over
        assert {k: v for k, v in a.items() if k != "reused"} == {k: v for k, v in b.items() if k != "reused"}

    # change one layout and repair the broken one: only those two are checked again
    changed = tmp_path / "in"
    shutil.copytree(folder, changed)
    (changed / "sample.geojson").write_text(json.dumps(_moved_house(json.loads(SAMPLE.read_text()), 0.01)))
    shutil.copy(SAMPLE, changed / "broken.geojson")
    proc, doc = batch(changed, "--out", copy, "--workers", "2")
    assert proc.returncode == 1, proc.stderr  # violations, nothing failed
    rows = rows_by_file(doc)
    assert {n for n, r in rows.items() if not r["reused"]} == {"sample.geojson", "broken.geojson"}
    for name in ("sample.geojson", "broken.geojson"):
        assert (copy / f"{name}.json").read_text() == check_json(changed / name)

    proc, doc = batch(changed, "--out", copy, "--force")
    assert doc["summary"]["checked"] == 4
    assert doc["summary"]["reused"] == 0


def test_options_mirror_check_and_change_the_key(folder: Path, first: Any, tmp_path: Path) -> None:
    out, _proc, _doc, _cache = first
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    options = ("--rule-set", "iatg", "--protection", "high", "--rounding", "table")
    proc, doc = batch(folder / "sample.geojson", folder / "broken.geojson", "--out", copy, *options)
    assert proc.returncode == 2
    rows = rows_by_file(doc)
    assert not rows["sample.geojson"]["reused"]  # other options: checked again
    reference = check_json(folder / "sample.geojson", *options)
    assert (copy / "sample.geojson.json").read_text() == reference
    assert json.loads(reference)["rounding"] == "table"


def test_layers_and_each_layer(tmp_path: Path) -> None:
    gpkg = tmp_path / "in" / "depot.gpkg"
    gpkg.parent.mkdir()
    write(gpkg, POLYS, "GPKG", layer="sites")
    write(gpkg, ROUTES, "GPKG", layer="routes", append=True)
    proc, doc = batch(gpkg, "--out", tmp_path / "one", "--layer", "sites", "--layer", "routes")
    assert proc.returncode == run("check", gpkg, "--layer", "sites", "--layer", "routes").returncode, proc.stderr
    assert [r["layer"] for r in doc["layouts"]] == ["sites,routes"]
    assert (tmp_path / "one" / "depot.gpkg.json").read_text() == check_json(
        gpkg, "--layer", "sites", "--layer", "routes")

    proc, doc = batch(gpkg, "--out", tmp_path / "each", "--each-layer", "--max-layout-mb", "50")
    assert sorted(r["layer"] for r in doc["layouts"]) == ["routes", "sites"]
    assert (tmp_path / "each" / "depot.gpkg.layer-sites.json").read_text() == check_json(gpkg, "--layer", "sites")

    # without --layer, a file of two layers fails as in check, naming its layers
    proc, doc = batch(gpkg, "--out", tmp_path / "none")
    assert proc.returncode == 2
    assert "sites" in doc["layouts"][0]["error"]
    assert "--layer" in doc["layouts"][0]["error"]


def test_bad_usage_exits_2_and_writes_nothing(folder: Path, tmp_path: Path) -> None:
    cases = [
        ("--workers", "0"),
        ("--each-layer", "--layer", "sites"),
        ("--protection", "bulletproof"),
        ("--rule-set", "no-such-rules"),
    ]
    for extra in cases:
        out = tmp_path / "out"
        proc = run("batch", folder / "sample.geojson", "--out", out, *extra)
        assert proc.returncode == 2, extra
        assert proc.stderr.strip(), extra
        assert not (out / "summary.csv").exists(), extra
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    proc = run("batch", folder / "sample.geojson", "--out", blocker / "out")
    assert proc.returncode == 2
    assert "--out" in proc.stderr
    proc = run("batch", folder / "sample.geojson", "--out", blocker)
    assert proc.returncode == 2
    assert "--out" in proc.stderr
    proc = run("batch", tmp_path / "missing", "--out", tmp_path / "o")
    assert proc.returncode == 2
    assert "missing" in proc.stderr
    proc = run("batch", folder / "sample.geojson", "--out", tmp_path / "o2", "--max-layout-mb", "0.001")
    assert proc.returncode == 2
    assert "MB" in proc.stderr


# --------------------------------------------------------------------------- in process, against check


@settings(max_examples=8)
@given(n=st.integers(min_value=2, max_value=80), seed=st.integers(min_value=0, max_value=10_000))
def test_property_batch_row_and_json_equal_check(n: int, seed: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    import io

    from depotsafe.check import check_depot
    from depotsafe.layout import read_layout
    from depotsafe.report import write_json

    d = tmp_path_factory.mktemp("prop")
    layout = d / "depot.geojson"
    layout.write_text(json.dumps(synthetic_depot(n, seed=seed)))
    row = check_one(Job(str(layout), (), "depot.geojson.json", ""), Options("iatg", "default", "formula", (), 100.0),
                    str(d))
    buf = io.StringIO()
    write_json(check_depot(read_layout(layout), "iatg"), buf)
    assert (d / "depot.geojson.json").read_text() == buf.getvalue()
    want = expected_row(json.loads(buf.getvalue()))
    assert {k: row.get(k) for k in want} == want


# --------------------------------------------------------------------------- an existing cluster (--scheduler)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Any:
    """A Dask scheduler and one worker started as a user would (the ``dask`` command), from another folder."""
    dask_cli = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    elsewhere = tmp_path / "worker_cwd"
    elsewhere.mkdir()
    log = (tmp_path / "cluster.log").open("w")
    procs = [subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0", "--no-show"], cwd=elsewhere, stdout=log, stderr=log)]
    procs.append(subprocess.Popen([dask_cli, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                   "--no-dashboard", "--local-directory", str(tmp_path / "dask-worker")],
                                  cwd=elsewhere, stdout=log, stderr=log))
    try:
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def test_scheduler_runs_on_an_existing_cluster_as_check_does(folder: Path, first: Any, cluster: str,
                                                             tmp_path: Path) -> None:
    """Relative paths given here are read by a worker started in another folder; each JSON is check's."""
    work = tmp_path / "here"
    shutil.copytree(folder, work / "layouts")
    proc = subprocess.run([_exe(), "batch", "layouts", "--out", "results", "--scheduler", cluster, "--json"],
                          capture_output=True, text=True, timeout=900, cwd=work, check=False)
    assert proc.stdout, proc.stderr
    doc = json.loads(proc.stdout)
    assert proc.returncode == 2, proc.stderr  # broken.geojson fails there too
    rows = rows_by_file(doc)
    local = rows_by_file(first[2])
    assert sorted(rows) == sorted(local)
    for name, row in rows.items():
        assert row["file"] == str(Path("layouts") / Path(row["file"]).name)  # as given, not made absolute
        same = {k: v for k, v in row.items() if k not in ("file", "elapsed_s")}
        want = {k: v for k, v in local[name].items() if k not in ("file", "elapsed_s")}
        if want["error"]:  # the message names the file as given: the folder there, "layouts" here
            want["error"] = want["error"].replace(str(folder), "layouts")
        assert same == want, name
    for name in ("sample.geojson", "sample.fgb", "synthetic.json"):
        assert (work / "results" / f"{name}.json").read_text(encoding="utf-8") == check_json(folder / name)
    again = subprocess.run([_exe(), "batch", "layouts", "--out", "results", "--scheduler", cluster, "--json"],
                           capture_output=True, text=True, timeout=900, cwd=work, check=False)
    summary = json.loads(again.stdout)["summary"]
    assert (summary["checked"], summary["reused"]) == (0, 4)  # nothing changed: the cluster does no work


def test_scheduler_that_does_not_answer_is_refused_before_writing(folder: Path, tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    out = tmp_path / "out"
    proc = run("batch", folder / "sample.geojson", "--out", out, "--scheduler", address)
    assert proc.returncode == 2
    assert "--scheduler" in proc.stderr
    assert address in proc.stderr
    assert "running Dask scheduler" in proc.stderr
    assert not out.exists()


def test_an_interrupted_batch_keeps_what_it_finished(tmp_path: Path) -> None:
    """Killed before its manifest, a batch leaves a journal of the layouts it wrote; the next run reuses
    those (their JSON untouched), checks only the rest, and folds the journal into its manifest."""
    import signal
    import time

    src = tmp_path / "in"
    src.mkdir()
    text = json.dumps(synthetic_depot(1500, seed=11))
    for k in range(5):
        (src / f"d{k}.json").write_text(text)
    out = tmp_path / "out"
    proc = subprocess.Popen([_exe(), "batch", str(src), "--out", str(out), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    journal = out / ".depotsafe-journal"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.is_dir() and any(not p.name.startswith(".") for p in journal.iterdir()):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert not (out / "manifest.json").exists()
    assert not (out / "summary.csv").exists()
    done = sorted(p.name for p in journal.iterdir() if not p.name.startswith("."))
    assert 1 <= len(done) < 5
    stamps = {n: (out / n).stat().st_mtime_ns for n in done}

    # a damaged entry is not trusted: that layout is checked again
    (journal / "d4.json.json").write_text("{not json")
    rerun, doc = batch(src, "--out", out, "--workers", "1")
    assert rerun.returncode == 1, rerun.stderr  # violations, nothing failed
    rows = {Path(r["file"]).name: r for r in doc["layouts"]}
    assert {f"{n}.json" for n, r in rows.items() if r["reused"]} == set(done) - {"d4.json.json"}
    assert doc["summary"]["checked"] == 5 - len(set(done) - {"d4.json.json"})
    for n in set(done) - {"d4.json.json"}:
        assert (out / n).stat().st_mtime_ns == stamps[n]  # not written again
    expected = check_json(src / "d0.json")
    assert all((out / f"d{k}.json.json").read_text() == expected for k in range(5))
    assert not journal.exists()  # taken into the manifest
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["layouts"]) == [f"d{k}.json.json" for k in range(5)]


def test_a_stock_csv_beside_a_layout_is_read_with_it(tmp_path: Path) -> None:
    """NAME.stock.csv beside NAME.shp is the Shapefile depot's stock: the batch's JSON is what
    check LAYOUT --stock NAME.stock.csv prints; a changed stock file checks the layout again."""
    src = tmp_path / "in"
    src.mkdir()
    write(src / "sites.shp", POLYS, "ESRI Shapefile")
    write(src / "routes.shp", ROUTES, "ESRI Shapefile")
    stock = src / "sites.stock.csv"
    shutil.copy(SAMPLE.with_name("sample_depot_stock.csv"), stock)
    out = tmp_path / "out"
    layers = ("--layer", "sites", "--layer", "routes")
    proc, doc = batch(src / "sites.shp", "--out", out, *layers)
    assert proc.returncode == 1, proc.stderr
    (row,) = doc["layouts"]
    assert row["stock"] == "sites.stock.csv"
    assert row["storehouses"] > 0
    expected = check_json(src / "sites.shp", *layers, "--stock", str(stock))
    assert (out / "sites.shp.json").read_text() == expected
    with (out / "summary.csv").open(newline="", encoding="utf-8") as fh:
        assert next(csv.DictReader(fh))["stock"] == "sites.stock.csv"

    # the stock is part of the key: a change checks the layout again, and the JSON follows it
    lines = stock.read_text().splitlines()
    stock.write_text("\n".join(lines[:-1]) + "\n")
    proc, doc = batch(src / "sites.shp", "--out", out, *layers)
    assert doc["layouts"][0]["reused"] is False
    assert (out / "sites.shp.json").read_text() == check_json(src / "sites.shp", *layers, "--stock", str(stock))
    proc, doc = batch(src / "sites.shp", "--out", out, *layers)
    assert doc["layouts"][0]["reused"] is True
