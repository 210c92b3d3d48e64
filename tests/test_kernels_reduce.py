"""Group-by arg-extreme kernel against a plain Python reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from depotsafe.kernels.reduce import group_arg_extreme


def reference(keys, values, n_keys, largest):
    best = [-1] * n_keys
    for r, (k, v) in enumerate(zip(keys, values, strict=True)):
        b = best[k]
        if b < 0 or (v > values[b] if largest else v < values[b]):
            best[k] = r
    return best


@given(st.integers(1, 20), st.data(), st.booleans())
def test_group_arg_extreme_equals_reference(n_keys, data, largest):
    n = data.draw(st.integers(0, 200))
    keys = data.draw(arrays(np.int64, n, elements=st.integers(0, n_keys - 1)))
    values = data.draw(arrays(np.float64, n, elements=st.floats(-1e6, 1e6, allow_nan=False)))
    got = group_arg_extreme(keys, values, n_keys, largest)
    assert got.tolist() == reference(keys.tolist(), values.tolist(), n_keys, largest)
    assert got.tolist() == group_arg_extreme.py_func(keys, values, n_keys, largest).tolist()
