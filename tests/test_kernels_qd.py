"""QD kernels against the scalar reference (depotsafe.qd), JIT on and off, threads."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from depotsafe.kernels import qd as kq

from depotsafe.qd import (
    max_neq_kg,
    max_neqs,
    pack_rules,
    required_distance_m,
    required_distances,
    resolve_rule,
)
from depotsafe.rules import load_rule_set
from test_qd_engine import DIVISIONS, RELATIONS

RS = load_rule_set("iatg")
RULES = [resolve_rule(RS, d, rel, t) for (d, t) in DIVISIONS for rel in RELATIONS]
TABLE = pack_rules(RS, RULES)


def _random_pairs(n, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, len(RULES), n)
    # log-uniform NEQ from 1 g to 10 kt: every branch, floor and switch is hit
    neq = np.exp(rng.uniform(math.log(1e-3), math.log(1e7), n))
    # some exactly at branch starts and switch points
    neq[: n // 20] = rng.choice([10.0, 500.0, 2000.0, 4500.0, 250000.0], n // 20)
    unit = np.exp(rng.uniform(math.log(0.1), math.log(5000.0), n))
    return ids, neq, unit


def test_kernel_forward_equals_scalar_reference():
    ids, neq, unit = _random_pairs(20000, 1)
    got_m, got_term = required_distances(TABLE, ids, neq, unit)
    for i in range(ids.size):
        want, term = required_distance_m(RS, RULES[ids[i]], neq[i], unit[i])
        assert got_m[i] == want  # the same operations in the same order: bit-identical
        assert got_term[i] == term


def test_kernel_inverse_equals_scalar_reference():
    ids, neq, unit = _random_pairs(5000, 2)
    dist, _ = required_distances(TABLE, ids, neq, unit)
    dist = dist * np.random.default_rng(3).uniform(0.5, 1.5, dist.size)
    got_kg, got_term = max_neqs(TABLE, ids, dist, unit)
    for i in range(ids.size):
        want, term = max_neq_kg(RS, RULES[ids[i]], dist[i], unit[i])
        assert got_kg[i] == want
        assert got_term[i] == term


def test_every_branch_is_hit():
    # The random pairs reach every function of the rule set below and above each branch start.
    ids, neq, unit = _random_pairs(20000, 1)
    used = set()
    for i in range(ids.size):
        for t in RULES[ids[i]].terms:
            if t.func_index < 0:
                continue
            q = unit[i] if t.q_source == 1 else neq[i]
            f = RS.functions[t.func_index]
            for b, br in enumerate(f.branches):
                if br.q_lo_kg <= q < br.q_hi_kg:
                    used.add((t.func_index, b))
    referenced = {
        (t.func_index, b)
        for r in RULES
        for t in r.terms
        if t.func_index >= 0
        for b in range(len(RS.functions[t.func_index].branches))
    }
    assert referenced <= used


def test_interpreted_kernel_equals_compiled():
    ids, neq, unit = _random_pairs(300, 4)
    out_c = np.empty(ids.size)
    term_c = np.empty(ids.size, dtype=np.int64)
    kq._required_distances(TABLE.branches, TABLE.functions, TABLE.terms, TABLE.spans, ids, neq, unit, out_c, term_c)
    out_p = np.empty(ids.size)
    term_p = np.empty(ids.size, dtype=np.int64)
    kq._required_distances.py_func(
        TABLE.branches, TABLE.functions, TABLE.terms, TABLE.spans, ids, neq, unit, out_p, term_p
    )
    np.testing.assert_array_equal(out_c, out_p)
    np.testing.assert_array_equal(term_c, term_p)


def test_threads_get_the_same_answers():
    ids, neq, unit = _random_pairs(50000, 5)
    expected, _ = required_distances(TABLE, ids, neq, unit)
    expected_kg, _ = max_neqs(TABLE, ids[:5000], expected[:5000], unit[:5000])

    def work(_):
        d, _t = required_distances(TABLE, ids, neq, unit)
        q, _u = max_neqs(TABLE, ids[:5000], expected[:5000], unit[:5000])
        return d, q

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(8)))
    for d, q in results:
        np.testing.assert_array_equal(d, expected)
        np.testing.assert_array_equal(q, expected_kg)


def test_one_signature_per_kernel():
    ids, neq, unit = _random_pairs(10, 6)
    required_distances(TABLE, list(ids), [float(x) for x in neq], unit.astype(np.float32))
    required_distances(TABLE, ids, neq[::1], unit)
    assert len(kq._required_distances.signatures) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rule_id": [len(RULES)], "neq_kg": [1.0]}, "rule_id out of range"),
        ({"rule_id": [0], "neq_kg": [math.nan]}, "must be finite"),
        ({"rule_id": [0], "neq_kg": [0.0]}, "NEQ must be > 0"),
    ],
)
def test_wrapper_refuses_bad_arrays(kwargs, message):
    with pytest.raises(ValueError, match=message):
        required_distances(TABLE, **kwargs)
