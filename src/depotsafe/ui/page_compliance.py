"""Compliance page: the whole-depot check, arcs on the map, pairs, licences."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.ui import exports, state
from depotsafe.ui.common import KEEP, _, kilograms_down, metres_up, progress, show_error
from depotsafe.ui.maps import VIOLATION, Overlay, arc_overlays, depot_figure, pair_line

#: Pairs drawn on the map at most (violations first); the table has them all.
MAP_PAIRS = 400


def run_check(depot: Any, key: str) -> None:
    """Run the check with a progress bar and keep the result in the session."""
    from depotsafe.check import check_depot

    with progress(_("Checking every pair")) as step:
        t0 = time.perf_counter()
        result = check_depot(depot, progress=lambda f, m: step(f, m), rounding=state.rounding())
        elapsed = time.perf_counter() - t0
    st.session_state["check"] = {"key": key, "result": result, "elapsed_s": elapsed,
                                 "pairs": list(result.iter_pairs())}


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


def _aggregation_table(result: Any) -> pd.DataFrame:
    rows = []
    for agg in result.aggregations:
        for j in agg["joins"]:
            rows.append({
                _("group"): "+".join(agg["members"]), _("join"): f"{j['a']} – {j['b']}",
                _("distance [m]"): j["distance_m"], _("inter-magazine distance [m]"): j["imd_m"],
                _("rule"): j["rule"], _("source"): j["source"],
            })
    return pd.DataFrame(rows)


def _licence_table(result: Any) -> pd.DataFrame:
    rows = []
    for name, s in _owners(result):
        held = s.get("group_neq_kg", s["neq_kg"])
        for hd, limit in s["licence_limit_kg"].items():
            neq = held.get(hd, 0.0) if isinstance(held, dict) else 0.0
            unlimited = s.get("licence_unlimited", {}).get(hd, limit is None)
            rows.append({
                _("storehouse"): name,
                _("HD"): hd,
                _("NEQ held [kg]"): neq,
                _("licence (ELL)"): _("unlimited") if unlimited else kilograms_down(limit),
                _("limiting exposed site"): s["limiting_es"].get(hd) or "–",
                _("headroom [kg]"): None if unlimited or limit is None else limit - neq,
            })
    return pd.DataFrame(rows)


def _mixed_table(result: Any) -> pd.DataFrame:
    rows = []
    for name, s in _owners(result):
        ms = s["mixed_stock"]
        for c in ms["cases"]:
            rows.append({
                _("storehouse"): name,
                _("HD (as aggregated)"): c["hd"],
                _("NEQ [kg]"): c["neq_kg"],
                _("limit [kg]"): kilograms_down(c["max_neq_kg"]),
                _("headroom [kg]"): c["headroom_kg"],
                _("limiting exposed site"): c["limiting_es"] or "–",
                _("verdict"): _("complies") if ms["compliant"] else _("VIOLATION"),
                _("compatible mix"): _("yes") if s["compatibility"]["compatible"] else _("NO"),
            })
    return pd.DataFrame(rows)


def _overlays(result: Any, pairs: list[dict[str, Any]], arcs_of: str | None) -> list[Overlay]:
    depot = result.depot
    shown = [p for p in pairs if not p["compliant"]]
    cache = st.session_state["check"].setdefault("arc_overlays", {})  # arcs per sector (maps.arc_overlays)
    if arcs_of not in cache:
        cache[arcs_of] = arc_overlays(result, arcs_of)
    out: list[Overlay] = list(cache[arcs_of])
    for p in shown[:MAP_PAIRS]:
        line = pair_line(depot.site(p["pes"]).geometry, depot.site(p["es"]).geometry)
        out.append(Overlay(
            line, _("violating pair"), VIOLATION, width=3, group="pair",
            hover=f"<b>{p['pes']} → {p['es']}</b> HD {p['hd']}<br>{_('required')}: {metres_up(p['required_distance_m'])}"
                  f"<br>{_('actual')}: {p['distance_m']:.1f} m<br>{_('rule')}: {p['rule']} {p.get('rule_label', '')}"
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
    if st.button(_("Run the compliance check"), key="run_check", type="primary"):
        try:
            run_check(depot, key)
        except (DepotsafeError, ValueError) as exc:
            show_error(exc, _("The check could not run"))
            return
    chk = st.session_state.get("check")
    if chk is None:
        st.info(_("Press the button to check the depot."))
        return
    if chk["key"] != key:
        st.warning(_("The depot changed since the last check: run it again."))
        return
    result = chk["result"]
    if result.rule_set.rounding != state.rounding():
        st.warning(_("The rounding changed since the last check: run it again."))
        return
    summ = result.summary()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Violations"), summ["violations"], help=_("pairs closer than their required distance"))
    c2.metric(_("Pairs checked"), summ["pairs"],
              help=_("the violations and the near misses: pairs that would fail at twice their PES's NEQ"))
    c3.metric(_("Incompatible mixes"), summ["incompatible_sites"], help=_("AASTP-1 (2006) Part I §1.2.3, Tables 5 and 6"))
    c4.metric(_("Check time"), f"{chk['elapsed_s']:.2f} s")
    if result.compliant:
        st.success(_("The depot complies."))
    else:
        st.error(_("The depot does not comply."))
    st.caption(_("Rule set {rs} · rule data {sha} · depotsafe {v}").format(
        rs=result.rule_set.name, sha=result.rule_set.sha256[:12], v=result.provenance()["depotsafe_version"]))
    st.caption(_("Rounding: {mode}").format(mode=result.rule_set.rounding)
               + (" · " + _("distances and licences read from the printed AASTP-1 tables (decision 32)")
                  if result.rule_set.rounding == "table" else ""))

    pairs = chk["pairs"]
    pes_ids = sorted({p["pes"] for p in pairs})
    arcs_of = st.selectbox(_("Also draw every arc of"), ["", *pes_ids], key=f"{KEEP}arcs_of",
                           format_func={"": _("(violated arcs only)"), **{i: i for i in pes_ids}}.__getitem__)
    basemap = st.toggle(_("Basemap (needs internet)"), key=f"{KEEP}basemap_check", value=False,
                        disabled=depot.is_local)
    bad_sites = {p["pes"] for p in pairs if not p["compliant"]} | {p["es"] for p in pairs if not p["compliant"]}
    hover = {s["id"]: "<br>".join(f"ELL HD {hd}: {kilograms_down(v)}" for hd, v in s["licence_limit_kg"].items())
             for s in result.sites}
    st.plotly_chart(depot_figure(depot, _overlays(result, pairs, arcs_of or None), hover_extra=hover,
                                 highlight=bad_sites, basemap=basemap),
                    width="stretch", key="check_map")

    st.subheader(_("Pairs"))
    only_bad = st.toggle(_("Violations only"), key=f"{KEEP}only_violations", value=True)
    shown = [p for p in pairs if not p["compliant"]] if only_bad else pairs
    df = pd.DataFrame([{
        _("PES"): p["pes"], _("ES"): p["es"], _("HD"): p["hd"],
        _("required [m]"): p["required_distance_m"], _("actual [m]"): p["distance_m"],
        _("complies"): p["compliant"], _("rule"): p["rule"], _("rule text"): p.get("rule_label", ""),
        _("source"): p.get("source", ""),
    } for p in shown])
    st.dataframe(df, hide_index=True, width="stretch", key="pairs_table",
                 column_config={_("required [m]"): st.column_config.NumberColumn(format="%.1f"),
                                _("actual [m]"): st.column_config.NumberColumn(format="%.1f")})

    if result.aggregations:
        st.subheader(_("Aggregation groups"))
        st.caption(_("Storage sites closer than their inter-magazine distance are one site with the aggregated "
                     "NEQ (AASTP-1 (2006) §1.3.2.3 b): each group is checked and licensed once, from the member "
                     "nearest to each exposed site."))
        st.dataframe(_aggregation_table(result), hide_index=True, width="stretch", key="aggregation_table")

    st.subheader(_("Explosives limit licence per storehouse"))
    st.caption(_("Per hazard division, each in isolation, the largest NEQ every exposed site allows; "
                 "the limiting exposed site and the headroom over the NEQ held."))
    st.caption(_("Source: the distance functions of AASTP-1 (2006) Annex I-A inverted (IATG 02.20); "
                 "the rule of each limiting pair is in the pair table."))
    st.dataframe(_licence_table(result), hide_index=True, width="stretch", key="licence_table")
    st.subheader(_("Actual mixed stock"))
    st.dataframe(_mixed_table(result), hide_index=True, width="stretch", key="mixed_table")

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
