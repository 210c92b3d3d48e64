"""Siting page: where on the site a new storehouse of a given kind and NEQ could go."""

from __future__ import annotations

import json

import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.kinds import kinds
from depotsafe.ui import state
from depotsafe.ui.common import (
    KEEP,
    _,
    count,
    kg_stock,
    kind_label,
    not_available,
    number_style,
    progress,
    read_quantity,
    show_error,
    words,
)
from depotsafe.ui.maps import Overlay, show_map

HDS = ["1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.4", "1.5", "1.6"]
CGS = list("ABCDEFGHJKLNS")
ALLOWED = "#1a9641"


def render() -> None:
    """Draw the Siting page."""
    st.header(_("Siting"))
    depot, key, err = state.depot()
    if err is not None:
        show_error(err, _("The edited depot was refused; siting uses the last depot that read cleanly."))
    if depot is None:
        st.warning(_("No depot loaded."))
        return
    try:
        from depotsafe.siting import siting_map
    except ImportError:
        not_available(_("the siting map"))
        return
    st.caption(_("Describe a new storehouse; the map shows where its footprint centre could go so that every "
                 "pair with the existing sites keeps its quantity-distance."))
    allk = kinds()
    stores = [k for k, v in allk.items() if v.holds_explosives != "no"]
    c1, c2, c3, c4 = st.columns(4)
    kind = c1.selectbox(_("Kind"), stores, key=f"{KEEP}siting_kind", format_func=words(kind_label, stores))
    earth = allk[kind].earth_covered
    bearing = c2.number_input(_("Door bearing [°]"), min_value=0.0, max_value=359.9, value=0.0,
                              key=f"{KEEP}siting_bearing", disabled=not earth)
    hd = c3.selectbox(_("Hazard division"), HDS, key=f"{KEEP}siting_hd")
    cg = c4.selectbox(_("Compatibility group"), CGS, index=CGS.index("D"), key=f"{KEEP}siting_cg")
    c1, c2, c3, c4 = st.columns(4)
    neq = c1.text_input(_("NEQ"), value="5 t", key=f"{KEEP}siting_neq",
                        help=_("with its unit: \"5 t\", \"200 kg\"; no group separators"))
    neq_read = read_quantity(neq, "mass", _("NEQ"), c1)
    length = c2.number_input(_("Length [m] (along the door normal)"), min_value=1.0, value=25.0,
                             key=f"{KEEP}siting_length")
    width = c3.number_input(_("Width [m]"), min_value=1.0, value=10.0, key=f"{KEEP}siting_width")
    cell = c4.number_input(_("Grid spacing [m]"), min_value=1.0, value=20.0, key=f"{KEEP}siting_cell",
                           help=_("The verdict at each grid point is exact; the area's edge is as fine as the grid."))
    if st.button(_("Find where it could go"), key="run_siting", type="primary"):
        if neq_read is None:
            st.error(f"**{_('The siting map could not be computed')}**\n\n"
                     + _("The NEQ was not read: see the message under the field."), icon="⚠️")
        else:
            try:
                with progress(_("Searching the site")) as step:
                    step(0.1, _("every existing site"))
                    result = siting_map(depot, kind, hd, neq_read, cg=cg,
                                        front_bearing_deg=float(bearing) if earth else None,
                                        length_m=float(length), width_m=float(width), cell_m=float(cell))
            except (DepotsafeError, ValueError) as exc:
                show_error(exc, _("The siting map could not be computed"))
            else:
                st.session_state["siting"] = {"key": key, "result": result,
                                              "what": (kind, hd, cg, neq_read)}
    sit = st.session_state.get("siting")
    if sit is None or sit["key"] != key:
        show_map(depot, key="siting_map_plain")
        return
    result = sit["result"]
    s_kind, s_hd, s_cg, s_neq = sit["what"]
    what = f"{kind_label(s_kind)}, {_('HD')} {s_hd}{s_cg}, {kg_stock(s_neq)}"
    c1, c2 = st.columns(2)
    c1.metric(_("Share of the searched area where it could go"), number_style().percent(100 * result.allowed_fraction),
              help=_("Both ways: the new storehouse as PES against every site, every storehouse against it "
                     "as ES (IATG 02.20, AASTP-1 (2006) Annex I-A); no overlap with existing footprints."))
    c2.metric(_("Grid points checked"), count(result.ok.size))
    st.caption(what)
    overlays = []
    if not result.allowed.is_empty:
        overlays.append(Overlay(result.allowed, _("allowed area"), ALLOWED, fill=True,
                                hover=_("allowed area") + f": {what}"))
    show_map(depot, overlays, key="siting_map")
    st.download_button(_("Allowed area (GeoJSON)"), json.dumps(result.geojson()), file_name="allowed.geojson",
                       mime="application/geo+json", key="dl_siting")
