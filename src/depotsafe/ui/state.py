"""The depot of this browser session: layout, stock and the last good Depot.

A refused input never replaces what the session holds: the last depot that
read cleanly stays in use, and the message says why the new one was refused.

The working depot is kept in the local workspace (depotsafe.ui.workspace):
saved automatically at the end of every run in which it changed, reopened by
a new session (a browser reload), named, opened and deleted from the sidebar.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import streamlit as st

from depotsafe.ui import model
from depotsafe.ui.workspace import MAX_NAME_CHARS, Workspace

_LOG = logging.getLogger(__name__)

#: Name the bundled sample depot is opened under.
SAMPLE_LABEL = "sample_depot.geojson"


def _digest(fc: Any, rows: Any) -> str:
    text = json.dumps([fc, rows], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(fc: Any, rows: Any) -> str:
    """:func:`_digest` of the session's layout and stock, computed again only when they changed.

    The layout is replaced (never changed in place) when it changes, so the same
    object means the same layout; the stock rows are compared by value (the
    editor hands over a new list on every run).  A 20,000-site layout takes
    seconds to hash: this keeps that off every rerun.
    """
    memo = st.session_state.get("_key_memo")
    if memo is not None and memo[0] is fc and memo[1] == rows:
        return str(memo[2])
    key = _digest(fc, rows)
    st.session_state["_key_memo"] = (fc, [dict(r) for r in rows], key)
    return key


def workspace() -> Workspace:
    """The workspace in force (``$DEPOTSAFE_WORKSPACE`` or the user's data folder)."""
    return Workspace()


def set_depot(fc: dict[str, Any], rows: list[dict[str, Any]], label: str) -> None:
    """Replace the session's depot (already validated) by a new working depot named ``label``.

    It gets its own entry in the workspace: the depot worked on before stays saved.
    """
    st.session_state["layout_fc"] = fc
    st.session_state["stock_base"] = rows
    st.session_state["stock_rows"] = rows
    st.session_state["layout_label"] = label
    st.session_state["layout_source"] = label
    st.session_state["depot_version"] = st.session_state.get("depot_version", 0) + 1
    st.session_state["ws_id"] = Workspace.new_id()
    st.session_state.pop("_ws_saved", None)
    st.session_state.pop("_ws_saved_fc", None)
    st.session_state.pop("siteplan_base", None)
    autosave()


def _open(depot_id: str) -> None:
    """Make a saved depot the session's working depot (raises when it cannot be read)."""
    ws = workspace()
    data = ws.load(depot_id)
    fc, rows, good = data["layout"], data["stock"], data["stock_good"]
    st.session_state["layout_fc"] = fc
    st.session_state["stock_base"] = rows
    st.session_state["stock_rows"] = rows
    st.session_state["layout_label"] = data["meta"].name
    st.session_state["layout_source"] = data["meta"].source
    st.session_state["depot_version"] = st.session_state.get("depot_version", 0) + 1
    st.session_state["ws_id"] = depot_id
    st.session_state.pop("siteplan_base", None)
    st.session_state.pop("_depot_cache", None)
    st.session_state.pop("_depot_good", None)
    st.session_state.pop("_good_rows", None)
    try:  # the last stock that read cleanly, for when the latest edit is refused
        st.session_state["_depot_good"] = (_digest(fc, good), model.build_depot(fc, good))
        st.session_state["_good_rows"] = good
    except Exception:
        _LOG.info("saved depot %s: its last good stock does not read either", depot_id)
    st.session_state["_ws_saved"] = (depot_id, _key(fc, rows), st.session_state["layout_label"])
    st.session_state["_ws_saved_fc"] = fc
    ws.set_last(depot_id)


def open_saved(depot_id: str) -> bool:
    """Open a saved depot; False (and a message for the page) when it cannot be read."""
    try:
        _open(depot_id)
    except Exception as exc:
        _LOG.warning("saved depot %s could not be opened: %s", depot_id, exc)
        st.session_state["ws_message"] = ("error", f"{depot_id}: {exc}")
        return False
    return True


def init() -> None:
    """Start a new session on the depot last worked on, else on the bundled sample depot."""
    if "layout_fc" in st.session_state:
        return
    try:
        last = workspace().last()
    except OSError:
        last = None
    if last is not None and open_saved(last):
        return
    if model.sample_available():
        fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
        set_depot(fc, rows, SAMPLE_LABEL)
    else:  # pragma: no cover - the sample ships with the package
        st.session_state["layout_fc"] = None
        st.session_state["stock_rows"] = []
        st.session_state["stock_base"] = []
        st.session_state["layout_label"] = ""
        st.session_state["depot_version"] = 0


def autosave() -> None:
    """Save the working depot (layout, stock as edited, name) if it changed since it was last saved."""
    fc = st.session_state.get("layout_fc")
    depot_id = st.session_state.get("ws_id")
    if fc is None or not depot_id:
        return
    rows = st.session_state.get("stock_rows", [])
    name = st.session_state.get("layout_label", "") or SAMPLE_LABEL
    digest = (depot_id, _key(fc, rows), name)
    saved = st.session_state.get("_ws_saved")
    if saved == digest:
        return
    good = st.session_state.get("_good_rows")
    try:
        workspace().save(depot_id, name, fc, rows, stock_good=good, source=st.session_state.get("layout_source", ""),
                         layout_changed=st.session_state.get("_ws_saved_fc") is not fc)
    except OSError as exc:
        _LOG.warning("the working depot could not be saved: %s", exc)
        st.session_state["ws_error"] = str(exc)
        return
    st.session_state.pop("ws_error", None)
    st.session_state["_ws_saved"] = digest
    st.session_state["_ws_saved_fc"] = fc


def depot() -> tuple[Any, str, BaseException | None]:
    """The current Depot, its key and the error of the latest edit, if any.

    When the layout and stock as edited are refused, the last good depot is
    returned with the error.
    """
    fc = st.session_state.get("layout_fc")
    rows = st.session_state.get("stock_rows", [])
    if fc is None:
        return None, "", None
    key = _key(fc, rows)
    cached = st.session_state.get("_depot_cache")
    if cached and cached[0] == key:
        return cached[1], key, None
    good = st.session_state.get("_depot_good")
    if good is not None and good[0] == key:  # a reopened depot whose stock is its last good one: read once
        st.session_state["_depot_cache"] = good
        st.session_state["_good_rows"] = rows
        return good[1], key, None
    try:
        dep = model.build_depot(fc, rows)
    except Exception as exc:  # shown by the page; show_error logs what is unexpected
        good = st.session_state.get("_depot_good")
        if good is None:
            return None, "", exc
        return good[1], good[0], exc
    st.session_state["_depot_cache"] = (key, dep)
    st.session_state["_depot_good"] = (key, dep)
    st.session_state["_good_rows"] = rows
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


# ---------------------------------------------------------------------- sidebar


def _rename(key: str) -> None:
    from depotsafe.ui.workspace import clean_name

    name = clean_name(st.session_state.get(key, ""))
    if name:
        st.session_state["layout_label"] = name


def _open_picked() -> None:
    pick = st.session_state.get("ws_pick")
    st.session_state.pop("ws_confirm", None)
    if pick and pick != st.session_state.get("ws_id") and open_saved(pick):
        st.session_state["ws_message"] = ("ok", pick)


def _ask_delete() -> None:
    st.session_state["ws_confirm"] = st.session_state.get("ws_pick")


def _delete_confirmed() -> None:
    pick = st.session_state.pop("ws_confirm", None)
    if pick and pick != st.session_state.get("ws_id"):
        try:
            workspace().delete(pick)
        except (OSError, ValueError) as exc:
            st.session_state["ws_message"] = ("error", str(exc))
        st.session_state.pop("ws_pick", None)


def sidebar() -> None:
    """The sidebar's depot section: its name, and the saved depots to open or delete."""
    from depotsafe.ui.common import _

    autosave()
    label = st.session_state.get("layout_label", "")
    st.caption(_("Depot: {label}").format(label=label))
    ws = workspace()
    with st.expander(_("Saved depots"), expanded=False):
        depot_id = st.session_state.get("ws_id", "")
        key = f"ws_name_{depot_id}"
        if key not in st.session_state:
            st.session_state[key] = label
        st.text_input(_("Name of the open depot"), key=key, max_chars=MAX_NAME_CHARS,
                      on_change=_rename, args=(key,))
        try:
            entries = ws.entries()
        except OSError:
            entries = []
        by_id = {e.id: e for e in entries}
        if entries:
            if st.session_state.get("ws_pick") not in by_id:
                st.session_state["ws_pick"] = depot_id if depot_id in by_id else entries[0].id

            from depotsafe.textfmt import date_time
            from depotsafe.ui.common import lang

            language = lang()  # fixed when drawn: a format_func may be called outside the run

            def show(i: str) -> str:
                e = by_id[i]
                when = date_time(e.saved_utc, language)
                mark = " ●" if i == depot_id else ""
                return f"{e.name}{mark} · {when}"

            pick = st.selectbox(_("Saved depots"), list(by_id), format_func=show, key="ws_pick")
            c1, c2 = st.columns(2)
            c1.button(_("Open"), key="ws_open", on_click=_open_picked, disabled=pick == depot_id)
            c2.button(_("Delete"), key="ws_delete", on_click=_ask_delete, disabled=pick == depot_id,
                      help=_("The open depot cannot be deleted: open another one first."))
            confirm = st.session_state.get("ws_confirm")
            if confirm in by_id and confirm == pick:
                st.warning(_("Delete {name} for good?").format(name=by_id[confirm].name))
                st.button(_("Yes, delete it"), key="ws_delete_yes", on_click=_delete_confirmed)
        st.caption(_("Saved automatically (layout, stock and edits) in {folder}; set DEPOTSAFE_WORKSPACE "
                     "to use another folder.").format(folder=ws.folder))
    msg = st.session_state.pop("ws_message", None)
    if msg is not None and msg[0] == "error":
        st.error(_("The saved depot could not be opened: {why}").format(why=msg[1]), icon="⚠️")
    if st.session_state.get("ws_error"):
        st.warning(_("The working depot could not be saved: {why}").format(why=st.session_state["ws_error"]))


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
