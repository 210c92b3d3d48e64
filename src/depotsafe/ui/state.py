"""The depot of this browser session: layout, stock and the last good Depot.

A refused input never replaces what the session holds: the last depot that
read cleanly stays in use, and the message says why the new one was refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import streamlit as st

from depotsafe.ui import model


def _digest(fc: Any, rows: Any) -> str:
    text = json.dumps([fc, rows], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def set_depot(fc: dict[str, Any], rows: list[dict[str, Any]], label: str) -> None:
    """Replace the session's depot (already validated)."""
    st.session_state["layout_fc"] = fc
    st.session_state["stock_base"] = rows
    st.session_state["stock_rows"] = rows
    st.session_state["layout_label"] = label
    st.session_state["depot_version"] = st.session_state.get("depot_version", 0) + 1
    st.session_state.pop("siteplan_base", None)


def init() -> None:
    """Start every new session on the bundled sample depot."""
    if "layout_fc" in st.session_state:
        return
    if model.sample_available():
        fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
        set_depot(fc, rows, "sample_depot.geojson")
    else:  # pragma: no cover - the sample ships with the package
        st.session_state["layout_fc"] = None
        st.session_state["stock_rows"] = []
        st.session_state["stock_base"] = []
        st.session_state["layout_label"] = ""
        st.session_state["depot_version"] = 0


def depot() -> tuple[Any, str, BaseException | None]:
    """The current Depot, its key and the error of the latest edit, if any.

    When the layout and stock as edited are refused, the last good depot is
    returned with the error.
    """
    fc = st.session_state.get("layout_fc")
    rows = st.session_state.get("stock_rows", [])
    if fc is None:
        return None, "", None
    key = _digest(fc, rows)
    cached = st.session_state.get("_depot_cache")
    if cached and cached[0] == key:
        return cached[1], key, None
    try:
        dep = model.build_depot(fc, rows)
    except Exception as exc:  # shown by the page; show_error logs what is unexpected
        good = st.session_state.get("_depot_good")
        if good is None:
            return None, "", exc
        return good[1], good[0], exc
    st.session_state["_depot_cache"] = (key, dep)
    st.session_state["_depot_good"] = (key, dep)
    return dep, key, None


#: Session key of the depot's rounding mode (decisions 4 and 32); kept across pages.
ROUNDING_KEY = "k_rounding"


def rounding() -> str:
    """The rounding mode the depot is checked in: "formula" (default) or "table"."""
    from depotsafe.tablemode import ROUNDING_MODES

    value = st.session_state.get(ROUNDING_KEY, ROUNDING_MODES[0])
    return value if value in ROUNDING_MODES else ROUNDING_MODES[0]


def rounding_selectbox(container: Any = None) -> str:
    """The depot's rounding mode as a selectbox (one choice for the calculator and the compliance check)."""
    from depotsafe.tablemode import ROUNDING_MODES
    from depotsafe.ui.common import _

    where = st if container is None else container
    labels = {"formula": _("formula (computed from the distance functions)"),
              "table": _("table (read from the printed AASTP-1 tables)")}
    return str(where.selectbox(
        _("Rounding"), list(ROUNDING_MODES), key=ROUNDING_KEY, format_func=labels.__getitem__,
        help=_("formula: every distance from its formula (the default). table: the printed distance of the next "
               "tabulated quantity up, and as a limit the next lesser tabulated quantity (AASTP-1 §1.3.2.1); "
               "outside the printed tables the formula applies, with a note (decision 32)."),
    ))
