"""Helpers shared by the pages: translation, number formats, messages, state."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from depotsafe import textfmt
from depotsafe.errors import DepotsafeError
from depotsafe.ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, direction, translator
from depotsafe.units import TypedNumberError

#: Prefix of widget keys whose values survive a page switch.
KEEP = "k_"


def lang() -> str:
    """The language the user chose."""
    value = st.session_state.get(f"{KEEP}lang", DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _(message: str) -> str:
    """Translate one user-facing string into the user's language."""
    return translator(lang()).gettext(message)


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; :func:`_` translates it where it is shown."""
    return message


def tr(message: str | None) -> str:
    """A name that comes from data or the engine (a zone, an injury, a status), in the user's language.

    Each such name has its own msgid in the catalogs (tests/test_app_i18n.py
    lists the data names); a name without one is shown as it is.
    """
    if message is None:
        return DASH
    return translator(lang()).gettext(message)


def note_text(note: str | None) -> str:
    """A note or flag of the engine, in the user's language.

    A :class:`depotsafe.messages.Note` keeps its English template (a msgid)
    and its values: the template is translated and the values written as the
    user's language writes them (numbers to the English text's precision, a
    kind of site in words).  Any other note is a fixed phrase (:func:`tr`).
    English keeps the engine's text as it is.
    """
    if getattr(note, "template", None) is None or lang() == DEFAULT_LANGUAGE:
        return tr(note)
    assert note is not None
    from depotsafe.messages import render

    return render(note, translator(lang()).gettext, lambda value, decimals: number_style().fixed(value, decimals),
                  kind_label)


#: Kinds of site (data/kinds.csv) in words; the layout value stays the kind's id.
KIND_NAMES: dict[str, str] = {
    "igloo_7bar": N_("igloo, 7 bar"),
    "igloo_3bar": N_("igloo, 3 bar"),
    "earth_covered": N_("other earth-covered building"),
    "heavy_walled_roof": N_("heavy-walled building with protective roof"),
    "heavy_walled": N_("heavy-walled building"),
    "barricaded_stack": N_("barricaded open stack"),
    "unbarricaded_stack": N_("unbarricaded open stack"),
    "workshop_roof_barricaded": N_("barricaded workshop with protective roof"),
    "workshop_barricaded": N_("barricaded workshop"),
    "workshop": N_("unbarricaded workshop"),
    "public_traffic_route": N_("public traffic route"),
    "inhabited_building": N_("inhabited building"),
    "vulnerable_building": N_("vulnerable building"),
}

#: Short names of the kinds, for labels on a map (where a label's width counts).
KIND_SHORT: dict[str, str] = {
    "igloo_7bar": N_("igloo 7 bar"),
    "igloo_3bar": N_("igloo 3 bar"),
    "earth_covered": N_("earth-covered"),
    "heavy_walled_roof": N_("heavy-walled, roofed"),
    "heavy_walled": N_("heavy-walled"),
    "barricaded_stack": N_("barricaded stack"),
    "unbarricaded_stack": N_("open stack"),
    "workshop_roof_barricaded": N_("workshop, barricaded, roofed"),
    "workshop_barricaded": N_("workshop, barricaded"),
    "workshop": N_("workshop"),
    "public_traffic_route": N_("traffic route"),
    "inhabited_building": N_("inhabited building"),
    "vulnerable_building": N_("vulnerable building"),
}

#: Faces of an earth-covered site (AASTP-1 front, side, rear) in words.
FACE_NAMES: dict[str, str] = {"front": N_("front"), "side": N_("side"), "rear": N_("rear")}

#: Traffic densities of a public traffic route.
TRAFFIC_NAMES: dict[str, str] = {"heavy": N_("heavy traffic"), "light": N_("light traffic")}


def words(name_of: Callable[[str], str], options: Iterable[str]) -> Callable[[str], str]:
    """A widget's ``format_func`` naming ``options`` in the language of this run.

    The names are made when the widget is drawn: a ``format_func`` is also
    called outside the script run (by Streamlit's testing harness), where the
    session's language cannot be read.
    """
    return {o: name_of(o) for o in options}.__getitem__


def kind_name(kind: str) -> str:
    """A kind of site in words, in the user's language ("igloo, 7 bar")."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def kind_label(kind: str) -> str:
    """A kind in words with its layout value, for choosing one: "igloo, 7 bar (igloo_7bar)"."""
    return f"{kind_name(kind)} ({kind})" if kind in KIND_NAMES else kind


def map_kind(kind: str) -> str:
    """A kind as a map writes it: the layout value in English (compact, as the user's file names it),
    a short name in words in another language."""
    if lang() == DEFAULT_LANGUAGE or kind not in KIND_SHORT:
        return kind
    return _(KIND_SHORT[kind])


def map_word(word: str | None) -> str:
    """A face or a traffic density as a map writes it: as in the file in English, in words otherwise."""
    if word is None:
        return DASH
    if lang() == DEFAULT_LANGUAGE:
        return word
    return face_name(word) if word in FACE_NAMES else _(TRAFFIC_SHORT.get(word, word))


#: Traffic densities as a map writes them.
TRAFFIC_SHORT: dict[str, str] = {"heavy": N_("heavy"), "light": N_("light")}


def face_name(face: str | None) -> str:
    """A face of an earth-covered site in words."""
    if face is None:
        return DASH
    return _(FACE_NAMES[face]) if face in FACE_NAMES else face


def traffic_name(traffic: str | None) -> str:
    """A traffic density in words."""
    if traffic is None:
        return DASH
    return _(TRAFFIC_NAMES[traffic]) if traffic in TRAFFIC_NAMES else traffic


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
    """How the user's language writes numbers and units (CLDR, through Babel)."""
    return textfmt.style_of(lang())


def decimal_sign() -> str:
    """The decimal sign of the user's language: the one accepted in typed numbers."""
    return number_style().decimal


def plain_number(value: float, max_decimals: int = 6) -> str:
    """A number as typed or chosen (no rounding rule), in the user's language: "1 500", "2,5"."""
    text = f"{value:.{max_decimals}f}".rstrip("0")
    decimals = len(text.partition(".")[2])
    return number_style().fixed(value, decimals)


def with_unit(number_text: str, unit: str) -> str:
    """A formatted number and a unit symbol, spaced as the user's language writes them."""
    return number_style().unit(number_text, unit)


def seconds(value_s: float) -> str:
    """A duration of the app's own work (a check), two decimals: "0.42 s"."""
    style = number_style()
    return style.unit(style.fixed(value_s, 2), "s")


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
        return _("short by {q}").format(q=style.unit(style.fixed(math.ceil(-headroom_kg - _EPS)), "kg"))
    text = style.unit(style.fixed(math.floor(headroom_kg + _EPS)), "kg")
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
    if direction(lang()) == "rtl":
        # Streamlit's tables cannot mirror their columns: a right-to-left language gets an HTML table
        if len(df) > TABLE_ROWS_MAX:
            st.caption(_("{n} rows: the table scrolls on the page; the downloads hold every row.").format(
                n=count(len(df))))
        st.html(rtl_table_html(df, scroll=len(df) > TABLE_ROWS_MAX))
        return
    if len(df) <= TABLE_ROWS_MAX:
        st.table(df, hide_index=True)
    else:
        st.caption(_("{n} rows: the table scrolls on the page; the downloads hold every row.").format(
            n=count(len(df))))
        st.dataframe(df, hide_index=True, width="stretch", key=key)


#: Style of the right-to-left HTML tables: the first column on the right, each cell's text in its own
#: direction (a figure "1,235 m" stays left to right inside an Arabic row).
RTL_TABLE_CSS = (
    "<style>table.ds-rtl{direction:rtl;border-collapse:collapse;width:100%;font-size:0.9rem}"
    "table.ds-rtl th,table.ds-rtl td{border:1px solid rgba(128,128,128,.35);padding:.25rem .5rem;"
    "text-align:right;unicode-bidi:plaintext;vertical-align:top}"
    "table.ds-rtl th{font-weight:600;background:rgba(128,128,128,.08)}"
    "div.ds-rtl-scroll{max-height:32rem;overflow:auto}</style>"
)


def rtl_table_html(df: Any, scroll: bool = False) -> str:
    """A table of text cells as right-to-left HTML (``dir="rtl"``), every cell escaped."""
    from html import escape

    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False, name=None))
    table = f'<table class="ds-rtl" dir="rtl"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    if scroll:
        table = f'<div class="ds-rtl-scroll" dir="rtl">{table}</div>'
    return RTL_TABLE_CSS + table


def show_error(exc: BaseException, context: str) -> None:
    """A readable message on the page for a refused input.

    depotsafe's own errors are shown as they are (written for the operator);
    anything else is logged on the server with its traceback and the page
    says only that an unexpected error occurred.
    """
    if isinstance(exc, TypedNumberError):
        text = typed_number_message(exc)
    elif isinstance(exc, DepotsafeError):
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


# ------------------------------------------------------------------ typed quantities
#
# A quantity typed in a text field (not a number_input, which reads its own
# number) is read by the user's language with no guess (issue 12): the
# decimal sign is the language's, the other sign and every group separator are
# refused, "1,500" is refused as ambiguous in French, and the value understood
# is shown back with its unit under the field.


def typed_number_message(exc: TypedNumberError) -> str:
    """The refusal of a typed number, in the user's language: field, value, what is allowed."""
    dec = exc.decimal
    why = {
        "group": _("group separators (spaces, apostrophes) are not accepted in numbers"),
        "comma": _("a comma is not accepted in numbers in this language"),
        "dot": _("a dot is not accepted in numbers in this language"),
        "ambiguous": _("ambiguous: a decimal comma followed by exactly three digits is also how English "
                       "writes thousands"),
    }[exc.reason]
    return _("{field}: got “{value}”; {why}. The decimal sign is “{dec}” and numbers have no group "
             "separators: write 1{dec}5 for one and a half, 1500 for fifteen hundred.").format(
                 field=exc.field, value=exc.value, why=why, dec=dec)


def canonical_text(text: str, kind: str | None, field: str) -> str:
    """Typed text in the user's language -> the same text with a '.' decimal sign (or TypedNumberError)."""
    from depotsafe.units import canonical_quantity_text

    return canonical_quantity_text(text, kind, field, decimal_sign())


def understood(text: str, kind: str, field: str) -> tuple[float, str]:
    """Read a typed quantity by the user's language: (value in SI units, the value understood in words).

    Raises TypedNumberError or UnitError naming ``field``.  The words give the
    number and unit as read ("2,5 t") and, for a mass or a length in another
    unit, the value in kilograms or metres ("2,5 t = 2 500 kg").
    """
    from depotsafe.units import DIMENSIONS, parse_quantity_text, to_si

    canonical = canonical_text(text, kind, field)
    number, _unit = parse_quantity_text(canonical, kind, field)
    value_si = to_si(canonical, kind, field)
    symbol = canonical.strip().lstrip("+ ").lstrip("0123456789.eE+-").strip() or DIMENSIONS[kind][0]
    shown = with_unit(plain_number(number), symbol.replace("*", "·"))
    si = DIMENSIONS[kind][0]
    if symbol != si:
        if kind == "mass":
            shown += " = " + textfmt.kg_stock(value_si, number_style())
        elif kind == "length":
            shown += " = " + with_unit(plain_number(value_si, 3), "m")
    return value_si, shown


def read_quantity(text: str, kind: str, field: str, where: Any = None) -> float | None:
    """Read a typed quantity, show under the field what was understood (or why not); its SI value or None."""
    where = st if where is None else where
    try:
        value_si, shown = understood(text, kind, field)
    except DepotsafeError as exc:
        msg = typed_number_message(exc) if isinstance(exc, TypedNumberError) else str(exc)
        where.error(msg, icon="⚠️")
        return None
    where.caption(_("Read as {value}").format(value=shown))
    return value_si
