"""The mapping file (``--mapping FILE``): other attribute names, and how a DXF site plan reads.

A JSON object (docs/layout.md, "Mapping file") with:

* ``fields``: the user's attribute names -> layout properties (a GIS file's
  field names; in a DXF drawing, the layers whose texts are attributes);
* ``values``: per property, the user's values -> the layout's values;
* DXF only: ``units`` (the drawing's length unit, declared, never guessed),
  ``crs`` (a projected CRS in metres, ``EPSG:NNNN``), ``georeference`` (a
  drawing point, the CRS point it is, and the drawing's rotation), ``layers``
  (DXF layer -> the kind of site drawn on it, and constant properties) and
  ``route_label_distance`` (how far from a route line its texts may stand).

Every problem of the file is listed in one LayoutError naming the key, the
value and what is allowed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from depotsafe.errors import InputError, LayoutError

_COMMON_KEYS = ("fields", "values")
_DXF_KEYS = ("units", "crs", "georeference", "layers", "route_label_distance")


@dataclass(frozen=True)
class Mapping:
    """A read mapping file (all names checked)."""

    path: str
    raw: bytes
    fields: dict[str, str]
    values: dict[str, dict[str, Any]]
    # DXF only
    unit_m: float = math.nan
    units: str = ""
    crs: str = ""
    origin_xy: tuple[float, float] = (0.0, 0.0)
    origin_en: tuple[float, float] = (0.0, 0.0)
    rotation_deg: float = 0.0
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    route_label_m: float | None = None

    def value(self, prop: str, v: Any) -> Any:
        """``v`` of property ``prop`` as the mapping's ``values`` turn it (unchanged if not listed)."""
        table = self.values.get(prop)
        if table is None or v is None:
            return v
        key = v if isinstance(v, str) else json.dumps(v)
        return table.get(key, v)


#: Largest mapping file read [MB].
MAX_MAPPING_MB = 10.0


def is_dxf_mapping(raw: bytes) -> bool:
    """Whether a mapping file's bytes are a DXF drawing's mapping: a JSON object holding any of the DXF
    keys (units, crs, georeference, layers, route_label_distance), whose ``fields`` name layers of
    texts, not the fields of a GIS file.  False for anything else (unreadable text included: the
    reader of the mapping then says what is wrong)."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and any(k in doc for k in _DXF_KEYS)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _pair(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(_number(x) for x in v)


def _crs(v: Any, problems: list[str]) -> str:
    import pyproj

    if isinstance(v, int) and not isinstance(v, bool):
        v = f"EPSG:{v}"
    if not isinstance(v, str) or not v.upper().startswith("EPSG:") or not v[5:].isdigit():
        problems.append(f"crs: got {v!r}; an EPSG code of a projected CRS in metres, such as \"EPSG:32633\"")
        return ""
    try:
        crs = pyproj.CRS.from_user_input(v.upper())
    except pyproj.exceptions.CRSError:
        problems.append(f"crs: got {v!r}; not an EPSG code pyproj knows")
        return ""
    units = {a.unit_name for a in crs.axis_info}
    if not crs.is_projected or units != {"metre"}:
        problems.append(f"crs: got {v!r} ({crs.name}); a projected CRS in metres is required (the drawing's "
                        "easting and northing), such as a UTM zone")
        return ""
    return v.upper()


def read_mapping(path: str | Path, dxf: bool) -> Mapping:
    """Read and check a mapping file; ``dxf``: for a DXF drawing (units, georeference, layers required).

    Raises LayoutError listing every problem (field ``--mapping``).
    """
    from depotsafe.gisio import PROPERTIES
    from depotsafe.kinds import kinds
    from depotsafe.layout import read_limited
    from depotsafe.units import drawing_unit_m, to_si

    p = Path(path)
    try:
        raw = read_limited(p, "--mapping", MAX_MAPPING_MB)
    except OSError as exc:
        raise LayoutError("--mapping", str(p), f"cannot be read ({exc.strerror or exc})") from None
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LayoutError("--mapping", str(p), f"not JSON ({exc}); a JSON object as docs/layout.md shows") from None
    if not isinstance(doc, dict):
        raise LayoutError("--mapping", str(p), "a JSON object is required, as docs/layout.md shows")
    problems: list[str] = []
    allowed = _COMMON_KEYS + (_DXF_KEYS if dxf else ())
    for k in doc:
        if k not in allowed:
            extra = " (only for a DXF drawing)" if k in _DXF_KEYS else ""
            problems.append(f"{k}: not a key of a mapping file{extra}; allowed: {', '.join(allowed)}")
    props = ", ".join(PROPERTIES)
    fields: dict[str, str] = {}
    f = doc.get("fields", {})
    if not isinstance(f, dict):
        problems.append(f"fields: got {f!r}; an object of attribute name -> property")
        f = {}
    for name, prop in f.items():
        if prop not in PROPERTIES:
            problems.append(f"fields.{name}: got {prop!r}; not a depotsafe property; allowed: {props}")
        elif prop in fields.values():
            other = next(k for k, v in fields.items() if v == prop)
            problems.append(f"fields.{name}: got {prop!r}, as fields.{other}; one attribute per property")
        else:
            fields[name] = prop
    values: dict[str, dict[str, Any]] = {}
    v = doc.get("values", {})
    if not isinstance(v, dict):
        problems.append(f"values: got {v!r}; an object of property -> {{user value: depotsafe value}}")
        v = {}
    for prop, table in v.items():
        if prop not in PROPERTIES:
            problems.append(f"values.{prop}: not a depotsafe property; allowed: {props}")
        elif not isinstance(table, dict):
            problems.append(f"values.{prop}: got {table!r}; an object of user value -> depotsafe value")
        else:
            values[prop] = dict(table)
    if not dxf:
        if problems:
            _raise(p, problems)
        return Mapping(str(p), raw, fields, values)
    # ---- DXF
    unit_m, units = math.nan, ""
    if "units" not in doc:
        problems.append("units: missing; the drawing's length unit (never guessed): "
                        "m, mm, cm, dm, km, in, ft, us_survey_ft or yd")
    else:
        try:
            unit_m, units = drawing_unit_m(doc["units"], "units"), doc["units"]
        except InputError as exc:
            problems.append(str(exc))
    crs = _crs(doc["crs"], problems) if "crs" in doc else ""
    if "crs" not in doc:
        problems.append("crs: missing; the EPSG code of the projected CRS the georeference point is in, "
                        "such as \"EPSG:32633\"")
    g = doc.get("georeference")
    xy, en, rot = (0.0, 0.0), (0.0, 0.0), 0.0
    if not isinstance(g, dict):
        problems.append(f"georeference: got {g!r}; an object {{\"drawing\": [x, y], \"crs\": [easting, northing], "
                        "\"rotation_deg\": 0}}")
    else:
        for k in g:
            if k not in ("drawing", "crs", "rotation_deg"):
                problems.append(f"georeference.{k}: not a key; allowed: drawing, crs, rotation_deg")
        if not _pair(g.get("drawing")):
            problems.append(f"georeference.drawing: got {g.get('drawing')!r}; [x, y] of a point in drawing units")
        else:
            xy = (float(g["drawing"][0]), float(g["drawing"][1]))
        if not _pair(g.get("crs")):
            problems.append(f"georeference.crs: got {g.get('crs')!r}; [easting, northing] of that point in the "
                            "CRS, metres")
        else:
            en = (float(g["crs"][0]), float(g["crs"][1]))
        r = g.get("rotation_deg", 0.0)
        if not _number(r):
            problems.append(f"georeference.rotation_deg: got {r!r}; a number of degrees (counter-clockwise "
                            "from the CRS's easting axis to the drawing's x axis)")
        else:
            rot = float(r)
    layers: dict[str, dict[str, Any]] = {}
    lay = doc.get("layers")
    if not isinstance(lay, dict) or not lay:
        problems.append(f"layers: got {lay!r}; an object of DXF layer -> kind (or {{\"kind\": ..., other "
                        "properties}})")
        lay = {}
    for name, spec in lay.items():
        spec = {"kind": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, dict):
            problems.append(f"layers.{name}: got {spec!r}; a kind, or an object with kind and properties")
            continue
        if spec.get("kind") not in kinds():
            problems.append(f"layers.{name}.kind: got {spec.get('kind')!r}; allowed: {', '.join(kinds())}")
            continue
        for k in spec:
            if k not in PROPERTIES or k in ("id", "stock"):
                problems.append(f"layers.{name}.{k}: not a property a layer can give; allowed: "
                                + ", ".join(x for x in PROPERTIES if x not in ("id", "stock")))
        if name in fields:
            problems.append(f"layers.{name}: also in fields; a layer holds either sites or attribute texts")
        layers[name] = dict(spec)
    if "id" not in fields.values():
        problems.append("fields: no layer of texts maps to id; every site needs an id text, e.g. "
                        "\"fields\": {\"BLDG-NO\": \"id\"}")
    route_m: float | None = None
    if "route_label_distance" in doc:
        try:
            route_m = to_si(doc["route_label_distance"], "length", "route_label_distance")
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        _raise(p, problems)
    return Mapping(str(p), raw, fields, values, unit_m, units, crs, xy, en, rot, layers, route_m)


def _raise(p: Path, problems: list[str]) -> None:
    n = len(problems)
    raise LayoutError("--mapping", str(p), f"{n} problem{'s' if n > 1 else ''} in the mapping file:\n  - "
                      + "\n  - ".join(problems))
