"""GIS files in and out: GeoPackage, Shapefile, FlatGeobuf and KML through pyogrio (GDAL).

Reading
-------
:func:`read_gis` turns a GIS file into the same in-memory layout document (a
GeoJSON-like FeatureCollection dict) that :func:`depotsafe.layout.read_layout`
validates, so that every check and every message stays in one place.
:func:`read_gis_columns` reads the same file column by column (no document,
geometries kept as read) for the layout reader's bulk path; it gives up (None)
as soon as anything is wrong or out of the ordinary, and the file is then read
through :func:`read_gis`, which words every message.  What this module decides,
and docs/layout.md documents:

* **Layers.**  A file with one layer is read whole.  Where a file holds
  several (a GeoPackage; a folder of Shapefiles, which GDAL reads as one
  dataset whose layers are the files' names), ``layers`` names the ones to read,
  in order; their features are read as one layout.  Several layers and none
  named, or a name the file does not hold, is refused with the names it holds.
* **Attribute names.**  A field named as in the layout format (docs/layout.md)
  is that property; case does not matter (``ID``, ``Kind``).  A field of exactly
  10 characters that begins a longer property name is that property
  (Shapefile cuts names to 10 characters: ``front_bear`` is
  ``front_bearing_deg``); a cut that begins two property names is refused
  naming both, and so are two fields that name the same property.  Other
  fields are kept as they are (as unknown GeoJSON properties are).
* **Values.**  An empty (null) field is an absent property.  The true/false
  properties take a boolean, 0 or 1, or the text true/false (GDAL writes a
  Shapefile boolean as an integer, KML as text); numbers written as text (KML)
  are read as numbers.  ``stock`` is the JSON text of a stock list in a
  GeoPackage, FlatGeobuf or KML field, or travels as the stock CSV
  (``--stock``).  A Shapefile cannot hold a list (its texts stop at 254 bytes
  and GDAL cuts longer ones, trailing spaces trimmed): a ``stock`` field in a
  Shapefile is refused, and so is any text that fills its field's width
  (possibly cut), never read.
* **Geometry.**  A multi-part geometry of one part is read as that part;
  heights (z) are dropped.  The file's CRS becomes the layout's ``crs``
  member (EPSG:4326 as OGC:CRS84, the same axes as stored); a file without a
  CRS is refused (never guessed).

Writing
-------
:func:`geopackage_bytes` writes the result of a check as a GeoPackage: layers
``sites`` (footprints with their verdict, NEQ and licence per hazard
division), ``pairs`` (the nearest-points line of every reported pair) and
``arcs`` (the QD arcs of ``--arcs-geojson``), in WGS84 longitude/latitude (local
metres for a local-metres layout).
"""

from __future__ import annotations

import codecs
import json
import math
import operator
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from depotsafe.errors import LayoutError

SUFFIX_DRIVERS = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".fgb": "FlatGeobuf", ".kml": "KML"}
"""File suffixes read through GDAL and their drivers."""

PROPERTIES = (
    "id", "name", "kind", "front_bearing_deg", "door_barricade", "traffic", "sparse", "evacuable",
    "persons", "stock", "very_sensitive", "event_probability", "presence", "indoors",
    "building_type", "population", "fr_category", "nl_category",
)
"""The feature properties of the layout format (docs/layout.md)."""

_BOOLS = ("door_barricade", "sparse", "evacuable", "very_sensitive", "indoors")
_NUMBERS = ("front_bearing_deg", "persons", "population", "event_probability", "presence")
_SHP_TEXT_BYTES = 254
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_KML_OWN = ("id", "description", "timestamp", "begin", "end", "altitudemode", "tessellate", "extrude",
            "visibility", "draworder", "icon", "snippet")
"""Fields GDAL reads from a KML Placemark itself, not from its ExtendedData: not layout properties."""


def is_gis_path(source: object) -> bool:
    """Whether ``source`` is a path read through GDAL (by its suffix)."""
    return isinstance(source, str | Path) and Path(source).suffix.lower() in SUFFIX_DRIVERS


def field_map(fields: Sequence[str], kml: bool = False, properties: Sequence[str] = PROPERTIES,
              user: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Map field names to layout property names.

    Returns ``({field: property}, problems)``; fields that name no property
    map to themselves.  In KML (``kml``) the Placemark's own fields are left
    out and ``id2`` (GDAL's name for an ExtendedData ``id``, beside the
    Placemark's own id) is ``id``.  ``user`` (a mapping file's ``fields``)
    names fields exactly as the file spells them, before any other rule.
    """
    user = user or {}
    out: dict[str, str] = {}
    problems: list[str] = []
    owner: dict[str, str] = {}
    for f in fields:
        low = f.lower()
        if kml:
            if low in _KML_OWN:
                continue
            if low == "id2":
                low = "id"
        if f in user:
            prop = user[f]
        elif low in properties:
            prop = low
        else:
            cands = [p for p in properties if len(low) == 10 and len(p) > 10 and p.startswith(low)]
            if len(cands) > 1:
                problems.append(f"field {f!r}: a 10-character cut of both {cands[0]!r} and {cands[1]!r}; "
                                "rename the field to the full property name")
                continue
            prop = cands[0] if cands else f
        if prop in owner:
            problems.append(f"fields {owner[prop]!r} and {f!r} both name {prop!r}; keep one")
            continue
        owner[prop] = f
        out[f] = prop
    return out, problems


def _plain(v: Any) -> Any:
    """A field value as a plain Python value; None for null (and NaN, GDAL's null number)."""
    if v is None:
        return None
    if isinstance(v, np.datetime64 | np.timedelta64) and np.isnat(v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


def _convert(prop: str, v: Any) -> Any:
    """Read text or 0/1 as the type the property takes; anything else is left for the validator."""
    if prop in _BOOLS:
        if isinstance(v, int) and not isinstance(v, bool) and v in (0, 1):
            return bool(v)
        if isinstance(v, str) and v.strip().lower() in ("true", "false", "1", "0"):
            return v.strip().lower() in ("true", "1")
    elif prop in _NUMBERS and isinstance(v, str):
        try:
            x = float(v)
        except ValueError:
            return v
        return x if math.isfinite(x) else v
    elif prop == "stock" and isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v  # the validator names it: not a list
    elif prop in ("id", "name") and isinstance(v, int | float) and not isinstance(v, bool):
        return str(int(v)) if float(v).is_integer() else str(v)
    return v


def _dataset(path: Path, layers: Sequence[str]) -> tuple[Path, list[str]]:
    """The dataset to open and the layers to read (a Shapefile's folder when layers are named)."""
    import pyogrio

    ds = path.parent if (path.suffix.lower() == ".shp" and layers) else path
    try:
        held = [str(n) for n in pyogrio.list_layers(str(ds))[:, 0]]
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise LayoutError("layout", str(path), f"cannot be read as {SUFFIX_DRIVERS[path.suffix.lower()]} "
                          f"({exc})") from None
    if not layers:
        if len(held) == 1:
            return ds, held
        raise LayoutError("--layer", None, f"{path} holds {len(held)} layers ({', '.join(held)}); "
                          "name the ones to read with --layer NAME (repeat it for several)")
    for name in layers:
        if name not in held:
            raise LayoutError("--layer", name, f"not a layer of {ds}; it holds: {', '.join(held)}")
    return ds, list(layers)


def _raw_bytes(ds: Path, path: Path, layers: Sequence[str], max_mb: float | None) -> bytes:
    """The bytes the input hash covers (every file read), each refused above ``max_mb``."""
    from depotsafe.layout import read_limited

    if path.suffix.lower() != ".shp":
        files = [path]
    else:
        stems = layers if ds != path else [path.stem]
        files = [ds / f"{s}{ext}" for s in stems for ext in _SHP_SIDECARS
                 if (ds / f"{s}{ext}").exists()]
    return b"".join(read_limited(f, "layout", max_mb) for f in files) + "\n".join(layers).encode()


def _dbf_text_widths(dbf: Path) -> dict[str, int]:
    """The widths [bytes] of the text (C) fields of a dBASE file, by name, from its header."""
    try:
        with dbf.open("rb") as fh:
            head = fh.read(32)
            if len(head) < 32:
                return {}
            size = int.from_bytes(head[8:10], "little")
            desc = fh.read(max(size - 32, 0))
    except OSError:
        return {}
    out: dict[str, int] = {}
    for k in range(0, len(desc) - 31, 32):
        d = desc[k:k + 32]
        if d[0] == 0x0D:
            break
        if d[11:12] == b"C":
            out[d[:11].split(b"\0")[0].decode("latin-1")] = d[16]
    return out


def _crs_name(crs: str | None, path: Path) -> str:
    import pyproj

    if crs is None:
        raise LayoutError("crs", str(path), "the file declares no CRS (a Shapefile needs its .prj file); "
                          "depotsafe never guesses one: write the file with its CRS")
    parsed = pyproj.CRS.from_user_input(crs)
    auth = parsed.to_authority()
    if auth is None:
        return parsed.to_wkt()
    name = f"{auth[0]}:{auth[1]}"
    return "OGC:CRS84" if name in ("EPSG:4326", "OGC:CRS84") else name


def _read_layer(ds: Path, p: Path, name: str, done: Any = None) -> Any:
    """pyogrio's raw read of one layer (or ``done``: that read made already, or what it raised);
    LayoutError naming the layer when GDAL cannot read it."""
    import pyogrio.raw

    try:
        if done is None:
            return pyogrio.raw.read(str(ds), layer=name, force_2d=True)
        if isinstance(done, BaseException):
            raise done
        return done
    except Exception as exc:  # GDAL raises several types for unreadable layers
        raise LayoutError("layout", str(p), f"layer {name!r} cannot be read ({exc})") from None


def read_gis(path: str | Path, layers: Sequence[str] = (), max_mb: float | None = None,
             mapping: Any = None) -> tuple[dict[str, Any], bytes]:
    """A GIS file as a layout document (a FeatureCollection dict) and the bytes its hash covers.

    ``mapping`` (a :class:`depotsafe.mapping.Mapping`) names other fields
    and values; a mapped field that no layer read holds is refused.
    Raises LayoutError for an unreadable file, an unknown or unnamed layer, a
    field name that is ambiguous, a Shapefile text that may have been cut, or
    a file without a CRS; every other problem is the layout reader's.
    """

    p = Path(path)
    ds, names = _dataset(p, list(layers))
    raw = _raw_bytes(ds, p, names, max_mb)
    shapefile = p.suffix.lower() == ".shp"
    features: list[dict[str, Any]] = []
    crs_names: set[str] = set()
    problems: list[str] = []
    user = mapping.fields if mapping is not None else {}
    unseen = dict(user)
    for name in names:
        meta, _fids, wkb, data = _read_layer(ds, p, name)
        crs_names.add(_crs_name(meta.get("crs"), p))
        fields = [str(f) for f in meta["fields"]]
        fmap, why = field_map(fields, kml=p.suffix.lower() == ".kml", user=user)
        for f in fields:
            unseen.pop(f, None)
        widths = _dbf_text_widths((ds / f"{name}.dbf") if ds != p else p.with_suffix(".dbf")) if shapefile else {}
        enc = meta.get("encoding") or "utf-8"
        problems.extend(f"layer {name!r}: {w}" for w in why)
        geoms = shapely.from_wkb(wkb) if wkb is not None else np.full(len(data[0]) if data else 0, None)
        for i, g in enumerate(geoms):
            props: dict[str, Any] = {}
            for f, col in zip(fields, data, strict=True):
                v = _plain(col[i])
                if v is None or f not in fmap:
                    continue
                prop = fmap[f]
                if mapping is not None:
                    v = mapping.value(prop, v)
                if shapefile and prop == "stock":
                    who = props.get("id", f"{i} of layer {name!r}")
                    problems.append(
                        f"feature {who!r}: stock (field {f!r}): got a text of {len(str(v).encode(enc, 'replace'))} "
                        f"bytes; a Shapefile cannot hold a stock list (its texts stop at {_SHP_TEXT_BYTES} bytes "
                        "and GDAL cuts longer ones, and a cut stock list is a wrong NEQ). Give stock in the stock "
                        "CSV (--stock), or use a GeoPackage")
                    continue
                if shapefile and isinstance(v, str):
                    nbytes = len(v.encode(enc, "replace"))
                    width = min(widths.get(f, _SHP_TEXT_BYTES), _SHP_TEXT_BYTES)
                    if nbytes >= width:
                        who = props.get("id", f"{i} of layer {name!r}")
                        problems.append(
                            f"feature {who!r}: {prop} (field {f!r}): a text of {nbytes} bytes, as wide as the "
                            f"Shapefile field ({width} bytes; a Shapefile text holds at most {_SHP_TEXT_BYTES}); "
                            "it may have been cut, and a cut stock list is a wrong NEQ. Give stock in the stock "
                            "CSV (--stock), or use a GeoPackage")
                        continue
                props[prop] = _convert(prop, v)
            geometry = None
            if g is not None:
                if shapely.get_type_id(g) in (4, 5, 6) and shapely.get_num_geometries(g) == 1:
                    g = shapely.get_geometry(g, 0)
                geometry = json.loads(shapely.to_geojson(g))
            features.append({"type": "Feature", "properties": props, "geometry": geometry})
    for f, prop in unseen.items():
        problems.append(f"mapping fields.{f} (-> {prop}): not a field of {'the layers' if len(names) > 1 else 'layer'} "
                        f"{', '.join(map(repr, names))}; field names are matched exactly, as the file spells them")
    if problems:
        n = len(problems)
        raise LayoutError("layout", str(p), f"{n} problem{'s' if n > 1 else ''} in the layout:\n  - "
                          + "\n  - ".join(problems))
    if len(crs_names) > 1:
        raise LayoutError("crs", str(p), f"the layers read are in different CRSs ({', '.join(sorted(crs_names))}); "
                          "write them in one")
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    crs = crs_names.pop() if crs_names else "OGC:CRS84"
    if crs != "OGC:CRS84":
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    if mapping is not None:
        raw += b"\0" + mapping.raw
    return doc, raw


# --------------------------------------------------------------------------- reading in bulk

_NONE = type(None)
_MULTI_IDS = (4, 5, 6)
"""shapely's type ids of MultiPoint, MultiLineString and MultiPolygon."""


@dataclass(frozen=True)
class GisColumns:
    """A GIS layout read column by column (:func:`read_gis_columns`).

    ``columns``: property -> one value per feature, as :func:`read_gis` gives
    the property (None: the feature does not have it); ``props``: each
    feature's properties (the columns' values, absent ones left out, in the
    order of the layer's fields); ``geoms``: the features' geometries as read
    (a multi-part geometry of one part as that part), in the file's CRS;
    ``crs``: the layout document's members that name that CRS (``{}`` for
    longitude/latitude); ``raw``: the bytes the input hash covers.
    """

    columns: dict[str, list[Any]]
    props: list[dict[str, Any]]
    geoms: np.ndarray
    crs: dict[str, Any]
    raw: bytes


def _plain_column(col: np.ndarray) -> list[Any]:
    """The values of a field as `_plain` gives them, one by one (None for null), read in bulk."""
    kind = col.dtype.kind
    if kind in "biu":
        return col.tolist()
    if kind == "f":
        vals = col.tolist()
        for i in np.flatnonzero(np.isnan(col)).tolist():
            vals[i] = None
        return vals
    if kind == "O":
        vals = col.tolist()
        if set(map(type, vals)) <= {str, _NONE}:
            return vals
    return [_plain(v) for v in col]


def _convert_column(prop: str, vals: list[Any]) -> list[Any]:
    """`_convert` of each value (None kept), read in bulk where the values are ordinary."""
    types = set(map(type, vals))
    types.discard(_NONE)
    if not types:
        return vals
    if types == {str} and prop not in _BOOLS and prop not in _NUMBERS and prop != "stock":
        return vals  # _convert leaves texts of the other properties as they are
    if types == {str} and prop != "stock":  # each distinct text once (the results are not mutable)
        conv: dict[Any, Any] = {v: _convert(prop, v) for v in set(vals)}
        conv[None] = None
        return list(map(conv.__getitem__, vals))
    if types <= {bool} or (types <= {bool, int, float} and prop not in _BOOLS and prop not in ("id", "name")):
        return vals  # _convert leaves them as they are
    return [None if v is None else _convert(prop, v) for v in vals]


def _too_wide(vals: list[Any], width: int, enc: str) -> bool:
    """Whether a Shapefile text of this field fills the field's width (`read_gis`'s test)."""
    texts = {v for v in vals if isinstance(v, str)}
    if not texts:
        return False
    utf8 = codecs.lookup(enc).name == "utf-8"
    if utf8 and 4 * max(map(len, texts)) < width:  # at most 4 bytes a character
        return False
    return any(len(t.encode(enc, "replace")) >= width for t in texts)


def _row_dicts(keys: list[str], cols: list[list[Any]], n: int) -> list[dict[str, Any]]:
    """Each row's properties: the columns' values that are not None, in the order of ``keys``."""
    if not keys:
        return [{} for _ in range(n)]
    present = np.column_stack([np.fromiter(map(operator.is_not, c, repeat(None)), dtype=bool, count=n)
                               for c in cols])
    if bool(present.all()):
        return list(map(dict, map(zip, repeat(keys), zip(*cols, strict=True))))
    if len(keys) <= 62:  # each row's pattern of present properties as the bits of one integer
        codes, which = np.unique(present.astype(np.int64) @ (np.int64(1) << np.arange(len(keys), dtype=np.int64)),
                                 return_inverse=True)
        patterns = (codes[:, None] >> np.arange(len(keys), dtype=np.int64)) & 1 == 1
    else:
        patterns, which = np.unique(present, axis=0, return_inverse=True)
    which = which.reshape(-1)
    arrays = [np.fromiter(c, dtype=object, count=n) for c in cols]
    out: list[Any] = [None] * n
    for g, pattern in enumerate(patterns.tolist()):
        rows = np.flatnonzero(which == g)
        ks = [k for k, on in zip(keys, pattern, strict=True) if on]
        if ks:
            sub = [a[rows].tolist() for a, on in zip(arrays, pattern, strict=True) if on]
            dicts = list(map(dict, map(zip, repeat(ks), zip(*sub, strict=True))))
        else:
            dicts = [{} for _ in range(rows.size)]
        for r, d in zip(rows.tolist(), dicts, strict=True):
            out[r] = d
    return out


def _layer_columns(fields: list[str], data: Sequence[np.ndarray], fmap: Mapping[str, str], mapping: Any,
                   shapefile: bool, widths: Mapping[str, int], enc: str, n: int
                   ) -> tuple[list[str], list[list[Any]]] | None:
    """One layer's properties and their values (`read_gis`'s, feature by feature), or None
    where `read_gis` would find a problem."""
    keys: list[str] = []
    cols: list[list[Any]] = []
    for f, col in zip(fields, data, strict=True):
        if f not in fmap:
            continue
        prop = fmap[f]
        vals = _plain_column(col)
        if mapping is not None and prop in mapping.values:
            nulls = vals.count(None)
            vals = [None if v is None else mapping.value(prop, v) for v in vals]
            if vals.count(None) != nulls:  # mapped to null: a property given as null, not absent
                return None
        if shapefile:
            if prop == "stock" and vals.count(None) != n:
                return None
            if _too_wide(vals, min(widths.get(f, _SHP_TEXT_BYTES), _SHP_TEXT_BYTES), enc):
                return None
        keys.append(prop)
        cols.append(_convert_column(prop, vals))
    return keys, cols


def _kml_read_beside_listing(p: Path, layers: list[str], max_mb: float | None) -> tuple[Path, list[str], bytes, Any] | None:
    """For a KML file of one layer read: its dataset, layers and hashed bytes as `_dataset` and
    `_raw_bytes` give them, and the layer as read (or what reading it raised); None for anything else.

    GDAL's KML driver parses the whole file when it opens it (seconds for a large one): the layers
    are listed (`_dataset`, which raises first, as it would before any read) beside the reading
    of the layer, the file opened twice at once rather than one after the other.  A file over
    ``max_mb`` is not read here (None: refused before it is parsed, in the usual order).
    """
    import pyogrio.raw

    from depotsafe.layout import _Beside, read_limited

    if p.suffix.lower() != ".kml" or len(layers) > 1:
        return None
    try:
        data = read_limited(p, "layout", max_mb)
    except LayoutError:
        return None
    listing = _Beside(_dataset, p, layers)
    first: Any
    try:
        first = pyogrio.raw.read(str(p), layer=layers[0] if layers else None, force_2d=True)
    except Exception as exc:  # GDAL raises several types for unreadable layers; raised in turn
        first = exc
    ds, names = listing.result()
    return ds, names, data + "\n".join(names).encode(), first


def read_gis_columns(path: str | Path, layers: Sequence[str] = (), max_mb: float | None = None,
                     mapping: Any = None) -> GisColumns | None:
    """A GIS file read column by column, or None where :func:`read_gis` would find a problem
    or a value is out of the ordinary (read it with :func:`read_gis`, which words every message).

    What it holds is what :func:`read_gis` gives, feature by feature: the same properties and
    values, the same geometries (without the GeoJSON text between), the same CRS and the same
    bytes to hash.  Raises the LayoutErrors that :func:`read_gis` raises before it has read the
    features (an unreadable file, an unknown or unnamed layer, a file without a CRS).
    """

    p = Path(path)
    early = _kml_read_beside_listing(p, list(layers), max_mb)
    if early is None:
        ds, names = _dataset(p, list(layers))
        raw = _raw_bytes(ds, p, names, max_mb)
    else:
        ds, names, raw, first = early
    shapefile = p.suffix.lower() == ".shp"
    crs_names: set[str] = set()
    user = mapping.fields if mapping is not None else {}
    unseen = set(user)
    ok = True
    parts: list[tuple[list[str], list[list[Any]], np.ndarray]] = []
    for k, name in enumerate(names):
        if early is not None and k == 0:
            meta, _fids, wkb, data = _read_layer(ds, p, name, first)
        else:
            meta, _fids, wkb, data = _read_layer(ds, p, name)
        crs_names.add(_crs_name(meta.get("crs"), p))
        fields = [str(f) for f in meta["fields"]]
        unseen.difference_update(fields)
        if not ok:
            continue
        fmap, why = field_map(fields, kml=p.suffix.lower() == ".kml", user=user)
        if why or wkb is None:
            ok = False
            continue
        geoms = shapely.from_wkb(wkb)
        n = len(geoms)
        widths = _dbf_text_widths((ds / f"{name}.dbf") if ds != p else p.with_suffix(".dbf")) if shapefile else {}
        got = _layer_columns(fields, data, fmap, mapping, shapefile, widths, meta.get("encoding") or "utf-8", n)
        if got is None:
            ok = False
            continue
        one = np.isin(shapely.get_type_id(geoms), _MULTI_IDS) & (shapely.get_num_geometries(geoms) == 1)
        if one.any():
            geoms[one] = shapely.get_geometry(geoms[one], 0)
        parts.append((*got, geoms))
    if not ok or unseen or len(crs_names) > 1:
        return None
    n_all = sum(len(g) for _k, _c, g in parts)
    columns: dict[str, list[Any]] = {}
    props: list[dict[str, Any]] = []
    at = 0
    for keys, cols, geoms in parts:
        n = len(geoms)
        for k, c in zip(keys, cols, strict=True):
            columns.setdefault(k, [None] * n_all)[at:at + n] = c
        props.extend(_row_dicts(keys, cols, n))
        at += n
    crs = crs_names.pop() if crs_names else "OGC:CRS84"
    doc: dict[str, Any] = {} if crs == "OGC:CRS84" else {"crs": {"type": "name", "properties": {"name": crs}}}
    if mapping is not None:
        raw += b"\0" + mapping.raw
    all_geoms = np.concatenate([g for _k, _c, g in parts]) if parts else np.empty(0, dtype=object)
    return GisColumns(columns, props, all_geoms, doc, raw)


# --------------------------------------------------------------------------- writing


def _cell(v: Any) -> Any:
    """A value a GeoPackage field holds: lists and dicts as JSON text."""
    if isinstance(v, dict | list | tuple):
        return json.dumps(v)
    return v


def _columns(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[np.ndarray]]:
    """Field names (first seen order) and one object array per field."""
    names: list[str] = []
    seen: set[str] = set()
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                names.append(k)
    data = []
    for k in names:
        vals = [_cell(r.get(k)) for r in records]
        kinds = {type(v) for v in vals if v is not None}
        if kinds <= {float, int} and bool not in kinds and kinds:
            data.append(np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64))
        elif kinds == {bool}:
            data.append(np.array([bool(v) for v in vals], dtype=bool))
        else:
            data.append(np.array([None if v is None else str(v) for v in vals], dtype=object))
    return names, data


def _site_records(result: Any) -> list[dict[str, Any]]:
    failing: set[str] = set()
    for pair in result.iter_violations():
        failing.add(pair["pes"])
        failing.add(pair["es"])
    out = []
    for s in result.sites:
        rec: dict[str, Any] = {"id": s["id"], "kind": s.get("kind"),
                               "verdict": "violation" if s["id"] in failing else "compliant"}
        for hd, kg in (s.get("neq_kg") or {}).items():
            rec[f"neq_{hd.replace('.', '_')}_kg"] = kg
        for hd, kg in (s.get("licence_limit_kg") or {}).items():
            rec[f"licence_{hd.replace('.', '_')}_kg"] = kg
        for hd, es in (s.get("limiting_es") or {}).items():
            rec[f"limiting_es_{hd.replace('.', '_')}"] = es
        out.append(rec)
    return out


def geopackage_bytes(depot: Any, result: Any, arcs: Mapping[str, Any]) -> bytes:
    """The check's result as a GeoPackage (layers sites, pairs, arcs), as bytes.

    ``arcs`` is the FeatureCollection of ``depotsafe.report.arcs_geojson``.
    Written to a temporary folder and read back, so that the caller writes
    it all or nothing with the other outputs.
    """
    import pyogrio.raw

    local = depot.is_local
    crs = None if local else "EPSG:4326"

    def out_geoms(geoms: Sequence[Any]) -> np.ndarray:
        arr = np.asarray(geoms, dtype=object)
        if not local and len(arr):
            arr = shapely.transform(arr, lambda xy: np.column_stack(depot.to_lonlat(xy[:, 0], xy[:, 1])))
        return shapely.to_wkb(arr)

    sites = _site_records(result)
    site_geoms = [depot.site(r["id"]).geometry for r in sites]
    pairs = [dict(p) for p in result.iter_pairs()]
    pair_geoms = [shapely.shortest_line(depot.site(p["pes"]).geometry, depot.site(p["es"]).geometry)
                  for p in pairs]
    arc_feats = list(arcs.get("features", []))
    with tempfile.TemporaryDirectory(prefix="depotsafe-gpkg-") as tmp:
        path = str(Path(tmp) / "result.gpkg")
        layers = [("sites", sites, out_geoms(site_geoms), "Unknown"),
                  ("pairs", pairs, out_geoms(pair_geoms), "LineString")]
        arc_props = [dict(f["properties"]) for f in arc_feats]
        arc_wkb = shapely.to_wkb(np.asarray([shapely.geometry.shape(f["geometry"]) for f in arc_feats],
                                            dtype=object))
        layers.append(("arcs", arc_props, arc_wkb, "Unknown"))
        for n, (layer, records, wkb, gtype) in enumerate(layers):
            names, data = _columns(records)
            pyogrio.raw.write(path, wkb, data, names, layer=layer, driver="GPKG", geometry_type=gtype,
                              crs=crs, append=n > 0)
        return Path(path).read_bytes()
