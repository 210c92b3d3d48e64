"""Group-by reductions over rows: the extreme value of each key and the row that has it.

O(rows); the first row wins ties, so results do not depend on thread timing
(the kernels are serial).  Reference: numpy lexsort (tests/test_kernels_reduce.py).
"""

from __future__ import annotations

import numpy as np
from depotsafe.kernels._jit import njit


@njit(cache=True)
def group_arg_extreme(keys, values, n_keys, largest):
    """For each key in [0, n_keys): the row with the largest (or smallest) value, -1 if none.

    Parameters
    ----------
    keys : int64 array, values in [0, n_keys)
    values : float64 array, same length
    n_keys : int
    largest : bool

    Returns
    -------
    int64 array (n_keys,)
    """
    best = np.full(n_keys, -1, dtype=np.int64)
    for r in range(keys.shape[0]):
        k = keys[r]
        b = best[k]
        if b < 0:
            best[k] = r
        elif largest:
            if values[r] > values[b]:
                best[k] = r
        elif values[r] < values[b]:
            best[k] = r
    return best
