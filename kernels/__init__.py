"""depotsafe.kernels: Numba kernels over flat float64 arrays.

Kernels import only numpy, numba and math.  Rule tables are passed in as
arguments, never read from module globals (Numba freezes globals into the
compiled code, and a cached kernel would keep serving an old table).  Every
kernel keeps fastmath off: its output feeds compliance decisions.
"""
