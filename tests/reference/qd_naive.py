"""A slow, obvious, independent reference for the iatg quantity-distances.

It shares nothing with depotsafe's rule-set data: the distance formulas are
written out from standards.md sections 2.2, 2.5 and 2.6 (AASTP-1 Annex I-A),
the matrices are read from the cells *as printed*
(tests/data/aastp1_annex_ia_matrix_printed.csv), and the project decisions of
standards.md section 9 are applied in plain code.  The engine's data (terms
with tags, kind mappings, text rules) must agree with it everywhere.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

DATA = Path(__file__).parent.parent / "data"


def _cbrt(q):
    return q ** (1.0 / 3.0)


def _running_max_switch(low, high, q, q_switch=4500.0):
    """max over [0, q] of a two-branch function switching at q_switch."""
    if q < q_switch:
        return low(q)
    return max(low(q_switch), high(q))


def _lnq(c0, c1, c2, q):
    u = math.log(max(q, 10.0))  # Table 2 starts at 10 kg
    return c0 + c1 * u + c2 * u * u


def _lnq_runmax(c0, c1, c2, q):
    # running maximum from 10 kg of a log-quadratic (brute force over a fine grid + endpoints)
    q = max(q, 10.0)
    best = max(_lnq(c0, c1, c2, 10.0), _lnq(c0, c1, c2, q))
    if c2 < 0:
        u_v = -c1 / (2 * c2)
        if math.log(10.0) < u_v < math.log(q):
            best = max(best, c0 + c1 * u_v + c2 * u_v * u_v)
    return best


D1_122 = (28.127, -2.364, 1.577)
D2_121 = (-167.648, 70.345, -1.303)

TABLE1 = {
    "D3": lambda q: 0.5 * _cbrt(q),
    "D4": lambda q: 0.8 * _cbrt(q),
    "D5": lambda q: 1.1 * _cbrt(q),
    "D6": lambda q: 1.8 * _cbrt(q),
    "D7": lambda q: 2.4 * _cbrt(q),
    "D8": lambda q: 3.6 * _cbrt(q),
    "D9": lambda q: 4.8 * _cbrt(q),
    "D10": lambda q: 8.0 * _cbrt(q),
    "D11": lambda q: max(180.0, _running_max_switch(lambda x: 3.67 * math.sqrt(x), lambda x: 14.8 * _cbrt(x), q)),
    "D12": lambda q: 22.2 * _cbrt(q),
    "D13": lambda q: max(270.0, _running_max_switch(lambda x: 5.5 * math.sqrt(x), lambda x: 22.2 * _cbrt(x), q)),
}
#: The same without the printed floors (HD 1.6: blast only, AASTP-1 §1.3.8.3).
TABLE1_BLAST = dict(TABLE1)
TABLE1_BLAST["D11"] = lambda q: _running_max_switch(lambda x: 3.67 * math.sqrt(x), lambda x: 14.8 * _cbrt(x), q)
TABLE1_BLAST["D13"] = lambda q: _running_max_switch(lambda x: 5.5 * math.sqrt(x), lambda x: 22.2 * _cbrt(x), q)

TABLE2 = {
    "D1": lambda q: max(30.0, _lnq_runmax(*D1_122, q)),
    "D2": lambda q: max(60.0, _lnq_runmax(*D2_121, q)),
    "D3": lambda q: max(20.0, 0.36 * math.ceil(_lnq_runmax(*D1_122, q))),
    "D4": lambda q: max(20.0, 0.36 * math.ceil(_lnq_runmax(*D2_121, q))),
    "D5": lambda q: max(30.0, 0.67 * math.ceil(_lnq_runmax(*D1_122, q))),
    "D6": lambda q: max(60.0, 0.67 * math.ceil(_lnq_runmax(*D2_121, q))),
}
TABLE3 = {
    "D1": lambda q: max(25.0, 0.22 * math.sqrt(q)),
    "D2": lambda q: max(60.0, 3.2 * _cbrt(q)),
    "D3": lambda q: max(60.0, 4.3 * _cbrt(q)),
    "D4": lambda q: max(60.0, 6.4 * _cbrt(q)),
}
FUNCS = {"1": TABLE1, "2": TABLE2, "3A": TABLE3, "3B": TABLE3}


def _printed_cells():
    with (DATA / "aastp1_annex_ia_matrix_printed.csv").open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {(r["table"], r["es_row"], r["pes_col"]): r["printed"] for r in rows}


CELLS = _printed_cells()

_ALT = re.compile(r"(No QD|D\d+|\d+m?)\s*(?:\(≥(\d+)m\))?\s*(?:[\^_]?([a-zA-Z]+))?")


def alternatives(printed: str):
    """[(kind, value, minimum, footnotes)] of a printed cell."""
    out = []
    for part in re.split(r";|,| or ", printed):
        part = part.strip()
        if not part:
            continue
        m = _ALT.fullmatch(part)
        if not m:
            raise ValueError(f"cannot read {part!r} of {printed!r}")
        token, minimum, notes = m.group(1), m.group(2), m.group(3) or ""
        if token == "No QD":
            out.append(("noqd", None, 0.0, notes))
        elif token.startswith("D"):
            out.append(("func", token, float(minimum or 0), notes))
        else:
            out.append(("fix", float(token.rstrip("m")), 0.0, notes))
    return out


# Decision 16 and the Annex I-A pictograph legend (Table 1 rows/columns; 3A/3B/4 the same).
PES_COL = {"heavy_walled_roof": "c", "heavy_walled": "c", "workshop_roof_barricaded": "c",
           "barricaded_stack": "d", "workshop_barricaded": "d", "unbarricaded_stack": "e", "workshop": "e"}
ECM_COL = {"rear": "a", "side": "b", "front": "f"}
ES_ROWS = {
    ("igloo_7bar", "rear"): ["1"], ("igloo_7bar", "side"): ["4", "5"], ("igloo_7bar", "front"): ["7"],
    ("igloo_3bar", "rear"): ["2"], ("igloo_3bar", "side"): ["5"], ("igloo_3bar", "front"): ["8"],
    ("earth_covered", "rear"): ["3"], ("earth_covered", "side"): ["6"],
    ("heavy_walled_roof", None): ["12"], ("heavy_walled", None): ["13"], ("barricaded_stack", None): ["14"],
    ("unbarricaded_stack", None): ["15"], ("workshop_roof_barricaded", None): ["16"],
    ("workshop_barricaded", None): ["17"], ("workshop", None): ["18"], ("public_traffic_route", None): ["19"],
    ("inhabited_building", None): ["20"], ("vulnerable_building", None): ["20"],
}
EC = ("igloo_7bar", "igloo_3bar", "earth_covered")
#: Storage sites (not workshops): footnote o's 270 m applies from these (§1.3.1.13, decision 27).
STORAGE = (*EC, "heavy_walled_roof", "heavy_walled", "barricaded_stack", "unbarricaded_stack")


def table2_row(es, es_face, barricade):
    if es in EC:
        if es_face in ("rear", "side"):
            return {"rear": "1", "side": "2"}[es_face]
        if es == "earth_covered":
            return "3" if barricade else "4"
        return "3"
    return {"heavy_walled_roof": "3", "heavy_walled": "5", "barricaded_stack": "5", "unbarricaded_stack": "5",
            "workshop_roof_barricaded": "6", "workshop_barricaded": "7", "workshop": "8",
            "public_traffic_route": "9", "inhabited_building": "10", "vulnerable_building": "10"}[es]


def _table_1_like(table, pes, pes_face, es, es_face, barricade, traffic, sparse, q, funcs, blast_only):
    col = ECM_COL[pes_face] if pes in EC else PES_COL[pes]
    if es == "earth_covered" and es_face == "front":
        rows = ["9", "10"] if barricade else ["9", "10", "11"]
    else:
        rows = ES_ROWS[(es, es_face if es in EC else None)]
    vulnerable = es == "vulnerable_building"
    scale = 2.0 if vulnerable else 1.0
    if vulnerable:
        sparse = False
    best = 0.0
    for row in rows:
        printed = CELLS[(table, row, col)]
        alts = alternatives(printed)
        chosen = []
        for kind, value, minimum, notes in alts:
            if table == "1" and ("n" in notes or "i" in notes):
                continue  # decisions 15/18
            if row == "19" and table in ("1", "3A"):
                light_mark = "k" if table == "1" else "h"
                is_light = light_mark in notes
                if is_light != (traffic == "light"):
                    continue
            if table == "1" and row == "20" and col in "de":
                # "D13^l; D13 (>=400m)": the 400 m minimum unless sparsely populated (decision 19)
                if sparse != (minimum == 0):
                    continue
            if table == "1" and "o" in notes and pes in STORAGE:
                minimum = max(minimum, 270.0)  # footnote o: light-roofed workshop near HD 1.1 storage
            chosen.append((kind, value, minimum))
        for kind, value, minimum in chosen:
            if kind == "fix":
                if blast_only:
                    continue
                best = max(best, scale * value)
            elif kind == "func":
                if blast_only:
                    minimum = 0.0
                best = max(best, scale * max(minimum, funcs[value](q)))
        if table == "1" and not blast_only and col in "de":
            if row == "19":
                best = max(best, 180.0 if traffic == "light" else 270.0)
            if row == "20" and sparse:
                best = max(best, 270.0)
    if table == "1" and vulnerable:
        best = max(best, 44.4 * _cbrt(q))  # AASTP-1 §1.3.1.15 (decision 21); a blast distance
    return best


def _table4(pes, pes_face, es, es_face, barricade, traffic, q):
    """Table 4 (HD 1.6N, unit NEQ 1000 kg) as printed: the largest alternative (n never)."""
    col = ECM_COL[pes_face] if pes in EC else PES_COL[pes]
    if es == "earth_covered" and es_face == "front":
        rows = ["9", "10"] if barricade else ["9", "10", "11"]
    else:
        rows = ES_ROWS[(es, es_face if es in EC else None)]
    scale = 2.0 if es == "vulnerable_building" else 1.0
    best = 0.0
    for row in rows:
        printed = CELLS[("4", row, col)]
        if row == "20":  # "D4 > 174m": remark 1, D4 = 6.4 Q^(1/3) >= 60 m, and not less than 174 m
            best = max(best, scale * max(174.0, 60.0, 6.4 * _cbrt(q)))
            continue
        for kind, value, _minimum, notes in alternatives(printed):
            if "n" in notes or kind != "fix":
                continue
            if row == "19" and ("k" in notes) != (traffic == "light"):
                continue
            best = max(best, scale * value)
    return best


def required_m(division, pes, pes_face, es, es_face=None, *, q, unit_q=None, traffic=None,
               sparse=False, evacuable=False, barricade=False, hd13=("3A", "3B")):
    """Required distance [m], computed the slow obvious way."""
    if es == "public_traffic_route" and traffic is None:
        traffic = "heavy"
    if division in ("1.1", "1.5"):
        return _table_1_like("1", pes, pes_face, es, es_face, barricade, traffic, sparse, q, TABLE1, False)
    if division == "1.4":
        return 50.0 if es == "vulnerable_building" else 25.0
    if division == "1.3":
        return max(
            _table_1_like(t, pes, pes_face, es, es_face, barricade, traffic, sparse, q, TABLE3, False) for t in hd13
        )
    if division == "1.6":
        return max(
            _table_1_like("1", pes, pes_face, es, es_face, barricade, traffic, sparse, unit_q, TABLE1_BLAST, True),
            _table_1_like("3B", pes, pes_face, es, es_face, barricade, traffic, sparse, q, TABLE3, False),
            _table4(pes, pes_face, es, es_face, barricade, traffic, q),
        )
    # HD 1.2.1 / 1.2.2: Table 2
    sub = "h" if division == "1.2.1" else "g"
    col = "a" if (pes in EC and pes_face in ("rear", "side")) else "b"
    row = table2_row(es, es_face, barricade)
    vulnerable = es == "vulnerable_building"
    scale = 2.0 if vulnerable else 1.0
    if vulnerable:
        evacuable = False
    best = 0.0
    for kind, value, _minimum, notes in alternatives(CELLS[("2", row, col)]):
        if kind != "func":
            continue
        if sub not in notes:
            continue
        if row == "9" and ("k" in notes) != (traffic == "light"):
            continue
        if row == "10" and evacuable:
            continue
        best = max(best, scale * TABLE2[value](q))
    if col == "a" and row in ("9", "10"):
        fixed = 30.0 if division == "1.2.2" else 60.0
        best = max(best, 2 * fixed if vulnerable else fixed)
    if col == "b" and row == "10" and evacuable:
        best = max(best, 180.0 if division == "1.2.2" else 270.0)
    return best
