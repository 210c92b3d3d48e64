"""The site plan: vector graphics (SVG) at a stated scale on A4 or A3.

Drawn here, never by a plotting library's static export.  One SVG user unit is
one millimetre of paper, so a length ``d`` on the page stands for
``d * scale / 1000`` metres of ground.  Coordinates are the depot's local
metres (its transverse Mercator grid, standards.md decision 12; or the local
metres of a training layout), x east and y north; the plan's up is grid north.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from depotsafe.documents.text import Words
from depotsafe.errors import InputError
from depotsafe.kinds import kinds

#: Paper sizes (width, height) in millimetres, portrait.
PAPERS = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS = ("portrait", "landscape")
#: Page margin around the plan [mm].
MARGIN_MM = 10.0
#: Colour of the QD arcs drawn for a chosen storehouse (``report --arcs``); violated arcs are red.
ARC_CHOSEN = "#1f4e9c"
#: Height of the legend and title block strip under the map [mm].
STRIP_MM = 42.0
#: Scales offered, 1:n.  The plan takes the largest-drawn one (smallest n) that holds every footprint.
SCALES = (500, 1000, 1250, 2000, 2500, 5000, 10000, 20000, 25000, 50000, 100000, 200000, 250000, 500000)
_NICE = (1, 2, 5)
RED = "#d00000"


def page_size(paper: str, orientation: str) -> tuple[float, float]:
    """The page (width, height) in mm; InputError for an unknown paper or orientation."""
    if paper not in PAPERS:
        raise InputError("--paper", paper, "one of " + ", ".join(PAPERS))
    if orientation not in ORIENTATIONS:
        raise InputError("--orientation", orientation, "one of " + ", ".join(ORIENTATIONS))
    w, h = PAPERS[paper]
    return (h, w) if orientation == "landscape" else (w, h)


def _nice_steps(limit: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``limit``."""
    exp = math.floor(math.log10(limit))
    best = 10.0 ** exp
    for m in _NICE:
        if m * 10.0 ** exp <= limit:
            best = m * 10.0 ** exp
    return best


@dataclass(frozen=True)
class Plan:
    """The drawn plan and what it states."""

    svg: str
    scale: int  # 1:scale
    paper: str
    orientation: str
    width_mm: float
    height_mm: float
    scale_bar_m: float
    scale_bar_mm: float


def _f(v: float) -> str:
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text


class _Frame:
    """Ground metres to paper millimetres."""

    def __init__(self, x0: float, y0: float, w: float, h: float, cx: float, cy: float, scale: int) -> None:
        self.x0, self.y0, self.w, self.h, self.cx, self.cy = x0, y0, w, h, cx, cy
        self.k = 1000.0 / scale  # mm of paper per m of ground

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (self.x0 + self.w / 2 + (x - self.cx) * self.k, self.y0 + self.h / 2 - (y - self.cy) * self.k)

    def ground_x(self, px: float) -> float:
        return self.cx + (px - self.x0 - self.w / 2) / self.k

    def ground_y(self, py: float) -> float:
        return self.cy - (py - self.y0 - self.h / 2) / self.k

    def path(self, geom: BaseGeometry) -> str:
        parts: list[str] = []
        for g in getattr(geom, "geoms", [geom]):
            if g.geom_type == "Polygon":
                for ring in [g.exterior, *g.interiors]:
                    pts = [self.xy(x, y) for x, y in ring.coords]
                    parts.append("M" + " L".join(f"{_f(a)} {_f(b)}" for a, b in pts) + " Z")
            elif g.geom_type in ("LineString", "LinearRing"):
                pts = [self.xy(x, y) for x, y in g.coords]
                parts.append("M" + " L".join(f"{_f(a)} {_f(b)}" for a, b in pts))
            elif g.geom_type == "Point":
                a, b = self.xy(g.x, g.y)
                parts.append(f"M{_f(a - 1)} {_f(b)} L{_f(a + 1)} {_f(b)} M{_f(a)} {_f(b - 1)} L{_f(a)} {_f(b + 1)}")
        return " ".join(parts)


def choose_scale(extent_w_m: float, extent_h_m: float, frame_w_mm: float, frame_h_mm: float) -> int:
    """The smallest listed scale denominator at which the extent fits the frame."""
    need = max(extent_w_m * 1000.0 / frame_w_mm, extent_h_m * 1000.0 / frame_h_mm, 1.0)
    for s in SCALES:
        if s >= need:
            return s
    return int(math.ceil(need / 100000.0) * 100000)


def _door(site: Any) -> tuple[float, float, float, float] | None:
    """The point of the door face (on the footprint's edge, toward the front bearing) and the bearing's unit vector."""
    if site.front_bearing_deg is None or site.geometry.geom_type != "Polygon":
        return None
    b = math.radians(site.front_bearing_deg)
    ux, uy = math.sin(b), math.cos(b)
    c = site.geometry.centroid
    far = shapely.LineString([(c.x, c.y), (c.x + ux * 1e5, c.y + uy * 1e5)])
    hit = far.intersection(site.geometry.exterior)
    if hit.is_empty:
        return None
    pts = [p for p in getattr(hit, "geoms", [hit]) if p.geom_type == "Point"]
    if not pts:
        return None
    p = max(pts, key=lambda q: (q.x - c.x) * ux + (q.y - c.y) * uy)
    return p.x, p.y, ux, uy


def door_mark(fr: _Frame, site: Any) -> list[str]:
    """The door of a site as a small triangle on its front face, pointing out (none without a door bearing)."""
    door = _door(site)
    if door is None:
        return []
    dx, dy, ux, uy = door
    px, py = fr.xy(dx, dy)
    vx, vy = ux, -uy  # paper y points down
    tip = (px + vx * 1.6, py + vy * 1.6)
    left = (px - vy * 0.9, py + vx * 0.9)
    right = (px + vy * 0.9, py - vx * 0.9)
    return [f'<path class="door" d="M{_f(left[0])} {_f(left[1])} L{_f(tip[0])} {_f(tip[1])} '
            f'L{_f(right[0])} {_f(right[1])} Z" fill="#1f4e9c"/>']


def site_plan(result: Any, w: Words, *, paper: str = "A4", orientation: str = "portrait", date: str = "",
              layout_name: str = "", arcs: list[dict[str, Any]] | None = None) -> Plan:
    """Draw the site plan of a checked depot.

    ``arcs`` are QD arcs as :func:`depotsafe.report.arcs` gives them (drawn as outlines).
    Violations are numbered V1, V2, ... in the order the report's violation table lists them.
    """
    _ = w.gettext
    depot = result.depot
    page_w, page_h = page_size(paper, orientation)
    sw, sh = page_w - 2 * MARGIN_MM, page_h - 2 * MARGIN_MM
    fw, fh = sw, sh - STRIP_MM - 4.0
    frame_x, frame_y = 0.0, 0.0
    areas = [s.geometry for s in depot.sites if s.geometry.geom_type in ("Polygon", "MultiPolygon", "Point")]
    if not areas:
        areas = [s.geometry for s in depot.sites]
    minx, miny, maxx, maxy = shapely.GeometryCollection(areas).bounds
    pad = 0.06 * max(maxx - minx, maxy - miny, 50.0)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = choose_scale(maxx - minx, maxy - miny, fw, fh)
    fr = _Frame(frame_x, frame_y, fw, fh, (minx + maxx) / 2, (miny + maxy) / 2, scale)
    font = 'font-family="Noto Sans, DejaVu Sans, sans-serif"'
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="site-plan" width="{_f(sw)}mm" height="{_f(sh)}mm" '
        f'viewBox="0 0 {_f(sw)} {_f(sh)}" data-scale="{scale}" {font}>',
        f'<defs><clipPath id="map-clip"><rect x="0" y="0" width="{_f(fw)}" height="{_f(fh)}"/></clipPath></defs>',
        f'<rect x="0" y="0" width="{_f(fw)}" height="{_f(fh)}" fill="white" stroke="black" stroke-width="0.35"/>',
        '<g clip-path="url(#map-clip)">',
    ]
    # grid in metres of the depot grid
    step = _nice_steps(max(25.0 / fr.k, 1.0))
    gx0 = math.ceil(fr.ground_x(0) / step) * step
    gy0 = math.ceil(fr.ground_y(fh) / step) * step
    grid: list[str] = []
    labels: list[str] = []
    x = gx0
    while x <= fr.ground_x(fw):
        px = fr.xy(x, 0)[0]
        grid.append(f"M{_f(px)} 0 L{_f(px)} {_f(fh)}")
        labels.append(f'<text x="{_f(px + 0.6)}" y="{_f(fh - 1.0)}" font-size="1.8" fill="#777">'
                      f'{w.style.fixed(x, 0)}</text>')
        x += step
    y = gy0
    while y <= fr.ground_y(0):
        py = fr.xy(0, y)[1]
        grid.append(f"M0 {_f(py)} L{_f(fw)} {_f(py)}")
        labels.append(f'<text x="0.8" y="{_f(py - 0.6)}" font-size="1.8" fill="#777">{w.style.fixed(y, 0)}</text>')
        y += step
    out.append(f'<path id="grid" d="{" ".join(grid)}" stroke="#bbb" stroke-width="0.15" fill="none"/>')
    out.extend(labels)
    for feat in arcs or []:
        # red: the arc of a violated relation; blue: an arc drawn because its storehouse was chosen
        violated = feat["properties"].get("violated", True)
        out.append(f'<path class="arc{"" if violated else " chosen"}" d="{fr.path(feat["geometry"])}" fill="none" '
                   f'stroke="{RED if violated else ARC_CHOSEN}" stroke-width="0.25" stroke-dasharray="1.2 0.8" '
                   'fill-rule="evenodd"/>')
    violations = sorted(result.iter_violations(), key=_order_key)
    bad_ids = {v["es"] for v in violations} | {m for v in violations for m in (v.get("group") or [v["pes"]])}
    for s in depot.sites:
        colour = RED if s.id in bad_ids else "black"
        if s.geometry.geom_type in ("LineString", "MultiLineString"):
            out.append(f'<path id="site-{escape(s.id)}" class="route" d="{fr.path(s.geometry)}" fill="none" '
                       f'stroke="{colour if s.id in bad_ids else "#8a5a00"}" stroke-width="0.8"/>')
            continue
        fill = "#cfcfcf" if kinds()[s.kind].holds_explosives == "yes" else (
            "#f5c77e" if s.kind == "vulnerable_building" else "#cfe3f5")
        out.append(f'<path id="site-{escape(s.id)}" class="footprint" d="{fr.path(s.geometry)}" fill="{fill}" '
                   f'stroke="{colour}" stroke-width="{0.45 if s.id in bad_ids else 0.25}"/>')
        out.extend(door_mark(fr, s))
    for s in depot.sites:
        c = s.geometry.representative_point() if s.geometry.geom_type != "LineString" else s.geometry.interpolate(0.5,
                                                                                                                  normalized=True)
        bx = s.geometry.bounds
        px, py = fr.xy(bx[2], bx[3]) if s.geometry.geom_type not in ("LineString", "MultiLineString") else fr.xy(c.x, c.y)
        colour = RED if s.id in bad_ids else "black"
        out.append(f'<text class="site-id" x="{_f(px + 0.5)}" y="{_f(py - 0.5)}" font-size="2.2" '
                   f'font-weight="bold" fill="{colour}">{escape(s.id)}</text>')
    for n, v in enumerate(violations, start=1):
        pes_ids = v.get("group") or [v["pes"]]
        es = depot.site(v["es"]).geometry
        a = depot.site(v["pes"]).geometry if v["pes"] in pes_ids else depot.site(pes_ids[0]).geometry
        p, q = nearest_points(a, es)
        (x1, y1), (x2, y2) = fr.xy(p.x, p.y), fr.xy(q.x, q.y)
        out.append(f'<path class="violation" id="violation-V{n}" d="M{_f(x1)} {_f(y1)} L{_f(x2)} {_f(y2)}" '
                   f'stroke="{RED}" stroke-width="0.4" stroke-dasharray="1.5 0.8"/>')
        t = 0.35 + 0.3 * ((n % 3) / 2)
        mx, my = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
        out.append(f'<text x="{_f(mx + 0.6)}" y="{_f(my)}" font-size="2.0" fill="{RED}" '
                   f'font-weight="bold">V{n}</text>')
    out.append("</g>")
    out.extend(north_arrow(w, fw))
    bar_m, bar_mm = scale_bar(out, w, fr, fw, fh, scale)
    out.extend(_strip(w, fw, fh, sw, sh, scale, paper, orientation, step, date, layout_name, result,
                      chosen_arcs=any(not a["properties"].get("violated", True) for a in arcs or [])))
    out.append("</svg>")
    return Plan("\n".join(out), scale, paper, orientation, page_w, page_h, bar_m, bar_mm)


def north_arrow(w: Words, fw: float) -> list[str]:
    """The north arrow (grid north), top right of a map frame ``fw`` mm wide."""
    _ = w.gettext
    nx, ny = fw - 10.0, 6.0
    return [f'<g id="north-arrow"><path d="M{_f(nx)} {_f(ny)} L{_f(nx + 3)} {_f(ny + 10)} L{_f(nx)} {_f(ny + 7.5)} '
            f'L{_f(nx - 3)} {_f(ny + 10)} Z" fill="black"/>'
            f'<text x="{_f(nx)}" y="{_f(ny - 1.2)}" font-size="3.5" text-anchor="middle" font-weight="bold">N</text>'
            f'<text x="{_f(nx)}" y="{_f(ny + 13.5)}" font-size="1.8" text-anchor="middle">'
            f'{escape(_("grid north"))}</text></g>']


def scale_bar(out: list[str], w: Words, fr: _Frame, fw: float, fh: float, scale: int) -> tuple[float, float]:
    """Append the scale bar (bottom left of the map frame) to ``out``; its length in m and in mm."""
    bar_m = _nice_steps(min(60.0, fw / 3) / fr.k)
    bar_mm = bar_m * fr.k
    bx, by = 6.0, fh - 9.0
    seg = bar_mm / 4
    out.append(f'<rect x="{_f(bx - 2)}" y="{_f(by - 5.5)}" width="{_f(bar_mm + 12)}" height="{_f(fh - by + 5.5)}" fill="white" '
               'fill-opacity="0.85"/>')
    out.append(f'<g id="scale-bar" data-metres="{w.style.fixed(bar_m, 0)}">')
    out.append(f'<rect id="scale-bar-rect" x="{_f(bx)}" y="{_f(by)}" width="{_f(bar_mm)}" height="1.6" fill="white" '
               'stroke="black" stroke-width="0.2"/>')
    for i in range(0, 4, 2):
        out.append(f'<rect x="{_f(bx + i * seg)}" y="{_f(by)}" width="{_f(seg)}" height="1.6" fill="black"/>')
    out.append(f'<text x="{_f(bx)}" y="{_f(by - 0.8)}" font-size="2" text-anchor="middle">0</text>')
    out.append(f'<text x="{_f(bx + bar_mm)}" y="{_f(by - 0.8)}" font-size="2" text-anchor="middle">'
               f'{w.style.fixed(bar_m, 0)} m</text>')
    out.append(f'<text x="{_f(bx)}" y="{_f(by + 4.2)}" font-size="2">1:{w.style.fixed(scale, 0)}</text>')
    out.append("</g>")
    return bar_m, bar_mm


def _order_key(v: dict[str, Any]) -> tuple[int, float, str, str, str]:
    from depotsafe.documents.model import _tightness

    return _tightness(v)


def _strip(w: Words, fw: float, fh: float, sw: float, sh: float, scale: int, paper: str, orientation: str,
           step: float, date: str, layout_name: str, result: Any, chosen_arcs: bool = False) -> list[str]:
    """Legend (left) and title block (right) under the map."""
    _ = w.gettext
    y0 = fh + 4.0
    out = [f'<rect x="0" y="{_f(y0)}" width="{_f(sw)}" height="{_f(sh - y0)}" fill="none" stroke="black" '
           'stroke-width="0.35"/>']
    lx, ly = 3.0, y0 + 5.0
    out.append(f'<text x="{_f(lx)}" y="{_f(ly)}" font-size="2.6" font-weight="bold">{escape(_("Legend"))}</text>')
    items = [
        ('<rect x="{x}" y="{y}" width="5" height="3" fill="#cfcfcf" stroke="black" stroke-width="0.25"/>',
         _("storage site (potential explosion site)")),
        ('<rect x="{x}" y="{y}" width="5" height="3" fill="#cfe3f5" stroke="black" stroke-width="0.25"/>',
         _("inhabited building, workshop or other exposed site")),
        ('<rect x="{x}" y="{y}" width="5" height="3" fill="#f5c77e" stroke="black" stroke-width="0.25"/>',
         _("vulnerable building")),
        ('<path d="M{x} {ym} l5 0" stroke="#8a5a00" stroke-width="0.8"/>', _("public traffic route")),
        ('<path d="M{x} {y} l2.5 3 l2.5 -3 z" fill="#1f4e9c"/>', _("door (front face), pointing out")),
        ('<path d="M{x} {ym} l5 0" stroke="#d00000" stroke-width="0.4" stroke-dasharray="1.5 0.8"/>',
         _("violation Vn: nearest points of the pair, red")),
        ('<path d="M{x} {ym} l5 0" stroke="#d00000" stroke-width="0.25" stroke-dasharray="1.2 0.8"/>',
         _("QD arc of a violated relation")),
    ]
    if chosen_arcs:
        items.append((f'<path d="M{{x}} {{ym}} l5 0" stroke="{ARC_CHOSEN}" stroke-width="0.25" '
                       'stroke-dasharray="1.2 0.8"/>', _("QD arc of a chosen storehouse")))
    pitch = 4.6 if len(items) <= 7 else 4.0  # eight rows still inside the strip
    for i, (sym, label) in enumerate(items):
        cx = lx
        cy = ly + 4.0 + i * pitch
        out.append(sym.format(x=_f(cx), y=_f(cy - 2.4), ym=_f(cy - 0.9)))
        out.append(f'<text x="{_f(cx + 7)}" y="{_f(cy)}" font-size="2.1">{escape(label)}</text>')
    prov = result.provenance()
    grid_name = (_("local metres of the layout") if result.depot.is_local else
                 _("metres, the depot's transverse Mercator grid, origin at its centre"))
    tx = max(sw - 110.0, 92.0)
    rows = [
        (_("Site plan"), layout_name),
        (_("Scale"), f"1:{w.style.fixed(scale, 0)} ({paper} {_(orientation)})"),
        (_("Grid"), f"{w.style.fixed(step, 0)} m"),
        (_("Coordinates"), grid_name),
        (_("Date"), date),
        (_("Rule set"), f"{prov['rule_set']} {prov['rule_data_sha256'][:12]}"),
        (_("Input"), f"sha256 {prov['input_sha256'][:12]}, depotsafe {prov['depotsafe_version']}"),
    ]
    out.append(f'<g id="title-block"><rect x="{_f(tx)}" y="{_f(y0)}" width="{_f(sw - tx)}" height="{_f(sh - y0)}" '
               'fill="none" stroke="black" stroke-width="0.35"/>')
    for i, (k, v) in enumerate(rows):
        ty = y0 + 5.0 + i * 5.2
        out.append(f'<text x="{_f(tx + 2)}" y="{_f(ty)}" font-size="2.2" font-weight="bold">{escape(k)}</text>')
        out.append(f'<text x="{_f(tx + 22)}" y="{_f(ty)}" font-size="2.0">{escape(v)}</text>')
    out.append("</g>")
    return out
