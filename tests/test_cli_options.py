"""Every documented option of check, effects, siting, qd and blast, through the installed command.

Issue 16 item 1: ``--stock`` refused every stock CSV and no test ran it.  Each
option below is run at least once through the ``depotsafe`` console script
(a subprocess, as a user runs it); results are compared with the same input
given another way (stock inline vs. from the CSV) or with a published value.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

SAMPLES = resources.files("depotsafe.data").joinpath("samples")
SAMPLE = Path(str(SAMPLES.joinpath("sample_depot.geojson")))
SAMPLE_STOCK = Path(str(SAMPLES.joinpath("sample_depot_stock.csv")))


def _exe() -> str:
    here = Path(sys.executable).parent / "depotsafe"
    found = str(here) if here.exists() else shutil.which("depotsafe")
    assert found, "the depotsafe console script is not installed"
    return found


def run(*args: str, check_status: int | None = 0) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([_exe(), *args], capture_output=True, text=True, timeout=300,
                         env=os.environ | {"PYTHONUNBUFFERED": "1"})
    assert "Traceback" not in out.stderr, out.stderr
    if check_status is not None:
        assert out.returncode == check_status, out.stderr
    return out


def test_check_every_option(bare_layout: Path, tmp_path: Path) -> None:
    inline = json.loads(run("check", str(SAMPLE), "--json", check_status=1).stdout)
    out_json = tmp_path / "result.json"
    pairs = tmp_path / "pairs.csv"
    arcs_geo = tmp_path / "arcs.geojson"
    arcs_kml = tmp_path / "arcs.kml"
    res = run("check", str(bare_layout), "--stock", str(SAMPLE_STOCK), "--rule-set", "iatg",
              "--max-layout-mb", "5", "--json", "--out-json", str(out_json), "--pairs-csv", str(pairs),
              "--arcs-geojson", str(arcs_geo), "--arcs-kml", str(arcs_kml), check_status=1)
    from_csv = json.loads(res.stdout)
    assert from_csv["violations"] == inline["violations"]
    assert from_csv["summary"] == inline["summary"]
    assert from_csv["summary"]["violations"] > 0  # the hand-worked list is tests/test_check.py's
    assert json.loads(out_json.read_text()) == from_csv
    rows = list(csv.DictReader(io.StringIO(pairs.read_text(encoding="utf-8"))))
    assert len(rows) == len(from_csv["pairs"])
    assert json.loads(arcs_geo.read_text())["type"] == "FeatureCollection"
    assert arcs_kml.read_text().startswith('<?xml version="1.0"')
    # an output that cannot be written is refused before the work, nothing written
    bad = run("check", str(SAMPLE), "--out-json", "", "--pairs-csv", str(tmp_path / "none" / "p.csv"),
              check_status=2)
    assert "--out-json: got ''; an empty file name" in bad.stderr
    # human output, and a user rule-set folder (a copy of the shipped one)
    folder = tmp_path / "myrules"
    src = resources.files("depotsafe.data").joinpath("rulesets", "iatg")
    folder.mkdir()
    for entry in src.iterdir():
        if entry.is_file():
            (folder / entry.name).write_bytes(entry.read_bytes())
    human = run("check", str(bare_layout), "--stock", str(SAMPLE_STOCK), "--rule-set", str(folder),
                check_status=1)
    assert f"{from_csv['summary']['violations']} violation(s)" in human.stdout


def test_effects_every_option(bare_layout: Path, tmp_path: Path) -> None:
    inline = json.loads(run("effects", str(SAMPLE), "--event", "A1", "--json").stdout)
    sites_csv = tmp_path / "sites.csv"
    zones = tmp_path / "zones.geojson"
    res = json.loads(run("effects", str(bare_layout), "--stock", str(SAMPLE_STOCK), "--event", "A1",
                         "--explosive", "TNT", "--sparse", "--max-layout-mb", "2", "--csv", str(sites_csv), "--geojson", str(zones),
                         "--json").stdout)
    assert res["event"]["neq_kg"] == inline["event"]["neq_kg"] == 10_000.0  # A1: 10 t HD 1.1
    assert res["sites"] == inline["sites"]
    # --sparse: the open-stack fragment minimum is 270 m instead of 400 m; A1 is an igloo, so the
    # hazard zone is unchanged, and the option is accepted
    assert len(list(csv.DictReader(io.StringIO(sites_csv.read_text(encoding="utf-8"))))) == len(res["sites"])
    assert json.loads(zones.read_text())["type"] == "FeatureCollection"
    over = json.loads(run("effects", str(bare_layout), "--stock", str(SAMPLE_STOCK), "--event", "A1",
                          "--neq", "2 t", "--json").stdout)
    assert over["event"]["neq_kg"] == 2000.0
    assert over["event"]["neq_source"] == "--neq"
    text = run("effects", str(bare_layout), "--stock", str(SAMPLE_STOCK), "--event", "US1", "--sparse")
    assert text.stdout.startswith("event US1 (unbarricaded_stack), 2,000 kg NEQ of TNT")


def test_siting_every_option(bare_layout: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed.geojson"
    base = ["--kind", "igloo_7bar", "--bearing", "90", "--hd", "1.1", "--neq", "10 t", "--cell", "40 m"]
    inline = json.loads(run("siting", str(SAMPLE), *base, "--json").stdout)
    res = json.loads(run("siting", str(bare_layout), "--stock", str(SAMPLE_STOCK), *base, "--cg", "d",
                         "--length", "25 m", "--width", "10 m", "--rule-set", "iatg", "--max-layout-mb", "2",
                         "--geojson", str(allowed), "--json").stdout)
    assert res["points"] == inline["points"]
    assert res["points_allowed"] == inline["points_allowed"]
    assert res["cell_m"] == 40.0
    assert json.loads(allowed.read_text()) == res["allowed"]
    too_small = run("siting", str(bare_layout), *base, "--max-layout-mb", "0.001", check_status=2)
    assert "more than the limit of 0.001 MB" in too_small.stderr
    hd16 = run("siting", str(bare_layout), "--stock", str(SAMPLE_STOCK), "--kind", "barricaded_stack",
               "--hd", "1.6", "--cg", "N", "--neq", "3 t", "--unit-neq", "20 kg", "--cell", "40 m")
    assert "grid points (40 m) allow the new barricaded_stack" in hd16.stdout


def test_qd_every_option() -> None:
    # AASTP-1 Annex I-A Table 1: D13 = 22.2 Q^(1/3) >= 400 m, igloo rear -> inhabited building.
    out = json.loads(run("qd", "--hd", "1.1", "--cg", "d", "--neq", "20 t", "--pes", "igloo_7bar",
                         "--pes-face", "rear", "--es", "inhabited_building", "--rule-set", "iatg",
                         "--json").stdout)
    assert out["required_distance_m"] == pytest.approx(22.2 * 20000 ** (1 / 3), rel=1e-9)
    lim = json.loads(run("qd", "--hd", "1.1", "--distance", "485 m", "--pes", "igloo_7bar",
                         "--pes-face", "front", "--es", "public_traffic_route", "--traffic", "light",
                         "--json").stdout)
    assert lim["max_neq_kg"] > 0
    run("qd", "--hd", "1.1", "--neq", "1 t", "--pes", "igloo_7bar", "--pes-face", "front",
        "--es", "igloo_7bar", "--es-face", "side", "--es-door-barricade")
    run("qd", "--hd", "1.2.1", "--neq", "1 t", "--unit-neq", "1 kg", "--pes", "barricaded_stack",
        "--es", "inhabited_building", "--sparse", "--evacuable")
    hd16 = run("qd", "--hd", "1.6", "--unit-neq", "1 t", "--neq", "17.5 t", "--pes", "igloo_3bar",
               "--pes-face", "rear", "--es", "inhabited_building")
    assert hd16.stdout.startswith("HD 1.6")


def test_blast_every_option() -> None:
    fwd = json.loads(run("blast", "--neq", "10 t", "--distance", "500 m", "--explosive", "TNT",
                         "--json").stdout)
    assert fwd["incident_overpressure_kpa"] > 0
    inv = json.loads(run("blast", "--neq", "10 t", "--overpressure", f"{fwd['incident_overpressure_kpa']} kPa",
                         "--json").stdout)
    assert inv["distance_m"] == pytest.approx(500.0, rel=1e-6)
    imp = json.loads(run("blast", "--neq", "10 t", "--impulse", "100 kPa*ms", "--json").stdout)
    assert math.isfinite(imp["distance_m"])
    text = run("blast", "--neq", "22000 lb", "--distance", "1500 ft")
    assert "  incident overpressure: " in text.stdout
    assert "at 457.2 m:" in text.stdout  # 1500 ft
