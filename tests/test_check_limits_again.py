"""The licence limits after the aggregation groups' search widens (check._limits_again).

When a group needs a wider search for its licence, check_depot computes the limits
again: only the groups' cases, from the groups' new rows, keeping every lone PES's
case as it was.  Reference: `_limits` over every row (the lone PES's rows and the
groups' new rows, in that order), as the check computed it before.
"""

from __future__ import annotations

import numpy as np
import pytest

from depotsafe import check
from depotsafe.layout import read_layout
from depotsafe.synthetic import synthetic_depot


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


@pytest.mark.parametrize(("n", "seed"), [(2000, 5)])  # a depot whose groups search again (found by trying seeds)
def test_limits_again_equal_limits_over_every_row(n: int, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    depot = read_layout(synthetic_depot(n, seed=seed))
    first_rows: dict[int, check._ClassRows] = {}  # id(cases) -> the rows of the first round
    limits = check._limits

    def recording(rel, rows, cases, n_owner, *args):
        first_rows.setdefault(id(cases), rows)
        return limits(rel, rows, cases, n_owner, *args)

    again = check._limits_again
    compared = []

    def checked(rel, g_rows, cases, n_owner, owners, before):
        got = again(rel, g_rows, cases, n_owner, owners, before)
        old = first_rows[id(cases)]
        lone = ~np.isin(old.owner, owners)
        every = check._ClassRows.concat([
            check._ClassRows(*(getattr(old, f)[lone] for f in ("owner", "pk", "w", "pm", "em", "ea", "dist", "es"))),
            g_rows])
        want = limits(rel, every, cases, n_owner)
        for g, w in zip((got[0], got[1], got[2].rule, got[2].term, got[2].dist),
                        (want[0], want[1], want[2].rule, want[2].term, want[2].dist), strict=True):
            assert _same(g, w)
        compared.append(int(np.isin(np.repeat(np.arange(n_owner), np.diff(cases.arrays()[0])), owners).sum()))
        return got

    monkeypatch.setattr(check, "_limits", recording)
    monkeypatch.setattr(check, "_limits_again", checked)
    result = check.check_depot(depot)
    assert len(compared) == 2  # licences and headroom
    assert all(c > 0 for c in compared)  # the groups had cases to compute again
    assert result.groups
