"""The trainer's hand-out of a scenario: one page, HTML and PDF (issue 11 item 5).

The figures are those of :func:`depotsafe.scenario.run_scenario` (the JSON of
``depotsafe scenario --json``), written in the reader's language with the
documents' words (:mod:`depotsafe.documents.text`); the page is one template
(``templates/handout.html.j2``) rendered and typeset by
:mod:`depotsafe.documents.render` like the report, and its map is SVG drawn
with the site plan's frame, north arrow and scale bar
(:mod:`depotsafe.documents.plan`).  Rules, quotes and sources are the data's
own words (English), as in the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import shapely

from depotsafe.documents.plan import (
    Plan,
    _f,
    _Frame,
    choose_scale,
    door_mark,
    north_arrow,
    page_size,
    scale_bar,
)
from depotsafe.documents.render import font_covers, html_to_pdf, render_html
from depotsafe.documents.text import Words, words
from depotsafe.kinds import kinds

#: Map frame on the page [mm]: the text width of A4 portrait (15 mm margins) and a third of its height.
MAP_W_MM = 180.0
MAP_H_MM = 100.0
#: Size of the site labels on the map [mm], and a generous width of one bold character of it.
LABEL_MM = 2.4
_CHAR_MM = 0.68 * LABEL_MM
#: Colours of the map (the app's Scenarios page uses the same meaning).
EXPLODED = "#b2182b"
POSSIBLE = "#f4a582"
SURVIVES = "#1a9850"
RING = "#000000"

#: The engine's words -> msgids of the documents' catalogs (marked here so the catalogs can be checked).
EVENT_WORDS = {
    "mass-explosion": "mass explosion (HD 1.1/1.5)",
    "fragments": "explosion with fragments (HD 1.2)",
    "fire": "fire (HD 1.3/1.4)",
}
DELAY_WORDS = {
    "instant": "at once",
    "later": "later (likely)",
    "possible": "later (possible: chosen by the trainer)",
}
QUANTITY_WORDS = {"known": "known quantity", "unknown": "unknown quantity"}
OUTCOME_WORDS = {
    "survives": "survives",
    "possible": "a later event is possible",
    "likely": "a later event is likely",
}


def _persons(w: Words, value: float) -> str:
    """Persons present (a presence fraction can make it fractional: one decimal then)."""
    return w.style.fixed(value, 0 if float(value).is_integer() else 1)


def _fates(result: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Storehouse id -> step it explodes at; storehouse id -> its worst judgement where it does not go."""
    step_of = {m: st["step"] for st in result["steps"] for m in st["members"]}
    rank = {"survives": 0, "possible": 1, "likely": 2}
    worst: dict[str, str] = {}
    for st in result["steps"]:
        for j in st["escalation"]:
            if j["outcome"] not in rank:
                continue
            for m in j["members"]:
                if m not in step_of and rank[j["outcome"]] >= rank.get(worst.get(m, "survives"), 0):
                    worst[m] = j["outcome"]
    return step_of, worst


def chain_map(depot: Any, result: Mapping[str, Any], w: Words) -> tuple[Plan, list[int]]:
    """The depot with the chain: what explodes at which step, what survives, and each step's withdrawal ring.

    Drawn, as the site plan is, at the largest listed scale (smallest 1:n) that holds every footprint
    (routes run off the map); a ring larger than the map is drawn where it crosses it.  Returns the
    plan and the steps whose ring does not show on it (the whole map lies inside the ring).
    """
    _ = w.gettext
    fw, fh = MAP_W_MM, MAP_H_MM
    step_of, worst = _fates(result)
    rings = []
    for st in result["steps"]:
        foot = shapely.union_all([depot.site(m).geometry for m in st["members"]])
        rings.append((st["step"], float(st["withdrawal"]["radius_m"]), foot.buffer(st["withdrawal"]["radius_m"],
                                                                                  quad_segs=32)))
    geoms = [s.geometry for s in depot.sites if s.geometry.geom_type in ("Polygon", "MultiPolygon", "Point")] or \
        [s.geometry for s in depot.sites]
    minx, miny, maxx, maxy = shapely.GeometryCollection(geoms).bounds
    pad = 0.08 * max(maxx - minx, maxy - miny, 50.0)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = choose_scale(maxx - minx, maxy - miny, fw, fh)
    fr = _Frame(0.0, 0.0, fw, fh, (minx + maxx) / 2, (miny + maxy) / 2, scale)
    font = 'font-family="Noto Sans, DejaVu Sans, sans-serif"'
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chain-map" width="{_f(fw)}mm" height="{_f(fh)}mm" '
        f'viewBox="0 0 {_f(fw)} {_f(fh)}" data-scale="{scale}" {font}>',
        f'<defs><clipPath id="chain-clip"><rect x="0" y="0" width="{_f(fw)}" height="{_f(fh)}"/></clipPath></defs>',
        f'<rect x="0" y="0" width="{_f(fw)}" height="{_f(fh)}" fill="white" stroke="black" stroke-width="0.35"/>',
        '<g clip-path="url(#chain-clip)">',
    ]
    table = kinds()
    for s in depot.sites:
        if s.geometry.geom_type in ("LineString", "MultiLineString"):
            out.append(f'<path id="site-{escape(s.id)}" class="route" d="{fr.path(s.geometry)}" fill="none" '
                       f'stroke="#8a5a00" stroke-width="0.8"/>')
            continue
        if s.id in step_of:
            fill, cls = EXPLODED, f"exploded step-{step_of[s.id]}"
        elif s.id in worst:
            fill, cls = (POSSIBLE if worst[s.id] == "possible" else EXPLODED if worst[s.id] == "likely"
                         else SURVIVES), worst[s.id]
        elif table[s.kind].holds_explosives == "yes":
            fill, cls = "#cfcfcf", "storehouse"
        else:
            fill, cls = ("#f5c77e" if s.kind == "vulnerable_building" else "#cfe3f5"), "exposed"
        out.append(f'<path id="site-{escape(s.id)}" class="footprint {cls}" d="{fr.path(s.geometry)}" '
                   f'fill="{fill}" stroke="black" stroke-width="0.25"/>')
        out.extend(door_mark(fr, s))
    # each step's withdrawal ring, its label on the ring (step 1 at the top, the next ones further round)
    view = shapely.box(fr.ground_x(0), fr.ground_y(fh), fr.ground_x(fw), fr.ground_y(0))
    beyond = []
    for k, (number, radius, disc) in enumerate(rings):
        out.append(f'<path class="ring" id="ring-{number}" d="{fr.path(disc.boundary)}" fill="none" stroke="{RING}" '
                   f'stroke-width="{0.5 if number == 1 else 0.3}" stroke-dasharray="2 1"/>')
        seen = disc.boundary.intersection(view.buffer(-4.0 / fr.k))
        if seen.is_empty:
            beyond.append(number)
            continue
        # the label where the ring shows, the first step's at its highest visible point, the next further round
        pts = [p for g in getattr(seen, "geoms", [seen]) for p in g.coords]
        pts.sort(key=lambda q: -q[1])
        lx, ly = fr.xy(*pts[min(len(pts) - 1, k * max(1, len(pts) // 5))])
        # step number and distance only: no words in the drawing (SVG text is not shaped right to left);
        # the legend under the map says what the rings are
        text = f"{number}: {w.metres_up(radius)}"
        width = _CHAR_MM * len(text)
        out.append(f'<text class="ring-label" x="{_f(min(max(lx + 1.0, 1.0), fw - width - 1.0))}" '
                   f'y="{_f(min(max(ly + 3.0, 3.0), fh - 1.0))}" font-size="{_f(LABEL_MM)}" '
                   f'font-weight="bold" fill="{RING}">{escape(text)}</text>')
    taken: list[tuple[float, float, float, float]] = []
    for s in sorted(depot.sites, key=lambda s: (s.id not in step_of, s.id not in worst, s.id)):
        g = s.geometry
        text = s.id if s.id not in step_of else f"{s.id} ({step_of[s.id]})"
        colour = EXPLODED if s.id in step_of else "black"
        if g.geom_type in ("LineString", "MultiLineString"):
            seen = g.intersection(view)
            p = (seen if not seen.is_empty else g).interpolate(0.5, normalized=True)
            x0, y1 = fr.xy(p.x, p.y)
            x1, y0 = x0, y1
        else:
            x0, y0 = fr.xy(g.bounds[0], g.bounds[3])
            x1, y1 = fr.xy(g.bounds[2], g.bounds[1])
        box = _free_box(text, (x0, y0, x1, y1), taken, fw, fh)
        taken.append(box)
        out.append(f'<text class="site-id" x="{_f(box[0])}" y="{_f(box[3] - 0.5)}" font-size="{_f(LABEL_MM)}" '
                   f'font-weight="bold" fill="{colour}">{escape(text)}</text>')
    out.append("</g>")
    out.extend(north_arrow(w, fw))
    bar_m, bar_mm = scale_bar(out, w, fr, fw, fh, scale)
    out.append("</svg>")
    return Plan("\n".join(out), scale, "A4", "portrait", *page_size("A4", "portrait"), bar_m, bar_mm), beyond



def _free_box(text: str, near: tuple[float, float, float, float], taken: Sequence[tuple[float, float, float, float]],
              fw: float, fh: float) -> tuple[float, float, float, float]:
    """A label box (x0, y0, x1, y1, paper mm) beside a footprint's box that overlaps no label placed before.

    Tried in turn: right, left, above, below, then the corners, then twice as far; if every one is taken
    (a crowded yard), the first (the id stays legible in the tables).
    """
    w, h = _CHAR_MM * len(text) + 0.6, LABEL_MM * 1.15
    x0, y0, x1, y1 = near
    cy = 0.5 * (y0 + y1)
    cx = 0.5 * (x0 + x1)
    cands = []
    for gap in (0.6, 0.6 + 1.5 * h):
        cands += [(x1 + gap, cy - h / 2), (x0 - gap - w, cy - h / 2), (cx - w / 2, y0 - gap - h), (cx - w / 2, y1 + gap),
                  (x1 + gap, y0 - gap - h), (x0 - gap - w, y0 - gap - h), (x1 + gap, y1 + gap), (x0 - gap - w, y1 + gap)]
    boxes = [(a, b, a + w, b + h) for a, b in cands]
    for bx in boxes:
        inside = bx[0] >= 0 and bx[1] >= 0 and bx[2] <= fw and bx[3] <= fh
        if inside and not any(bx[0] < t[2] and t[0] < bx[2] and bx[1] < t[3] and t[1] < bx[3] for t in taken):
            return bx
    return boxes[0]


def _steps(result: Mapping[str, Any], w: Words) -> list[dict[str, Any]]:
    _ = w.gettext
    rows = []
    for st in result["steps"]:
        t = st["trigger"]
        ring = st["withdrawal"]
        tot = st["totals"]
        rows.append({
            "number": st["step"],
            "who": " + ".join(st["members"]),
            "neq": w.kg_stock(st["neq_kg"]),
            "hd": ", ".join(st["divisions"]),
            "event": _(EVENT_WORDS[st["event"]]),
            "why": (_("starts the scenario") if t is None else _("follows step {k} ({site}): {outcome}").format(
                        k=t["from_step"], site=t["from"], outcome=_(OUTCOME_WORDS[t["outcome"]]))),
            "rule": w.note(st["reason"]),
            "source": st["source"],
            "delay": _(DELAY_WORDS[st["delay"]]),
            "ring": w.metres_up(ring["radius_m"]),
            "ring_rule": ring["printed"],
            "persons_ring": _persons(w, tot["persons_in_withdrawal_ring"]),
            "persons_effects": _persons(w, tot["persons_in_effect_zones"]),
            "destroyed": ", ".join(tot["buildings_destroyed"]),
            "roads": ", ".join(tot["roads_to_close"]),
        })
    return rows


def _questions(result: Mapping[str, Any], questions: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    qs = result.get("scenario", {}).get("questions", []) if questions is None else questions
    return [{"step": int(q["step"]), "text": str(q["text"])} for q in sorted(qs, key=lambda q: int(q["step"]))
            if str(q.get("text", "")).strip()]


def handout(result: Mapping[str, Any], depot: Any, *, lang: str = "en", date: str, title: str = "",
            layout_name: str = "", questions: Sequence[Mapping[str, Any]] | None = None,
            font_check: Any = font_covers) -> Any:
    """The one-page hand-out of a scenario (``result`` as :func:`depotsafe.scenario.run_scenario` gives it).

    ``questions`` ([{"step": N, "text": ...}]) default to the result's own (``result["scenario"]["questions"]``).
    Returns a :class:`depotsafe.documents.Rendered` (``.html``, ``.pdf()``).
    """
    from depotsafe.documents import Rendered, _footer

    w = words(lang)
    _ = w.gettext
    sc = result["scenario"]
    first = result["steps"][0]
    start = " + ".join(first["members"])
    heading = title or sc.get("title") or _("{event} at {site}").format(event=_(EVENT_WORDS[first["event"]]),
                                                                        site=start)
    ring = first["withdrawal"]
    inside = ring["inside"]
    tot = result["totals"]
    prov = result["provenance"]
    doc = {"provenance": {"depotsafe_version": prov["depotsafe_version"], "date": date}}
    plan, beyond = chain_map(depot, result, w)
    page_title = f"{_('Training scenario')}: {heading}"
    html = render_html("handout.html.j2", {
        "doc": doc, "lang": lang, "_": _, "w": w, "title": page_title, "heading": heading,
        "plan": {"paper": "A4", "orientation": "portrait"}, "map": plan,
        "beyond": [{"step": st["step"], "ring": w.metres_up(st["withdrawal"]["radius_m"])}
                   for st in result["steps"] if st["step"] in beyond],
        "start": start, "event": _(EVENT_WORDS[first["event"]]), "layout_name": layout_name or sc.get("layout", ""),
        "date": date, "quantity": _(QUANTITY_WORDS[ring["quantity"]]),
        "steps": _steps(result, w),
        "first": {"ring": w.metres_up(ring["radius_m"]), "rule": ring["printed"], "source": ring["source"],
                  "hd": ring["hd"], "buildings": inside["buildings"], "roads": inside["roads"],
                  "storehouses": inside["storehouses"], "persons": _persons(w, inside["persons"])},
        "totals": {"steps": tot["steps"], "storehouses": " + ".join(tot["storehouses_involved"]),
                   "neq": w.kg_stock(tot["neq_involved_kg"]), "destroyed": ", ".join(tot["buildings_destroyed"]),
                   "roads": ", ".join(tot["roads_to_close"]),
                   "persons_rings": _persons(w, tot["persons_in_withdrawal_rings"]),
                   "largest_ring": w.metres_up(tot["largest_withdrawal_radius_m"])},
        "questions": _questions(result, questions),
        "provenance": prov,
        "footer": _footer(f"{page_title} — {date} — depotsafe {prov['depotsafe_version']} — input sha256 "
                          f"{prov['input_sha256'][:12]}"),
        "font_check": font_check,
    })
    return Rendered(html, plan)


def handout_bytes(result: Mapping[str, Any], depot: Any, fmt: str, **kw: Any) -> bytes:
    """The hand-out as ``fmt`` ("html" or "pdf") bytes."""
    doc = handout(result, depot, **kw)
    return doc.html.encode("utf-8") if fmt == "html" else html_to_pdf(doc.html)


__all__ = ["chain_map", "handout", "handout_bytes"]
