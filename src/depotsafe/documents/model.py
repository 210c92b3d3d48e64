"""What a document says, read from the check's result (never computed another way).

Every figure below is a field of :class:`depotsafe.check.CheckResult` (its JSON
contract: ``sites``, ``violations``, ``pairs``, ``aggregations``, ``summary``,
``notes``, ``provenance``) or of the layout as read; this module only picks,
orders and words them.  A licence's limiting distance, rule, table cell and
source are those the check gives with the licence (``licence_limiting`` of its
site record), never measured again.  The risk figures are those of
``depotsafe risk`` (:func:`depotsafe.risk.assess`), each with the criterion and
the assumptions it rests on.
"""

from __future__ import annotations

from typing import Any

from depotsafe.documents.text import Words

#: Violations named in the two-minute summary, the tightest first.
SUMMARY_VIOLATIONS = 5


def _owner_key(site: dict[str, Any]) -> str:
    return site.get("group_id") or site["id"]


def _violation_row(v: dict[str, Any], w: Words) -> dict[str, Any]:
    _ = w.gettext
    pes = v.get("group_id") or v["pes"]
    if v.get("group"):
        pes = f"{v['group_id']} ({'+'.join(v['group'])}, " + _("nearest member {id}").format(id=v["pes"]) + ")"
    row = {
        "pes": pes,
        "es": v["es"],
        "hd": v["hd"],
        "distance": w.metres_measured(v["distance_m"]),
        "required": w.metres_up(v["required_distance_m"]),
        "rule": w.note(v["rule_label"]),
        "source": v["source"],
        "assessment": bool(v.get("assessment_required")),
        "assessment_reason": v.get("assessment_reason", ""),
        "protection": (v.get("protection") or {}).get("degree"),
        "protection_unavailable": bool(v.get("protection_unavailable")),
    }
    return row


def _tightness(v: dict[str, Any]) -> tuple[int, float, str, str, str]:
    """Order: assessments first, then the smallest share of the required distance that is kept."""
    req = v["required_distance_m"]
    share = v["distance_m"] / req if req > 0 else 1.0
    return (0 if v.get("assessment_required") else 1, share, v["pes"], v["es"], v["hd"])


def licence(site: dict[str, Any], result: Any, w: Words,
            records: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One explosives limit licence (a storehouse or an aggregation group), from its site record."""
    _ = w.gettext
    depot = result.depot
    key = _owner_key(site)
    members = list(site.get("aggregation_group") or [site["id"]])
    physical = [depot.site(m) for m in members]
    rows = []
    limiting = site.get("licence_limiting") or {}
    for hd, limit in site["licence_limit_kg"].items():
        least = site["licence_at_least"].get(hd, False)
        why = limiting.get(hd)
        es = why["es"] if why else site["limiting_es"].get(hd)
        rows.append({
            "hd": hd,
            "limit": w.kg_limit(limit, least),
            "es": es or "",
            "distance": w.metres_measured(why["distance_m"]) if why else "",
            "rule": w.note(why["rule_label"]) if why else "",
            "cells": "; ".join(why["cells"]) if why else "",
            "source": why["source"] if why else "",
            "stated": why is not None,
            "at_least": bool(least),
            "basis": site["licence_basis"].get(hd, "quantity-distance"),
        })
    stock = []
    for c in site["mixed_stock"]["cases"]:
        stock.append({
            "hd": c["hd"],
            "neq": w.kg_stock(c["neq_kg"]),
            "limit": w.kg_limit(c["max_neq_kg"], c["max_neq_at_least"]),
            "es": c["limiting_es"] or "",
            "headroom": w.kg_headroom(c["headroom_kg"], c["max_neq_at_least"]),
            "over": c["headroom_kg"] is not None and c["headroom_kg"] < 0,
        })
    storehouses = []
    for s in physical:
        rec = records[s.id] if records is not None else next(r for r in result.sites if r["id"] == s.id)
        storehouses.append({
            "id": s.id,
            "name": s.name,
            "kind": s.kind,
            "door": (w.style.fixed(s.front_bearing_deg, 0) + "°") if s.front_bearing_deg is not None else "",
            "barricade": s.door_barricade,
            "neq": "; ".join(f"HD {d} {w.kg_stock(q)}" for d, q in rec["neq_kg"].items()) or _("no stock"),
        })
    return {
        "key": key,
        "number": f"ELL-{key}",
        "group": site.get("group_id"),
        "members": members,
        "storehouses": storehouses,
        "rows": rows,
        "stock": stock,
        "stock_compliant": site["mixed_stock"]["compliant"],
        "compatibility": site["compatibility"],
        "assessment_es": site.get("assessment_es", []),
    }


def licences(result: Any, w: Words) -> list[dict[str, Any]]:
    """Every licence of the depot, one per storehouse or group, in layout order."""
    records = {r["id"]: r for r in result.sites}
    seen: set[str] = set()
    out = []
    for site in result.sites:
        key = _owner_key(site)
        if key in seen:
            continue
        seen.add(key)
        out.append(licence(site, result, w, records))
    return out


def conditions(result: Any, w: Words) -> dict[str, Any]:
    """The conditions the figures rest on: barricades, traffic, evacuation, protection, rounding."""
    depot = result.depot
    summ = result.summary()
    return {
        "barricaded": [s.id for s in depot.sites if s.door_barricade],
        "routes": [(s.id, s.traffic or "heavy") for s in depot.sites if s.kind == "public_traffic_route"],
        "evacuable": [s.id for s in depot.sites if s.evacuable],
        "sparse": [s.id for s in depot.sites if s.sparse],
        "protection": summ["protection"],
        "protection_unavailable": summ["protection_unavailable"],
        "rounding": result.rule_set.rounding,
    }


def provenance(result: Any, date: str) -> dict[str, Any]:
    prov = dict(result.provenance())
    prov["date"] = date
    return prov


def document(result: Any, w: Words, *, date: str, layout_name: str,
             effects: dict[str, Any] | None = None, risk: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report template shows (``effects``: the JSON of ``depotsafe effects`` for the worst
    storehouse; ``risk``: the JSON of ``depotsafe risk`` for the depot)."""
    summ = result.summary()
    violations = sorted(result.iter_violations(), key=_tightness)
    return {
        "layout_name": layout_name,
        "summary": summ,
        "compliant": bool(summ["compliant"]),
        "top_violations": [_violation_row(v, w) for v in violations[:SUMMARY_VIOLATIONS]],
        "violations": [_violation_row(v, w) for v in violations],
        "aggregations": [
            {
                "id": a["id"],
                "members": a["members"],
                "joins": [{"a": j["a"], "b": j["b"], "distance": w.metres_measured(j["distance_m"]),
                           "imd": w.metres_up(j["imd_m"]), "rule": w.note(j["rule_label"]), "source": j["source"]}
                          for j in a["joins"]],
            }
            for a in result.aggregations
        ],
        "licences": licences(result, w),
        "conditions": conditions(result, w),
        "notes": list(result.notes),
        "effects": effects_section(effects, w),
        "risk": risk_section(risk, result, w),
        "provenance": provenance(result, date),
        "sites": [{"id": s.id, "name": s.name, "kind": s.kind, "persons": s.persons} for s in result.depot.sites],
    }


def worst_storehouse(result: Any) -> str | None:
    """The storehouse of the tightest violation (the report's V1; for a group, its member nearest to that ES)."""
    violations = sorted(result.iter_violations(), key=_tightness)
    return violations[0]["pes"] if violations else None


def effects_section(effects: dict[str, Any] | None, w: Words) -> dict[str, Any] | None:
    """The effect zones of ``depotsafe effects`` (its JSON object) as the report shows them."""
    if effects is None:
        return None
    from depotsafe import textfmt

    ev = effects["event"]
    return {
        "event": ev["id"],
        "members": ev["members"],
        "neq": w.kg_stock(ev["neq_kg"]),
        "neq_source": w.note(ev["neq_source"]),
        "explosive": ev["explosive"],
        "blast": [{"level": z["level"], "name": z["name"],
                   "overpressure": textfmt.number(z["overpressure_kpa"], "kPa", 3, w.style),
                   "radius": w.metres_up(z["radius_m"]), "source": z["source"]} for z in effects["zones"]["blast"]],
        "hazard": [{"kind": z["kind"], "hd": z["hd"], "radius": w.metres_up(z["radius_m"]), "rule": z["rule"],
                    "source": z["source"]} for z in effects["zones"]["hazard"]],
        "model": effects["provenance"]["model"],
    }


#: Exposed sites and storehouses named in the report's summary of risk, the largest first.
SUMMARY_RISK_ROWS = 5

#: The words of the risk engine's bands (as the app's Risk page says them).
_BANDS = {
    "intolerable": "intolerable", "tolerable_if_alarp": "tolerable if ALARP",
    "broadly_acceptable": "broadly acceptable", "admissible_by_analogy": "admissible (by analogy)",
    "not_admissible_by_analogy": "not admissible (by analogy)", "below_1e-6": "below 10⁻⁶",
    "exceeds_limit": "exceeds the limit", "exceeds_target_value": "exceeds the target value",
    "no_criterion": "no criterion", "tolerable": "tolerable",
    "above_orientation_value": "above the orientation value",
    "below_orientation_value": "below the orientation value",
    "no_societal_criterion": "no societal criterion",
}
_REGIMES = {"uk-hse": "UK HSE tolerability (R2P2)", "fr-2011": "France, 2011 decree (by analogy)",
            "nl": "Netherlands (Bevi location risk and group risk)"}


def _value_text(value: Any, w: Words) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return w.gettext("yes") if value else w.gettext("no")
    if isinstance(value, int | float):
        if value != 0 and abs(value) < 1e-2:
            return w.per_year(float(value))
        return w.style.fixed(float(value), 2 if float(value) != int(value) else 0)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value_text(v, w)}" for k, v in value.items())
    return str(value)


def risk_section(risk: dict[str, Any] | None, result: Any, w: Words) -> dict[str, Any] | None:
    """The biggest risk contributors as ``depotsafe risk`` gives them (its JSON object), with their caveats.

    Nothing is computed here: the exposed sites of the largest individual risk
    (``sites``), the storehouses of the largest share of the expected fatalities
    (``contributions``), the criterion each is judged by (``criteria``) and the
    assumptions (``assumptions``), counted by confidence, the unverified ones
    named.  Which risk inputs the layout gives is read from the layout itself.
    """
    if risk is None:
        return None
    _ = w.gettext
    depot = result.depot
    crit = risk["criteria"]
    used = {c["id"]: c for c in crit["used"]}

    def criterion(cid: str | None) -> dict[str, str]:
        c = used.get(cid or "")
        if c is None:
            return {"id": cid or "", "source": "", "confidence": ""}
        return {"id": c["id"], "source": c["source"], "confidence": c["confidence"]}

    sites = sorted(risk["sites"], key=lambda s: (-s["individual_risk_per_year"], s["id"]))
    top_sites = [{
        "id": s["id"], "kind": s["kind"], "population": s["population"],
        "persons": w.style.fixed(float(s["persons"]), 0), "presence": w.style.percent(100.0 * float(s["presence"]), 1),
        "ir": w.per_year(s["individual_risk_per_year"]), "band": _(_BANDS.get(s["band"], s["band"])),
        "tolerable": bool(s["tolerable"]), "criterion": criterion(s["criterion"]),
    } for s in sites[:SUMMARY_RISK_ROWS]]
    contributions = sorted(risk["contributions"], key=lambda c: (-c["share"], c["pes"]))
    top_pes = [{
        "pes": c["pes"], "members": c["members"], "share": w.percent(c["share"]),
        "ef": w.per_year(c["expected_fatalities_per_year"]),
    } for c in contributions[:SUMMARY_RISK_ROWS] if c["expected_fatalities_per_year"] > 0]
    storehouses = [m for e in risk["events"] for m in e["members"]]
    given_pe = [m for m in storehouses if "event_probability" in (depot.site(m).properties or {})]
    exposed = [s["id"] for s in risk["sites"]]
    given_presence = [i for i in exposed if "presence" in (depot.site(i).properties or {})]
    with_persons = [s["id"] for s in risk["sites"] if s["persons"] > 0]
    assumptions = risk["assumptions"]
    count = {k: sum(1 for a in assumptions if a["confidence"] == k) for k in ("P", "S", "C", "U", "user")}
    # the event probabilities alike (the default on every storehouse, most often) as one line
    rows: list[dict[str, Any]] = []
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for a in assumptions:
        item = a["item"]
        if item.endswith(".event_probability"):
            key = (repr(a["value"]), a["source"], a["confidence"], a.get("note", ""))
            if key in merged:
                merged[key]["sites"].append(item.rsplit(".", 1)[0])
                continue
            row = {"item": "event_probability", "sites": [item.rsplit(".", 1)[0]]}
            merged[key] = row
        else:
            row = {"item": item, "sites": []}
        row.update(value=_value_text(a["value"], w), source=a["source"], confidence=a["confidence"],
                   note=a.get("note", ""))
        rows.append(row)
    unverified = [r for r in rows if r["confidence"] == "U"]
    fn = crit["fn"]
    return {
        "regime": crit["regime"],
        "regime_label": _(_REGIMES.get(crit["regime"], crit["regime"])),
        "analogy": crit.get("label", ""),
        "criteria": [{"id": c["id"], "meaning": c["meaning"], "value": _value_text(c["value"], w),
                      "comparison": c["comparison"], "status": c["status"], "source": c["source"],
                      "confidence": c["confidence"]} for c in crit["used"]],
        "tolerable": bool(risk["tolerable"]),
        "top_sites": top_sites,
        "top_pes": top_pes,
        "expected_fatalities": w.per_year(risk["expected_fatalities_per_year"]),
        "fn_band": _(_BANDS.get(fn["band"], fn["band"])),
        "fn_criterion": criterion(fn.get("criterion")),
        "inputs": {
            "storehouses": len(storehouses), "event_probability": len(given_pe),
            "exposed": len(exposed), "presence": len(given_presence), "persons": len(with_persons),
            "none": not given_pe and not given_presence,
        },
        "counts": count,
        "n_assumptions": len(assumptions),
        "assumptions": rows,
        "unverified": unverified,
        "notes": list(risk["notes"]),
        "provenance": risk["provenance"],
    }
