"""Quantified explosion risk over a depot and its neighbours (IATG 02.10; issue 10).

The risk equation: for an exposed site s and an explosive event e (an
aggregation group exploding as one, standards.md decision 14),

    individual risk   IR_s = sum_e Pe_e x P(f | e, s) x presence_s
    deaths of event e  N_e = sum_s persons_s x presence_s x P(f | e, s)
    expected deaths    EF  = sum_e Pe_e x N_e
    F-N curve          F(N) = sum of Pe_e over the events with N_e >= N  (exact step function)

Presence counts once.  P(f | e, s) = 1 - prod_m (1 - P_m) over the mechanisms
that apply to the receptor (data/risk/probits.csv, "combination"):

- outdoors: lung haemorrhage (Eisenberg), head impact (TNO), fragment hit, heat;
- indoors, conventional building: structural collapse (TNO), lung, fragment hit
  (no indoor shielding: none sourced, conservative);
- indoors, hardened building: lung, fragment hit (the TNO collapse probit is
  for ordinary buildings only);
- glass: no probit exists in the sources read; not modelled (said in the answer).

Blast is Kingery-Bulmash (depotsafe.effects.blast) and the probits are
data/effects/probits.csv (depotsafe.effects.injury): the effects depotsafe
already computes.  Outcomes by the hazard divisions of the group's mixed stock
(depotsafe.explosives.mix_divisions, AASTP-1 1.2.3/1.3.2.5): see
:func:`event_outcome`.  Every default and model assumption used is returned in
``assumptions`` with its source and confidence.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from depotsafe import __version__
from depotsafe.effects import hazards
from depotsafe.effects.blast import quantity_si
from depotsafe.effects.injury import probability, probit_to_probability
from depotsafe.effects.tables import fragments_thermal, kb_fits, probits
from depotsafe.errors import InputError, RuleDataError, one_of
from depotsafe.explosives import mix_divisions, parse_stock_entry
from depotsafe.kinds import kinds
from depotsafe.layout import Depot, Site
from depotsafe.messages import Note, Verbatim

REGIMES = ("uk-hse", "fr-2011", "nl")
_CRITERIA_REGIME = {"uk-hse": "uk-hse", "fr-2011": "fr-2011", "nl": "nl-bevi"}
RECEPTORS = ("outdoors", "indoors_conventional", "indoors_hardened")
BUILDING_TYPES = ("conventional", "hardened")
POPULATIONS = ("public", "worker")
NL_CATEGORIES = ("vulnerable", "less_vulnerable", "none")
BUILDING_KINDS = frozenset({"inhabited_building", "vulnerable_building", "workshop",
                            "workshop_barricaded", "workshop_roof_barricaded"})
ROUTE_KINDS = frozenset({"public_traffic_route"})
#: Lethality contour levels (HSE SRAG criterion 3.5: 100, 50, 10 and 1 %).
CONTOUR_LEVELS = ("100", "50", "10", "1")
DEFAULT_PE_CLASS = "fr-2011:P1"
_LUNG = "lung_haemorrhage_eisenberg"
_HEAD = "head_impact"
_COLLAPSE = "structural_collapse"
_THERMAL = "thermal_eisenberg"


# ----------------------------------------------------------------------------- data


def _read(name: str) -> str:
    return resources.files("depotsafe.data").joinpath("risk").joinpath(name).read_text(encoding="utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in _read(name).splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def data_sha256() -> str:
    """SHA-256 over the risk data files used (data/risk/*.csv), for provenance."""
    digest = hashlib.sha256()
    for name in ("event_probabilities.csv", "presence.csv", "criteria.csv", "risk_model.csv"):
        digest.update(name.encode())
        digest.update(_read(name).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class PeClass:
    """A named annual event probability: a band's upper bound or a storage-type default."""

    key: str  # "fr-2011:P1", "amrisk:steel_container", "fr-2005:D"
    value: float  # per year (base value for NEQ-dependent defaults)
    neq_coeff_per_kg: float
    meaning: str
    source: str
    confidence: str


@cache
def event_probability_classes() -> dict[str, PeClass]:
    """Named classes from data/risk/event_probabilities.csv, by lower-case key.

    Bands (FR-2011 P1-P4, FR-2005 D-A) give their UPPER bound (conservative);
    bands without one (P5, A) and classes without a number are not offered.
    Storage-type defaults (NO-AMRISK) give base + coefficient x NEQ.
    """
    schemes = {"FR-2011-P": "fr-2011", "FR-2005": "fr-2005", "NO-AMRISK": "amrisk"}
    out: dict[str, PeClass] = {}
    for r in _rows("event_probabilities.csv"):
        prefix = schemes.get(r["scheme"])
        if prefix is None:
            continue
        if r["kind"] == "band" and r["p_high"]:
            value, coeff = float(r["p_high"]), 0.0
            meaning = f"{r['scheme']} class {r['class']} ({r['p_low'] or 0} < P <= {r['p_high']}/yr), its upper bound"
        elif r["kind"] == "default" and r["p_value"]:
            value, coeff = float(r["p_value"]), float(r["neq_coeff_per_kg"] or 0.0)
            meaning = f"{r['definition']}: Pe = {r['p_value']} + {r['neq_coeff_per_kg'] or 0} x NEQ[kg] per year"
        else:
            continue
        if r["kind"] == "band" and r["scheme"] == "FR-2011-P":
            meaning += "; 2011 clearance-site classes, by analogy for a depot"
        if not (0 < value <= 1) or r["confidence"] not in ("P", "S", "C", "U"):
            raise RuleDataError(f"event_probabilities.csv: {r['scheme']} {r['class']}: bad value or confidence")
        key = f"{prefix}:{r['class']}"
        out[key.lower()] = PeClass(key, value, coeff, meaning,
                                   f"{r['source']}, {r['clause']}", r["confidence"])
    return out


@cache
def presence_weights() -> dict[str, float]:
    """Share of the week of each period (AMRISK situations, data/risk/presence.csv) [S]."""
    w = {r["period"]: float(r["week_fraction"]) for r in _rows("presence.csv")
         if r["scheme"] == "amrisk" and r["item"] == "situation"}
    if set(w) != {"night", "day", "evening", "weekend"} or abs(sum(w.values()) - 1.0) > 1e-3:
        raise RuleDataError(f"presence.csv: AMRISK situations {w} must be the four periods summing to 1")
    return w


@dataclass(frozen=True)
class Param:
    name: str
    value: float
    unit: str
    meaning: str
    source: str
    confidence: str


@cache
def model_parameters() -> dict[str, Param]:
    """data/risk/risk_model.csv, by parameter."""
    out = {r["parameter"]: Param(r["parameter"], float(r["value"]), r["unit"], r["meaning"], r["source"],
                                 r["confidence"]) for r in _rows("risk_model.csv")}
    need = {"person_area_m2", "fragment_spread_exponent", "fragment_fatal_given_hit", "cutoff_probability",
            "thermal_energy_at_d4_j_m2", "thermal_exposure_s", "lethality_100_percent"}
    if not need <= set(out):
        raise RuleDataError(f"risk_model.csv: missing {sorted(need - set(out))}")
    return out


@dataclass(frozen=True)
class Criterion:
    regime: str
    criterion_id: str
    population: str
    category: str
    metric: str
    value: float | None
    comparison: str
    n_min: float | None
    slope: float | None
    status: str
    meaning: str
    source: str
    confidence: str

    @property
    def fails_when_exceeded(self) -> bool:
        """A limit (exceeding it is intolerable / not admissible / not allowed), not a guide."""
        return any(w in self.comparison for w in ("intolerable", "not admissible", "not allowed"))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.criterion_id, "metric": self.metric, "value": self.value,
                "comparison": self.comparison, "status": self.status, "meaning": self.meaning,
                "source": self.source, "confidence": self.confidence,
                **({"n_min": self.n_min} if self.n_min is not None else {}),
                **({"slope": self.slope} if self.slope is not None else {})}


@cache
def criteria(regime: str) -> dict[str, Criterion]:
    """The criteria of one regime (data/risk/criteria.csv), by criterion_id."""
    if regime not in REGIMES:
        raise InputError("--criteria", regime, one_of(REGIMES))
    want = _CRITERIA_REGIME[regime]
    out = {}
    for r in _rows("criteria.csv"):
        if r["regime"] != want:
            continue
        out[r["criterion_id"]] = Criterion(
            r["regime"], r["criterion_id"], r["population"], r["exposed_category"], r["metric"],
            float(r["value"]) if r["value"] else None, r["comparison"],
            float(r["n_min"]) if r["n_min"] else None, float(r["slope"]) if r["slope"] else None,
            r["status"], r["meaning"], f"{r['source']}, {r['clause']}", r["confidence"])
    return out


# ----------------------------------------------------------------------------- inputs


def _props(site: Site) -> Mapping[str, Any]:
    props = getattr(site, "properties", None)
    if props is None:
        props = getattr(site, "props", None)
    return props or {}


def _field(site: Site, name: str) -> str:
    return f"feature {site.id!r}: {name}"


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _assumption(item: str, value: Any, source: str, confidence: str, note: str = "") -> dict[str, Any]:
    out = {"item": item, "value": value, "source": source, "confidence": confidence}
    if note:
        out["note"] = note
    return out


def storehouse_event_probability(site: Site, neq_kg: float) -> tuple[float, dict[str, Any]]:
    """Annual event probability of one storehouse, and the assumption entry that says where it came from.

    ``event_probability`` is a number in (0, 1] per year, or a class name of
    :func:`event_probability_classes` (``"fr-2011:P1"``, ``"amrisk:steel_container"``,
    ``"fr-2005:D"``; the part after the colon alone when unique).  Missing:
    the FR-2011 P1 upper bound, 1e-4/yr (dormant storage of packaged stock,
    2011 annexe II point 4 [P], by analogy).  An unverified [U] class is only
    ever used because the user named it, and the entry says so.
    """
    classes = event_probability_classes()
    raw = _props(site).get("event_probability")
    allowed = ("a number in (0, 1] per year, or a class: " + ", ".join(c.key for c in classes.values()))
    if raw is None:
        c = classes[DEFAULT_PE_CLASS.lower()]
        return c.value, _assumption(f"{site.id}.event_probability", c.value,
                                    c.source, c.confidence,
                                    f"default (not given in the layout): {c.meaning}")
    if _is_num(raw):
        if not 0 < raw <= 1:
            raise InputError(_field(site, "event_probability"), raw, allowed)
        return float(raw), _assumption(f"{site.id}.event_probability", float(raw), "given in the layout", "user")
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(_field(site, "event_probability"), raw, allowed)
    key = raw.strip().lower()
    found = classes.get(key)
    if found is None and ":" not in key:
        hits = [c for k, c in classes.items() if k.split(":", 1)[1] == key]
        found = hits[0] if len(hits) == 1 else None
    if found is None:
        raise InputError(_field(site, "event_probability"), raw, allowed)
    value = found.value + found.neq_coeff_per_kg * neq_kg
    note = f"class {found.key} named in the layout: {found.meaning}"
    if found.confidence == "U":
        note += "; UNVERIFIED [U] value, used only because the layout names it"
    return min(value, 1.0), _assumption(f"{site.id}.event_probability", min(value, 1.0), found.source,
                                        found.confidence, note)


@dataclass(frozen=True)
class Exposure:
    """An exposed site as the risk model sees it."""

    id: str
    kind: str
    geometry: BaseGeometry
    persons: float
    presence: float
    presence_given: Any
    indoors: bool
    building_type: str
    population: str
    fr_category: str
    nl_category: str

    @property
    def receptor(self) -> str:
        if not self.indoors:
            return "outdoors"
        return "indoors_hardened" if self.building_type == "hardened" else "indoors_conventional"


def presence_fraction(value: Any, where: str) -> float:
    """Presence as a fraction of the time: a number in [0, 1] or per period of the week.

    Per period: ``{"night": .., "day": .., "evening": .., "weekend": ..}`` each in
    [0, 1], weighted by the AMRISK shares of the week (data/risk/presence.csv [S]).
    """
    w = presence_weights()
    allowed = ("a fraction in [0, 1], or an object with the fractions of the periods "
               + ", ".join(f"{k} (share of the week {v})" for k, v in w.items()))
    if _is_num(value):
        if not 0 <= value <= 1:
            raise InputError(where, value, allowed)
        return float(value)
    if isinstance(value, Mapping):
        if set(value) != set(w):
            raise InputError(where, dict(value), allowed)
        for k, v in value.items():
            if not (_is_num(v) and 0 <= v <= 1):
                raise InputError(f"{where}.{k}", v, "a fraction in [0, 1]")
        return math.fsum(w[k] * float(value[k]) for k in w)
    raise InputError(where, value, allowed)


def site_exposure(site: Site) -> Exposure:
    """Read and check the risk properties of an exposed site (defaults by kind)."""
    props = _props(site)
    presence_raw = props.get("presence", 1.0)
    presence = presence_fraction(presence_raw, _field(site, "presence"))
    building = site.kind in BUILDING_KINDS
    indoors = props.get("indoors", building)
    if not isinstance(indoors, bool):
        raise InputError(_field(site, "indoors"), indoors, "true or false")
    btype = props.get("building_type", "conventional")
    if btype not in BUILDING_TYPES:
        raise InputError(_field(site, "building_type"), btype, one_of(BUILDING_TYPES))
    default_pop = "public" if site.kind in ("inhabited_building", "vulnerable_building") or site.kind in ROUTE_KINDS \
        else "worker"
    population = props.get("population", default_pop)
    if population not in POPULATIONS:
        raise InputError(_field(site, "population"), population, one_of(POPULATIONS))
    fr_default = {"vulnerable_building": "a5", "inhabited_building": "a4", "public_traffic_route": "b3"}.get(
        site.kind, "t3")
    fr_ids = {c.category for c in criteria("fr-2011").values() if c.metric == "annual_risk"}
    fr_cat = props.get("fr_category", fr_default)
    if fr_cat not in fr_ids:
        raise InputError(_field(site, "fr_category"), fr_cat, one_of(sorted(fr_ids)))
    nl_default = ("vulnerable" if site.kind in ("inhabited_building", "vulnerable_building")
                  else "none" if site.kind in ROUTE_KINDS else "less_vulnerable")
    nl_cat = props.get("nl_category", nl_default)
    if nl_cat not in NL_CATEGORIES:
        raise InputError(_field(site, "nl_category"), nl_cat, one_of(NL_CATEGORIES))
    return Exposure(site.id, site.kind, site.geometry, float(site.persons), presence, presence_raw,
                    indoors, btype, population, fr_cat, nl_cat)


# ----------------------------------------------------------------------------- events


@dataclass
class Event:
    """One explosive event: an aggregation group (or a single storehouse) reacting as one.

    Attributes
    ----------
    label : str
        Member ids joined with "+".
    blast_neq_kg : float
        NEQ of the mass explosion (TNT) [kg]; 0 = no blast.
    fragment_distance_m : float
        Distance at which the hazardous-fragment density is 1/56 m^2 (AASTP-1); 0 = none.
    thermal_d4_m : float
        HD 1.3 distance D4 where the radiant energy is the AASTP-1 criterion; 0 = none.
    """

    label: str
    members: list[str]
    kind: str
    geometry: BaseGeometry
    pe: float
    neq_total_kg: float
    outcome: str
    reason: str
    blast_neq_kg: float = 0.0
    fragment_distance_m: float = 0.0
    thermal_d4_m: float = 0.0
    divisions: list[str] = field(default_factory=list)

    @property
    def ln_w13(self) -> float:
        return math.log(self.blast_neq_kg) / 3.0 if self.blast_neq_kg > 0 else 0.0


#: Why an event has its outcome, one reason per case of the mixed stock (each a msgid: depotsafe.messages.Note,
#: said in the user's language by the command line and the app); several reasons are joined by REASON_AND.
REASON_HD11 = ("HD 1.1 case of the mixed stock (AASTP-1 Table 4, 1.3.2.5): mass explosion, blast (Kingery-Bulmash) "
               "and HD 1.1 fragments (AASTP-1 1.3.1.15b, 1.3.7.3d)")
REASON_HD12 = "HD {sub}: fragments only, anchored at AASTP-1 Table 2 ({rule})"
REASON_HD13 = "HD 1.3: mass fire, heat anchored at D4 ({rule})"
REASON_HD16 = ("HD 1.6: blast of one munition (largest unit NEQ) and fire of the whole stock as HD 1.3 "
               "(AASTP-1 1.3.8, Table 4)")
REASON_HD14 = "HD 1.4 only: no significant hazard outside the site (AASTP-1 1.2.1.2)"
REASON_AND = "{first}; {then}"
REASON_TEMPLATES = (REASON_HD11, REASON_HD12, REASON_HD13, REASON_HD16, REASON_HD14, REASON_AND)


def _joined(reasons: Sequence[str]) -> str:
    """The reasons as one text: "; ".join(reasons) in English, a Note of REASON_AND per join."""
    text = reasons[0]
    for then in reasons[1:]:
        text = Note(REASON_AND, first=text, then=then)
    return text


def event_outcome(lines: Sequence[Any], member_kinds: Sequence[str]) -> dict[str, Any]:
    """Outcome of an event from the mixed stock of its group.

    By the QD cases of depotsafe.explosives.mix_divisions (AASTP-1 Table 4 and
    1.3.2.5: any HD 1.1 or 1.5, and the mixes it takes as 1.1, give a 1.1 case):

    - a 1.1 case: mass explosion of that NEQ ("the whole load reacts virtually
      at once", AASTP-1 1.2.1.2): blast and HD 1.1 fragments;
    - otherwise 1.2.x: fragments only ("a few at a time", 1.2.1.2), anchored
      at the Table 2 distance;
    - 1.3: mass fire: heat (thermal dose) anchored at D4;
    - 1.6: blast of ONE munition (the largest unit NEQ) plus the fire of the
      whole stock as 1.3 (AASTP-1 1.3.8, Table 4);
    - 1.4 only: no effect outside the site (1.2.1.2): no event.
    """
    mix = mix_divisions(list(lines))
    cases = {c.division: c for c in mix.cases}
    out: dict[str, Any] = {"blast_neq_kg": 0.0, "fragment_distance_m": 0.0, "thermal_d4_m": 0.0,
                           "divisions": sorted(cases)}
    reasons = []
    if "1.1" in cases:
        w = cases["1.1"].neq_kg
        out["blast_neq_kg"] = w
        kinds_ok = [k for k in member_kinds if k in hazards.PROTECTED_KINDS | hazards.OPEN_KINDS]
        out["fragment_distance_m"] = max(hazards.hd11_fragment_zone(w, k).radius_m for k in kinds_ok) \
            if kinds_ok else hazards.hd11_fragment_zone(w, "unbarricaded_stack").radius_m
        out["outcome"] = "mass_explosion"
        return {**out, "reason": REASON_HD11}
    parts = []
    for sub in ("1.2.1", "1.2.2"):
        if sub in cases:
            z = hazards.hd12_fragment_zone(cases[sub].neq_kg, sub)
            out["fragment_distance_m"] = max(out["fragment_distance_m"], z.radius_m)
            parts.append("fragments")
            reasons.append(Note(REASON_HD12, sub=Verbatim(sub), rule=Verbatim(z.rule)))
    if "1.3" in cases:
        z = hazards.hd13_thermal_zone(cases["1.3"].neq_kg, member_kinds[0],
                                      propellant="3A" in cases["1.3"].hd13_tables)
        out["thermal_d4_m"] = z.radius_m
        parts.append("fire")
        reasons.append(Note(REASON_HD13, rule=Verbatim(z.rule)))
    if "1.6" in cases:
        c = cases["1.6"]
        out["blast_neq_kg"] = float(c.unit_neq_kg or 0.0)
        z = hazards.hd13_thermal_zone(c.neq_kg, member_kinds[0], propellant=False)
        out["thermal_d4_m"] = max(out["thermal_d4_m"], z.radius_m)
        parts.append("single-munition blast and fire")
        reasons.append(REASON_HD16)
    if not parts:
        out["outcome"] = "none"
        reasons.append(REASON_HD14)
    else:
        out["outcome"] = "+".join(dict.fromkeys(parts))
    return {**out, "reason": _joined(reasons)}


def _without_sources(depot: Depot) -> Depot:
    """The depot with the stock-CSV "source" (file and row) taken out of its stock entries.

    Stock-CSV lines carry "source", which the stock parser refuses as a field.
    """
    import dataclasses

    return dataclasses.replace(depot, sites=tuple(
        dataclasses.replace(s, stock_entries=tuple({k: v for k, v in e.items() if k != "source"}
                                                   for e in s.stock_entries))
        for s in depot.sites))


def check_of(depot: Depot, licences: bool = True) -> Any:
    """depotsafe.check.check_depot(depot) (the default rule set), through its public function."""
    from depotsafe.check import check_depot

    return check_depot(_without_sources(depot), licences=licences)


def groups_of(depot: Depot) -> list[list[str]]:
    """Aggregation groups (several members) from depotsafe.check.check_depot(depot).groups."""
    return [list(g) for g in check_of(depot, licences=False).groups]


def _event_of(depot: Depot, members: Sequence[str], scale: float = 1.0) -> tuple[Event | None, list[dict]]:
    """The event of one group (or one storehouse), its stock lines scaled by ``scale`` (1: as held).

    Scaling keeps the mix of every line (so the outcome is the same) and is
    applied before the event probability (a default that grows with NEQ sees
    the smaller stock).  None when nothing in it gives an event.
    """
    import dataclasses

    sites = [depot.site(m) for m in members]
    lines = []
    assumptions: list[dict] = []
    pe_survive = 1.0
    for s in sites:
        # a stock-CSV line carries "source" (its file and row), which is not a stock field
        own = [parse_stock_entry({k2: v for k2, v in e.items() if k2 != "source"}, f"{s.id}.stock[{k}]")
               for k, e in enumerate(s.stock_entries)]
        if scale != 1.0:
            own = [dataclasses.replace(ln, neq_kg=ln.neq_kg * scale) for ln in own]
            own = [ln for ln in own if ln.neq_kg > 0]
        lines.extend(own)
        pe, entry = storehouse_event_probability(s, math.fsum(ln.neq_kg for ln in own))
        assumptions.append(entry)
        pe_survive *= 1.0 - pe
    if not lines:
        return None, assumptions
    out = event_outcome(lines, [s.kind for s in sites])
    geom = shapely.union_all([s.geometry for s in sites])
    return Event(
        label="+".join(members), members=list(members), kind=sites[0].kind, geometry=geom,
        pe=1.0 - pe_survive, neq_total_kg=math.fsum(ln.neq_kg for ln in lines), outcome=out["outcome"],
        reason=out["reason"], blast_neq_kg=out["blast_neq_kg"],
        fragment_distance_m=out["fragment_distance_m"], thermal_d4_m=out["thermal_d4_m"],
        divisions=out["divisions"]), assumptions


def build_events(depot: Depot, groups: Sequence[Sequence[str]] | None = None) -> tuple[list[Event], list[dict]]:
    """One event per aggregation group and per storehouse with stock outside any group."""
    if groups is None:
        groups = groups_of(depot)
    assumptions: list[dict] = []
    stocked = [s for s in depot.sites if s.stock_entries]
    in_group = {m for g in groups for m in g}
    units = [list(g) for g in groups] + [[s.id] for s in stocked if s.id not in in_group]
    events = []
    for members in units:
        ev, entries = _event_of(depot, members)
        assumptions.extend(entries)
        if ev is not None:
            events.append(ev)
    return events, assumptions


# ----------------------------------------------------------------------------- P(f | e)


def combine(probabilities: Sequence[float]) -> float:
    """P = 1 - prod(1 - P_m): independent mechanisms (FFI-2007 for blast; extended [C])."""
    surv = 1.0
    for p in probabilities:
        if not (0.0 <= p <= 1.0):
            raise InputError("mechanism probability", p, "a probability in [0, 1]")
        surv *= 1.0 - p
    return 1.0 - surv


def blast_range_m(blast_neq_kg: float) -> float:
    """Distance beyond which no blast mechanism is counted: the end of the shorter K-B fit [m]."""
    if blast_neq_kg <= 0:
        return 0.0
    fits = kb_fits()
    z = min(fits["incident_overpressure"].z_hi, fits["incident_impulse"].z_hi)
    return z * math.exp(math.log(blast_neq_kg) / 3.0)


#: Outdoor blast mechanisms (lung, head impact) are evaluated out to the largest
#: distance where their combined probability is at least this; beyond it 1 - P
#: rounds to 1 in float64 (half an ulp of 1 is 1.1e-16), so cutting there
#: changes no result.  It spares the grid kernel the blast fits where they
#: cannot matter.
BLAST_NEGLIGIBLE = 1e-17
_SCAN = 20001


@cache
def blast_outdoor_range_m(blast_neq_kg: float) -> float:
    """Distance [m] beyond which the outdoor blast mechanisms are below BLAST_NEGLIGIBLE (whole fit scanned)."""
    r_fit = blast_range_m(blast_neq_kg)
    if r_fit <= 0:
        return 0.0
    fits = kb_fits()
    z_lo = max(fits["incident_overpressure"].z_lo, fits["incident_impulse"].z_lo)
    w13 = math.exp(math.log(blast_neq_kg) / 3.0)
    from depotsafe.kernels import risk as _k

    ds = np.geomspace(z_lo * w13, r_fit, _SCAN)
    ds[-1] = r_fit
    pf = np.empty(_SCAN)
    t = kernel_tables()
    _k.blast_scan(ds, math.log(blast_neq_kg) / 3.0, t["ln_zlo_p"], t["ln_zmax_p"], t["coef_p"],
                  t["ln_zlo_i"], t["ln_zmax_i"], t["coef_i"], t["probit"], pf)
    hits = np.flatnonzero(pf >= BLAST_NEGLIGIBLE)
    last = int(hits[-1]) if hits.size else -1
    if last == _SCAN - 1:
        return r_fit
    return float(ds[last + 1]) if last >= 0 else float(ds[0])


def fragment_cutoff_m(anchor_m: float) -> float:
    """Distance at which the modelled hit probability falls to the cutoff probability [m]."""
    if anchor_m <= 0:
        return 0.0
    par = model_parameters()
    q0 = 1.0 / fragments_thermal()["hazardous_fragment"]["area_per_fragment_m2"]
    need = -math.log(1.0 - par["cutoff_probability"].value) / (q0 * par["person_area_m2"].value)
    return anchor_m * need ** (-1.0 / par["fragment_spread_exponent"].value)


def thermal_cutoff_m(d4_m: float) -> float:
    """Distance at which the thermal probit falls to the cutoff probability [m]."""
    if d4_m <= 0:
        return 0.0
    par = model_parameters()
    m = probits()[_THERMAL]
    y = 5.0 + _norm_ppf(par["cutoff_probability"].value)
    dose = math.exp((y - m.a) / m.b) / m.scale
    t = par["thermal_exposure_s"].value
    energy = t * (dose / t) ** 0.75
    return d4_m * math.sqrt(par["thermal_energy_at_d4_j_m2"].value / energy)


def _norm_ppf(p: float) -> float:
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if probit_to_probability(mid + 5.0) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def last_effect_distance_m(ev: Event) -> float:
    """Beyond this distance from the footprint every mechanism of the event is 0 for a person outdoors [m].

    (Indoors, the TNO collapse probit is evaluated over the whole Kingery-Bulmash range.)
    """
    return max(blast_outdoor_range_m(ev.blast_neq_kg), fragment_cutoff_m(ev.fragment_distance_m),
               thermal_cutoff_m(ev.thermal_d4_m))


def mechanisms(ev: Event, distance_m: float, receptor: str = "outdoors") -> dict[str, float]:
    """P of each fatality mechanism of event ``ev`` at ``distance_m`` from its footprint.

    A distance closer than the Kingery-Bulmash fit's lower limit (or 0) is
    certain death (``"inside_fit_minimum": 1``).
    """
    if receptor not in RECEPTORS:
        raise InputError("receptor", receptor, one_of(RECEPTORS))
    par = model_parameters()
    out: dict[str, float] = {}
    d = float(distance_m)
    if ev.blast_neq_kg > 0 and d <= blast_range_m(ev.blast_neq_kg):
        if d <= 0:
            return {"inside_fit_minimum": 1.0}
        near = d <= blast_outdoor_range_m(ev.blast_neq_kg)
        if near or receptor == "indoors_conventional":
            p, sp, _ = quantity_si("incident_overpressure", ev.blast_neq_kg, d)
            i, si, _ = quantity_si("incident_impulse", ev.blast_neq_kg, d)
            if sp == 1 or si == 1:
                return {"inside_fit_minimum": 1.0}
            if p is not None and i is not None:
                if near:
                    out[_LUNG] = probability(_LUNG, p)
                    if receptor == "outdoors":
                        out[_HEAD] = probability(_HEAD, p, i)
                if receptor == "indoors_conventional":
                    out[_COLLAPSE] = probability(_COLLAPSE, p, i)
    if ev.fragment_distance_m > 0 and d <= fragment_cutoff_m(ev.fragment_distance_m):
        if d <= 0:
            return {"inside_fit_minimum": 1.0}
        q0 = 1.0 / fragments_thermal()["hazardous_fragment"]["area_per_fragment_m2"]
        q = q0 * (ev.fragment_distance_m / d) ** par["fragment_spread_exponent"].value
        out["fragment_hit"] = (1.0 - math.exp(-q * par["person_area_m2"].value)) \
            * par["fragment_fatal_given_hit"].value
    if ev.thermal_d4_m > 0 and d <= thermal_cutoff_m(ev.thermal_d4_m) and receptor == "outdoors":
        if d <= 0:
            return {"inside_fit_minimum": 1.0}
        energy = par["thermal_energy_at_d4_j_m2"].value * (ev.thermal_d4_m / d) ** 2
        t = par["thermal_exposure_s"].value
        out["thermal"] = probability(_THERMAL, dose=t * (energy / t) ** (4.0 / 3.0))
    return out


def fatality_probability(ev: Event, distance_m: float, receptor: str = "outdoors") -> float:
    """P(fatality | event) at ``distance_m`` from the event footprint, mechanisms combined."""
    return combine(list(mechanisms(ev, distance_m, receptor).values()))


# ----------------------------------------------------------------------------- societal risk


def fn_curve(deaths: Sequence[float], frequencies: Sequence[float]) -> list[dict[str, float]]:
    """The exact F-N curve of an event list: one point per distinct N_e > 0.

    F(N) = sum of the frequencies of the events with N_e >= N.  Between two
    points F is constant: for N in (n_prev, n], F(N) = f at n (a step
    function, never smoothed).  Sorted by increasing n.
    """
    pairs = [(float(n), float(f)) for n, f in zip(deaths, frequencies, strict=True) if n > 0 and f > 0]
    ns = sorted({n for n, _ in pairs})
    return [{"n": n, "f_per_year": math.fsum(f for m, f in pairs if m >= n)} for n in ns]


def f_at(curve: Sequence[Mapping[str, float]], n: float) -> float:
    """F(N) of a step curve from :func:`fn_curve` (0 beyond its last point)."""
    for pt in curve:
        if pt["n"] >= n:
            return float(pt["f_per_year"])
    return 0.0


def expected_fatalities(deaths: Sequence[float], frequencies: Sequence[float]) -> float:
    """EF = sum_e Pe_e x N_e [deaths per year]."""
    return math.fsum(n * f for n, f in zip(deaths, frequencies, strict=True))


# ----------------------------------------------------------------------------- criteria


def _num(value: float | None, c: Criterion) -> float:
    if value is None:
        raise RuleDataError(f"criteria.csv: {c.criterion_id}: a number is missing")
    return value


def uk_band(ir: float, population: str) -> tuple[str, str, bool]:
    """UK HSE band of an individual risk: (band, criterion id, tolerable).

    A value exactly at a threshold does not meet it (RESEARCH_NOTES.md 4.4):
    IR >= limit is intolerable; IR < 1e-6 is broadly acceptable.
    """
    c = criteria("uk-hse")
    limit = c["uk_worker_intolerable" if population == "worker" else "uk_public_intolerable"]
    broad = c["uk_broadly_acceptable"]
    if ir >= _num(limit.value, limit):
        return "intolerable", limit.criterion_id, False
    if ir < _num(broad.value, broad):
        return "broadly_acceptable", broad.criterion_id, True
    return "tolerable_if_alarp", limit.criterion_id, True


def fr_band(ir: float, category: str) -> tuple[str, str, bool]:
    """French 2011 limit of the category (by analogy): IR >= limit is not admissible."""
    crit = next(c for c in criteria("fr-2011").values() if c.metric == "annual_risk" and c.category == category)
    ok = ir < _num(crit.value, crit)
    return ("admissible_by_analogy" if ok else "not_admissible_by_analogy"), crit.criterion_id, ok


def nl_band(lr: float, category: str) -> tuple[str, str, bool]:
    """Dutch location risk 1e-6 (limit for vulnerable, target for less vulnerable objects)."""
    if category == "none":
        return "no_criterion", "", True
    crit = criteria("nl")["nl_pr_vulnerable" if category == "vulnerable" else "nl_pr_less_vulnerable"]
    if lr < _num(crit.value, crit):
        return "below_1e-6", crit.criterion_id, True
    return ("exceeds_limit" if crit.fails_when_exceeded else "exceeds_target_value"), crit.criterion_id, \
        not crit.fails_when_exceeded


#: The societal verdict's note of each regime (each a msgid of the app's catalogs).
FN_NOTE_UK = "R2P2 gives one point (N >= 50 at 2e-4/yr), no line; F(50) is compared with it"
FN_NOTE_NL = ("orientation value F <= 1e-3/N^2 for N >= 10 (not a legal limit: an accountability duty; it does not "
              "change the exit status). Checked at each step's right end, where the step is closest to the line.")
FN_NOTE_FR = "the French 2011 decree has no F-N criterion (its head-count rule for PE2 in Z1/Z2 is not applied)"


def fn_verdict(regime: str, curve: Sequence[Mapping[str, float]]) -> dict[str, Any]:
    """The F-N curve against the regime's societal criterion (if it has one)."""
    if regime == "uk-hse":
        c = criteria("uk-hse")["uk_societal_50"]
        n_min, limit_f = _num(c.n_min, c), _num(c.value, c)
        f50 = f_at(curve, n_min)
        ok = f50 < limit_f
        return {"criterion": c.criterion_id, "f_at_n_min_per_year": f50, "n_min": n_min, "limit": limit_f,
                "band": "tolerable" if ok else "intolerable", "tolerable": ok,
                "note": FN_NOTE_UK}
    if regime == "nl":
        c = criteria("nl")["nl_gr_orientation"]
        value, n_min, slope = _num(c.value, c), _num(c.n_min, c), _num(c.slope, c)
        worst = None
        for pt in curve:
            if pt["n"] >= n_min:
                line = value / pt["n"] ** slope
                if pt["f_per_year"] >= line and (worst is None or pt["f_per_year"] / line > worst[2]):
                    worst = (pt["n"], pt["f_per_year"], pt["f_per_year"] / line)
        above = worst is not None
        return {"criterion": c.criterion_id, "band": "above_orientation_value" if above else "below_orientation_value",
                "tolerable": True, "worst_point": None if worst is None else {"n": worst[0], "f_per_year": worst[1]},
                "note": FN_NOTE_NL}
    return {"criterion": None, "band": "no_societal_criterion", "tolerable": True,
            "note": FN_NOTE_FR}


# ----------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class EventArrays:
    """Events as flat float64 arrays for kernels/risk.py."""

    pe: NDArray[np.float64]
    lnw13: NDArray[np.float64]
    r_blast: NDArray[np.float64]
    frag_d: NDArray[np.float64]
    frag_rmax: NDArray[np.float64]
    th_d4: NDArray[np.float64]
    th_rmax: NDArray[np.float64]
    r_max: NDArray[np.float64]
    bx0: NDArray[np.float64]
    bx1: NDArray[np.float64]
    by0: NDArray[np.float64]
    by1: NDArray[np.float64]
    seg_start: NDArray[np.int64]
    sx0: NDArray[np.float64]
    sy0: NDArray[np.float64]
    sx1: NDArray[np.float64]
    sy1: NDArray[np.float64]
    sinv: NDArray[np.float64]


def _rings(geom: BaseGeometry) -> list[NDArray[np.float64]]:
    polys = getattr(geom, "geoms", [geom])
    out = []
    for p in polys:
        if p.geom_type != "Polygon":
            raise InputError("event footprint", p.geom_type, "storehouse footprints must be polygons")
        out.append(np.asarray(p.exterior.coords))
        out.extend(np.asarray(r.coords) for r in p.interiors)
    return out


def event_arrays(events: Sequence[Event]) -> EventArrays:
    """Pack events for the kernel (footprint rings as segments, CSR by event)."""
    cols: dict[str, list[float]] = {k: [] for k in ("pe", "lnw13", "r_blast", "frag_d", "frag_rmax", "th_d4",
                                                     "th_rmax", "r_max", "bx0", "bx1", "by0", "by1")}
    seg_start = [0]
    segs: list[NDArray[np.float64]] = []
    for ev in events:
        x0, y0, x1, y1 = ev.geometry.bounds
        vals = {"pe": ev.pe, "lnw13": ev.ln_w13, "r_blast": blast_outdoor_range_m(ev.blast_neq_kg),
                "frag_d": ev.fragment_distance_m, "frag_rmax": fragment_cutoff_m(ev.fragment_distance_m),
                "th_d4": ev.thermal_d4_m, "th_rmax": thermal_cutoff_m(ev.thermal_d4_m),
                "r_max": last_effect_distance_m(ev), "bx0": x0, "bx1": x1, "by0": y0, "by1": y1}
        for k, v in vals.items():
            cols[k].append(float(v))
        n = 0
        for ring in _rings(ev.geometry):
            segs.append(np.column_stack([ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]]))
            n += len(ring) - 1
        seg_start.append(seg_start[-1] + n)
    allseg = np.concatenate(segs) if segs else np.zeros((0, 4))

    def c(a: Any) -> NDArray[np.float64]:
        return np.ascontiguousarray(a, dtype=np.float64)

    ll = (allseg[:, 2] - allseg[:, 0]) ** 2 + (allseg[:, 3] - allseg[:, 1]) ** 2
    sinv = np.divide(1.0, ll, out=np.zeros_like(ll), where=ll > 0)
    return EventArrays(**{k: c(v) for k, v in cols.items()}, seg_start=np.asarray(seg_start, dtype=np.int64),
                       sx0=c(allseg[:, 0]), sy0=c(allseg[:, 1]), sx1=c(allseg[:, 2]), sy1=c(allseg[:, 3]),
                       sinv=c(sinv))


def kernel_tables() -> dict[str, Any]:
    """The tables the kernel takes as arguments (K-B fits, probits, model parameters)."""
    fits = kb_fits()
    fp, fi = fits["incident_overpressure"], fits["incident_impulse"]
    pr = probits()
    lung, head, th = pr[_LUNG], pr[_HEAD], pr[_THERMAL]
    if lung.scale != 1.0 or th.scale != 1.0:
        raise RuleDataError("probits.csv: the risk kernel expects scale 1 for the Eisenberg lung and thermal probits")
    par = model_parameters()
    return {
        "ln_zlo_p": math.log(fp.z_lo), "ln_zmax_p": np.log(fp.z_max), "coef_p": fp.coef,
        "ln_zlo_i": math.log(fi.z_lo), "ln_zmax_i": np.log(fi.z_max), "coef_i": fi.coef,
        "probit": np.array([lung.a, lung.b, head.b, head.c1, head.c2, th.a, th.b]),
        "person_area_m2": par["person_area_m2"].value * 1.0,
        "q_ibd": 1.0 / fragments_thermal()["hazardous_fragment"]["area_per_fragment_m2"],
        "spread": par["fragment_spread_exponent"].value,
        "e_d4": par["thermal_energy_at_d4_j_m2"].value,
        "t_exp": par["thermal_exposure_s"].value,
        "fatal_given_hit": par["fragment_fatal_given_hit"].value,
    }


def location_risk_grid(events: Sequence[Event], x_m: Any, y_m: Any) -> NDArray[np.float64]:
    """Location-based risk [per year] on the grid (x[i], y[j]) -> [j, i] (outdoors, presence 1).

    Numba kernel depotsafe.kernels.risk.location_risk (parallel rows, pruned
    beyond each event's last effect distance).
    """
    from depotsafe.kernels import risk as _k

    x = np.ascontiguousarray(x_m, dtype=np.float64).ravel()
    y = np.ascontiguousarray(y_m, dtype=np.float64).ravel()
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("grid", "non-finite coordinate", "finite coordinates [m]")
    order = np.argsort(x, kind="stable")
    if np.any(order != np.arange(x.size)):  # the kernel needs increasing x: sort, then put back
        return location_risk_grid(events, x[order], y)[:, np.argsort(order, kind="stable")]
    out = np.zeros((y.size, x.size))
    if not events or x.size == 0 or y.size == 0:
        return out
    ea = event_arrays(events)
    t = kernel_tables()
    if t["fatal_given_hit"] != 1.0:
        raise RuleDataError("risk_model.csv: the kernel assumes fragment_fatal_given_hit = 1")
    _k.location_risk(
        x, y, ea.pe, ea.lnw13, ea.r_blast, ea.frag_d, ea.frag_rmax, ea.th_d4, ea.th_rmax, ea.r_max,
        ea.bx0, ea.bx1, ea.by0, ea.by1, ea.seg_start, ea.sx0, ea.sy0, ea.sx1, ea.sy1, ea.sinv,
        t["ln_zlo_p"], t["ln_zmax_p"], t["coef_p"], t["ln_zlo_i"], t["ln_zmax_i"], t["coef_i"],
        t["probit"], t["person_area_m2"], t["q_ibd"], t["spread"], t["e_d4"], t["t_exp"], out,
    )
    return out


# ----------------------------------------------------------------------------- contours


def lethality_radius_m(ev: Event, level: float) -> float:
    """Largest distance [m] from the footprint at which an outdoor person's P(f|e) >= level (0 if nowhere)."""
    r_max = last_effect_distance_m(ev)
    if r_max <= 0:
        return 0.0
    n = 4000
    ds = np.linspace(0.0, r_max, n + 1)
    ps = [fatality_probability(ev, float(d)) for d in ds]
    idx = [k for k, p in enumerate(ps) if p >= level]
    if not idx:
        return 0.0
    k = idx[-1]
    if k == n:
        return float(r_max)
    lo, hi = float(ds[k]), float(ds[k + 1])
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if fatality_probability(ev, mid) >= level:
            lo = mid
        else:
            hi = mid
    return lo


def contour_levels() -> dict[str, float]:
    """Label -> probability of the lethality contours (100 % drawn at lethality_100_percent)."""
    return {"100": model_parameters()["lethality_100_percent"].value, "50": 0.5, "10": 0.1, "1": 0.01}


def lethality_contours(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Per event and level: the radius and the polygon (footprint grown by the radius)."""
    out = []
    for ev in events:
        for label, level in contour_levels().items():
            r = lethality_radius_m(ev, level)
            out.append({"pes": ev.label, "members": ev.members, "level_percent": label, "probability": level,
                        "radius_m": r, "geometry": ev.geometry.buffer(r, quad_segs=32) if r > 0 else None})
    return out


# ----------------------------------------------------------------------------- the assessment


def assess(depot: Depot, regime: str = "uk-hse", groups: Sequence[Sequence[str]] | None = None,
           grid_cell_m: float | None = 25.0, max_grid_points: int = 4_000_000,
           grid_cell_is_default: bool = False, check_result: Any = None) -> dict[str, Any]:
    """Individual and societal risk of a depot against the criteria of ``regime``.

    Returns the DESIGN.md ``risk`` JSON object (sites, expected_fatalities_per_year,
    fn_curve, contributions, criteria, provenance) plus ``events``,
    ``location_risk``, ``assumptions``, ``tolerable``, ``notes`` and
    ``violations`` (:func:`violation_risks`).

    ``groups`` None: the whole-depot check (depotsafe.check, default rule set,
    with licences) gives the aggregation groups and the violations, unless
    ``check_result`` (a CheckResult of this depot) is given.  Explicit
    ``groups`` without ``check_result``: no check runs and ``violations`` is
    None (not evaluated).
    """
    if regime not in REGIMES:
        raise InputError("--criteria", regime, one_of(REGIMES))
    if check_result is None and groups is None:
        check_result = check_of(depot, licences=True)
    if groups is None:
        groups = [list(g) for g in check_result.groups]
    events, assumptions = build_events(depot, groups)
    members = {m for ev in events for m in ev.members}
    exposures = [site_exposure(s) for s in depot.sites
                 if s.id not in members or s.persons > 0 or "presence" in _props(s)]
    exposures = [e for e in exposures if kinds()[e.kind].holds_explosives != "yes" or e.persons > 0]
    crit = criteria(regime)
    sites_out = []
    deaths = [0.0] * len(events)
    tolerable = True
    pf_table: dict[str, list[tuple[float, float]]] = {}
    for ex in exposures:
        ir_terms, lr_terms = [], []
        by_event = []
        pf_row = pf_table.setdefault(ex.id, [])
        for k, ev in enumerate(events):
            d = 0.0 if ex.id in ev.members else float(shapely.distance(ev.geometry, ex.geometry))
            mech = mechanisms(ev, d, ex.receptor)
            pf = combine(list(mech.values()))
            pf_out = fatality_probability(ev, d, "outdoors")
            pf_row.append((pf, pf_out))
            ir_terms.append(ev.pe * pf * ex.presence)
            lr_terms.append(ev.pe * pf_out)
            deaths[k] += ex.persons * ex.presence * pf
            if pf > 0 or pf_out > 0:
                by_event.append({"pes": ev.label, "distance_m": d, "p_fatality_given_event": pf,
                                 "mechanisms": mech, "location_p_fatality_given_event": pf_out})
        ir, lr = math.fsum(ir_terms), math.fsum(lr_terms)
        band, cid, ok = site_verdict(regime, ex, ir, lr)
        tolerable &= ok
        sites_out.append({
            "id": ex.id, "individual_risk_per_year": ir, "band": band, "criterion": cid or None,
            "tolerable": ok, "location_risk_per_year": lr, "kind": ex.kind, "persons": ex.persons,
            "presence": ex.presence, "presence_given": ex.presence_given, "indoors": ex.indoors,
            "building_type": ex.building_type, "receptor": ex.receptor, "population": ex.population,
            "fr_category": ex.fr_category, "nl_category": ex.nl_category, "by_event": by_event,
        })
    pes = [ev.pe for ev in events]
    curve = fn_curve(deaths, pes)
    ef = expected_fatalities(deaths, pes)
    fn_v = fn_verdict(regime, curve)
    tolerable &= bool(fn_v["tolerable"])
    contributions = [{"pes": ev.label, "members": ev.members,
                      "share": (pes[k] * deaths[k] / ef) if ef > 0 else 0.0,
                      "expected_fatalities_per_year": pes[k] * deaths[k]} for k, ev in enumerate(events)]
    events_out = [{"pes": ev.label, "members": ev.members, "event_probability_per_year": ev.pe,
                   "neq_total_kg": ev.neq_total_kg, "divisions": ev.divisions, "outcome": ev.outcome,
                   "reason": ev.reason, "blast_neq_kg": ev.blast_neq_kg,
                   "fragment_distance_m": ev.fragment_distance_m, "thermal_d4_m": ev.thermal_d4_m,
                   "last_effect_distance_m": last_effect_distance_m(ev), "deaths_if_it_happens": deaths[k]}
                  for k, ev in enumerate(events)]
    assumptions.extend(_model_assumptions(regime))
    grid = _location_grid(events, grid_cell_m, max_grid_points, grid_cell_is_default) if grid_cell_m else None
    used = sorted({s["criterion"] for s in sites_out if s["criterion"]} | ({fn_v["criterion"]} - {None}))
    return {
        "sites": sites_out,
        "expected_fatalities_per_year": ef,
        "fn_curve": curve,
        "contributions": contributions,
        "criteria": {"regime": regime, "used": [crit[c].as_dict() for c in used if c in crit],
                     "fn": fn_v, "tolerable": tolerable,
                     **({"label": "by analogy: the 2011 limits are written for pyrotechnic clearance sites"}
                        if regime == "fr-2011" else {})},
        "tolerable": tolerable,
        "events": events_out,
        "sensitivity": {"escalation_bounding": escalation_sensitivity(depot, events, exposures, regime, sites_out,
                                                                      ef, pf_table)},
        "violations": None if check_result is None else violation_risks(depot, check_result, events, regime,
                                                                      exposures, pf_table),
        "location_risk": grid,
        "assumptions": assumptions,
        "notes": [
            "each aggregation group explodes as one (standards.md decision 14); its Pe = 1 - prod(1 - Pe_member)",
            "distances from the event footprint to the nearest point of each site (as quantity-distances); "
            "occupants of an exploding site die (P = 1)",
            "glass hazard: no probit in the sources read; not in P(fatality)",
            "escalation beyond a group (propagation) has no sourced probability: the figures above leave it out; "
            "sensitivity.escalation_bounding gives the bounding case (every storehouse whose protection is not "
            "virtually complete goes with the event), labelled, beside them",
            "fn_curve: F(N) for N in (previous n, n] equals f_per_year at n (exact step function)",
            "violations: every pair that fails its quantity-distance (depotsafe check, default rule set), ranked "
            "by the individual risk at its exposed site; after_move and after_licence_neq change only that "
            "pair's PES (its group), every other storehouse as it is",
        ],
        "provenance": {"risk_data_sha256": data_sha256(), "depotsafe_version": __version__,
                       "input_sha256": depot.input_sha256},
    }


def site_verdict(regime: str, ex: Exposure, ir: float, lr: float) -> tuple[str, str, bool]:
    """(band, criterion id, tolerable) of one exposed site under ``regime`` (NL judges location risk)."""
    if regime == "uk-hse":
        return uk_band(ir, ex.population)
    if regime == "fr-2011":
        return fr_band(ir, ex.fr_category)
    return nl_band(lr, ex.nl_category)


def _pf_pair(ev: Event, ex: Exposure) -> tuple[float, float]:
    """(P(f|e) for the site's receptor, P(f|e) outdoors) of event ``ev`` at exposed site ``ex``."""
    d = 0.0 if ex.id in ev.members else float(shapely.distance(ev.geometry, ex.geometry))
    return fatality_probability(ev, d, ex.receptor), fatality_probability(ev, d, "outdoors")


def licence_scale(site_record: Mapping[str, Any]) -> tuple[float, list[dict[str, Any]]]:
    """The factor that brings a storehouse's (its group's) stock to what its licence allows.

    From the check's ``mixed_stock`` cases of the site (the group's, for a
    member): per case, min(1, max_neq_kg / neq_kg); the factor is the smallest
    (every division within its limit at once); an unlimited case (max None)
    does not limit.  Returns (factor in [0, 1], the cases with their NEQ after).
    """
    cases = (site_record.get("mixed_stock") or {}).get("cases") or []
    scale = 1.0
    for c in cases:
        limit, neq = c.get("max_neq_kg"), float(c.get("neq_kg") or 0.0)
        if limit is not None and neq > 0:
            scale = min(scale, max(0.0, float(limit)) / neq)
    out = [{"hd": str(c["hd"]), "neq_kg": float(c.get("neq_kg") or 0.0), "limit_kg": c.get("max_neq_kg"),
            "limit_at_least": bool(c.get("max_neq_at_least", False)),
            "neq_after_kg": float(c.get("neq_kg") or 0.0) * scale} for c in cases]
    return scale, out


def violation_risks(depot: Depot, chk: Any, events: Sequence[Event], regime: str,
                    exposures: Sequence[Exposure] = (),
                    pf_table: Mapping[str, list[tuple[float, float]]] | None = None) -> list[dict[str, Any]]:
    """Issue 10 item 5: the risk at the exposed site of every pair that fails its quantity-distance.

    For each violation of ``chk`` (a depotsafe.check CheckResult of this
    depot): the individual (and location) risk at its exposed site from every
    event, the part of it from the pair's PES (its aggregation group's event),
    and the risk after two remedies that change that PES only:

    - ``after_move``: its stock moved out of reach or removed (its event gone);
    - ``after_licence_neq``: its stock (every line, the group's members
      together) scaled to what its licence allows (:func:`licence_scale`), the
      event and its probability recomputed for the smaller stock.

    Ranked by the individual risk at the exposed site now (largest first),
    then by the part from the pair's PES.
    """
    ev_of = {m: k for k, ev in enumerate(events) for m in ev.members}
    given = {e.id: e for e in exposures}
    records = {r["id"]: r for r in chk.sites}
    terms_of: dict[str, list[tuple[float, float]]] = dict(pf_table or {})  # computed by assess already
    scaled: dict[tuple[tuple[str, ...], float], Event | None] = {}
    rows = []
    for p in chk.iter_violations():
        es = depot.site(p["es"])
        ex = given.get(es.id) or site_exposure(es)
        if es.id not in terms_of:
            terms_of[es.id] = [_pf_pair(ev, ex) for ev in events]
        terms = terms_of[es.id]
        ir_terms = [ev.pe * t[0] * ex.presence for ev, t in zip(events, terms, strict=True)]
        lr_terms = [ev.pe * t[1] for ev, t in zip(events, terms, strict=True)]
        ir, lr = math.fsum(ir_terms), math.fsum(lr_terms)
        k = ev_of.get(p["pes"])
        members = list(events[k].members) if k is not None else list(p.get("group") or [p["pes"]])
        own_ir = ir_terms[k] if k is not None else 0.0
        rest_ir = math.fsum(v for j, v in enumerate(ir_terms) if j != k)
        rest_lr = math.fsum(v for j, v in enumerate(lr_terms) if j != k)

        def judged(ir_v: float, lr_v: float, ex: Exposure = ex) -> dict[str, Any]:
            band, cid, ok = site_verdict(regime, ex, ir_v, lr_v)
            return {"individual_risk_per_year": ir_v, "location_risk_per_year": lr_v, "band": band,
                    "criterion": cid or None, "tolerable": ok}

        now = judged(ir, lr)
        moved = judged(rest_ir, rest_lr)
        moved.update(reduction_per_year=ir - rest_ir,
                     what=f"the stock of {'+'.join(members)} moved out of reach or removed; "
                          "every other storehouse as it is")
        scale, cases = licence_scale(records.get(p["pes"], {}))
        key = (tuple(members), scale)
        if key not in scaled:
            scaled[key] = _event_of(depot, members, scale)[0] if scale > 0 else None
        ev_s = scaled[key]
        if ev_s is None:
            lic_ir, lic_lr = rest_ir, rest_lr
        else:
            pf_s, pf_s_out = _pf_pair(ev_s, ex)
            lic_ir = math.fsum([*(v for j, v in enumerate(ir_terms) if j != k), ev_s.pe * pf_s * ex.presence])
            lic_lr = math.fsum([*(v for j, v in enumerate(lr_terms) if j != k), ev_s.pe * pf_s_out])
        lic = judged(lic_ir, lic_lr)
        lic.update(scale=scale, cases=cases, reduction_per_year=ir - lic_ir,
                   event_probability_per_year=ev_s.pe if ev_s is not None else 0.0,
                   what=f"every stock line of {'+'.join(members)} scaled by {scale:.4g}, to what its licence "
                        "allows (the check's explosives limit licence of its mixed stock); the event and its "
                        "probability recomputed")
        if any(c["limit_at_least"] for c in cases):
            lic["note"] = "a licence given as 'at least' (a lower bound): the stock allowed may be larger"
        row = {"pes": p["pes"], "es": p["es"], "hd": p["hd"], "rule": p["rule"],
               "required_distance_m": p["required_distance_m"], "distance_m": p["distance_m"],
               **({"group": p["group"]} if p.get("group") else {}),
               "assessment_required": bool(p.get("assessment_required", False)),
               "event": events[k].label if k is not None else None, "members": members,
               "es_kind": ex.kind, "population": ex.population, "persons": ex.persons, "presence": ex.presence,
               "receptor": ex.receptor, **now,
               "from_this_pes_per_year": own_ir, "share_of_site_risk": own_ir / ir if ir > 0 else 0.0,
               "after_move": moved, "after_licence_neq": lic}
        rows.append(row)
    rows.sort(key=lambda r: (-r["individual_risk_per_year"], -r["from_this_pes_per_year"], r["pes"], r["es"]))
    for n, r in enumerate(rows, start=1):
        r["rank"] = n
    return rows


# ----------------------------------------------------------------------------- escalation (sensitivity)


def _stock_lines(depot: Depot, members: Sequence[str]) -> list[Any]:
    return [parse_stock_entry({k2: v for k2, v in e.items() if k2 != "source"}, f"{m}.stock[{k}]")
            for m in members for k, e in enumerate(depot.site(m).stock_entries)]


def escalation_sets(depot: Depot, events: Sequence[Event]) -> list[dict[str, Any]]:
    """Issue 10 item 3, bounding case: the storehouses that go with each event when escalation is assumed.

    A storehouse with stock, outside the event, goes with it when, from any
    storehouse already in it, the degree of protection against propagation
    that their actual distance gives (AASTP-1 Annex I-A Table 1-3 letters,
    depotsafe.protection.describe with the pair's faces, every division case
    of the stock already in the event) is not "virtually complete", within the
    reach of the event's hazards to storehouses: its hazardous-fragment
    distance (AASTP-1 1.3.1.15 b) or, for a fire, its D4, whichever is larger
    (the tables' letters rate a degree at every distance, so some reach must
    end the case: this one is the project's choice [C]).  Repeated until no
    storehouse is added (the event grows as it goes).  No probability: a
    bound, not an estimate.
    """
    from depotsafe.check import (
        FRONT_HALF_ANGLE_DEG,
        FRONT_HALF_ANGLE_HD12_DEG,
        REAR_HALF_ANGLE_DEG,
    )
    from depotsafe.errors import DepotsafeError
    from depotsafe.layout import depot_arrays, face_towards, sector_masks
    from depotsafe.protection import describe
    from depotsafe.qd import Relation, resolve_rule
    from depotsafe.rules import load_rule_set

    rs = load_rule_set("iatg")
    fp, bearings = depot_arrays(depot)
    index = {s.id: k for k, s in enumerate(depot.sites)}
    stores = [s for s in depot.sites if s.stock_entries]
    tree = shapely.STRtree([s.geometry for s in stores])
    faces = ((1, "front"), (2, "side"), (4, "rear"))

    def face_names(bits: int) -> list[str | None]:
        return [n for b, n in faces if bits & b] or [n for _b, n in faces]  # none found: every face (bound)

    face_cache: dict[tuple[str, str], tuple[list[str | None], list[str | None]]] = {}
    angles = tuple(dict.fromkeys((FRONT_HALF_ANGLE_DEG, FRONT_HALF_ANGLE_HD12_DEG)))

    def faces_of(pairs: Sequence[tuple[Site, Site]]) -> None:
        """Faces of every pair (a, b) not yet known, in one kernel call per angle and role."""
        todo = list({(a.id, b.id): (a, b) for a, b in pairs if (a.id, b.id) not in face_cache}.values())
        if not todo:
            return
        ia = np.array([index[a.id] for a, _b in todo], dtype=np.int64)
        ib = np.array([index[b.id] for _a, b in todo], dtype=np.int64)
        pec = np.array([kinds()[a.kind].earth_covered for a, _b in todo])
        ec = np.array([kinds()[b.kind].earth_covered for _a, b in todo])
        pbits = np.zeros(len(todo), dtype=np.int64)
        ebits = np.zeros(len(todo), dtype=np.int64)
        for fa in angles:
            if pec.any():
                pbits[pec] |= np.asarray(sector_masks(fp, ia[pec], ib[pec], bearings, fa, REAR_HALF_ANGLE_DEG),
                                         dtype=np.int64)
            if ec.any():
                ebits[ec] |= np.asarray(face_towards(fp, ib[ec], ia[ec], bearings, fa, REAR_HALF_ANGLE_DEG),
                                        dtype=np.int64)
        for k, (a, b) in enumerate(todo):
            pf = face_names(int(pbits[k])) if kinds()[a.kind].earth_covered else [None]
            ef = face_names(int(ebits[k])) if kinds()[b.kind].earth_covered else [None]
            face_cache[(a.id, b.id)] = (pf, ef)

    rule_cache: dict[tuple[Any, ...], Any] = {}

    def rule_of(division: str, rel: Relation, hd13: tuple[str, ...]) -> Any:
        key = (division, rel, hd13)
        if key not in rule_cache:
            rule_cache[key] = resolve_rule(rs, division, rel, hd13_tables=hd13)
        return rule_cache[key]

    # the faces of every pair within the reach of a single event, in one batch (the kernel is parallel:
    # one call per pair would cost its start-up each time); pairs a grown event reaches are added as needed
    r0 = max((max(e.fragment_distance_m, e.thermal_d4_m) for e in events), default=0.0)
    if r0 > 0 and stores:
        left, right = tree.query([s.geometry for s in stores], predicate="dwithin", distance=r0)
        faces_of([(stores[int(i)], stores[int(j)]) for i, j in zip(left, right, strict=True) if i != j])
    parsed: dict[str, list[Any]] = {}

    def lines_of(sid: str) -> list[Any]:
        if sid not in parsed:
            parsed[sid] = _stock_lines(depot, [sid])
        return parsed[sid]

    event_of = {m: k for k, e in enumerate(events) for m in e.members}
    closures: dict[int, list[str]] = {}
    out = []
    for n_ev, ev in enumerate(events):
        inside = list(ev.members)
        reasons: list[dict[str, Any]] = []
        problems: list[str] = []
        grew = True
        while grew:
            grew = False
            lines = [ln for m in inside for ln in lines_of(m)]
            cases = [c for c in mix_divisions(lines).cases if c.neq_kg > 0]
            if not cases:
                break
            # the reach of its fragments (AASTP-1 1.3.1.15 b) or its heat (D4), whichever is larger
            grown = event_outcome(lines, [depot.site(m).kind for m in inside])
            reach = max(grown["fragment_distance_m"], grown["thermal_d4_m"])
            if reach <= 0:
                break
            in_set = set(inside)
            if len(in_set) >= len(stores):
                break  # every storehouse is in already
            nears: dict[str, list[Site]] = {m: [] for m in inside}
            left, right = tree.query([depot.site(m).geometry for m in inside], predicate="dwithin", distance=reach)
            for i, j in zip(left.tolist(), right.tolist(), strict=True):
                if stores[j].id not in in_set:
                    nears[inside[i]].append(stores[j])
            faces_of([(depot.site(m), b) for m, bs in nears.items() for b in bs])
            for m in list(inside):
                a = depot.site(m)
                for b in nears[m]:
                    if b.id in inside:
                        continue
                    d = float(shapely.distance(a.geometry, b.geometry))
                    found = None
                    try:
                        pfs, efs = face_cache[(a.id, b.id)]
                        for c in cases:
                            for pf in pfs:
                                for ef in efs:
                                    rule = rule_of(c.division, Relation(
                                        a.kind, b.kind, pf, ef,
                                        es_door_barricade=bool(b.door_barricade) and kinds()[b.kind].earth_covered),
                                                   c.hd13_tables or ("3A", "3B"))
                                    desc = describe(rs, rule, c.neq_kg, c.unit_neq_kg or 0.0, d)
                                    if desc is None or desc["degree"] == "virtually_complete":
                                        continue
                                    found = {"from": a.id, "to": b.id, "hd": c.division, "distance_m": d,
                                             "degree": desc["degree"], "reach_m": reach,
                                             "cells": [x["cell"] for x in desc["cells"]]}
                                    break
                                if found:
                                    break
                            if found:
                                break
                    except DepotsafeError as exc:
                        problems.append(f"{a.id} -> {b.id}: {exc}")
                        continue
                    if found:
                        # its aggregation group goes with it; and what its own event's bounding case took
                        # along (computed already) goes too: a larger event never takes less [C]
                        f = event_of.get(b.id)
                        join = closures.get(f, events[f].members) if f is not None else [b.id]
                        joined = [x for x in dict.fromkeys([b.id, *join]) if x not in inside]
                        inside.extend(joined)
                        found["joined"] = joined
                        reasons.append(found)
                        grew = True
        closures[n_ev] = list(inside)
        out.append({"initiator": ev.label, "members": list(ev.members),
                    "with": [m for m in inside if m not in ev.members], "reasons": reasons,
                    **({"problems": problems} if problems else {})})
    return out


def _site_totals(events: Sequence[Event], exposures: Sequence[Exposure],
                 known: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                 same: Sequence[bool] = ()) -> tuple[dict[str, tuple[float, float]], list[float]]:
    """Per exposed site (IR, LR), and the deaths of each event (as :func:`assess` computes them).

    ``known[site][k]`` is (P(f|e), P(f|e) outdoors) of event k where ``same[k]`` (computed already).
    """
    per: dict[str, tuple[float, float]] = {}
    deaths = [0.0] * len(events)
    for ex in exposures:
        ir_t, lr_t = [], []
        row = (known or {}).get(ex.id)
        memo: dict[tuple[str, ...], tuple[float, float]] = {}  # events of the same members: same P(f|e)
        for k, ev in enumerate(events):
            if row is not None and k < len(same) and same[k]:
                pf, pf_out = row[k]
            else:
                key = tuple(sorted(ev.members))
                if key not in memo:
                    memo[key] = _pf_pair(ev, ex)
                pf, pf_out = memo[key]
            ir_t.append(ev.pe * pf * ex.presence)
            lr_t.append(ev.pe * pf_out)
            deaths[k] += ex.persons * ex.presence * pf
        per[ex.id] = (math.fsum(ir_t), math.fsum(lr_t))
    return per, deaths


def escalation_sensitivity(depot: Depot, events: Sequence[Event], exposures: Sequence[Exposure],
                           regime: str, base_sites: Sequence[Mapping[str, Any]], base_ef: float,
                           pf_table: Mapping[str, Sequence[tuple[float, float]]] | None = None) -> dict[str, Any]:
    """The bounding escalation case: each event with every storehouse of :func:`escalation_sets`.

    Each event keeps its own probability (the initiator's); the storehouses
    taken along explode with it as one (their stock summed, the outcome of the
    mixed stock).  Reported beside the base figures, labelled; it changes no
    verdict and no exit status.
    """
    import dataclasses

    sets = escalation_sets(depot, events)
    grown: list[Event] = []
    bigs: dict[frozenset[str], Event | None] = {}
    for ev, es in zip(events, sets, strict=True):
        if not es["with"]:
            grown.append(ev)
            continue
        key = frozenset([*ev.members, *es["with"]])
        if key not in bigs:  # many initiators end in the same set: one event (geometry, outcome) per set
            bigs[key] = _event_of(depot, [*ev.members, *es["with"]])[0]
        big = bigs[key]
        grown.append(ev if big is None else dataclasses.replace(
            big, pe=ev.pe, label=f"{ev.label} (+{'+'.join(es['with'])})"))
    per, deaths = _site_totals(grown, exposures, pf_table, [not es["with"] for es in sets])
    pes = [ev.pe for ev in grown]
    curve = fn_curve(deaths, pes)
    by_ex = {ex.id: ex for ex in exposures}
    sites = []
    for s in base_sites:
        ir, lr = per[s["id"]]
        band, cid, ok = site_verdict(regime, by_ex[s["id"]], ir, lr)
        sites.append({"id": s["id"], "individual_risk_per_year": ir, "location_risk_per_year": lr,
                      "band": band, "criterion": cid or None, "tolerable": ok,
                      "base_individual_risk_per_year": s["individual_risk_per_year"]})
    ef = expected_fatalities(deaths, pes)
    return {
        "label": "BOUNDING SENSITIVITY CASE, not an estimate: escalation beyond a group has no sourced "
                 "probability, so every storehouse whose protection against propagation is not virtually "
                 "complete is taken to explode with the event (probability 1)",
        "rule": "a storehouse goes with an event when the degree of protection (AASTP-1 Annex I-A letters) of its "
                "actual distance from a storehouse already in the event is not virtually complete, within the "
                "event's hazardous-fragment distance or HD 1.3 D4 (whichever is larger; a model choice [C]); "
                "repeated until none is added",
        "events": sets, "sites": sites, "expected_fatalities_per_year": ef,
        "base_expected_fatalities_per_year": base_ef, "fn_curve": curve, "fn": fn_verdict(regime, curve),
        "escalated_events": sum(1 for es in sets if es["with"]),
    }


def _location_grid(events: Sequence[Event], cell_m: float, max_points: int,
                   coarsen: bool = False) -> dict[str, Any] | None:
    """The location-risk grid over the reach of every event; ``coarsen``: a default cell may grow to fit."""
    field_ = location_risk_field(events, cell_m, max_points, coarsen)
    return None if field_ is None else field_[3]


#: The note of a location-risk grid whose cell was enlarged (depotsafe.messages.Note: a msgid of the catalogs).
GRID_CELL_NOTE = "default cell {asked:g} m enlarged to {cell:g} m to keep the grid within {points} points"


def location_risk_field(events: Sequence[Event], cell_m: float, max_points: int = 4_000_000,
                        coarsen: bool = False) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                                        NDArray[np.float64], dict[str, Any]] | None:
    """(x, y, grid[j, i], summary) of the location risk over the reach of every event (None: no event).

    Cell centres x[i], y[j] [m, the depot's local metres]; ``summary`` is the
    ``location_risk`` object of :func:`assess`.
    """
    if not events:
        return None
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise InputError("--grid-cell", cell_m, "a length > 0, e.g. \"25 m\"")
    xs0, ys0, xs1, ys1 = [], [], [], []
    for ev in events:
        r = last_effect_distance_m(ev)
        b = ev.geometry.bounds
        xs0.append(b[0] - r)
        ys0.append(b[1] - r)
        xs1.append(b[2] + r)
        ys1.append(b[3] + r)
    x0, y0, x1, y1 = min(xs0), min(ys0), max(xs1), max(ys1)
    nx, ny = math.ceil((x1 - x0) / cell_m), math.ceil((y1 - y0) / cell_m)
    note = None
    if nx * ny > max_points and coarsen:
        asked = cell_m
        cell_m = math.ceil(math.sqrt((x1 - x0) * (y1 - y0) / max_points)) + 1.0
        nx, ny = math.ceil((x1 - x0) / cell_m), math.ceil((y1 - y0) / cell_m)
        note = Note(GRID_CELL_NOTE, asked=asked, cell=cell_m, points=max_points)
    if nx * ny > max_points:
        need = math.sqrt((x1 - x0) * (y1 - y0) / max_points)
        raise InputError("--grid-cell", f"{cell_m:g} m",
                         f"the grid would have {nx} x {ny} points (at most {max_points}); use at least {need:.0f} m")
    x = x0 + cell_m * (np.arange(nx) + 0.5)
    y = y0 + cell_m * (np.arange(ny) + 0.5)
    grid = location_risk_grid(events, x, y)
    area = {f"{lv:g}": float(np.count_nonzero(grid >= lv)) * cell_m * cell_m for lv in (1e-4, 1e-5, 1e-6, 1e-7)}
    return x, y, grid, {
        "cell_m": cell_m, "extent_m": [x0, y0, x1, y1], "shape": [ny, nx], "max_per_year": float(grid.max()),
        "area_m2_at_or_above": area,
        "definition": "person permanently present, outdoors, unprotected (Dutch PR definition)",
        **({"note": note} if note else {})}


#: Location-risk contour levels drawn and exported [per year].
RISK_LEVELS = (1e-4, 1e-5, 1e-6, 1e-7)


def risk_regions(x: Any, y: Any, grid: Any, cell_m: float,
                 levels: Sequence[float] = RISK_LEVELS) -> dict[float, BaseGeometry]:
    """Per level, the union of the grid cells whose location risk is at least that level.

    Cells are squares of side ``cell_m`` centred on (x[i], y[j]); the outline is
    as coarse as the grid (for drawing and export, not for a verdict: the
    verdicts use the exact per-site computation).
    """
    g = np.asarray(grid)
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    h = 0.5 * cell_m
    out: dict[float, BaseGeometry] = {}
    for level in levels:
        mask = g >= level
        boxes = []
        for j in np.flatnonzero(mask.any(axis=1)):
            row = np.concatenate(([False], mask[j], [False])).astype(np.int8)
            edges = np.flatnonzero(np.diff(row))
            for a, b in zip(edges[::2], edges[1::2], strict=True):  # runs [a, b) of cells at or above
                boxes.append(shapely.box(xs[a] - h, ys[j] - h, xs[b - 1] + h, ys[j] + h))
        out[level] = shapely.union_all(boxes) if boxes else shapely.Polygon()
    return out


def _model_assumptions(regime: str) -> list[dict[str, Any]]:
    out = []
    for p in model_parameters().values():
        out.append(_assumption(p.name, p.value, p.source, p.confidence, p.meaning))
    w = presence_weights()
    out.append(_assumption("presence periods (share of the week)", w,
                           "AMRISK 2.5 template (Freeyolo/tangos basefileAMR25.txt), data/risk/presence.csv", "S"))
    for name in (_LUNG, _HEAD, _COLLAPSE, _THERMAL):
        m = probits()[name]
        out.append(_assumption(f"probit {name}", m.effect, m.source, "S"))
    out.append(_assumption("airblast", "Kingery-Bulmash (Swisdak 1994), NEQ taken as TNT",
                           "depotsafe.effects.blast; data/effects/kingery_bulmash_metric.csv", "S",
                           "blast mechanisms counted 0 beyond the shorter fit range (Z = 158.7 m/kg^(1/3))"))
    out.append(_assumption("mechanism combination", "1 - prod(1 - P_m)",
                           "FFI/RAPPORT-2007/01896 (direct and indirect blast independent) [P abstract]; "
                           "extended to fragments and heat", "C"))
    out.append(_assumption("at a threshold", "a value exactly at a limit does not meet it",
                           "data/risk/RESEARCH_NOTES.md 4.4 (recommendation)", "C"))
    if regime == "uk-hse":
        out.append(_assumption("UK HSE criteria", "1e-3 workers, 1e-4 public, 1e-6 broadly acceptable, "
                               "N >= 50 at 2e-4/yr", "R2P2 as quoted (data/risk/criteria.csv)", "S"))
    elif regime == "fr-2011":
        out.append(_assumption("French 2011 limits", "by analogy (written for clearance sites)",
                               "arrete du 12 septembre 2011 art. 8 (data/risk/criteria.csv)", "P"))
    else:
        out.append(_assumption("Dutch criteria", "PR 1e-6, group-risk orientation 1e-3/N^2",
                               "Bevi (repealed 2024) as quoted (data/risk/criteria.csv)", "S"))
    return out
