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


#: Degrees of protection a depot may be checked for (decision 31; depotsafe.protection.REQUESTS).
PROTECTION_CHOICES = ("default", "virtually-complete", "high")


def protection() -> str:
    """The degree of protection asked for the current depot ("default" until one is chosen)."""
    chosen = st.session_state.get("protection_by_depot", {})
    return chosen.get(st.session_state.get("depot_version", 0), "default")


def set_protection(value: str) -> None:
    """Ask ``value`` for the current depot only: a newly loaded depot starts at "default"."""
    if value not in PROTECTION_CHOICES:
        raise ValueError(f"protection {value!r}: one of {', '.join(PROTECTION_CHOICES)}")
    st.session_state.setdefault("protection_by_depot", {})[st.session_state.get("depot_version", 0)] = value
