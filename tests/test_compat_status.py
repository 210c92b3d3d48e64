"""Compatibility status (issue 9 item 3, standards.md section 9 decision 29).

A cell of AASTP-1 (2006) Part I Table 5 or 6 that permits a mix only under a
note setting a condition depotsafe cannot see gives ``status: conditional``
(``compatible`` stays true): tested against the tables as printed (quoted by
hand in test_explosives_tables.py), the slow pair-by-pair reference
(tests/reference/explosives_naive.py) on random mixes, and the installed
``depotsafe check`` command.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import test_explosives_tables as _T  # the expected tables, as printed
from depotsafe.explosives import check_compatibility, stock_line
from depotsafe.layout import LOCAL_METRES
from reference import explosives_naive as _NAIVE

T5 = (_T.T5_GROUPS, _T.T5_ROWS)
T6 = (_T.T6_GROUPS, _T.T6_ROWS)
_CODES = [(hd, cg) for hd, cgs in sorted(_T.LEGAL.items()) for cg in cgs]
_HD_OF = {cg: next(hd for hd in sorted(_T.LEGAL) if cg in _T.LEGAL[hd]) for cg in "ABCDEFGHJKLNS"}


def _pair(a, b, form):
    return check_compatibility(
        [stock_line(_HD_OF[a], a, 1.0, None, form, "x"), stock_line(_HD_OF[b], b, 1.0, None, form, "y")]
    )


# ----------------------------------------------------------------- the cells quoted in decision 29


def test_c_with_f_articles_is_conditional_table6_note2():
    # Table 6, page I-2-10: cell C/F printed "2"; note 2: "Storage in the same building is permitted
    # if effectively segregated to prevent propagation."
    assert _T.T6_ROWS["C"][_T.T6_GROUPS.index("F")] == "2"
    res = _pair("C", "F", "article")
    assert res.status == "conditional"
    assert res.compatible is True
    assert res.conflicts == []
    assert any("Table 6 note 2" in c and "effectively segregated" in c for c in res.conditions)


@pytest.mark.parametrize("other", ["C", "D", "E", "F"])
def test_anything_with_g_articles_is_conditional_table6_note4(other):
    # Table 6: cells C/G, D/G, E/G, F/G printed "4" (NCA discretion for CG G).
    assert _T.T6_ROWS[other][_T.T6_GROUPS.index("G")] == "4"
    res = _pair(other, "G", "article")
    assert (res.status, res.compatible) == ("conditional", True)
    assert any("Table 6 note 4" in c for c in res.conditions)


@pytest.mark.parametrize("other", ["C", "D"])
def test_c_d_with_g_substances_is_conditional_table5_note3(other):
    assert _T.T5_ROWS[other][_T.T5_GROUPS.index("G")] == "3"
    res = _pair(other, "G", "substance")
    assert (res.status, res.compatible) == ("conditional", True)
    assert any("Table 5 note 3" in c for c in res.conditions)


def test_b_fuzes_with_d_articles_is_conditional_table6_note1():
    assert _T.T6_ROWS["B"][_T.T6_GROUPS.index("D")] == "X1"
    res = _pair("B", "D", "article")
    assert (res.status, res.compatible) == ("conditional", True)


def test_incompatible_pair_stays_incompatible():
    # Table 6: D/H blank (not permitted).
    assert _T.T6_ROWS["D"][_T.T6_GROUPS.index("H")] == ""
    res = _pair("D", "H", "article")
    assert (res.status, res.compatible) == ("incompatible", False)
    # a conflict wins over a condition in the same mix: C+F (note 2) with H
    lines = [stock_line("1.1", "C", 1.0, None, "article"), stock_line("1.1", "F", 1.0, None, "article"),
             stock_line("1.2", "H", 1.0, None, "article")]
    assert check_compatibility(lines).status == "incompatible"


def test_plain_compatible_pair_is_compatible():
    # Table 6: D/E printed "X" with no note.
    assert _T.T6_ROWS["D"][_T.T6_GROUPS.index("E")] == "X"
    res = _pair("D", "E", "article")
    assert (res.status, res.compatible) == ("compatible", True)
    assert res.conditions == []
    assert check_compatibility([]).status == "compatible"
    assert check_compatibility([stock_line("1.1", "G", 1.0)]).status == "compatible"


def _expected_status(form, a, b):
    groups, rows = T5 if form == "substance" else T6
    cell = rows[a][groups.index(b)]
    if cell == "" or (a == b == "L"):  # L: apart from every other line (lines of different items here)
        return "incompatible"
    digits = {c for c in cell if c.isdigit()}
    return "conditional" if digits & _NAIVE.CONDITIONAL_NOTES[form] else "compatible"


@pytest.mark.parametrize(("form", "table"), [("substance", T5), ("article", T6)])
def test_every_cell_of_one_form(form, table):
    groups, _rows = table
    for a in groups:
        for b in groups:
            res = _pair(a, b, form)
            assert res.status == _expected_status(form, a, b), (form, a, b)
            assert res.compatible == (res.status != "incompatible")


# ----------------------------------------------------------------- the naive reference, random mixes


@pytest.mark.parametrize("groups", [None, "CDEFG", "BCDEFGNS", "CDGS"])
def test_random_mixes_match_the_naive_reference(groups):
    rnd = random.Random(29)
    codes = [c for c in _CODES if groups is None or c[1] in groups]
    seen = set()
    for _ in range(400):
        n = rnd.randint(1, 6)
        lines = []
        for _k in range(n):
            hd, cg = rnd.choice(codes)
            forms = [None] + [f for f, (g, _r) in (("substance", T5), ("article", T6)) if cg in g]
            lines.append(stock_line(hd, cg, rnd.uniform(1, 1000), 0.5 if hd == "1.6" else None,
                                    rnd.choice(forms), rnd.choice(("a", "b", None))))
        got = check_compatibility(lines)
        want = _NAIVE.naive_status(lines, T5, T6)
        assert got.status == want, [(x.code, x.form, x.item) for x in lines]
        assert got.compatible == (want != "incompatible")
        seen.add(want)
    if groups in ("CDEFG", "CDGS"):
        assert seen >= {"compatible", "conditional"}  # the sample reaches the cases it is meant to test


# ----------------------------------------------------------------- the installed command


def _exe():
    here = Path(sys.executable).with_name("depotsafe")
    return str(here) if here.exists() else str(shutil.which("depotsafe"))


def _rect(fid, kind, x, y, w, h, stock=None):
    ring = [[x - w / 2, y - h / 2], [x + w / 2, y - h / 2], [x + w / 2, y + h / 2], [x - w / 2, y + h / 2],
            [x - w / 2, y - h / 2]]
    p = {"id": fid, "kind": kind}
    if stock:
        p["stock"] = stock
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": p}


def _run(tmp_path, stock, *extra):
    # One 200 kg storehouse, an inhabited building 5 km away: no distance fails.
    feats = [_rect("S1", "barricaded_stack", 0.0, 0.0, 10.0, 10.0, stock),
             _rect("H", "inhabited_building", 0.0, 5000.0, 10.0, 10.0)]
    layout = tmp_path / "depot.geojson"
    layout.write_text(json.dumps({"type": "FeatureCollection",
                                  "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
                                  "features": feats}))
    return subprocess.run([_exe(), "check", str(layout), *extra], capture_output=True, text=True)


_CF = [{"hd": "1.1", "cg": "C", "neq_kg": 100, "form": "article"},
       {"hd": "1.1", "cg": "F", "neq_kg": 100, "form": "article"}]


def test_check_json_c_with_f_is_conditional_and_exits_0(tmp_path):
    proc = _run(tmp_path, _CF, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (site,) = [s for s in doc["sites"] if s["id"] == "S1"]
    comp = site["compatibility"]
    assert comp["status"] == "conditional"
    assert comp["compatible"] is True
    assert comp["conflicts"] == []
    assert any("Table 6 note 2" in c for c in comp["conditions"])
    assert doc["summary"]["conditional_sites"] == 1
    assert doc["summary"]["incompatible_sites"] == 0
    assert doc["summary"]["compliant"] is True
    assert doc["violations"] == []


def test_check_json_plain_and_incompatible_mixes(tmp_path):
    plain = _run(tmp_path, [{"hd": "1.1", "cg": "D", "neq_kg": 100, "form": "article"},
                            {"hd": "1.1", "cg": "E", "neq_kg": 100, "form": "article"}], "--json")
    assert plain.returncode == 0, plain.stderr
    doc = json.loads(plain.stdout)
    assert doc["sites"][0]["compatibility"]["status"] == "compatible"
    assert doc["summary"]["conditional_sites"] == 0
    bad = _run(tmp_path, [{"hd": "1.1", "cg": "D", "neq_kg": 100, "form": "article"},
                          {"hd": "1.2", "cg": "H", "neq_kg": 100, "form": "article"}], "--json")
    assert bad.returncode == 1, bad.stderr
    doc = json.loads(bad.stdout)
    comp = doc["sites"][0]["compatibility"]
    assert (comp["status"], comp["compatible"]) == ("incompatible", False)
    assert (doc["summary"]["incompatible_sites"], doc["summary"]["conditional_sites"]) == (1, 0)


def test_check_readable_lists_the_conditional_mix_apart_from_violations(tmp_path):
    proc = _run(tmp_path, _CF)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Mixes to confirm (1 site(s))" in out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("  S1: ") and "Table 6 note 2" in ln]
    assert "effectively segregated" in line
    assert "0 violation(s)" in out


# ----------------------------------------------------------------- the app's stock table


def test_app_verdict_column_labels_a_conditional_mix():
    from depotsafe.layout import read_layout
    from depotsafe.ui import i18n, model, page_depot

    depot = read_layout({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
                         "features": [_rect("S1", "barricaded_stack", 0.0, 0.0, 10.0, 10.0, _CF),
                                      _rect("S2", "barricaded_stack", 0.0, 500.0, 10.0, 10.0,
                                            [{"hd": "1.1", "cg": "D", "neq_kg": 100}])]})
    rows = {r["site"]: r for r in model.compatibility_rows(depot)}
    assert (rows["S1"]["status"], rows["S1"]["compatible"]) == ("conditional", True)
    assert "Table 6 note 2" in rows["S1"]["conditions"]
    assert rows["S2"]["status"] == "compatible"
    labels = {s: page_depot._verdict_label(s) for s in ("compatible", "conditional", "incompatible")}
    assert labels == {"compatible": "compatible", "conditional": "conditional: to confirm",
                      "incompatible": "NOT compatible"}
    assert i18n.catalog("fr")["conditional: to confirm"] == "conditionnel : à confirmer"
