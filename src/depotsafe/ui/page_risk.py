"""Risk page: individual and societal explosion risk (IATG 02.10, issue 10 item 6).

Lethality and location-risk contours on the map, the F-N curve with the chosen
criterion, the verdict per exposed site, the quantity-distance violations
ranked by the risk they put at their exposed site, and downloads.  Every figure
comes from :func:`depotsafe.risk.assess`, as ``depotsafe risk --json`` gives it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import streamlit as st

from depotsafe import textfmt
from depotsafe.errors import DepotsafeError
from depotsafe.ui import state
from depotsafe.ui.common import (
    DASH,
    KEEP,
    _,
    count,
    metres_measured,
    metres_up,
    note_text,
    number_style,
    percent,
    quantity,
    show_error,
    show_table,
    words,
)
from depotsafe.ui.maps import Overlay, show_map

#: Lethality contour colours, 100 % darkest.
LETHALITY_COLOURS = {"100": "#67000d", "50": "#cb181d", "10": "#fb6a4a", "1": "#fcbba1"}
#: Location-risk contour colours, 1e-4 darkest.
RISK_COLOURS = {1e-4: "#08306b", 1e-5: "#2171b5", 1e-6: "#6baed6", 1e-7: "#c6dbef"}
#: Grid cells the page offers [m] (the command's default is 25 m).
CELLS_M = (25.0, 50.0, 100.0)


def per_year(value: float | None) -> str:
    """A frequency or risk per year in the user's language, as the documents write it (textfmt.per_year)."""
    return textfmt.per_year(value, number_style(), missing=DASH)


def value_text(value: Any) -> str:
    """An assumption's value as text: numbers to three significant figures, mappings as "key: value"."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        if value != 0 and abs(value) < 1e-2:
            return per_year(float(value))
        return quantity(float(value), "").strip()
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    return str(value)


def _regimes() -> dict[str, str]:
    return {"uk-hse": _("UK HSE tolerability (R2P2)"),
            "fr-2011": _("France, 2011 decree (by analogy)"),
            "nl": _("Netherlands (Bevi location risk and group risk)")}


def _band(band: str) -> str:
    words = {
        "intolerable": _("intolerable"), "tolerable_if_alarp": _("tolerable if ALARP"),
        "broadly_acceptable": _("broadly acceptable"), "admissible_by_analogy": _("admissible (by analogy)"),
        "not_admissible_by_analogy": _("not admissible (by analogy)"), "below_1e-6": _("below 10⁻⁶"),
        "exceeds_limit": _("exceeds the limit"), "exceeds_target_value": _("exceeds the target value"),
        "no_criterion": _("no criterion"), "tolerable": _("tolerable"),
        "above_orientation_value": _("above the orientation value"),
        "below_orientation_value": _("below the orientation value"),
        "no_societal_criterion": _("no societal criterion"),
    }
    return words.get(band, band)


def _groups_from_check(depot_key: str) -> Any:
    """The Compliance page's check if it is of this depot as the risk uses it (default options), else None."""
    chk = st.session_state.get("check")
    if chk is None or chk.get("key") != depot_key:
        return None
    result = chk["result"]
    return result if result.rule_set.rounding == "formula" and result.rule_set.name == "iatg" else None


def compute(depot: Any, depot_key: str, regime: str, cell_m: float) -> dict[str, Any]:
    """The assessment, the events, the contours and the location-risk field, kept in the session."""
    from depotsafe.risk import (
        assess,
        build_events,
        lethality_contours,
        location_risk_field,
        risk_regions,
    )

    result = assess(depot, regime, grid_cell_m=None, check_result=_groups_from_check(depot_key))
    events, _unused = build_events(depot, [e["members"] for e in result["events"] if len(e["members"]) > 1])
    fld = location_risk_field(events, cell_m, coarsen=True)
    regions: dict[float, Any] = {}
    if fld is not None:
        x, y, grid, summary = fld
        result["location_risk"] = summary
        regions = risk_regions(x, y, grid, summary["cell_m"])
    contours = lethality_contours(events)
    out = {"key": (depot_key, regime, cell_m), "result": result, "contours": contours, "regions": regions}
    st.session_state["risk"] = out
    return out


def _overlays(contours: list[dict[str, Any]], regions: dict[float, Any], show: str) -> list[Overlay]:
    out: list[Overlay] = []
    if show in ("lethality", "both"):
        for c in contours:
            if c["geometry"] is None:
                continue
            name = _("{p} % lethality (person outdoors)").format(p=c["level_percent"])
            out.append(Overlay(
                c["geometry"].boundary, name, LETHALITY_COLOURS[c["level_percent"]], width=2,
                hover=f"<b>{c['pes']}</b> {name}<br>{metres_up(c['radius_m'])}"))
    if show in ("location", "both"):
        for level, geom in regions.items():
            if geom.is_empty:
                continue
            name = _("location risk ≥ {v} per year").format(v=per_year(level))
            out.append(Overlay(geom.boundary, name, RISK_COLOURS.get(level, "#08306b"), dash="dot", width=2,
                               hover=name))
    return out


def fn_figure(curve: list[dict[str, float]], fn: dict[str, Any], regime: str) -> Any:
    """The F-N curve as an exact step function, with the criterion of ``regime`` (point or line)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if curve:
        xs, ys = [], []
        prev = min(1.0, curve[0]["n"]) / 2.0
        for pt in curve:  # F(N) = f at n for N in (previous n, n]
            xs += [prev, pt["n"]]
            ys += [pt["f_per_year"], pt["f_per_year"]]
            prev = pt["n"]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=_("F-N curve of the depot"),
                                 line={"color": "#b2182b", "width": 2}))
    crit = fn.get("criterion")
    if regime == "uk-hse" and crit:
        fig.add_trace(go.Scatter(
            x=[fn["n_min"]], y=[fn["limit"]], mode="markers", marker={"size": 12, "symbol": "x", "color": "black"},
            name=_("UK HSE: N ≥ {n} at {f} per year is intolerable (one point, no line)").format(
                n=count(fn["n_min"]), f=per_year(fn["limit"]))))
    elif regime == "nl" and crit:
        top = max([1000.0, *(pt["n"] for pt in curve)])
        ns = [10.0 * (top / 10.0) ** (k / 40) for k in range(41)]
        fig.add_trace(go.Scatter(x=ns, y=[1e-3 / n ** 2 for n in ns], mode="lines",
                                 line={"color": "black", "dash": "dash"},
                                 name=_("Netherlands: orientation value F = 10⁻³ / N² for N ≥ 10")))
    fig.update_xaxes(type="log", title=_("N (deaths in one event)"))
    fig.update_yaxes(type="log", title=_("F (events per year with N or more deaths)"), exponentformat="power")
    from depotsafe.ui.maps import MAP_FONT_FAMILY

    fig.update_layout(height=420, margin={"l": 60, "r": 10, "t": 10, "b": 45},
                      legend={"orientation": "h", "y": -0.25}, font={"family": MAP_FONT_FAMILY})
    return fig


def site_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The table per exposed site, largest individual risk first."""
    rows = []
    for s in sorted(result["sites"], key=lambda s: -s["individual_risk_per_year"]):
        rows.append({
            _("exposed site"): s["id"], _("kind"): s["kind"], _("persons"): count(s["persons"]),
            _("presence"): percent(s["presence"]), _("population"): {"public": _("public"), "worker": _("worker")}.get(s["population"], s["population"]),
            _("individual risk per year"): per_year(s["individual_risk_per_year"]),
            _("location risk per year"): per_year(s["location_risk_per_year"]),
            _("verdict"): _band(s["band"]), _("criterion"): s["criterion"] or DASH,
        })
    return rows


def event_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The explosion events as the assessment built them, with why each has its outcome (the engine's
    reason, in the user's language: depotsafe.ui.common.note_text)."""
    return [{
        _("PES"): e["pes"], _("HD"): ", ".join(e["divisions"]),
        _("event probability per year"): per_year(e["event_probability_per_year"]),
        _("outcome and why"): note_text(e["reason"]),
    } for e in result["events"]]


def violation_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The quantity-distance violations ranked by the risk at their exposed site, with the two remedies."""
    rows = []
    for v in result.get("violations") or []:
        mv, lic = v["after_move"], v["after_licence_neq"]
        rows.append({
            _("rank"): str(v["rank"]), _("PES"): "+".join(v["group"]) if v.get("group") else v["pes"],
            _("exposed site"): v["es"], _("HD"): v["hd"],
            _("actual distance"): metres_measured(v["distance_m"]),
            _("required distance"): metres_up(v["required_distance_m"]),
            _("individual risk per year"): per_year(v["individual_risk_per_year"]),
            _("verdict"): _band(v["band"]),
            _("share from this PES"): percent(v["share_of_site_risk"]),
            _("after moving its stock"): f"{per_year(mv['individual_risk_per_year'])} ({_band(mv['band'])})",
            _("licence NEQ (share of the stock)"): percent(lic["scale"]),
            _("at the licence NEQ"): f"{per_year(lic['individual_risk_per_year'])} ({_band(lic['band'])})",
        })
    return rows


def sites_csv(result: dict[str, Any]) -> str:
    """Per exposed site and per violation, unrounded figures (CSV)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["record", "id", "es", "kind", "persons", "presence", "population", "individual_risk_per_year",
                "location_risk_per_year", "band", "criterion", "rank", "hd", "distance_m", "required_distance_m",
                "share_of_site_risk", "after_move_per_year", "licence_scale", "after_licence_neq_per_year"])
    for s in result["sites"]:
        w.writerow(["site", s["id"], s["id"], s["kind"], s["persons"], s["presence"], s["population"],
                    repr(s["individual_risk_per_year"]), repr(s["location_risk_per_year"]), s["band"],
                    s["criterion"] or "", "", "", "", "", "", "", "", ""])
    for v in result.get("violations") or []:
        w.writerow(["violation", "+".join(v["members"]), v["es"], v["es_kind"], v["persons"], v["presence"],
                    v["population"], repr(v["individual_risk_per_year"]), repr(v["location_risk_per_year"]),
                    v["band"], v["criterion"] or "", v["rank"], v["hd"], repr(v["distance_m"]),
                    repr(v["required_distance_m"]), repr(v["share_of_site_risk"]),
                    repr(v["after_move"]["individual_risk_per_year"]), repr(v["after_licence_neq"]["scale"]),
                    repr(v["after_licence_neq"]["individual_risk_per_year"])])
    return buf.getvalue()


def render() -> None:
    """Draw the Risk page."""
    st.header(_("Risk"))
    depot, depot_key, err = state.depot()
    if err is not None:
        show_error(err, _("The edited depot was refused; the risk uses the last depot that read cleanly."))
    if depot is None:
        st.warning(_("No depot loaded."))
        return
    st.caption(_("Individual and societal risk of an explosion (IATG 02.10): annual event probability × "
                 "probability of death given the event × presence, for every exposed site; each aggregation "
                 "group explodes as one. Every default and model choice is listed under Assumptions, with its "
                 "source and confidence."))
    regimes = _regimes()
    c1, c2, c3 = st.columns(3)
    regime = c1.selectbox(_("Criteria"), list(regimes), format_func=regimes.__getitem__, key=f"{KEEP}risk_criteria")
    cell = c2.selectbox(_("Location-risk grid cell"), list(CELLS_M), index=1, key=f"{KEEP}risk_cell",
                        format_func=words(metres_up, CELLS_M))
    shows = {"both": _("lethality and location risk"), "lethality": _("lethality contours"),
             "location": _("location-risk contours")}
    show = c3.selectbox(_("Contours on the map"), list(shows), format_func=shows.__getitem__, key=f"{KEEP}risk_show")
    if st.button(_("Compute the risk"), key="run_risk", type="primary"):
        try:
            with st.spinner(_("Computing the risk of every event at every exposed site")):
                compute(depot, depot_key, regime, cell)
        except (DepotsafeError, ValueError) as exc:
            show_error(exc, _("The risk could not be computed"))
            return
    held = st.session_state.get("risk")
    if held is None:
        st.info(_("Press the button to compute the risk."))
        return
    if held["key"] != (depot_key, regime, cell):
        st.warning(_("The depot or the options changed since the last computation: compute it again."))
        return
    result = held["result"]
    crit = result["criteria"]
    st.subheader(_("Criterion: {name}").format(name=regimes[regime]))
    if crit.get("label"):
        st.caption(_("By analogy: the 2011 limits are written for pyrotechnic clearance sites."))
    for c in crit["used"]:
        st.caption(f"{c['id']}: {c['comparison']} {per_year(c['value']) if c['value'] is not None else ''} "
                   f"({c['status']}; {c['source']}; [{c['confidence']}])")
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Expected fatalities per year"), per_year(result["expected_fatalities_per_year"]))
    m2.metric(_("Largest individual risk per year"),
              per_year(max((s["individual_risk_per_year"] for s in result["sites"]), default=0.0)))
    m3.metric(_("Quantity-distance violations"), count(len(result.get("violations") or [])))
    if result["tolerable"]:
        st.success(_("Every verdict against the chosen criteria is tolerable."))
    else:
        st.error(_("At least one verdict against the chosen criteria is not tolerable."))

    basemap = st.toggle(_("Basemap (needs internet)"), key=f"{KEEP}basemap_risk", value=False,
                        disabled=depot.is_local)
    show_map(depot, _overlays(held["contours"], held["regions"], show),
             highlight=[m for e in result["events"] for m in e["members"]], basemap=basemap, key="risk_map")
    st.caption(_("Lethality contours: probability of death of a person outdoors if the storehouse (its group) "
                 "explodes, 100, 50, 10 and 1 % (HSE SRAG criterion 3.5). Location risk: a person permanently "
                 "present outdoors, per year, drawn on the grid cells (as coarse as the grid)."))
    grid_note = (result.get("location_risk") or {}).get("note")
    if grid_note:
        st.caption(note_text(grid_note))

    st.subheader(_("Individual risk per exposed site"))
    show_table(site_rows(result), key="risk_sites_table")

    st.subheader(_("Explosion events"))
    st.caption(_("Each storehouse, or its aggregation group, explodes as one event: its annual probability, the "
                 "hazard divisions it holds and why it has its outcome (the cases of the mixed stock, AASTP-1 "
                 "Table 4)."))
    show_table(event_rows(result), key="risk_events_table")

    st.subheader(_("F-N curve"))
    st.plotly_chart(fn_figure(result["fn_curve"], crit["fn"], regime), width="stretch", key="risk_fn")
    st.caption(_("Societal verdict: {band}. {note}").format(band=_band(crit["fn"]["band"]), note=note_text(crit["fn"]["note"])))

    st.subheader(_("Where risk changes the answer"))
    st.caption(_("Every pair that fails its quantity-distance, ranked by the individual risk at its exposed "
                 "site; and that risk if the storehouse's stock (its group's) were moved out of reach, or "
                 "scaled down to what its explosives limit licence allows. Only that storehouse changes."))
    show_table(violation_rows(result), key="risk_violations_table", empty=_("No quantity-distance violation."))

    _escalation(result)

    with st.expander(_("Assumptions")):
        show_table([{_("item"): a["item"], _("value"): value_text(a["value"]), _("source"): a["source"],
                     _("confidence"): a["confidence"], _("note"): a.get("note", "")}
                    for a in result["assumptions"]], key="risk_assumptions")

    _downloads(depot, held)


def escalation_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per exposed site: the individual risk without escalation and in the bounding escalation case."""
    case = (result.get("sensitivity") or {}).get("escalation_bounding") or {}
    return [{
        _("exposed site"): s["id"],
        _("without escalation"): per_year(s["base_individual_risk_per_year"]),
        _("bounding case"): per_year(s["individual_risk_per_year"]),
        _("verdict (bounding case)"): _band(s["band"]),
    } for s in sorted(case.get("sites", []), key=lambda s: -s["individual_risk_per_year"])]


def _escalation(result: dict[str, Any]) -> None:
    case = (result.get("sensitivity") or {}).get("escalation_bounding")
    if not case:
        return
    st.subheader(_("Escalation beyond a group: bounding sensitivity case"))
    st.warning(_("Not an estimate: no sourced probability exists for one storehouse setting off another "
                 "beyond its aggregation group. Here every storehouse whose protection against propagation "
                 "is not virtually complete (AASTP-1 letters at its actual distance), within the event's "
                 "fragment or fire reach, is taken to explode with it. The figures above leave escalation "
                 "out; the truth lies between the two."))
    c1, c2 = st.columns(2)
    c1.metric(_("Events that take other storehouses along"),
              f"{count(case['escalated_events'])} / {count(len(case['events']))}")
    c2.metric(_("Expected fatalities per year, bounding case"), per_year(case["expected_fatalities_per_year"]),
              help=_("Without escalation: {v}").format(v=per_year(case["base_expected_fatalities_per_year"])))
    show_table(escalation_rows(result), key="risk_escalation_table")


def _downloads(depot: Any, held: dict[str, Any]) -> None:
    from depotsafe.cli import _clean
    from depotsafe.commands.risk import contours_geojson

    st.subheader(_("Downloads"))
    if "files" not in held:
        held["files"] = {
            "json": json.dumps(_clean(held["result"]), indent=2, allow_nan=False),
            "geojson": json.dumps(contours_geojson(depot, held["contours"]), allow_nan=False),
            "csv": sites_csv(held["result"]),
        }
    files = held["files"]
    d1, d2, d3 = st.columns(3)
    d1.download_button(_("Risk (JSON)"), files["json"], file_name="risk.json", mime="application/json",
                       key="dl_risk_json")
    d2.download_button(_("Lethality contours (GeoJSON)"), files["geojson"], file_name="lethality_contours.geojson",
                       mime="application/geo+json", key="dl_risk_geojson")
    d3.download_button(_("Sites and violations (CSV)"), files["csv"], file_name="risk.csv", mime="text/csv",
                       key="dl_risk_csv")
