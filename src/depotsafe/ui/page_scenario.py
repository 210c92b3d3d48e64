"""Scenarios page (issue 11): a chain of events from one storehouse, stepped through in front of a class.

The engine is ``depotsafe.scenario`` (the same as ``depotsafe scenario``).  The page steps through the
chain (previous/next, a timeline), draws a large high-contrast map for a projector, lets the trainer
set a question before revealing each step, and saves and opens scenario files (docs/cli.md
"Scenario files") so that a scenario prepared at home opens offline in class.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.ui import model, state
from depotsafe.ui.common import (
    DASH,
    KEEP,
    _,
    count,
    kg_stock,
    metres_measured,
    metres_up,
    note_text,
    percent,
    quantity,
    show_error,
    show_table,
)
from depotsafe.ui.maps import CLASS_TEXT_SCALE, Overlay, depot_figure

RING = "#000000"
EXPLODED = "#b2182b"
POSSIBLE = "#f4a582"
SURVIVES = "#1a9850"
#: Plot height of the class map [px]: large enough to read from the back of a room.
CLASS_MAP_PX = 820


def _outcome_text() -> dict[str, str]:
    return {"survives": _("survives"), "possible": _("possible (the trainer chooses)"),
            "likely": _("likely: a later event"), "already involved": _("already involved")}


def _event_text() -> dict[str, str]:
    return {"": _("the most severe its stock allows"), "mass-explosion": _("mass explosion (HD 1.1/1.5)"),
            "fragments": _("fragments (HD 1.2)"), "fire": _("fire (HD 1.3/1.4)")}


def _source() -> tuple[Any, str, dict[str, Any] | None]:
    """The depot of the page: a loaded scenario file's, else the session's; its key; the loaded file."""
    loaded = st.session_state.get("scenario_file")
    if loaded is not None:
        from depotsafe.layout import read_layout

        return read_layout(loaded["layout"]), "file:" + loaded["_sha"], loaded
    depot, depot_key, err = state.depot()
    if err is not None:
        show_error(err, _("The edited depot was refused; the scenario uses the last depot that read cleanly."))
    return depot, str(depot_key), None


def _open_file() -> None:
    from depotsafe.scenario import read_scenario

    up = st.file_uploader(_("Open a scenario file (JSON)"), type=["json"], key="scenario_upload")
    if up is None:
        return
    raw = up.getvalue()
    import hashlib

    sha = hashlib.sha256(raw).hexdigest()
    cur = st.session_state.get("scenario_file")
    if cur is not None and cur["_sha"] == sha:
        return
    try:
        model.check_size(raw, _("scenario file"))
        doc = read_scenario(raw, field=_("scenario file"))
        from depotsafe.layout import read_layout

        read_layout(doc["layout"])
    except (DepotsafeError, ValueError) as exc:
        show_error(exc, _("The scenario file was refused"))
        return
    doc["_sha"] = sha
    st.session_state["scenario_file"] = doc
    st.session_state[f"{KEEP}scn_start"] = doc["start"]
    st.session_state[f"{KEEP}scn_event"] = doc["event"] or ""
    st.session_state[f"{KEEP}scn_follow"] = list(doc["follow"])
    st.session_state[f"{KEEP}scn_quantity"] = doc["quantity"]
    questions: dict[int, str] = {}
    for q in doc["questions"]:  # a file may set several questions before one step: keep them all
        k = int(q["step"])
        questions[k] = f"{questions[k]}\n\n{q['text']}" if k in questions else q["text"]
    st.session_state["scn_questions"] = questions
    # the question boxes drawn before the file was opened would keep their old text and overwrite these
    for key in [key for key in st.session_state if str(key).startswith("scn_q_")]:
        del st.session_state[key]
    st.session_state["scn_step"] = 1


def _questions() -> dict[int, str]:
    return st.session_state.setdefault("scn_questions", {})


def _map(depot: Any, result: dict[str, Any], step: dict[str, Any], projector: bool) -> None:
    from shapely import union_all

    overlays: list[Overlay] = []
    members = step["members"]
    footprint = union_all([depot.site(m).geometry for m in members])
    w = step["withdrawal"]
    wide = 3  # depot_figure scales the lines with the text in class mode
    overlays.append(Overlay(footprint.buffer(w["radius_m"], quad_segs=32).boundary,
                            _("withdrawal {r}").format(r=metres_up(w["radius_m"])), RING, dash="dash", width=wide,
                            hover=f"{w['printed']}<br>{w['source']}",
                            label=_("withdraw to {r}").format(r=metres_up(w["radius_m"])),
                            label_origin=footprint, label_radius_m=float(w["radius_m"])))
    for z in step["zones"]["blast"]:
        if z["level"] not in ("L70", "L5"):
            continue
        colour = EXPLODED if z["level"] == "L70" else "#fdae61"
        overlays.append(Overlay(footprint.buffer(z["radius_m"], quad_segs=32).boundary,
                                f"{z['level']} {z['name']}", colour, width=wide,
                                hover=f"{z['name']}: {z['buildings']}<br>{z['people']}",
                                label=f"{z['level']} {metres_up(z['radius_m'])}", label_origin=footprint,
                                label_radius_m=float(z["radius_m"])))
    for z in step["zones"]["hazard"]:
        overlays.append(Overlay(footprint.buffer(z["radius_m"], quad_segs=32).boundary,
                                f"{z['kind']} HD {z['hd']}", "#542788", dash="dot", width=wide,
                                hover=f"{z['rule']}<br>{z['source']}", label=f"{z['kind']} {metres_up(z['radius_m'])}",
                                label_origin=footprint, label_radius_m=float(z["radius_m"])))
    gone = [m for s in result["steps"] if s["step"] <= step["step"] for m in s["members"]]
    for m in gone:
        overlays.append(Overlay(depot.site(m).geometry, _("exploded"), EXPLODED, fill=True, width=wide,
                                group="exploded"))
    for j in step["escalation"]:
        if j["outcome"] in ("possible", "survives"):
            colour = POSSIBLE if j["outcome"] == "possible" else SURVIVES
            for m in j["members"]:
                overlays.append(Overlay(depot.site(m).geometry, _outcome_text()[j["outcome"]], colour, fill=True,
                                        width=wide, group=j["outcome"]))
    # class mode: the same map with every text, marker and line scaled for a projector, the labels placed
    # at that size so that they still do not overlap (depotsafe.ui.maps.plan_map)
    fig = depot_figure(depot, overlays, highlight=members, plot_height_px=CLASS_MAP_PX if projector else 520,
                       text_scale=CLASS_TEXT_SCALE if projector else 1.0)
    st.plotly_chart(fig, width="stretch", key=f"scn_map_{step['step']}")


def _step_view(depot: Any, result: dict[str, Any], step: dict[str, Any], projector: bool) -> None:
    who = step["site"] if len(step["members"]) == 1 else "+".join(step["members"])
    st.subheader(_("Step {n}: {event} at {who}").format(n=step["step"], event=note_text(step["event_text"]), who=who))
    st.markdown(_("**{neq}** NEQ, HD {hd}").format(neq=kg_stock(step["neq_kg"]), hd=", ".join(step["divisions"])))
    t = step["trigger"]
    if t is None:
        st.info(_("The scenario starts here."))
    else:
        chosen = _(" (chosen by the trainer)") if t.get("chosen_by_trainer") else ""
        st.warning(_("Follows step {k} ({site}): {outcome}{chosen}.\n\nRule: {rule}\n\nSource: {source}").format(
            k=t["from_step"], site=t["from"], outcome=_outcome_text()[t["outcome"]], chosen=chosen,
            rule=note_text(t["rule"]), source=t["source"]))
        st.caption(f"“{t['quote']}”")
    if len(step["members"]) > 1:
        st.caption(note_text(step["aggregation"]))
    w = step["withdrawal"]
    inside = w["inside"]
    st.error(_("First response: withdraw non-essential personnel to **{r}** (AASTP-1 Table T.2, HD {hd}, "
               "{q} quantity). Inside: buildings {b}; roads to close {roads}; storehouses {s}; "
               "{p} person(s).").format(r=metres_up(w["radius_m"]), hd=w["hd"], q=w["quantity"],
                                        b=", ".join(inside["buildings"]) or DASH,
                                        roads=", ".join(inside["roads"]) or DASH,
                                        s=", ".join(inside["storehouses"]) or DASH, p=count(inside["persons"])))
    _map(depot, result, step, projector)
    rows = []
    for s in sorted(step["buildings"], key=lambda s: s["distance_m"]):
        b = s["building"]
        inj = s["injury_probability"] or {}
        rows.append({
            _("site"): s["id"], _("kind"): s["kind"], _("distance"): metres_measured(s["distance_m"]),
            _("persons present"): count(s["persons_present"]),
            _("overpressure"): quantity(s["incident_overpressure_kpa"], "kPa"), _("zone"): s["zone"] or DASH,
            _("structure"): (_("destroyed") if b["destroyed"] else percent(b["structural_collapse"])
                             if b["structural_collapse"] is not None else b["type"]),
            _("eardrum"): percent(inj["eardrum_rupture"]) if inj else DASH,
            _("in withdrawal ring"): _("yes") if s["in_withdrawal_ring"] else "",
            _("explodes at step"): s["involved_in_step"] or "",
        })
    st.markdown("#### " + _("At every site"))
    show_table(rows, key=f"scn_sites_{step['step']}")
    st.markdown("#### " + _("The other storehouses"))
    show_table([{_("storehouse"): "+".join(j["members"]), _("outcome"): _outcome_text()[j["outcome"]],
                 _("rule"): note_text(j["rule"]) if "rule" in j else _("step {n}").format(n=j.get("step")), _("source"): j.get("source", "")}
                for j in step["escalation"]], key=f"scn_esc_{step['step']}")


def _move(by: int) -> None:
    """Previous/next: runs before the page is drawn again, so both buttons see the new step."""
    st.session_state["scn_step"] = int(st.session_state.get("scn_step", 1)) + by


def render() -> None:
    """Draw the Scenarios page."""
    from depotsafe.scenario import run_scenario, scenario_document

    st.header(_("Scenarios"))
    st.caption(_("For trainers: what happens, step by step, when a storehouse explodes or burns; what the "
                 "distances protect, and what follows where they do not hold."))
    with st.expander(_("Open or save a scenario file"), expanded=False):
        _open_file()
        if st.session_state.get("scenario_file") is not None and st.button(
                _("Close the scenario file (use the depot of the Depot page)"), key="scn_close"):
            st.session_state.pop("scenario_file", None)
    depot, depot_key, loaded = _source()
    if depot is None:
        st.warning(_("No depot loaded."))
        return
    stores = [s.id for s in depot.sites if s.stock_entries]
    if not stores:
        st.info(_("No storehouse holds stock: add stock on the Depot page."))
        return
    if loaded is not None:
        st.info(_("Scenario file: {title}").format(title=loaded["title"] or DASH))
    if st.session_state.get(f"{KEEP}scn_start") not in stores:
        st.session_state[f"{KEEP}scn_start"] = stores[0]
    c1, c2, c3 = st.columns(3)
    start = c1.selectbox(_("Where it starts"), stores, key=f"{KEEP}scn_start")
    events = _event_text()
    event = c2.selectbox(_("Initiating event"), list(events), format_func=events.__getitem__,
                         key=f"{KEEP}scn_event")
    quantities = {"known": _("known quantity"), "unknown": _("unknown quantity")}
    qty = c3.selectbox(_("Withdrawal distance (Table T.2)"), list(quantities), format_func=quantities.__getitem__,
                       key=f"{KEEP}scn_quantity")
    follow = st.multiselect(_("Storehouses that go where a later event is only possible (the trainer decides)"),
                            [s for s in stores if s != start], key=f"{KEEP}scn_follow")
    projector = st.toggle(_("Class mode: large map for a projector"), key=f"{KEEP}scn_projector", value=False)
    # a file's explosive and sparse setting hold on the page as in `depotsafe scenario --load`
    explosive = (loaded or {}).get("explosive") or "TNT"
    sparse = bool((loaded or {}).get("sparse", False))
    run_key = (depot_key, start, event, tuple(follow), qty, explosive, sparse)
    cached = st.session_state.get("scn_result")
    if cached is None or cached[0] != run_key:
        try:
            with st.spinner(_("Working out the chain of events")):
                result = run_scenario(depot, start, event or None, follow, qty, explosive=explosive, sparse=sparse)
        except (DepotsafeError, ValueError) as exc:
            show_error(exc, _("The scenario could not be worked out"))
            return
        st.session_state["scn_result"] = (run_key, result)
        st.session_state["scn_step"] = 1
    else:
        result = cached[1]
    steps = result["steps"]
    n = len(steps)
    k = min(max(int(st.session_state.get("scn_step", 1)), 1), n)
    st.session_state["scn_step"] = k
    b1, b2, b3 = st.columns([1, 1, 4])
    b1.button(_("◀ Previous"), key="scn_prev", disabled=k <= 1, on_click=_move, args=(-1,))
    b2.button(_("Next ▶"), key="scn_next", disabled=k >= n, on_click=_move, args=(1,))
    b3.markdown(" → ".join(f"**{s['step']}. {s['site']}**" if s["step"] == k else f"{s['step']}. {s['site']}"
                           for s in steps))
    step = steps[k - 1]
    questions = _questions()
    with st.expander(_("Question for the class before step {n}").format(n=k), expanded=False):
        text = st.text_area(_("Question"), value=questions.get(k, ""), key=f"scn_q_{k}")
        questions[k] = text
    revealed = st.session_state.setdefault("scn_revealed", set())
    if questions.get(k) and (run_key, k) not in revealed:
        st.markdown("### " + questions[k])
        if st.button(_("Reveal step {n}").format(n=k), key=f"scn_reveal_{k}"):
            revealed.add((run_key, k))
            st.rerun()
        return
    _step_view(depot, result, step, projector)
    tot = result["totals"]
    st.markdown("#### " + _("The whole chain"))
    st.markdown(_("{n} step(s); storehouses {s}; {neq} NEQ; buildings destroyed {b}; roads to close {r}; "
                  "largest withdrawal ring {w}.").format(
        n=tot["steps"], s=", ".join(tot["storehouses_involved"]), neq=kg_stock(tot["neq_involved_kg"]),
        b=", ".join(tot["buildings_destroyed"]) or DASH, r=", ".join(tot["roads_to_close"]) or DASH,
        w=metres_up(tot["largest_withdrawal_radius_m"])))
    for note in result["notes"]:
        st.caption(note_text(note))
    layout = loaded["layout"] if loaded is not None else model.merge_stock(
        st.session_state.get("layout_fc") or {}, st.session_state.get("stock_rows") or [])
    doc = scenario_document(layout, start, event or None, follow, qty, explosive=explosive, sparse=sparse,
                            notes=(loaded or {}).get("notes", ""),
                            title=(loaded or {}).get("title", "") or f"{start}",
                            questions=[{"step": s, "text": q} for s, q in sorted(questions.items()) if q])
    from depotsafe.commands.scenario import text as handout

    c1, c2 = st.columns(2)
    c1.download_button(_("Save the scenario (JSON)"), json.dumps(doc, indent=1), file_name=f"scenario_{start}.json",
                       mime="application/json", key="scn_save")
    c2.download_button(_("Hand-out (text)"), handout(result), file_name=f"scenario_{start}.txt",
                       mime="text/plain", key="scn_handout")
    _handout_downloads(depot, result, run_key, doc)


def _handout_downloads(depot: Any, result: dict[str, Any], run_key: tuple[Any, ...], doc: dict[str, Any]) -> None:
    """The one-page hand-out (depotsafe.documents.handout, as `depotsafe scenario --handout`): HTML and PDF."""
    from depotsafe import documents
    from depotsafe.documents.handout import handout
    from depotsafe.documents.render import html_to_pdf
    from depotsafe.ui.common import lang

    language = lang() if lang() in documents.DOCUMENT_LANGUAGES else "en"
    key = (run_key, doc["title"], json.dumps(doc["questions"]), language)
    cached = st.session_state.get("scn_handout_doc")
    if cached is None or cached["key"] != key:
        date = documents.document_date(None)
        rendered = handout(result, depot, lang=language, date=date, title=doc["title"],
                           questions=doc["questions"])
        cached = {"key": key, "html": rendered.html, "pdf": None}
        st.session_state["scn_handout_doc"] = cached
    start = doc["start"]
    c1, c2 = st.columns(2)
    c1.download_button(_("Hand-out (HTML, one page)"), cached["html"], file_name=f"handout_{start}.html",
                       mime="text/html", key="scn_handout_html")
    if cached["pdf"] is None:
        if not c2.button(_("Prepare the hand-out (PDF)"), key="scn_handout_prepare"):
            return
        with st.spinner(_("Typesetting the hand-out")):
            cached["pdf"] = html_to_pdf(cached["html"])
    c2.download_button(_("Hand-out (PDF, one page)"), cached["pdf"], file_name=f"handout_{start}.pdf",
                       mime="application/pdf", key="scn_handout_pdf")
