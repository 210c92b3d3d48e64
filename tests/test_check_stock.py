"""The check's shortcut for one-line stocks equals mix_divisions on the line itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotsafe.check import _mix_cases
from depotsafe.explosives import mix_divisions, stock_line

CODES = [("1.1", "D"), ("1.1", "F"), ("1.2", "E"), ("1.2.1", "E"), ("1.2.2", "F"), ("1.3", "C"), ("1.3", "G"),
         ("1.4", "S"), ("1.4", "G"), ("1.5", "D"), ("1.6", "N")]


@given(st.sampled_from(CODES), st.floats(min_value=0.5, max_value=1e6), st.one_of(st.none(), st.floats(0.01, 50.0)))
def test_single_line_shortcut_equals_mix_divisions(code, neq, unit):
    hd, cg = code
    if hd == "1.6" and unit is None:
        unit = 5.0
    if hd == "1.2.1" and unit is not None and unit <= 0.71:
        unit = 1.0
    if hd == "1.2.2" and unit is not None and unit > 0.71:
        unit = 0.5
    if unit is not None and unit > neq:
        neq = unit * 3
    line = stock_line(hd, cg, neq, unit)
    want = [(c.division, c.neq_kg, c.unit_neq_kg, tuple(c.hd13_tables)) for c in mix_divisions([line]).cases]
    got = _mix_cases([line])
    assert [(d, u, t) for d, _q, u, t in got] == [(d, u, t) for d, _q, u, t in want]
    for (_d, q1, _u, _t), (_d2, q2, _u2, _t2) in zip(got, want, strict=True):
        assert q1 == pytest.approx(q2, rel=1e-12)
