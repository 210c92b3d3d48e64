"""Synthetic depots: exact size, deterministic, valid, with their deliberate violations."""

from __future__ import annotations

import numpy as np
import pytest

from depotsafe.errors import InputError
from depotsafe.layout import (
    LOCAL_METRES,
    depot_arrays,
    pairs_within_radius,
    read_layout,
)
from depotsafe.synthetic import synthetic_depot


@pytest.mark.parametrize("n", [1, 7, 49, 50, 51, 1000])
def test_exact_size_and_valid(n):
    fc = synthetic_depot(n, seed=3)
    assert len(fc["features"]) == n
    assert fc["crs"]["properties"]["name"] == LOCAL_METRES
    d = read_layout(fc)  # raises on any invalid feature
    assert len({s.id for s in d.sites}) == n


def test_deterministic():
    assert synthetic_depot(300, seed=5) == synthetic_depot(300, seed=5)
    assert synthetic_depot(300, seed=5) != synthetic_depot(300, seed=6)


def test_realistic_spacing_and_violations():
    d = read_layout(synthetic_depot(600, seed=1))  # blocks 0..12; block 3 violates
    fp, _bearing = depot_arrays(d)
    kinds = np.array([s.kind for s in d.sites])
    igloo = np.flatnonzero(np.char.startswith(kinds.astype(str), "igloo"))
    _pi, pj, dist = pairs_within_radius(fp, igloo, np.full(len(d.sites), 20.0))
    # igloos never overlap anything, and the igloo rows keep 30 m side gaps:
    # within 20 m of an igloo there is no other igloo
    assert not np.any(dist == 0.0)
    assert not np.any(np.isin(pj, igloo))
    house = np.flatnonzero(kinds == "inhabited_building")
    _pi, pj, dist = pairs_within_radius(fp, igloo, np.full(len(d.sites), 400.0))
    near_house = np.isin(pj, house)
    # the deliberate house 300 m in front of the first row of block 3
    assert np.any(near_house & (np.abs(dist - 300.0) < 1.0))
    stacks = np.flatnonzero(kinds == "barricaded_stack")
    _si, sj, sd = pairs_within_radius(fp, stacks, np.full(len(d.sites), 20.0))
    assert np.any(np.isin(sj, stacks) & (np.abs(sd - 12.0) < 1e-3))  # mm-rounded corners


def test_bad_size():
    with pytest.raises(InputError, match="n_sites: got 0; an integer >= 1"):
        synthetic_depot(0)


@pytest.mark.slow
def test_hundred_thousand_sites():
    """The generator's largest benchmark size (its speed is measured in benchmarks/, not here)."""
    fc = synthetic_depot(100_000, seed=0)
    assert len(fc["features"]) == 100_000
    assert len({f["properties"]["id"] for f in fc["features"]}) == 100_000
