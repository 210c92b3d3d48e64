"""Offline maps: footprints, doors, arcs and zones in the depot's own metres.

Drawn with plotly in the local transverse Mercator metres of the depot on a
plain background, so the map works without internet.  A basemap (OpenStreetMap
tiles loaded by the browser) is used only when the user asks for it, the depot
is georeferenced and the tile server answers; otherwise the page says so and
draws everything on the plain background (`show_map`).  Buffers here are for
drawing only; every distance in a table comes from the engine.

What a map draws, in local metres, is planned first (`plan_map`): the visible
extent and its scale at the narrowest plot the app is laid out for, a door
arrow per earth-covered site, labels placed so that no two boxes overlap
(`place_labels`), a scale bar of a round length and a north arrow.  The plan
travels with the figure (``fig.layout.meta["depotsafe_map"]``) so a test can
check what was drawn.
"""

from __future__ import annotations

import math
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
import shapely
from shapely.geometry.base import BaseGeometry

from depotsafe.ui.common import (
    _,
    count,
    face_name,
    kind_label,
    lang,
    map_kind,
    map_word,
    metres_up,
    number_style,
    plain_number,
    traffic_name,
    with_unit,
)
from depotsafe.ui.i18n import DEFAULT_LANGUAGE

#: Fill colour of each kind (colour-blind-safe-ish, storehouses warm, others cool).
KIND_COLOURS: dict[str, str] = {
    "igloo_7bar": "#8c510a",
    "igloo_3bar": "#bf812d",
    "earth_covered": "#dfc27d",
    "heavy_walled_roof": "#7f3b08",
    "heavy_walled": "#b35806",
    "barricaded_stack": "#e08214",
    "unbarricaded_stack": "#fdb863",
    "workshop_roof_barricaded": "#542788",
    "workshop_barricaded": "#8073ac",
    "workshop": "#b2abd2",
    "public_traffic_route": "#4d4d4d",
    "inhabited_building": "#1b7837",
    "vulnerable_building": "#2166ac",
}
VIOLATION = "#d7191c"
ARC = "#7f7f7f"
DOOR = "#000000"

#: Above this many sites the map drops labels and fills (WebGL outlines).
LARGE = 1500

#: The plot area the map is laid out for [px]: its height, and the narrowest
#: width the app gives it (Streamlit's wide layout with the sidebar open: a
#: 1280 x 720 projector leaves about 780 px, a 1024 px laptop about 520 px).
#: On a wider plot the map only gets more pixels per metre, so labels placed
#: for this width still do not overlap.
PLOT_HEIGHT_PX = 500
MIN_PLOT_WIDTH_PX = 520
#: Free border around the drawing, room for the scale bar and north arrow [px].
BORDER_PX = 44
#: Figure margins [px]: left (y tick labels), right, top, and the x axis under the plot.
MARGIN_L_PX, MARGIN_R_PX, MARGIN_T_PX, AXIS_B_PX = 60, 10, 10, 45
#: Legend: fixed entry width (the text's; plotly adds the symbol and a gap,
#: ``LEGEND_SYMBOL_PX``, measured 45 px in chromium) and row height (measured
#: 29 px), so its size is known in advance [px].
LEGEND_ENTRY_PX = 170
LEGEND_SYMBOL_PX = 45
LEGEND_ROW_PX = 30
LEGEND_PAD_PX = 8
#: Label text size and the box padding around it [px].
LABEL_FONT_PX = 11
LABEL_PAD_PX = 2
#: Text scale of class mode (a projector at the back of a room): labels, legend, scale bar,
#: north arrow, door arrows and point markers this many times their screen size [-].
CLASS_TEXT_SCALE = 1.7

#: The tiles plotly's "open-street-map" style loads (plotly.js), and one to probe.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_PROBE_URL = "https://tile.openstreetmap.org/0/0/0.png"
#: How long the probe waits for the tile server [s], and how long an answer is kept [s].
TILE_PROBE_TIMEOUT_S = 1.5
TILE_PROBE_TTL_S = 60.0
#: Earth's equatorial circumference (WGS84) [m]; the map's world is 512 px wide at zoom 0.
_EARTH_CIRCUMFERENCE_M = 40_075_016.686
_WORLD_PX = 512.0


@dataclass
class Overlay:
    """A shape drawn over the footprints: an arc, a zone or a pair line.

    ``label`` (optional) is written on the map next to the shape (an arc's
    exposed kind and distance); ``label_origin`` is the geometry the shape
    surrounds (the PES footprint), so the label goes on the curved part of the
    arc, at about ``label_radius_m`` from it.
    """

    geometry: BaseGeometry
    name: str
    colour: str
    hover: str = ""
    fill: bool = False
    dash: str = "solid"
    width: float = 1.5
    group: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    label_origin: BaseGeometry | None = None
    label_radius_m: float = 0.0


# ---------------------------------------------------------------- labels


@dataclass(frozen=True)
class LabelBox:
    """A placed label: its text and box in local metres, and what it names.

    ``anchor`` is the point the label belongs to; ``leader`` is True when the
    label stands away from its site and a line joins them.
    """

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    anchor: tuple[float, float]
    kind: str
    ref: str
    leader: bool = False

    @property
    def centre(self) -> tuple[float, float]:
        return (0.5 * (self.x0 + self.x1), 0.5 * (self.y0 + self.y1))


@dataclass(frozen=True)
class LabelRequest:
    """A label to place: text, what it names, and where it may go.

    For a site, ``near`` is the footprint's bounding box (x0, y0, x1, y1) and
    the label goes beside it (then farther out with a leader line).  For an
    arc, ``points`` are points on the arc and the label is centred on one of
    them (or just above or below it).
    """

    text: str
    kind: str
    ref: str
    near: tuple[float, float, float, float] | None = None
    points: tuple[tuple[float, float], ...] = ()



#: Plotly's own font list, then the faces the app names for Chinese (Simplified forms) and Arabic
#: (ui/app.py FONT_CSS): Latin text is set as before, and without a named CJK face chromium draws
#: Chinese map labels and legends in the Japanese forms of Noto CJK.
MAP_FONT_FAMILY = ('"Open Sans", verdana, arial, "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", '
                   '"Noto Naskh Arabic", "Noto Sans Arabic", sans-serif')


def check_text_scale(text_scale: float) -> float:
    """The text scale as a float; ValueError naming the value unless it is finite and between 0.5 and 4."""
    value = float(text_scale)
    if not (math.isfinite(value) and 0.5 <= value <= 4.0):
        raise ValueError(f"text_scale: got {text_scale!r}; a number from 0.5 to 4 is required (1 = screen size)")
    return value


def boxes_overlap(a: Sequence[float], b: Sequence[float]) -> bool:
    """True if two boxes (x0, y0, x1, y1) share an area (touching edges do not count)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


_NARROW = set(" .,:;'!|()[]ijlrtf")
_WIDE = set("MWmw@%")


def text_size_px(text: str, font_px: float = LABEL_FONT_PX) -> tuple[float, float]:
    """Width and height [px] of a one-line label with its padding, on the generous side.

    Average advance widths of a sans-serif font (plotly's Open Sans / Arial),
    rounded up: narrow glyphs 0.34 em, wide 0.9 em, capitals and digits 0.68 em,
    the rest 0.58 em.
    """
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.34
        elif ch in _WIDE:
            em += 0.9
        elif ch.isupper() or ch.isdigit():
            em += 0.68
        else:
            em += 0.58
    return em * font_px + 2 * LABEL_PAD_PX, 1.3 * font_px + 2 * LABEL_PAD_PX


def _site_candidates(near: Sequence[float], w: float, h: float, gap: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes beside a footprint's bounding box: right, above, left, below, corners; then farther out.

    Returns the boxes (n x 4), whether each needs a leader line, and its anchor (n x 2).
    """
    x0, y0, x1, y1 = near
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    boxes = []
    leader = []
    for k, far in enumerate((gap, gap + 1.5 * h, gap + 3.5 * h, gap + 6.0 * h)):
        spots = [
            (x1 + far, cy - h / 2),          # right
            (cx - w / 2, y1 + far),          # above
            (x0 - far - w, cy - h / 2),      # left
            (cx - w / 2, y0 - far - h),      # below
            (x1 + far, y1 + far),            # above right
            (x1 + far, y0 - far - h),        # below right
            (x0 - far - w, y1 + far),        # above left
            (x0 - far - w, y0 - far - h),    # below left
        ]
        boxes.extend((sx, sy, sx + w, sy + h) for sx, sy in spots)
        leader.extend([k > 0] * len(spots))
    out = np.array(boxes, dtype=np.float64)
    return out, np.array(leader), np.tile([cx, cy], (len(out), 1))


_RING_DIRS = np.radians(np.arange(0, 360, 45))


def _arc_candidates(
    points: Sequence[tuple[float, float]], w: float, h: float, gap: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes centred on points of an arc (or just above or below them); then farther out, with a leader.

    Returns the boxes (n x 4), whether each needs a leader line, and its anchor (n x 2).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    on_c = np.repeat(pts, 3, axis=0) + np.tile([[0.0, 0.0], [0.0, 0.5 * h + gap], [0.0, -0.5 * h - gap]],
                                               (len(pts), 1))
    on_a = np.repeat(pts, 3, axis=0)
    sub = pts[:: max(1, len(pts) // 12)]
    radii = np.arange(1, 13) * (h + gap)
    # ring by ring, then point by point, then direction
    off = np.stack([np.outer(radii, np.cos(_RING_DIRS)), np.outer(radii, np.sin(_RING_DIRS))], axis=-1)
    far_c = (sub[None, :, None, :] + off[:, None, :, :]).reshape(-1, 2)
    far_a = np.broadcast_to(sub[None, :, None, :], (len(radii), len(sub), len(_RING_DIRS), 2)).reshape(-1, 2)
    centres = np.vstack([on_c, far_c])
    boxes = np.column_stack([centres[:, 0] - w / 2, centres[:, 1] - h / 2,
                             centres[:, 0] + w / 2, centres[:, 1] + h / 2])
    leader = np.r_[np.zeros(len(on_c), dtype=bool), np.ones(len(far_c), dtype=bool)]
    return boxes, leader, np.vstack([on_a, far_a])


def place_labels(
    requests: Sequence[LabelRequest],
    m_per_px: float,
    extent: Sequence[float],
    *,
    reserved: Sequence[Sequence[float]] = (),
    avoid: Sequence[BaseGeometry] = (),
    font_px: float = LABEL_FONT_PX,
) -> tuple[list[LabelBox], list[LabelRequest]]:
    """Greedy label placement: each label takes the first candidate box that overlaps no placed box.

    Labels are placed in the order given.  A candidate must lie inside
    ``extent`` and overlap neither a placed label nor a ``reserved`` box (scale
    bar, north arrow).  Candidates that also keep clear of the ``avoid``
    geometries (footprints, door arrows) are preferred; a label with no free
    candidate is dropped (its text stays in the hover).

    Parameters
    ----------
    requests : sequence of LabelRequest
    m_per_px : float
        Map scale: metres per pixel of the narrowest plot [m/px].
    extent : (x0, y0, x1, y1)
        Visible area [m].
    reserved : sequence of boxes
        Areas no label may cover [m].
    avoid : sequence of shapely geometries
        Shapes a label should not cover when it can help it [m].

    Returns
    -------
    placed : list of LabelBox
        No two boxes overlap (`boxes_overlap` is False for every pair).
    dropped : list of LabelRequest
    """
    ex0, ey0, ex1, ey1 = extent
    gap = 3.0 * m_per_px
    taken = np.empty((len(requests) + len(reserved), 4))
    n_taken = 0
    for r in reserved:
        taken[n_taken] = r
        n_taken += 1
    tree = shapely.STRtree(list(avoid)) if avoid else None
    placed: list[LabelBox] = []
    dropped: list[LabelRequest] = []
    for req in requests:
        wpx, hpx = text_size_px(req.text, font_px)
        w, h = wpx * m_per_px, hpx * m_per_px
        if req.near is not None:
            boxes, leader, anchors = _site_candidates(req.near, w, h, gap)
        elif req.points:
            boxes, leader, anchors = _arc_candidates(req.points, w, h, gap)
        else:
            dropped.append(req)
            continue
        ok = (boxes[:, 0] >= ex0) & (boxes[:, 2] <= ex1) & (boxes[:, 1] >= ey0) & (boxes[:, 3] <= ey1)
        t = taken[:n_taken]
        if n_taken:
            hit = ((boxes[:, None, 0] < t[None, :, 2]) & (t[None, :, 0] < boxes[:, None, 2])
                   & (boxes[:, None, 1] < t[None, :, 3]) & (t[None, :, 1] < boxes[:, None, 3]))
            ok &= ~hit.any(axis=1)
        free = np.flatnonzero(ok)
        if free.size == 0:
            dropped.append(req)
            continue
        k = int(free[0])
        if tree is not None:
            cand_geoms = shapely.box(boxes[free, 0], boxes[free, 1], boxes[free, 2], boxes[free, 3])
            covered = np.zeros(free.size, dtype=bool)
            covered[np.unique(tree.query(cand_geoms, predicate="intersects")[0])] = True
            if not covered.all():
                k = int(free[np.argmin(covered)])
        b = boxes[k]
        taken[n_taken] = b
        n_taken += 1
        placed.append(LabelBox(req.text, float(b[0]), float(b[1]), float(b[2]), float(b[3]),
                               anchor=(float(anchors[k, 0]), float(anchors[k, 1])), kind=req.kind, ref=req.ref,
                               leader=bool(leader[k])))
    return placed, dropped


# ---------------------------------------------------------------- scale bar, north arrow, doors


def nice_length(target_m: float) -> float:
    """The largest round length (1, 2 or 5 times a power of ten) not above ``target_m`` [m]."""
    if not target_m > 0:
        raise ValueError(f"target_m: got {target_m!r}; a positive length is required")
    power = 10.0 ** math.floor(math.log10(target_m))
    for step in (5.0, 2.0, 1.0):
        if step * power <= target_m * (1 + 1e-12):
            return step * power
    return power  # pragma: no cover - step 1 always fits


def length_text(length_m: float) -> str:
    """A scale-bar length as text: metres below 1 km, kilometres from there."""
    if length_m >= 1000:
        return with_unit(plain_number(length_m / 1000), "km")
    return with_unit(plain_number(length_m), "m")


@dataclass(frozen=True)
class DoorArrow:
    """The arrow of one door: from the middle of the door face outward along the bearing [m]."""

    site: str
    tail: tuple[float, float]
    tip: tuple[float, float]
    bearing_deg: float
    head: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]


def door_arrows(sites: Sequence[Any], min_length_m: float) -> list[DoorArrow]:
    """One arrow per site with a door bearing, vectorised over the sites.

    The tail is where the door face meets the line through the footprint's
    centroid along the bearing (the face's supporting line: the footprint's
    farthest extent along the bearing); the arrow points along the bearing
    (clockwise from grid north, x east, y north) and is as long as half the
    footprint along the bearing, or ``min_length_m`` when that is longer.
    """
    with_door = [s for s in sites if s.front_bearing_deg is not None]
    if not with_door:
        return []
    geoms = np.array([s.geometry for s in with_door], dtype=object)
    bearing = np.array([float(s.front_bearing_deg) for s in with_door])
    ux, uy = np.sin(np.radians(bearing)), np.cos(np.radians(bearing))
    cent = shapely.centroid(geoms)
    cx, cy = shapely.get_x(cent), shapely.get_y(cent)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    along = (coords[:, 0] - cx[idx]) * ux[idx] + (coords[:, 1] - cy[idx]) * uy[idx]
    front = np.full(len(with_door), -np.inf)
    back = np.full(len(with_door), np.inf)
    np.maximum.at(front, idx, along)
    np.minimum.at(back, idx, along)
    length = np.maximum(0.5 * (front - back), min_length_m)
    tx, ty = cx + ux * front, cy + uy * front
    px, py = tx + ux * length, ty + uy * length
    head_len, half = 0.35 * length, 0.18 * length
    bx, by = px - ux * head_len, py - uy * head_len
    out = []
    for k, s in enumerate(with_door):
        left = (float(bx[k] - uy[k] * half[k]), float(by[k] + ux[k] * half[k]))
        right = (float(bx[k] + uy[k] * half[k]), float(by[k] - ux[k] * half[k]))
        out.append(DoorArrow(s.id, (float(tx[k]), float(ty[k])), (float(px[k]), float(py[k])),
                             float(bearing[k]), ((float(px[k]), float(py[k])), left, right)))
    return out


# ---------------------------------------------------------------- the plan


@dataclass
class MapPlan:
    """What a map draws besides the shapes themselves, in local metres.

    Attributes
    ----------
    extent : (x0, y0, x1, y1)
        Visible area at the narrowest plot [m].
    m_per_px : float
        Scale at the narrowest plot (``MIN_PLOT_WIDTH_PX`` x ``PLOT_HEIGHT_PX``) [m/px].
    labels : list of LabelBox
        Placed labels (sites, then arcs); no two overlap.
    dropped : list of LabelRequest
        Labels that found no free place (their text is in the hover).
    doors : list of DoorArrow
    scale_bar : (x0, y0, length_m)
        Left end and length of the scale bar [m].
    north : ((x, y), (x, y))
        Tail and tip of the north arrow [m] (grid north, +y).
    reserved : list of boxes
        Boxes of the scale bar and north arrow (no label covers them) [m].
    """

    extent: tuple[float, float, float, float]
    m_per_px: float
    labels: list[LabelBox]
    dropped: list[LabelRequest]
    doors: list[DoorArrow]
    scale_bar: tuple[float, float, float]
    north: tuple[tuple[float, float], tuple[float, float]]
    reserved: list[tuple[float, float, float, float]]
    text_scale: float = 1.0

    @property
    def label_font_px(self) -> float:
        """Size of the label texts (and the scale bar's) [px]."""
        return LABEL_FONT_PX * self.text_scale

    def meta(self) -> dict[str, Any]:
        """The plan as JSON-ready data (kept in the figure's ``layout.meta``)."""
        return {
            "extent": list(self.extent),
            "m_per_px": self.m_per_px,
            "labels": [{"text": b.text, "box": [b.x0, b.y0, b.x1, b.y1], "kind": b.kind, "ref": b.ref,
                        "anchor": list(b.anchor), "leader": b.leader} for b in self.labels],
            "dropped": [{"text": r.text, "kind": r.kind, "ref": r.ref} for r in self.dropped],
            "doors": [{"site": d.site, "tail": list(d.tail), "tip": list(d.tip), "bearing_deg": d.bearing_deg}
                      for d in self.doors],
            "scale_bar": {"x0": self.scale_bar[0], "y0": self.scale_bar[1], "length_m": self.scale_bar[2],
                          "text": length_text(self.scale_bar[2])},
            "north": [list(self.north[0]), list(self.north[1])],
            "text_scale": self.text_scale,
            "label_font_px": self.label_font_px,
        }


def _arc_points(ov: Overlay, n: int = 48) -> tuple[tuple[float, float], ...]:
    """Points along an overlay's line to put its label on, the curved part (far from the origin) first."""
    geom = ov.geometry
    if geom.is_empty or geom.length == 0:
        return ()
    pts = shapely.line_interpolate_point(geom, np.linspace(0.0, 1.0, n, endpoint=False), normalized=True) \
        if geom.geom_type in ("LineString", "LinearRing") else None
    if pts is None:  # multi-part: sample each part in proportion to its length
        parts = [g for g in getattr(geom, "geoms", [geom]) if g.length > 0]
        total = sum(g.length for g in parts)
        pts_list = []
        for g in parts:
            k = max(2, round(n * g.length / total))
            pts_list.extend(shapely.line_interpolate_point(g, np.linspace(0.0, 1.0, k, endpoint=False),
                                                           normalized=True))
        pts = np.array(pts_list, dtype=object)
    if ov.label_origin is not None and ov.label_radius_m > 0:
        d = shapely.distance(pts, ov.label_origin)
        far = d >= 0.9 * ov.label_radius_m
        if far.any():
            pts = pts[far]
    # start at the top of the arc, then go round
    xs, ys = shapely.get_x(pts), shapely.get_y(pts)
    start = int(np.argmax(ys))
    order = np.r_[start:len(pts), 0:start]
    return tuple((float(xs[i]), float(ys[i])) for i in order)


def legend_rows(n_entries: int, plot_width_px: float, text_scale: float = 1.0) -> int:
    """Rows of the legend under a plot this wide (fixed entry width, ``text_scale`` times the screen's) [-]."""
    pitch = LEGEND_ENTRY_PX * text_scale + LEGEND_SYMBOL_PX
    per_row = max(1, int((plot_width_px + MARGIN_L_PX + MARGIN_R_PX - 2 * LEGEND_PAD_PX) // pitch))
    return max(1, math.ceil(n_entries / per_row))


def legend_height_px(n_entries: int, plot_width_px: float, text_scale: float = 1.0) -> float:
    """Height of the legend under a plot this wide [px]."""
    return legend_rows(n_entries, plot_width_px, text_scale) * LEGEND_ROW_PX * text_scale + 2 * LEGEND_PAD_PX


def plan_map(
    depot: Any,
    overlays: Sequence[Overlay] = (),
    *,
    plot_width_px: float = MIN_PLOT_WIDTH_PX,
    plot_height_px: float = PLOT_HEIGHT_PX,
    labels: bool = True,
    text_scale: float = 1.0,
) -> MapPlan:
    """Extent, scale, door arrows, labels, scale bar and north arrow of a depot map.

    The extent holds every footprint and overlay with a border of
    ``BORDER_PX``; the scale is that of a plot ``plot_width_px`` x
    ``plot_height_px`` showing it.  Site labels are placed first (storage
    sites first), then each labelled overlay's (arc) label on its line.
    ``text_scale`` (class mode: `CLASS_TEXT_SCALE`) sizes the labels, the
    scale bar, the north arrow and the door arrows; the labels are placed at
    that size, so they still do not overlap (those that find no room are
    dropped, their text stays in the hover).
    """
    s = check_text_scale(text_scale)
    geoms = [s.geometry for s in depot.sites] + [ov.geometry for ov in overlays if not ov.geometry.is_empty]
    bx0, by0, bx1, by1 = (float(v) for v in shapely.total_bounds(np.array(geoms, dtype=object)))
    span_x, span_y = max(bx1 - bx0, 1.0), max(by1 - by0, 1.0)
    m_per_px = max(span_x / (plot_width_px - 2 * BORDER_PX), span_y / (plot_height_px - 2 * BORDER_PX))
    cx, cy = 0.5 * (bx0 + bx1), 0.5 * (by0 + by1)
    half_w, half_h = 0.5 * plot_width_px * m_per_px, 0.5 * plot_height_px * m_per_px
    extent = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)

    # scale bar: bottom left, a round length near a fifth of the width
    length_m = nice_length(0.2 * plot_width_px * m_per_px)
    sb_x0 = extent[0] + 12 * m_per_px
    sb_y0 = extent[1] + 12 * m_per_px
    tw, th = text_size_px(length_text(length_m), LABEL_FONT_PX * s)
    sb_box = (sb_x0 - 2 * m_per_px, sb_y0 - 6 * s * m_per_px,
              sb_x0 + max(length_m, tw * m_per_px) + 2 * m_per_px, sb_y0 + (th + 4 * s) * m_per_px)
    # north arrow: top left (the chart's tool bar is top right), 26 px long, "N" above it
    n_x = extent[0] + 18 * s * m_per_px
    n_tail = (n_x, extent[3] - 44 * s * m_per_px)
    n_tip = (n_x, extent[3] - 18 * s * m_per_px)
    n_box = (n_x - 12 * s * m_per_px, n_tail[1] - 2 * m_per_px, n_x + 12 * s * m_per_px, extent[3] - 2 * m_per_px)

    doors = door_arrows(depot.sites, min_length_m=16 * s * m_per_px)
    placed: list[LabelBox] = []
    dropped: list[LabelRequest] = []
    if labels:
        from depotsafe.kinds import kinds

        table = kinds()
        order = sorted(depot.sites, key=lambda s: table[s.kind].holds_explosives == "no")
        requests = [LabelRequest(s.id, "site", s.id, near=tuple(float(v) for v in s.geometry.bounds))
                    for s in order if not s.geometry.is_empty]
        # pieces of one arc (same text around the same PES: adjacent sectors at one
        # distance) share one label, on whichever piece has room; violated arcs first
        pieces: dict[tuple[str, Any], list[Overlay]] = {}
        for ov in sorted((o for o in overlays if o.label), key=lambda o: o.colour != VIOLATION):
            origin = None if ov.label_origin is None else ov.label_origin.wkb
            pieces.setdefault((ov.label, origin), []).append(ov)
        for (text, _origin), ovs in pieces.items():
            points = tuple(p for ov in ovs for p in _arc_points(ov))
            requests.append(LabelRequest(text, "arc", ovs[0].group or ovs[0].name, points=points))
        avoid = [s.geometry for s in depot.sites if not s.geometry.is_empty]
        avoid += [shapely.LineString([d.tail, d.tip]) for d in doors]
        placed, dropped = place_labels(requests, m_per_px, extent, reserved=[sb_box, n_box], avoid=avoid,
                                       font_px=LABEL_FONT_PX * s)
    return MapPlan(extent, m_per_px, placed, dropped, doors, (sb_x0, sb_y0, length_m), (n_tail, n_tip),
                   [sb_box, n_box], s)


# ---------------------------------------------------------------- the figure


def _rings(geom: BaseGeometry) -> Iterable[Sequence[tuple[float, float]]]:
    """Coordinate sequences to draw a geometry as lines (exteriors and holes)."""
    if geom.is_empty:
        return
    kind = geom.geom_type
    if kind == "Polygon":
        yield list(geom.exterior.coords)
        for hole in geom.interiors:
            yield list(hole.coords)
    elif kind in ("LineString", "LinearRing") or kind == "Point":
        yield list(geom.coords)
    else:  # Multi* and collections
        for part in geom.geoms:
            yield from _rings(part)


def _xy(geoms: Iterable[BaseGeometry], tf: Callable[[Any, Any], tuple[Any, Any]] | None) -> tuple[list, list]:
    xs: list[Any] = []
    ys: list[Any] = []
    for g in geoms:
        for ring in _rings(g):
            rx = [p[0] for p in ring]
            ry = [p[1] for p in ring]
            if tf is not None:
                rx, ry = tf(rx, ry)
                rx, ry = list(rx), list(ry)
            xs.extend([*rx, None])
            ys.extend([*ry, None])
    return xs, ys


def _paths(paths: Iterable[Sequence[tuple[float, float]]]) -> tuple[list, list]:
    """Point sequences joined into one trace's coordinates (None between them)."""
    xs: list[Any] = []
    ys: list[Any] = []
    for path in paths:
        xs.extend([*(p[0] for p in path), None])
        ys.extend([*(p[1] for p in path), None])
    return xs, ys


def site_hover(site: Any, extra: str = "") -> str:
    """Hover text of one site."""
    parts = [f"<b>{site.id}</b> — {site.name}", f"{_('kind')}: {kind_label(site.kind)}"]
    if site.front_bearing_deg is not None:
        parts.append(f"{_('door bearing')}: {number_style().fixed(site.front_bearing_deg, 0)}°")
    if site.persons:
        parts.append(f"{_('persons')}: {count(site.persons)}")
    if site.stock_entries:
        stock = ", ".join(
            f"{e.get('hd', '')}{e.get('cg', '')} {e.get('neq', e.get('neq_kg', ''))}" for e in site.stock_entries
        )
        parts.append(f"{_('stock')}: {stock}")
    if extra:
        parts.append(extra)
    return "<br>".join(parts)


def _fit_zoom(m_per_px: float, lat_deg: float) -> float:
    """The web-map zoom at which a pixel spans ``m_per_px`` metres at this latitude [-]."""
    return math.log2(_EARTH_CIRCUMFERENCE_M * math.cos(math.radians(lat_deg)) / (_WORLD_PX * m_per_px))


def depot_figure(
    depot: Any,
    overlays: Sequence[Overlay] = (),
    *,
    hover_extra: dict[str, str] | None = None,
    highlight: Iterable[str] = (),
    basemap: bool = False,
    plot_height_px: int = PLOT_HEIGHT_PX,
    text_scale: float = 1.0,
) -> go.Figure:
    """The depot's footprints to scale, coloured by kind, with doors, labels and overlays.

    Parameters
    ----------
    depot : depotsafe.layout.Depot
    overlays : sequence of Overlay
        Arcs, zones, pair lines, drawn under the footprints; those with a
        ``label`` get it written on the map.
    hover_extra : dict, optional
        Site id -> more hover text (e.g. the site's licence).
    highlight : iterable of str
        Site ids drawn with a red outline (e.g. in violation).
    basemap : bool
        Draw on OpenStreetMap tiles (needs internet; georeferenced depots
        only).  Callers check the tiles can load first (`show_map`).
    plot_height_px : int
        Height of the plot area [px]; the legend goes under it.
    text_scale : float
        1 on a screen; `CLASS_TEXT_SCALE` for a projector (class mode).  The
        label texts, legend, axis texts, scale bar, north arrow, door arrows
        and point markers grow by this factor and the labels are placed at
        that size (`plan_map`); above 1 the labels are bold on opaque white
        boxes and the background is white (high contrast).

    Notes
    -----
    The plan (`plan_map`, at the narrowest plot) is in
    ``fig.layout.meta["depotsafe_map"]``.
    """
    use_map = basemap and not depot.is_local
    tf = depot.to_lonlat if use_map else None
    large = len(depot.sites) > LARGE
    plan = plan_map(depot, overlays, plot_height_px=plot_height_px, labels=not large, text_scale=text_scale)
    ts = plan.text_scale
    fig = go.Figure()
    scatter = go.Scattermap if use_map else (go.Scattergl if large else go.Scatter)

    def add(x_list: list, y_list: list, **kw: Any) -> None:
        # numpy arrays (NaN = gap) pass plotly's validation fast; lists do not
        xs = np.array(x_list, dtype=np.float64)
        ys = np.array(y_list, dtype=np.float64)
        if tf is not None:
            ok = ~np.isnan(xs)
            if ok.any():
                lon, lat = tf(xs[ok], ys[ok])
                xs[ok], ys[ok] = lon, lat
        for key in ("text", "hovertext"):
            if isinstance(kw.get(key), list):
                kw[key] = np.array(kw[key], dtype=object)
        if use_map:
            fig.add_trace(go.Scattermap(lon=xs, lat=ys, **kw))
        else:
            fig.add_trace(scatter(x=xs, y=ys, **kw))

    # overlays first: zones and arcs lie under the footprints; overlays that
    # look alike share one trace (one legend entry, per-point hover)
    merged: dict[tuple[Any, ...], tuple[list, list, list]] = {}
    for ov in overlays:
        key = (ov.group or ov.name, ov.name, ov.colour, ov.dash, ov.width, ov.fill)
        xs, ys = _xy([ov.geometry], None)
        if not xs:
            continue
        mx, my, mt = merged.setdefault(key, ([], [], []))
        mx.extend(xs)
        my.extend(ys)
        mt.extend([ov.hover or ov.name] * len(xs))
    seen: set[str] = set()
    for (group, name, colour, dash, width, fill), (xs, ys, texts) in merged.items():
        kw: dict[str, Any] = {
            "mode": "lines",
            "name": name,
            "legendgroup": group,
            "showlegend": group not in seen,
            "line": {"color": colour, "width": width * ts} | ({} if use_map or large else {"dash": dash}),
            "hoverinfo": "text",
            "text": texts,
        }
        seen.add(group)
        if fill and not large:
            kw["fill"] = "toself"
            kw["fillcolor"] = _with_alpha(colour, 0.10)
        add(xs, ys, **kw)

    # footprints to scale: polygons filled, routes as lines, point sites as markers
    by_kind: dict[str, list[Any]] = {}
    for site in depot.sites:
        by_kind.setdefault(site.kind, []).append(site)
    extra = hover_extra or {}
    for kind, sites in by_kind.items():
        colour = KIND_COLOURS.get(kind, "#999999")
        polys = [s.geometry for s in sites if s.geometry.geom_type in ("Polygon", "MultiPolygon")]
        lines = [s.geometry for s in sites if s.geometry.geom_type in ("LineString", "MultiLineString")]
        points = [s for s in sites if s.geometry.geom_type in ("Point", "MultiPoint")]
        if polys:
            xs, ys = _xy(polys, None)
            kw = {"mode": "lines", "name": map_kind(kind), "legendgroup": kind, "line": {"color": colour, "width": ts},
                  "hoverinfo": "skip"}
            if not large:
                kw |= {"fill": "toself", "fillcolor": _with_alpha(colour, 0.75)}
            add(xs, ys, **kw)
        if lines:
            xs, ys = _xy(lines, None)
            add(xs, ys, mode="lines", name=map_kind(kind), legendgroup=kind, showlegend=not polys,
                line={"color": colour, "width": 4}, hoverinfo="skip")
        if points:
            # no footprint: a marker, the size of the site where the layout gives one
            sizes = [max(6.0 * ts, 2 * float(p.properties.get("radius_m", 0)) / plan.m_per_px) for p in points]
            add([p.geometry.centroid.x for p in points], [p.geometry.centroid.y for p in points],
                mode="markers", name=map_kind(kind), legendgroup=kind, showlegend=not (polys or lines),
                marker={"size": sizes, "color": colour, "symbol": "circle"}, hoverinfo="skip")
        # hover at a point inside each footprint (an invisible marker: no dots on the map)
        pts = [s.geometry.representative_point() for s in sites]
        add([p.x for p in pts], [p.y for p in pts], mode="markers", name=map_kind(kind), legendgroup=kind,
            showlegend=False,
            marker={"size": 8, "color": "rgba(0,0,0,0)"},
            hovertext=[site_hover(s, extra.get(s.id, "")) for s in sites], hoverinfo="text")
    hl = set(highlight)
    bad = [s.geometry for s in depot.sites if s.id in hl]
    if bad:
        xs, ys = _xy(bad, None)
        add(xs, ys, mode="lines", name=_("in violation"), line={"color": VIOLATION, "width": 3 * ts},
            hoverinfo="skip")

    # door arrows: shaft and a filled head, one legend entry
    if plan.doors:
        xs, ys = _paths([d.tail, d.tip] for d in plan.doors)
        add(xs, ys, mode="lines", name=_("door (outward)"), legendgroup="door", line={"color": DOOR, "width": 1.5 * ts},
            hoverinfo="skip")
        xs, ys = _paths([*d.head, d.head[0]] for d in plan.doors)
        add(xs, ys, mode="lines", name=_("door (outward)"), legendgroup="door", showlegend=False,
            line={"color": DOOR, "width": 1}, fill="toself", fillcolor=DOOR, hoverinfo="skip")

    _draw_labels(add, plan, overlays)
    _draw_scale_and_north(add, plan)

    n_legend = sum(1 for tr in fig.data if tr.showlegend is not False and tr.name)
    legend_px = legend_height_px(n_legend, MIN_PLOT_WIDTH_PX, ts)
    margin_b = AXIS_B_PX * ts + legend_px
    fig.update_layout(
        height=int(plot_height_px + MARGIN_T_PX + margin_b),
        margin={"l": int(MARGIN_L_PX * ts), "r": MARGIN_R_PX, "t": MARGIN_T_PX, "b": int(margin_b),
                "autoexpand": False},
        legend={"orientation": "h", "xref": "container", "yref": "container", "x": 0.0, "xanchor": "left",
                "y": 0.0, "yanchor": "bottom", "entrywidth": LEGEND_ENTRY_PX * ts, "entrywidthmode": "pixels",
                "itemsizing": "constant", "bgcolor": "rgba(255,255,255,0)",
                "font": {"size": 12 * ts, "color": "#000000" if ts > 1 else None}},
        font={"size": 12 * ts, "family": MAP_FONT_FAMILY},
        hoverlabel={"align": "left"},
        paper_bgcolor="#ffffff" if ts > 1 else None,
        plot_bgcolor="#ffffff" if ts > 1 else "#f7f7f2",
        meta={"depotsafe_map": plan.meta() | {"legend_entries": n_legend, "basemap": use_map}},
    )
    x0, y0, x1, y1 = plan.extent
    if use_map:
        lon, lat = depot.to_lonlat(0.5 * (x0 + x1), 0.5 * (y0 + y1))
        fig.update_layout(map={"style": "open-street-map", "center": {"lon": float(lon), "lat": float(lat)},
                               "zoom": _fit_zoom(plan.m_per_px, float(lat))})
    else:
        grid = "#eeeeee" if ts > 1 else "#e0e0d8"  # class mode: a lighter grid, less clutter
        fig.update_xaxes(title_text=_("x east [m]"), showgrid=True, gridcolor=grid, zeroline=False,
                         range=[x0, x1], constrain="range")
        fig.update_yaxes(title_text=_("y north [m]"), showgrid=True, gridcolor=grid, zeroline=False,
                         range=[y0, y1], scaleanchor="x", scaleratio=1, constrain="range")
    return fig


def _draw_labels(add: Callable[..., None], plan: MapPlan, overlays: Sequence[Overlay]) -> None:
    """Label boxes (white, half-clear), leader lines and texts, sites and arcs apart."""
    if not plan.labels:
        return
    xs, ys = _paths([(b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1), (b.x0, b.y0)] for b in plan.labels)
    high = plan.text_scale > 1  # class mode: opaque boxes, bold text (high contrast)
    add(xs, ys, mode="lines", line={"width": 0, "color": "rgba(255,255,255,0)"}, fill="toself",
        fillcolor="rgba(255,255,255,0.92)" if high else "rgba(255,255,255,0.7)", hoverinfo="skip", showlegend=False,
        name="labels")
    leaders = [b for b in plan.labels if b.leader]
    if leaders:
        paths = []
        for b in leaders:
            # from the site's centre to the nearest point of the box
            ax, ay = b.anchor
            paths.append([b.anchor, (min(max(ax, b.x0), b.x1), min(max(ay, b.y0), b.y1))])
        xs, ys = _paths(paths)
        add(xs, ys, mode="lines", line={"width": 0.8 * plan.text_scale, "color": "#000000" if high else "#555555"},
            hoverinfo="skip", showlegend=False, name="leaders")
    colour_of = {(ov.label, ov.group or ov.name): ov.colour for ov in overlays if ov.label}
    by_colour: dict[tuple[str, str], list[LabelBox]] = {}
    for b in plan.labels:
        colour = ("#000000" if high else "#111111") if b.kind == "site" else colour_of.get((b.text, b.ref), ARC)
        by_colour.setdefault((b.kind, colour), []).append(b)
    for (kind, colour), boxes in by_colour.items():
        add([b.centre[0] for b in boxes], [b.centre[1] for b in boxes], mode="text",
            text=[b.text for b in boxes], textposition="middle center",
            textfont={"size": plan.label_font_px, "color": colour} | ({"weight": "bold"} if high else {}),
            hoverinfo="skip", showlegend=False, name=f"{kind} labels")


def _draw_scale_and_north(add: Callable[..., None], plan: MapPlan) -> None:
    """A scale bar with end ticks and its length, and a north arrow with an N."""
    x0, y0, length_m = plan.scale_bar
    s = plan.text_scale
    tick = 5 * s * plan.m_per_px
    add([x0, x0 + length_m, None, x0, x0, None, x0 + length_m, x0 + length_m],
        [y0, y0, None, y0 - tick, y0 + tick, None, y0 - tick, y0 + tick],
        mode="lines", line={"color": "#111111", "width": 2 * s}, hoverinfo="skip", showlegend=False,
        name="scale bar")
    add([x0 + 0.5 * length_m], [y0 + 10 * s * plan.m_per_px], mode="text", text=[length_text(length_m)],
        textposition="middle center", textfont={"size": plan.label_font_px, "color": "#111111"}, hoverinfo="skip",
        showlegend=False, name="scale bar text")
    (nx, ny0), (_nx, ny1) = plan.north
    head = 8 * s * plan.m_per_px
    add([nx, nx, None, nx - 0.6 * head, nx, nx + 0.6 * head, nx - 0.6 * head],
        [ny0, ny1, None, ny1 - head, ny1, ny1 - head, ny1 - head],
        mode="lines", line={"color": "#111111", "width": 2 * s}, fill="toself", fillcolor="#111111",
        hoverinfo="skip", showlegend=False, name="north arrow")
    add([nx], [ny1 + 8 * s * plan.m_per_px], mode="text", text=["N"], textposition="middle center",
        textfont={"size": 12 * s, "color": "#111111"}, hoverinfo="skip", showlegend=False, name="north")


def _with_alpha(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def pair_line(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    """The segment joining the nearest points of two footprints (drawing only)."""
    return shapely.shortest_line(a, b)


def arc_map_label(props: dict[str, Any]) -> str:
    """The label written on an arc: the exposed kind (face, traffic) and the distance, rounded up [m]."""
    face = f" ({map_word(props['es_face'])})" if props.get("es_face") else ""
    traffic = f" ({map_word(props['traffic'])})" if props.get("traffic") else ""
    distance = with_unit(number_style().fixed(math.ceil(props["required_distance_m"] - 1e-9)), "m")
    return f"{map_kind(props['es_kind'])}{face}{traffic} {distance}"


def arc_hover_label(props: dict[str, Any]) -> str:
    """The title of an arc's hover text: PES (sector), exposed kind, face and traffic, distance.

    In English, the label of the downloaded arcs (``depotsafe.report.arc_label``); in another
    language, the same in words of that language.
    """
    if lang() == DEFAULT_LANGUAGE:
        from depotsafe.report import arc_label

        return arc_label(props)
    sector = f" ({face_name(props['pes_sector'])})" if props.get("pes_sector") else ""
    face = f", {face_name(props['es_face'])}" if props.get("es_face") else ""
    traffic = f", {traffic_name(props['traffic'])}" if props.get("traffic") else ""
    return (f"{props['pes']}{sector} → {kind_label(props['es_kind'])}{face}{traffic}: "
            f"{metres_up(props['required_distance_m'])}")


def arc_overlays(result: Any, pes: str | None = None) -> list[Overlay]:
    """The check's QD arcs as overlays: every violated arc, and every arc of ``pes`` (with its group).

    One arc per sector of an earth-covered PES (front, side, rear) and per
    kind and face of exposed site, each with its own distance
    (depotsafe.report.arcs): an exposed site of that kind inside it fails.
    Each is labelled on the map with the exposed kind and the distance.
    Drawings only; the verdicts come from the engine's exact distances.
    """
    from depotsafe.report import arcs

    feats = arcs(result, violated_only=True)
    if pes is not None:
        feats = [f for f in feats if pes not in f["properties"]["group"]] + arcs(result, pes=[pes])
    depot = result.depot
    origins: dict[tuple[str, ...], BaseGeometry] = {}
    out = []
    for f in feats:
        p = f["properties"]
        bad = bool(p["violated"])
        group = tuple(p["group"])
        if group not in origins:
            origins[group] = shapely.union_all([depot.site(m).geometry for m in group])
        sector = f"{_('sector')}: {face_name(p['pes_sector'])}<br>" if p.get("pes_sector") else ""
        out.append(Overlay(
            f["geometry"].boundary, _("arc (violated)") if bad else _("arc"), VIOLATION if bad else ARC,
            hover=f"<b>{arc_hover_label(p)}</b><br>{sector}{_('HD')} {p['hd']}: {p['rule']}<br>{p['source']}",
            dash="dash", group="arc_bad" if bad else "arc", label=arc_map_label(p),
            label_origin=origins[group], label_radius_m=float(p["required_distance_m"])))
    return out


# ---------------------------------------------------------------- basemap and the page


_probe: dict[str, tuple[float, bool]] = {}


def tiles_reachable(timeout_s: float = TILE_PROBE_TIMEOUT_S) -> bool:
    """True if the basemap's tile server answers within ``timeout_s`` (kept for ``TILE_PROBE_TTL_S``).

    The browser loads the tiles; the app's server asks first for one tile,
    so that a map without network says so instead of staying blank.
    """
    now = time.monotonic()
    hit = _probe.get(TILE_PROBE_URL)
    if hit is not None and now - hit[0] < TILE_PROBE_TTL_S:
        return hit[1]
    from depotsafe import __version__

    req = urllib.request.Request(TILE_PROBE_URL, method="HEAD",
                                 headers={"User-Agent": f"depotsafe/{__version__} (basemap check)"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            ok = 200 <= resp.status < 400
    except (OSError, ValueError):
        ok = False
    _probe[TILE_PROBE_URL] = (now, ok)
    return ok


def show_map(depot: Any, overlays: Sequence[Overlay] = (), *, key: str, basemap: bool = False,
             **kw: Any) -> go.Figure:
    """Draw a depot map on the page; with the basemap on, check the tiles can load first.

    When they cannot (no network), a warning says so and the map is drawn on
    the plain background: never a blank map.
    """
    import streamlit as st

    use_map = bool(basemap) and not depot.is_local
    if use_map and not tiles_reachable():
        st.warning(_("The basemap cannot be loaded (the tile server {host} does not answer: no internet?). "
                     "The map is drawn on a plain background.").format(host="tile.openstreetmap.org"),
                   icon="🗺️")
        use_map = False
    fig = depot_figure(depot, overlays, basemap=use_map, **kw)
    st.plotly_chart(fig, width="stretch", key=key)
    return fig
