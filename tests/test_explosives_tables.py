"""The classification data against AASTP-1 (2006) as quoted in standards.md.

The expected tables below are written out by hand from
/work/shared/reference/standards.md sections 1.2-1.4, which quotes NATO AASTP-1
Edition 1 (May 2006, Change 2) Part I Chapter 2: Table 4 (page I-2-8), Table 5
(page I-2-9), Table 6 (page I-2-10), and checked against images of those pages.
They are deliberately independent of data/classification/*.csv.
"""

from __future__ import annotations

from importlib import resources

import pytest

from depotsafe.explosives import rules
from depotsafe.kinds import read_data_csv

# Table 5, AASTP-1 (2006) Part I, page I-2-9: substances. "" = not permitted.
T5_GROUPS = ["A", "C", "D", "G", "L", "S"]
T5_ROWS = {
    "A": ["X", "", "", "", "", ""],
    "C": ["", "X1", "X1", "3", "", "X"],
    "D": ["", "X1", "X1", "3", "", "X"],
    "G": ["", "3", "3", "X", "", "X"],
    "L": ["", "", "", "", "2", ""],
    "S": ["", "X", "X", "X", "", "X"],
}

# Table 6, AASTP-1 (2006) Part I, page I-2-10: articles.
T6_GROUPS = ["B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "N", "S"]
T6_ROWS = {
    "B": ["X", "", "X1", "X1", "X1", "", "", "", "", "", "", "X"],
    "C": ["", "X", "X", "X", "2", "4", "", "", "", "", "X5", "X"],
    "D": ["X1", "X", "X", "X", "2", "4", "", "", "", "", "X5", "X"],
    "E": ["X1", "X", "X", "X", "2", "4", "", "", "", "", "X5", "X"],
    "F": ["X1", "2", "2", "2", "X", "4", "", "", "", "", "", "X"],
    "G": ["", "4", "4", "4", "4", "X", "", "", "", "", "", "X"],
    "H": ["", "", "", "", "", "", "X", "", "", "", "", "X"],
    "J": ["", "", "", "", "", "", "", "X", "", "", "", "X"],
    "K": ["", "", "", "", "", "", "", "", "X", "", "", ""],
    "L": ["", "", "", "", "", "", "", "", "", "3", "", ""],
    "N": ["", "X5", "X5", "X5", "", "", "", "", "", "", "X6", "X7"],
    "S": ["X", "X", "X", "X", "X", "X", "X", "X", "", "", "X7", "X6"],
}

# Table 4, AASTP-1 (2006) Part I, page I-2-8: "mixture treated as".
T4_DIVS = ["1.1", "1.2.1", "1.2.2", "1.3", "1.4", "1.5", "1.6"]
T4_ROWS = {
    "1.1": ["1.1", "1.1", "1.1", "1.1", "n1", "1.1", "1.1"],
    "1.2.1": ["1.1", "1.2.1", "1.2.1", "n2", "n1", "1.1", "n3"],
    "1.2.2": ["1.1", "1.2.1", "1.2.2", "n2", "n1", "1.1", "n3"],
    "1.3": ["1.1", "n2", "n2", "1.3", "n1", "1.1", "n3"],
    "1.4": ["n1", "n1", "n1", "n1", "1.4", "n1", "n1"],
    "1.5": ["1.1", "1.1", "1.1", "1.1", "n1", "1.1", "1.1"],
    "1.6": ["1.1", "1.2.1", "1.2.1", "1.3 n3", "n1", "1.1", "1.6 n3"],
}

# standards.md section 1.2 [S] (decision 9): legal HD/CG codes.
LEGAL = {
    "1.1": "ABCDEFGJL",
    "1.2": "BCDEFGHJKL",
    "1.3": "CFGHJKL",
    "1.4": "BCDEFGS",
    "1.5": "D",
    "1.6": "N",
}

FILES = [
    "hazard_divisions.csv",
    "thresholds.csv",
    "compatibility_groups.csv",
    "legal_codes.csv",
    "mixing_substances.csv",
    "mixing_articles.csv",
    "mixing_notes.csv",
    "hd_mixing.csv",
]


def _token(cell) -> str:
    return ("X" if cell.permitted else "") + "".join(str(n) for n in cell.notes)


@pytest.mark.parametrize(
    ("number", "groups", "rows"), [(5, T5_GROUPS, T5_ROWS), (6, T6_GROUPS, T6_ROWS)]
)
def test_mixing_table_every_cell(number, groups, rows):
    table = rules().tables[number]
    assert list(table.groups) == groups
    for a in groups:
        for b, expected in zip(groups, rows[a], strict=True):
            assert _token(table.cells[(a, b)]) == expected, (number, a, b)


@pytest.mark.parametrize(
    ("groups", "rows"), [(T5_GROUPS, T5_ROWS), (T6_GROUPS, T6_ROWS)]
)
def test_expected_tables_are_symmetric(groups, rows):
    # The source tables are symmetric; so are the loaded ones (rules() checks it).
    for i, a in enumerate(groups):
        for j, b in enumerate(groups):
            assert rows[a][j] == rows[b][i], (a, b)


def test_loaded_tables_are_symmetric():
    for table in rules().tables.values():
        for (a, b), cell in table.cells.items():
            assert table.cells[(b, a)] == cell


def test_table4_every_cell():
    hd = rules().hd_table
    for a in T4_DIVS:
        for b, expected in zip(T4_DIVS, T4_ROWS[a], strict=True):
            cell = hd[(a, b)]
            text = " ".join(
                p
                for p in (cell.treated_as, f"n{cell.note}" if cell.note else None)
                if p
            )
            assert text == expected, (a, b)


def test_table4_symmetric_except_the_note3_cells():
    # The printed table is symmetric except column/row 1.6 against 1.2.1, 1.2.2
    # and 1.3, where one side prints a bare note 3 (standards.md section 1.4).
    asym = set()
    for i, a in enumerate(T4_DIVS):
        for j, b in enumerate(T4_DIVS):
            if T4_ROWS[a][j] != T4_ROWS[b][i]:
                asym.add(frozenset((a, b)))
    assert asym == {frozenset(("1.6", d)) for d in ("1.2.1", "1.2.2", "1.3")}


def test_thirteen_groups_and_divisions():
    r = rules()
    assert sorted(r.groups) == sorted("ABCDEFGHJKLNS")
    assert set(r.divisions) == {
        "1.1",
        "1.2",
        "1.2.1",
        "1.2.2",
        "1.3",
        "1.4",
        "1.5",
        "1.6",
    }
    assert "1.2.3" not in r.divisions  # decision 7


def test_legal_codes_35():
    legal = rules().legal
    assert sum(len(v) for v in legal.values()) == 35
    assert {hd: "".join(sorted(v)) for hd, v in legal.items()} == LEGAL


def test_thresholds_quoted():
    # AASTP-1 para 1.2.1.2 b) 2. (0.71 kg) and Table 4 note 2 d) (5 kg).
    r = rules()
    assert r.hd12_split_unit_neq_kg == 0.71
    assert r.n2d_unit_neq_kg == 5.0


def test_hd13_tables_of_the_groups():
    # AASTP-1 para 1.3.1.6 a): Table 3A propellants (CG C), 3B other items (CG G); the other groups
    # HD 1.3 may carry (F, H, J, K, L) are assigned by no source: 3A, the larger (decision 28).
    assert rules().legal["1.3"] == {"C", "F", "G", "H", "J", "K", "L"}
    assert {g.cg for g in rules().groups.values() if g.hd13_table == "3A"} == {"C", "F", "H", "J", "K", "L"}
    assert rules().groups["G"].hd13_table == "3B"


def test_note_texts_quoted():
    notes = rules().notes
    assert "UN Test Series 3" in notes[(5, 1)].text
    assert notes[(4, 3)].text == "If demonstrated by testing or analogy. If not: 1.1."
    assert "NEQ > 5 kg" in notes[(4, 2)].text
    assert "treated as CG F" in notes[(6, 1)].text
    assert "1.6N and 1.4S" in notes[(6, 7)].text
    assert {k for k in notes if k[0] == 5} == {(5, 1), (5, 2), (5, 3)}
    assert {k for k in notes if k[0] == 6} == {(6, n) for n in range(1, 8)}
    assert {k for k in notes if k[0] == 4} == {(4, 1), (4, 2), (4, 3)}


@pytest.mark.parametrize("name", FILES)
def test_every_file_has_provenance(name):
    text = (
        resources.files("depotsafe.data")
        .joinpath("classification", name)
        .read_text("utf-8")
    )
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    joined = " ".join(header)
    assert header
    if name == "legal_codes.csv":
        assert "[S]" in joined
    else:
        assert "AASTP-1" in joined
        assert "2006" in joined
        assert "[P]" in joined
        assert "I-" in joined  # a page number
    assert read_data_csv(f"classification/{name}")
