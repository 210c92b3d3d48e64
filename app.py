"""Thin entry point: ``streamlit run app.py`` runs the app shipped in the package."""

from depotsafe.cache import configure_numba_cache

configure_numba_cache()

from depotsafe.ui.app import main  # noqa: E402

main()
