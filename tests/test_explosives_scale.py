"""Compatibility and HD mixing of large stocks (issue 16 item 7).

check_compatibility once compared every pair of lines and kept its messages
in a list searched for duplicates: about n^4, 132 s for 500 lines.  It now
reduces the lines to their distinct (group, form) keys.  These tests check the
verdict, the conflicting groups and the effective group of every line against
the slow pair-by-pair reference (tests/reference/explosives_naive.py, with
the tables quoted by hand in test_explosives_tables.py) on the same lines
deduplicated (at most two lines of each distinct code, form and item, which
keeps every pair verdict and every family count), and bound the time.
"""

from __future__ import annotations

import math
import random
import time

import pytest

import test_explosives_tables as _T  # the expected tables, as printed
from depotsafe.explosives import check_compatibility, mix_divisions, stock_line
from reference import explosives_naive as _NAIVE

T5 = (_T.T5_GROUPS, _T.T5_ROWS)
T6 = (_T.T6_GROUPS, _T.T6_ROWS)
_CODES = [(hd, cg) for hd, cgs in sorted(_T.LEGAL.items()) for cg in cgs]


def random_lines(n, seed, groups=None, items=("a", "b", None)):
    rnd = random.Random(seed)
    codes = [c for c in _CODES if groups is None or c[1] in groups]
    out = []
    for _ in range(n):
        hd, cg = rnd.choice(codes)
        forms = [None] + [
            f for f, (g, _r) in (("substance", T5), ("article", T6)) if cg in g
        ]
        unit = 0.5 if hd == "1.6" else None
        out.append(
            stock_line(hd, cg, rnd.uniform(1, 1000), unit, rnd.choice(forms),
                       rnd.choice(items))
        )
    return out


def _key(line):
    return (line.hd, line.cg, line.form, line.item)


def dedup(lines):
    """At most two lines of each (code, form, item): every pair verdict and
    every count of 1.6N families stays as in the full list."""
    seen: dict = {}
    keep = []
    for line in lines:
        k = _key(line)
        if seen.get(k, 0) < 2:
            seen[k] = seen.get(k, 0) + 1
            keep.append(line)
    return keep


def conflict_groups(res):
    return {tuple(sorted((c.first_code[-1], c.second_code[-1]))) for c in res.conflicts}


def assert_like_reference(lines):
    small = dedup(lines)
    ok, pairs, effective = _NAIVE.naive_compatibility(small, T5, T6)
    got_small = check_compatibility(small)
    got = check_compatibility(lines)
    assert got.compatible == got_small.compatible == ok
    assert got.status == got_small.status == _NAIVE.naive_status(small, T5, T6)
    assert conflict_groups(got) == conflict_groups(got_small) == pairs
    eff_of = {_key(x): e for x, e in zip(small, effective, strict=True)}
    assert got.effective_cg == [eff_of[_key(x)] for x in lines]
    assert got_small.effective_cg == effective
    return got


@pytest.mark.parametrize("n", [500, 5000])
@pytest.mark.parametrize("seed", [0, 1])
def test_many_lines_match_the_pairwise_reference(n, seed):
    assert_like_reference(random_lines(n, seed))


@pytest.mark.parametrize(
    "groups", ["NS", "CDEN", "BDEF", "L", "LS", "NCDS", "ACDGS", "HJS"]
)
def test_many_lines_of_few_groups_match_the_reference(groups):
    # The notes that change groups (Table 6 notes 1, 5, 6, 7) and CG L need
    # sets where they are not drowned by a conflict elsewhere.
    for seed in range(3):
        for items in (("a",), ("a", "b"), ("a", None)):
            assert_like_reference(random_lines(300, seed, groups, items))


def _best_time(lines) -> float:
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        check_compatibility(lines)
        mix_divisions(lines)
        best = min(best, time.perf_counter() - t0)
    return best


def test_5000_lines_grow_linearly():
    """Ten times the lines, about ten times the work (it grew as n^4: 132 s for 500 lines).

    A ratio of best-of-3 times, not a wall-clock budget, so a loaded machine does not fail it;
    quadratic growth would give about 100, the old n^4 about 10,000.
    """
    lines = random_lines(5000, 7)
    res = check_compatibility(lines[:50])  # load the rules outside the clock
    small = _best_time(lines[:500])
    large = _best_time(lines)
    assert large < 30.0 * max(small, 1e-3), (small, large)
    assert large < 10.0, large
    res = check_compatibility(lines)
    # One conflict per distinct pair of (group, form) keys and rule at most.
    keys = {(x.cg, x.form) for x in lines}
    assert len(res.conflicts) <= 2 * len(keys) * (len(keys) + 1) // 2


def test_messages_name_the_lines_bounded():
    lines = [stock_line("1.1", "D", 1, form="article") for _ in range(3000)] + [
        stock_line("1.2", "H", 1)
    ] * 2
    res = check_compatibility(lines)
    assert not res.compatible
    (c,) = res.conflicts
    assert (c.first, c.second, c.first_code, c.second_code) == (0, 3000, "1.1D", "1.2H")
    assert c.first_lines == tuple(range(3000))
    assert c.second_lines == (3000, 3001)
    assert c.reason.startswith("Table 6 (articles) does not permit mixing CG D with CG H")
    assert "and 2,992 more" in c.reason
    assert len(c.reason) < 400
    # A condition between two single lines keeps its exact wording.
    two = check_compatibility([stock_line("1.1", "F", 1), stock_line("1.1", "E", 1)])
    assert two.conditions[0].startswith("lines 0 and 1 (1.1F, 1.1E): Table 6 note 2: ")
    many = check_compatibility(
        [stock_line("1.1", "F", 1)] * 20 + [stock_line("1.1", "E", 1)] * 20
    )
    assert len(many.conditions) == 1
    assert len(many.conditions[0]) < 400


def test_l_lines_of_one_item_among_many():
    same = [stock_line("1.1", "L", 1, form="article", item="x")] * 1000
    assert check_compatibility(same).compatible
    mixed = [*same, stock_line("1.1", "L", 1, form="article", item="y")]
    res = check_compatibility(mixed)
    assert not res.compatible
    (c,) = res.conflicts
    assert (c.first, c.second) == (0, 1000)
    unnamed = [*same, stock_line("1.1", "L", 1, form="article")]
    assert not check_compatibility(unnamed).compatible
