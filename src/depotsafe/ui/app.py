"""The app: page set-up, language switch, navigation, one-time kernel warm-up."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from depotsafe import __version__
from depotsafe.ui import state
from depotsafe.ui.common import KEEP, _, keep_widget_state, lang
from depotsafe.ui.i18n import LANGUAGES, direction

#: The one kernel warm-up of this server process (a background thread) and its outcome.
_WARM: dict[str, Any] = {"thread": None, "seconds": None, "error": None}
_WARM_LOCK = threading.Lock()


def _warm_up_now() -> None:
    """Compile (or load from the disk cache) every kernel, then check the sample depot once.

    ``depotsafe.warmup.warm_up`` reaches every kernel path (the parallel
    variants of large depots too); the sample check fills the rule caches of
    the app's first page.  Runs on a background thread: kernels are
    thread-safe, and a page that calls one before the thread reaches it waits
    on Numba's own compiler lock for that kernel only.
    """
    t0 = time.perf_counter()
    try:
        from depotsafe.check import check_depot
        from depotsafe.ui import model
        from depotsafe.warmup import warm_up as engine_warm_up

        engine_warm_up()
        fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
        check_depot(model.build_depot(fc, rows))
    except Exception as exc:
        _WARM["error"] = f"{type(exc).__name__}: {exc}"
        sys.stderr.write(f"depotsafe app: kernel warm-up failed: {_WARM['error']}\n")
        return
    _WARM["seconds"] = time.perf_counter() - t0
    sys.stderr.write(f"depotsafe app: kernels ready in {_WARM['seconds']:.2f} s "
                     f"(Numba cache {os.environ.get('NUMBA_CACHE_DIR', 'in memory')})\n")


def start_warm_up() -> threading.Thread:
    """Start the warm-up once per server process, in the background; return its thread.

    The first page no longer waits for it (issue 12: the first page drawn in
    seconds): the Depot page needs no kernel, and by the time a user has
    looked at the map and clicked a check, the kernels are loaded.
    """
    with _WARM_LOCK:
        thread = _WARM["thread"]
        if thread is None:
            thread = threading.Thread(target=_warm_up_now, name="depotsafe-warm-up", daemon=True)
            _WARM["thread"] = thread
            thread.start()
        return thread


def warm_up(timeout_s: float | None = None) -> dict[str, float]:
    """Start the warm-up if needed and wait for it (at most ``timeout_s``); its timings."""
    start_warm_up().join(timeout_s)
    return {} if _WARM["seconds"] is None else {"check": _WARM["seconds"]}


def kernels_ready() -> bool:
    """True once the background warm-up has finished (or failed: pages then compile on demand)."""
    thread = _WARM["thread"]
    return thread is not None and not thread.is_alive()


#: Printing a page: no sidebar or toolbar, tables and charts at full length, no row split across pages.
PRINT_CSS = """<style>
@media print {
  section[data-testid="stSidebar"], header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"] { overflow: visible !important; height: auto !important; }
  [data-testid="stTable"] tr { break-inside: avoid; }
}
</style>"""

#: The label of the language selector: a globe and no word of any one language.
LANGUAGE_LABEL = ":material/language:"

#: The app's fonts, in every language (a depot's names may be in any script): Streamlit's Source Sans
#: (served with the app) for Latin, Cyrillic and Greek; then Chinese in its Simplified forms (Noto Sans
#: CJK SC, which the set-up installs; Microsoft YaHei or PingFang SC on a Windows or Apple viewer), not
#: the Japanese forms a fallback without a language picks; then Arabic (Noto Naskh Arabic, Amiri).
FONT_CSS = """<style>
[data-testid="stApp"], [data-testid="stApp"] :is(h1, h2, h3, h4, h5, h6, p, li, label, td, th, span, div, button,
input, textarea, summary):not(code, code *, pre, pre *, [data-testid="stIconMaterial"]) {
  font-family: "Source Sans", "Source Sans Pro", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
    "Noto Naskh Arabic", "Noto Sans Arabic", "Amiri", "Segoe UI", Tahoma, sans-serif;
}
</style>"""

#: Right to left (Arabic): the main area and the sidebar read right to left; maps, charts and code keep
#: left to right so that their labels and axes stay legible; figures keep their own direction (bidi).
RTL_CSS = """<style>
[data-testid="stMain"], [data-testid="stSidebar"] { direction: rtl; text-align: right; }
[data-testid="stPlotlyChart"], [data-testid="stDeckGlJsonChart"], [data-testid="stCode"], code, pre,
[data-testid="stDataFrame"], [data-testid="stDataEditor"] { direction: ltr; text-align: left; }
</style>"""


def _pages() -> dict[str, tuple[Callable[[], str], str]]:
    """Each page: its title and its module, imported only when the page is shown (the first page
    does not wait for the others' imports)."""
    return {
        "depot": (lambda: _("Depot"), "page_depot"),
        "compliance": (lambda: _("Compliance"), "page_compliance"),
        "effects": (lambda: _("Effects"), "page_effects"),
        "risk": (lambda: _("Risk"), "page_risk"),
        "scenarios": (lambda: _("Scenarios"), "page_scenario"),
        "siting": (lambda: _("Siting"), "page_siting"),
        "calculator": (lambda: _("Calculator"), "page_calculator"),
    }


def _render(module: str) -> None:
    """Draw the page of ``module`` (depotsafe.ui.<module>)."""
    import importlib

    importlib.import_module(f"depotsafe.ui.{module}").render()


def main() -> None:
    """Run one pass of the app script."""
    st.set_page_config(page_title="depotsafe", page_icon="🛡️", layout="wide")
    keep_widget_state()
    st.html(PRINT_CSS + FONT_CSS)
    if direction(lang()) == "rtl":
        st.html(RTL_CSS)
    state.init()
    pages = _pages()
    with st.sidebar:
        # In no one language: a globe (Material Symbols, served with the app: no system font needed) and each
        # language named in itself, as the UN's own sites offer them.
        st.selectbox(LANGUAGE_LABEL, list(LANGUAGES), format_func=LANGUAGES.__getitem__, key=f"{KEEP}lang")
        st.title("depotsafe")
        st.caption(_("Ammunition depot safety (UN IATG 02.20, 01.80)"))
        labels = {p: title() for p, (title, _module) in pages.items()}
        page = st.radio(_("Page"), list(pages), format_func=labels.__getitem__, key=f"{KEEP}page")
        st.divider()
        st.caption(_("Quantity-distances: AASTP-1 (2006) Annex I-A as adopted by IATG 02.20. "
                     "Effects: IATG 01.80. depotsafe {v}.").format(v=__version__))
        depot_slot = st.container()
        if not kernels_ready():
            st.caption(_("Loading the calculation kernels in the background (seconds; up to a minute "
                         "on the first start after an install, unless `depotsafe warmup` ran). "
                         "A calculation started now waits for the kernels it needs."))
    try:
        _render(pages[page][1])
        # drawn after the page: an upload or an edit on this run is already saved and named
        with depot_slot:
            state.sidebar()
    finally:
        # After the page is drawn (or stopped): the warm-up thread would otherwise compete with the
        # first page for the interpreter (issue 12: the first page in seconds).
        start_warm_up()
