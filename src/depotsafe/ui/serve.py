"""The app's server process: Streamlit's command line, the first page's set-up started at once.

``depotsafe app`` runs ``python -m depotsafe.ui.serve run <streamlit_app.py> ...``
(the arguments of ``streamlit run``).  Before Streamlit starts its server, a
background thread does the per-process set-up of the first page (issue 12: the
first page drawn in seconds): it imports the app's modules (pandas, pint and
its unit registry, pyproj, shapely, plotly) and reads the bundled sample
depot once, so that PROJ's database and plotly's trace validators are loaded.
That work then overlaps the server's own start and the browser's connection
instead of following them; the first script run finds the modules imported (or
waits on Python's import lock for the one still loading, never loading it twice).

Nothing is computed for a user here: no depot, no check and no kernel (the
kernels load after the first page is drawn, depotsafe.ui.app.start_warm_up).
A failure only costs the head start: the page imports what it needs itself.
"""

from __future__ import annotations

import json
import sys
import threading
import time

#: Seconds the set-up took, or the error it met (for the server log).
PRELOAD: dict[str, object] = {"seconds": None, "error": None}


def preload() -> None:
    """Import the first page's modules and read the sample depot once (no session, no kernel)."""
    t0 = time.perf_counter()
    try:
        import plotly.graph_objects as go

        from depotsafe.ui import app, model, page_depot  # noqa: F401  (pandas, pint, pyproj, shapely)

        fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
        model.build_depot(fc, rows)  # PROJ's database, the local projection, the stock's units
        go.Figure(go.Scatter(x=[0.0], y=[0.0], mode="lines+markers+text", text=[""])).to_dict()
    except Exception as exc:  # the page loads what it needs itself
        PRELOAD["error"] = f"{type(exc).__name__}: {exc}"
        sys.stderr.write(f"depotsafe app: first-page set-up failed: {PRELOAD['error']}\n")
        return
    PRELOAD["seconds"] = time.perf_counter() - t0


def main() -> int:
    """Start the set-up thread, then Streamlit's command line with this process's arguments."""
    from depotsafe.cache import configure_numba_cache

    configure_numba_cache()  # before anything imports numba, as streamlit_app.py does
    threading.Thread(target=preload, name="depotsafe-first-page-set-up", daemon=True).start()
    from streamlit.web.cli import main as streamlit_main

    # as ``python -m streamlit`` calls it: the server sees the same command line
    return int(streamlit_main(prog_name="streamlit") or 0)


if __name__ == "__main__":
    raise SystemExit(main())
