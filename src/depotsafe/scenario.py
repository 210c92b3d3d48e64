"""Training scenarios: what happens, step by step, when a storehouse explodes or burns (issue 11).

One engine for the command line (``depotsafe scenario``) and the app.

A scenario starts from one storehouse and an initiating event (a mass
explosion of HD 1.1/1.5, a fire of HD 1.3 or 1.4, fragments of HD 1.2).  The
storehouse's aggregation group goes with it as one event (decision 14, AASTP-1
§1.3.2.3 b)).  Every other storehouse (with its own group) is judged by the
degree of protection against propagation that the inter-magazine cell between
them gives at their actual distance (decision 31, ``depotsafe.protection``) and
the text of AASTP-1 §1.3.1.9 - 1.3.1.11 for that degree
(data/scenarios/escalation.csv): it survives, a later event is possible (no
source gives a probability: the trainer chooses, ``follow``), or a later event
is likely.  Each later event starts its own step.

Per step: the emergency withdrawal ring for non-essential personnel (AASTP-1
Ch. 7 Table T.2, data/effects/withdrawal_distances.csv) with the buildings,
roads and persons inside it; the effects of the event at every other site (the
effects engine of ``depotsafe effects``: one Kingery-Bulmash, one set of
probits), aware of the building type: the structural-collapse probit (TNO, for
conventional buildings) is given only for conventional buildings, never for a
storehouse, whose fate is the escalation judgement.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import shapely

from depotsafe import __version__
from depotsafe.errors import InputError, one_of
from depotsafe.messages import Note

#: Initiating events and the QD divisions (depotsafe.explosives.mix_divisions cases) each fits.
EVENTS: dict[str, tuple[str, ...]] = {
    "mass-explosion": ("1.1", "1.5"),
    "fragments": ("1.2.1", "1.2.2"),
    "fire": ("1.3", "1.4"),
}
EVENT_TEXT = {
    "mass-explosion": "mass explosion (HD 1.1/1.5)",
    "fragments": "explosion with fragments, burning and exploding items (HD 1.2)",
    "fire": "fire (HD 1.3 mass fire, HD 1.4 moderate fire)",
}
OUTCOMES = ("survives", "possible", "likely")
#: Notes of every chain (fixed phrases, each a msgid of the catalogs) and of a --follow not judged possible.
CHAIN_NOTES = (
    "escalation: the degree of protection of the inter-magazine cell at the actual distance (decision 31) "
    "read with AASTP-1 §1.3.1.9-1.3.1.11 (data/scenarios/escalation.csv); \"possible\" has no probability "
    "in any source: the trainer decides (--follow)",
    "distances from the event footprint (the union of the members' footprints) to the nearest point of "
    "each site; blast by Kingery-Bulmash (as depotsafe effects)",
    "expected_persons_affected: persons present x the probit probability for a person in the open at that "
    "site, summed; a teaching figure, not a risk assessment",
)
FOLLOW_DROPPED_NOTE = "--follow {sites}: not judged possible in this layout, not followed"
#: How a storehouse exposed to an event fares, in words (depotsafe.messages.Note: each template a msgid).
RULE_CELL = "{cell}: {alternative} met, degree {degree}; {outcome}"
RULE_LIMITED = ("{cell}: {alternative} met, whose limited degree needs a condition the layout cannot declare "
                "(at best limited); {outcome}")
RULE_NO_DEGREE = "the cell carries no degree of protection; {outcome}"
RULE_HD14_MET = "HD 1.4: {code} = {req:,.1f} m met at {distance:,.1f} m; {outcome}"
RULE_HD14_NOT_MET = "HD 1.4: {code} = {req:,.1f} m not met at {distance:,.1f} m; {outcome}"
RULE_VERY_SENSITIVE = ("very sensitive contents at the ES: the inter-magazine distances are suspended "
                       "(decision 30); an individual assessment decides")
_RANK = {o: i for i, o in enumerate(OUTCOMES)}
QUANTITY = ("known", "unknown")

#: Kinds that are conventional buildings: the TNO structural-collapse probit applies to them.
CONVENTIONAL_KINDS = frozenset({"inhabited_building", "vulnerable_building", "workshop",
                                "workshop_barricaded", "workshop_roof_barricaded"})
ROUTE_KINDS = frozenset({"public_traffic_route"})
#: Incident overpressure at and above which a conventional building counts as destroyed [Pa]:
#: the L70 level of data/effects/protection_levels.csv, "Near-total demolition of conventional buildings".
DESTROYED_LEVEL = "L70"
#: Probits for a person (the structural-collapse probit is a building's, shown under "building").
PERSON_MODELS = ("eardrum_rupture", "lung_haemorrhage_eisenberg", "head_impact")

T2_SOURCE = "AASTP-1 (2006) Ch. 7 Table T.2, p. I-7-18 (PDF p.149)"
T2_NOTE = ("AASTP-1 (2006) Ch. 7 p. I-7-15/16: emergency withdrawal distances are for emergencies only, never for "
           "siting; if a fire involves explosives or involvement is imminent, the initial withdrawal distance shall "
           "be at least the inhabited building distance while the emergency withdrawal distance is being determined")

# ----------------------------------------------------------------------------- data


def _data_text(name: str) -> str:
    return resources.files("depotsafe.data").joinpath(name).read_text(encoding="utf-8")


def _csv(name: str) -> list[dict[str, str]]:
    from depotsafe.kinds import read_data_csv

    return read_data_csv(name)


@cache
def withdrawal_rows() -> tuple[dict[str, str], ...]:
    """The rows of AASTP-1 Table T.2 (data/effects/withdrawal_distances.csv)."""
    return tuple(_csv("effects/withdrawal_distances.csv"))


@cache
def escalation_rules() -> dict[tuple[str, str], dict[str, str]]:
    """(table, level) -> outcome, quote, source (data/scenarios/escalation.csv)."""
    out = {}
    for r in _csv("scenarios/escalation.csv"):
        if r["outcome"] not in OUTCOMES:
            raise InputError("scenarios/escalation.csv", r["outcome"], one_of(OUTCOMES))
        out[(r["table"], r["level"])] = r
    return out


def data_sha256() -> str:
    """SHA-256 of the scenario data (escalation.csv and Table T.2), for provenance."""
    h = hashlib.sha256()
    for name in ("scenarios/escalation.csv", "effects/withdrawal_distances.csv"):
        h.update(name.encode())
        h.update(_data_text(name).encode())
    return h.hexdigest()


_T2_HD = {"1.1": "1.1", "1.5": "1.5", "1.2.1": "1.2", "1.2.2": "1.2", "1.2": "1.2", "1.3": "1.3",
          "1.4": "1.4", "1.6": "1.6", "unknown": "unknown"}
T2_CONTEXTS = ("facility", "truck", "railcar")


def _context_matches(row_context: str, context: str) -> bool:
    rc = row_context
    if rc == "any":
        return True
    if context == "facility":
        return rc in ("facility", "facility/truck/tractor trailer")
    if context == "truck":
        return rc in ("transportation", "transportation (truck/tractor trailer)", "facility/truck/tractor trailer")
    return rc in ("transportation", "transportation (railcar)", "railcar")


def withdrawal_distance(hd: str, neq_kg: float | None, context: str = "facility") -> dict[str, Any]:
    """Emergency withdrawal distance for non-essential personnel (AASTP-1 Table T.2).

    Parameters
    ----------
    hd : str
        Hazard division ("1.1" .. "1.6", QD sub-divisions "1.2.1"/"1.2.2" read as "1.2"),
        or "unknown".
    neq_kg : float or None
        Known NEQ [kg] of that division; None for an unknown quantity.
    context : {"facility", "truck", "railcar"}
        Where the explosives are (a storehouse is a facility).

    Returns
    -------
    dict
        radius_m, hd, quantity, printed, source, note.  Where several rows
        apply (HD 1.1 in a truck above 16 t, not printed) the larger distance.
    """
    if hd not in _T2_HD:
        raise InputError("hd", hd, one_of(_T2_HD))
    if context not in T2_CONTEXTS:
        raise InputError("context", context, one_of(T2_CONTEXTS))
    quantity = "unknown" if neq_kg is None else "known"
    if neq_kg is not None and not (math.isfinite(neq_kg) and neq_kg > 0):
        raise InputError("neq", neq_kg, "a known NEQ must be a finite number > 0 kg (or unknown)")
    key = _T2_HD[hd]
    best: tuple[float, dict[str, str]] | None = None
    for r in withdrawal_rows():
        if r["hd"] != key or r["quantity"] != quantity or not _context_matches(r["context"], context):
            continue
        if quantity == "known":
            lo = float(r["neq_lo_kg"]) if r["neq_lo_kg"] else -math.inf
            hi = float(r["neq_hi_kg"]) if r["neq_hi_kg"] else math.inf
            if not (lo < neq_kg <= hi):  # type: ignore[operator]
                continue
        if r["distance_m"]:
            d = float(r["distance_m"])
        else:
            factor = float(r["formula"].split("*")[0])  # "44.4*Q^(1/3)", "6.4*Q^(1/3)"
            if not r["formula"].endswith("Q^(1/3)"):
                raise InputError("withdrawal_distances.csv", r["formula"], "a formula k*Q^(1/3)")
            d = max(float(r["minimum_m"] or 0.0), factor * neq_kg ** (1.0 / 3.0))  # type: ignore[operator]
        if best is None or d > best[0]:
            best = (d, r)
    if best is None:
        raise InputError("hd", hd, f"Table T.2 has no row for HD {hd} with a {quantity} quantity in a {context}")
    d, r = best
    return {"radius_m": d, "hd": key, "quantity": quantity, "context": context, "printed": r["printed"],
            "source": r["page"], "note": r["note"]}


# ----------------------------------------------------------------------------- units of the chain


@dataclass(frozen=True)
class Unit:
    """A storehouse with the others it explodes with (its aggregation group)."""

    site: str  # the first member in layout order (or the start)
    members: tuple[str, ...]
    cases: tuple[Any, ...]  # QDCase of the members' stock, mixed as one site (mix_divisions)
    lines: tuple[Any, ...]


def _lines_of(site: Any) -> list[Any]:
    from depotsafe.explosives import parse_stock_entry

    return [parse_stock_entry(e, f"{site.id}.stock[{k}]") for k, e in enumerate(site.stock_entries)]


def _unit(depot: Any, members: Sequence[str], first: str | None = None) -> Unit:
    from depotsafe.explosives import mix_divisions

    lines = tuple(ln for m in members for ln in _lines_of(depot.site(m)))
    cases = tuple(mix_divisions(list(lines)).cases) if lines else ()
    return Unit(site=first or members[0], members=tuple(members), cases=cases, lines=lines)


def events_of(unit: Unit) -> list[str]:
    """The initiating events that fit the unit's stock, most severe first."""
    divs = {c.division for c in unit.cases}
    return [e for e, hds in EVENTS.items() if divs & set(hds)]


def _event_cases(unit: Unit, event: str) -> list[Any]:
    return [c for c in unit.cases if c.division in EVENTS[event]]


# ----------------------------------------------------------------------------- escalation


@dataclass
class _Geo:
    """Footprint arrays and bearings of a depot, with the index of each id."""

    fp: Any
    bearings: np.ndarray
    index: dict[str, int]
    #: sector masks already computed, by (site a, site b, front half angle, rear half angle)
    masks: dict[tuple[str, str, float, float], int] = field(default_factory=dict)


def _geo(depot: Any) -> _Geo:
    from depotsafe.layout import depot_arrays

    fp, b = depot_arrays(depot)
    return _Geo(fp, b, {s.id: i for i, s in enumerate(depot.sites)})


def _prefetch_faces(geo: _Geo, pairs: Sequence[tuple[str, str]], front_deg: float, rear_deg: float) -> None:
    """The sector masks of many (earth-covered a, b) pairs in one kernel call (a step judges every
    storehouse: one call per pair cost milliseconds each)."""
    from depotsafe.layout import sector_masks

    todo = list(dict.fromkeys(p for p in pairs if (p[0], p[1], front_deg, rear_deg) not in geo.masks))
    if not todo:
        return
    a = np.array([geo.index[p[0]] for p in todo], dtype=np.int64)
    b = np.array([geo.index[p[1]] for p in todo], dtype=np.int64)
    m = sector_masks(geo.fp, a, b, geo.bearings, front_deg, rear_deg)
    for (pa, pb), v in zip(todo, m.tolist()):
        geo.masks[pa, pb, front_deg, rear_deg] = int(v)


_FACE_BITS = ((1, "front"), (2, "side"), (4, "rear"))


def _faces(geo: _Geo, a: str, b: str, front_deg: float, rear_deg: float) -> list[str]:
    """Faces of earth-covered site ``a`` that site ``b`` touches (AASTP-1 Annex I-A Notes 1, 2; decision 13)."""
    if (a, b, front_deg, rear_deg) not in geo.masks:
        _prefetch_faces(geo, [(a, b)], front_deg, rear_deg)
    m = geo.masks[a, b, front_deg, rear_deg]
    return [name for bit, name in _FACE_BITS if m & bit] or ["side"]


def _prefetch_step_faces(depot: Any, geo: _Geo, event_unit: Unit, targets: Sequence[Unit]) -> None:
    """Every face ``judge`` will ask for in one step, computed together (the same masks it would compute)."""
    from depotsafe.check import FRONT_HALF_ANGLE_DEG, FRONT_HALF_ANGLE_HD12_DEG, REAR_HALF_ANGLE_DEG
    from depotsafe.kinds import kinds

    table = kinds()
    ec = {s.id for s in depot.sites if table[s.kind].earth_covered}
    es_ids = [m for t in targets for m in t.members]
    pes_ec = [p for p in event_unit.members if p in ec]
    for front in (FRONT_HALF_ANGLE_DEG, FRONT_HALF_ANGLE_HD12_DEG):
        _prefetch_faces(geo, [(p, e) for p in pes_ec for e in es_ids], front, REAR_HALF_ANGLE_DEG)
    _prefetch_faces(geo, [(e, p) for e in es_ids if e in ec for p in event_unit.members],
                    FRONT_HALF_ANGLE_DEG, REAR_HALF_ANGLE_DEG)


def _table_of(cell: str) -> str:
    parts = cell.split()
    return parts[1] if len(parts) > 1 and parts[0] == "Table" else "any"


def judge(depot: Any, geo: _Geo, rs: Any, event_unit: Unit, event: str, footprint: Any,
          target: Unit) -> dict[str, Any]:
    """How a storehouse (with its group) fares after ``event`` at ``event_unit``.

    Per member of the event (PES, its relation seen from each face it turns
    toward the target) and member of the target (ES, each face it turns toward
    the PES), per QD case of the event: the degree of protection the cell gives
    at the distance from the event footprint (the smallest from any member,
    decision 14), then its outcome in data/scenarios/escalation.csv.  The
    worst outcome wins (the larger consequence).
    """
    from depotsafe.check import (
        FRONT_HALF_ANGLE_DEG,
        FRONT_HALF_ANGLE_HD12_DEG,
        REAR_HALF_ANGLE_DEG,
    )
    from depotsafe.kinds import kinds
    from depotsafe.protection import DEGREE_LEVEL, describe
    from depotsafe.qd import Relation, resolve_rule

    table = kinds()
    rules = escalation_rules()
    worst: dict[str, Any] | None = None
    dist_min = math.inf
    for es_id in target.members:
        es = depot.site(es_id)
        d = float(shapely.distance(footprint, es.geometry))
        dist_min = min(dist_min, d)
        if es.very_sensitive or any(ln.cg == "A" for ln in _lines_of(es)):
            cand = {"outcome": "possible", "degree": "assessment required", "level": None, "cell": "",
                    "rule": RULE_VERY_SENSITIVE,
                    "quote": "The Inter-Magazine Distances should not be used for packages of primary explosives "
                             "and other very sensitive explosive substances ... which require individual "
                             "assessment when at an ES.",
                    "source": "AASTP-1 (2006) §1.3.1.4, p. I-3-3 (PDF p.34)", "pes": event_unit.site, "es": es_id,
                    "distance_m": d}
            if worst is None or _RANK[cand["outcome"]] > _RANK[worst["outcome"]]:
                worst = cand
            continue
        for pes_id in event_unit.members:
            pes = depot.site(pes_id)
            for case in _event_cases(event_unit, event):
                t2 = case.division in ("1.2.1", "1.2.2")
                front = FRONT_HALF_ANGLE_HD12_DEG if t2 else FRONT_HALF_ANGLE_DEG
                pfaces = _faces(geo, pes_id, es_id, front, REAR_HALF_ANGLE_DEG) \
                    if table[pes.kind].earth_covered else [None]
                efaces = _faces(geo, es_id, pes_id, FRONT_HALF_ANGLE_DEG, REAR_HALF_ANGLE_DEG) \
                    if table[es.kind].earth_covered else [None]
                for pf in pfaces:
                    for ef in efaces:
                        rel = Relation(pes.kind, es.kind, pf, ef, None, False, False,
                                       bool(es.door_barricade) if table[es.kind].earth_covered else False)
                        rule = resolve_rule(rs, case.division, rel, tuple(case.hd13_tables) or ("3A", "3B"))
                        prot = describe(rs, rule, float(case.neq_kg), float(case.unit_neq_kg or 0.0), d)
                        limited = _limited_cells(rs, rule, float(case.neq_kg), float(case.unit_neq_kg or 0.0), d)
                        found = _outcomes(prot, rules, DEGREE_LEVEL, limited) if (
                            prot is not None or case.division != "1.4") else [_hd14(rs, rule, case, d, rules)]
                        for cand in found:
                            cand.update({"pes": pes_id, "es": es_id, "distance_m": d, "hd": case.division,
                                         "relation": {"pes_kind": pes.kind, "pes_face": pf, "es_kind": es.kind,
                                                      "es_face": ef}})
                            if worst is None or _RANK[cand["outcome"]] > _RANK[worst["outcome"]]:
                                worst = cand
    if worst is None:  # the event has no case of its kind (cannot happen: events_of filters)
        raise InputError("event", event, "no stock of this event at " + event_unit.site)
    worst = dict(worst)
    worst["distance_m"] = dist_min if worst.get("distance_m") is None else worst["distance_m"]
    return worst


def _hd14(rs: Any, rule: Any, case: Any, distance_m: float,
          rules: Mapping[tuple[str, str], dict[str, str]]) -> dict[str, Any]:
    """An HD 1.4 fire: no table carries a degree; the text of §1.2.1.2 d) and §1.3.1.7 decides."""
    from depotsafe.qd import required_distance_m

    req, gov = required_distance_m(rs, rule, float(case.neq_kg), float(case.unit_neq_kg or 0.0))
    met = distance_m >= req
    r = rules[("1.4", "met" if met else "not_met")]
    code = rule.terms[gov].code if gov >= 0 else "No QD"
    return {"outcome": r["outcome"], "degree": "no degree in the table", "level": None, "cell": "",
            "alternative": code,
            "rule": Note(RULE_HD14_MET if met else RULE_HD14_NOT_MET, code=code, req=req, distance=distance_m,
                         outcome=RULE_TEXT[r["outcome"]]),
            "quote": r["quote"], "source": r["source"]}


def _limited_cells(rs: Any, rule: Any, neq_kg: float, unit_neq_kg: float, distance_m: float) -> dict[str, str]:
    """Cells where the distance meets only an alternative of limited degree whose condition no layout can declare.

    ``describe`` gives such a cell no degree ("none": the condition, e.g. footnote h "excluding items
    vulnerable to heavy spalling", may not hold).  For a scenario that must not read as better than
    limited: with the condition the degree is limited, without it no degree is assured; either way a
    later event is likely (the larger consequence).  Cell text -> the alternative met.
    """
    from depotsafe.protection import _distance, _static

    _request, base, static = _static(rs, rule)
    out = {}
    for key, alts, _in_terms, _chosen, unit_q in static:
        q = unit_neq_kg if unit_q else neq_kg
        for a in alts:
            if a.blocked and a.level == 3 and _distance(base, key[0], a.term, q) <= distance_m + 1e-9:
                out[f"Table {key[0]} column {key[2]} row {key[1]}"] = a.printed
    return out


def _outcomes(prot: dict[str, Any] | None, rules: Mapping[tuple[str, str], dict[str, str]],
              levels: Mapping[str, int | None], limited: Mapping[str, str]) -> Iterable[dict[str, Any]]:
    if prot is None:
        r = rules[("any", "no_degree")]
        yield {"outcome": r["outcome"], "degree": "no degree in the table", "level": None, "cell": "",
               "rule": Note(RULE_NO_DEGREE, outcome=RULE_TEXT[r["outcome"]]),
               "quote": r["quote"], "source": r["source"]}
        return
    for cell in prot["cells"]:
        level = levels.get(cell["degree"])
        if level is None and cell["cell"] in limited:
            table = _table_of(cell["cell"])
            r = rules.get((table, "3")) or rules[("any", "none")]
            alt = limited[cell["cell"]]
            yield {"outcome": r["outcome"], "degree": "limited_or_none", "level": 3, "cell": cell["cell"],
                   "alternative": alt,
                   "rule": Note(RULE_LIMITED, cell=cell["cell"], alternative=alt, outcome=RULE_TEXT[r["outcome"]]),
                   "quote": r["quote"], "source": f"{r['source']}; cell {cell['source']}"}
            continue
        key = ("any", "none") if level is None else (_table_of(cell["cell"]), str(level))
        r = rules.get(key) or rules[("any", "none")]
        yield {"outcome": r["outcome"], "degree": cell["degree"], "level": level, "cell": cell["cell"],
               "alternative": cell["degree_alternative"],
               "rule": Note(RULE_CELL, cell=cell["cell"], alternative=cell["degree_alternative"],
                            degree=cell["degree"].replace("_", " "), outcome=RULE_TEXT[r["outcome"]]),
               "quote": r["quote"], "source": f"{r['source']}; cell {cell['source']}"}


RULE_TEXT = {
    "survives": "the storehouse survives (no later event)",
    "possible": "a later event is possible: no source gives a probability, the trainer chooses",
    "likely": "a later event is likely: it starts its own step",
}


# ----------------------------------------------------------------------------- consequences


def _presence(site: Any) -> float:
    from depotsafe.risk import presence_fraction

    raw = (site.properties or {}).get("presence", 1.0)
    return presence_fraction(raw, f"{site.id}.presence")


def _building(site: Any, row: dict[str, Any], fate: Mapping[str, Any] | None) -> dict[str, Any]:
    """Damage to the structure at an exposed site, by its type."""
    btype = (site.properties or {}).get("building_type", "conventional")
    if site.kind in ROUTE_KINDS:
        return {"type": "route", "structural_collapse": None, "destroyed": False,
                "basis": "a route: no building"}
    if site.kind not in CONVENTIONAL_KINDS or btype == "hardened":
        what = "storehouse" if site.kind not in CONVENTIONAL_KINDS else "hardened building"
        why = ("" if fate is None else
               f"; its fate is the escalation judgement of this step: {fate['outcome']} "
               f"(degree {str(fate.get('degree', '')).replace('_', ' ')})")
        return {"type": what, "structural_collapse": None, "destroyed": False,
                "basis": f"{site.kind}: the TNO structural-collapse probit is for conventional buildings and is "
                         f"not applied{why}"}
    inj = row.get("injury_probability") or {}
    p = row.get("incident_overpressure_kpa")
    destroyed = bool(row["status"].get("incident_overpressure") == "below_fit_range") or (
        p is not None and p * 1e3 >= _destroyed_pa())
    return {"type": "conventional", "structural_collapse": inj.get("structural_collapse"), "destroyed": destroyed,
            "basis": "TNO structural-collapse probit (data/effects/probits.csv); destroyed at or above "
                     f"{_destroyed_pa() / 1e3:g} kPa ({DESTROYED_LEVEL}, near-total demolition of conventional "
                     "buildings, AASTP-1 (2006) §1.3.7.3)"}


@cache
def _destroyed_pa() -> float:
    from depotsafe.effects.tables import protection_levels

    return next(lv.overpressure_pa for lv in protection_levels() if lv.level == DESTROYED_LEVEL)


def _withdrawal(unit: Unit, quantity: str) -> dict[str, Any]:
    """The ring of the unit: the largest Table T.2 distance over the divisions it holds."""
    best: dict[str, Any] | None = None
    for c in unit.cases:
        w = withdrawal_distance(c.division, float(c.neq_kg) if quantity == "known" else None, "facility")
        w["neq_kg"] = float(c.neq_kg) if quantity == "known" else None
        if best is None or w["radius_m"] > best["radius_m"]:
            best = w
    if best is None:
        raise InputError("stock", unit.site, "a storehouse with stock")
    return best


def _step(depot: Any, groups: Sequence[Sequence[str]], unit: Unit, event: str, number: int,
          trigger: dict[str, Any] | None, quantity: str, explosive: str, sparse: bool,
          involved: Mapping[str, int], fates: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    from depotsafe.effects.event import CLAUSE, event_hazard_zones, explosion_event
    from depotsafe.effects.zones import blast_zones, site_table

    ev = explosion_event(depot, unit.site, groups)
    blast_neq = ev.neq_kg if event == "mass-explosion" else 0.0
    hzones, hnotes = event_hazard_zones(ev, blast_neq, sparse)
    ring = _withdrawal(unit, quantity)
    others = [s for s in depot.sites if s.id not in ev.members]
    rows = site_table(ev.footprint, blast_neq, [(s.id, s.geometry, s.persons) for s in others], explosive, hzones)
    bzones = blast_zones([ev.footprint], [blast_neq], explosive) if blast_neq > 0 else []
    sites = []
    inside = {"buildings": [], "roads": [], "storehouses": [], "persons": 0.0}
    destroyed, roads = [], []
    expected = dict.fromkeys(PERSON_MODELS, 0.0)
    persons_ibd = 0.0
    for s, row in zip(others, rows, strict=True):
        presence = _presence(s)
        present = float(s.persons) * presence
        in_ring = row["distance_m"] < ring["radius_m"]
        building = _building(s, row, fates.get(s.id))
        inj = row.get("injury_probability")
        person_p = None if inj is None else {m: inj[m] for m in PERSON_MODELS}
        if person_p:
            for m in PERSON_MODELS:
                expected[m] += present * person_p[m]
        p = row["incident_overpressure_kpa"]
        in_effects = bool((p is not None and p >= 5.0)
                          or row["status"].get("incident_overpressure") == "below_fit_range"
                          or row["in_hazard_zones"])
        if in_effects:
            persons_ibd += present
        if in_ring:
            inside["persons"] += present
            if s.kind in ROUTE_KINDS:
                inside["roads"].append(s.id)
                roads.append(s.id)
            elif s.stock_entries:
                inside["storehouses"].append(s.id)
            else:
                inside["buildings"].append(s.id)
        if building["destroyed"]:
            destroyed.append(s.id)
        sites.append({
            "id": s.id, "name": s.name, "kind": s.kind, "distance_m": row["distance_m"],
            "persons": float(s.persons), "presence": presence, "persons_present": present,
            "incident_overpressure_kpa": p, "overpressure_kpa": p,
            "persons_at_risk": present if in_effects else 0.0,
            "incident_impulse_kpa_ms": row["incident_impulse_kpa_ms"],
            "reflected_overpressure_kpa": row["reflected_overpressure_kpa"], "status": row["status"],
            "zone": row["zone"], "zone_name": row["zone_name"], "in_hazard_zones": row["in_hazard_zones"],
            "injury_probability": person_p, "building": building, "in_withdrawal_ring": in_ring,
            "involved_in_step": involved.get(s.id),
        })
    ring_out = dict(ring)
    ring_out["inside"] = inside
    if trigger is None:
        reason, source, delay = ev.reason, CLAUSE, "instant"
    else:
        reason, source = trigger["rule"], trigger["source"]
        delay = "possible" if trigger.get("chosen_by_trainer") else "later"
    step = {
        "step": number,
        "site": unit.site,
        "sites": list(ev.members),  # the storehouses that react together in this step
        "members": list(ev.members),
        "reason": reason,
        "source": source,
        "delay": delay,
        "kinds": list(ev.member_kinds),
        "event": event,
        "event_text": EVENT_TEXT[event],
        "divisions": sorted({c.division for c in unit.cases}),
        "neq_kg": float(sum(c.neq_kg for c in unit.cases)),
        "blast_neq_kg": blast_neq,
        "explosive": explosive,
        "aggregation": ev.reason,
        "trigger": trigger,
        "withdrawal": ring_out,
        "zones": {
            "blast": [{"level": z.level.level, "overpressure_kpa": z.level.overpressure_pa / 1e3,
                       "radius_m": z.radius_m[0], "name": z.level.name, "buildings": z.level.buildings,
                       "people": z.level.people, "source": z.level.source} for z in bzones],
            "hazard": [{"kind": z.kind, "hd": z.hd, "radius_m": z.radius_m, "rule": z.rule, "source": z.source,
                        "basis": z.basis} for z in hzones],
        },
        "buildings": sites,
        "escalation": [],
        "notes": list(hnotes),
        "totals": {
            "buildings_destroyed": destroyed,
            "roads_to_close": roads,
            "persons_in_withdrawal_ring": inside["persons"],
            "persons_in_effect_zones": persons_ibd,
            "expected_persons_affected": expected,
        },
    }
    return step


def _groups_map(groups: Sequence[Sequence[str]]) -> dict[str, tuple[str, ...]]:
    out = {}
    for g in groups:
        for m in g:
            out[m] = tuple(g)
    return out


def run_scenario(depot: Any, start: str, event: str | None = None, follow: Sequence[str] = (),
                 quantity: str = "known", explosive: str = "TNT", sparse: bool = False,
                 rule_set: str = "iatg", strict_follow: bool = True) -> dict[str, Any]:
    """The chain of events from ``start`` (the JSON object of ``depotsafe scenario --json``).

    Parameters
    ----------
    depot : Depot
        The layout (depotsafe.layout.read_layout).
    start : str
        Id of the storehouse where it starts.
    event : {"mass-explosion", "fragments", "fire"}, optional
        The initiating event; default the most severe that the stock allows.
    follow : sequence of str
        Storehouses the trainer decides do go where a later event is
        "possible" (each must be judged possible at some step).
    quantity : {"known", "unknown"}
        Column of Table T.2 for the withdrawal rings.
    """
    from depotsafe.check import check_depot
    from depotsafe.effects.blast import MODEL_SOURCE, get_explosive
    from depotsafe.effects.tables import data_sha256 as effects_sha
    from depotsafe.kinds import kinds
    from depotsafe.rules import load_rule_set

    if quantity not in QUANTITY:
        raise InputError("--quantity", quantity, one_of(QUANTITY))
    exp = get_explosive(explosive, "--explosive")
    ids = [s.id for s in depot.sites]
    if start not in ids:
        raise InputError("--start", start, f"the id of a storehouse of the layout; ids include {', '.join(ids[:10])}")
    table = kinds()
    start_site = depot.site(start)
    if table[start_site.kind].holds_explosives == "no" or not start_site.stock_entries:
        stores = [s.id for s in depot.sites if s.stock_entries]
        raise InputError("--start", start, f"a storehouse holding stock ({start_site.kind} without stock cannot "
                                           f"start a scenario); storehouses: {', '.join(stores[:10]) or 'none'}")
    dropped: list[str] = []
    if not strict_follow:  # a compared layout: follow only what still can
        dropped = [f for f in follow if f not in ids or f == start or not depot.site(f).stock_entries]
        follow = [f for f in follow if f not in dropped]
    for f in follow:
        if f not in ids:
            raise InputError("--follow", f, f"the id of a storehouse of the layout; ids include {', '.join(ids[:10])}")
    rs = load_rule_set(rule_set)
    groups = check_depot(depot, rs, licences=False).groups
    gmap = _groups_map(groups)
    start_unit = _unit(depot, gmap.get(start, (start,)), start)
    fits = events_of(start_unit)
    if event is None:
        if not fits:
            raise InputError("--start", start, "a storehouse whose stock allows an event (HD 1.1-1.5); it holds "
                             + ", ".join(sorted({c.division for c in start_unit.cases})))
        event = fits[0]
    elif event not in EVENTS:
        raise InputError("--event", event, one_of(EVENTS))
    elif event not in fits:
        divs = ", ".join(sorted({c.division for c in start_unit.cases}))
        raise InputError("--event", event, f"an event that fits the stock of {start} (HD {divs}, mixed as AASTP-1 "
                         f"Table 4 says): {', '.join(fits) or 'none'}")
    geo = _geo(depot)
    # every other storehouse, with its group, as a unit that may follow
    units: dict[str, Unit] = {}
    for s in depot.sites:
        if s.id in start_unit.members or not s.stock_entries or s.id in {m for u in units.values() for m in u.members}:
            continue
        u = _unit(depot, gmap.get(s.id, (s.id,)))
        units[u.site] = u
    member_unit = {m: key for key, u in units.items() for m in u.members}
    follow_set = {member_unit.get(f, f) for f in follow}
    for f in follow:
        if f in start_unit.members:
            raise InputError("--follow", f, f"a storehouse outside the starting event ({', '.join(start_unit.members)} "
                             "go at step 1)")
        if f not in member_unit:
            raise InputError("--follow", f, "a storehouse holding stock")
    steps: list[dict[str, Any]] = []
    queue: list[tuple[Unit, str, dict[str, Any] | None]] = [(start_unit, event, None)]
    involved: dict[str, int] = dict.fromkeys(start_unit.members, 1)
    queued: set[str] = set()
    judged_possible: set[str] = set()
    k = 0
    while k < len(queue):
        unit, ev_kind, trigger = queue[k]
        k += 1
        # judgements first (which storehouses survive decides the building rows)
        ev = _step_event(depot, groups, unit)
        judgements: list[dict[str, Any]] = []
        if k > 1:
            judgements.append({"id": start_unit.site, "members": list(start_unit.members),
                               "outcome": "already involved", "step": 1})
        _prefetch_step_faces(depot, geo, unit, [t for key, t in units.items() if key not in queued])
        for key, target in units.items():
            if key in queued:
                judgements.append({"id": key, "members": list(target.members), "outcome": "already involved",
                                   "step": involved[key]})
                continue
            j = judge(depot, geo, rs, unit, ev_kind, ev.footprint, target)
            followed = j["outcome"] == "likely" or (j["outcome"] == "possible" and key in follow_set)
            if followed and not events_of(target):
                followed = False
                j["rule"] += ("; not followed: its stock (HD " + ", ".join(sorted({c.division for c in target.cases}))
                              + ") has no initiating event modelled")
            if j["outcome"] == "possible":
                judged_possible.add(key)
            j = {"id": key, "members": list(target.members), **j, "followed": followed,
                 "chosen_by_trainer": followed and j["outcome"] == "possible"}
            judgements.append(j)
            if followed:
                queued.add(key)
                number = len(queue) + 1
                for m in target.members:
                    involved[m] = number
                trig = {"from_step": k, "from": unit.site, **{x: j[x] for x in j if x not in ("id", "members")}}
                queue.append((target, events_of(target)[0], trig))
        fates = {m: j for j in judgements if j["outcome"] != "already involved" for m in j["members"]}
        step = _step(depot, groups, unit, ev_kind, k, trigger, quantity, exp.name, sparse, involved, fates)
        step["escalation"] = judgements
        steps.append(step)
    never = [f for f in follow if member_unit[f] not in judged_possible]
    if never and not strict_follow:
        dropped += never
        never = []
    if never:
        bad = never[0]
        raise InputError("--follow", bad, "a storehouse that some step judges \"possible\" (the trainer chooses only "
                         "there); judged possible: " + (", ".join(sorted(judged_possible)) or "none"))
    return {
        "scenario": {"start": start, "event": event, "follow": list(follow), "quantity": quantity,
                     "explosive": exp.name, "sparse": sparse, "rule_set": rs.name},
        "steps": steps,
        "totals": _totals(steps),
        "withdrawal": _first_ring(steps[0]),
        "notes": [
            *([Note(FOLLOW_DROPPED_NOTE, sites=", ".join(dropped))] if dropped else []),
            T2_NOTE,
            *CHAIN_NOTES,
        ],
        "provenance": {"model": MODEL_SOURCE, "effects_data_sha256": effects_sha(),
                       "scenario_data_sha256": data_sha256(), "rule_set": rs.name,
                       "rule_data_sha256": rs.sha256, "depotsafe_version": __version__,
                       "input_sha256": depot.input_sha256},
    }


def _step_event(depot: Any, groups: Sequence[Sequence[str]], unit: Unit) -> Any:
    from depotsafe.effects.event import explosion_event

    return explosion_event(depot, unit.site, groups)


def _first_ring(step: Mapping[str, Any]) -> dict[str, Any]:
    """The first response: the first step's withdrawal ring, with the ids of everything inside it."""
    ring = step["withdrawal"]
    inside = ring["inside"]
    return {"distance_m": ring["radius_m"], "rule": ring["printed"], "source": ring["source"],
            "inside": [*inside["buildings"], *inside["roads"], *inside["storehouses"]],
            "persons": inside["persons"]}


def _totals(steps: Sequence[dict[str, Any]]) -> dict[str, Any]:
    destroyed: dict[str, None] = {}
    roads: dict[str, None] = {}
    ring_persons: dict[str, float] = {}
    for st in steps:
        for s in st["buildings"]:
            if s["in_withdrawal_ring"] and s["involved_in_step"] is None:
                ring_persons[s["id"]] = s["persons_present"]
        destroyed.update(dict.fromkeys(st["totals"]["buildings_destroyed"]))
        roads.update(dict.fromkeys(st["totals"]["roads_to_close"]))
    return {
        "steps": len(steps),
        "storehouses_involved": [m for st in steps for m in st["members"]],
        "neq_involved_kg": float(sum(st["neq_kg"] for st in steps)),
        "buildings_destroyed": list(destroyed),
        "roads_to_close": list(roads),
        "persons_in_withdrawal_rings": float(sum(ring_persons.values())),
        "largest_withdrawal_radius_m": max(st["withdrawal"]["radius_m"] for st in steps),
    }


# ----------------------------------------------------------------------------- comparison


def _site_facts(depot: Any) -> dict[str, dict[str, Any]]:
    from depotsafe.effects.zones import event_neq_kg

    out = {}
    for s in depot.sites:
        c = s.geometry.centroid
        lines = _lines_of(s) if s.stock_entries else []
        out[s.id] = {"kind": s.kind, "x": c.x, "y": c.y, "area": s.geometry.area,
                     "front_bearing_deg": s.front_bearing_deg, "door_barricade": bool(s.door_barricade),
                     "neq_kg": float(sum(ln.neq_kg for ln in lines)), "blast_neq_kg": event_neq_kg(lines),
                     "divisions": sorted({ln.hd for ln in lines}), "persons": float(s.persons)}
    return out


def layout_changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """What differs between two layouts, site by site (added, removed, moved, turned, restocked ...)."""
    a, b = _site_facts(before), _site_facts(after)
    out: list[dict[str, Any]] = []
    for sid in a.keys() - b.keys():
        out.append({"id": sid, "change": "removed", "text": f"{sid} ({a[sid]['kind']}) removed"})
    for sid in b.keys() - a.keys():
        out.append({"id": sid, "change": "added", "text": f"{sid} ({b[sid]['kind']}) added"})
    for sid in [s.id for s in after.sites if s.id in a]:
        x, y = a[sid], b[sid]
        if x["kind"] != y["kind"]:
            out.append({"id": sid, "change": "kind", "before": x["kind"], "after": y["kind"],
                        "text": f"{sid}: {x['kind']} -> {y['kind']}"})
        moved = math.hypot(y["x"] - x["x"], y["y"] - x["y"])
        if moved > 0.05 or abs(y["area"] - x["area"]) > 0.05:
            out.append({"id": sid, "change": "moved", "distance_m": moved,
                        "text": f"{sid}: footprint moved {moved:,.1f} m or reshaped"})
        if x["front_bearing_deg"] != y["front_bearing_deg"]:
            out.append({"id": sid, "change": "door turned", "before": x["front_bearing_deg"],
                        "after": y["front_bearing_deg"],
                        "text": f"{sid}: door bearing {x['front_bearing_deg']} -> {y['front_bearing_deg']} deg"})
        if x["door_barricade"] != y["door_barricade"]:
            out.append({"id": sid, "change": "door barricade", "before": x["door_barricade"],
                        "after": y["door_barricade"],
                        "text": f"{sid}: door barricade {'added' if y['door_barricade'] else 'removed'}"})
        if abs(x["neq_kg"] - y["neq_kg"]) > 1e-9 or x["divisions"] != y["divisions"]:
            out.append({"id": sid, "change": "stock", "before_kg": x["neq_kg"], "after_kg": y["neq_kg"],
                        "text": f"{sid}: stock {x['neq_kg']:,.0f} kg (HD {', '.join(x['divisions']) or '-'}) -> "
                                f"{y['neq_kg']:,.0f} kg (HD {', '.join(y['divisions']) or '-'})"})
        if x["persons"] != y["persons"]:
            out.append({"id": sid, "change": "persons", "before": x["persons"], "after": y["persons"],
                        "text": f"{sid}: persons {x['persons']:g} -> {y['persons']:g}"})
    return out


def _judged(result: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per storehouse id: the worst judgement it got in any step (its trigger when it went)."""
    out: dict[str, dict[str, Any]] = {}
    for st in result["steps"]:
        for j in st["escalation"]:
            if j["outcome"] == "already involved":
                continue
            for m in j["members"]:
                if m not in out or _RANK[j["outcome"]] > _RANK[out[m]["outcome"]]:
                    out[m] = {"outcome": j["outcome"], "degree": j.get("degree"), "cell": j.get("cell"),
                              "alternative": j.get("alternative"), "distance_m": j.get("distance_m"),
                              "step": st["step"], "followed": j.get("followed", False)}
    return out


def compare(before: Mapping[str, Any], after: Mapping[str, Any], depot_before: Any,
            depot_after: Any) -> dict[str, Any]:
    """The same scenario on two layouts: what changed in the layout and in the chain, and why."""
    inv_a = [m for st in before["steps"] for m in st["members"]]
    inv_b = [m for st in after["steps"] for m in st["members"]]
    ja, jb = _judged(before), _judged(after)
    judgements = []
    for sid in dict.fromkeys([*ja, *jb]):
        x, y = ja.get(sid), jb.get(sid)
        if x is not None and y is not None and (x["outcome"], x["degree"], x["cell"]) == \
                (y["outcome"], y["degree"], y["cell"]):
            continue
        why = []
        if x is None or y is None:
            why.append("not a separate storehouse in " + ("the first" if x is None else "the second") + " layout")
        else:
            if x["cell"] != y["cell"]:
                why.append(f"the cell that applies changed: {x['cell']} -> {y['cell']}")
            if x["degree"] != y["degree"]:
                why.append(f"degree of protection {x['degree']} ({x['alternative']} met at "
                           f"{x['distance_m']:,.1f} m) -> {y['degree']} ({y['alternative']} met at "
                           f"{y['distance_m']:,.1f} m)")
        judgements.append({"id": sid, "before": x, "after": y, "why": "; ".join(why)})
    keys = ("buildings_destroyed", "roads_to_close", "persons_in_withdrawal_rings", "largest_withdrawal_radius_m",
            "neq_involved_kg", "steps")
    return {
        "layout_changes": layout_changes(depot_before, depot_after),
        "storehouses": {"before": inv_a, "after": inv_b,
                        "no_longer_involved": [m for m in inv_a if m not in inv_b],
                        "newly_involved": [m for m in inv_b if m not in inv_a]},
        "judgements": judgements,
        "totals": {k: {"before": before["totals"][k], "after": after["totals"][k]} for k in keys},
    }


# ----------------------------------------------------------------------------- scenario files

FORMAT = "depotsafe-scenario"
FORMAT_VERSION = 1
_FILE_KEYS = ("format", "version", "title", "layout", "start", "event", "follow", "quantity", "explosive",
              "sparse", "questions", "notes")


def scenario_document(layout: Mapping[str, Any], start: str, event: str | None = None, follow: Sequence[str] = (),
                      quantity: str = "known", explosive: str = "TNT", sparse: bool = False, title: str = "",
                      questions: Sequence[Mapping[str, Any]] = (), notes: str = "") -> dict[str, Any]:
    """A scenario file (docs/cli.md "Scenario files"): the layout embedded, so it opens offline."""
    return {"format": FORMAT, "version": FORMAT_VERSION, "title": title, "layout": dict(layout), "start": start,
            "event": event, "follow": list(follow), "quantity": quantity, "explosive": explosive,
            "sparse": bool(sparse), "questions": [dict(q) for q in questions], "notes": notes}


def read_scenario(raw: bytes | str, field: str = "--load") -> dict[str, Any]:
    """Read and check a scenario file; every problem names the key, the value and what is allowed."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(field, "the file", f"a JSON scenario file ({exc})") from None
    if not isinstance(doc, dict):
        raise InputError(field, type(doc).__name__, "a JSON object")
    if doc.get("format") != FORMAT:
        raise InputError(f"{field} format", doc.get("format"), f"\"{FORMAT}\"")
    if doc.get("version") != FORMAT_VERSION:
        raise InputError(f"{field} version", doc.get("version"), f"{FORMAT_VERSION}")
    extra = sorted(set(doc) - set(_FILE_KEYS))
    if extra:
        raise InputError(f"{field} key", extra[0], one_of(_FILE_KEYS))
    if not isinstance(doc.get("layout"), dict):
        raise InputError(f"{field} layout", type(doc.get("layout")).__name__, "the layout GeoJSON object")
    if not isinstance(doc.get("start"), str):
        raise InputError(f"{field} start", doc.get("start"), "the id of the storehouse where it starts")
    ev = doc.get("event")
    if ev is not None and ev not in EVENTS:
        raise InputError(f"{field} event", ev, one_of([*EVENTS, "null"]))
    follow = doc.get("follow", [])
    if not (isinstance(follow, list) and all(isinstance(f, str) for f in follow)):
        raise InputError(f"{field} follow", follow, "a list of storehouse ids")
    if doc.get("quantity", "known") not in QUANTITY:
        raise InputError(f"{field} quantity", doc.get("quantity"), one_of(QUANTITY))
    if not isinstance(doc.get("explosive", "TNT"), str):
        raise InputError(f"{field} explosive", doc.get("explosive"), "an explosive name, e.g. TNT")
    if not isinstance(doc.get("sparse", False), bool):
        raise InputError(f"{field} sparse", doc.get("sparse"), "true or false")
    qs = doc.get("questions", [])
    if not isinstance(qs, list):
        raise InputError(f"{field} questions", qs, "a list of {\"step\": N, \"text\": \"...\"}")
    for i, q in enumerate(qs):
        if not (isinstance(q, dict) and isinstance(q.get("step"), int) and not isinstance(q.get("step"), bool)
                and q["step"] >= 1 and isinstance(q.get("text"), str)):
            raise InputError(f"{field} questions[{i}]", q, "{\"step\": N (>= 1), \"text\": \"...\"}")
    for key in ("title", "notes"):
        if not isinstance(doc.get(key, ""), str):
            raise InputError(f"{field} {key}", doc.get(key), "text")
    return {"title": doc.get("title", ""), "layout": doc["layout"], "start": doc["start"], "event": ev,
            "follow": follow, "quantity": doc.get("quantity", "known"), "explosive": doc.get("explosive", "TNT"),
            "sparse": doc.get("sparse", False), "questions": qs, "notes": doc.get("notes", "")}


__all__ = ["EVENTS", "FORMAT", "OUTCOMES", "compare", "events_of", "judge", "layout_changes", "read_scenario",
           "run_scenario",
           "scenario_document", "withdrawal_distance"]
