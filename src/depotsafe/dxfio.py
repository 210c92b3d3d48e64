"""DXF site plans through ezdxf, read as a layout document with a mapping file.

:func:`read_dxf` turns the model space of a DXF drawing into the same layout
document (a GeoJSON-like FeatureCollection dict) that
:func:`depotsafe.layout.read_layout` validates.  What it reads, as
docs/layout.md ("DXF site plans") documents:

* **Sites.**  Only the layers named in the mapping's ``layers`` are read as
  sites.  On them: LWPOLYLINE, POLYLINE (2D/3D, not meshes) and LINE.  A
  closed polyline (closed flag, or last vertex on the first) is a footprint
  (Polygon); an open polyline or a LINE is a route line (LineString) and is
  refused on a layer whose kind needs a footprint.  Arcs of polylines
  (bulges) are flattened to chords whose vertices lie on the arc, no more
  than 1 mm inside it.  Any other
  entity on a site layer (a block, hatch, circle, text) is refused, never
  skipped: a storehouse drawn as a block must not vanish from the check;
  so is a block reference on any layer whose block holds entities on a
  layer the mapping reads.
* **Attributes.**  The layer's own properties (``layers``: ``kind`` and any
  constant such as ``traffic``) and one TEXT or MTEXT per attribute layer
  named in ``fields`` (layer -> property): a text belongs to the footprint
  its insertion point lies in, or to the route line it stands within
  ``route_label_distance`` of.  Every site needs exactly one ``id`` text; two
  texts of one property, a text that belongs to two sites, a text that
  belongs to none, and a property given by both the layer and a text are
  refused.
* **Coordinates.**  Drawing units are the mapping's ``units`` (never
  guessed; converted by pint in depotsafe.units), then turned and moved onto
  the CRS by the ``georeference``: a drawing point (x0, y0) is (E0, N0), and
  the drawing's x axis points ``rotation_deg`` counter-clockwise from the
  easting axis:  E = E0 + s((x-x0)cos r - (y-y0)sin r),
  N = N0 + s((x-x0)sin r + (y-y0)cos r), s the metres in one unit.

Each problem names the layer, the entity's handle, the value and what is
allowed; all are listed in one LayoutError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely

from depotsafe.errors import LayoutError
from depotsafe.mapping import Mapping

#: Largest distance of a flattened polyline arc from the true arc [m].
ARC_TOLERANCE_M = 0.001
_SITE_TYPES = ("LWPOLYLINE", "POLYLINE", "LINE")
_TEXT_TYPES = ("TEXT", "MTEXT")


@dataclass
class _Site:
    layer: str
    handle: str
    dxftype: str
    geometry: Any  # shapely, CRS metres
    props: dict[str, Any]
    texts: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # prop -> [(layer, handle, text)]

    @property
    def who(self) -> str:
        return f"layer {self.layer!r}, entity {self.handle} ({self.dxftype})"


def _route_kinds() -> set[str]:
    from depotsafe.kinds import kinds

    return {k.name for k in kinds().values() if "LineString" in k.geometry_types}


def _arc(p: tuple[float, float], q: tuple[float, float], bulge: float, tol: float) -> list[tuple[float, float]]:
    """Points strictly between p and q on the arc of a polyline bulge, chords within ``tol`` of the arc."""
    from ezdxf.math import bulge_center, bulge_radius

    c, r = bulge_center(p, q, bulge), bulge_radius(p, q, bulge)
    sweep = 4.0 * math.atan(bulge)  # counter-clockwise when positive
    a0 = math.atan2(p[1] - c.y, p[0] - c.x)
    step = 2.0 * math.acos(max(1.0 - tol / r, -1.0)) if r > tol else math.pi
    n = min(max(1, math.ceil(abs(sweep) / step)), 100_000)
    return [(c.x + r * math.cos(a0 + sweep * k / n), c.y + r * math.sin(a0 + sweep * k / n)) for k in range(1, n)]


def _points(e: Any, unit_m: float) -> list[tuple[float, float]]:
    """The entity's vertices in drawing units (WCS, z dropped); a bulge's arc as chords whose
    vertices lie on the arc, no more than ARC_TOLERANCE_M inside it."""
    from ezdxf.math import Vec3

    if e.dxftype() == "LINE":
        return [(e.dxf.start.x, e.dxf.start.y), (e.dxf.end.x, e.dxf.end.y)]
    if e.dxftype() == "LWPOLYLINE":
        verts = [(x, y, b) for x, y, b in e.get_points("xyb")]
        closed, z, ocs = bool(e.closed), float(e.dxf.elevation), e.ocs()
    elif e.is_3d_polyline:  # world coordinates, no bulges
        return [(v.dxf.location.x, v.dxf.location.y) for v in e.vertices]
    else:
        verts = [(v.dxf.location.x, v.dxf.location.y, v.dxf.bulge) for v in e.vertices]
        closed, z, ocs = bool(e.is_closed), float(e.dxf.elevation.z), e.ocs()
    if not verts:
        return []
    tol = ARC_TOLERANCE_M / unit_m
    out = [(verts[0][0], verts[0][1])]
    segs = list(zip(verts, verts[1:] + (verts[:1] if closed else []), strict=False))
    for (x1, y1, b), (x2, y2, _b) in segs:
        if b and (x1, y1) != (x2, y2):
            out.extend(_arc((x1, y1), (x2, y2), b, tol))
        out.append((x2, y2))
    wcs = [ocs.to_wcs(Vec3(x, y, z)) for x, y in out]
    return [(v.x, v.y) for v in wcs]


def _block_layers(drawing: Any, name: str, seen: set[str]) -> set[str]:
    """The layers (casefolded) of the entities of block ``name`` and of the blocks it inserts."""
    if name in seen:
        return set()
    seen.add(name)
    block = drawing.blocks.get(name)
    out: set[str] = set()
    for e in block if block is not None else ():
        out.add(str(e.dxf.layer).casefold())
        if e.dxftype() == "INSERT":
            out |= _block_layers(drawing, str(e.dxf.name), seen)
    return out


def _text(e: Any) -> tuple[tuple[float, float], str]:
    """A TEXT or MTEXT's insertion point (WCS, drawing units) and its plain text."""
    if e.dxftype() == "TEXT":
        ins = e.ocs().to_wcs(e.dxf.insert)
        return (ins.x, ins.y), e.plain_text().strip()
    ins = e.dxf.insert
    return (ins.x, ins.y), e.plain_text().strip()


def read_dxf(path: str | Path, mapping: Mapping, max_mb: float | None = None) -> tuple[dict[str, Any], bytes]:
    """A DXF drawing as a layout document and the bytes its hash covers (drawing and mapping).

    Raises LayoutError for an unreadable drawing or any problem listed above.
    """
    import ezdxf

    from depotsafe.gisio import _convert
    from depotsafe.layout import read_limited

    p = Path(path)
    raw = read_limited(p, "layout", max_mb)
    try:
        drawing = ezdxf.readfile(str(p))
    except (OSError, ezdxf.DXFError, ValueError) as exc:  # (UnicodeDecodeError is a ValueError)
        raise LayoutError("layout", str(p), f"cannot be read as DXF ({exc})") from None
    msp = drawing.modelspace()
    held = sorted({str(layer.dxf.name) for layer in drawing.layers} | {str(e.dxf.layer) for e in msp})
    # DXF layer names are case-insensitive (as CAD programs treat them): matched by casefold
    site_layers = {k.casefold(): k for k in mapping.layers}
    text_layers = {k.casefold(): k for k in mapping.fields}
    held_folded = {h.casefold() for h in held}
    problems: list[str] = []
    for name in list(mapping.layers) + list(mapping.fields):
        if name.casefold() not in held_folded:
            key = "layers" if name in mapping.layers else "fields"
            problems.append(f"mapping {key}: layer {name!r} is not a layer of the drawing; it holds: "
                            + ", ".join(held))
    s = mapping.unit_m
    r = math.radians(mapping.rotation_deg)
    cr, sr = math.cos(r), math.sin(r)
    (x0, y0), (e0, n0) = mapping.origin_xy, mapping.origin_en

    def to_crs(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(e0 + s * ((x - x0) * cr - (y - y0) * sr), n0 + s * ((x - x0) * sr + (y - y0) * cr))
                for x, y in pts]

    routes = _route_kinds()
    sites: list[_Site] = []
    texts: list[tuple[str, str, str, str, str, Any]] = []  # (layer, handle, type, text, property, point)
    read_layers = set(site_layers) | set(text_layers)
    for e in msp:
        layer, handle, dxftype = str(e.dxf.layer), str(e.dxf.handle), e.dxftype()
        who = f"layer {layer!r}, entity {handle} ({dxftype})"
        if dxftype == "INSERT" and layer.casefold() not in read_layers:
            inside = _block_layers(drawing, str(e.dxf.name), set()) & read_layers
            if inside:
                names = ", ".join(sorted(site_layers.get(x) or text_layers[x] for x in inside))
                problems.append(f"{who}: a block reference (block {e.dxf.name!r}) whose block holds entities on "
                                f"layers the mapping reads ({names}); not read: explode it so that its sites "
                                "stand in the model space")
            continue
        if layer.casefold() in site_layers:
            spec = mapping.layers[site_layers[layer.casefold()]]
            if dxftype not in _SITE_TYPES or (dxftype == "POLYLINE" and not (e.is_2d_polyline or e.is_3d_polyline)):
                problems.append(f"{who}: not read on a site layer; allowed: LWPOLYLINE, POLYLINE (2D or 3D), "
                                "LINE (explode blocks, and draw footprints as closed polylines)")
                continue
            pts = _points(e, s)
            closed = dxftype != "LINE" and (e.closed if dxftype == "LWPOLYLINE" else e.is_closed)
            if len(pts) > 2 and pts[0] == pts[-1]:
                closed = True
            kind = spec["kind"]
            if closed:
                if len(set(pts)) < 3:
                    problems.append(f"{who}: a closed polyline of {len(set(pts))} distinct vertices; a "
                                    "footprint needs at least 3")
                    continue
                geom = shapely.Polygon(to_crs(pts))
            elif kind not in routes:
                problems.append(f"{who}: an open {'line' if dxftype == 'LINE' else 'polyline'} on a footprint "
                                f"layer (kind {kind}); allowed: a closed polyline (only the layers of "
                                f"{', '.join(sorted(routes))} take open lines)")
                continue
            else:
                if len(set(pts)) < 2:
                    problems.append(f"{who}: a line of one point; a route line needs two")
                    continue
                geom = shapely.LineString(to_crs(pts))
            sites.append(_Site(layer, handle, dxftype, geom, dict(spec)))
        elif layer.casefold() in text_layers:
            prop = mapping.fields[text_layers[layer.casefold()]]
            if dxftype not in _TEXT_TYPES:
                problems.append(f"{who}: not read on an attribute layer (fields: {prop}); allowed: TEXT, MTEXT")
                continue
            xy, text = _text(e)
            texts.append((layer, handle, dxftype, text, prop, shapely.Point(to_crs([xy])[0])))
    # attribute texts to their sites
    polys = [i for i, site in enumerate(sites) if site.geometry.geom_type == "Polygon"]
    lines = [i for i, site in enumerate(sites) if site.geometry.geom_type == "LineString"]
    near = mapping.route_label_m
    for layer, handle, dxftype, text, prop, pt in texts:
        who = f"layer {layer!r}, entity {handle} ({dxftype} {text!r})"
        owners = [i for i in polys if sites[i].geometry.covers(pt)]
        if near is not None:
            owners += [i for i in lines if sites[i].geometry.distance(pt) <= near]
        if not owners:
            where = "inside no footprint"
            where += (f" and not within {near:g} m of a route line" if near is not None
                      else " (route lines take texts within route_label_distance, not set in the mapping)")
            problems.append(f"{who}: {where}; an attribute text must belong to one site")
            continue
        if len(owners) > 1:
            problems.append(f"{who}: belongs to {len(owners)} sites ("
                            + "; ".join(sites[i].who for i in owners) + "); it must belong to one")
            continue
        sites[owners[0]].texts.setdefault(prop, []).append((layer, handle, text))
    features: list[dict[str, Any]] = []
    id_layers = [k for k, v in mapping.fields.items() if v == "id"]
    for site in sites:
        props = dict(site.props)
        for prop, got in site.texts.items():
            if len(got) > 1:
                problems.append(f"{site.who}: {len(got)} texts give {prop}: "
                                + ", ".join(f"entity {h} {t!r}" for _l, h, t in got) + "; one is allowed")
                continue
            if prop in props:
                problems.append(f"{site.who}: {prop} given by the layer ({props[prop]!r}, mapping layers) and by "
                                f"text entity {got[0][1]} ({got[0][2]!r}); give it once")
                continue
            props[prop] = _convert(prop, mapping.value(prop, got[0][2]))
        if "id" not in props:
            how = (f"a TEXT or MTEXT on layer {' or '.join(map(repr, id_layers))} "
                   + ("inside it" if site.geometry.geom_type == "Polygon" else "near it (route_label_distance)")
                   if id_layers else "no layer of texts maps to id in the mapping's fields")
            problems.append(f"{site.who}: no id text ({how}); every site needs one")
            continue
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": site.geometry.geom_type,
                                      "coordinates": _coords(site.geometry)}})
    if problems:
        n = len(problems)
        raise LayoutError("layout", str(p), f"{n} problem{'s' if n > 1 else ''} in the drawing and its mapping "
                          f"({mapping.path}):\n  - " + "\n  - ".join(problems))
    doc = {"type": "FeatureCollection", "features": features,
           "crs": {"type": "name", "properties": {"name": mapping.crs}}}
    return doc, raw + b"\0" + mapping.raw


def _coords(g: Any) -> Any:
    if g.geom_type == "Polygon":
        return [[list(c) for c in g.exterior.coords]]
    return [list(c) for c in g.coords]


# --------------------------------------------------------------------------- writing

#: DXF $INSUNITS codes by metres per drawing unit (AutoCAD DXF Reference, HEADER section variables).
_INSUNITS = ((0.0254, 1), (0.3048, 2), (1609.344, 3), (0.001, 4), (0.01, 5), (1.0, 6), (1000.0, 7),
             (0.9144, 10), (0.1, 14), (1200.0 / 3937.0, 21))
#: The application name of the XDATA each arc carries.
APPID = "DEPOTSAFE"
#: Longest string of one XDATA item (group code 1000) [characters].
_XDATA_TEXT = 255


def insunits(unit_m: float) -> int:
    """The DXF $INSUNITS code of a drawing unit of ``unit_m`` metres (0, unitless, for one DXF has no code for)."""
    for metres, code in _INSUNITS:
        if math.isclose(unit_m, metres, rel_tol=1e-12):
            return code
    return 0


def _chunks(text: str) -> list[str]:
    return [text[i:i + _XDATA_TEXT] for i in range(0, len(text), _XDATA_TEXT)] or [""]


def arcs_dxf(result: Any, mapping: Mapping) -> str:
    """The QD arcs of a check as a DXF drawing in the plan's own drawing coordinates.

    For a layout read from a DXF plan with ``mapping``: every arc ring is a
    closed LWPOLYLINE, turned back from the CRS into drawing units by the
    inverse of the mapping's georeference (so the file lies over the plan
    when inserted at 0,0), on a layer ``DEPOTSAFE-QD-<exposed kind>``; red
    (colour 1) where the arc is violated, green (3) where it is not; its
    properties (PES, sector, exposed kind and face, HD, required distance,
    rule) as XDATA of application ``DEPOTSAFE`` and its label as the first
    XDATA string.  Drawings, never verdicts, as every arc
    (:func:`depotsafe.report.arcs`).
    """
    import io

    import ezdxf
    import numpy as np

    from depotsafe.errors import InputError
    from depotsafe.report import arc_label, arcs

    depot = result.depot
    to_source = depot._to_source
    if to_source is None:
        raise InputError("--arcs-dxf", depot.crs_name,
                         "the arcs are drawn in a DXF plan's coordinates: give the plan (a .dxf) with its mapping")
    s = mapping.unit_m
    r = math.radians(mapping.rotation_deg)
    cr, sr = math.cos(r), math.sin(r)
    (x0, y0), (e0, n0) = mapping.origin_xy, mapping.origin_en

    def to_drawing(xy: Any) -> Any:
        e, n = to_source.transform(xy[:, 0], xy[:, 1], errcheck=True)
        de, dn = np.asarray(e) - e0, np.asarray(n) - n0
        return np.column_stack([x0 + (de * cr + dn * sr) / s, y0 + (-de * sr + dn * cr) / s])

    doc = ezdxf.new("R2010", units=insunits(s))
    doc.appids.add(APPID)
    msp = doc.modelspace()
    for feat in arcs(result):
        props = feat["properties"]
        layer = f"DEPOTSAFE-QD-{props['es_kind']}"
        if layer not in doc.layers:
            doc.layers.add(layer)
        geom = shapely.transform(feat["geometry"], to_drawing)
        xdata: list[tuple[int, Any]] = [(1000, t) for t in _chunks(arc_label(props))]
        for key in ("pes", "pes_sector", "es_kind", "es_face", "traffic", "sparse", "evacuable", "es_door_barricade",
                    "hd", "rule_code"):
            if props.get(key) is not None:
                xdata += [(1000, t) for t in _chunks(f"{key}={props[key]}")]
        xdata.append((1040, float(props["required_distance_m"])))
        xdata.append((1070, 1 if props["violated"] else 0))
        xdata += [(1000, t) for t in _chunks(f"rule={props['rule']}")]
        colour = 1 if props["violated"] else 3
        for poly in shapely.get_parts(geom):
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            for ring in [poly.exterior, *poly.interiors]:
                pts = [tuple(c) for c in ring.coords[:-1]]
                e = msp.add_lwpolyline(pts, close=True, dxfattribs={"layer": layer, "color": colour})
                e.set_xdata(APPID, xdata)
    out = io.StringIO()
    doc.write(out)
    return out.getvalue()
