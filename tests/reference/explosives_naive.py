"""A slow, obvious re-statement of the HD aggregation rules, for tests only.

Written directly from AASTP-1 (2006) Part I para 1.3.2.5 rules 1)-7) and
Table 4 (as quoted in standards.md section 1.4) plus the decisions in
data/classification/README.md, with every number and rule spelled out here
instead of read from data/, so that it checks depotsafe.explosives.mix_divisions
independently.  Returns the cases as sorted tuples
(division, neq_kg, unit_neq_kg, hd13_tables).
"""

from __future__ import annotations

import math

SPLIT_KG = 0.71  # AASTP-1 para 1.2.1.2 b) 2.
N2D_KG = 5.0  # AASTP-1 Table 4 note 2 d)


def _qd(line) -> str:
    if line.hd == "1.2":
        return (
            "1.2.1"
            if line.unit_neq_kg is None or line.unit_neq_kg > SPLIT_KG
            else "1.2.2"
        )
    return line.hd


def _tables(lines) -> tuple[str, ...]:
    # 3A: propellants (C, AASTP-1 §1.3.1.6 a)) and the HD 1.3 groups no source assigns (F, H, J, K, L:
    # the larger distance, decision 28); 3B: "other items" (G) and the groups of non-1.3 lines.
    return tuple(sorted({"3A" if x.cg in ("C", "F", "H", "J", "K", "L") else "3B" for x in lines}))


def naive_cases(lines, *, demonstrated: bool = False, n2_applies: bool = False):
    by = {}
    for x in lines:
        by.setdefault(_qd(x), []).append(x)
    main = [x for x in lines if _qd(x) != "1.4"]
    total = math.fsum(x.neq_kg for x in main)
    l11 = by.get("1.1", []) + by.get("1.5", [])
    l12 = by.get("1.2.1", []) + by.get("1.2.2", [])
    l13 = by.get("1.3", [])
    l16 = by.get("1.6", [])
    l14 = by.get("1.4", [])
    families16 = len({x.item for x in l16 if x.item is not None}) + sum(
        1 for x in l16 if x.item is None
    )
    six_as_11 = bool(l16) and (
        bool(l11) or (not demonstrated and (bool(l12) or bool(l13) or families16 > 1))
    )
    any11 = bool(l11) or six_as_11
    any12 = bool(l12)
    any13 = bool(l13)
    sub = "1.2.1" if by.get("1.2.1") or (l16 and l12) else "1.2.2"
    cases = []
    if any11:
        cases.append(("1.1", total, None, ()))
        if any12:
            cases.append((sub, total, None, ()))
        if any13:
            cases.append(("1.3", total, None, _tables(main)))
    else:
        p12 = l12 + (l16 if l12 else [])
        p13 = l13 + (l16 if l13 else [])
        if any12 and any13:
            big = [
                x
                for x in p12
                if _qd(x) in ("1.2.1", "1.6")
                and (x.unit_neq_kg is None or x.unit_neq_kg > N2D_KG)
            ]
            if n2_applies or big:
                cases.append(("1.1", total, None, ()))
        if any12:
            cases.append((sub, math.fsum(x.neq_kg for x in p12), None, ()))
        if any13:
            cases.append(("1.3", math.fsum(x.neq_kg for x in p13), None, _tables(p13)))
    if l16:
        cases.append(
            (
                "1.6",
                math.fsum(x.neq_kg for x in l16),
                max(x.unit_neq_kg for x in l16),
                (),
            )
        )
    if l14:
        cases.append(("1.4", math.fsum(x.neq_kg for x in l14), None, ()))
    return sorted(cases)


# --------------------------------------------------------------------------- compatibility
#
# AASTP-1 (2006) Part I Tables 5 and 6 with their notes, pair by pair, over
# every pair of lines (O(n^2): fine for the few dozen distinct lines the tests
# give it).  The tables are passed in (the hand-quoted ones of
# tests/test_explosives_tables.py), never read from data/.  Decisions of
# data/classification/README.md spelled out: a line without a form may be
# either where its group is in both tables (decision 25); a pair of lines of
# one known form is read in that table, any other pair in every table holding
# both groups, and no such table is a conflict (para 1.2.3.3 d); a blank cell
# is a conflict; CG L is stored apart from everything, other CG L included,
# unless both lines are of one named item (Table 5 note 2, Table 6 note 3).


def _forms(line, t5_groups, t6_groups):
    if line.form is not None:
        return (line.form,)
    return tuple(
        f for f, g in (("substance", t5_groups), ("article", t6_groups)) if line.cg in g
    )


def _pair_tables(a, b, tables):
    t5_groups, t6_groups = tables["substance"][0], tables["article"][0]
    fa, fb = _forms(a, t5_groups, t6_groups), _forms(b, t5_groups, t6_groups)
    if len(fa) == 1 and fa == fb:
        return [fa[0]]
    return [f for f, (g, _rows) in tables.items() if a.cg in g and b.cg in g]


def naive_compatibility(lines, t5, t6, *, n_families_compatible=False):
    """(compatible, set of conflicting group pairs, effective group of each line).

    ``t5``, ``t6``: (groups, rows) as quoted in test_explosives_tables.py.
    """
    tables = {"substance": t5, "article": t6}
    ok = True
    pairs = set()
    effective = [x.cg for x in lines]
    n_pairs = False
    for i, a in enumerate(lines):
        for j in range(i + 1, len(lines)):
            b = lines[j]
            forms = _pair_tables(a, b, tables)
            bad = not forms
            for f in forms:
                groups, rows = tables[f]
                cell = rows[a.cg][groups.index(b.cg)]
                if cell == "":
                    bad = True
                if a.cg == "L" and b.cg == "L" and not (a.item and a.item == b.item):
                    bad = True
                if f == "article" and cell == "X1":  # Table 6 note 1: B counts as F
                    for k in (i, j):
                        if lines[k].cg == "B":
                            effective[k] = "F"
                if f == "article" and cell == "X5":  # note 5: N with C, D, E as D
                    for k in (i, j):
                        if lines[k].cg == "N":
                            effective[k] = "D"
                if f == "article" and a.cg == b.cg == "N":
                    n_pairs = True
            if bad:
                ok = False
                pairs.add(tuple(sorted((a.cg, b.cg))))
    # Table 6 note 6: 1.6N of more than one family (an unnamed line is a family).
    n_lines = [k for k, x in enumerate(lines) if x.cg == "N"]
    fams = len({lines[k].item for k in n_lines if lines[k].item is not None}) + sum(
        1 for k in n_lines if lines[k].item is None
    )
    if n_pairs and fams > 1 and not n_families_compatible:
        for k in n_lines:
            effective[k] = "D"
    # Table 6 note 7: a set of only 1.6N and 1.4S: S counts as N.
    if {x.cg for x in lines} == {"N", "S"} and all(
        effective[k] == "N" for k in n_lines
    ):
        for k, x in enumerate(lines):
            if x.cg == "S":
                effective[k] = "N"
    return ok, pairs, effective


# Notes whose cells permit the mix only under a condition depotsafe cannot see
# (standards.md section 9 decision 29), as the note texts of AASTP-1 (2006)
# Part I read: Table 5 note 1 (UN Test Series 3) and note 3 (NCA discretion
# for G); Table 6 note 1 (B fuzes with the articles they will be fitted to),
# note 2 (effective segregation), note 4 (NCA discretion for G) and note 5
# (N "should not in general" be stored with other groups).  Notes 6 and 7 and
# the S/S cell (decision 14) only change which group a line counts as.
CONDITIONAL_NOTES = {"substance": {"1", "3"}, "article": {"1", "2", "4", "5"}}


def naive_status(lines, t5, t6):
    """"incompatible", "conditional" or "compatible", pair by pair.

    Incompatible as naive_compatibility says; else conditional when any pair
    of lines, in any table it is read in, meets a cell carrying one of
    CONDITIONAL_NOTES; else compatible.
    """
    ok, _pairs, _effective = naive_compatibility(lines, t5, t6)
    if not ok:
        return "incompatible"
    tables = {"substance": t5, "article": t6}
    for i, a in enumerate(lines):
        for b in lines[i + 1:]:
            for f in _pair_tables(a, b, tables):
                groups, rows = tables[f]
                cell = rows[a.cg][groups.index(b.cg)]
                if any(ch in CONDITIONAL_NOTES[f] for ch in cell if ch.isdigit()):
                    return "conditional"
    return "compatible"
