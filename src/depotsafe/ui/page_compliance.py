"""Compliance page: the whole-depot check, arcs on the map, pairs, licences."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.ui import exports, state
from depotsafe.ui.common import (
    DASH,
    KEEP,
    _,
    count,
    kg_headroom,
    kg_limit,
    kg_stock,
    lang,
    metres_measured,
    metres_up,
    note_text,
    progress,
    seconds,
    show_error,
    show_table,
)
from depotsafe.ui.maps import VIOLATION, Overlay, arc_overlays, pair_line, show_map

#: Pairs drawn on the map at most (violations first); the table has them all.
MAP_PAIRS = 400


def run_check(depot: Any, key: str, protection: str = "default") -> None:
    """Run the check with a progress bar and keep the result in the session."""
    from depotsafe.check import check_depot

    with progress(_("Checking every pair")) as step:
        t0 = time.perf_counter()
        result = check_depot(depot, progress=lambda f, m: step(f, m), protection=protection,
                             rounding=state.rounding())
        elapsed = time.perf_counter() - t0
    st.session_state["check"] = {"key": _check_key(key, protection), "result": result, "elapsed_s": elapsed,
                                 "pairs": list(result.iter_pairs())}


def _check_key(key: str, protection: str) -> str:
    """A result belongs to one depot and one degree of protection."""
    return key if protection == "default" else f"{key}|{protection}"


def _degree(p: dict[str, Any]) -> str:
    """The pair's degree of protection in one word (decision 31), or a dash off storage cells."""
    words = {"virtually_complete": _("virtually complete"), "high": _("high"), "high_limited": _("high/limited"),
             "moderate": _("moderate"), "limited": _("limited"), "none": _("none assured")}
    prot = p.get("protection")
    if not prot:
        return "–"
    text = words.get(prot["degree"], prot["degree"])
    if p.get("protection_unavailable"):
        text += " " + _("(degree asked unavailable)")
    return text


def _protection_select() -> str:
    """The degree of protection asked for this depot (kept per depot in the session)."""
    labels = {"default": _("default (each cell as printed)"), "virtually-complete": _("virtually complete"),
              "high": _("high")}
    current = state.protection()
    chosen = st.selectbox(
        _("Degree of protection between storage sites"), list(state.PROTECTION_CHOICES),
        index=list(state.PROTECTION_CHOICES).index(current), format_func=labels.__getitem__,
        key=f"protection_{st.session_state.get('depot_version', 0)}",
        help=_("The default applies each AASTP-1 cell as printed, its largest alternative. A degree takes the "
               "smallest alternative that gives it; a pair whose cell cannot is a violation until assessed. "
               "Aggregation groups always use the default."))
    if chosen != current:
        state.set_protection(chosen)
    return chosen


def _owners(result: Any) -> list[tuple[str, dict[str, Any]]]:
    """Each storehouse once, each aggregation group once (its members share its record)."""
    out, seen = [], set()
    for s in result.sites:
        gid = s.get("group_id")
        if gid:
            if gid in seen:
                continue
            seen.add(gid)
            group = s["aggregation_group"]
            out.append(((gid if len(group) > 10 else "+".join(group)) + " " + _("(group)"), s))
        else:
            out.append((s["id"], s))
    return out


def _aggregation_table(result: Any) -> list[dict[str, Any]]:
    held = {s["group_id"]: s.get("group_neq_kg", {}) for s in result.sites if s.get("group_id")}
    rows = []
    for agg in result.aggregations:
        neq = sum(held.get(agg["id"], {}).values())
        for j in agg["joins"]:
            rows.append({
                _("group"): "+".join(agg["members"]), _("NEQ of the group"): kg_stock(neq),
                _("join"): f"{j['a']} – {j['b']}",
                _("distance"): metres_measured(j["distance_m"]), _("inter-magazine distance"): metres_up(j["imd_m"]),
                _("rule"): j["rule"], _("source"): j["source"],
            })
    return rows


def _licence_table(result: Any) -> list[dict[str, Any]]:
    rows = []
    for name, s in _owners(result):
        held = s.get("group_neq_kg", s["neq_kg"])
        for hd, limit in s["licence_limit_kg"].items():
            neq = held.get(hd, 0.0) if isinstance(held, dict) else 0.0
            unlimited = s.get("licence_unlimited", {}).get(hd, limit is None) or limit is None
            at_least = bool(s.get("licence_at_least", {}).get(hd, False))
            rows.append({
                _("storehouse"): name,
                _("HD"): hd,
                _("NEQ held"): kg_stock(neq),
                _("licence (ELL)"): kg_limit(None if unlimited else limit, at_least),
                _("limiting exposed site"): s["limiting_es"].get(hd) or DASH,
                _("headroom"): kg_headroom(None if unlimited else limit - neq, at_least),
                # decision 30: toward very sensitive contents an individual assessment sets the licence
                _("limited by"): (_("assessment") + ": " + ", ".join(s.get("assessment_es", []))
                                  if s.get("licence_basis", {}).get(hd) == "assessment" else _("the tables")),
            })
    return rows


def _failing_cases(result: Any, pairs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(owner, HD) of every failing pair; an owner is a storehouse or its group's id."""
    owner = {s["id"]: s.get("group_id") or s["id"] for s in result.sites}
    return {(owner.get(p["pes"], p["pes"]), str(p["hd"])) for p in pairs if not p["compliant"]}


def _mixed_table(result: Any, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    failing = _failing_cases(result, pairs)
    rows = []
    for name, s in _owners(result):
        ms = s["mixed_stock"]
        own = s.get("group_id") or s["id"]
        for c in ms["cases"]:
            least = bool(c.get("max_neq_at_least", False))
            # the verdict of this division's case: its pairs (exact distances), or a limit below its NEQ
            fails = (own, str(c["hd"])) in failing or (c["headroom_kg"] is not None and c["headroom_kg"] < 0)
            rows.append({
                _("storehouse"): name,
                _("HD (as aggregated)"): c["hd"],
                _("NEQ held"): kg_stock(c["neq_kg"]),
                _("limit"): kg_limit(c["max_neq_kg"], least),
                _("headroom"): kg_headroom(c["headroom_kg"], least),
                _("limiting exposed site"): c["limiting_es"] or DASH,
                _("verdict"): _("VIOLATION") if fails else _("complies"),
                _("compatible mix"): _("yes") if s["compatibility"]["compatible"] else _("NO"),
            })
    return rows


def _overlays(result: Any, pairs: list[dict[str, Any]], arcs_of: str | None) -> list[Overlay]:
    depot = result.depot
    shown = [p for p in pairs if not p["compliant"]]
    cache = st.session_state["check"].setdefault("arc_overlays", {})  # arcs per sector (maps.arc_overlays)
    ckey = (arcs_of, lang())  # the arcs' labels are in the user's language
    if ckey not in cache:
        cache[ckey] = arc_overlays(result, arcs_of)
    out: list[Overlay] = list(cache[ckey])
    for p in shown[:MAP_PAIRS]:
        line = pair_line(depot.site(p["pes"]).geometry, depot.site(p["es"]).geometry)
        out.append(Overlay(
            line, _("violating pair"), VIOLATION, width=3, group="pair",
            hover=f"<b>{p['pes']} → {p['es']}</b> {_('HD')} {p['hd']}<br>{_('required')}: {metres_up(p['required_distance_m'])}"
                  f"<br>{_('actual')}: {metres_measured(p['distance_m'])}<br>{_('rule')}: {p['rule']} {note_text(p.get('rule_label', ''))}"
                  f"<br>{p.get('source', '')}"))
    return out


def render() -> None:
    """Draw the Compliance page."""
    st.header(_("Compliance"))
    depot, key, err = state.depot()
    if err is not None:
        show_error(err, _("The edited depot was refused; the check uses the last depot that read cleanly."))
    if depot is None:
        st.warning(_("No depot loaded."))
        return
    try:
        import depotsafe.check  # noqa: F401
    except ImportError:
        from depotsafe.ui.common import not_available

        not_available(_("the whole-depot check"))
        return
    st.caption(_("Every pair of a potential explosion site and an exposed site, against IATG 02.20 "
                 "(AASTP-1 (2006) Annex I-A). Distances between the nearest points of the footprints."))
    state.rounding_selectbox()
    protection = _protection_select()
    if st.button(_("Run the compliance check"), key="run_check", type="primary"):
        try:
            run_check(depot, key, protection)
        except (DepotsafeError, ValueError) as exc:
            show_error(exc, _("The check could not run"))
            return
    chk = st.session_state.get("check")
    if chk is None:
        st.info(_("Press the button to check the depot."))
        return
    if chk["key"] != _check_key(key, protection):
        st.warning(_("The depot changed since the last check: run it again."))
        return
    result = chk["result"]
    if result.rule_set.rounding != state.rounding():
        st.warning(_("The rounding changed since the last check: run it again."))
        return
    summ = result.summary()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Violations"), count(summ["violations"]), help=_("pairs closer than their required distance"))
    c2.metric(_("Pairs checked"), count(summ["pairs"]),
              help=_("the violations and the near misses: pairs that would fail at twice their PES's NEQ"))
    c3.metric(_("Incompatible mixes"), count(summ["incompatible_sites"]), help=_("AASTP-1 (2006) Part I §1.2.3, Tables 5 and 6"))
    c4.metric(_("Check time"), seconds(chk["elapsed_s"]))
    if result.compliant:
        st.success(_("The depot complies."))
    else:
        st.error(_("The depot does not comply."))
    st.caption(_("Rule set {rs} · rule data {sha} · depotsafe {v}").format(
        rs=result.rule_set.name, sha=result.rule_set.sha256[:12], v=result.provenance()["depotsafe_version"]))
    modes = {"formula": _("formula"), "table": _("table")}
    st.caption(_("Rounding: {mode}").format(mode=modes.get(result.rule_set.rounding, result.rule_set.rounding))
               + (" · " + _("distances and licences read from the printed AASTP-1 tables (decision 32)")
                  if result.rule_set.rounding == "table" else ""))
    for note in result.notes:  # the check's notes (aggregation groups, table mode, ...), in the user's language
        st.caption(note_text(note))

    pairs = chk["pairs"]
    pes_ids = sorted({p["pes"] for p in pairs})
    arcs_of = st.selectbox(_("Also draw every arc of"), ["", *pes_ids], key=f"{KEEP}arcs_of",
                           format_func={"": _("(violated arcs only)"), **{i: i for i in pes_ids}}.__getitem__)
    basemap = st.toggle(_("Basemap (needs internet)"), key=f"{KEEP}basemap_check", value=False,
                        disabled=depot.is_local)
    bad_sites = {p["pes"] for p in pairs if not p["compliant"]} | {p["es"] for p in pairs if not p["compliant"]}
    hover = {s["id"]: "<br>".join(f"{_('ELL')} {_('HD')} {hd}: {kg_limit(v, s.get('licence_at_least', {}).get(hd, False))}"
                             for hd, v in s["licence_limit_kg"].items())
             for s in result.sites}
    show_map(depot, _overlays(result, pairs, arcs_of or None), hover_extra=hover, highlight=bad_sites,
             basemap=basemap, key="check_map")

    st.subheader(_("Pairs"))
    only_bad = st.toggle(_("Violations only"), key=f"{KEEP}only_violations", value=True)
    shown = [p for p in pairs if not p["compliant"]] if only_bad else pairs
    show_table([{
        _("PES"): p["pes"], _("ES"): p["es"], _("HD"): p["hd"],
        _("required distance"): metres_up(p["required_distance_m"]), _("actual distance"): metres_measured(p["distance_m"]),
        _("verdict"): _("complies") if p["compliant"] else _("VIOLATION"),
        _("assessment required"): _("yes") if p.get("assessment_required", False) else _("no"),
        _("rule"): p["rule"],
        _("rule text"): note_text(p.get("rule_label", "")), _("source"): p.get("source", ""), _("protection"): _degree(p),
    } for p in shown], key="pairs_table", empty=_("No pair to show."))
    assessed = [p for p in pairs if p.get("assessment_required")]
    if assessed:
        st.warning(_("{n} pair(s) toward very sensitive contents (compatibility group A stock or a site marked "
                     "very_sensitive): the inter-magazine distances must not be used, an individual assessment "
                     "decides; they count as violations until assessed, and their required distance is the "
                     "table's, for information only. Source: {src}").format(
                         n=len(assessed), src=assessed[0].get("assessment_source", "")))

    if result.aggregations:
        st.subheader(_("Aggregation groups"))
        st.caption(_("Storage sites closer than their inter-magazine distance are one site with the aggregated "
                     "NEQ (AASTP-1 (2006) §1.3.2.3 b): each group is checked and licensed once, from the member "
                     "nearest to each exposed site."))
        show_table(_aggregation_table(result), key="aggregation_table")

    st.subheader(_("Explosives limit licence per storehouse"))
    st.caption(_("Per hazard division, each in isolation, the largest NEQ every exposed site allows; "
                 "the limiting exposed site and the headroom over the NEQ held."))
    st.caption(_("Source: the distance functions of AASTP-1 (2006) Annex I-A inverted (IATG 02.20); "
                 "the rule of each limiting pair is in the pair table."))
    show_table(_licence_table(result), key="licence_table")
    st.subheader(_("Actual mixed stock"))
    show_table(_mixed_table(result, pairs), key="mixed_table")

    _downloads(result, summ["pairs"])


def _downloads(result: Any, n_pairs: int) -> None:
    st.subheader(_("Downloads"))
    chk = st.session_state["check"]
    if chk.get("files") is None:
        if n_pairs > 5000 and not st.button(_("Prepare the downloads"), key="prepare_files"):
            return
        with progress(_("Writing the files")) as step:
            step(0.1, _("results"))
            files: dict[str, str | None] = {"json": exports.result_json(result), "csv": exports.pairs_csv(result)}
            step(0.5, _("arcs"))
            files["geojson"], files["kml"] = exports.arc_files(result)
        chk["files"] = files
    files = chk["files"]
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button(_("Results (JSON)"), files["json"] or "", file_name="check.json",
                       mime="application/json", key="dl_json")
    d2.download_button(_("Pairs (CSV)"), files["csv"] or "", file_name="pairs.csv", mime="text/csv", key="dl_csv")
    d3.download_button(_("Arcs (GeoJSON)"), files["geojson"] or "", file_name="arcs.geojson",
                       mime="application/geo+json", key="dl_arcs_geojson")
    if files["kml"] is None:
        d4.caption(_("KML needs a georeferenced layout."))
    else:
        d4.download_button(_("Arcs (KML)"), files["kml"], file_name="arcs.kml",
                           mime="application/vnd.google-earth.kml+xml", key="dl_arcs_kml")
    _document_downloads(result)


def _document_downloads(result: Any) -> None:
    """The report (PDF), one licence (PDF) and the site plan (SVG) of depotsafe.documents (docs/reports.md)."""
    from depotsafe import documents
    from depotsafe.documents.text import words
    from depotsafe.ui.common import lang

    w = words(lang() if lang() in documents.DOCUMENT_LANGUAGES else "en")
    chk = st.session_state["check"]
    # the storehouse whose every arc the map draws is drawn on the report's site plan too
    chosen = st.session_state.get(f"{KEEP}arcs_of") or ""
    arc_sites = [chosen] if chosen in {s["id"] for s in result.sites} else []
    if chk.get("documents") is not None and chk["documents"].get("arc_sites") != arc_sites:
        chk["documents"] = None  # prepared for another choice of arcs
    if chk.get("documents") is None:
        if not st.button(w.gettext("Prepare the report and licences"), key="prepare_documents"):
            return
        with st.spinner(w.gettext("Typesetting the report")):
            # the same report as `depotsafe report`: the worst storehouse's effects and the risk
            # contributors under the criteria chosen on the Risk page (UK HSE until one is chosen)
            criteria = st.session_state.get(f"{KEEP}risk_criteria") or "uk-hse"
            date = documents.document_date(None)
            rep = documents.report(result, lang=w.lang, date=date, layout_name="depot",
                                   effects=documents.worst_effects(result), risk=documents.depot_risk(result, criteria),
                                   arc_sites=arc_sites)
            chk["documents"] = {"date": date, "criteria": criteria, "arc_sites": arc_sites, "html": rep.html,
                                "pdf": rep.pdf(),
                                "svg": rep.plan.svg if rep.plan else ""}
    docs = chk["documents"]
    c1, c2, c3 = st.columns(3)
    c1.download_button(w.gettext("Report (PDF)"), docs["pdf"], file_name="depot_report.pdf",
                       mime="application/pdf", key="dl_report_pdf")
    c2.download_button(w.gettext("Site plan (SVG)"), docs["svg"], file_name="site_plan.svg",
                       mime="image/svg+xml", key="dl_plan_svg")
    site = c3.selectbox(w.gettext("Licence of"), documents.licence_ids(result), key="licence_site")
    licences = docs.setdefault("licences", {})
    if site not in licences:
        licences[site] = documents.licence(result, site, lang=w.lang, date=docs["date"], layout_name="depot").pdf()
    c3.download_button(w.gettext("Licence (PDF)"), licences[site], file_name=f"licence_{site}.pdf",
                       mime="application/pdf", key="dl_licence_pdf")
