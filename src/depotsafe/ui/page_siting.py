"""Siting page: where on the site a new storehouse of a given kind and NEQ could go."""

from __future__ import annotations

from typing import Any

import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.kinds import kinds
from depotsafe.ui import state
from depotsafe.ui.common import KEEP, _, not_available, progress, show_error
from depotsafe.ui.maps import Overlay, depot_figure

HDS = ["1.1", "1.2.1", "1.2.2", "1.3", "1.4", "1.6"]


def _geometries(answer: Any) -> list[tuple[str, Any, str]]:
    """(label, geometry, colour) of what the engine's siting map returns."""
    if hasattr(answer, "geom_type"):
        return [(_("allowed area"), answer, "#1a9641")]
    out = []
    items = answer.items() if isinstance(answer, dict) else getattr(answer, "__dict__", {}).items()
    for key, value in items:
        if hasattr(value, "geom_type"):
            colour = "#1a9641" if "allow" in key or "ok" in key or "free" in key else "#d7191c"
            out.append((str(key), value, colour))
    return out


def render() -> None:
    """Draw the Siting page."""
    st.header(_("Siting"))
    depot, _key, err = state.depot()
    if err is not None:
        show_error(err, _("The edited depot was refused; siting uses the last depot that read cleanly."))
    if depot is None:
        st.warning(_("No depot loaded."))
        return
    try:
        from depotsafe.check import siting_map  # type: ignore[attr-defined]
    except ImportError:
        siting_map = None
    st.caption(_("Describe a new storehouse; the map shows where its footprint centre could go so that every "
                 "pair with the existing sites keeps its quantity-distance."))
    allk = kinds()
    stores = [k for k, v in allk.items() if v.holds_explosives == "yes"]
    c1, c2, c3, c4 = st.columns(4)
    kind = c1.selectbox(_("Kind"), stores, key=f"{KEEP}siting_kind")
    bearing = c2.number_input(_("Door bearing [°]"), min_value=0.0, max_value=359.9, value=0.0,
                              key=f"{KEEP}siting_bearing", disabled=not allk[kind].earth_covered)
    hd = c3.selectbox(_("Hazard division"), HDS, key=f"{KEEP}siting_hd")
    neq = c4.text_input(_("NEQ"), value="5 t", key=f"{KEEP}siting_neq")
    if siting_map is None:
        not_available(_("the siting map"))
        st.plotly_chart(depot_figure(depot), width="stretch", key="siting_map_plain")
        return
    if not st.button(_("Find where it could go"), key="run_siting", type="primary"):
        st.plotly_chart(depot_figure(depot), width="stretch", key="siting_map_plain")
        return
    from depotsafe.units import to_si

    try:
        neq_kg = to_si(neq, "mass", "NEQ")
        with progress(_("Searching the site")) as step:
            step(0.2, _("every existing site"))
            answer = siting_map(depot, kind, bearing if allk[kind].earth_covered else None, hd, neq_kg)
    except (DepotsafeError, ValueError) as exc:
        show_error(exc, _("The siting map could not be computed"))
        return
    overlays = [Overlay(g, label, colour, fill=True, group=label) for label, g, colour in _geometries(answer)]
    st.plotly_chart(depot_figure(depot, overlays), width="stretch", key="siting_map")
