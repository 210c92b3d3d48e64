"""Synthetic depot layouts for tests and benchmarks (local metres).

A synthetic depot is a grid of blocks, each a storage area with its
neighbourhood, rotated at random:

* 16 earth-covered igloos (25 m x 10 m) in two rows of eight, 40 m centre to
  centre side by side (30 m gaps, beyond the HD 1.1 side-to-side D3 = 0.5 Q^(1/3)
  = 13.6 m at 20 t), the second row's fronts 95 m behind the first row's
  rears, all doors facing the same way;
* 4 barricaded stacks and 1 unbarricaded stack 250-350 m to the side;
* 2 workshops about 300 m behind the rows;
* 25 houses scattered 700-1,100 m from the block centre, a school in every
  fourth block 1,300 m away;
* one public road (a 3-vertex LineString) about 600 m from the centre.

Blocks are 2,500 m apart.  Every tenth block holds deliberate violations: a
house 300 m in front of the first igloo row and two stacks 12 m apart.  Stock is
inline (HD 1.1 D, 2-20 t per igloo, 1-5 t per stack, 100-500 kg per workshop).
Generation is vectorised; 100,000 sites take a few seconds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from depotsafe.errors import InputError
from depotsafe.layout import LOCAL_METRES, rectangle_coords

_BLOCK_SPACING_M = 2500.0
_N_IGLOO = 16
_N_BSTACK = 4
_N_HOUSE = 25


def _block_template(rng: np.random.Generator, violating: bool, school: bool):
    """Sites of one block in block coordinates (door normal = north)."""
    kinds: list[str] = []
    x: list[float] = []
    y: list[float] = []
    ln: list[float] = []
    wd: list[float] = []
    b: list[float] = []
    for row in range(2):
        for k in range(8):
            kinds.append("igloo_7bar" if row == 0 else "igloo_3bar")
            x.append(-140.0 + 40.0 * k)
            y.append(0.0 - 120.0 * row)
            ln.append(25.0)
            wd.append(10.0)
            b.append(0.0)
    for k in range(_N_BSTACK):
        kinds.append("barricaded_stack")
        gap = 27.0 if (violating and k == 1) else 80.0  # 15 m stacks: 12 m apart
        x.append(250.0 + (gap if k % 2 else 0.0) + (0 if k < 2 else 20.0))
        y.append(0.0 - (0 if k < 2 else 150.0))
        ln.append(15.0)
        wd.append(15.0)
        b.append(0.0)
    kinds.append("unbarricaded_stack")
    x.append(300.0)
    y.append(-320.0)
    ln.append(12.0)
    wd.append(12.0)
    b.append(0.0)
    for k in range(2):
        kinds.append("workshop")
        x.append(-120.0 + 200.0 * k)
        y.append(-440.0)
        ln.append(20.0)
        wd.append(12.0)
        b.append(90.0)
    ang = rng.uniform(0.0, 2.0 * math.pi, _N_HOUSE)
    rad = rng.uniform(700.0, 1100.0, _N_HOUSE)
    for k in range(_N_HOUSE):
        kinds.append("inhabited_building")
        if violating and k == 0:
            x.append(-120.0)
            y.append(312.5 + 6.0)  # 300 m in front of the first row
        else:
            x.append(rad[k] * math.sin(ang[k]))
            y.append(rad[k] * math.cos(ang[k]))
        ln.append(12.0)
        wd.append(10.0)
        b.append(0.0)
    if school:
        kinds.append("vulnerable_building")
        x.append(0.0)
        y.append(1300.0)
        ln.append(40.0)
        wd.append(25.0)
        b.append(0.0)
    return kinds, np.array(x), np.array(y), np.array(ln), np.array(wd), np.array(b)


def synthetic_depot(n_sites: int, seed: int = 0) -> dict[str, Any]:
    """A synthetic depot of exactly ``n_sites`` features (GeoJSON, local metres).

    Parameters
    ----------
    n_sites : int
        Number of features (>= 1).
    seed : int
        Seed of the random generator; the same seed gives the same depot.

    Returns
    -------
    dict
        A FeatureCollection with the local-metres ``crs`` member.
    """
    if not isinstance(n_sites, int) or isinstance(n_sites, bool) or n_sites < 1:
        raise InputError("n_sites", n_sites, "an integer >= 1")
    rng = np.random.default_rng(seed)
    per_block = _N_IGLOO + _N_BSTACK + 1 + 2 + _N_HOUSE + 1  # + road
    n_blocks = -(-n_sites // per_block)
    side = math.ceil(math.sqrt(n_blocks))
    kinds: list[str] = []
    cols: list[list[np.ndarray]] = [[], [], [], [], []]
    block_of: list[np.ndarray] = []
    for bi in range(n_blocks):
        k, x, y, ln, wd, b = _block_template(rng, bi % 10 == 3, bi % 4 == 1)
        kinds.extend(k)
        for c, v in zip(cols, (x, y, ln, wd, b), strict=True):
            c.append(v)
        block_of.append(np.full(len(k), bi))
    x, y, ln, wd, b = (np.concatenate(c) for c in cols)
    blk = np.concatenate(block_of)
    theta = rng.uniform(0.0, 360.0, n_blocks)  # compass rotation of each block
    bx = (np.arange(n_blocks) % side) * _BLOCK_SPACING_M + rng.uniform(-200, 200, n_blocks)
    by = (np.arange(n_blocks) // side) * _BLOCK_SPACING_M + rng.uniform(-200, 200, n_blocks)
    t = np.radians(theta[blk])
    cx = bx[blk] + x * np.cos(t) + y * np.sin(t)
    cy = by[blk] - x * np.sin(t) + y * np.cos(t)
    bearing = (b + theta[blk]) % 360.0
    rings = rectangle_coords(cx, cy, ln, wd, bearing)
    q_igloo = rng.uniform(2000.0, 20000.0, len(kinds)).round(-2)
    q_stack = rng.uniform(1000.0, 5000.0, len(kinds)).round(-2)
    q_ws = rng.uniform(100.0, 500.0, len(kinds)).round(-1)

    # one road per block, about 600 m from its centre, after the block's sites
    rx = np.array([-1000.0, 0.0, 1000.0])
    ry = np.array([-600.0, -650.0, -600.0])
    ct, st = np.cos(np.radians(theta)), np.sin(np.radians(theta))
    road_x = bx[:, None] + rx[None, :] * ct[:, None] + ry[None, :] * st[:, None]
    road_y = by[:, None] - rx[None, :] * st[:, None] + ry[None, :] * ct[:, None]
    roads = np.round(np.stack([road_x, road_y], axis=-1), 3).tolist()

    feats: list[dict[str, Any]] = []
    ring_list = np.round(rings, 3).tolist()
    n = len(kinds)
    for i, kind in enumerate(kinds):
        props: dict[str, Any] = {"id": f"S{i}", "kind": kind}
        if kind.startswith("igloo"):
            props["front_bearing_deg"] = float(bearing[i])
            props["stock"] = [{"hd": "1.1", "cg": "D", "neq_kg": float(q_igloo[i])}]
        elif kind.endswith("stack"):
            props["stock"] = [{"hd": "1.1", "cg": "D", "neq_kg": float(q_stack[i])}]
        elif kind == "workshop":
            props["stock"] = [{"hd": "1.1", "cg": "D", "neq_kg": float(q_ws[i])}]
        elif kind == "inhabited_building":
            props["persons"] = 4
        elif kind == "vulnerable_building":
            props["persons"] = 200
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Polygon", "coordinates": [ring_list[i]]}})
        if i + 1 == n or blk[i + 1] != blk[i]:
            r = int(blk[i])
            feats.append({
                "type": "Feature",
                "properties": {"id": f"R{r}", "kind": "public_traffic_route",
                               "traffic": "heavy" if r % 2 else "light"},
                "geometry": {"type": "LineString", "coordinates": roads[r]},
            })
        if len(feats) >= n_sites:
            break
    feats = feats[:n_sites]
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
        "features": feats,
    }
