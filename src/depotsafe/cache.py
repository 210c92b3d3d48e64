"""The user's depotsafe cache (the Numba cache and the pint registry) shared by the app and every command.

Numba reads ``NUMBA_CACHE_DIR`` once, when it is first imported, so
:func:`configure_numba_cache` must run before anything imports numba (the
app entry point calls it first).  The directory is keyed by the depotsafe
version and a hash of the kernel sources: after an upgrade, or any change to
a kernel, the app compiles into a fresh directory instead of loading machine
code built from other sources (Numba's own check only looks at the
timestamp of the kernel's file, not at the helpers or tables it was built
with).  This module imports neither streamlit nor numba.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from depotsafe import __version__

#: Environment variable that overrides the base of the app's cache directory.
CACHE_ENV = "DEPOTSAFE_CACHE_DIR"


def kernel_source_hash() -> str:
    """SHA-256 over the names and bytes of every kernel source file.

    Found without importing the kernels (and so numba).
    """
    spec = importlib.util.find_spec("depotsafe.kernels")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover
        msg = "depotsafe.kernels is not installed"
        raise RuntimeError(msg)
    digest = hashlib.sha256()
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def cache_base() -> Path:
    """Base of the user's depotsafe cache (``$DEPOTSAFE_CACHE_DIR``, else XDG)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "depotsafe"


def numba_cache_dir() -> Path:
    """``<cache>/numba/<version>-<kernel hash[:16]>``: changes with both."""
    return cache_base() / "numba" / f"{__version__}-{kernel_source_hash()[:16]}"


def configure_numba_cache() -> str:
    """Point Numba's cache at the keyed directory unless one is set already.

    An explicit ``NUMBA_CACHE_DIR`` (the test script sets a fresh one per
    run) is kept.  Returns the directory in force.
    """
    current = os.environ.get("NUMBA_CACHE_DIR")
    if current:
        return current
    path = numba_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return ""  # unwritable home: Numba then compiles in memory each start
    os.environ["NUMBA_CACHE_DIR"] = str(path)
    return str(path)
