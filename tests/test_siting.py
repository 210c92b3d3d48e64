"""Siting map: each grid verdict equals the whole-depot check with the candidate added."""

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
from depotsafe.errors import InputError
from depotsafe.layout import Site, read_layout, rectangle_coords
from depotsafe.siting import siting_map

SAMPLE = Path(str(resources.files("depotsafe.data").joinpath("samples/sample_depot.geojson")))


@pytest.fixture(scope="module")
def depot():
    return read_layout(SAMPLE)


@pytest.fixture(scope="module")
def siting(depot):
    return siting_map(depot, "igloo_7bar", "1.1", 10000.0, front_bearing_deg=30.0, cell_m=40.0)


def test_grid_verdicts_equal_the_check_with_the_candidate_added(depot, siting):
    rng = np.random.default_rng(0)
    ok_idx = np.flatnonzero(siting.ok)
    bad_idx = np.flatnonzero(~siting.ok)
    assert ok_idx.size > 0
    assert bad_idx.size > 0
    picks = np.concatenate([rng.choice(ok_idx, 12, replace=False), rng.choice(bad_idx, 12, replace=False)])
    for c in picks:
        ring = rectangle_coords(siting.x_m[c], siting.y_m[c], 25.0, 10.0, 30.0)[0]
        cand = Site(id="NEW", name="NEW", kind="igloo_7bar", geometry=shapely.Polygon(ring), front_bearing_deg=30.0,
                    stock_entries=({"hd": "1.1", "cg": "D", "neq_kg": 10000.0},))
        aug = replace(depot, sites=(*depot.sites, cand))
        result = check_depot(aug)
        overlap = any(s.geometry.intersects(cand.geometry) for s in depot.sites)
        grouped = any("NEW" in g for g in result.groups)
        failing = [v for v in result.iter_violations() if "NEW" in (v["pes"], v["es"])]
        expected_ok = not overlap and not grouped and not failing
        assert bool(siting.ok[c]) == expected_ok, (c, failing[:2], grouped, overlap)


def test_allowed_polygons_cover_exactly_the_allowed_points(siting):
    pts = shapely.points(siting.x_m, siting.y_m)
    inside = shapely.contains(siting.allowed, pts)
    np.testing.assert_array_equal(inside, siting.ok)
    assert siting.allowed.area == pytest.approx(siting.ok.sum() * 40.0**2, rel=1e-6)


def test_bad_candidate_inputs(depot):
    with pytest.raises(InputError, match="front_bearing_deg: got None; igloo_7bar is earth-covered"):
        siting_map(depot, "igloo_7bar", "1.1", 1000.0)
    with pytest.raises(InputError, match="kind: got 'inhabited_building'; a storehouse must"):
        siting_map(depot, "inhabited_building", "1.1", 1000.0)
    with pytest.raises(InputError, match="neq_kg: got -1"):
        siting_map(depot, "barricaded_stack", "1.1", -1.0)
    with pytest.raises(InputError, match=r"cell_m: got 0.5; a grid of at most"):
        siting_map(depot, "barricaded_stack", "1.1", 1000.0, cell_m=0.5)


def test_cli_siting(tmp_path, capsys):
    out = tmp_path / "allowed.geojson"
    assert main(["siting", str(SAMPLE), "--kind", "barricaded_stack", "--hd", "1.1", "--neq", "2 t", "--cell", "50 m",
                 "--geojson", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["points_allowed"] > 0
    doc = json.loads(out.read_text())
    assert doc["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
