"""The app's maps (issue 12 item 5): footprints to scale, doors, labels, arcs, scale, basemap.

Geometry is checked against what the figure actually draws (its traces and
the plan it carries in ``layout.meta``), with independent computations:
box intersection written out here, door faces from the rectangle's own
construction, round numbers by their digits.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import shapely

from depotsafe.check import check_depot
from depotsafe.layout import LOCAL_METRES, buildings_from_table, read_layout
from depotsafe.synthetic import dense_yard, synthetic_depot
from depotsafe.ui import maps, model

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture(scope="module")
def sample():
    fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
    depot = model.build_depot(fc, rows)
    return depot, check_depot(depot)


@pytest.fixture(scope="module")
def dense():
    return read_layout(synthetic_depot(400, seed=1))


def _meta(fig):
    return fig.layout.meta["depotsafe_map"]


def _disjoint(a, b) -> bool:
    """Boxes [x0, y0, x1, y1] with no common area (written out, not maps.boxes_overlap)."""
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _assert_no_overlap(meta) -> None:
    boxes = [lab["box"] for lab in meta["labels"]]
    for a, b in itertools.combinations(boxes, 2):
        assert _disjoint(a, b), (a, b)
    x0, y0, x1, y1 = meta["extent"]
    for a in boxes:
        assert x0 <= a[0] < a[2] <= x1, a
        assert y0 <= a[1] < a[3] <= y1, a
        # nor over the scale bar or the north arrow
        sb = meta["scale_bar"]
        assert _disjoint(a, [sb["x0"], sb["y0"] - 1e-9, sb["x0"] + sb["length_m"], sb["y0"] + 1e-9])
        (nx, ny0), (_nx, ny1) = meta["north"]
        assert _disjoint(a, [nx - 1e-9, ny0, nx + 1e-9, ny1])


def _runs(fig, name_prefix: str | None = None, legendgroup: str | None = None):
    """The coordinate runs (between gaps) of the figure's traces, as lists of (x, y)."""
    out = []
    for tr in fig.data:
        if name_prefix is not None and not (tr.name or "").startswith(name_prefix):
            continue
        if legendgroup is not None and tr.legendgroup != legendgroup:
            continue
        run: list[tuple[float, float]] = []
        for x, y in zip(tr.x, tr.y, strict=True):
            if x is None or (isinstance(x, float) and math.isnan(x)):
                if run:
                    out.append(run)
                run = []
            else:
                run.append((float(x), float(y)))
        if run:
            out.append(run)
    return out


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize("arcs_of", [None, "A1"])
def test_sample_labels_do_not_overlap_and_every_site_is_labelled(sample, arcs_of) -> None:
    depot, result = sample
    fig = maps.depot_figure(depot, maps.arc_overlays(result, arcs_of))
    meta = _meta(fig)
    _assert_no_overlap(meta)
    assert {lab["ref"] for lab in meta["labels"] if lab["kind"] == "site"} == {s.id for s in depot.sites}
    # the texts drawn are the placed labels, each at its box's centre
    drawn = {(t, round(x, 6), round(y, 6)) for tr in fig.data if tr.mode == "text" and tr.name == "site labels"
             for t, x, y in zip(tr.text, tr.x, tr.y, strict=True)}
    want = {(lab["text"], round(0.5 * (lab["box"][0] + lab["box"][2]), 6),
             round(0.5 * (lab["box"][1] + lab["box"][3]), 6)) for lab in meta["labels"] if lab["kind"] == "site"}
    assert drawn == want


def test_dense_depot_labels_do_not_overlap(dense) -> None:
    fig = maps.depot_figure(dense)
    meta = _meta(fig)
    _assert_no_overlap(meta)
    # every site is either labelled or reported as dropped (its id stays in the hover)
    refs = [lab["ref"] for lab in meta["labels"]] + [d["ref"] for d in meta["dropped"]]
    assert sorted(refs) == sorted(s.id for s in dense.sites)
    assert meta["labels"], "a dense depot still gets the labels that fit"


def test_dense_yard_zoomed_plan_labels_do_not_overlap() -> None:
    depot = read_layout(dense_yard(150, n_houses=30, seed=2))
    plan = maps.plan_map(depot, plot_width_px=900, plot_height_px=700)
    boxes = [(b.x0, b.y0, b.x1, b.y1) for b in plan.labels]
    assert len(boxes) > 20
    for a, b in itertools.combinations(boxes, 2):
        assert _disjoint(a, b)


def test_place_labels_greedy_takes_first_free_candidate_and_drops_when_full() -> None:
    # three sites on top of each other, 1 m/px, a 3 px gap: the first label goes right of
    # the footprint; above is taken (the first box reaches over the footprint's top), so
    # the second goes left; every box beside the footprint is then taken, so the third
    # goes farther out with a leader line
    near = (0.0, 0.0, 10.0, 10.0)
    reqs = [maps.LabelRequest(t, "site", t, near=near) for t in ("AAA", "BBB", "CCC")]
    placed, dropped = maps.place_labels(reqs, 1.0, (-1000.0, -1000.0, 1000.0, 1000.0))
    assert not dropped
    a, b, c = placed
    w, h = maps.text_size_px("AAA")
    assert (a.x0, a.y0, a.x1, a.y1) == pytest.approx((13.0, 5.0 - h / 2, 13.0 + w, 5.0 + h / 2))
    assert 5.0 + h / 2 > 13.0  # why "above" is not free
    assert (b.x0, b.x1) == pytest.approx((-3.0 - w, -3.0))
    assert not b.leader
    assert c.leader
    assert not a.leader
    for p, q in itertools.combinations(placed, 2):
        assert _disjoint((p.x0, p.y0, p.x1, p.y1), (q.x0, q.y0, q.x1, q.y1))
    # a map too small for any label: dropped, not placed over another
    placed, dropped = maps.place_labels(reqs, 1.0, (-5.0, -5.0, 15.0, 15.0))
    assert placed == []
    assert [d.text for d in dropped] == ["AAA", "BBB", "CCC"]


# ---------------------------------------------------------------- footprints and doors


def test_every_footprint_is_drawn_as_its_polygon(sample, dense) -> None:
    for depot in (sample[0], dense):
        fig = maps.depot_figure(depot)
        runs_by_kind: dict[str, set[tuple[tuple[float, float], ...]]] = {}
        for s in depot.sites:
            if s.kind not in runs_by_kind:
                runs_by_kind[s.kind] = {tuple(r) for r in _runs(fig, legendgroup=s.kind)}
        for s in depot.sites:
            if s.geometry.geom_type == "Polygon":
                ring = tuple((float(x), float(y)) for x, y in s.geometry.exterior.coords)
                assert ring in runs_by_kind[s.kind], s.id
                # filled, to scale: the trace is in metres on axes of equal scale
                tr = next(t for t in fig.data if t.legendgroup == s.kind and t.fill == "toself")
                assert tr.fillcolor
            elif s.geometry.geom_type == "LineString":
                line = tuple((float(x), float(y)) for x, y in s.geometry.coords)
                assert line in runs_by_kind[s.kind], s.id
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.yaxis.scaleratio == 1


def test_point_site_is_a_marker_of_its_size(sample) -> None:
    depot = sample[0]
    site = depot.sites[0]
    import dataclasses

    pt = dataclasses.replace(depot.sites[-2], id="P1", geometry=shapely.Point(0.0, 0.0),
                             properties={"radius_m": 60.0})
    d2 = dataclasses.replace(depot, sites=(*depot.sites, pt))
    fig = maps.depot_figure(d2)
    m_per_px = _meta(fig)["m_per_px"]
    tr = next(t for t in fig.data if t.mode == "markers" and t.legendgroup == pt.kind
              and t.marker.color != "rgba(0,0,0,0)")
    assert list(tr.x) == [0.0]
    assert list(tr.y) == [0.0]
    assert tr.marker.size[0] == pytest.approx(120.0 / m_per_px)  # diameter in px at the map's scale
    assert site.id in {lab["ref"] for lab in _meta(fig)["labels"]}


BEARINGS = [0.0, 37.5, 90.0, 135.0, 200.0, 270.0, 333.3]


def test_each_door_has_an_arrow_along_its_bearing_from_the_door_face() -> None:
    rows = [{"id": f"I{k}", "kind": "igloo_7bar", "x_m": 400.0 * k, "y_m": 100.0 * (k % 2), "length_m": 30.0,
             "width_m": 12.0, "bearing_deg": b} for k, b in enumerate(BEARINGS)]
    fc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
          "features": buildings_from_table(rows)}
    depot = read_layout(fc)
    fig = maps.depot_figure(depot)
    doors = {d["site"]: d for d in _meta(fig)["doors"]}
    shafts = _runs(fig, name_prefix=maps._("door (outward)"))
    assert set(doors) == {r["id"] for r in rows}
    for r in rows:
        d = doors[r["id"]]
        ux, uy = math.sin(math.radians(r["bearing_deg"])), math.cos(math.radians(r["bearing_deg"]))
        # tail: the middle of the front face, half the length from the centre along the door normal
        assert d["tail"][0] == pytest.approx(r["x_m"] + 15.0 * ux, abs=1e-6)
        assert d["tail"][1] == pytest.approx(r["y_m"] + 15.0 * uy, abs=1e-6)
        vx, vy = d["tip"][0] - d["tail"][0], d["tip"][1] - d["tail"][1]
        n = math.hypot(vx, vy)
        assert n > 0
        assert (vx / n, vy / n) == pytest.approx((ux, uy), abs=1e-9)
        assert [tuple(d["tail"]), tuple(d["tip"])] in [[tuple(p) for p in run] for run in shafts]
        # the tail lies on the footprint's outline, the tip outside it
        geom = depot.site(r["id"]).geometry
        assert geom.exterior.distance(shapely.Point(d["tail"])) < 1e-6
        assert not geom.contains(shapely.Point(d["tip"]))
    # the arrow heads point the same way: the tip of the head is the arrow's tip
    heads = [run for run in _runs(fig, name_prefix=maps._("door (outward)")) if len(run) == 4]
    assert len(heads) == len(rows)


def test_sample_doors_use_the_layout_bearings(sample) -> None:
    depot = sample[0]
    doors = {d.site: d for d in maps.door_arrows(depot.sites, min_length_m=10.0)}
    assert set(doors) == {s.id for s in depot.sites if s.front_bearing_deg is not None}
    for sid, d in doors.items():
        b = math.radians(depot.site(sid).front_bearing_deg)
        v = np.subtract(d.tip, d.tail)
        assert v / np.linalg.norm(v) == pytest.approx([math.sin(b), math.cos(b)], abs=1e-9)
        assert np.linalg.norm(v) >= 10.0 - 1e-9


# ---------------------------------------------------------------- arcs


@pytest.mark.parametrize("arcs_of", [None, "A1"])
def test_every_arc_is_labelled_with_kind_and_distance(sample, arcs_of) -> None:
    depot, result = sample
    from depotsafe.report import arcs

    overlays = maps.arc_overlays(result, arcs_of)
    assert overlays
    fig = maps.depot_figure(depot, overlays)
    meta = _meta(fig)
    labels = [lab for lab in meta["labels"] if lab["kind"] == "arc"]
    feats = arcs(result, violated_only=True) + (arcs(result, pes=[arcs_of]) if arcs_of else [])
    for f in feats:
        p = f["properties"]
        text = maps.arc_map_label(p)
        # the exposed kind (and face) and the distance, rounded up to the metre
        assert text.startswith(p["es_kind"] + (f" ({p['es_face']})" if p.get("es_face") else ""))
        assert text.endswith(f" {math.ceil(p['required_distance_m'] - 1e-9)} m")
        # a label with that text stands on this arc, or on a piece of the same arc (same text,
        # same PES: adjacent sectors at one distance share one label), or is led there by a line
        pieces = [g["geometry"].boundary for g in feats
                  if maps.arc_map_label(g["properties"]) == text and g["properties"]["group"] == p["group"]]
        mine = [lab for lab in labels if lab["text"] == text]
        assert any(min(piece.distance(shapely.Point(lab["anchor"])) for piece in pieces) < 1e-6
                   for lab in mine), text
    assert not [d for d in meta["dropped"] if d["kind"] == "arc"]


def test_arc_label_anchor_is_on_its_arc(sample) -> None:
    depot, result = sample
    overlays = maps.arc_overlays(result, "A1")
    plan = maps.plan_map(depot, overlays)
    for lab in (b for b in plan.labels if b.kind == "arc"):
        lines = [ov.geometry for ov in overlays if ov.label == lab.text]
        d = min(g.distance(shapely.Point(lab.anchor)) for g in lines)
        assert d < 1e-6, lab
        if not lab.leader:  # on the arc: the box holds its anchor
            assert lab.x0 <= lab.anchor[0] <= lab.x1


def test_arc_map_label_text() -> None:
    props = {"es_kind": "igloo_3bar", "es_face": "rear", "required_distance_m": 89.0001}
    assert maps.arc_map_label(props) == "igloo_3bar (rear) 90 m"
    assert maps.arc_map_label({"es_kind": "inhabited_building", "required_distance_m": 400.0}) == \
        "inhabited_building 400 m"


# ---------------------------------------------------------------- scale bar, north arrow, extent


def _is_round(v: float) -> bool:
    digits = f"{v:.6e}".split("e")[0].rstrip("0").rstrip(".")
    return digits in ("1", "2", "5")


@pytest.mark.parametrize("target", [0.7, 1.0, 3.3, 19.9, 20.0, 49.0, 333.0, 999.0, 4321.0])
def test_nice_length(target) -> None:
    v = maps.nice_length(target)
    assert _is_round(v)
    assert v <= target * (1 + 1e-12)
    # the next round number up would be too long
    nxt = v * (2.5 if f"{v:e}".startswith("2") else 2.0)
    assert nxt > target


def test_scale_bar_is_round_and_matches_the_map_scale(sample, dense) -> None:
    for depot in (sample[0], dense):
        fig = maps.depot_figure(depot)
        meta = _meta(fig)
        sb = meta["scale_bar"]
        assert _is_round(sb["length_m"])
        # the axes show exactly the extent; the scale is that extent over the plot's pixels
        x0, y0, x1, y1 = meta["extent"]
        assert list(fig.layout.xaxis.range) == [x0, x1]
        assert list(fig.layout.yaxis.range) == [y0, y1]
        assert (x1 - x0) / maps.MIN_PLOT_WIDTH_PX == pytest.approx(meta["m_per_px"], rel=1e-12)
        # the whole drawing fits: one of the two spans leaves just the border free
        geoms = [s.geometry for s in depot.sites]
        bx0, by0, bx1, by1 = shapely.total_bounds(geoms)
        fill = max((bx1 - bx0) / (maps.MIN_PLOT_WIDTH_PX - 2 * maps.BORDER_PX),
                   (by1 - by0) / (maps.PLOT_HEIGHT_PX - 2 * maps.BORDER_PX))
        assert fill == pytest.approx(meta["m_per_px"], rel=1e-12)
        assert (y1 - y0) / maps.PLOT_HEIGHT_PX == pytest.approx(meta["m_per_px"], rel=1e-12)
        # between a tenth and a fifth of the plot's width
        width_m = x1 - x0
        assert 0.08 * width_m <= sb["length_m"] <= 0.2 * width_m
        bar = _runs(fig, name_prefix="scale bar")[0]
        assert bar[1][0] - bar[0][0] == pytest.approx(sb["length_m"], rel=1e-12)
        assert bar[1][1] == bar[0][1]
        text = next(t for t in fig.data if t.name == "scale bar text").text[0]
        value, unit = text.split()
        assert float(value) * {"m": 1.0, "km": 1000.0}[unit] == sb["length_m"]
        # the north arrow points up the grid (+y)
        (nx0, ny0), (nx1, ny1) = meta["north"]
        assert nx0 == nx1
        assert ny1 > ny0


def test_everything_is_inside_the_extent(sample) -> None:
    depot, result = sample
    overlays = maps.arc_overlays(result, "A1")
    meta = _meta(maps.depot_figure(depot, overlays))
    x0, y0, x1, y1 = meta["extent"]
    bx0, by0, bx1, by1 = shapely.total_bounds([*(s.geometry for s in depot.sites), *(o.geometry for o in overlays)])
    assert x0 < bx0
    assert y0 < by0
    assert bx1 < x1
    assert by1 < y1


# ---------------------------------------------------------------- legend


# The plot widths the app gives the map (Streamlit wide layout: the viewport less the
# sidebar, 300 px in chromium, 336 px here to be safe, and the main block's padding,
# 2 x 48 px, less the figure margins); tests/browser/test_maps_browser.py measures it.
VIEWPORTS = {"projector 1280x720": 1280, "laptop 1366x768": 1366, "small laptop 1024x768": 1024}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_legend_fits_under_the_plot(sample, viewport) -> None:
    depot, result = sample
    fig = maps.depot_figure(depot, maps.arc_overlays(result, "A1"),
                            highlight=[s.id for s in depot.sites[:3]])
    meta = _meta(fig)
    fig_w = VIEWPORTS[viewport] - 336 - 2 * 48
    plot_w = fig_w - maps.MARGIN_L_PX - maps.MARGIN_R_PX
    n = sum(1 for tr in fig.data if tr.showlegend is not False and tr.name)
    assert n == meta["legend_entries"]
    # the legend's box: full rows of fixed-width entries at the bottom of the figure
    pitch = maps.LEGEND_ENTRY_PX + maps.LEGEND_SYMBOL_PX
    per_row = max(1, int((fig_w - 2 * maps.LEGEND_PAD_PX) // pitch))
    rows = math.ceil(n / per_row)
    legend_h = rows * maps.LEGEND_ROW_PX + 2 * maps.LEGEND_PAD_PX
    legend_w = min(n, per_row) * pitch + 2 * maps.LEGEND_PAD_PX
    assert legend_w <= fig_w
    assert legend_h <= fig.layout.margin.b - maps.AXIS_B_PX
    assert fig.layout.height == maps.PLOT_HEIGHT_PX + fig.layout.margin.t + fig.layout.margin.b
    assert plot_w >= maps.MIN_PLOT_WIDTH_PX
    assert fig.layout.legend.orientation == "h"
    assert fig.layout.legend.yref == "container"


# ---------------------------------------------------------------- basemap


def test_tiles_reachable_false_without_network(monkeypatch) -> None:
    import socket

    # a loopback port nobody listens on: refused at once, like a machine without network
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(maps, "TILE_PROBE_URL", f"http://127.0.0.1:{port}/0/0/0.png")
    monkeypatch.setattr(maps, "_probe", {})
    t0 = time.perf_counter()
    assert maps.tiles_reachable(timeout_s=0.5) is False
    assert time.perf_counter() - t0 < 2.0


def test_tiles_reachable_true_when_a_tile_answers(monkeypatch) -> None:
    import http.server
    import threading

    class Tile(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Tile)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        monkeypatch.setattr(maps, "TILE_PROBE_URL", f"http://127.0.0.1:{srv.server_port}/0/0/0.png")
        monkeypatch.setattr(maps, "_probe", {})
        assert maps.tiles_reachable(timeout_s=2.0) is True
    finally:
        srv.shutdown()
        srv.server_close()


def test_basemap_figure_uses_the_same_plan_in_lon_lat(sample) -> None:
    depot, result = sample
    overlays = maps.arc_overlays(result)
    plain = maps.depot_figure(depot, overlays)
    tiles = maps.depot_figure(depot, overlays, basemap=True)
    assert _meta(tiles)["labels"] == _meta(plain)["labels"]
    assert all(tr.type == "scattermap" for tr in tiles.data)
    assert tiles.layout.map.style == "open-street-map"
    # a footprint's vertices, projected to lon/lat
    s = depot.sites[0]
    lon, lat = depot.to_lonlat(*np.array(s.geometry.exterior.coords).T)
    ring = [(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]
    runs = []
    for tr in tiles.data:
        if tr.legendgroup == s.kind:
            run = []
            for a, b in zip(tr.lon, tr.lat, strict=True):
                if a is None or math.isnan(a):
                    runs.append(run)
                    run = []
                else:
                    run.append((a, b))
    assert any(len(r) == len(ring) and np.allclose(r, ring, rtol=0, atol=1e-12) for r in runs)


def _app(monkeypatch, reachable: bool):
    from streamlit.testing.v1 import AppTest

    calls = []

    def fake(timeout_s: float = maps.TILE_PROBE_TIMEOUT_S) -> bool:
        calls.append(timeout_s)
        return reachable

    monkeypatch.setattr(maps, "tiles_reachable", fake)
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not at.exception, [e.message for e in at.exception]
    return at, calls


def _chart(at):
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_app_basemap_without_network_warns_and_draws_on_plain_background(monkeypatch) -> None:
    at, calls = _app(monkeypatch, reachable=False)
    assert not any("basemap cannot be loaded" in w.value for w in at.warning)
    assert calls == [], "no probe while the basemap is off"
    at.toggle(key="k_basemap_depot").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    assert calls, "the tiles were probed"
    assert any("basemap cannot be loaded" in w.value for w in at.warning)
    spec = _chart(at)
    assert {tr.get("type", "scatter") for tr in spec["data"]} == {"scatter"}
    assert "map" not in spec["layout"]
    meta = spec["layout"]["meta"]["depotsafe_map"]
    assert meta["basemap"] is False
    assert len([lab for lab in meta["labels"] if lab["kind"] == "site"]) == 20
    _assert_no_overlap(meta)


def test_app_basemap_with_network_draws_on_tiles(monkeypatch) -> None:
    at, calls = _app(monkeypatch, reachable=True)
    at.toggle(key="k_basemap_depot").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    assert calls
    assert not any("basemap cannot be loaded" in w.value for w in at.warning)
    spec = _chart(at)
    assert {tr.get("type") for tr in spec["data"]} == {"scattermap"}
    assert spec["layout"]["meta"]["depotsafe_map"]["basemap"] is True


def test_app_effects_zones_are_labelled_with_their_radius() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.radio(key="k_page").set_value("effects").run()
    at.selectbox(key="k_effects_site").set_value("A1").run()
    assert not at.exception, [e.message for e in at.exception]
    spec = _chart(at)
    meta = spec["layout"]["meta"]["depotsafe_map"]
    _assert_no_overlap(meta)
    zones = next(d.value for d in [*at.table, *at.dataframe] if "radius from the footprint" in d.value.columns)
    texts = {lab["text"] for lab in meta["labels"] if lab["kind"] == "arc"}
    # every zone of the table has its label on the map: its name and its radius
    for _i, row in zones.iterrows():
        assert f"{row['zone']} {row['radius from the footprint']}" in texts, (row["zone"], texts)
