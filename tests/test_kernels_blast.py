"""Blast kernels against the scalar model and a naive reference (rtol 1e-12)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from depotsafe.kernels import blast as k
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from depotsafe.effects import blast as b
from depotsafe.effects.fields import blast_field, grid_axes
from depotsafe.effects.tables import QUANTITIES, kb_fits
from depotsafe.errors import InputError

from .reference import naive_kb

RTOL = 1e-12  # fastmath off: kernel and scalar model agree to rounding
JIT = hasattr(k.blast_field_max, "py_func")  # False under NUMBA_DISABLE_JIT=1


def _py(fn):
    return getattr(fn, "py_func", fn)
REF = naive_kb.load()


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize("fn", [k.kb_points, _py(k.kb_points)], ids=["jit", "py_func"])
@given(z=arrays(np.float64, 50, elements=st.floats(0.0, 250.0)))
def test_kb_points_equals_scalar(quantity: str, fn, z: np.ndarray) -> None:
    fit = kb_fits()[quantity]
    value = np.empty_like(z)
    status = np.empty(z.size, dtype=np.uint8)
    fn(z, fit.z_min, fit.z_max, fit.coef, value, status)
    for zk, vk, sk in zip(z, value, status, strict=True):
        expected, code = b.scaled_value(quantity, float(zk))
        assert sk == code
        if expected is None:
            assert vk == 0.0
        else:
            assert vk == pytest.approx(expected, rel=RTOL)


def _field_with(fn, xs, ys, ex, ey, neq):
    fp = kb_fits()["incident_overpressure"]
    fi = kb_fits()["incident_impulse"]
    lw = np.log(neq) / 3.0
    shape = (ys.size, xs.size)
    op, oi = np.empty(shape), np.empty(shape)
    sp, si = np.empty(shape, np.uint8), np.empty(shape, np.uint8)
    fn(xs, ys, ex, ey, lw, lw, fp.z_min, fp.z_max, fp.coef, 1000.0, fi.z_min, fi.z_max, fi.coef,
       fi.z_nonincreasing_from, 1.0, op, oi, sp, si)
    return op, oi, sp, si


coords = arrays(np.float64, 7, elements=st.floats(-3000.0, 3000.0))


@pytest.mark.parametrize("fn", [k.blast_field_max, _py(k.blast_field_max)], ids=["jit", "py_func"])
@given(
    xs=coords,
    ys=arrays(np.float64, 5, elements=st.floats(-3000.0, 3000.0)),
    ex=arrays(np.float64, 3, elements=st.floats(-1000.0, 1000.0)),
    ey=arrays(np.float64, 3, elements=st.floats(-1000.0, 1000.0)),
    neq=arrays(np.float64, 3, elements=st.floats(1.0, 1e6)),
)
def test_field_equals_naive_reference(fn, xs, ys, ex, ey, neq) -> None:
    op, oi, sp, si = _field_with(fn, xs, ys, ex, ey, neq)
    w13 = neq ** (1 / 3)
    events = list(zip(ex, ey, w13, strict=True))
    ref_p = naive_kb.field_max(xs, ys, events, REF["incident_overpressure"], scaled=False)
    ref_i = naive_kb.field_max(xs, ys, events, REF["incident_impulse"], scaled=True)
    for j in range(ys.size):
        for i in range(xs.size):
            vp, cp = ref_p[j][i]
            assert sp[j, i] == cp
            if vp is not None:
                assert op[j, i] == pytest.approx(vp * 1000.0, rel=RTOL)
            vi, ci = ref_i[j][i]
            assert si[j, i] == ci
            if vi is not None:
                assert oi[j, i] == pytest.approx(vi, rel=RTOL)


@given(
    px=st.floats(-2000.0, 2000.0),
    py=st.floats(-2000.0, 2000.0),
    neq=st.floats(10.0, 1e6),
)
def test_single_event_field_equals_scalar_model(px: float, py: float, neq: float) -> None:
    field = blast_field([px], [py], [0.0], [0.0], [neq])
    r = math.hypot(px, py)
    res = b.blast_parameters(neq, r)
    for q, values, status in (
        ("incident_overpressure", field.overpressure_pa, field.overpressure_status),
        ("incident_impulse", field.impulse_pa_s, field.impulse_status),
    ):
        v = res.values[q]
        if v is None:
            assert status[0, 0] != 0
            assert values.mask[0, 0]
        else:
            assert status[0, 0] == 0
            assert values[0, 0] == pytest.approx(v, rel=RTOL)


def test_tiles_do_not_change_the_result() -> None:
    xs, ys = grid_axes(-500, -400, 500, 600, 20.0)
    args = (xs, ys, [0.0, 120.0], [0.0, -80.0], [5000.0, 20000.0])
    a = blast_field(*args, tile_rows=7)
    c = blast_field(*args, tile_rows=1000)
    np.testing.assert_array_equal(a.overpressure_pa.filled(-1.0), c.overpressure_pa.filled(-1.0))
    np.testing.assert_array_equal(a.impulse_status, c.impulse_status)


def test_threads() -> None:
    xs, ys = grid_axes(-500, -500, 500, 500, 10.0)
    single = blast_field(xs, ys, [0.0], [0.0], [10_000.0])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: blast_field(xs, ys, [0.0], [0.0], [10_000.0]), range(8)))
    for r in results:
        np.testing.assert_array_equal(r.overpressure_pa.filled(-1.0), single.overpressure_pa.filled(-1.0))


@pytest.mark.skipif(not JIT, reason="NUMBA_DISABLE_JIT=1: no signatures")
def test_one_signature() -> None:
    blast_field([1, 2], np.array([3.0], dtype=np.float32), [0], [0], [1000])
    blast_field(np.arange(10.0)[::2], [3.0], [0.0], [0.0], [1000.0])
    assert len(k.blast_field_max.signatures) == 1


def test_status_far_impulse_bound() -> None:
    """A big event beyond its impulse fit may dominate a small in-range one: status 2."""
    # 1e6 kg at 20 km: Z = 200 > 158.7; 1 kg at 10 m: Z = 10, impulse ~31 Pa*s.
    # Bound of the big one: f(158.7) * 100 = 187 Pa*s > 31: not computable.
    field = blast_field([20_000.0], [0.0], [0.0, 20_010.0], [0.0, 0.0], [1e6, 1.0])
    assert field.impulse_status[0, 0] == 2
    assert field.impulse_pa_s.mask[0, 0]
    # Overpressure: every in-range value exceeds the fit's far end: ok.
    assert field.overpressure_status[0, 0] == 0


def test_field_errors() -> None:
    with pytest.raises(InputError, match=r"events neq_kg: got -5.0; every event NEQ must be > 0 kg"):
        blast_field([0.0], [0.0], [1.0], [1.0], [-5.0])
    with pytest.raises(InputError, match=r"x_m: got 'non-finite value'"):
        blast_field([math.nan], [0.0], [1.0], [1.0], [5.0])
    with pytest.raises(InputError, match=r"explosive: got 'semtex'"):
        blast_field([0.0], [0.0], [1.0], [1.0], [5.0], explosives="semtex")
    with pytest.raises(InputError, match=r"events: got .*equal length"):
        blast_field([0.0], [0.0], [1.0, 2.0], [1.0], [5.0])
    with pytest.raises(InputError, match=r"cell_m: got 0"):
        grid_axes(0, 0, 1, 1, 0)


@given(
    seed=st.integers(0, 2**32 - 1),
    n_events=st.integers(1, 30),
)
def test_pruning_is_exact(seed: int, n_events: int) -> None:
    """Per-chunk event pruning changes nothing: equal to the unpruned kernel (z_mono = inf)."""
    rng = np.random.default_rng(seed)
    xs = np.sort(rng.uniform(-2000, 2000, 150))
    ys = rng.uniform(-2000, 2000, 3)
    ex = rng.uniform(-1500, 1500, n_events)
    ey = rng.uniform(-1500, 1500, n_events)
    lw = np.log(rng.uniform(1.0, 1e6, n_events)) / 3.0
    fp = kb_fits()["incident_overpressure"]
    fi = kb_fits()["incident_impulse"]
    outs = []
    for z_mono in (fi.z_nonincreasing_from, math.inf):
        shape = (ys.size, xs.size)
        op, oi = np.empty(shape), np.empty(shape)
        sp, si = np.empty(shape, np.uint8), np.empty(shape, np.uint8)
        k.blast_field_max(xs, ys, ex, ey, lw, lw, fp.z_min, fp.z_max, fp.coef, 1000.0,
                          fi.z_min, fi.z_max, fi.coef, z_mono, 1.0, op, oi, sp, si)
        outs.append((op, oi, sp, si))
    for a, c in zip(outs[0], outs[1], strict=True):
        np.testing.assert_array_equal(a, c)


def test_wide_grid_against_naive_reference() -> None:
    """Several chunks per row, many events: pruning active, equal to the naive loops."""
    rng = np.random.default_rng(5)
    xs = np.linspace(-1000, 1000, 300)
    ys = np.array([-333.0, 0.5, 250.0])
    ex = rng.uniform(-800, 800, 25)
    ey = rng.uniform(-800, 800, 25)
    neq = rng.uniform(10.0, 1e5, 25)
    op, oi, sp, si = _field_with(k.blast_field_max, xs, ys, ex, ey, neq)
    events = list(zip(ex, ey, neq ** (1 / 3), strict=True))
    ref_i = naive_kb.field_max(xs, ys, events, REF["incident_impulse"], scaled=True)
    ref_p = naive_kb.field_max(xs, ys, events, REF["incident_overpressure"], scaled=False)
    for j in range(ys.size):
        for i in range(xs.size):
            vi, ci = ref_i[j][i]
            assert si[j, i] == ci
            if vi is not None:
                assert oi[j, i] == pytest.approx(vi, rel=RTOL)
            vp, cp = ref_p[j][i]
            assert sp[j, i] == cp
            if vp is not None:
                assert op[j, i] == pytest.approx(vp * 1000.0, rel=RTOL)
