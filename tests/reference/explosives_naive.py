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
