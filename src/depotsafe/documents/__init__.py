"""Paper a licensing authority can sign: the depot safety report, explosives limit licences, the site plan.

Each document is one HTML template (package data under ``templates/``) filled
with the check's own figures (:mod:`depotsafe.documents.model`); the HTML is
written for screens as it is, and typeset as PDF by WeasyPrint
(:mod:`depotsafe.documents.render`).  The site plan is SVG drawn here
(:mod:`depotsafe.documents.plan`).  docs/reports.md is the user's guide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from depotsafe.documents import model
from depotsafe.documents.plan import Plan, site_plan
from depotsafe.documents.render import (
    document_date,
    font_covers,
    html_to_pdf,
    render_html,
)
from depotsafe.documents.text import DOCUMENT_LANGUAGES, words
from depotsafe.errors import InputError


@dataclass(frozen=True)
class Rendered:
    """A document as HTML, and the plan it holds (None for a licence)."""

    html: str
    plan: Plan | None

    def pdf(self) -> bytes:
        return html_to_pdf(self.html)


def _footer(text: str) -> str:
    return "".join(ch for ch in text if ch not in '"\\<>&\n')


def _plan_arcs(result: Any, arc_sites: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The QD arcs toward inhabited and vulnerable buildings (drawings only): those of the violated
    relations, and every arc, per face, of the storehouses (or their groups) in ``arc_sites``."""
    from depotsafe.report import arcs

    kinds = tuple(k for k in ("inhabited_building", "vulnerable_building")
                  if any(s.kind == k for s in result.depot.sites))
    if not kinds:
        return []
    drawn = arcs(result, kinds, violated_only=True) if result.n_violations else []
    if arc_sites:
        # the chosen storehouses' arcs, violated ones not drawn twice
        drawn += [a for a in arcs(result, kinds, pes=list(arc_sites)) if not a["properties"].get("violated")]
    return drawn


def _shown(ids: Sequence[str], most: int = 15) -> str:
    """The first ``most`` ids, for a message that lists what is allowed."""
    return ", ".join(ids[:most]) + (", ..." if len(ids) > most else "")


def check_arc_sites(result: Any, arc_sites: Sequence[str]) -> None:
    """Refuse (InputError naming --arcs) an id that is not a storehouse of the checked layout."""
    ids = [s["id"] for s in result.sites]
    for site_id in arc_sites:
        if site_id not in ids:
            raise InputError("--arcs", site_id, f"a storehouse of the layout ({_shown(ids)})")


def report(result: Any, *, lang: str = "en", date: str, layout_name: str, paper: str = "A4",
           orientation: str = "portrait", font_check: Any = font_covers, with_arcs: bool = True,
           effects: dict[str, Any] | None = None, risk: dict[str, Any] | None = None,
           arc_sites: Sequence[str] = ()) -> Rendered:
    """The depot safety report (summary, detail, site plan) of a checked depot.

    ``effects`` is the JSON object of ``depotsafe effects`` for the worst storehouse
    (:func:`worst_effects`); without it the report says where to get the effect zones.
    ``risk`` is the JSON object of ``depotsafe risk`` for the depot (:func:`depot_risk`);
    without it the report says that no risk figure is stated and where to get one.
    ``arc_sites``: storehouses whose every QD arc the site plan draws (beside the violated ones).
    """
    w = words(lang)
    doc = model.document(result, w, date=date, layout_name=layout_name, effects=effects, risk=risk)
    plan = site_plan(result, w, paper=paper, orientation=orientation, date=date, layout_name=layout_name,
                     arcs=_plan_arcs(result, arc_sites) if with_arcs else None)
    title = f"{w.gettext('Depot safety report')}: {layout_name}"
    html = render_html("report.html.j2", {
        "doc": doc, "plan": plan, "lang": lang, "_": w.gettext, "w": w, "title": title,
        "footer": _footer(f"{title} — {date} — input sha256 {doc['provenance']['input_sha256'][:12]}"),
        "font_check": font_check,
    })
    return Rendered(html, plan)


def worst_effects(result: Any, layout: str | None = None, stock: str | None = None, max_mb: float | None = None,
                  layer: list[str] | None = None) -> dict[str, Any] | None:
    """``depotsafe effects LAYOUT --event ID --json`` for the storehouse of the tightest violation (None if compliant).

    The effects engine's own function (:func:`depotsafe.effects.answer.event_effects`, as the
    command calls it) on the depot the check read: ``layout``, ``stock``, ``max_mb`` and ``layer``
    are not read again (kept for the callers that give them).
    """
    from depotsafe.effects.answer import event_effects

    del layout, stock, max_mb, layer
    site = model.worst_storehouse(result)
    if site is None:
        return None
    return event_effects(result.depot, site)[0]


def depot_risk(result: Any, criteria: str = "uk-hse") -> dict[str, Any]:
    """``depotsafe risk LAYOUT --criteria CRITERIA --json`` for a checked depot (without the location-risk grid).

    The risk engine's own function (:func:`depotsafe.risk.assess`), as the command calls it.  The
    command takes its aggregation groups from the default check (rule set iatg, formula rounding,
    default protection): this check is handed over when it is that one, else the engine runs it.
    """
    from depotsafe.risk import assess

    rs = result.rule_set
    default = rs.name == "iatg" and rs.rounding == "formula" and result.summary()["protection"] == "default"
    return assess(result.depot, criteria, grid_cell_m=None, check_result=result if default else None)


def licence_ids(result: Any) -> list[str]:
    """The ids a licence can be asked for: every storehouse the check licenses, and every group id."""
    ids = [s["id"] for s in result.sites]
    ids += sorted({s["group_id"] for s in result.sites if s.get("group_id")})
    return ids


def licence(result: Any, site_id: str, *, lang: str = "en", date: str, layout_name: str,
            font_check: Any = font_covers) -> Rendered:
    """The explosives limit licence of one storehouse (or of the aggregation group it belongs to)."""
    w = words(lang)
    record = next((s for s in result.sites if s["id"] == site_id or s.get("group_id") == site_id), None)
    if record is None:
        raise InputError("--site", site_id, f"a storehouse or aggregation group of the layout "
                         f"({_shown(licence_ids(result))})")
    doc = model.document(result, w, date=date, layout_name=layout_name)
    key = record.get("group_id") or record["id"]
    lic = next(x for x in doc["licences"] if x["key"] == key)
    title = f"{w.gettext('Explosives limit licence')} {lic['number']}"
    html = render_html("licence.html.j2", {
        "doc": doc, "lic": lic, "lang": lang, "_": w.gettext, "w": w, "title": title,
        "plan": {"paper": "A4", "orientation": "portrait"},
        "footer": _footer(f"{title} — {layout_name} — {date}"),
        "font_check": font_check,
    })
    return Rendered(html, None)


__all__ = ["DOCUMENT_LANGUAGES", "Rendered", "check_arc_sites", "depot_risk", "document_date", "licence", "licence_ids", "report",
           "site_plan", "worst_effects"]
