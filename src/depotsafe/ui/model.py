"""What the app's pages do with a depot, without streamlit.

The app keeps a depot as two parts the user can edit: the layout (a GeoJSON
FeatureCollection without stock) and the stock (rows of the stock-CSV
columns).  :func:`build_depot` joins them and hands them to
``depotsafe.layout.read_layout``, which validates everything.  Nothing here
computes a rule or a distance; the engine does.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path, PurePath
from typing import Any

from depotsafe.errors import DepotsafeError, InputError, LayoutError

# One limit and one unit, defined once in depotsafe.layout for the app and the command line.
from depotsafe.layout import BYTES_PER_MB, MAX_UPLOAD_MB

#: Largest upload the app accepts [bytes]: MAX_UPLOAD_MB MB of 1,000,000
#: bytes.  A depot layout of 10,000 sites is a few MB; anything far larger is
#: not a layout.  The uploader widgets say the same limit (max_upload_size).
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * BYTES_PER_MB

#: Longest quantity text handed to the unit parser [characters]: the strict
#: grammar of depotsafe.units accepts no longer text.
MAX_QUANTITY_CHARS = 64

# Operators that no quantity of the grammar contains and that made the old
# expression-evaluating parser compute for minutes ("9**9**9 kg").
_EXPRESSION = re.compile(r"\*\*|\^")

#: Columns of the stock table (the stock CSV of DESIGN.md).
STOCK_COLUMNS = ("site_id", "item", "hd", "cg", "quantity", "unit_neq", "form")

#: Columns of the site-plan table.
SITEPLAN_COLUMNS = (
    "id", "name", "kind", "x_m", "y_m", "lon", "lat",
    "length_m", "width_m", "orientation_deg", "door_bearing_deg", "persons",
)

SAMPLE_LAYOUT = ("samples", "sample_depot.geojson")
SAMPLE_STOCK = ("samples", "sample_depot_stock.csv")


def _data_file(parts: Sequence[str]) -> Any:
    return files("depotsafe.data").joinpath(*parts)


def sample_available() -> bool:
    """True when the bundled sample depot is installed."""
    try:
        return bool(_data_file(SAMPLE_LAYOUT).is_file())
    except ModuleNotFoundError:  # pragma: no cover
        return False


def sample_layout_bytes() -> bytes:
    """The bundled sample depot (GeoJSON, with inline stock)."""
    return bytes(_data_file(SAMPLE_LAYOUT).read_bytes())


def sample_stock_bytes() -> bytes:
    """The bundled sample stock CSV."""
    return bytes(_data_file(SAMPLE_STOCK).read_bytes())


def check_size(data: bytes, field: str) -> None:
    """Refuse an upload larger than :data:`MAX_UPLOAD_BYTES`."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            field,
            f"{len(data) / BYTES_PER_MB:,.1f} MB",
            f"at most {MAX_UPLOAD_BYTES / BYTES_PER_MB:g} MB (1 MB = 1,000,000 bytes; "
            "a depot layout is a few MB at most)",
        )


def guard_quantity(text: Any, field: str) -> None:
    """Refuse quantity text before any parser reads it when the strict
    grammar of depotsafe.units could never accept it: longer than
    MAX_QUANTITY_CHARS, or holding a power operator.  What passes is read by
    depotsafe's own parser; this only keeps an upload from making the server
    compute (a bounded-time check, whatever parser is installed)."""
    if not isinstance(text, str):
        return
    if len(text) > MAX_QUANTITY_CHARS:
        raise InputError(
            field,
            f"{text[:MAX_QUANTITY_CHARS]}... ({len(text):,} characters)",
            f"at most {MAX_QUANTITY_CHARS} characters: one number followed by one unit, e.g. '5 t'",
        )
    if _EXPRESSION.search(text):
        raise InputError(
            field,
            text,
            "expressions are not accepted: write one number followed by one unit, e.g. '5 t'",
        )


def _text_number(value: Any) -> float | None:
    """A plain number given as a number or as text without a unit, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _plain_kg(value: Any) -> float | None:
    """The number of a text "<number> kg" (so that plain kilograms skip the unit parser)."""
    text = str(value).strip()
    if not text.endswith(" kg"):
        return None
    return _text_number(text[:-3])


def entries_to_rows(site_id: str, entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stock entries of one site (layout format) as stock-table rows."""
    rows = []
    for e in entries:
        if "neq" in e:
            quantity = str(e["neq"])
        else:
            quantity = f"{float(e['neq_kg']):g} kg" if "neq_kg" in e else ""
        if "unit_neq" in e:
            unit = str(e["unit_neq"])
        elif e.get("unit_neq_kg") is not None:
            unit = f"{float(e['unit_neq_kg']):g} kg"
        else:
            unit = ""
        rows.append({
            "site_id": site_id,
            "item": str(e.get("item") or ""),
            "hd": str(e.get("hd") or ""),
            "cg": str(e.get("cg") or ""),
            "quantity": quantity,
            "unit_neq": unit,
            "form": str(e.get("form") or ""),
        })
    return rows


def row_to_entry(row: Mapping[str, Any], where: str) -> dict[str, Any]:
    """One stock-table row as a stock entry of the layout format."""
    entry: dict[str, Any] = {"hd": str(row.get("hd") or "").strip(), "cg": str(row.get("cg") or "").strip()}
    quantity = row.get("quantity")
    guard_quantity(quantity, f"{where} quantity")
    guard_quantity(row.get("unit_neq"), f"{where} unit NEQ")
    if _blank(quantity):
        raise InputError(f"{where} quantity", quantity, "a mass with its unit, e.g. '5 t' or '200 kg'")
    if _text_number(quantity) is not None:
        raise InputError(
            f"{where} quantity", quantity, f"a mass with its unit, e.g. '{quantity} kg' or '{quantity} t'"
        )
    kg = _plain_kg(quantity)
    if kg is not None:
        entry["neq_kg"] = kg
    else:
        entry["neq"] = str(quantity).strip()
    unit = row.get("unit_neq")
    if not _blank(unit):
        number = _text_number(unit)
        if number is not None:
            raise InputError(f"{where} unit NEQ", unit, f"a mass with its unit, e.g. '{unit} kg'")
        kg = _plain_kg(unit)
        if kg is not None:
            entry["unit_neq_kg"] = kg
        else:
            entry["unit_neq"] = str(unit).strip()
    for key in ("item", "form"):
        value = row.get(key)
        if not _blank(value):
            entry[key] = str(value).strip()
    return entry


def split_stock(fc: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A FeatureCollection without its inline stock, and that stock as rows."""
    doc = json.loads(json.dumps(fc))
    rows: list[dict[str, Any]] = []
    for feat in doc.get("features", []):
        props = feat.get("properties") or {}
        stock = props.pop("stock", None)
        if stock:
            rows.extend(entries_to_rows(str(props.get("id", "")), stock))
    return doc, rows


def merge_stock(fc: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The layout with the stock rows written inline into their features.

    Raises InputError for a row whose site id is not in the layout.
    """
    doc = json.loads(json.dumps(fc))
    by_id = {}
    for feat in doc.get("features", []):
        props = feat.setdefault("properties", {}) or {}
        props.pop("stock", None)
        if "id" in props:
            by_id[str(props["id"])] = props
    for n, row in enumerate(rows, start=1):
        if all(_blank(row.get(c)) for c in STOCK_COLUMNS):
            continue  # an empty row the table editor added
        sid = str(row.get("site_id") or "").strip()
        where = f"stock row {n}"
        if sid not in by_id:
            some = ", ".join(list(by_id)[:12])
            raise InputError(f"{where} site_id", sid, f"a site of the layout ({some}...)")
        by_id[sid].setdefault("stock", []).append(row_to_entry(row, where))
    return doc


def _renamed(exc: DepotsafeError, names: Mapping[str, str]) -> DepotsafeError:
    """``exc`` with the server's temporary paths replaced by the user's file names."""
    def fix(text: Any) -> Any:
        if isinstance(text, PurePath):
            text = str(text)
        if not isinstance(text, str):
            return text
        for tmp, user in names.items():
            text = text.replace(tmp, user)
        return text

    if isinstance(exc, InputError):
        new: DepotsafeError = type(exc)(fix(exc.field), fix(exc.value), fix(exc.allowed))
    else:
        new = type(exc)(fix(str(exc)))
    return new


def _screen_stock_csv(data: bytes, name: str) -> None:
    """Quantity cells of a stock CSV through :func:`guard_quantity`, and a
    CSV the reader cannot split refused by name, before the engine reads it."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        cols = [k for k, h in enumerate(header) if h in ("quantity", "unit_neq")]
        for row in reader:
            for k in cols:
                if k < len(row):
                    guard_quantity(row[k], f"stock file {name} line {reader.line_num} {header[k]}")
    except csv.Error as exc:
        raise LayoutError(
            f"stock file {name}", f"line {reader.line_num}",
            f"not a CSV the reader can split ({exc}); a field holds at most "
            f"{csv.field_size_limit():,} characters",
        ) from None


def validate_stock(depot: Any) -> None:
    """Read every stock line of every site with depotsafe's own parsers now,
    not when a page first draws it: quantities (bounded by
    :func:`guard_quantity`), codes, and the mix of each site (HD 1.6 without
    the NEQ of one munition).  Raises LayoutError listing the problems (at
    most 20)."""
    from depotsafe.explosives import mix_divisions

    problems: list[str] = []
    for site in depot.sites:
        if not site.stock_entries:
            continue
        try:
            for i, e in enumerate(site.stock_entries):
                for key in ("neq", "unit_neq"):
                    guard_quantity(e.get(key), f"{site.id}.stock[{i}].{key}")
            mix_divisions(site_stock_lines(site))
        except InputError as exc:
            problems.append(str(exc))
            if len(problems) == 20:
                problems.append("... (further sites not read)")
                break
    if problems:
        raise LayoutError(
            "stock", f"{len(problems)} problem(s)", "\n  " + "\n  ".join(problems)
        )


#: Files a zipped Shapefile upload may hold (one Shapefile per geometry type: sites, routes).
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Most files in a zipped upload (a Shapefile is three to five files; a layout two Shapefiles at most).
MAX_ZIP_MEMBERS = 20


def _unzip_shapefiles(data: bytes, zip_name: str, folder: Path) -> list[Path]:
    """Extract the Shapefiles of an uploaded zip into ``folder``; the .shp paths (sorted).

    Refused with InputError naming the zip: anything but a zip, a member in a sub-folder or with a
    path, a file that is not part of a Shapefile, more than :data:`MAX_ZIP_MEMBERS` files, more than
    the upload limit once unpacked (a zip bomb), two members of one name, or no .shp at all.
    """
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError("layout file", zip_name, "a .zip archive holding a Shapefile (.shp, .shx, .dbf, .prj)"
                         ) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise InputError("layout file", zip_name, f"{len(members)} files; at most {MAX_ZIP_MEMBERS} "
                             "(the parts of one or two Shapefiles)")
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UPLOAD_BYTES:
            raise InputError("layout file", zip_name, f"{unpacked / BYTES_PER_MB:,.1f} MB unpacked; at most "
                             f"{MAX_UPLOAD_BYTES / BYTES_PER_MB:g} MB")
        seen: set[str] = set()
        for m in members:
            name = PurePath(m.filename.replace("\\", "/"))
            if len(name.parts) != 1 or name.name in ("", ".", ".."):
                raise InputError("layout file", zip_name, f"holds {m.filename!r}; the Shapefile's files must lie "
                                 "at the top of the zip, not in a folder")
            if name.suffix.lower() not in SHAPEFILE_PARTS:
                raise InputError("layout file", zip_name, f"holds {m.filename!r}; a zipped layout holds only the "
                                 f"files of Shapefiles ({', '.join(SHAPEFILE_PARTS)})")
            if name.name.lower() in seen:
                raise InputError("layout file", zip_name, f"holds {m.filename!r} twice")
            seen.add(name.name.lower())
        for m in members:
            with archive.open(m) as src:
                body = src.read(MAX_UPLOAD_BYTES + 1)
            if len(body) > m.file_size or len(body) > MAX_UPLOAD_BYTES:  # the header lied about its size
                raise InputError("layout file", zip_name, f"{m.filename!r} is larger than its zip entry says")
            (folder / m.filename).write_bytes(body)
    shps = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".shp")
    if not shps:
        raise InputError("layout file", zip_name, "holds no .shp file; zip the .shp with its .shx, .dbf and .prj")
    return shps


def is_dxf_name(name: str) -> bool:
    """Whether an uploaded file is a DXF drawing (by its suffix, as the command line decides)."""
    return PurePath(name).suffix.lower() == ".dxf"


def read_uploaded(layout: bytes, layout_name: str, stock: bytes | None = None,
                  stock_name: str = "stock.csv", mapping: bytes | None = None,
                  mapping_name: str = "mapping.json") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate an uploaded layout (and stock CSV, and mapping file) with the engine's reader.

    Returns the layout without stock and the stock rows.  Raises InputError
    (LayoutError) with the reader's message, naming the feature or row and
    the files by the names the user gave them (never the server's temporary
    paths).  Every stock line is read now (:func:`validate_stock`).

    A DXF drawing is read with its ``mapping`` file (depotsafe.mapping), as
    ``depotsafe check LAYOUT.dxf --mapping MAP`` reads it; without one it is
    refused: the drawing's units and georeference are declared there, never
    guessed.  A mapping with a GIS file names its other fields, as
    ``--mapping`` does; with a GeoJSON layout it is refused, as on the
    command line.
    """
    from depotsafe.gisio import is_gis_path, read_gis
    from depotsafe.layout import read_layout

    def file_name(name: str, default: str) -> str:  # the name as uploaded, never a path or "." / ".."
        base = Path(name).name
        return default if base in ("", ".", "..") else base

    lname = file_name(layout_name, "layout.geojson")
    sname = file_name(stock_name, "stock.csv")
    mname = file_name(mapping_name, "mapping.json")
    check_size(layout, f"layout file {lname}")
    if stock is not None:
        check_size(stock, f"stock file {sname}")
        _screen_stock_csv(stock, sname)
    if mapping is not None:
        check_size(mapping, f"mapping file {mname}")
    dxf = is_dxf_name(lname)
    if dxf and mapping is None:
        raise InputError("mapping file", None, f"{lname} is a DXF drawing: upload its mapping file too (JSON, "
                         "as depotsafe check --mapping reads): the drawing's units, its CRS and georeference "
                         "point, the layers of each kind of site and the layer of the id texts; never guessed "
                         "(docs/layout.md)")
    zipped = lname.lower().endswith(".zip")
    with tempfile.TemporaryDirectory(prefix="depotsafe-upload-") as tmp:
        (Path(tmp) / "layout").mkdir()
        layers: list[str] = []
        if zipped:  # a Shapefile (or a sites and a routes Shapefile) zipped: every one read as a layer
            shps = _unzip_shapefiles(layout, lname, Path(tmp) / "layout")
            lpath = shps[0]
            layers = [p.stem for p in shps] if len(shps) > 1 else []
            names = {str(Path(tmp) / "layout"): lname}
        else:
            lpath = Path(tmp) / "layout" / lname
            lpath.write_bytes(layout)
            names = {str(lpath): lname}
        def saved(folder: str, name: str, data: bytes | None) -> Path | None:
            """An uploaded file written as named into its own folder (messages give its name back)."""
            if data is None:
                return None
            (Path(tmp) / folder).mkdir()
            path = Path(tmp) / folder / name
            path.write_bytes(data)
            names[str(path)] = name
            return path

        spath = saved("stock", sname, stock)
        mpath = saved("mapping", mname, mapping)
        names[tmp] = "(upload)"
        try:
            depot = read_layout(lpath, stock_csv=spath, layers=layers, mapping=mpath)
            validate_stock(depot)
            # the layout document the file reads as (the engine has read and checked it above)
            if dxf:
                from depotsafe.dxfio import read_dxf
                from depotsafe.mapping import read_mapping

                doc = read_dxf(lpath, read_mapping(mpath, dxf=True))[0]
            elif is_gis_path(lpath):  # GeoPackage, Shapefile, FlatGeobuf, KML
                from depotsafe.mapping import read_mapping

                doc = read_gis(lpath, layers, None, None if mpath is None else read_mapping(mpath, dxf=False))[0]
        except DepotsafeError as exc:
            raise _renamed(exc, names) from None
    if not dxf and not is_gis_path(lpath):
        doc = json.loads(layout.decode("utf-8-sig"))
    plain, inline_rows = split_stock(doc)
    rows = inline_rows
    if stock is not None:
        rows = []
        for site in depot.sites:
            rows.extend(entries_to_rows(site.id, site.stock_entries))
    return plain, rows


def build_depot(fc: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> Any:
    """The Depot of a layout and its stock rows (the engine validates)."""
    from depotsafe.layout import read_layout

    depot = read_layout(merge_stock(fc, rows))
    validate_stock(depot)
    return depot


def depot_geojson(fc: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> str:
    """The layout with its stock inline, as GeoJSON text for download."""
    return json.dumps(merge_stock(fc, rows), indent=1)


# --------------------------------------------------------------------------- stock verdicts


def site_stock_lines(site: Any) -> list[Any]:
    """StockLines of one site (validated by depotsafe.explosives)."""
    from depotsafe.explosives import parse_stock_entry

    return [
        parse_stock_entry({k: v for k, v in e.items() if k != "source"}, f"{site.id}.stock[{i}]")
        for i, e in enumerate(site.stock_entries)
    ]


def compatibility_rows(depot: Any) -> list[dict[str, Any]]:
    """The compatibility verdict of the mix of every site holding stock."""
    from depotsafe.explosives import check_compatibility

    out = []
    for site in depot.sites:
        if not site.stock_entries:
            continue
        lines = site_stock_lines(site)
        res = check_compatibility(lines)
        out.append({
            "site": site.id,
            "kind": site.kind,
            "codes": ", ".join(ln.code for ln in lines),
            "neq_kg": sum(ln.neq_kg for ln in lines),
            "compatible": res.compatible,
            "status": res.status,  # "compatible", "conditional" or "incompatible" (decision 29)
            "conflicts": "; ".join(
                f"{c.first_code} + {c.second_code}: {c.reason}" for c in res.conflicts
            ),
            "conditions": "; ".join(res.conditions),
            "source": "; ".join(sorted({c.source for c in res.conflicts}))
            or "AASTP-1 (2006) Part I §1.2.3, Tables 5 and 6",
        })
    return out


# --------------------------------------------------------------------------- site plan


def siteplan_rows(depot: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Site-plan rows (rectangles) of a depot's polygon sites.

    Each footprint is described by its minimum rotated rectangle: centre,
    length (along the orientation), width and orientation; the door bearing
    is the site's front bearing.  Returns the rows and the ids of sites that
    are not polygons (routes), which the table cannot describe and which are
    kept as they are.
    """
    import shapely

    rows: list[dict[str, Any]] = []
    kept: list[str] = []
    for site in depot.sites:
        geom = site.geometry
        if geom.geom_type != "Polygon":
            kept.append(site.id)
            continue
        rect = shapely.minimum_rotated_rectangle(geom)
        xs, ys = rect.exterior.coords.xy
        e1 = (xs[1] - xs[0], ys[1] - ys[0])
        e2 = (xs[2] - xs[1], ys[2] - ys[1])
        l1, l2 = math.hypot(*e1), math.hypot(*e2)
        along, length, width = (e1, l1, l2) if l1 >= l2 else (e2, l2, l1)
        orient = math.degrees(math.atan2(along[0], along[1])) % 180.0
        door = site.front_bearing_deg
        if door is not None:
            # the long axis pointing towards the door side when the door is on an end
            back = (orient + 180.0) % 360.0
            if abs((door - back + 180.0) % 360.0 - 180.0) < abs((door - orient + 180.0) % 360.0 - 180.0):
                orient = back
        c = geom.centroid
        row: dict[str, Any] = {
            "id": site.id, "name": site.name, "kind": site.kind,
            "x_m": None, "y_m": None, "lon": None, "lat": None,
            "length_m": round(length, 3), "width_m": round(width, 3),
            "orientation_deg": round(orient, 3),
            "door_bearing_deg": None if door is None else round(door, 3) % 360.0,
            "persons": site.persons,
        }
        if depot.is_local:
            row["x_m"], row["y_m"] = round(c.x, 3), round(c.y, 3)
        else:
            lon, lat = depot.to_lonlat(c.x, c.y)
            row["lon"], row["lat"] = round(float(lon), 8), round(float(lat), 8)
        rows.append(row)
    return rows, kept


def layout_from_siteplan(
    rows: Iterable[Mapping[str, Any]], keep: Sequence[Mapping[str, Any]] = (), local: bool | None = None
) -> dict[str, Any]:
    """A FeatureCollection (no stock) from site-plan rows, plus features kept as they are.

    Parameters
    ----------
    rows : iterable of dict
        Columns of :data:`SITEPLAN_COLUMNS`; a row gives ``x_m``/``y_m``
        (local metres) or ``lon``/``lat`` (WGS84).  ``orientation_deg`` is
        the bearing of the length axis, ``door_bearing_deg`` the outward
        normal of the door face (defaults to the orientation).
    keep : sequence of GeoJSON features
        Features the table does not describe (routes), in the same
        coordinates as the rows.
    """
    from depotsafe.layout import LOCAL_METRES, buildings_from_table

    table: list[dict[str, Any]] = []
    doors: list[float | None] = []
    for n, row in enumerate(rows, start=1):
        if all(_blank(row.get(c)) for c in SITEPLAN_COLUMNS):
            continue
        out: dict[str, Any] = {}
        for key in ("id", "name", "kind"):
            if not _blank(row.get(key)):
                out[key] = str(row[key]).strip()
        if "id" not in out:
            raise InputError(f"site-plan row {n} id", row.get("id"), "a unique text id")
        for key in ("x_m", "y_m", "lon", "lat", "length_m", "width_m"):
            if not _blank(row.get(key)):
                out[key] = _text_number(row[key])
        orient = row.get("orientation_deg")
        out["bearing_deg"] = _text_number(orient) if not _blank(orient) else None
        door = row.get("door_bearing_deg")
        doors.append(None if _blank(door) else _text_number(door))
        persons = row.get("persons")
        if not _blank(persons):
            out["persons"] = _text_number(persons)
        if ("x_m" in out) != ("y_m" in out) or ("lon" in out) != ("lat" in out):
            raise InputError(f"site-plan row {n} centre", (row.get("x_m"), row.get("y_m"), row.get("lon"), row.get("lat")),
                             "both x_m and y_m [m], or both lon and lat [deg]")
        if "x_m" in out:
            out.pop("lon", None)
            out.pop("lat", None)
        table.append(out)
    if not table and not keep:
        raise InputError("site plan", "empty", "at least one building")
    feats = buildings_from_table(table) if table else []
    for feat, door in zip(feats, doors, strict=True):
        if door is not None:
            if not 0.0 <= door < 360.0:
                raise InputError(f"site {feat['properties']['id']!r} door_bearing_deg", door, "a bearing in [0, 360) degrees")
            from depotsafe.kinds import kinds

            if kinds()[feat["properties"]["kind"]].earth_covered:
                feat["properties"]["front_bearing_deg"] = door
    is_local = any("x_m" in t for t in table) if table else bool(local)
    fc: dict[str, Any] = {"type": "FeatureCollection", "features": [*feats, *keep]}
    if is_local:
        fc["crs"] = {"type": "name", "properties": {"name": LOCAL_METRES}}
    return fc


def kept_features(fc: Mapping[str, Any], ids: Iterable[str]) -> list[dict[str, Any]]:
    """The features of ``fc`` with these ids (for what the site plan keeps)."""
    wanted = set(ids)
    return [f for f in fc.get("features", []) if str((f.get("properties") or {}).get("id")) in wanted]


__all__ = [
    "BYTES_PER_MB",
    "MAX_QUANTITY_CHARS",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_MB",
    "SITEPLAN_COLUMNS",
    "STOCK_COLUMNS",
    "InputError",
    "LayoutError",
    "build_depot",
    "compatibility_rows",
    "depot_geojson",
    "entries_to_rows",
    "guard_quantity",
    "kept_features",
    "layout_from_siteplan",
    "merge_stock",
    "read_uploaded",
    "sample_available",
    "sample_layout_bytes",
    "sample_stock_bytes",
    "site_stock_lines",
    "siteplan_rows",
    "split_stock",
    "validate_stock",
]
