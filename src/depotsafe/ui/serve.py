"""The app's server process: Streamlit's command line, the first page's set-up started at once.

``depotsafe app`` runs ``python -m depotsafe.ui.serve run <streamlit_app.py> ...``
(the arguments of ``streamlit run``).  A background thread does the per-process
set-up of the first page (issue 12: the first page drawn in seconds) as soon as
the server answers: it imports the app's modules (pandas, pyproj, shapely,
plotly) and reads the bundled sample depot once, so
that PROJ's database and plotly's trace validators are loaded.  That work then
fills the seconds in which the browser starts and loads the page instead of
following them; the first script run finds the modules imported (or waits on
Python's import lock for the one still loading, never loading it twice).  It
waits for the server first: Python runs one thread at a time, and started at
once it delayed the server's own start (measured: 3.6 s to answer against 2.0 s).

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

        from depotsafe.ui import app, model, page_depot  # noqa: F401  (pandas, pyproj, shapely)

        fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
        model.build_depot(fc, rows)  # PROJ's database, the local projection, the stock's units
        # pint is not built here: the first page needs none (masses in kg, g and t are read without it),
        # and the kernel warm-up after the first page builds it (depotsafe.warmup, its first step)
        go.Figure(go.Scatter(x=[0.0], y=[0.0], mode="lines+markers+text", text=[""])).to_dict()
    except Exception as exc:  # the page loads what it needs itself
        PRELOAD["error"] = f"{type(exc).__name__}: {exc}"
        sys.stderr.write(f"depotsafe app: first-page set-up failed: {PRELOAD['error']}\n")
        return
    PRELOAD["seconds"] = time.perf_counter() - t0


def _server_url(argv: list[str]) -> str | None:
    """The loopback address of the server that ``streamlit run`` arguments start, if they name a port."""
    def option(name: str) -> str | None:
        return argv[argv.index(name) + 1] if name in argv[:-1] else None

    port = option("--server.port")
    if port is None or not port.isdigit():
        return None
    address = option("--server.address") or "localhost"
    if address in ("0.0.0.0", "", "::"):
        address = "localhost"
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"http://{address}:{port}"


def _preload_when_serving(url: str | None) -> None:
    """:func:`preload` once the server answers (at once when its address is not known)."""
    if url is not None:
        from depotsafe.commands.app import wait_until_ready

        wait_until_ready(url, 120)
    preload()


def main() -> int:
    """Start the set-up thread, then Streamlit's command line with this process's arguments."""
    from depotsafe.cache import configure_numba_cache

    configure_numba_cache()  # before anything imports numba, as streamlit_app.py does
    threading.Thread(target=_preload_when_serving, args=(_server_url(sys.argv[1:]),),
                     name="depotsafe-first-page-set-up", daemon=True).start()
    from streamlit.web.cli import main as streamlit_main

    # as ``python -m streamlit`` calls it: the server sees the same command line
    return int(streamlit_main(prog_name="streamlit") or 0)


if __name__ == "__main__":
    raise SystemExit(main())
