"""The app: page set-up, language switch, navigation, one-time kernel warm-up."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

import streamlit as st

from depotsafe import __version__
from depotsafe.ui import state
from depotsafe.ui.common import KEEP, _, keep_widget_state
from depotsafe.ui.i18n import LANGUAGES


@st.cache_resource(show_spinner=False)
def warm_up() -> dict[str, float]:
    """Compile (or load from the disk cache) every kernel once per server.

    ``depotsafe.warmup.warm_up`` reaches every kernel path (the parallel
    variants of large depots too); then the sample depot is read and checked,
    the app's first page.  No user waits on the compiler.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    from depotsafe.check import check_depot
    from depotsafe.ui import model
    from depotsafe.warmup import warm_up as engine_warm_up

    engine_warm_up()

    fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
    check_depot(model.build_depot(fc, rows))
    timings["check"] = time.perf_counter() - t0
    sys.stderr.write(f"depotsafe app: kernels ready in {timings['check']:.2f} s "
                     f"(Numba cache {os.environ.get('NUMBA_CACHE_DIR', 'in memory')})\n")
    return timings


#: Printing a page: no sidebar or toolbar, tables and charts at full length, no row split across pages.
PRINT_CSS = """<style>
@media print {
  section[data-testid="stSidebar"], header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"] { overflow: visible !important; height: auto !important; }
  [data-testid="stTable"] tr { break-inside: avoid; }
}
</style>"""


def _pages() -> dict[str, tuple[Callable[[], str], Callable[[], None]]]:
    from depotsafe.ui import (
        page_calculator,
        page_compliance,
        page_depot,
        page_effects,
        page_siting,
    )

    return {
        "depot": (lambda: _("Depot"), page_depot.render),
        "compliance": (lambda: _("Compliance"), page_compliance.render),
        "effects": (lambda: _("Effects"), page_effects.render),
        "siting": (lambda: _("Siting"), page_siting.render),
        "calculator": (lambda: _("Calculator"), page_calculator.render),
    }


def main() -> None:
    """Run one pass of the app script."""
    st.set_page_config(page_title="depotsafe", page_icon="🛡️", layout="wide")
    keep_widget_state()
    st.html(PRINT_CSS)
    with st.spinner("depotsafe: loading the calculation kernels (seconds; up to a minute on the "
                    "first start after an install or upgrade, unless `depotsafe warmup` ran)…"):
        warm_up()
    state.init()
    pages = _pages()
    with st.sidebar:
        st.selectbox("Language / Langue", list(LANGUAGES), format_func=LANGUAGES.__getitem__, key=f"{KEEP}lang")
        st.title("depotsafe")
        st.caption(_("Ammunition depot safety (UN IATG 02.20, 01.80)"))
        labels = {p: title() for p, (title, _render) in pages.items()}
        page = st.radio(_("Page"), list(pages), format_func=labels.__getitem__, key=f"{KEEP}page")
        st.divider()
        st.caption(_("Quantity-distances: AASTP-1 (2006) Annex I-A as adopted by IATG 02.20. "
                     "Effects: IATG 01.80. depotsafe {v}.").format(v=__version__))
        depot_slot = st.container()
    pages[page][1]()
    # drawn after the page: an upload or an edit on this run is already saved and named
    with depot_slot:
        state.sidebar()
