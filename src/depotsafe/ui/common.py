"""Helpers shared by the pages: translation, number formats, messages, state."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator

#: Prefix of widget keys whose values survive a page switch.
KEEP = "k_"


def lang() -> str:
    """The language the user chose."""
    value = st.session_state.get(f"{KEEP}lang", DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _(message: str) -> str:
    """Translate one user-facing string into the user's language."""
    return translator(lang()).gettext(message)


def keep_widget_state() -> None:
    """Keep the values of widgets not drawn on this run (other pages).

    Streamlit forgets a widget's value when the widget is not drawn in a run;
    writing the value back under the same key makes it ordinary session
    state, so what the user entered on one page is there when they return.
    """
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(KEEP):
            st.session_state[key] = st.session_state[key]


def metres_up(value_m: float | None) -> str:
    """A distance rounded up to the metre (DESIGN.md), or a dash."""
    if value_m is None or (isinstance(value_m, float) and math.isnan(value_m)):
        return "–"
    if math.isinf(value_m):
        return "∞"
    return f"{math.ceil(value_m - 1e-9):,} m"


def kilograms_down(value_kg: float | None) -> str:
    """A quantity rounded down to the kilogram (DESIGN.md), with nil/unlimited."""
    if value_kg is None:
        return _("unlimited")
    if math.isinf(value_kg):
        return _("unlimited")
    if value_kg == 0.0:
        return _("nil")
    return f"{math.floor(value_kg + 1e-9):,} kg"


def show_error(exc: BaseException, context: str) -> None:
    """A readable message on the page for a refused input.

    depotsafe's own errors are shown as they are (written for the operator);
    anything else is logged on the server with its traceback and the page
    says only that an unexpected error occurred.
    """
    if isinstance(exc, DepotsafeError):
        text = str(exc)
    else:
        logging.getLogger(__name__).error("unexpected error: %s", context, exc_info=exc)
        text = _("An unexpected error occurred; it is recorded in the server's log.")
    st.error(f"**{context}**\n\n{text}", icon="⚠️")


@contextmanager
def progress(label: str) -> Iterator[Any]:
    """A progress bar for work that takes longer than a moment.

    Yields ``step(fraction, text)``; the bar disappears when the work ends.
    """
    bar = st.progress(0.0, text=label)

    def step(fraction: float, text: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{label} — {text}")

    try:
        yield step
    finally:
        bar.empty()


def not_available(what: str) -> None:
    """Say plainly that a part of the engine is not installed in this version."""
    st.info(_("Not available in this version of depotsafe: {what}.").format(what=what))
