"""Entry point of ``streamlit run`` (shipped inside the package).

The Numba cache is configured before anything imports numba; then the app runs.
"""

from depotsafe.cache import configure_numba_cache

configure_numba_cache()

from depotsafe.ui.app import main  # noqa: E402

main()
