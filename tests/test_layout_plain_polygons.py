"""read_layout builds plain polygons all at once (layout._plain_polygons); the answer
must be the one of the general path (shapely.geometry.shape and is_valid_reason per
feature): the same sites, geometries and messages, on random layouts mixing plain
rings with every kind of bad or unusual geometry."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotsafe import layout
from depotsafe.errors import LayoutError

_VARIANTS = ["rect"] * 24 + ["ints", "bowtie", "open", "short", "three_d", "bool", "text", "nan", "inf",
             "hole", "huge_int", "far", "line", "tuple_pos", "no_coords", "two_rings"]


def _geometry(v: str, x: float, y: float) -> dict:
    rect = [[x, y], [x + 10.5, y], [x + 10.5, y + 20.25], [x, y + 20.25], [x, y]]
    coords: object = [rect]
    if v == "ints":
        coords = [[[int(x), int(y)], [int(x) + 10, int(y)], [int(x) + 10, int(y) + 20], [int(x), int(y)]]]
    elif v == "bowtie":
        coords = [[[x, y], [x + 10, y + 10], [x + 10, y], [x, y + 10], [x, y]]]
    elif v == "open":
        coords = [[*rect[:-1], [x + 1.0, y]]]
    elif v == "short":
        coords = [[[x, y], [x + 1.0, y], [x, y]]]
    elif v == "three_d":
        coords = [[[*p, 0.0] for p in rect]]
    elif v == "bool":
        coords = [[[True, y], *rect[1:-1], [True, y]]]
    elif v == "text":
        coords = [[["1.0", y], *rect[1:]]]
    elif v == "nan":
        coords = [[[math.nan, y], *rect[1:]]]
    elif v == "inf":
        coords = [[rect[0], [math.inf, y], *rect[2:]]]
    elif v == "hole":
        coords = [rect, [[x + 1, y + 1], [x + 2, y + 1], [x + 2, y + 2], [x + 1, y + 2], [x + 1, y + 1]]]
    elif v == "huge_int":
        coords = [[[10 ** 30, y], *rect[1:-1], [10 ** 30, y]]]
    elif v == "far":
        coords = [[[p[0] + 400.0, p[1]] for p in rect]]  # out of longitude range when geographic
    elif v == "line":
        return {"type": "LineString", "coordinates": rect[:2]}
    elif v == "tuple_pos":
        coords = [[tuple(p) for p in rect]]
    elif v == "no_coords":
        return {"type": "Polygon"}
    elif v == "two_rings":
        coords = [rect, rect]
    return {"type": "Polygon", "coordinates": coords}


@st.composite
def _layouts(draw):
    geographic = draw(st.booleans())
    n = draw(st.integers(1, 12))
    feats = []
    for i in range(n):
        v = draw(st.sampled_from(_VARIANTS))
        if geographic:
            x, y = draw(st.floats(10.0, 10.01)), draw(st.floats(50.0, 50.01))
        else:
            x, y = float(draw(st.integers(-500, 500))), float(draw(st.integers(-500, 500)))
        g = _geometry(v, x, y)
        if geographic and v not in ("far",):  # keep plain rings small on the earth
            g = _scaled(g, x, y)
        kind = draw(st.sampled_from(["heavy_walled", "inhabited_building", "public_traffic_route"]))
        feats.append({"type": "Feature", "geometry": g, "properties": {"id": f"S{i}", "kind": kind}})
    doc = {"type": "FeatureCollection", "features": feats}
    if not geographic:
        doc["crs"] = {"type": "name", "properties": {"name": layout.LOCAL_METRES}}
    return doc


def _scaled(g: dict, x: float, y: float) -> dict:
    def s(c):
        if isinstance(c, list | tuple) and c and isinstance(c[0], int | float) and not isinstance(c[0], bool):
            return [x + (c[0] - x) * 1e-4 if isinstance(c[0], float) and math.isfinite(c[0]) else c[0],
                    *c[1:]]
        if isinstance(c, list):
            return [s(e) for e in c]
        return c

    if "coordinates" not in g:
        return g
    return {"type": g["type"], "coordinates": s(g["coordinates"])}


def _outcome(doc):
    try:
        d = layout.read_layout(doc)
    except LayoutError as exc:
        return ("error", str(exc))
    return ("ok", [(s.id, s.kind, shapely.to_wkb(s.geometry)) for s in d.sites], d.input_sha256)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_layouts())
def test_plain_polygons_give_the_general_paths_answer(doc):
    fast = _outcome(doc)
    orig = layout._plain_polygons
    try:
        layout._plain_polygons = lambda feats, geographic: {}
        slow = _outcome(doc)
    finally:
        layout._plain_polygons = orig
    assert fast == slow


def test_plain_ring_takes_only_plain_rings():
    ring = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
    assert layout._plain_ring({"type": "Polygon", "coordinates": [ring]}) is ring
    for bad in ([ring, ring], [[[0.0, 0.0, 0.0], *ring[1:]]], [[[True, 0.0], *ring[1:]]],
                [[[2**60, 0.0], *ring[1:]]], [ring[:3]], [[*ring[:-1], [0.5, 0.0]]]):
        assert layout._plain_ring({"type": "Polygon", "coordinates": bad}) is None
    assert layout._plain_ring({"type": "LineString", "coordinates": ring}) is None


@pytest.mark.parametrize("geographic", [False, True])
def test_invalid_plain_polygon_is_named(geographic):
    base = 10.0 if geographic else 0.0
    scale = 1e-4 if geographic else 1.0
    bow = [[base, base], [base + 10 * scale, base + 10 * scale], [base + 10 * scale, base],
           [base, base + 10 * scale], [base, base]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [bow]},
         "properties": {"id": "B", "kind": "heavy_walled"}}]}
    if not geographic:
        doc["crs"] = {"type": "name", "properties": {"name": layout.LOCAL_METRES}}
    with pytest.raises(LayoutError, match=r"feature 'B': geometry: invalid \(Self-intersection"):
        layout.read_layout(doc)
