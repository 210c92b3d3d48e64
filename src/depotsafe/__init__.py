"""depotsafe: ammunition stockpile safety calculator aligned with the UN IATG.

Quantity-distances (IATG 02.20, tables of AASTP-1 (2006) Annex I-A), explosives
limit licences, whole-depot compliance checks and explosion effects.
"""

from __future__ import annotations

import os

# Streamlit serves every browser session on its own thread, so parallel kernels
# may be entered from several threads at once.  The workqueue layer aborts the
# process in that case; "threadsafe" makes Numba pick a layer that copes
# (omp or tbb).  Set before numba is imported anywhere.
os.environ.setdefault("NUMBA_THREADING_LAYER", "threadsafe")

__version__ = "0.1.0"

__all__ = ["__version__"]
