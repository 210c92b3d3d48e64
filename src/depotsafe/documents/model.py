"""What a document says, read from the check's result (never computed another way).

Every figure below is a field of :class:`depotsafe.check.CheckResult` (its JSON
contract: ``sites``, ``violations``, ``pairs``, ``aggregations``, ``summary``,
``notes``, ``provenance``) or of the layout as read; this module only picks,
orders and words them.  A licence's limiting distance, rule and source are
those of the pair the check lists for that storehouse, exposed site and hazard
division; where the check lists no such pair (neither a violation nor a near
miss), the document says so rather than measure it again.
"""

from __future__ import annotations

from typing import Any

from depotsafe.documents.text import Words

#: Violations named in the two-minute summary, the tightest first.
SUMMARY_VIOLATIONS = 5


def _owner_key(site: dict[str, Any]) -> str:
    return site.get("group_id") or site["id"]


def _pair_index(pairs: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Listed pairs by (PES or group id, ES, HD)."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in pairs:
        out.setdefault((p.get("group_id") or p["pes"], p["es"], p["hd"]), p)
    return out


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
        "rule": v["rule_label"],
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


def licence(site: dict[str, Any], result: Any, pairs: dict[tuple[str, str, str], dict[str, Any]],
            w: Words, records: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One explosives limit licence (a storehouse or an aggregation group), from its site record."""
    _ = w.gettext
    depot = result.depot
    key = _owner_key(site)
    members = list(site.get("aggregation_group") or [site["id"]])
    physical = [depot.site(m) for m in members]
    rows = []
    for hd, limit in site["licence_limit_kg"].items():
        es = site["limiting_es"].get(hd)
        least = site["licence_at_least"].get(hd, False)
        pair = pairs.get((key, es, hd)) if es else None
        rows.append({
            "hd": hd,
            "limit": w.kg_limit(limit, least),
            "es": es or "",
            "distance": w.metres_measured(pair["distance_m"]) if pair else "",
            "required": w.metres_up(pair["required_distance_m"]) if pair else "",
            "rule": pair["rule_label"] if pair else "",
            "source": pair["source"] if pair else "",
            "pair_listed": pair is not None,
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
    pairs = _pair_index(list(result.iter_pairs()))
    records = {r["id"]: r for r in result.sites}
    seen: set[str] = set()
    out = []
    for site in result.sites:
        key = _owner_key(site)
        if key in seen:
            continue
        seen.add(key)
        out.append(licence(site, result, pairs, w, records))
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
             effects: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report template shows (``effects``: the JSON of ``depotsafe effects`` for the worst storehouse)."""
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
                           "imd": w.metres_up(j["imd_m"]), "rule": j["rule_label"], "source": j["source"]}
                          for j in a["joins"]],
            }
            for a in result.aggregations
        ],
        "licences": licences(result, w),
        "conditions": conditions(result, w),
        "notes": list(result.notes),
        "effects": effects_section(effects, w),
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
        "neq_source": ev["neq_source"],
        "explosive": ev["explosive"],
        "blast": [{"level": z["level"], "name": z["name"],
                   "overpressure": textfmt.number(z["overpressure_kpa"], "kPa", 3, w.style),
                   "radius": w.metres_up(z["radius_m"]), "source": z["source"]} for z in effects["zones"]["blast"]],
        "hazard": [{"kind": z["kind"], "hd": z["hd"], "radius": w.metres_up(z["radius_m"]), "rule": z["rule"],
                    "source": z["source"]} for z in effects["zones"]["hazard"]],
        "model": effects["provenance"]["model"],
    }
