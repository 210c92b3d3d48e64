"""Offline maps: footprints, arcs and zones in the depot's own metres.

Drawn with plotly in the local transverse Mercator metres of the depot on a
plain background, so the map works without internet.  A basemap (OpenStreetMap
tiles loaded by the browser) is used only when the user asks for it and the
depot is georeferenced.  Buffers here are for drawing only; every distance in a
table comes from the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
import shapely
from shapely.geometry.base import BaseGeometry

from depotsafe.ui.common import _

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

#: Above this many sites the map drops labels and fills (WebGL outlines).
LARGE = 1500


@dataclass
class Overlay:
    """A shape drawn over the footprints: an arc, a zone or a pair line."""

    geometry: BaseGeometry
    name: str
    colour: str
    hover: str = ""
    fill: bool = False
    dash: str = "solid"
    width: float = 1.5
    group: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


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


def site_hover(site: Any, extra: str = "") -> str:
    """Hover text of one site."""
    parts = [f"<b>{site.id}</b> — {site.name}", f"{_('kind')}: {site.kind}"]
    if site.front_bearing_deg is not None:
        parts.append(f"{_('door bearing')}: {site.front_bearing_deg:.0f}°")
    if site.persons:
        parts.append(f"{_('persons')}: {site.persons:g}")
    if site.stock_entries:
        stock = ", ".join(
            f"{e.get('hd', '')}{e.get('cg', '')} {e.get('neq', e.get('neq_kg', ''))}" for e in site.stock_entries
        )
        parts.append(f"{_('stock')}: {stock}")
    if extra:
        parts.append(extra)
    return "<br>".join(parts)


def depot_figure(
    depot: Any,
    overlays: Sequence[Overlay] = (),
    *,
    hover_extra: dict[str, str] | None = None,
    highlight: Iterable[str] = (),
    basemap: bool = False,
    height: int = 620,
) -> go.Figure:
    """The depot's footprints coloured by kind, with ids, hover and overlays.

    Parameters
    ----------
    depot : depotsafe.layout.Depot
    overlays : sequence of Overlay
        Arcs, zones, pair lines, drawn under the footprints' labels.
    hover_extra : dict, optional
        Site id -> more hover text (e.g. the site's licence).
    highlight : iterable of str
        Site ids drawn with a red outline (e.g. in violation).
    basemap : bool
        Draw on OpenStreetMap tiles (needs internet; georeferenced depots only).
    """
    use_map = basemap and not depot.is_local
    tf = depot.to_lonlat if use_map else None
    large = len(depot.sites) > LARGE
    fig = go.Figure()
    scatter = go.Scattermap if use_map else (go.Scattergl if large else go.Scatter)

    def add(x_list: list, y_list: list, **kw: Any) -> None:
        # numpy arrays (NaN = gap) pass plotly's validation fast; lists do not
        xs = np.array(x_list, dtype=np.float64)
        ys = np.array(y_list, dtype=np.float64)
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
        xs, ys = _xy([ov.geometry], tf)
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
            "line": {"color": colour, "width": width} | ({} if use_map or large else {"dash": dash}),
            "hoverinfo": "text",
            "text": texts,
        }
        seen.add(group)
        if fill and not large:
            kw["fill"] = "toself"
            kw["fillcolor"] = _with_alpha(colour, 0.10)
        add(xs, ys, **kw)

    by_kind: dict[str, list[Any]] = {}
    for site in depot.sites:
        by_kind.setdefault(site.kind, []).append(site)
    for kind, sites in by_kind.items():
        colour = KIND_COLOURS.get(kind, "#999999")
        polys = [s.geometry for s in sites if s.geometry.geom_type in ("Polygon", "MultiPolygon")]
        lines = [s.geometry for s in sites if s.geometry.geom_type not in ("Polygon", "MultiPolygon")]
        if polys:
            xs, ys = _xy(polys, tf)
            kw = {"mode": "lines", "name": kind, "legendgroup": kind, "line": {"color": colour, "width": 1},
                  "hoverinfo": "skip"}
            if not large:
                kw |= {"fill": "toself", "fillcolor": _with_alpha(colour, 0.75)}
            add(xs, ys, **kw)
        if lines:
            xs, ys = _xy(lines, tf)
            add(xs, ys, mode="lines", name=kind, legendgroup=kind, showlegend=not polys,
                line={"color": colour, "width": 4}, hoverinfo="skip")
        # labels and hover at a point inside each footprint
        pts = [s.geometry.representative_point() for s in sites]
        px = [p.x for p in pts]
        py = [p.y for p in pts]
        if tf is not None:
            px, py = (list(v) for v in tf(px, py))
        extra = hover_extra or {}
        texts = [site_hover(s, extra.get(s.id, "")) for s in sites]
        add(px, py, mode="markers" if large else "markers+text", name=kind, legendgroup=kind, showlegend=False,
            marker={"size": 4 if large else 6, "color": colour},
            text=None if large else [s.id for s in sites], textposition="top center",
            hovertext=texts, hoverinfo="text")
    bad = [s.geometry for s in depot.sites if s.id in set(highlight)]
    if bad:
        xs, ys = _xy(bad, tf)
        add(xs, ys, mode="lines", name=_("in violation"), line={"color": VIOLATION, "width": 3}, hoverinfo="skip")

    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"title": {"text": _("Legend")}, "itemsizing": "constant"},
        hoverlabel={"align": "left"},
        plot_bgcolor="#f7f7f2",
    )
    if use_map:
        c = shapely.union_all([s.geometry for s in depot.sites]).centroid
        lon, lat = depot.to_lonlat(c.x, c.y)
        fig.update_layout(map={"style": "open-street-map", "center": {"lon": float(lon), "lat": float(lat)}, "zoom": 14})
    else:
        fig.update_xaxes(title_text=_("x east [m]"), showgrid=True, gridcolor="#e0e0d8", zeroline=False)
        fig.update_yaxes(title_text=_("y north [m]"), showgrid=True, gridcolor="#e0e0d8", zeroline=False,
                         scaleanchor="x", scaleratio=1)
    return fig


def _with_alpha(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def pair_line(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    """The segment joining the nearest points of two footprints (drawing only)."""
    return shapely.shortest_line(a, b)


def arc_overlays(result: Any, pes: str | None = None) -> list[Overlay]:
    """The check's QD arcs as overlays: every violated arc, and every arc of ``pes`` (with its group).

    One arc per sector of an earth-covered PES (front, side, rear) and per
    kind and face of exposed site, each with its own distance
    (depotsafe.report.arcs): an exposed site of that kind inside it fails.
    Drawings only; the verdicts come from the engine's exact distances.
    """
    from depotsafe.report import arc_label, arcs

    feats = arcs(result, violated_only=True)
    if pes is not None:
        feats = [f for f in feats if pes not in f["properties"]["group"]] + arcs(result, pes=[pes])
    out = []
    for f in feats:
        p = f["properties"]
        bad = bool(p["violated"])
        sector = f"{_('sector')}: {p['pes_sector']}<br>" if p.get("pes_sector") else ""
        out.append(Overlay(
            f["geometry"].boundary, _("arc (violated)") if bad else _("arc"), VIOLATION if bad else ARC,
            hover=f"<b>{arc_label(p)}</b><br>{sector}HD {p['hd']}: {p['rule']}<br>{p['source']}",
            dash="dash", group="arc_bad" if bad else "arc"))
    return out
