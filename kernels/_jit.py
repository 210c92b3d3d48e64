"""``njit`` for the kernels: Numba's, with a cheaper load of machine code from the on-disk cache.

Numba's cache refreshes the whole target context before it loads a cached
kernel (``Cache.load_overload`` calls ``target_context.refresh()``): it
imports and installs every lowering registry (linear algebra, random
generators, typed containers, jitclasses, cffi...) and refreshes the typing
context.  That is what *compiling* needs, and the compiler does it itself
before every compilation (``CompilerBase.__init__``); loading machine code
needs only what the code links against: Numba's runtime (NRT, its LLVM
functions and C helpers, :meth:`rtsys.initialize`), the C helpers and math
symbols installed when the target context is made, and, for parallel
kernels, the threading layer (the ``reload_init`` of the cached result).
Of the registries' modules only ``numba.cpython.hashing`` adds symbols
(the hash secret); a kernel whose object code names them is loaded the
full way, as is anything not cached as object code.

So a cached kernel loads in a few milliseconds instead of paying some 0.3 s
of registries on the first load of every process (a command's start).  The
machine code is the same bytes either way; a cache miss compiles exactly as
Numba does.  Where Numba's internals differ from what this module expects
(another Numba version), it falls back to Numba's own loading.
"""

from __future__ import annotations

from typing import Any

import numba

#: Symbols added by registries that a cheap load does not import; object code naming one loads the full way.
_REGISTRY_SYMBOLS = (b"_numba_hashsecret_",)


def _loading_cache_class() -> type | None:
    """The cache class of the kernels, or None where Numba's internals are not as expected."""
    try:
        from numba.core.caching import FunctionCache
        from numba.core.runtime import rtsys
    except ImportError:  # pragma: no cover - another Numba
        return None
    if not (hasattr(FunctionCache, "_index_key") and hasattr(rtsys, "initialize")):
        return None  # pragma: no cover - another Numba

    class KernelCache(FunctionCache):
        """Numba's FunctionCache, loading without the registries where the object code needs none."""

        def load_overload(self, sig: Any, target_context: Any) -> Any:
            if not self._enabled:
                return None
            try:
                key = self._index_key(sig, target_context.codegen())
                data = self._cache_file.load(key)
            except AttributeError:  # pragma: no cover - another Numba
                return super().load_overload(sig, target_context)
            if data is None:
                return None
            if needs_registries(data):
                target_context.refresh()  # Numba's own way
            else:
                rtsys.initialize(target_context)  # the runtime the machine code calls
            return self._impl.rebuild(target_context, data)

    return KernelCache


def needs_registries(payload: Any) -> bool:
    """Whether a cached compile result needs the full refresh to load: anything but object code
    (``(name, "object", (object_code, bitcode))``), or object code naming a registry's symbol."""
    try:
        _name, kind, (object_code, _bitcode) = payload[0]
    except (TypeError, ValueError, IndexError):
        return True
    if kind != "object" or not isinstance(object_code, bytes | bytearray):
        return True
    return any(s in object_code for s in _REGISTRY_SYMBOLS)


_CACHE_CLASS = _loading_cache_class()


def njit(*args: Any, **kws: Any) -> Any:
    """``numba.njit`` (same arguments); with ``cache=True`` the dispatcher loads as described above."""
    if len(args) == 1 and callable(args[0]) and not kws:
        return njit()(args[0])
    ours = kws.get("cache", False) and _CACHE_CLASS is not None
    if ours:
        kws = {k: v for k, v in kws.items() if k != "cache"}  # the cache is set below, not by Numba
    numba_decorator = numba.njit(*args, **kws)

    def decorate(fn: Any) -> Any:
        dispatcher = numba_decorator(fn)
        if ours and hasattr(dispatcher, "enable_caching"):  # not with NUMBA_DISABLE_JIT (a plain function)
            dispatcher._cache = _CACHE_CLASS(dispatcher.py_func)
        return dispatcher

    return decorate
