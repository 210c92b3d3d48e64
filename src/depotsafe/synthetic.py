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


def _collection(feats: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
            "features": feats}


def _rect_features(prefix: str, kind: str, cx: np.ndarray, cy: np.ndarray, length: float, width: float,
                   bearing: float, props: list[dict[str, Any]]) -> list[dict[str, Any]]:
    n = cx.size
    rings = np.round(rectangle_coords(cx, cy, np.full(n, length), np.full(n, width), np.full(n, bearing)), 3)
    return [{"type": "Feature", "properties": {"id": f"{prefix}{i}", "kind": kind, **props[i]},
             "geometry": {"type": "Polygon", "coordinates": [rings[i].tolist()]}} for i in range(n)]


def dense_yard(n_stacks: int, n_houses: int = 2000, seed: int = 0) -> dict[str, Any]:
    """A field storage area: ``n_stacks`` unbarricaded stacks in a dense grid, houses around.

    Stacks 12 m x 20 m, 10 m apart (every neighbour closer than its inter-magazine
    distance, so the whole yard is one aggregation group), 0.5-10 t HD 1.1 D each;
    ``n_houses`` houses 12 m x 10 m scattered 300-1,500 m outside the yard's edge.
    Local metres.
    """
    if not isinstance(n_stacks, int) or isinstance(n_stacks, bool) or n_stacks < 1:
        raise InputError("n_stacks", n_stacks, "an integer >= 1")
    rng = np.random.default_rng(seed)
    cols = max(1, round(math.sqrt(n_stacks * 30.0 / 22.0)))
    k = np.arange(n_stacks)
    cx = (k % cols) * 22.0
    cy = (k // cols) * 30.0
    q = rng.uniform(500.0, 10000.0, n_stacks).round(-1)
    feats = _rect_features("Y", "unbarricaded_stack", cx, cy, 20.0, 12.0, 0.0,
                           [{"stock": [{"hd": "1.1", "cg": "D", "neq_kg": float(v)}]} for v in q])
    x0, x1, y0, y1 = cx.min() - 6, cx.max() + 6, cy.min() - 10, cy.max() + 10
    ang = rng.uniform(0.0, 2 * math.pi, n_houses)
    gap = rng.uniform(300.0, 1500.0, n_houses)
    # a point on the yard's edge in direction ang, pushed out by gap
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    hw, hh = (x1 - x0) / 2, (y1 - y0) / 2
    s = np.minimum(hw / np.maximum(np.abs(np.sin(ang)), 1e-9), hh / np.maximum(np.abs(np.cos(ang)), 1e-9))
    hx = mx + (s + gap) * np.sin(ang)
    hy = my + (s + gap) * np.cos(ang)
    feats += _rect_features("H", "inhabited_building", hx, hy, 12.0, 10.0, 0.0, [{"persons": 4}] * n_houses)
    return _collection(feats)


def igloo_rows(n_igloos: int, per_row: int = 200, n_houses: int = 200, seed: int = 0) -> dict[str, Any]:
    """Igloos in rows on a plain compliant depot, houses far away.

    Igloos (7 bar, 25 m x 10 m) with doors north, 40 m centre to centre side by side,
    rows 120 m apart, 1-10 t HD 1.1 D each; ``n_houses`` houses in a cluster 14 km
    north of the last row.  Local metres.
    """
    if not isinstance(n_igloos, int) or isinstance(n_igloos, bool) or n_igloos < 1:
        raise InputError("n_igloos", n_igloos, "an integer >= 1")
    rng = np.random.default_rng(seed)
    per_row = min(per_row, n_igloos)
    k = np.arange(n_igloos)
    cx = (k % per_row) * 40.0
    cy = (k // per_row) * 120.0
    q = rng.uniform(1000.0, 10000.0, n_igloos).round(-1)
    feats = _rect_features("G", "igloo_7bar", cx, cy, 25.0, 10.0, 0.0,
                           [{"front_bearing_deg": 0.0, "stock": [{"hd": "1.1", "cg": "D", "neq_kg": float(v)}]}
                            for v in q])
    hx = cx.mean() + rng.uniform(-1500.0, 1500.0, n_houses)
    hy = cy.max() + 14000.0 + rng.uniform(0.0, 1000.0, n_houses)
    feats += _rect_features("H", "inhabited_building", hx, hy, 12.0, 10.0, 0.0, [{"persons": 4}] * n_houses)
    return _collection(feats)
