"""Helpers shared by the pages: translation, number formats, messages, state."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from depotsafe import textfmt
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


# ------------------------------------------------------------------ numbers and tables
#
# Every figure the pages show goes through these helpers: the rounding rules of
# depotsafe.textfmt (never on the unsafe side), the separators of the user's
# language, the unit in the cell, and words (translated) for "unlimited",
# "at least", "nil" and a missing value, never None, nan or a bare float.

#: Shown where a table has no value (a value outside its fit, nothing required).
DASH = "–"

#: Tables up to this many rows are drawn whole (st.table: no inner scroll, prints every row).
TABLE_ROWS_MAX = 1000

_EPS = 1e-9


def number_style() -> textfmt.NumberStyle:
    """Group separator and decimal mark of the user's language."""
    return textfmt.FRENCH if lang() == "fr" else textfmt.ENGLISH


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value: Any) -> str:
    """A count (persons, grid points) with group separators, or a dash."""
    if _missing(value):
        return DASH
    return number_style().fixed(float(value), 0)


def metres_up(value_m: float | None) -> str:
    """A required distance, rounded up to the metre (DESIGN.md), or a dash."""
    if _missing(value_m):
        return DASH
    assert value_m is not None
    if math.isinf(value_m):
        return "∞"
    return textfmt.metres_up(value_m, number_style())


def metres_measured(value_m: float | None) -> str:
    """A measured distance, rounded down to 0.1 m, or a dash."""
    if _missing(value_m):
        return DASH
    assert value_m is not None
    return textfmt.metres_measured(value_m, number_style())


def kg_stock(value_kg: float | None) -> str:
    """A quantity held or declared (to the gram, trailing zeros dropped)."""
    if _missing(value_kg):
        return DASH
    assert value_kg is not None
    return textfmt.kg_stock(value_kg, number_style())


def kg_limit(value_kg: float | None, at_least: bool = False) -> str:
    """A licence or limit rounded down to the kilogram, in words where it is one.

    None or infinite: "unlimited" (no rule limits it); 0: "nil (0 kg)";
    ``at_least``: "at least 10,000,000 kg" (the search stopped at the rule
    set's licence ceiling; the true limit is larger).
    """
    if value_kg is None or math.isinf(value_kg):
        return _("unlimited")
    if value_kg <= 0.0:
        return _("nil (0 kg)")
    text = textfmt.kg_down(value_kg, number_style())
    return _("at least {q}").format(q=text) if at_least else text


def kilograms_down(value_kg: float | None) -> str:
    """A quantity limit rounded down to the kilogram, "unlimited" or "nil" (:func:`kg_limit`)."""
    return kg_limit(value_kg)


def kg_headroom(headroom_kg: float | None, at_least: bool = False) -> str:
    """Headroom (limit minus stock, rounded down) or the shortfall (rounded up), in words."""
    if headroom_kg is None or math.isinf(headroom_kg):
        return _("unlimited")
    style = number_style()
    if headroom_kg < 0.0:
        return _("short by {q}").format(q=f"{style.fixed(math.ceil(-headroom_kg - _EPS))} kg")
    text = f"{style.fixed(math.floor(headroom_kg + _EPS))} kg"
    return _("at least {q}").format(q=text) if at_least else text


def quantity(value: float | None, unit: str, digits: int = 3) -> str:
    """A physical quantity to ``digits`` significant figures with its unit, or a dash."""
    if _missing(value):
        return DASH
    assert value is not None
    return textfmt.number(value, unit, digits, number_style())


def percent(p: float | None) -> str:
    """A probability as a percentage (one decimal; "< 0.1 %", "> 99.9 %"), or a dash."""
    if _missing(p):
        return DASH
    assert p is not None
    return textfmt.percent(p, number_style())


def show_table(rows: list[dict[str, Any]], key: str, empty: str | None = None) -> None:
    """Draw a table of formatted text cells.

    Up to :data:`TABLE_ROWS_MAX` rows it is drawn whole (``st.table``): no inner
    scrolling, so printing the page prints every row.  A longer table scrolls
    on the page and says so (the downloads hold every row).
    """
    import pandas as pd

    if not rows:
        st.caption(empty or _("(none)"))
        return
    df = pd.DataFrame(rows).astype(str)
    if len(df) <= TABLE_ROWS_MAX:
        st.table(df, hide_index=True)
    else:
        st.caption(_("{n} rows: the table scrolls on the page; the downloads hold every row.").format(
            n=count(len(df))))
        st.dataframe(df, hide_index=True, width="stretch", key=key)


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
