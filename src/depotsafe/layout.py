"""Depot layouts: read a GeoJSON layout (and optional stock CSV) into a `Depot`.

The layout file
---------------
A GeoJSON FeatureCollection (docs/layout.md).  Each feature
carries the properties ``id``, ``kind`` and, as the kind needs them,
``front_bearing_deg``, ``door_barricade``, ``traffic``, ``persons``, ``sparse``,
``evacuable``, ``very_sensitive`` and ``stock``.

Coordinate reference systems
----------------------------
* No ``crs`` member: coordinates are WGS84 longitude/latitude (RFC 7946).
* A legacy ``crs`` member as GIS tools write it names another CRS, e.g.
  ``{"type": "name", "properties": {"name": "EPSG:32633"}}`` or
  ``"urn:ogc:def:crs:EPSG::32633"``.  Coordinates are taken in (x, y) =
  (easting, northing) or (longitude, latitude) order, as GeoJSON does.
* **Local metres (training layouts).**  A layout drawn in plain local metres
  must say so explicitly with
  ``"crs": {"type": "name", "properties": {"name": "depotsafe:local-metres"}}``.
  Its coordinates are then used as they are: x east, y north, in metres, on a
  flat plane.  Plain numbers are never guessed to be metres.

Whatever the source CRS, every footprint is transformed with pyproj to a
transverse Mercator projection centred on the depot (``lon_0``/``lat_0`` = the
median of the centres of the storage sites, so that one distant site does not
move it; scale factor 1, WGS84 ellipsoid, false easting and northing 0) before
anything is measured (standards.md section 9 decision 12).  A site whose
vertices lie where that projection measures more than 0.1 % too long (about
285 km from the central meridian, `MAX_SCALE_ERROR`) is refused and named; a
public traffic route only has to come that near somewhere (it is measured near
the depot).  Web Mercator (EPSG:3857) is transformed
like any other CRS; its units are never taken as metres on the ground.

Front bearings (``front_bearing_deg``) are degrees clockwise from grid north
of the source CRS (from true north for longitude/latitude input).  They are
converted to the grid of the depot's transverse Mercator projection by
transforming a short segment along the bearing, so the grid convergence
between the two projections is accounted for.  ``Site.front_bearing_deg``
is always on the depot grid.

Stock
-----
Inline ``stock`` lists are kept as raw dicts (another module validates hazard
division, compatibility group and NEQ).  A stock CSV has the header
``site_id,item,hd,cg,quantity,unit_neq_kg`` (optionally ``form``); ``quantity``
is an NEQ with its unit (``"5 t"``, ``"800 kg"``).  A column ``quantity_kg``
may be given instead, holding plain numbers in kilograms.  Each CSV row
becomes a dict ``{"item", "hd", "cg", "neq" or "neq_kg", "unit_neq_kg",
"form"}`` in the inline format, checked as a stock line when the file is read
(a problem names the file and row).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import hashlib
import io
import json
import math
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from depotsafe.errors import InputError, LayoutError
from depotsafe.kinds import kinds

if TYPE_CHECKING:  # imported where a CRS is used: a layout in local metres never needs PROJ
    import pyproj

LOCAL_METRES = "depotsafe:local-metres"
"""The ``crs`` name that declares a layout drawn in plain local metres."""

_WGS84_NAME = "OGC:CRS84"
_BOOL_PROPS = ("door_barricade", "sparse", "evacuable", "very_sensitive")
_TRAFFIC = ("heavy", "light")
_BEARING_STEP_M = 10.0  # length of the segment used to carry a bearing across CRSs


@dataclass(frozen=True)
class Site:
    """One site of a depot, in the depot's local transverse Mercator metres.

    Attributes
    ----------
    id : str
        Unique identifier.
    name : str
        Display name (the id when none is given).
    kind : str
        A kind of data/kinds.csv.
    geometry : shapely geometry
        Footprint in local metres (x east, y north) [m].
    front_bearing_deg : float or None
        Outward normal of the door face, degrees clockwise from grid north of
        the depot grid [deg]; None for kinds that are not earth-covered.
    door_barricade : bool
        The door has a barricade.
    traffic : str or None
        ``"heavy"`` (default) or ``"light"`` for public traffic routes; None
        otherwise.
    persons : float
        People present [-].
    sparse : bool
        Sparsely populated area (inhabited buildings).
    evacuable : bool
        People within the HD 1.2 distance can be evacuated or sheltered.
    stock_entries : tuple of dict
        Raw stock lines (inline or from the stock CSV).
    properties : dict
        The feature's raw properties.
    very_sensitive : bool
        A storage site declared to hold primary explosives or other very
        sensitive substances (AASTP-1 §1.3.1.4; decision 30).  Stock of
        compatibility group A implies it in the check, whatever this says.
    """

    id: str
    name: str
    kind: str
    geometry: BaseGeometry
    front_bearing_deg: float | None = None
    door_barricade: bool = False
    traffic: str | None = None
    persons: float = 0.0
    sparse: bool = False
    evacuable: bool = False
    stock_entries: tuple[dict[str, Any], ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)
    very_sensitive: bool = False


_SITE_FIELDS = ("id", "name", "kind", "geometry", "front_bearing_deg", "door_barricade", "traffic", "persons",
                "sparse", "evacuable", "stock_entries", "properties", "very_sensitive")
if tuple(f.name for f in fields(Site)) != _SITE_FIELDS or hasattr(Site, "__post_init__"):  # pragma: no cover
    raise ImportError("layout._new_sites builds Site records field by field: update it with Site")


def _new_sites(parsed: Sequence[Mapping[str, Any]], geoms: Sequence[BaseGeometry],
               bearings: Sequence[float | None]) -> list[Site]:
    """The Sites of parsed features, each what ``Site(...)`` builds from the same values.

    A frozen dataclass's ``__init__`` sets each of its 13 fields through ``object.__setattr__``
    (a quarter of reading a 100,000-site layout); here each instance gets its attribute
    dictionary at once, with the same keys in the same order (``_SITE_FIELDS``).
    """
    new, set_attr = object.__new__, object.__setattr__
    sites = []
    append = sites.append
    for p, g, b in zip(parsed, geoms, bearings, strict=True):
        flags = p["flags"]
        site = new(Site)
        set_attr(site, "__dict__", {
            "id": p["id"], "name": p["name"], "kind": p["kind"], "geometry": g, "front_bearing_deg": b,
            "door_barricade": flags["door_barricade"], "traffic": p["traffic"], "persons": p["persons"],
            "sparse": flags["sparse"], "evacuable": flags["evacuable"], "stock_entries": tuple(p["stock"]),
            "properties": p["props"], "very_sensitive": flags["very_sensitive"],
        })
        append(site)
    return sites


@dataclass(frozen=True)
class Depot:
    """A depot layout in local transverse Mercator metres.

    Attributes
    ----------
    sites : tuple of Site
        The sites in file order.
    crs_name : str
        The CRS of the source file (``"OGC:CRS84"`` for plain GeoJSON,
        ``"depotsafe:local-metres"`` for local layouts).
    projection : str
        PROJ string of the local transverse Mercator projection (empty for
        local-metres layouts, which are used as they are).
    input_sha256 : str
        SHA-256 over the raw bytes of the layout file followed by those of the
        stock file (for a layout given as a dict: its canonical JSON, sorted
        keys, no spaces).
    """

    sites: tuple[Site, ...]
    crs_name: str
    projection: str
    input_sha256: str
    _to_wgs84: pyproj.Transformer | None = field(default=None, repr=False, compare=False)
    _to_source: pyproj.Transformer | None = field(default=None, repr=False, compare=False)
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_local(self) -> bool:
        """True for a layout drawn in plain local metres."""
        return self.crs_name == LOCAL_METRES

    def site(self, site_id: str) -> Site:
        """The site with this id (InputError listing a few ids if unknown)."""
        try:
            return self.sites[self._index[site_id]]
        except KeyError:
            some = ", ".join(list(self._index)[:10])
            raise InputError("site", site_id, f"not in the layout (ids include {some})") from None

    def to_lonlat(self, x_m: Any, y_m: Any) -> tuple[Any, Any]:
        """Local metres to WGS84 longitude/latitude [deg].

        Raises InputError for a local-metres layout, which has no place on earth.
        """
        if self._to_wgs84 is None:
            raise InputError(
                "crs", self.crs_name, "a local-metres layout has no longitude/latitude"
            )
        return self._to_wgs84.transform(x_m, y_m)


class _Problems:
    """Collects validation problems and raises them together as one LayoutError."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}" if where else message)

    def raise_if_any(self) -> None:
        if self.items:
            n = len(self.items)
            head = f"{n} problem{'s' if n > 1 else ''} in the layout:"
            err = LayoutError("layout", self.source, head + "\n  - " + "\n  - ".join(self.items))
            err.problems = tuple(self.items)  # type: ignore[attr-defined]
            raise err


MAX_ID_CHARS = 256
"""Longest site id accepted [characters]."""


def _id_problem(sid: str) -> str | None:
    """Why a site id is not allowed, or None: no control or invisible characters."""
    if len(sid) > MAX_ID_CHARS:
        return f"at most {MAX_ID_CHARS} characters"
    if sid.isprintable():  # the usual case, in C
        return None
    for ch in sid:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            return (f"control or invisible characters (here {ch!a}) are not allowed in ids; "
                    "use letters, digits, spaces and punctuation")
    return None


def _shown_id(sid: str) -> str:
    text = ascii(sid) if len(sid) <= 80 else ascii(sid[:80]) + f"... ({len(sid):,} characters)"
    return text


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


MAX_UPLOAD_MB = 25
"""Largest layout or stock file the app accepts [MB, 1 MB = 1,000,000 bytes]."""

CLI_MAX_LAYOUT_MB = 100
"""Default of the command line's ``--max-layout-mb`` [MB, 1 MB = 1,000,000 bytes]:
well above the largest benchmark depot (100,000 sites, about 30 MB of GeoJSON)."""

BYTES_PER_MB = 1_000_000


def read_limited(path: str | Path, field: str, max_mb: float | None) -> bytes:
    """The bytes of a file, refused before parsing when larger than ``max_mb``.

    At most ``max_mb`` MB (+1 byte) are read, so a device or pipe cannot make
    depotsafe read without end.  Raises LayoutError naming ``field`` and the path.
    """
    p = Path(path)
    try:
        if p.is_dir():
            raise LayoutError(field, str(p), "is a folder; a file is required")
        with p.open("rb") as fh:
            if max_mb is None:
                return fh.read()
            limit = int(max_mb * BYTES_PER_MB)
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise LayoutError(field, str(p), f"cannot be read ({exc.strerror})") from None
    if len(raw) > limit:
        try:
            st_size = p.stat().st_size
        except OSError:
            st_size = 0
        size = f"is {st_size / BYTES_PER_MB:,.1f} MB," if st_size > limit else "holds"
        raise LayoutError(
            field, str(p),
            f"the file {size} more than the limit of {max_mb:g} MB (1 MB = 1,000,000 bytes); "
            "nothing was read. On the command line, --max-layout-mb raises the limit",
        )
    return raw


def _read_bytes(
    source: str | Path | Mapping[str, Any], max_mb: float | None = None
) -> tuple[bytes, str]:
    if isinstance(source, Mapping):
        try:
            raw = json.dumps(source, sort_keys=True, separators=(",", ":")).encode("utf-8")
        except RecursionError:
            raise LayoutError("layout", "<dict>", "nested too deeply for a depot layout") from None
        except (TypeError, ValueError) as exc:
            raise LayoutError("layout", "<dict>", f"not JSON data ({exc})") from None
        return raw, "<dict>"
    return read_limited(source, "layout", max_mb), str(Path(source))


_INT_DIGITS = 18
"""Integers with more digits than this are read as floats (10**400 becomes inf
and is refused as not finite where a number is expected; no 4,300-digit limit
error of int())."""


_DIGIT_MASK = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
"""Translation table: every ASCII digit to b"0", every other byte to a space."""

_LONG_RUN = b"0" * (_INT_DIGITS + 1)


def _has_long_digit_run(raw: bytes) -> bool:
    """Whether ``raw`` holds a run of more than _INT_DIGITS ASCII digits (two passes in C)."""
    return _LONG_RUN in raw.translate(_DIGIT_MASK)


class _NotJSON(ValueError):
    pass


def _parse_int(text: str) -> int | float:
    return int(text) if len(text) <= _INT_DIGITS else float(text)


def _parse_constant(name: str) -> float:
    raise _NotJSON(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity)")


def parse_json(raw: bytes, field: str, name: str) -> Any:
    """Parse JSON bytes strictly: no NaN/Infinity, huge integers as floats.

    Raises LayoutError naming ``field`` and ``name`` for text that is not
    UTF-8 JSON or nested too deeply for the parser.
    """
    # the integer hook costs a Python call per integer: only when a long digit run is there
    hook = _parse_int if _has_long_digit_run(raw) else None
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_int=hook,
                          parse_constant=_parse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, _NotJSON) as exc:
        raise LayoutError(field, name, f"not JSON ({exc})") from None
    except RecursionError:
        raise LayoutError(field, name, "not a depot layout: the JSON is nested too deeply "
                          "(a GeoJSON layout needs at most a few levels)") from None


_FAST_READ = True
"""Private switch: False reads every layout through the per-feature path (tests compare both)."""

_BOM = b"\xef\xbb\xbf"


def _quick_parse(raw: bytes) -> Any:
    """The document orjson parses from ``raw``, or None where it may differ from `parse_json`.

    Only for text without long digit runs (integers as ``parse_json`` reads them);
    whatever orjson refuses (NaN, Infinity, numbers beyond a double, lone
    surrogates, bad UTF-8, nesting over 1,024 levels...) is left to `parse_json`,
    which words the message.  A document orjson reads is the one json reads
    (same values, last of duplicate keys, same key order), except that json
    gives up at a nesting depth near the recursion limit: the fast path
    (`_fast_features`) proves every document it takes far shallower than that.
    """
    if _has_long_digit_run(raw):
        return None
    body = raw[3:] if raw.startswith(_BOM) else raw
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _pyproj() -> Any:
    """pyproj, imported on first use: a layout in local metres never needs PROJ (a
    command's start).  Python's import lock makes a first use from two threads safe."""
    import pyproj

    return pyproj


class _CrsRange:
    """Which positions of a projected CRS have a place on the earth.

    A position is inside when it converts to a finite longitude/latitude and
    back to itself (to a millimetre, or 1e-9 of its size): out of range, PROJ
    gives infinity or a point elsewhere, which is never taken for the input.
    """

    def __init__(self, crs: pyproj.CRS, name: str) -> None:
        pyproj = _pyproj()
        self.name = name
        self.to_ll = pyproj.Transformer.from_crs(crs, _WGS84_NAME, always_xy=True)
        self.from_ll = pyproj.Transformer.from_crs(_WGS84_NAME, crs, always_xy=True)

    def outside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.lonlat_outside(x, y)[2]

    def lonlat_outside(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The positions' longitude and latitude (``to_ll``), and which are outside."""
        with np.errstate(all="ignore"):
            lon, lat = (np.asarray(a) for a in self.to_ll.transform(x, y, errcheck=False))
            x2, y2 = (np.asarray(a) for a in self.from_ll.transform(lon, lat, errcheck=False))
            ok = (np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
                  & (np.abs(x2 - x) <= 1e-3 + 1e-9 * np.abs(x))
                  & (np.abs(y2 - y) <= 1e-3 + 1e-9 * np.abs(y)))
        return lon, lat, ~ok

    def message(self, x: float, y: float) -> str:
        return (f"geometry: position [{x:.10g}, {y:.10g}] is outside the area where {self.name} "
                "is defined (it has no place on the earth in that CRS); check the coordinates "
                "and the crs member")

    def first_outside(self, geom: BaseGeometry) -> str | None:
        xy = shapely.get_coordinates(geom)
        bad = np.flatnonzero(self.outside(xy[:, 0], xy[:, 1]))
        return None if bad.size == 0 else self.message(float(xy[bad[0], 0]), float(xy[bad[0], 1]))


def _parse_crs(doc: Mapping[str, Any], problems: _Problems) -> tuple[str, pyproj.CRS | None]:
    """The CRS name and pyproj CRS (None for local metres) of a FeatureCollection."""
    crs = doc.get("crs")
    if crs is None:
        return _WGS84_NAME, _pyproj().CRS.from_user_input(_WGS84_NAME)
    name = None
    if isinstance(crs, Mapping) and crs.get("type") == "name":
        props = crs.get("properties")
        if isinstance(props, Mapping):
            name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add(
            "crs",
            f"got {crs!r}; expected "
            '{"type": "name", "properties": {"name": "EPSG:<code>"}} '
            f'or the name "{LOCAL_METRES}" for a layout in plain local metres',
        )
        return "", None
    if name == LOCAL_METRES:
        return name, None
    pyproj = _pyproj()
    try:
        parsed = pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError:
        problems.add(
            "crs",
            f"got {name!r}; not a CRS pyproj knows (write e.g. 'EPSG:32633', "
            f"or '{LOCAL_METRES}' for a layout in plain local metres)",
        )
        return "", None
    if not (parsed.is_geographic or parsed.is_projected):
        problems.add("crs", f"got {name!r}; a geographic or projected 2-D CRS is required")
        return "", None
    return name, parsed


# --------------------------------------------------------------------------- geometry


def _coords_problem(coords: Any, depth: int) -> str | None:
    """Check the nesting of GeoJSON coordinates: depth 1 = position list."""
    if not isinstance(coords, list):
        return "coordinates must be a list"
    if depth == 0:
        if len(coords) < 2 or not all(_is_number(c) for c in coords[:2]):
            return f"position {coords!r} is not [x, y]"
        if not all(math.isfinite(c) for c in coords[:2]):
            return f"position {coords!r} is not finite"
        return None
    for c in coords:
        p = _coords_problem(c, depth - 1)
        if p:
            return p
    return None


_DEPTH = {"Point": 0, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _iter_positions(coords: Any, depth: int) -> Iterable[list[float]]:
    if depth == 0:
        yield coords
    else:
        for c in coords:
            yield from _iter_positions(c, depth - 1)


def _geometry_problem(geom: Any, allowed: Sequence[str], geographic: bool) -> str | None:
    """A message for the first problem of a raw GeoJSON geometry, or None."""
    if not isinstance(geom, Mapping):
        return f"geometry: got {geom!r}; a GeoJSON geometry object is required"
    gtype: Any = geom.get("type")
    if gtype not in allowed:
        return f"geometry type: got {gtype!r}; allowed for this kind: {', '.join(allowed)}"
    coords: Any = geom.get("coordinates")
    depth = _DEPTH[gtype]
    p = _coords_problem(coords, depth)
    if p:
        return "geometry: " + p
    if geographic:
        for pos in _iter_positions(coords, depth):
            lon, lat = pos[0], pos[1]
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                return (
                    f"geometry: position [{lon}, {lat}] out of range; longitude must be "
                    "in [-180, 180] and latitude in [-90, 90] (RFC 7946 order is "
                    "[longitude, latitude])"
                )
    if gtype in ("LineString",) and len(coords) < 2:
        return "geometry: a LineString needs at least 2 positions"
    if gtype == "MultiLineString":
        if not coords:
            return "geometry: a MultiLineString needs at least one part"
        if any(len(part) < 2 for part in coords):
            return "geometry: every part of a MultiLineString needs at least 2 positions"
    if gtype == "Polygon":
        if not coords:
            return "geometry: a Polygon needs an exterior ring"
        for k, ring in enumerate(coords):
            if len(ring) < 4:
                return f"geometry: ring {k} has {len(ring)} positions; at least 4 are required"
            if list(ring[0][:2]) != list(ring[-1][:2]):
                return (
                    f"geometry: ring {k} is not closed (first position {ring[0]!r}, "
                    f"last {ring[-1]!r}); repeat the first position at the end"
                )
    return None


_FAST_INT = 2**53
"""Integers of larger magnitude are left to the general path (exact as floats below)."""


def _plain_ring(geom: Any) -> list[list[float]] | None:
    """The exterior ring of a plain GeoJSON Polygon, or None for anything else.

    Plain: a dict ``{"type": "Polygon", "coordinates": [ring]}`` with one ring of
    at least 4 positions, each a list of exactly two ints (|v| <= 2**53) or
    floats, first equal to last.  Everything else (holes, 3-D positions, other
    types, malformed input) takes the general path of `_geometry_problem`, which
    words the messages.
    """
    if type(geom) is not dict or geom.get("type") != "Polygon":
        return None
    coords = geom.get("coordinates")
    if type(coords) is not list or len(coords) != 1:
        return None
    ring = coords[0]
    if type(ring) is not list or len(ring) < 4:
        return None
    for pos in ring:
        if type(pos) is not list or len(pos) != 2:
            return None
        a, b = pos
        ta, tb = type(a), type(b)
        if ta is not float and (ta is not int or not -_FAST_INT <= a <= _FAST_INT):
            return None
        if tb is not float and (tb is not int or not -_FAST_INT <= b <= _FAST_INT):
            return None
    if ring[0] != ring[-1]:
        return None
    return ring


def _plain_polygons(
    feats: Sequence[Any], geographic: bool
) -> dict[int, tuple[BaseGeometry, str]]:
    """Polygons of the features whose geometry is a plain one (`_plain_ring`), built at once.

    Returns ``{feature index: (polygon, validity reason)}`` for the rings whose
    positions are finite (and within longitude/latitude range when
    ``geographic``); the others are left to the general path, position by
    position, which says what is wrong.  The same polygons as
    ``shapely.geometry.shape`` builds, the same reasons as
    ``shapely.is_valid_reason``, in a few vectorised calls.
    """
    index: list[int] = []
    rings: list[list[list[float]]] = []
    for idx, feat in enumerate(feats):
        if type(feat) is not dict:
            continue
        ring = _plain_ring(feat.get("geometry"))
        if ring is not None:
            index.append(idx)
            rings.append(ring)
    if not index:
        return {}
    lens = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
    xy = np.array([pos for r in rings for pos in r], dtype=np.float64).reshape(-1, 2)
    start = np.concatenate([[0], np.cumsum(lens)[:-1]])
    with np.errstate(all="ignore"):
        ok_pos = np.isfinite(xy).all(axis=1)
        if geographic:
            ok_pos &= (np.abs(xy[:, 0]) <= 180.0) & (np.abs(xy[:, 1]) <= 90.0)
    ok = np.logical_and.reduceat(ok_pos, start)
    keep_pos = np.repeat(ok, lens)
    sel = np.flatnonzero(ok)
    if sel.size == 0:
        return {}
    ring_of = np.repeat(np.arange(sel.size), lens[sel])
    polys = shapely.polygons(shapely.linearrings(xy[keep_pos], indices=ring_of))
    with np.errstate(all="ignore"):
        reasons = shapely.is_valid_reason(polys)
    return {index[k]: (g, str(r))
            for k, g, r in zip(sel.tolist(), polys.tolist(), reasons.tolist(), strict=True)}


def _transform_geoms(
    geoms: list[BaseGeometry], fn: Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]
) -> list[BaseGeometry]:
    """Apply a coordinate function to all geometries at once (vectorised)."""
    if not geoms:
        return []

    def xy(c: np.ndarray) -> np.ndarray:
        x, y = fn(c[:, 0], c[:, 1])
        return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])

    # new geometries (shapely's are immutable: set_coordinates replaces the array's items), the inputs intact
    return shapely.transform(np.asarray(geoms, dtype=object), xy).tolist()


def _bearing_of(dx: float, dy: float) -> float:
    b = math.degrees(math.atan2(dx, dy)) % 360.0
    return 0.0 if b >= 360.0 else b


def _grid_bearings(
    parsed: Sequence[Mapping[str, Any]], fwd: pyproj.Transformer, geographic: bool
) -> list[float | None]:
    """Front bearings carried to the depot grid, all at once (None where there is none).

    For each site with a bearing: a segment of _BEARING_STEP_M from the centre
    of its source footprint along the bearing (geodesic for longitude/latitude,
    straight on the source grid otherwise), transformed with ``fwd``; the
    bearing of the transformed segment.  The same numbers, point by point, as
    one call per site (PROJ and the geodesic take each point on its own).
    """
    at = [i for i, p in enumerate(parsed) if p["bearing"] is not None]
    out: list[float | None] = [None] * len(parsed)
    if not at:
        return out
    b = [parsed[i]["bearing"] for i in at]
    cxy = shapely.get_coordinates(shapely.centroid(np.asarray([parsed[i]["geom"] for i in at], dtype=object)))
    cx, cy = cxy[:, 0].tolist(), cxy[:, 1].tolist()
    if geographic:
        geod = _pyproj().Geod(ellps="WGS84")
        lon1, lat1, _ = geod.fwd(cx, cy, b, [_BEARING_STEP_M] * len(at))
        x1, y1 = list(lon1), list(lat1)
    else:
        br = [math.radians(v) for v in b]
        x1 = [x + _BEARING_STEP_M * math.sin(r) for x, r in zip(cx, br, strict=True)]
        y1 = [y + _BEARING_STEP_M * math.cos(r) for y, r in zip(cy, br, strict=True)]
    xa, ya = fwd.transform(cx, cy)
    xb, yb = fwd.transform(x1, y1)
    for i, pa, qa, pb, qb in zip(at, xa, ya, xb, yb, strict=True):
        out[i] = _bearing_of(pb - pa, qb - qa)
    return out


def _tm_proj(lon0: float, lat0: float) -> str:
    return (
        f"+proj=tmerc +lat_0={lat0:.10f} +lon_0={lon0:.10f} +k=1 +x_0=0 +y_0=0 "
        "+ellps=WGS84 +units=m +no_defs"
    )


# --------------------------------------------------------------------------- extent

MAX_SCALE_ERROR = 1e-3
"""Largest scale error of the depot's transverse Mercator projection accepted [-].

The projection has scale factor 1 on its central meridian and measures a
distance x away from it too long by cosh(x / R) - 1, about x^2 / (2 R^2)
(sphere of radius R): 0.1 % at about 285 km.  Sites beyond are refused."""

EARTH_RADIUS_M = 6_371_008.8
"""Mean earth radius (IUGG) [m], for the scale error bound."""

MAX_OFF_MERIDIAN_M = EARTH_RADIUS_M * math.acosh(1.0 + MAX_SCALE_ERROR)
"""Distance from the central meridian at which the scale error reaches MAX_SCALE_ERROR [m]."""

_ROUTE_KINDS = ("public_traffic_route",)


def _wrap180(a: Any) -> Any:
    return (np.asarray(a) + 180.0) % 360.0 - 180.0


def _depot_centre(
    parsed: Sequence[Mapping[str, Any]], lon: np.ndarray, lat: np.ndarray, owner: np.ndarray
) -> tuple[float, float]:
    """Centre of the depot's projection: the median of the storage sites' centres.

    Each site's centre is the middle of its longitude/latitude box; the median
    over the sites that hold (or may hold) explosives, else over the sites that
    are not routes, else over all.  One far site does not move it.
    """
    n = len(parsed)
    ref = float(lon[0])
    rel = _wrap180(lon - ref)  # longitudes relative to one vertex: no jump at 180 deg
    lo_min = np.full(n, np.inf)
    lo_max = np.full(n, -np.inf)
    la_min = np.full(n, np.inf)
    la_max = np.full(n, -np.inf)
    np.minimum.at(lo_min, owner, rel)
    np.maximum.at(lo_max, owner, rel)
    np.minimum.at(la_min, owner, lat)
    np.maximum.at(la_max, owner, lat)
    clon = 0.5 * (lo_min + lo_max)
    clat = 0.5 * (la_min + la_max)
    allk = kinds()
    stores = np.array([allk[p["kind"]].holds_explosives != "no" for p in parsed])
    fixed = np.array([p["kind"] not in _ROUTE_KINDS for p in parsed])
    pick = stores if stores.any() else fixed if fixed.any() else np.ones(n, dtype=bool)
    lon0 = float(_wrap180(ref + float(np.median(clon[pick]))))
    lat0 = float(np.median(clat[pick]))
    return lon0, lat0


def _check_extent(
    parsed: Sequence[Mapping[str, Any]],
    geoms: Sequence[BaseGeometry],
    lon: np.ndarray,
    lat: np.ndarray,
    owner: np.ndarray,
    lon0: float,
    lat0: float,
    problems: _Problems,
) -> None:
    """Refuse sites where the depot's projection does not measure true (MAX_SCALE_ERROR).

    On a sphere the transverse Mercator scale factor at a point is
    1 / sqrt(1 - B^2), B = cos(lat) sin(lon - lon0); every vertex of a site
    must keep it within 1 + MAX_SCALE_ERROR (and lie on the depot's side of
    the earth).  A public traffic route is measured near the depot: it must
    come within MAX_OFF_MERIDIAN_M of the central meridian somewhere, and its
    far parts do not count.
    """
    dlon = np.radians(_wrap180(lon - lon0))
    b = np.cos(np.radians(lat)) * np.sin(dlon)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = 1.0 / np.sqrt(1.0 - b * b) - 1.0
    ok_vertex = (np.cos(dlon) > 0) & np.isfinite(scale) & (scale <= MAX_SCALE_ERROR)
    n = len(parsed)
    site_ok = np.ones(n, dtype=bool)
    np.logical_and.at(site_ok, owner, ok_vertex)
    if bool(site_ok.all()):
        return
    strip = shapely.box(-MAX_OFF_MERIDIAN_M, -4.1e7, MAX_OFF_MERIDIAN_M, 4.1e7)
    far: list[int] = []
    for i in np.flatnonzero(~site_ok):
        i = int(i)
        if parsed[i]["kind"] in _ROUTE_KINDS:
            mine = owner == i
            near = bool(np.any(ok_vertex[mine]))
            if not near and bool(np.all(np.cos(dlon[mine]) > 0)):
                g = geoms[i]
                xy = shapely.get_coordinates(g)
                near = bool(np.all(np.isfinite(xy))) and bool(shapely.intersects(g, strip))
            if near:
                continue
        far.append(i)
    if not far:
        return
    geod = _pyproj().Geod(ellps="WGS84")
    limit_km = MAX_OFF_MERIDIAN_M / 1e3
    for i in far:
        mine = owner == i
        k = int(np.flatnonzero(mine)[np.argmax(np.abs(b[mine]) + (np.cos(dlon[mine]) <= 0))])
        _az, _baz, dist = geod.inv(lon0, lat0, float(lon[k]), float(lat[k]))
        bk = abs(float(b[k]))
        off_km = (EARTH_RADIUS_M * math.atanh(bk) / 1e3
                  if float(np.cos(dlon[k])) > 0 and bk < 1 else math.inf)
        off = (f"lies about {off_km:,.0f} km from the depot's central meridian"
               if math.isfinite(off_km) else "lies on the far side of the earth")
        problems.add(
            f"feature {parsed[i]['id']!r}",
            f"position [{float(lon[k]):.6f}, {float(lat[k]):.6f}] {off} ({lon0:.4f} deg, the "
            f"middle of the storage sites; {dist / 1e3:,.0f} km from the depot centre); "
            f"the depot's transverse Mercator projection measures distances true to "
            f"{MAX_SCALE_ERROR * 100:g} % only within {limit_km:.0f} km of that meridian. "
            "Check its coordinates (longitude first, then latitude), or give the distant "
            "sites as a layout of their own",
        )


# --------------------------------------------------------------------------- stock CSV


def stock_entry_key(entry: Any) -> tuple[Any, ...] | None:
    """A key equal only for stock entries that read alike (None: no key, read it anew).

    Keys in order, value types and values (floats by repr, so that -0.0 and 0.0
    differ); only for dicts of plain str, int and float values.
    """
    if type(entry) is not dict:
        return None
    key = []
    for k, v in entry.items():
        t = type(v)
        if t is float:
            key.append((k, t, repr(v)))
        elif t is str or t is int:
            key.append((k, t, v))
        else:
            return None
    return tuple(key)


def _kg_cell(text: str, column: str, where: str, problems: _Problems) -> float | None:
    """A stock-CSV cell holding plain kilograms, or None with the problem recorded."""
    from depotsafe.units import parse_number

    try:
        return parse_number(text, column, "a number of kilograms")
    except InputError as exc:
        problems.add(where, str(exc))
        return None


def _csv_problem(exc: csv.Error) -> str:
    if "field larger" in str(exc):
        return f"a field is longer than {csv.field_size_limit():,} characters (the CSV reader's limit)"
    return f"not a readable CSV file ({exc})"


def _read_stock_csv(
    path: str | Path,
    sites_by_id: Mapping[str, str],
    problems: _Problems,
    max_mb: float | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], bytes]:
    """Parse a stock CSV into raw stock dicts by site id."""
    from depotsafe.explosives import parse_stock_entry
    from depotsafe.units import is_bare_number, to_si

    p = Path(path)
    raw = read_limited(p, "stock", max_mb)
    name = p.name
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.add(f"stock file {name}", "not UTF-8 text")
        return {}, raw
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        problems.add(f"stock file {name}", "empty; expected a header line "
                     "site_id,item,hd,cg,quantity,unit_neq_kg[,form]")
        return {}, raw
    joined = "\n".join(lines)
    # csv.reader, each row made the dict csv.DictReader makes of it (DictReader's rows cost a
    # Python call each)
    reader = csv.reader(io.StringIO(joined))
    try:
        header = [h.strip() for h in (next(reader, None) or [])]
    except csv.Error as exc:
        problems.add(f"stock file {name}", _csv_problem(exc))
        return {}, raw
    qcol = "quantity" if "quantity" in header else "quantity_kg" if "quantity_kg" in header else None
    missing = [c for c in ("site_id", "hd", "cg") if c not in header]
    if qcol is None:
        missing.append("quantity (or quantity_kg)")
    if missing:
        problems.add(
            f"stock file {name}",
            f"header {header!r} lacks {', '.join(missing)}; expected "
            "site_id,item,hd,cg,quantity,unit_neq_kg[,form]",
        )
        return {}, raw
    out: dict[str, list[dict[str, Any]]] = {}
    masses_ok: set[str] = set()  # quantities that read as a mass (one reading per distinct text)
    entries_ok: set[tuple[Any, ...]] = set()  # entries already checked as a stock line
    try:
        cells = [r for r in reader if r]  # DictReader skips empty rows
    except csv.Error:  # the message names the line as DictReader counts it: read again with it
        again = csv.DictReader(io.StringIO(joined))
        _ = again.fieldnames
        again.fieldnames = header
        try:
            for _row in again:
                pass
        except csv.Error as exc:
            problems.add(f"stock file {name} row {again.line_num}", _csv_problem(exc))
            return {}, raw
        raise  # pragma: no cover - the same text reads alike
    holds_none = {k for k, v in kinds().items() if v.holds_explosives == "no"}
    # The cells DictReader gives a column name: the last column of that name, None where a row is
    # shorter (then ""); read column by column.
    width = len(header)
    if any(len(r) != width for r in cells):
        cells = [r[:width] if len(r) >= width else r + [None] * (width - len(r)) for r in cells]
    last = {h: j for j, h in enumerate(header)}
    by_column = list(zip(*cells, strict=True)) if cells else [() for _ in header]
    blank = [""] * len(cells)

    def column(col: str) -> list[str]:
        j = last.get(col)
        return blank if j is None else [(v or "").strip() for v in by_column[j]]

    sids = column("site_id")
    row_texts = list(zip(column("hd"), column("cg"), column("item"), column(qcol), column("unit_neq_kg"),
                         column("form"), strict=True))
    # the entry of each row text read without a problem: a row of the same texts reads the same
    read_ok: dict[tuple[str, ...], dict[str, Any]] = {}
    for rowno, sid, texts in zip(range(2, len(cells) + 2), sids, row_texts, strict=True):
        if sid not in sites_by_id:
            problems.add(f"stock file {name} row {rowno}", f"site_id {sid!r} is not a site of the layout")
            continue
        kind = sites_by_id[sid]
        if kind in holds_none:
            problems.add(f"stock file {name} row {rowno}", f"site {sid!r} is a {kind}, which holds no explosives")
            continue
        done = read_ok.get(texts)
        if done is not None:
            out.setdefault(sid, []).append(dict(done))
            continue
        hd, cg, item, q, u, form = texts
        where = f"stock file {name} row {rowno}"
        entry: dict[str, Any] = {"hd": hd, "cg": cg}
        if item:
            entry["item"] = item
        if qcol == "quantity":
            try:
                if q not in masses_ok:
                    to_si(q, "mass", "quantity")
                    masses_ok.add(q)
            except InputError as exc:
                if is_bare_number(q):
                    problems.add(
                        where,
                        f"quantity: got {q!r}, a mass without a unit; write e.g. '{q} kg' "
                        "or '{q} t', or name the column quantity_kg".replace("{q}", q),
                    )
                else:
                    problems.add(where, str(exc))
                continue
            entry["neq"] = q
        else:
            v = _kg_cell(q, "quantity_kg", where, problems)
            if v is None:
                continue
            entry["neq_kg"] = v
        if u:
            uv = _kg_cell(u, "unit_neq_kg", where, problems)
            if uv is None:
                continue
            entry["unit_neq_kg"] = uv
        if form:
            entry["form"] = form
        ek = stock_entry_key(entry)
        try:  # every row checked here, so that a message names the CSV row and column
            if ek is None or ek not in entries_ok:
                parse_stock_entry(entry, "stock")
                if ek is not None:
                    entries_ok.add(ek)
        except InputError as exc:
            key = exc.field.removeprefix("stock.")
            column = {"neq": qcol, "neq_kg": qcol, "unit_neq": "unit_neq_kg"}.get(key, key)
            problems.add(where, f"{column}: got {exc.value!r}; {exc.allowed}")
            continue
        read_ok[texts] = dict(entry)
        out.setdefault(sid, []).append(entry)
    return out, raw


# --------------------------------------------------------------------------- fast path

_SCALARS = frozenset({str, int, float, bool, type(None)})
_MAX_FAST_DEPTH = 20
"""Deepest value the fast path takes in a property or an unusual member (levels)."""
_FEATURE_KEYS = frozenset({"type", "properties", "geometry", "id"})
_BOOL_SET = frozenset(_BOOL_PROPS)
_NO_FLAGS = dict.fromkeys(_BOOL_PROPS, False)


def _shallow(v: Any, depth: int = _MAX_FAST_DEPTH) -> bool:
    """Whether a JSON value nests at most ``depth`` levels of lists and dicts."""
    t = type(v)
    if t in _SCALARS:
        return True
    if depth <= 0 or (t is not list and t is not dict):
        return False
    items = v if t is list else v.values()
    if set(map(type, items)) <= _SCALARS:
        return True
    return all(type(e) in _SCALARS or _shallow(e, depth - 1) for e in items)


def _flat_dicts(v: list[Any]) -> bool:
    """Whether every element of a list is a dict of plain values (a stock list)."""
    for e in v:
        if type(e) is not dict or not set(map(type, e.values())) <= _SCALARS:
            return False
    return True


def _bulk_positions(rings: list[Any], min_len: int, closed: bool, geographic: bool
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """All positions of plain position lists as one (n, 2) array, and each list's length.

    None unless every list holds at least ``min_len`` positions, each a list of
    two finite ints or floats (ints and floats below 2**53 in magnitude, within
    longitude/latitude range when ``geographic``), first equal to last when
    ``closed``: anything else is left to the per-feature path.
    """
    if not rings or set(map(type, rings)) != {list}:
        return None
    lens = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    if int(lens.min()) < min_len:
        return None
    pos = list(chain.from_iterable(rings))
    if set(map(type, pos)) != {list} or set(map(len, pos)) != {2}:
        return None
    flat = list(chain.from_iterable(pos))
    if not set(map(type, flat)) <= {float, int}:
        return None
    xy = np.array(flat, dtype=np.float64).reshape(-1, 2)
    with np.errstate(all="ignore"):
        if not bool(np.isfinite(xy).all()) or bool((np.abs(xy) >= _FAST_INT).any()):
            return None
        if geographic and not bool(((np.abs(xy[:, 0]) <= 180.0) & (np.abs(xy[:, 1]) <= 90.0)).all()):
            return None
    if closed:
        end = np.cumsum(lens)
        if not bool((xy[end - lens] == xy[end - 1]).all()):
            return None
    return xy, lens


def _fast_features(
    doc: Any, allkinds: Mapping[str, Any], own: bool = False
) -> tuple[str, pyproj.CRS | None, list[dict[str, Any]]] | None:
    """The CRS and the parsed features of a layout with nothing wrong or unusual, or None.

    The common case, checked in bulk: every feature a plain dict with a string
    id in its properties, a known kind, plain values, and a geometry that is a
    one-ring Polygon or a LineString of two-number positions (built and checked
    at once), or else one that the per-feature geometry code finds valid.  The
    result is what the per-feature loop of `_read_layout` builds.  None as soon
    as anything would be a problem or is out of the ordinary: the per-feature
    path then reads the whole file and words every message.  ``own``: the
    document was parsed here and nothing else holds it, so each feature's
    properties are kept as they are rather than copied (as for a caller's dict).
    """
    if type(doc) is not dict or doc.get("type") != "FeatureCollection":
        return None
    feats = doc.get("features")
    if type(feats) is not list or not feats:
        return None
    for key, v in doc.items():
        if key != "features" and not _shallow(v):
            return None
    problems = _Problems("")
    crs_name, crs = _parse_crs(doc, problems)
    if problems.items:
        return None
    geographic = crs is not None and crs.is_geographic
    seen: set[str] = set()
    parsed: list[dict[str, Any]] = []
    poly_at: list[int] = []
    poly_rings: list[Any] = []
    line_at: list[int] = []
    line_coords: list[Any] = []
    scalars = _SCALARS
    for feat in feats:
        if type(feat) is not dict or feat.get("type") != "Feature":
            return None
        props = feat.get("properties")
        if type(props) is not dict:
            return None
        if len(feat) > 3 or not feat.keys() <= _FEATURE_KEYS:
            for key in feat:
                if key not in _FEATURE_KEYS and not _shallow(feat[key]):
                    return None
        if not set(map(type, props.values())) <= scalars:
            for v in props.values():  # a stock list of flat objects, or anything not too deep
                if type(v) in scalars or (type(v) is list and _flat_dicts(v)):
                    continue
                if not _shallow(v):
                    return None
        sid = props.get("id")
        if (type(sid) is not str or sid in seen or len(sid) > MAX_ID_CHARS or not sid.isprintable()
                or not sid.strip()):
            return None
        seen.add(sid)
        kind = props.get("kind")
        if type(kind) is not str or kind not in allkinds:
            return None
        k = allkinds[kind]
        geom = feat.get("geometry")
        if type(geom) is not dict:
            return None
        gtype = geom.get("type")
        if gtype not in k.geometry_types:
            return None
        coords = geom.get("coordinates")
        if len(geom) == 2 and gtype == "Polygon" and type(coords) is list and len(coords) == 1:
            poly_at.append(len(parsed))
            poly_rings.append(coords[0])
            g = None
        elif len(geom) == 2 and gtype == "LineString":
            line_at.append(len(parsed))
            line_coords.append(coords)
            g = None
        else:  # the per-feature geometry code; any problem: the per-feature path
            if not _shallow(geom) or _geometry_problem(geom, k.geometry_types, geographic):
                return None
            try:
                g = shapely.geometry.shape(geom)
            except Exception:  # shapely raises several types on bad input
                return None
            with np.errstate(all="ignore"):
                if not shapely.is_valid(g):
                    return None
        bearing = props.get("front_bearing_deg")
        if k.earth_covered:
            tb = type(bearing)
            if not ((tb is float or tb is int) and math.isfinite(bearing) and 0 <= bearing < 360):
                return None
            bearing = float(bearing)
        elif bearing is not None:
            return None
        traffic = props.get("traffic")
        if kind == "public_traffic_route":
            if traffic is None:
                traffic = "heavy"
            elif traffic not in _TRAFFIC:
                return None
        elif traffic is not None:
            return None
        if _BOOL_SET.isdisjoint(props):  # the usual case: none given, all false
            flags = _NO_FLAGS  # read only (layout._new_sites)
        else:
            flags = {}
            for b in _BOOL_PROPS:
                v = props.get(b, False)
                if type(v) is not bool:
                    return None
                flags[b] = v
            if flags["very_sensitive"] and k.holds_explosives != "yes":
                return None
        persons = props.get("persons", 0)
        tp = type(persons)
        if not ((tp is float or tp is int) and math.isfinite(persons) and persons >= 0):
            return None
        stock = props.get("stock")
        entries: list[dict[str, Any]] = []
        if stock is not None:
            if type(stock) is not list or not all(type(e) is dict for e in stock):
                return None
            if stock and k.holds_explosives == "no":
                return None
            entries = [dict(e) for e in stock]
        name = props.get("name", sid)
        parsed.append({
            "id": sid,
            "name": str(name) if name is not None else sid,
            "kind": kind,
            "geom": g,
            "bearing": bearing,
            "traffic": traffic,
            "persons": float(persons),
            "flags": flags,
            "stock": entries,
            "props": props if own else dict(props),
        })
    for at, rings, min_len, closed, build in (
        (poly_at, poly_rings, 4, True, lambda xy, ix: shapely.polygons(shapely.linearrings(xy, indices=ix))),
        (line_at, line_coords, 2, False, lambda xy, ix: shapely.linestrings(xy, indices=ix)),
    ):
        if not at:
            continue
        bulk = _bulk_positions(rings, min_len, closed, geographic)
        if bulk is None:
            return None
        xy, lens = bulk
        geoms = build(xy, np.repeat(np.arange(lens.size), lens))
        with np.errstate(all="ignore"):
            if not bool(shapely.is_valid(geoms).all()):
                return None
        for i, g in zip(at, geoms.tolist(), strict=True):
            parsed[i]["geom"] = g
    return crs_name, crs, parsed


_GEOM_TYPES = ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
               "MultiPolygon", "GeometryCollection")
"""GeoJSON geometry type names by shapely's type id."""
_NONE_TYPE = type(None)


def _column_features(
    columns: Mapping[str, Sequence[Any]], props: Sequence[dict[str, Any]], geoms: np.ndarray,
    crs_doc: Mapping[str, Any], allkinds: Mapping[str, Any],
) -> tuple[str, pyproj.CRS | None, list[dict[str, Any]]] | None:
    """The CRS and the parsed features of a layout given as columns, or None.

    ``columns``: property -> one value per feature (None: the feature does not
    have it); ``props``: each feature's properties (the same values, absent ones
    left out); ``geoms``: the features' shapely geometries in the CRS that
    ``crs_doc`` names (a FeatureCollection's ``crs`` member, or none).  The
    result is what `_fast_features` gives for the FeatureCollection of these
    properties and the GeoJSON of these geometries, checked column by column;
    None as soon as anything would be a problem or is out of the ordinary:
    the caller then reads the layout feature by feature, which words every
    message.  ``props`` are kept as they are (the caller made them).
    """
    n = len(props)
    if n == 0 or len(geoms) != n:
        return None
    problems = _Problems("")
    crs_name, crs = _parse_crs(crs_doc, problems)
    if problems.items:
        return None
    geographic = crs is not None and crs.is_geographic
    absent: list[Any] = [None] * n
    ids = list(columns.get("id", absent))
    if set(map(type, ids)) != {str} or len(set(ids)) != n or max(map(len, ids)) > MAX_ID_CHARS:
        return None
    if not all(map(str.isprintable, ids)) or not all(map(str.strip, ids)):
        return None
    kind_col = list(columns.get("kind", absent))
    if set(map(type, kind_col)) != {str}:
        return None
    names = sorted(set(kind_col))
    if not set(names) <= allkinds.keys():
        return None
    ks = [allkinds[k] for k in names]
    code = {k: i for i, k in enumerate(names)}
    kix = np.fromiter(map(code.__getitem__, kind_col), dtype=np.intp, count=n)
    # geometry: a type the kind takes, nothing empty, finite (and longitude/latitude in range), valid
    # (the validity, in GEOS outside Python's lock, checked in a thread beside the rest)
    geoms = np.asarray(geoms, dtype=object)
    valid = _Beside(_all_valid, geoms)
    try:
        return _checked_columns(columns, props, geoms, kix, ks, names, ids, kind_col, n, geographic, valid,
                                crs_name, crs)
    finally:
        valid.join()


def _all_valid(geoms: np.ndarray) -> bool:
    with np.errstate(all="ignore"):
        return bool(shapely.is_valid(geoms).all())


def _checked_columns(
    columns: Mapping[str, Sequence[Any]], props: Sequence[dict[str, Any]], geoms: np.ndarray, kix: np.ndarray,
    ks: list[Any], names: list[str], ids: list[str], kind_col: list[str], n: int, geographic: bool,
    valid: _Beside, crs_name: str, crs: pyproj.CRS | None,
) -> tuple[str, pyproj.CRS | None, list[dict[str, Any]]] | None:
    """The rest of `_column_features` (``valid``: whether every geometry is valid, computed beside)."""
    absent: list[Any] = [None] * n
    tid = shapely.get_type_id(geoms)
    allowed = np.array([[t in k.geometry_types for t in _GEOM_TYPES] for k in ks], dtype=bool)
    if int(tid.min()) < 0 or int(tid.max()) >= len(_GEOM_TYPES) or not bool(allowed[kix, tid].all()):
        return None
    if bool(shapely.is_empty(geoms).any()):
        return None
    xy = shapely.get_coordinates(geoms)
    with np.errstate(all="ignore"):
        if not bool(np.isfinite(xy).all()):
            return None
        if geographic and not bool(((np.abs(xy[:, 0]) <= 180.0) & (np.abs(xy[:, 1]) <= 90.0)).all()):
            return None
    # every part and ring of a multi-part geometry or a polygon with holes has positions (GEOS builds
    # no line of one position and no ring of fewer than 4, but empty ones, which GeoJSON refuses)
    several = np.isin(tid, (5, 6)) | ((tid == 3) & (shapely.get_num_interior_rings(geoms) > 0))
    if several.any():
        parts = shapely.get_parts(geoms[several])
        if bool(shapely.is_empty(parts).any()):
            return None
        polys = parts[shapely.get_type_id(parts) == 3]
        if polys.size and bool(shapely.is_empty(shapely.get_rings(polys)).any()):
            return None
    # front bearings: a finite number in [0, 360) for the earth-covered kinds, none for the others
    bearing: list[Any] = [None] * n
    bear = columns.get("front_bearing_deg", absent)
    earth = np.flatnonzero(np.array([k.earth_covered for k in ks], dtype=bool)[kix]).tolist()
    if n - list(bear).count(None) != len(earth):
        return None
    if earth:
        got = [bear[i] for i in earth]
        if not set(map(type, got)) <= {float, int}:
            return None
        arr = np.array(got, dtype=np.float64)
        if not bool((np.isfinite(arr) & (arr >= 0) & (arr < 360)).all()):
            return None
        for i, b in zip(earth, arr.tolist(), strict=True):
            bearing[i] = b
    # traffic: heavy (the default) or light for a route, none for the others
    traffic = list(columns.get("traffic", absent))
    is_route = np.array([k == "public_traffic_route" for k in names], dtype=bool)[kix]
    given = np.fromiter((t is not None for t in traffic), dtype=bool, count=n)
    if bool((given & ~is_route).any()):
        return None
    for i in np.flatnonzero(is_route).tolist():
        t = traffic[i]
        if t is None:
            traffic[i] = "heavy"
        elif t not in _TRAFFIC:
            return None
    # true/false properties
    flag_cols = [columns.get(b) for b in _BOOL_PROPS]
    if all(c is None for c in flag_cols):
        flags: list[Mapping[str, bool]] = [_NO_FLAGS] * n  # read only (layout._new_sites)
    else:
        cols = [absent if c is None else list(c) for c in flag_cols]
        if any(not set(map(type, c)) <= {bool, _NONE_TYPE} for c in cols):
            return None
        flags = [dict(zip(_BOOL_PROPS, (a is True, b is True, c is True, d is True), strict=True))
                 for a, b, c, d in zip(*cols, strict=True)]
        storage = np.array([k.holds_explosives == "yes" for k in ks], dtype=bool)[kix]
        if any(f["very_sensitive"] and not ok for f, ok in zip(flags, storage.tolist(), strict=True)):
            return None
    # persons: a finite number >= 0 (0 where none is given)
    pc = columns.get("persons")
    persons: list[float]
    if pc is None:
        persons = [0.0] * n
    else:
        pl = [0 if v is None else v for v in pc]
        if not set(map(type, pl)) <= {float, int}:
            return None
        parr = np.array(pl, dtype=np.float64)
        if not bool((np.isfinite(parr) & (parr >= 0)).all()):
            return None
        persons = parr.tolist()
    # stock: a list of objects, none given for a kind that holds no explosives
    stock: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    sc = columns.get("stock")
    if sc is not None:
        holds_none = np.array([k.holds_explosives == "no" for k in ks], dtype=bool)[kix].tolist()
        for i, v in enumerate(sc):
            if v is None:
                continue
            if type(v) is not list or not all(type(e) is dict for e in v) or (v and holds_none[i]):
                return None
            stock[i] = [dict(e) for e in v]
    nc = columns.get("name")
    shown = ids if nc is None else [sid if v is None else str(v) for sid, v in zip(ids, nc, strict=True)]
    parsed = [
        {"id": sid, "name": name, "kind": kind, "geom": g, "bearing": b, "traffic": t, "persons": pe,
         "flags": f, "stock": st, "props": pr}
        for sid, name, kind, g, b, t, pe, f, st, pr in zip(
            ids, shown, kind_col, geoms.tolist(), bearing, traffic, persons, flags, stock, props, strict=True)
    ]
    if not valid.result():
        return None
    return crs_name, crs, parsed


def _read_columns(cols: Any, src_name: str, stock_csv: str | Path | None, max_mb: float | None) -> Depot | None:
    """The Depot of a GIS layout read column by column (depotsafe.gisio.GisColumns), or None where
    `_column_features` does not take it."""
    try:
        fast = _column_features(cols.columns, cols.props, cols.geoms, cols.crs, kinds())
    except (OverflowError, TypeError, ValueError):
        fast = None
    if fast is None:
        return None
    crs_name, crs, parsed = fast
    return _build_depot(parsed, crs_name, crs, cols.raw, stock_csv, max_mb, _Problems(src_name))


# --------------------------------------------------------------------------- reading


def read_layout(
    source: str | Path | Mapping[str, Any],
    stock_csv: str | Path | None = None,
    *,
    max_mb: float | None = None,
    layers: Sequence[str] = (),
    mapping: str | Path | None = None,
) -> Depot:
    """Read a depot layout (GeoJSON, or a GIS file) and optionally a stock CSV.

    Parameters
    ----------
    source : path or dict
        A GeoJSON file or an already parsed FeatureCollection; a GeoPackage,
        Shapefile, FlatGeobuf or KML file (by its suffix) is read through
        `depotsafe.gisio` into the same document and checked the same way.
    stock_csv : path, optional
        Stock list, joined to the layout by ``site_id``.
    max_mb : float, optional
        Largest file read [MB, 1 MB = 1,000,000 bytes], layout and stock file
        each; a larger file is refused before it is parsed.  No limit when None.
    layers : sequence of str
        The layers of a GIS file to read (``--layer``); none for a file of one layer.
    mapping : path, optional
        A mapping file (``--mapping``, depotsafe.mapping): other field names of
        a GIS file; required for a DXF drawing (depotsafe.dxfio).

    Returns
    -------
    Depot
        Sites in local transverse Mercator metres.

    Raises
    ------
    LayoutError
        Listing every problem found, one line each, naming the feature id (or
        its index when it has none).
    """
    from depotsafe import gisio

    if isinstance(source, str | Path) and Path(source).suffix.lower() == ".dxf":
        from depotsafe.dxfio import read_dxf
        from depotsafe.mapping import read_mapping

        if mapping is None:
            raise LayoutError("--mapping", None, f"{source} is a DXF drawing: give its mapping file (units, "
                              "georeference, layers; docs/layout.md); depotsafe check and batch read DXF "
                              "drawings, with --mapping FILE")
        if layers:
            raise LayoutError("--layer", ", ".join(layers), "not for a DXF drawing; its mapping file's layers "
                              "name the DXF layers read")
        doc, raw = read_dxf(source, read_mapping(mapping, dxf=True), max_mb)
        with _gc_paused():
            return _read_layout(doc, stock_csv, max_mb, (raw, str(Path(source))))
    if gisio.is_gis_path(source):
        assert not isinstance(source, Mapping)
        from depotsafe.mapping import read_mapping

        user = read_mapping(mapping, dxf=False) if mapping is not None else None
        if _FAST_READ:  # column by column; anything wrong or unusual: read_gis words it
            with _gc_paused():
                cols = gisio.read_gis_columns(source, layers, max_mb, user)
                depot = None if cols is None else _read_columns(cols, str(Path(source)), stock_csv, max_mb)
            if depot is not None:
                return depot
        doc, raw = gisio.read_gis(source, layers, max_mb, user)
        with _gc_paused():
            return _read_layout(doc, stock_csv, max_mb, (raw, str(Path(source))))
    if layers:
        raise LayoutError("--layer", ", ".join(layers), "only for a file of several layers (GeoPackage, "
                          "Shapefile, FlatGeobuf, KML); a GeoJSON layout is one layer")
    if mapping is not None:
        raise LayoutError("--mapping", str(mapping), "only for a GIS file or a DXF drawing; a GeoJSON layout "
                          "names its properties as docs/layout.md does")
    with _gc_paused():
        return _read_layout(source, stock_csv, max_mb)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a layout is read.

    Parsing builds millions of small lists and dicts, and nothing of it forms
    reference cycles; the collector would scan them again and again (more than
    half the reading time of a 40,000-site layout).  Switched back on after,
    if it was on (reference counting frees memory meanwhile as usual).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _try_fast(
    doc: Any, allkinds: Mapping[str, Any], own: bool = False
) -> tuple[str, pyproj.CRS | None, list[dict[str, Any]]] | None:
    """`_fast_features`, or None where it fails on a value of a dict given by a caller
    (an integer too large for a float, say): the per-feature path then does what it did."""
    try:
        return _fast_features(doc, allkinds, own)
    except (OverflowError, TypeError, ValueError):
        return None


def _slow_features(
    doc: Any, src_name: str, allkinds: Mapping[str, Any], problems: _Problems
) -> tuple[str, pyproj.CRS | None, bool, _CrsRange | None, list[dict[str, Any]]]:
    """The CRS and the parsed features, feature by feature, every problem recorded."""
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        got = doc.get("type") if isinstance(doc, Mapping) else type(doc).__name__
        raise LayoutError(
            "layout", src_name, f"type is {got!r}; a GeoJSON FeatureCollection is required"
        )
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise LayoutError("layout", src_name, "the FeatureCollection has no features")

    crs_name, crs = _parse_crs(doc, problems)
    geographic = crs is not None and crs.is_geographic
    crs_check = _CrsRange(crs, crs_name) if crs is not None and not geographic else None
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    plain_polys = _plain_polygons(feats, geographic)

    for idx, feat in enumerate(feats):
        where = f"feature {idx}"
        if not (type(feat) is dict or isinstance(feat, Mapping)) or feat.get("type") != "Feature":
            problems.add(where, "not a GeoJSON Feature")
            continue
        props = feat.get("properties")
        if props is None:
            props = {}
        if not (type(props) is dict or isinstance(props, Mapping)):
            problems.add(where, "properties must be an object")
            continue
        sid = props.get("id", feat.get("id"))
        if isinstance(sid, int) and not isinstance(sid, bool) and "id" not in props:
            sid = str(sid)
        if sid is None or (isinstance(sid, str) and not sid.strip()):
            problems.add(where, "id: missing; every feature needs a unique string id")
            sid = None
        elif not isinstance(sid, str):
            problems.add(where, f"id: got {sid!r}; a string is required")
            sid = None
        elif (why := _id_problem(sid)) is not None:
            problems.add(where, f"id: got {_shown_id(sid)}; {why}")
            sid = None
        else:
            where = f"feature {sid!r}"
            if sid in seen:
                problems.add(where, f"id: duplicate (features {seen[sid]} and {idx})")
            else:
                seen[sid] = idx
        kind = props.get("kind")
        if not isinstance(kind, str) or kind not in allkinds:
            problems.add(where, f"kind: got {kind!r}; allowed: {', '.join(allkinds)}")
            continue
        k = allkinds[kind]
        plain = plain_polys.get(idx) if "Polygon" in k.geometry_types else None
        gp = None if plain is not None else _geometry_problem(feat.get("geometry"), k.geometry_types,
                                                              geographic)
        geom = None
        reason = "Valid Geometry"
        if gp:
            problems.add(where, gp)
        elif plain is not None:  # built and checked with the others (_plain_polygons)
            geom, reason = plain
        else:
            try:
                geom = shapely.geometry.shape(feat["geometry"])
            except Exception as exc:  # shapely raises several types on bad input
                problems.add(where, f"geometry: cannot be built ({exc})")
            else:
                with np.errstate(all="ignore"):
                    reason = shapely.is_valid_reason(geom)
        if geom is not None and reason != "Valid Geometry":
            # out-of-range coordinates can look like a self-intersection: say which
            outside = None if crs_check is None else crs_check.first_outside(geom)
            problems.add(where, outside or f"geometry: invalid ({reason})")
            geom = None
        # front bearing
        bearing = props.get("front_bearing_deg")
        if k.earth_covered:
            if bearing is None:
                problems.add(
                    where,
                    f"front_bearing_deg: missing; required for {kind} (compass bearing "
                    "of the door's outward normal, degrees clockwise from grid north, in [0, 360))",
                )
            elif not _is_number(bearing) or not math.isfinite(bearing) or not 0 <= bearing < 360:
                problems.add(
                    where,
                    f"front_bearing_deg: got {bearing!r}; a finite number in [0, 360) is required",
                )
                bearing = None
        elif bearing is not None:
            problems.add(
                where,
                f"front_bearing_deg: given for {kind}; only earth-covered kinds have a front",
            )
            bearing = None
        traffic = props.get("traffic")
        if kind == "public_traffic_route":
            if traffic is None:
                traffic = "heavy"
            elif traffic not in _TRAFFIC:
                problems.add(where, f"traffic: got {traffic!r}; allowed: heavy, light")
        elif traffic is not None:
            problems.add(
                where, f"traffic: given for {kind}; only public_traffic_route has traffic"
            )
            traffic = None
        flags = {}
        for b in _BOOL_PROPS:
            v = props.get(b, False)
            if not isinstance(v, bool):
                problems.add(where, f"{b}: got {v!r}; true or false is required")
            flags[b] = bool(v) if isinstance(v, bool) else False
        if flags["very_sensitive"] and k.holds_explosives != "yes":
            storage = ", ".join(n for n, kk in allkinds.items() if kk.holds_explosives == "yes")
            problems.add(where, f"very_sensitive: got true for {kind}; only storage sites can be very sensitive "
                                f"(the inter-magazine distances toward them are suspended, AASTP-1 §1.3.1.4): {storage}")
            flags["very_sensitive"] = False
        persons = props.get("persons", 0)
        if not _is_number(persons) or not math.isfinite(persons) or persons < 0:
            problems.add(where, f"persons: got {persons!r}; a finite number >= 0 is required")
            persons = 0
        stock = props.get("stock")
        entries: list[dict[str, Any]] = []
        if stock is not None:
            if not isinstance(stock, list) or not all(type(e) is dict or isinstance(e, Mapping) for e in stock):
                problems.add(where, "stock: must be a list of objects like "
                             '{"hd": "1.1", "cg": "D", "neq": "5 t"}')
            elif stock and k.holds_explosives == "no":
                problems.add(where, f"stock: given for {kind}, which holds no explosives")
            else:
                entries = [dict(e) for e in stock]
        name = props.get("name", sid)
        parsed.append(
            {
                "id": sid,
                "name": str(name) if name is not None else str(sid),
                "kind": kind,
                "geom": geom,
                "bearing": None if bearing is None else float(bearing),
                "traffic": traffic,
                "persons": float(persons),
                "flags": flags,
                "stock": entries,
                "props": dict(props),
            }
        )
    return crs_name, crs, geographic, crs_check, parsed


def _read_layout(
    source: str | Path | Mapping[str, Any], stock_csv: str | Path | None, max_mb: float | None,
    read_as: tuple[bytes, str] | None = None,
) -> Depot:
    # read_as: the hashed bytes and the name of the GIS file a document was read from
    raw, src_name = _read_bytes(source, max_mb) if read_as is None else read_as
    allkinds = kinds()
    fast = None  # the common case, checked in bulk (_fast_features)
    if isinstance(source, Mapping):
        doc: Any = source
        if _FAST_READ:
            fast = _try_fast(doc, allkinds)
    else:
        if not raw.strip():
            raise LayoutError("layout", src_name, "the file is empty; a GeoJSON "
                              "FeatureCollection is required")
        doc = _quick_parse(raw) if _FAST_READ else None
        if doc is not None:
            fast = _try_fast(doc, allkinds, own=True)
        if fast is None:  # json words the message of anything orjson does not take
            doc = parse_json(raw, "layout", src_name)
    problems = _Problems(src_name)
    if fast is not None:
        crs_name, crs, parsed = fast
    else:
        crs_name, crs, _geographic, _crs_check, parsed = _slow_features(doc, src_name, allkinds, problems)
    problems.raise_if_any()
    return _build_depot(parsed, crs_name, crs, raw, stock_csv, max_mb, problems)


class _Beside(threading.Thread):
    """A function run in a thread of its own; ``result()`` waits for it and gives its value (or raises
    what it raised)."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        super().__init__(daemon=True)
        self._fn, self._args = fn, args
        self._value: Any = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._fn(*self._args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> Any:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


def _project(
    parsed: Sequence[Mapping[str, Any]], crs: pyproj.CRS, crs_name: str, source: str
) -> tuple[list[str], str, pyproj.Transformer | None, pyproj.Transformer | None, list[BaseGeometry],
           list[float | None]]:
    """The CRS's area checked and the footprints and bearings projected to the depot's metres.

    Returns ``(problems, projection, to_wgs84, to_source, geoms, bearings)``; where ``problems``
    (the messages of `_Problems`, in order) is not empty, the rest is not computed.  Reads only
    the features' ids, kinds, geometries and bearings.
    """
    geographic = crs.is_geographic
    problems = _Problems(source)
    pyproj = _pyproj()
    geoms = [p["geom"] for p in parsed]
    coords, owner = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
    if geographic:
        lon, lat = coords[:, 0], coords[:, 1]
    else:
        crs_check = _CrsRange(crs, crs_name)
        # longitude/latitude as the area check transforms them (to WGS84, always_xy)
        lon, lat, bad = crs_check.lonlat_outside(coords[:, 0], coords[:, 1])
        if bad.any():
            for i in np.unique(owner[bad]):
                k = int(np.flatnonzero(bad & (owner == i))[0])
                problems.add(f"feature {parsed[int(i)]['id']!r}",
                             crs_check.message(float(coords[k, 0]), float(coords[k, 1])))
            return problems.items, "", None, None, [], []
    lon0, lat0 = _depot_centre(parsed, lon, lat, owner)
    projection = _tm_proj(lon0, lat0)
    tm = pyproj.CRS.from_proj4(projection)
    fwd = pyproj.Transformer.from_crs(crs, tm, always_xy=True)
    to_wgs84 = pyproj.Transformer.from_crs(tm, _WGS84_NAME, always_xy=True)
    to_source = pyproj.Transformer.from_crs(tm, crs, always_xy=True)
    geoms = _transform_geoms(geoms, fwd.transform)
    _check_extent(parsed, geoms, lon, lat, owner, lon0, lat0, problems)
    if problems.items:
        return problems.items, "", None, None, [], []
    return [], projection, to_wgs84, to_source, geoms, _grid_bearings(parsed, fwd, geographic)


def _build_depot(
    parsed: list[dict[str, Any]], crs_name: str, crs: pyproj.CRS | None, raw: bytes,
    stock_csv: str | Path | None, max_mb: float | None, problems: _Problems,
) -> Depot:
    """The Depot of features parsed without a problem (`_fast_features`, `_slow_features`,
    `_column_features`): the stock CSV joined, the CRS's area checked, the footprints projected
    to the depot's metres.  ``raw``: the bytes the input hash covers before the stock file's.

    With a CRS, the projection (`_project`: PROJ and shapely, mostly outside Python's lock) runs
    in a thread beside the reading of the stock file and the making of the Sites (Python), which
    get their footprints and bearings when it is done; the problems are raised in the same order
    as one after the other: the stock file's first."""
    beside = None if crs is None else _Beside(_project, parsed, crs, crs_name, problems.source)
    stock_raw = b""
    try:
        if stock_csv is not None:
            by_id = {p["id"]: p["kind"] for p in parsed}
            csv_stock, stock_raw = _read_stock_csv(stock_csv, by_id, problems, max_mb)
            for p in parsed:
                extra = csv_stock.get(p["id"])
                if extra:
                    if p["stock"]:
                        problems.add(
                            f"feature {p['id']!r}",
                            "stock given both inline and in the stock file; give it in one place",
                        )
                    p["stock"] = extra
            problems.raise_if_any()
        if beside is None:  # local metres: used as they are
            sites = _new_sites(parsed, [p["geom"] for p in parsed], [p["bearing"] for p in parsed])
        else:
            sites = _new_sites(parsed, [None] * len(parsed), [None] * len(parsed))
    except BaseException:
        if beside is not None:
            beside.join()  # nothing left running
        raise
    digest = hashlib.sha256(raw)  # the bytes of the layout, then those of the stock file
    digest.update(stock_raw)
    sha = digest.hexdigest()
    index = {s.id: i for i, s in enumerate(sites)}
    to_wgs84 = to_source = None
    projection = ""
    if beside is not None:
        items, projection, to_wgs84, to_source, geoms, bearings = beside.result()
        problems.items.extend(items)
        problems.raise_if_any()
        for site, g, b in zip(sites, geoms, bearings, strict=True):
            attrs = site.__dict__  # made here, not yet seen by anyone (_new_sites)
            attrs["geometry"] = g
            attrs["front_bearing_deg"] = b
    return Depot(
        sites=tuple(sites),
        crs_name=crs_name,
        projection=projection,
        input_sha256=sha,
        _to_wgs84=to_wgs84,
        _to_source=to_source,
        _index=index,
    )


# --------------------------------------------------------------------------- writing


def layout_to_geojson(depot: Depot) -> dict[str, Any]:
    """Write a depot back as a GeoJSON FeatureCollection.

    Coordinates are WGS84 longitude/latitude (RFC 7946, no ``crs`` member),
    or local metres with the local-metres ``crs`` member for local layouts.
    Front bearings are written from true north (local layouts: grid north).
    Stock entries read from a CSV are written inline.
    """
    geoms = [s.geometry for s in depot.sites]
    bearings: list[float | None] = [s.front_bearing_deg for s in depot.sites]
    if not depot.is_local:
        assert depot._to_wgs84 is not None
        geod = _pyproj().Geod(ellps="WGS84")
        out_b: list[float | None] = []
        for s, b in zip(depot.sites, bearings, strict=True):
            if b is None:
                out_b.append(None)
                continue
            c = s.geometry.centroid
            br = math.radians(b)
            (la, lb), (pa, pb) = depot._to_wgs84.transform(
                [c.x, c.x + _BEARING_STEP_M * math.sin(br)],
                [c.y, c.y + _BEARING_STEP_M * math.cos(br)],
            )
            az, _, _ = geod.inv(la, pa, lb, pb)
            out_b.append(az % 360.0)
        bearings = out_b
        geoms = _transform_geoms(geoms, depot._to_wgs84.transform)
    features = []
    for s, g, b in zip(depot.sites, geoms, bearings, strict=True):
        props = dict(s.properties)
        props["id"] = s.id
        if b is not None:
            props["front_bearing_deg"] = float(b) if b < 360.0 else 0.0
        if s.stock_entries:
            props["stock"] = [
                {k: v for k, v in e.items() if k != "source"} for e in s.stock_entries
            ]
        features.append(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(g)}
        )
    fc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if depot.is_local:
        fc["crs"] = {"type": "name", "properties": {"name": LOCAL_METRES}}
    return json.loads(json.dumps(fc))  # plain lists, not tuples


# --------------------------------------------------------------------------- site plans


def rectangle_coords(
    cx_m: Any, cy_m: Any, length_m: Any, width_m: Any, bearing_deg: Any
) -> np.ndarray:
    """Corners of rectangular footprints, vectorised.

    The length runs along the door normal (the bearing), the width across it;
    the front face (the door) is the short side at +length/2 along the bearing.

    Parameters
    ----------
    cx_m, cy_m : array_like
        Centres, x east and y north [m].
    length_m, width_m : array_like
        Extent along and across the bearing [m].
    bearing_deg : array_like
        Bearing of the door's outward normal, clockwise from grid north [deg].

    Returns
    -------
    ndarray, shape (n, 5, 2)
        Closed rings, counter-clockwise, starting at the front-left corner.
    """
    cx, cy, ln, wd, b = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in
          (cx_m, cy_m, length_m, width_m, bearing_deg))
    )
    br = np.radians(b)
    ux, uy = np.sin(br), np.cos(br)  # along the door normal
    vx, vy = uy, -ux  # to the right of it
    hu, hv = 0.5 * ln, 0.5 * wd
    # (u, v) of the ring corners: front-left, rear-left, rear-right, front-right
    cu = np.array([1.0, -1.0, -1.0, 1.0, 1.0])
    cv = np.array([-1.0, -1.0, 1.0, 1.0, -1.0])
    x = cx[:, None] + (cu[None, :] * hu[:, None]) * ux[:, None] + (cv[None, :] * hv[:, None]) * vx[:, None]
    y = cy[:, None] + (cu[None, :] * hu[:, None]) * uy[:, None] + (cv[None, :] * hv[:, None]) * vy[:, None]
    return np.stack([x, y], axis=-1)


def buildings_from_table(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rectangular building features from a site-plan table.

    Each row has ``id``, ``kind``, a centre (``x_m``, ``y_m`` in local metres,
    or ``lon``, ``lat`` in WGS84 degrees), ``length_m``, ``width_m`` and
    ``bearing_deg``.  The footprint is a rectangle whose **length runs along
    the door normal** (for an igloo the door is on a short end) and whose front
    face (the door) points along ``bearing_deg`` (clockwise from north).
    Earth-covered kinds get ``front_bearing_deg`` = ``bearing_deg``.  Other
    keys of the row (``name``, ``stock``, ``door_barricade``...) are copied to
    the properties.

    Rows with lon/lat are laid out in a transverse Mercator projection centred
    on each building and returned in lon/lat; rows with x_m/y_m are returned in
    local metres (wrap them in a FeatureCollection with the local-metres
    ``crs`` member).  All rows must use the same kind of centre.

    Returns
    -------
    list of dict
        GeoJSON Features.
    """
    feats = []
    modes = set()
    allkinds = kinds()
    for n, row in enumerate(rows):
        where = f"row {n} ({row.get('id', '?')!r})"
        kind = row.get("kind")
        if kind not in allkinds:
            raise InputError(f"{where} kind", kind, "allowed: " + ", ".join(allkinds))
        vals = {}
        for key in ("length_m", "width_m", "bearing_deg"):
            v: Any = row.get(key)
            if not _is_number(v) or not math.isfinite(v):
                raise InputError(f"{where} {key}", v, "a finite number is required")
            vals[key] = float(v)
        if vals["length_m"] <= 0 or vals["width_m"] <= 0:
            raise InputError(
                f"{where} length_m/width_m", (vals["length_m"], vals["width_m"]),
                "both must be > 0 m",
            )
        a: Any
        b: Any
        if "x_m" in row or "y_m" in row:
            mode, a, b = "local", row.get("x_m"), row.get("y_m")
        else:
            mode, a, b = "lonlat", row.get("lon"), row.get("lat")
        if not (_is_number(a) and _is_number(b) and math.isfinite(a) and math.isfinite(b)):
            raise InputError(f"{where} centre", (a, b),
                             "x_m and y_m [m], or lon and lat [deg], finite numbers")
        modes.add(mode)
        if len(modes) > 1:
            raise InputError(f"{where} centre", mode,
                             "all rows must give x_m/y_m, or all lon/lat, not a mix")
        bearing = vals["bearing_deg"] % 360.0
        if mode == "local":
            ring = rectangle_coords(a, b, vals["length_m"], vals["width_m"], bearing)[0]
        else:
            if not (-180 <= a <= 180 and -90 <= b <= 90):
                raise InputError(f"{where} lon/lat", (a, b),
                                 "longitude in [-180, 180], latitude in [-90, 90]")
            local = rectangle_coords(0.0, 0.0, vals["length_m"], vals["width_m"], bearing)[0]
            pyproj = _pyproj()
            tr = pyproj.Transformer.from_crs(
                pyproj.CRS.from_proj4(_tm_proj(a, b)), _WGS84_NAME, always_xy=True
            )
            lo, la = tr.transform(local[:, 0], local[:, 1])
            ring = np.column_stack([lo, la])
            ring[-1] = ring[0]
        props = {k: v for k, v in row.items()
                 if k not in ("x_m", "y_m", "lon", "lat", "length_m", "width_m", "bearing_deg")}
        if allkinds[kind].earth_covered:
            props["front_bearing_deg"] = bearing
        feats.append({
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [ring.tolist()]},
        })
    return feats


# --------------------------------------------------------------------------- kernel inputs


@dataclass(frozen=True)
class FootprintArrays:
    """Footprints as boundary segments in flat arrays (kernels/geometry.py).

    Attributes
    ----------
    seg_start : int64 array, n_sites + 1
        Segments of site i are ``seg_start[i] .. seg_start[i + 1] - 1``.
    x0, y0, x1, y1 : float64 arrays
        Segment end points [m].
    part_first : uint8 array
        1 on the first segment of each ring or line part.
    is_polygon : uint8 array, n_sites
        1 for polygon footprints.
    """

    seg_start: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    part_first: np.ndarray
    is_polygon: np.ndarray

    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return int(self.seg_start.shape[0] - 1)

    def args(self) -> tuple[np.ndarray, ...]:
        """The arrays in kernel argument order (seg_start ... is_polygon)."""
        return (self.seg_start, self.x0, self.y0, self.x1, self.y1,
                self.part_first, self.is_polygon)


def footprint_arrays(geoms: Sequence[BaseGeometry] | np.ndarray) -> FootprintArrays:
    """Boundary segments of Polygon, LineString and MultiLineString footprints.

    Vectorised with shapely 2 (rings of polygons in order exterior, holes;
    parts of multi-lines in order).  Coordinates in local metres [m].
    """
    arr = np.asarray(geoms, dtype=object)
    n = arr.shape[0]
    tid = shapely.get_type_id(arr)
    poly = tid == shapely.GeometryType.POLYGON
    ok = poly | (tid == shapely.GeometryType.LINESTRING) | (
        tid == shapely.GeometryType.MULTILINESTRING)
    if not np.all(ok):
        bad = int(np.flatnonzero(~ok)[0])
        raise InputError(f"geometry[{bad}]", shapely.get_type_id(arr[bad]),
                         "Polygon, LineString or MultiLineString footprints only")
    idx = np.arange(n)
    rings, ridx = shapely.get_rings(arr[poly], return_index=True)
    parts, lidx = shapely.get_parts(arr[~poly], return_index=True)
    comps = np.concatenate([rings, parts])
    owner = np.concatenate([idx[poly][ridx], idx[~poly][lidx]])
    order = np.argsort(owner, kind="stable")
    comps, owner = comps[order], owner[order]
    coords, cidx = shapely.get_coordinates(comps, return_index=True)
    same = cidx[:-1] == cidx[1:]
    k = np.flatnonzero(same)
    first = np.ones(k.shape[0], dtype=np.uint8)
    first[1:] = (cidx[k[1:]] != cidx[k[:-1]]).astype(np.uint8)
    seg_owner = owner[cidx[k]]
    seg_start = np.searchsorted(seg_owner, np.arange(n + 1), side="left").astype(np.int64)
    if np.any(np.diff(seg_start) == 0):
        bad = int(np.flatnonzero(np.diff(seg_start) == 0)[0])
        raise InputError(f"geometry[{bad}]", "empty", "a footprint with at least one segment")
    c = np.ascontiguousarray
    return FootprintArrays(
        seg_start=seg_start,
        x0=c(coords[k, 0], dtype=np.float64),
        y0=c(coords[k, 1], dtype=np.float64),
        x1=c(coords[k + 1, 0], dtype=np.float64),
        y1=c(coords[k + 1, 1], dtype=np.float64),
        part_first=first,
        is_polygon=poly.astype(np.uint8),
    )


def _index_array(values: Any, n: int, field: str) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
        raise InputError(field, values, "a 1-D array of site indices (integers)")
    a = np.require(a, dtype=np.int64, requirements=["C", "W"])
    if a.size and (a.min() < 0 or a.max() >= n):
        raise InputError(field, int(a.min() if a.min() < 0 else a.max()),
                         f"site indices in [0, {n - 1}]")
    return a


def default_cell_m(fp: FootprintArrays, pes: np.ndarray, radius_m: np.ndarray) -> float:
    """Grid cell edge for `pairs_within_radius` [m].

    About one site per cell on average, but no smaller than a quarter of the
    median search radius (a query then visits at most ~81 cells), and never
    more cells than 4 n + 16.
    """
    from depotsafe.kernels.geometry import site_bounds

    n = fp.n_sites
    bx0, by0, bx1, by1 = site_bounds(fp.seg_start, fp.x0, fp.y0, fp.x1, fp.y1)
    w = float(bx1.max() - bx0.min())
    h = float(by1.max() - by0.min())
    cell = math.sqrt(max(w * h, 1.0) / max(n, 1))
    if pes.size:
        cell = max(cell, 0.25 * float(np.median(radius_m[pes])))
    cell = max(cell, 1e-3 * max(w, h, 1.0))
    while (w / cell + 1) * (h / cell + 1) > 4 * n + 16:
        cell *= 1.5
    return cell


MAX_GRID_CELLS = 1_000_000
"""Cap on the grid cells (beyond 4 per site) a caller-chosen cell_m may create."""

PARALLEL_MIN_PES = 2000
"""Below this many PES the candidate search runs in one thread (the parallel
start-up costs more than it saves)."""


def pairs_within_radius(
    fp: FootprintArrays, pes: Any, radius_m: Any, cell_m: float | None = None,
    parallel: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PES-other site pairs whose exact footprint distance is <= the PES's radius.

    Parameters
    ----------
    fp : FootprintArrays
    pes : array of int
        Sites acting as PES.
    radius_m : array of float, one per site
        Search radius of each site as PES [m]: an upper bound on any distance
        a rule could require from it.  Finite and >= 0 for every PES.
    cell_m : float, optional
        Grid cell edge [m]; `default_cell_m` when not given.
    parallel : bool, optional
        Use the parallel kernel; by default when there are at least
        `PARALLEL_MIN_PES` PES.  Both give the same result.

    Returns
    -------
    pi, pj, distance_m : arrays
        Pairs sorted by (order in ``pes``, j); exact distances [m].
    """
    from depotsafe.kernels import geometry as kg

    n = fp.n_sites
    pes_a = _index_array(pes, n, "pes")
    r = np.require(radius_m, dtype=np.float64, requirements=["C", "W"])
    if r.shape != (n,):
        raise InputError("radius_m", f"shape {r.shape}", f"one radius per site ({n})")
    rp = r[pes_a]
    if rp.size and not (np.all(np.isfinite(rp)) and rp.min() >= 0):
        raise InputError("radius_m", float(rp[~(np.isfinite(rp) & (rp >= 0))][0]),
                         "finite and >= 0 m for every PES")
    if cell_m is None:
        cell_m = default_cell_m(fp, pes_a, r)
    elif not (math.isfinite(cell_m) and cell_m > 0):
        raise InputError("cell_m", cell_m, "a finite number > 0 m")
    else:
        from depotsafe.kernels.geometry import site_bounds

        bx0, by0, bx1, by1 = site_bounds(*fp.args()[:5])
        ncell = ((float(bx1.max() - bx0.min()) / cell_m + 1)
                 * (float(by1.max() - by0.min()) / cell_m + 1))
        if ncell > MAX_GRID_CELLS + 4 * n:
            raise InputError("cell_m", cell_m,
                             f"too small for this layout: {ncell:.3g} grid cells, at most "
                             f"{MAX_GRID_CELLS + 4 * n} allowed")
    if parallel is None:
        parallel = pes_a.size >= PARALLEL_MIN_PES
    kernel = kg.pairs_within_radius if parallel else kg.pairs_within_radius_serial
    return kernel(pes_a, r, *fp.args(), float(cell_m))


def _bearings(fp: FootprintArrays, bearing_deg: Any, who: np.ndarray, field: str) -> np.ndarray:
    b = np.require(bearing_deg, dtype=np.float64, requirements=["C", "W"])
    if b.shape != (fp.n_sites,):
        raise InputError(field, f"shape {b.shape}", f"one bearing per site ({fp.n_sites})")
    bw = b[who]
    if bw.size and not (np.all(np.isfinite(bw)) and bw.min() >= 0 and bw.max() < 360):
        raise InputError(field, "a site without a front bearing",
                         "a finite front bearing in [0, 360) deg for every earth-covered site used")
    return b


SECTOR_TOL_M = 1e-6
"""Sectors are closed and grown by this much [m]: a site on a sector line
touches both sectors and so takes the larger distance."""


def sector_masks(
    fp: FootprintArrays, pes: Any, es: Any, bearing_deg: Any,
    front_half_angle_deg: Any = 60.0, rear_half_angle_deg: float = 45.0,
) -> np.ndarray:
    """Sectors (1 front, 2 side, 4 rear) of earth-covered PES that each ES touches.

    Half angles are arguments: the check passes those of data/ecm_sectors.csv
    (AASTP-1 Annex I-A Notes 1 and 2, decision 13); the defaults are Note 1's text.
    ``bearing_deg`` holds one bearing per site (NaN where not applicable; only
    the PES entries are read).  See kernels.geometry.sector_masks.
    """
    from depotsafe.kernels.geometry import sector_masks as kernel

    p = _index_array(pes, fp.n_sites, "pes")
    e = _index_array(es, fp.n_sites, "es")
    if p.shape != e.shape:
        raise InputError("es", f"{e.shape[0]} sites", f"as many as pes ({p.shape[0]})")
    b = _bearings(fp, bearing_deg, p, "bearing_deg")
    # a writable copy: a read-only view would compile a second signature
    fa = np.array(np.broadcast_to(np.asarray(front_half_angle_deg, dtype=np.float64), p.shape))
    if fa.size and not (np.all(np.isfinite(fa)) and fa.min() > 0 and fa.max() < 90):
        raise InputError("front_half_angle_deg", front_half_angle_deg, "in (0, 90) deg")
    if not (0 < rear_half_angle_deg < 90):
        raise InputError("rear_half_angle_deg", rear_half_angle_deg, "in (0, 90) deg")
    return kernel(p, e, *fp.args()[:5], b, fa, float(rear_half_angle_deg), SECTOR_TOL_M)


def face_towards(
    fp: FootprintArrays, es: Any, pes: Any, bearing_deg: Any,
    front_half_angle_deg: Any = 60.0, rear_half_angle_deg: float = 45.0,
) -> np.ndarray:
    """The face(s) an earth-covered ES turns towards each PES (1 front, 2 side, 4 rear).

    The sectors of the ES in which the PES footprint lies: `sector_masks` with
    the roles swapped.
    """
    return sector_masks(fp, es, pes, bearing_deg, front_half_angle_deg, rear_half_angle_deg)


def propellant_cone_hits(
    fp: FootprintArrays, pes: Any, es: Any, bearing_deg: Any, half_angle_deg: float = 30.0
) -> np.ndarray:
    """Whether each ES meets the HD 1.3 propellant hazard sector of its PES.

    +-30 deg from the door normal, apex at the centre of the door (AASTP-1
    section 1.3.6.6a, standards.md section 9 decision 13).  Boolean array.
    """
    from depotsafe.kernels.geometry import cone_hits

    p = _index_array(pes, fp.n_sites, "pes")
    e = _index_array(es, fp.n_sites, "es")
    if p.shape != e.shape:
        raise InputError("es", f"{e.shape[0]} sites", f"as many as pes ({p.shape[0]})")
    b = _bearings(fp, bearing_deg, p, "bearing_deg")
    if not (0 < half_angle_deg < 90):
        raise InputError("half_angle_deg", half_angle_deg, "in (0, 90) deg")
    return cone_hits(p, e, *fp.args()[:5], b, float(half_angle_deg), SECTOR_TOL_M).astype(bool)


def depot_arrays(depot: Depot) -> tuple[FootprintArrays, np.ndarray]:
    """Footprint arrays of a depot and its bearings (NaN where not earth-covered) [deg]."""
    fp = footprint_arrays([s.geometry for s in depot.sites])
    b = np.array([np.nan if s.front_bearing_deg is None else s.front_bearing_deg
                  for s in depot.sites], dtype=np.float64)
    return fp, b
