"""Outputs of the whole-depot check: JSON (streamed), CSV, QD arcs (GeoJSON, KML), a table.

Arcs are buffers of the PES footprint by the required distance, for drawing
only: every verdict comes from exact nearest-point distances, never from a
buffer (a buffer under-covers a circle by up to about 2 m).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import shapely
from shapely.geometry import mapping

from depotsafe.check import (
    CheckResult,
    _cases_of,
    aggregations_with_licences,
    compact_group_refs,
    group_licence,
)
from depotsafe.errors import InputError
from depotsafe.explosives import parse_stock_entry
from depotsafe.kinds import kinds
from depotsafe.qd import FACES, Relation, required_distance_m, resolve_rule

PAIR_COLUMNS = (
    "pes", "es", "hd", "pes_kind", "pes_face", "es_kind", "es_face", "rule", "rule_label",
    "required_distance_m", "distance_m", "compliant", "source", "near_miss", "group", "assessment_required",
    "protection", "protection_unavailable", "rounding",
)


def write_atomically(path: str | Path, write: Callable[[IO[str]], None]) -> None:
    """Write a file through a temporary file and rename: no partial file on error.

    One file of depotsafe.outputs.write_outputs (which writes several, all or none).
    """
    from depotsafe.outputs import write_outputs

    write_outputs([("file", str(path), write)])


_RECORD_JSON = json.JSONEncoder(allow_nan=False)
"""What ``json.dumps(record, allow_nan=False)`` writes, without a new encoder per record."""


class _RecordJSON:
    """``_RECORD_JSON.encode`` without its per-call set-up, for the many records of a large depot.

    ``JSONEncoder.encode`` builds a new C encoder (``c_make_encoder``) for every value it
    encodes; this one builds it once, with the same arguments (separators ``", "`` and
    ``": "``, ASCII escapes, no NaN), and keeps it while it succeeds: its table of
    containers being written (the circular-reference check) is empty after every value it
    wrote whole, and an encoder that raised is dropped.  Without the C encoder: the plain one.
    """

    def __init__(self) -> None:
        self.c_encoder: Any = None

    def __call__(self, value: Any) -> str:
        if type(value) is str:
            return json.encoder.encode_basestring_ascii(value)
        make = json.encoder.c_make_encoder
        if make is None:  # pragma: no cover - CPython always has it
            return _RECORD_JSON.encode(value)
        enc = self.c_encoder
        if enc is None:
            enc = self.c_encoder = make({}, _RECORD_JSON.default, json.encoder.encode_basestring_ascii, None,
                                        _RECORD_JSON.key_separator, _RECORD_JSON.item_separator,
                                        _RECORD_JSON.sort_keys, _RECORD_JSON.skipkeys, _RECORD_JSON.allow_nan)
        try:
            return "".join(enc(value, 0))
        except BaseException:
            self.c_encoder = None
            raise


_WHY_KEYS = ("es", "distance_m", "rule", "rule_label", "source", "table", "cells", "relation")


class _SiteEncoder:
    """Writes a site record exactly as ``_RECORD_JSON.encode`` does, faster.

    The rule texts of ``licence_limiting`` (rule, label, source, table cells, relation) are
    the same objects on every record limited by the same rule term (check._licence_why): they
    are encoded once and reused.  Anything not of that shape goes through the plain encoder.
    """

    def __init__(self, plain: _RecordJSON | None = None) -> None:
        self.static: dict[tuple[Any, ...], str] = {}
        self.keys: dict[str, str] = {}  # '"1.1": ' by hazard division
        self.plain = plain or _RecordJSON()

    def why(self, v: Any) -> str:
        if (type(v) is not dict or tuple(v) != _WHY_KEYS or type(v["distance_m"]) is not float
                or type(v["es"]) is not str):
            return self.plain(v)
        d = v["distance_m"]
        if not math.isfinite(d):
            return self.plain(v)  # raises, as the plain encoder does
        key = (id(v["cells"]), id(v["relation"]), v["rule"], v["rule_label"], v["source"], v["table"])
        tail = self.static.get(key)
        if tail is None:
            tail = self.static[key] = _RECORD_JSON.encode(
                {k: v[k] for k in _WHY_KEYS[2:]})[1:]  # '"rule": ..., "relation": {...}}'
        return ('{"es": ' + json.encoder.encode_basestring_ascii(v["es"]) + ', "distance_m": '
                + float.__repr__(d) + ", " + tail)

    def key(self, hd: str) -> str:
        text = self.keys.get(hd)
        if text is None:
            text = self.keys[hd] = json.encoder.encode_basestring_ascii(hd) + ": "
        return text

    def encode(self, site: dict[str, Any]) -> str:
        limiting = site.get("licence_limiting")
        if type(limiting) is not dict or not limiting or not all(type(hd) is str for hd in limiting):
            return self.plain(site)
        keys = list(site)
        at = keys.index("licence_limiting")
        before = {k: site[k] for k in keys[:at]}
        after = {k: site[k] for k in keys[at + 1:]}
        key, why = self.key, self.why
        mid = '"licence_limiting": {' + ", ".join(
            [key(hd) + ("null" if v is None else why(v)) for hd, v in limiting.items()]) + "}"
        head = self.plain(before)[:-1] + ", " if before else "{"
        tail = ", " + self.plain(after)[1:] if after else "}"
        return head + mid + tail


def write_json(result: CheckResult, f: IO[str]) -> None:
    """The DESIGN.md JSON object, streamed pair by pair (no whole answer in memory)."""
    plain = _RecordJSON()
    f.write("{\n  \"pairs\": [")
    first = True
    for pair in result.iter_pairs():
        f.write(("\n    " if first else ",\n    ") + plain(compact_group_refs(pair)))
        first = False
    f.write("\n  ],\n  \"sites\": [")
    first = True
    licences: dict[str, dict[str, Any]] = {}
    site_json = _SiteEncoder(plain).encode
    for site in result.sites:
        gid = site.get("group_id")
        if gid and gid not in licences:
            licences[gid] = group_licence(site)
        f.write(("\n    " if first else ",\n    ") + site_json(compact_group_refs(site)))
        first = False
    f.write("\n  ]")
    f.write(",\n  \"violations\": [")
    first = True
    for pair in result.iter_violations():
        f.write(("\n    " if first else ",\n    ") + plain(compact_group_refs(pair)))
        first = False
    f.write("\n  ],\n  \"aggregations\": " + json.dumps(aggregations_with_licences(result.aggregations, licences),
                                                       allow_nan=False))
    f.write(",\n  \"groups\": " + json.dumps(result.groups))
    f.write(",\n  \"summary\": " + json.dumps(result.summary()))
    f.write(",\n  \"notes\": " + json.dumps(result.notes))
    f.write(",\n  \"rounding\": " + json.dumps(result.rule_set.rounding))
    f.write(",\n  \"provenance\": " + json.dumps(result.provenance()) + "\n}\n")


def write_pairs_csv(result: CheckResult, f: IO[str]) -> None:
    """Every listed pair (violations and near misses) as one CSV row (columns PAIR_COLUMNS)."""
    w = csv.writer(f, lineterminator="\n")
    w.writerow(PAIR_COLUMNS)
    for p in map(compact_group_refs, result.iter_pairs()):
        rel = p["relation"]
        w.writerow([
            p["pes"], p["es"], p["hd"], rel.get("pes_kind"), rel.get("pes_face") or "", rel.get("es_kind"),
            rel.get("es_face") or "", p["rule"], p["rule_label"], f"{p['required_distance_m']:.3f}",
            f"{p['distance_m']:.3f}", "yes" if p["compliant"] else "no", p["source"],
            "yes" if p.get("near_miss") else "no",
            p["group"] if isinstance(p.get("group"), str) else "+".join(p.get("group", [])),
            "yes" if p.get("assessment_required") else "no",
            (p.get("protection") or {}).get("degree", ""),  # decision 31; empty off storage-to-storage cells
            "yes" if p.get("protection_unavailable") else "no",
            p.get("rounding", "formula"),  # decision 32
        ])


def pairs_csv(result: CheckResult) -> str:
    buf = io.StringIO()
    write_pairs_csv(result, buf)
    return buf.getvalue()


# ------------------------------------------------------------------ arcs


#: Segments per quarter circle of the drawn arcs (shapely ``quad_segs``).
ARC_QUAD_SEGS = 32


def arc_shortfall_m(radius_m: float, quad_segs: int = ARC_QUAD_SEGS) -> float:
    """How far a drawn arc of radius ``radius_m`` may fall inside the true curve [m].

    A buffer with ``quad_segs`` segments per quarter circle has its vertices on
    the true circle and chords spanning at most pi/(2 quad_segs): each chord's
    midpoint lies r(1 - cos(pi/(4 quad_segs))) inside it (3 cm per 100 m at
    32), and no point of the polygon lies outside the true buffer.
    """
    return radius_m * (1.0 - math.cos(math.pi / (4.0 * quad_segs)))


def _es_class(site: Any, kind_table: dict[str, Any]) -> tuple[Any, ...]:
    """The exposed-site attributes a rule reads (kind, traffic, sparse, evacuable, door barricade)."""
    k = kind_table[site.kind]
    return (
        site.kind,
        site.traffic if site.kind == "public_traffic_route" else None,
        bool(site.sparse) if k.holds_explosives == "no" else False,
        bool(site.evacuable) if k.holds_explosives == "no" else False,
        bool(site.door_barricade) if k.earth_covered else False,
    )


def _sector_angles(rs: Any, division: str) -> tuple[float, float]:
    """Front and rear half-angles [deg] of an earth-covered PES's sectors, as the check uses them."""
    from depotsafe.check import (
        FRONT_HALF_ANGLE_DEG,
        FRONT_HALF_ANGLE_HD12_DEG,
        REAR_HALF_ANGLE_DEG,
    )

    tables = [d.table for d in rs.division_tables if d.division == division]
    front = FRONT_HALF_ANGLE_HD12_DEG if tables == ["2"] else FRONT_HALF_ANGLE_DEG
    return front, REAR_HALF_ANGLE_DEG


def _frame(site: Any) -> tuple[float, float, float, float, float, float, float, float]:
    """Origin, bearing sine/cosine and extent of a footprint in its door frame (kernels/geometry.py).

    u runs along the door normal (sin b, cos b), v to its right (cos b, -sin b).
    """
    import numpy as np

    xy = np.asarray(shapely.get_coordinates(site.geometry), dtype=np.float64)
    ox, oy = float(xy[0, 0]), float(xy[0, 1])
    b = math.radians(float(site.front_bearing_deg))
    sb, cb = math.sin(b), math.cos(b)
    dx, dy = xy[:, 0] - ox, xy[:, 1] - oy
    u = dx * sb + dy * cb
    v = dx * cb - dy * sb
    return ox, oy, sb, cb, float(u.min()), float(u.max()), float(v.min()), float(v.max())


def _wedges(site: Any, front_deg: float, rear_deg: float, reach_m: float) -> tuple[Any, Any]:
    """Front and rear sectors of an earth-covered site (AASTP-1 Annex I-A Note 1), cut at ``reach_m``.

    Front: beyond the door face, between lines from its corners at ``front_deg``
    to the door normal, widening outward; rear likewise behind the rear face at
    ``rear_deg``.  Each is exact up to ``reach_m`` from the faces along the normal.
    """
    ox, oy, sb, cb, umin, umax, vmin, vmax = _frame(site)

    def xy(u: float, v: float) -> tuple[float, float]:
        return ox + u * sb + v * cb, oy + u * cb - v * sb

    tf, tr = math.tan(math.radians(front_deg)), math.tan(math.radians(rear_deg))
    front = shapely.Polygon([xy(umax, vmin), xy(umax, vmax), xy(umax + reach_m, vmax + reach_m * tf),
                             xy(umax + reach_m, vmin - reach_m * tf)])
    rear = shapely.Polygon([xy(umin, vmin), xy(umin - reach_m, vmin - reach_m * tr),
                            xy(umin - reach_m, vmax + reach_m * tr), xy(umin, vmax)])
    return front, rear


#: Parts of a footprint union above which it is grown in steps (see _grow).
_GROW_IN_STEPS_PARTS = 8


def _grow(geom: Any, r: float, quad_segs: int) -> Any:
    """``geom`` grown by r: one buffer, or for many parts a few growing steps.

    Buffering thousands of separate footprints by a large r unions thousands
    of heavily overlapping disks (minutes and gigabytes for a yard of 2,500
    stacks).  Growing by r_1, then the result by r_2 - r_1, and so on, gives
    the same set (Minkowski sums of disks add), while each step merges only
    near neighbours and the footprints soon become one outline.  Each step's
    polygon lies inside its true buffer and falls short of it by its own
    chord error, so the result lies inside the true buffer and falls short by
    at most the sum, r(1 - cos(pi/(4 quad_segs))), as for one buffer.
    """
    parts = shapely.get_num_geometries(geom)
    if parts <= _GROW_IN_STEPS_PARTS or r <= 0:
        return shapely.buffer(geom, r, quad_segs=quad_segs)
    x0, y0, x1, y1 = geom.bounds
    step = max(min(r, math.hypot(x1 - x0, y1 - y0) / math.sqrt(parts)) / 4.0, 1e-3)
    done = 0.0
    while done < r:
        nxt = min(r, done + step)
        geom = shapely.buffer(geom, nxt - done, quad_segs=quad_segs)
        done = nxt
        if shapely.get_num_geometries(geom) <= _GROW_IN_STEPS_PARTS:
            return shapely.buffer(geom, r - done, quad_segs=quad_segs) if r > done else geom
        step *= 2.0
    return geom


class _GroupArcs:
    """The arcs of one PES (a group of one) or aggregation group.

    For an exposed site of a given class and face, the region where it fails is
    {x : min_m dist(m, x) < max_m r_m(sector of m containing x)}: the union over
    members m and their sectors s of sector(m, s) intersected with the union of
    the members' footprints grown by r_(m,s) (standards.md decision 14, revised:
    the smallest distance from any member against the largest requirement of
    any member's relation, at the group's NEQ).  Members of one kind share
    their pieces: per (kind, sector) the union of their sectors, so a group of
    thousands of stacks of one kind is one buffer of the union.
    """

    def __init__(self, result: CheckResult, members: list[str], quad_segs: int) -> None:
        self.rs = result.rule_set
        self.depot = result.depot
        self.members = members
        self.sites = [self.depot.site(m) for m in members]
        self.quad_segs = quad_segs
        lines = [parse_stock_entry(e, f"{s.id}.stock[{k}]") for s in self.sites for k, e in enumerate(s.stock_entries)]
        self.cases = _cases_of(self.rs, lines)
        table = kinds()
        self.kinds = list(dict.fromkeys(s.kind for s in self.sites))
        self.ec = {k: table[k].earth_covered for k in self.kinds}
        self.union = self.sites[0].geometry if len(self.sites) == 1 else shapely.union_all(
            [s.geometry for s in self.sites])
        x0, y0, x1, y1 = self.union.bounds
        self.diameter = math.hypot(x1 - x0, y1 - y0)
        self._buffers: dict[float, Any] = {}
        self._sectors: dict[tuple[str, str, float, float], Any] = {}
        self._pieces: dict[tuple[tuple[Any, ...], float], Any] = {}

    def radii(self, es_class: tuple[Any, ...], es_face: str | None) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Per piece (member kind, sector, front and rear angles): the largest distance over the cases."""
        ek, traffic, sparse, evac, barricade = es_class
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for case, q, u in self.cases:
            angles = _sector_angles(self.rs, case.division)
            for pk in self.kinds:
                for sector in FACES if self.ec[pk] else (None,):
                    rel = Relation(pk, ek, sector, es_face, traffic, sparse, evac, barricade)
                    try:
                        rule = resolve_rule(self.rs, case.division, rel, case.tables)
                    except InputError:
                        continue  # a relation this rule set does not cover
                    d, t = required_distance_m(self.rs, rule, q, u)
                    if d <= 0 or t < 0:
                        continue
                    key = (pk, sector, *(angles if sector else (0.0, 0.0)))
                    if key not in out or d > out[key]["required_distance_m"]:
                        term = rule.terms[t]
                        out[key] = {"required_distance_m": d, "rule": term.label, "rule_code": term.code,
                                    "hd": case.division, "source": term.source}
        return out

    def buffer(self, r: float) -> Any:
        """The union of the members' footprints grown by r (polygonized, never beyond the true buffer)."""
        if r not in self._buffers:
            self._buffers[r] = _grow(self.union, r, self.quad_segs)
        return self._buffers[r]

    def sector(self, kind: str, sector: str, front_deg: float, rear_deg: float, r: float) -> Any:
        """The union of the ``sector`` of every member of ``kind``, exact within r of the group."""
        reach = r + self.diameter + 1.0
        key = (kind, sector, front_deg, rear_deg)
        cached = self._sectors.get(key)
        if cached is not None and cached[0] >= reach:
            return cached[1]
        reach *= 2.0  # room for larger radii of the same sector
        wedges = [_wedges(s, front_deg, rear_deg, reach) for s in self.sites if s.kind == kind]
        if sector == "front":
            geom = shapely.union_all([f for f, _r in wedges])
        elif sector == "rear":
            geom = shapely.union_all([r_ for _f, r_ in wedges])
        else:  # side: the rest; a point is side for some member unless in every member's front or rear
            x0, y0, x1, y1 = self.union.bounds
            box = shapely.box(x0 - reach, y0 - reach, x1 + reach, y1 + reach)
            not_side = shapely.intersection_all([shapely.union(f, r_) for f, r_ in wedges])
            geom = shapely.difference(box, not_side)
        self._sectors[key] = (reach, geom)
        return geom

    def piece(self, key: tuple[Any, ...], r: float) -> Any:
        """The region of one piece: the members' sector (all round if None) within r of the group."""
        cached = self._pieces.get((key, r))
        if cached is None:
            kind, sector, front_deg, rear_deg = key
            cached = self.buffer(r)
            if sector is not None:
                cached = shapely.intersection(cached, self.sector(kind, sector, front_deg, rear_deg, r))
            self._pieces[(key, r)] = cached
        return cached


def _arc_groups(result: CheckResult) -> list[list[str]]:
    """Every PES as its aggregation group (a group of one when in none), in site order."""
    grouped = {m for g in result.groups for m in g}
    seen: set[str] = set()
    out = []
    for site_out in result.sites:
        sid = site_out["id"]
        if sid in seen:
            continue
        members = next((list(g) for g in result.groups if sid in g), [sid]) if sid in grouped else [sid]
        seen.update(members)
        out.append(members)
    return out


def arcs(
    result: CheckResult,
    es_kinds: tuple[str, ...] | None = None,
    *,
    pes: Any = None,
    violated_only: bool = False,
    quad_segs: int = ARC_QUAD_SEGS,
) -> list[dict[str, Any]]:
    """QD arcs per sector of each PES (or aggregation group) and each kind and face of exposed site.

    An arc is the region where an exposed site of that kind (and attributes:
    traffic, sparse, evacuable, door barricade) turning that face toward the
    PES would fail.  An earth-covered PES has one piece per sector (front, side,
    rear as AASTP-1 Annex I-A Note 1 and the check define them; HD 1.2 its own
    front sector), each with its own radius; any other PES one all-round piece.
    For a group: the union over members and sectors of the member's sector
    intersected with the union of the members' footprints grown by that
    member's requirement at the group's NEQ.  Drawings, never verdicts: each
    buffer falls inside its true curve by at most ``arc_shortfall_m(r)``.

    Parameters
    ----------
    result : CheckResult
    es_kinds : tuple of str, optional
        Exposed-site kinds to draw (default: every kind present in the depot).
    pes : iterable of str, optional
        Only the PES (their whole groups) with these ids.
    violated_only : bool
        Only the arcs marked violated.

    Returns
    -------
    list of dict
        GeoJSON-like features with a shapely ``geometry`` (local metres) and
        ``properties``: pes (the group's ids joined by "+"), group (member ids),
        pes_kind, pes_sector (null: all round), es_kind, es_face (null: not
        earth-covered), traffic/sparse/evacuable/es_door_barricade (where they
        apply), hd, required_distance_m, rule, rule_code, source, violated (an
        exposed site of this class fails against the PES, in this sector by its
        relation or lying in this arc).
    """
    depot = result.depot
    table = kinds()
    classes = list(dict.fromkeys(_es_class(s, table) for s in depot.sites if es_kinds is None or s.kind in es_kinds))
    for k in es_kinds or ():  # a kind asked for but not in the depot: its default attributes
        if k not in table:
            raise InputError("es_kinds", k, f"one of {', '.join(table)}")
        if not any(c[0] == k for c in classes):
            classes.append((k, "heavy" if k == "public_traffic_route" else None, False, False, False))
    wanted = None if pes is None else set(pes)
    groups = [g for g in _arc_groups(result) if wanted is None or wanted.intersection(g)]
    group_of = {m: tuple(g) for g in groups for m in g}
    # violations by (group, class, es face): the relation's PES kind and sector, the ES id
    bad: dict[tuple[Any, ...], list[tuple[str | None, str | None, str]]] = {}
    for v in result.iter_violations():
        g = group_of.get(v["pes"])
        if g is None:
            continue
        if v.get("assessment_required") and v["distance_m"] >= v["required_distance_m"]:
            continue  # fails for its contents (decision 30), not inside the arc: the arc is not violated
        rel = v["relation"]
        es = depot.site(v["es"])
        key = (g, _es_class(es, table), rel.get("es_face"))
        bad.setdefault(key, []).append((rel.get("pes_kind"), rel.get("pes_face"), es.id))
    feats: list[dict[str, Any]] = []
    for members in groups:
        g = tuple(members)
        if violated_only and not any(k[0] == g for k in bad):
            continue
        arcs_g = _GroupArcs(result, members, quad_segs)
        for cls in classes:
            ek_kind = table[cls[0]]
            for ef in FACES if ek_kind.earth_covered else (None,):
                fails = bad.get((g, cls, ef), [])
                if violated_only and not fails:
                    continue
                for key, info in arcs_g.radii(cls, ef).items():
                    r = info["required_distance_m"]
                    geom = arcs_g.piece(key, r)
                    if geom.is_empty:
                        continue
                    pk, sector = key[0], key[1]
                    violated = any(
                        (fk == pk and (sector is None or fs == sector))
                        or shapely.intersects(geom, depot.site(es_id).geometry)
                        for fk, fs, es_id in fails
                    )
                    if violated_only and not violated:
                        continue
                    props: dict[str, Any] = {
                        "pes": "+".join(members),
                        "group": list(members),
                        "pes_kind": pk,
                        "pes_sector": sector,
                        "es_kind": cls[0],
                        "es_face": ef,
                    }
                    if cls[1] is not None:
                        props["traffic"] = cls[1]
                    for name, val in zip(("sparse", "evacuable", "es_door_barricade"), cls[2:], strict=True):
                        if val:
                            props[name] = True
                    props |= {
                        "hd": info["hd"],
                        "required_distance_m": round(r, 3),
                        "rule": info["rule"],
                        "rule_code": info["rule_code"],
                        "source": info["source"],
                        "violated": violated,
                    }
                    feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return feats


def arc_label(props: dict[str, Any]) -> str:
    """A one-line label of an arc: PES, sector, exposed kind and face, distance."""
    sector = f" {props['pes_sector']}" if props.get("pes_sector") else ""
    face = f" ({props['es_face']})" if props.get("es_face") else ""
    traffic = f" ({props['traffic']} traffic)" if props.get("traffic") else ""
    return (f"{props['pes']}{sector} to {props['es_kind']}{face}{traffic}: "
            f"{math.ceil(props['required_distance_m'])} m")


def arcs_geojson(result: CheckResult) -> dict[str, Any]:
    """QD arcs as a GeoJSON FeatureCollection (WGS84 lon/lat; local metres for local layouts)."""
    depot = result.depot
    out = []
    for feat in arcs(result):
        geom = feat["geometry"]
        if not depot.is_local:
            geom = shapely.transform(geom, lambda xy: _lonlat(depot, xy))
        props = dict(feat["properties"])
        props["label"] = arc_label(props)
        out.append({"type": "Feature", "geometry": mapping(geom), "properties": props})
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": out}
    if depot.is_local:
        doc["crs"] = {"type": "name", "properties": {"name": depot.crs_name}}
    return doc


def _lonlat(depot: Any, xy: Any) -> Any:
    import numpy as np

    lon, lat = depot.to_lonlat(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text for an XML 1.0 element or attribute: escaped, characters XML forbids replaced by U+FFFD."""
    from xml.sax.saxutils import (
        escape,  # on first use: it imports urllib.request (a check writes no KML)
    )

    return escape(_XML_FORBIDDEN.sub("\ufffd", text), {'"': "&quot;"})


def _kml_polygons(geom: Any) -> str:
    """A (multi)polygon in lon/lat as KML Polygon elements (holes as inner boundaries)."""
    polys = [geom] if geom.geom_type == "Polygon" else [g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]

    def ring(r: Any) -> str:
        return "<LinearRing><coordinates>" + " ".join(f"{x:.7f},{y:.7f}" for x, y in r.coords) \
            + "</coordinates></LinearRing>"

    parts = []
    for p in polys:
        inner = "".join(f"<innerBoundaryIs>{ring(h)}</innerBoundaryIs>" for h in p.interiors)
        parts.append(f"<Polygon><outerBoundaryIs>{ring(p.exterior)}</outerBoundaryIs>{inner}</Polygon>")
    return parts[0] if len(parts) == 1 else "<MultiGeometry>" + "".join(parts) + "</MultiGeometry>"


def arcs_kml(result: CheckResult) -> str:
    """QD arcs as KML (Google Earth, QGIS).  KML needs lon/lat: not for local layouts."""
    depot = result.depot
    if depot.is_local:
        raise InputError("arcs-kml", depot.crs_name, "KML needs a layout on the earth (WGS84 or a named CRS)")
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>depotsafe QD arcs</name>',
        '<Style id="ok"><LineStyle><color>ff00aa00</color><width>2</width></LineStyle>'
        "<PolyStyle><fill>0</fill></PolyStyle></Style>",
        '<Style id="violated"><LineStyle><color>ff0000ff</color><width>3</width></LineStyle>'
        "<PolyStyle><fill>0</fill></PolyStyle></Style>",
    ]
    for feat in arcs(result):
        props = feat["properties"]
        geom = shapely.transform(feat["geometry"], lambda xy: _lonlat(depot, xy))
        data = "".join(
            f'<Data name="{k}"><value>{_xml_text(json.dumps(props[k]) if isinstance(props[k], list) else str(props[k]))}'
            "</value></Data>"
            for k in ("pes", "group", "es_kind", "es_face", "pes_sector", "hd", "required_distance_m", "rule",
                      "violated")
        )
        parts.append(
            f"<Placemark><name>{_xml_text(arc_label(props))}</name><description>{_xml_text(props['rule'])}</description>"
            f"<styleUrl>#{'violated' if props['violated'] else 'ok'}</styleUrl>"
            f"<ExtendedData>{data}</ExtendedData>{_kml_polygons(geom)}</Placemark>"
        )
    parts.append("</Document></kml>")
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------ human table


def human_report(result: CheckResult, lang: str = "en") -> str:
    """The check as readable text in ``lang`` (depotsafe.clitext: English is the source text)."""
    from depotsafe.clitext import cli_words

    w = cli_words(lang)
    tr = w.tr
    # the same few quantities recur on thousands of storehouses: each is formatted once (a limit
    # or a headroom reads the same at 0.0 and -0.0, which a cache takes for one key; a stock not)
    kg_limit_ = lru_cache(maxsize=4096)(w.kg_limit)
    kg_headroom_ = lru_cache(maxsize=4096)(w.kg_headroom)
    stock_memo = lru_cache(maxsize=4096)(w.kg_stock)

    def kg_stock_(q: float) -> str:
        return stock_memo(q) if q != 0.0 else w.kg_stock(q)

    s = result.summary()
    n = w.count
    lines = [
        tr("{sites} sites, {storehouses} storehouses, {pairs} PES-ES pairs listed (violations and near misses): "
           "{violations} violation(s), {incompatible} site(s) with incompatible stock.").format(
            sites=n(s["sites"]), storehouses=n(s["storehouses"]), pairs=n(s["pairs"]),
            violations=n(s["violations"]), incompatible=n(s["incompatible_sites"])),
        tr("Rounding: table (distances and licences read from the printed AASTP-1 tables, decision 32).")
        if result.rule_set.rounding == "table" else
        tr("Rounding: formula (distances computed from the distance functions, decision 4)."),
        "",
    ]
    if s.get("assessments_required"):
        lines[0] += " " + tr("{n} of them because the exposed site holds very sensitive contents (an individual "
                             "assessment is required, AASTP-1 §1.3.1.4).").format(n=n(s["assessments_required"]))
    if s.get("protection", "default") != "default":
        lines[-1:-1] = [tr("Protection asked of every storage-to-storage pair: {protection} (decision 31; "
                           "aggregation groups use the default reading); {n} listed pair(s) whose cell cannot "
                           "give it (violations until assessed).").format(
            protection=s["protection"], n=n(s["protection_unavailable"]))]
    if result.aggregations:
        lines.append(tr("Aggregation groups (one site each: closer than their inter-magazine distance, "
                        "AASTP-1 §1.3.2.3 b):"))
        for agg in result.aggregations:
            members = agg["members"]
            shown = "+".join(members) if len(members) <= 10 else "+".join(members[:10]) + "+..."
            lines.append("  " + tr("{id} {members}: {n} storage sites").format(
                id=agg["id"], members=shown, n=n(len(members))))
            for j in agg["joins"][:10]:
                lines.append(f"    {j['a']}-{j['b']} {w.unit(w.fixed(j['distance_m'], 1), 'm')} < "
                             f"{w.unit(w.count(math.ceil(j['imd_m'])), 'm')} ({j['rule']})")
            if len(agg["joins"]) > 10:
                lines.append("    " + tr("... {n} more join(s)").format(n=n(len(agg["joins"]) - 10)))
        lines.append("")
    conditional = [site for site in result.sites if site["compatibility"].get("status") == "conditional"]
    if conditional:
        # decision 29: findings for the manager to confirm, not violations (the exit status does not change)
        lines.append(tr("Mixes to confirm ({n} site(s)): permitted only under a note of AASTP-1 "
                        "Tables 5/6 that depotsafe cannot check; not violations:").format(n=n(len(conditional))))
        for site in conditional:
            lines.append(f"  {site['id']}: " + "; ".join(site["compatibility"]["conditions"]))
        lines.append("")
    by_store: dict[str, list[dict[str, Any]]] = {}
    for v in result.iter_violations():
        by_store.setdefault(v.get("group_id") or v["pes"], []).append(v)
    lines.append(tr("Storehouses: stock per QD case with the limit at this mix and the headroom (limit minus "
                    "stock); licence per HD held alone, with its limiting exposed site; each violation with its "
                    "rule and source. Required distances rounded up to the metre, limits down to the kilogram."))
    ok, violation, incompatible = tr("OK"), tr("VIOLATION"), "  " + tr("INCOMPATIBLE STOCK")
    member_of, no_stock = tr("member {m}: {held}"), tr("no stock")
    case_line = tr("HD {hd}: stock {stock} NEQ; limit at this mix {limit}{by}; {headroom}")
    licence_line = tr("licence per HD alone: {licences}")
    violation_line = tr("violation: {es}{pes} at {distance}, required {required} (HD {hd}, {rule}; {source})")
    from_pes = tr(" from {pes}")
    shown_groups: set[str] = set()
    record = {rec["id"]: rec for rec in result.sites} if result.groups else {}
    for site in result.sites:
        gid = site.get("group_id")
        if gid:
            if gid in shown_groups:
                continue
            shown_groups.add(gid)
            group = site["aggregation_group"]
            members = "+".join(group) if len(group) <= 10 else "+".join(group[:10]) + "+..."
            name = tr("{id} {members} (aggregation group of {n} storage sites, one site)").format(
                id=gid, members=members, n=n(len(group)))
            key = gid
        else:
            name, key = f"{site['id']} ({w.kind(site['kind'])})", site["id"]
        bad = by_store.get(key, [])
        verdict = ok if site["mixed_stock"]["compliant"] and not bad else violation
        compat = "" if site["compatibility"]["compatible"] else incompatible
        lines.append(f"  {name}: {verdict}{compat}")
        if gid:
            for m in group[:10]:
                held = ", ".join(f"HD {d} {kg_stock_(q)}" for d, q in record[m]["neq_kg"].items())
                lines.append("    " + member_of.format(m=m, held=held or no_stock))
            if len(group) > 10:
                lines.append("    " + tr("... {n} more member(s)").format(n=n(len(group) - 10)))
        for c in site["mixed_stock"]["cases"]:
            lim = kg_limit_(c["max_neq_kg"], c["max_neq_at_least"])
            by = f" [{c['limiting_es']}]" if c["limiting_es"] else ""
            lines.append("    " + case_line.format(hd=c["hd"], stock=kg_stock_(c["neq_kg"]), limit=lim, by=by,
                                                   headroom=kg_headroom_(c["headroom_kg"], c["max_neq_at_least"])))
        least = site.get("licence_at_least", {})
        lic = "; ".join(
            f"{d} {kg_limit_(v, least.get(d, False))}"
            + (f" [{site['limiting_es'][d]}]" if site["limiting_es"].get(d) and not least.get(d) else "")
            for d, v in site["licence_limit_kg"].items()
        )
        lines.append("    " + licence_line.format(licences=lic))
        if site.get("assessment_es"):
            lines.append("    " + tr("licence limited by an individual assessment toward {es} (very sensitive "
                                     "contents; the figures above are the tables', for information only)").format(
                es=", ".join(site["assessment_es"])))
        for v in bad[:20]:
            pes = from_pes.format(pes=v["pes"]) if gid else ""
            if v.get("assessment_required"):
                lines.append("    " + w.assessment(v["es"], pes, v["distance_m"], v["assessment_reason"],
                                                   v["assessment_source"], v["required_distance_m"], v["hd"],
                                                   v["rule_label"]))
                continue
            lines.append("    " + violation_line.format(
                es=v["es"], pes=pes, distance=w.metres_measured(v["distance_m"]),
                required=w.metres_up(v["required_distance_m"]), hd=v["hd"], rule=w.note(v["rule_label"]),
                source=v["source"]))
            if v.get("protection") is not None:
                lines.append(f"      {w.protection(v['protection'])}")
        if len(bad) > 20:
            lines.append("    " + tr("... {n} more violation(s) (--json or --pairs-csv lists all)").format(
                n=n(len(bad) - 20)))
    note = tr("note: {note}")
    for text in result.notes:
        lines.append(note.format(note=w.note(text)))
    prov = result.provenance()
    lines.append(tr("{statement}; rule data sha256 {rules}; input sha256 {input}; depotsafe {version}").format(
        statement=prov["statement"], rules=prov["rule_data_sha256"][:12], input=prov["input_sha256"][:12],
        version=prov["depotsafe_version"]))
    return "\n".join(lines)
