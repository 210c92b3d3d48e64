"""Siting next to very sensitive contents (decision 30): the map agrees with the whole-depot check.

AASTP-1 (2006) §1.3.1.4 (p. I-3-2): inter-magazine distances "should not be used" toward very
sensitive contents, which need an individual assessment.  A place where the check, with the
candidate added, would ask for that assessment is not an allowed place; the reference is
``check_depot`` itself on the depot with the candidate built in.
"""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import shapely

from depotsafe.check import check_depot
from depotsafe.cli import main
from depotsafe.layout import Site, read_layout, rectangle_coords
from depotsafe.siting import siting_map

SAMPLE = Path(str(resources.files("depotsafe.data").joinpath("samples/sample_depot.geojson")))


def _sample_with_marked(site_kind: str = "igloo_7bar") -> tuple[dict, str]:
    fc = json.loads(SAMPLE.read_text())
    feat = next(f for f in fc["features"] if f["properties"].get("kind") == site_kind)
    feat["properties"]["very_sensitive"] = True
    return fc, feat["properties"]["id"]


def _agrees_with_the_check(depot, result, kind, bearing, cg, neq_kg, n=24) -> int:  # noqa: ANN001
    """Compare the grid verdict at sampled points with the check of the depot with the candidate; return
    how many sampled failing points needed an assessment."""
    rng = np.random.default_rng(1)
    ok_idx = np.flatnonzero(result.ok)
    bad_idx = np.flatnonzero(~result.ok)
    picks = np.concatenate([rng.choice(ok_idx, min(n, ok_idx.size), replace=False),
                            rng.choice(bad_idx, min(n, bad_idx.size), replace=False)])
    assessed = 0
    for c in picks:
        ring = rectangle_coords(result.x_m[c], result.y_m[c], 25.0, 10.0, bearing or 0.0)[0]
        cand = Site(id="NEW", name="NEW", kind=kind, geometry=shapely.Polygon(ring), front_bearing_deg=bearing,
                    stock_entries=({"hd": "1.1", "cg": cg, "neq_kg": neq_kg},))
        check = check_depot(replace(depot, sites=(*depot.sites, cand)))
        overlap = any(s.geometry.intersects(cand.geometry) for s in depot.sites)
        grouped = any("NEW" in g for g in check.groups)
        failing = [v for v in check.iter_violations() if "NEW" in (v["pes"], v["es"])]
        assessed += any(v.get("assessment_required") for v in failing)
        assert bool(result.ok[c]) == (not overlap and not grouped and not failing), (c, failing[:2], grouped)
    return assessed


def test_a_marked_site_closes_its_reach_to_a_new_storehouse() -> None:
    fc, marked = _sample_with_marked()
    depot = read_layout(fc)
    plain = siting_map(read_layout(json.loads(SAMPLE.read_text())), "igloo_7bar", "1.1", 10000.0,
                       front_bearing_deg=30.0, cell_m=40.0)
    result = siting_map(depot, "igloo_7bar", "1.1", 10000.0, front_bearing_deg=30.0, cell_m=40.0)
    # the marked site only ever takes places away, never adds one
    assert not np.any(result.ok & ~plain.ok)
    assert np.count_nonzero(plain.ok & ~result.ok) > 0
    assert any(marked in note and "§1.3.1.4" in note for note in result.notes)
    assert _agrees_with_the_check(depot, result, "igloo_7bar", 30.0, "D", 10000.0) > 0


def test_a_new_storehouse_of_group_a_needs_an_assessment_near_every_explosion_site() -> None:
    depot = read_layout(json.loads(SAMPLE.read_text()))
    plain = siting_map(depot, "barricaded_stack", "1.1", 500.0, cg="D", cell_m=40.0)
    result = siting_map(depot, "barricaded_stack", "1.1", 500.0, cg="A", cell_m=40.0)
    assert not np.any(result.ok & ~plain.ok)
    assert np.count_nonzero(plain.ok & ~result.ok) > 0
    assert any("compatibility group A" in note for note in result.notes)
    assert _agrees_with_the_check(depot, result, "barricaded_stack", None, "A", 500.0) > 0


def test_cli_siting_names_the_assessment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fc, marked = _sample_with_marked()
    path = tmp_path / "marked.geojson"
    path.write_text(json.dumps(fc))
    assert main(["siting", str(path), "--kind", "igloo_7bar", "--bearing", "30", "--hd", "1.1", "--neq", "10 t",
                 "--cell", "40 m", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any(marked in note for note in out["notes"])
    assert main(["siting", str(SAMPLE), "--kind", "igloo_7bar", "--bearing", "30", "--hd", "1.1", "--neq", "10 t",
                 "--cell", "40 m", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == []
